"""LinearBlockHoppingScanner: a node, then what precedes it at the same or an outer level.

It walks like :class:`~scanners.LinearScanner` but jumps over every *completed* block it meets
from its end, so the contents of finished blocks are never returned
(``reference/scanners.md`` §4). Use it to ask "what ran before this node, around it?":

* a block end is never returned: the walk goes to its start and on to the first non-denied
  parent of that start (which may itself be a block end, hopped in turn); the hopped block's
  start is not returned either;
* walking backwards out of a block that encloses the head, its start node *is* returned (it is
  not met from an end), so from inside nested blocks you get: preceding siblings, the innermost
  block start, preceding siblings one level out, …, the flow start;
* open (running) blocks have no end, so nothing is hopped: they are walked into linearly;
* a head that is a block end is hopped too: from the flow end nothing at all is returned and
  :meth:`~scanners.FlowScanner.setup` returns False.

Each node is read a bounded number of times; a start/end loop raises
:class:`~flowgraph.GraphCycleError`.
"""

from __future__ import annotations

from flowgraph.errors import GraphCycleError
from flowgraph.node import FlowNode, NodeKind
from scanners.linear import LinearScanner

__all__ = ["LinearBlockHoppingScanner"]

_BLOCK_END = NodeKind.BLOCK_END
_FLOW_END = NodeKind.FLOW_END


class LinearBlockHoppingScanner(LinearScanner):
    """Walks first parents, hopping over completed blocks met from their end.

    Examples
    --------
    >>> from flowgraph import GraphBuilder
    >>> b = GraphBuilder()
    >>> _ = b.step("echo", message="before")
    >>> with b.stage("Build"):
    ...     _ = b.step("sh", script="make")
    >>> last = b.step("echo", message="after")
    >>> graph = b.build().graph
    >>> [n.id for n in LinearBlockHoppingScanner(graph).all_nodes(last)]
    ['9', '3', '2']
    """

    __slots__ = ()

    def _first_head(self, head: FlowNode) -> FlowNode | None:
        return self.jump(head)

    def jump(self, node: FlowNode) -> FlowNode | None:
        """The first node before the completed block(s) that ``node`` ends; ``node`` if it ends none.

        None when a hopped block's start is denied, has no parents (the flow start) or only
        denied parents.
        """
        deny = self._deny
        seen: set[str] = set()
        candidate = node
        kind = candidate.kind
        while kind is _BLOCK_END or kind is _FLOW_END:
            if candidate.id in seen:
                raise GraphCycleError([*seen, candidate.id])
            seen.add(candidate.id)
            start_id = candidate.start_id
            assert start_id is not None
            if start_id in deny:
                return None
            start = self._fetch(start_id, candidate.id)
            for pid in start.parent_ids:
                if pid not in deny:
                    candidate = self._fetch(pid, start.id)
                    break
            else:
                return None
            kind = candidate.kind
        return candidate

    def _step(self, current: FlowNode) -> FlowNode | None:
        deny = self._deny
        for pid in current.parent_ids:
            if pid not in deny:
                parent = self._fetch(pid, current.id)
                kind = parent.kind
                if kind is _BLOCK_END or kind is _FLOW_END:
                    return self.jump(parent)
                return parent
        return None
