"""DepthFirstScanner: every node, depth first along first parents (Jenkins' legacy walker order).

Use it when you need to see every node and do not care about parallel branches being kept
together. Order (``reference/scanners.md`` §2):

* From a node, its only parent comes next. At a node with several parents (a parallel end),
  the parents are stacked so that the *first* one is walked first: branch 1, then the parallel
  start and everything before it down to the flow start, and only then branches 2..n, each
  stopping at the already visited parallel start.
* Several heads: the first head's whole ancestry comes first; the other heads wait on the
  stack in order.
* Only block starts are remembered as visited (they are the only nodes with several
  children), so a node is returned once per walk in a valid graph with one head.
* Denied nodes are neither returned nor walked through.

The walk is a single generator with an explicit stack (no recursion) and reads each parent
edge from storage once: O(n) time, O(width) stack.
"""

from __future__ import annotations

from collections.abc import Iterator

from flowgraph.errors import NodeNotFoundError
from flowgraph.graph import FlowGraph
from flowgraph.node import FlowNode, NodeKind
from flowgraph.run import Run
from scanners.base import FlowScanner, cycle_error

__all__ = ["DepthFirstScanner"]

_BLOCK_START = NodeKind.BLOCK_START
_FLOW_START = NodeKind.FLOW_START


class DepthFirstScanner(FlowScanner):
    """Visits every node once, depth first, following first parents first.

    Examples
    --------
    >>> from flowgraph import GraphBuilder
    >>> b = GraphBuilder()
    >>> with b.parallel("a", "b") as par:
    ...     with par.branch("a"):
    ...         _ = b.step("echo", message="in a")
    ...     with par.branch("b"):
    ...         _ = b.step("echo", message="in b")
    >>> graph = b.build().graph
    >>> [n.id for n in DepthFirstScanner(graph).all_nodes(graph)]
    ['12', '11', '8', '7', '5', '3', '2', '10', '9', '6']
    """

    __slots__ = ("_stack", "_visited")

    def __init__(self, graph: FlowGraph | Run | None = None) -> None:
        super().__init__(graph)
        self._stack: list[FlowNode] = []
        self._visited: set[str] = set()

    def _reset(self) -> None:
        self._stack = []
        self._visited = set()

    def _set_heads(self, heads: list[FlowNode]) -> bool:
        stack = self._stack
        stack.extend(reversed(heads))
        first = stack.pop()
        self._current = first
        self._next = first
        self._walk = self._depth_first(first, self._step_limit(len(heads)))
        return True

    def _depth_first(self, first: FlowNode, limit: int) -> Iterator[FlowNode]:
        # Hot loop: locals only, identity checks on kinds, one storage read per parent edge.
        get = self._get
        deny = self._deny
        visited = self._visited
        stack = self._stack
        push = stack.append
        pop = stack.pop
        block_start = _BLOCK_START
        flow_start = _FLOW_START
        nxt: FlowNode | None = first
        cur = first
        for _ in range(limit):
            cur = nxt  # type: ignore[assignment]
            parent_ids = cur.parent_ids
            nxt = None
            if len(parent_ids) == 1:
                pid = parent_ids[0]
                if pid not in deny:
                    parent = get(pid)
                    if parent is None:
                        raise NodeNotFoundError(pid, referenced_by=cur.id)
                    kind = parent.kind
                    if kind is block_start or kind is flow_start:
                        if pid not in visited:
                            visited.add(pid)
                            nxt = parent
                    else:
                        nxt = parent
            elif parent_ids:
                for pid in reversed(parent_ids):
                    if pid in deny:
                        continue
                    parent = get(pid)
                    if parent is None:
                        raise NodeNotFoundError(pid, referenced_by=cur.id)
                    kind = parent.kind
                    if (kind is block_start or kind is flow_start) and pid in visited:
                        continue
                    push(parent)
            if nxt is None and stack:
                nxt = pop()
                kind = nxt.kind
                if kind is block_start or kind is flow_start:
                    visited.add(nxt.id)
            self._current = cur
            self._next = nxt
            yield cur
            if nxt is None:
                return
        raise cycle_error(cur, limit)
