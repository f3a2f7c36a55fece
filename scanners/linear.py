"""LinearScanner: one branch, back to the flow start, following first parents.

The fastest walk; use it to go from a node back to the start of the flow when parallel
branches other than the first do not matter (``reference/scanners.md`` §3):

* the next node is the first parent that is not denied (so a denied first parent of a
  parallel end falls through to the next branch); no parents, or all denied, ends the walk;
* at a parallel end only the first non-denied branch is followed, the others are skipped;
* one head is meant to be given: with several, the first is used and a warning is logged.
"""

from __future__ import annotations

import logging

from flowgraph.node import FlowNode
from scanners.base import FlowScanner

__all__ = ["LinearScanner"]

_LOG = logging.getLogger(__name__)


class LinearScanner(FlowScanner):
    """Walks first (non-denied) parents from one head to the flow start.

    Examples
    --------
    >>> from flowgraph import GraphBuilder
    >>> b = GraphBuilder()
    >>> with b.stage("Build"):
    ...     _ = b.step("sh", script="make")
    >>> graph = b.build().graph
    >>> [n.id for n in LinearScanner(graph).all_nodes(graph)]
    ['8', '7', '6', '5', '4', '3', '2']
    """

    __slots__ = ()

    def _reset(self) -> None:
        return None

    def _set_heads(self, heads: list[FlowNode]) -> bool:
        if len(heads) > 1:
            _LOG.warning(
                "%s follows one head; using %s and ignoring %s",
                type(self).__name__,
                heads[0].id,
                [h.id for h in heads[1:]],
            )
        first = self._first_head(heads[0])
        self._current = first
        self._next = first
        if first is None:
            return False
        self._walk = self._stepwise(first, self._step, self._step_limit(1))
        return True

    def _first_head(self, head: FlowNode) -> FlowNode | None:
        """The first node of the walk for this head (the head itself here)."""
        return head

    def _step(self, current: FlowNode) -> FlowNode | None:
        deny = self._deny
        for pid in current.parent_ids:
            if pid not in deny:
                return self._fetch(pid, current.id)
        return None
