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
        # Most walks deny nothing: they take the lean loop, which skips the deny-list test on
        # every edge (the loops are otherwise the same; a test checks both give the same order).
        if not self._deny:
            return self._depth_first_open(first, limit)
        return self._depth_first_denying(first, limit)

    def _depth_first_open(self, first: FlowNode, limit: int) -> Iterator[FlowNode]:
        """The walk with an empty deny list: the bench's hot loop, kept as lean as Python allows.

        Per node it does one length test, one dict lookup, two identity tests on the kind and two
        slot writes (the look-ahead state). Storage reads are not counted per edge: a node with
        one parent always reads exactly that parent, so the count is the number of steps plus the
        extra reads of multi-parent nodes minus the parentless ones (both rare, counted where
        they happen); the total is reported once when the walk ends or is closed.
        """
        assert self.graph is not None
        storage = self.graph.storage
        get = storage.bulk_reader()
        visited = self._visited
        stack = self._stack
        push = stack.append
        pop = stack.pop
        block_start = _BLOCK_START
        flow_start = _FLOW_START
        nxt: FlowNode | None = first
        cur = first
        step = 0
        adjust = 0  # reads beyond one per step: + extra parents of merges, - parentless nodes
        try:
            for step in range(1, limit + 1):  # noqa: B007 - the final count is the read count
                cur = nxt  # type: ignore[assignment]
                parent_ids = cur.parent_ids
                if len(parent_ids) == 1:
                    pid = parent_ids[0]
                    nxt = get(pid)
                    if nxt is None:
                        raise NodeNotFoundError(pid, referenced_by=cur.id)
                    kind = nxt.kind
                    if kind is block_start or kind is flow_start:
                        if pid in visited:
                            nxt = pop() if stack else None
                            if nxt is not None and (nxt.kind is block_start or nxt.kind is flow_start):
                                visited.add(nxt.id)
                        else:
                            visited.add(pid)
                else:
                    adjust -= 1
                    for pid in reversed(parent_ids):
                        parent = get(pid)
                        adjust += 1
                        if parent is None:
                            raise NodeNotFoundError(pid, referenced_by=cur.id)
                        kind = parent.kind
                        if (kind is block_start or kind is flow_start) and pid in visited:
                            continue
                        push(parent)
                    nxt = pop() if stack else None
                    if nxt is not None and (nxt.kind is block_start or nxt.kind is flow_start):
                        visited.add(nxt.id)
                self._current = cur
                self._next = nxt
                yield cur
                if nxt is None:
                    return
            raise cycle_error(cur, limit)
        finally:
            storage.note_reads(step + adjust)

    def _depth_first_denying(self, first: FlowNode, limit: int) -> Iterator[FlowNode]:
        # The general walk: denied parents are neither read nor walked through.
        # Hot loop: locals only, identity checks on kinds, one storage read per parent edge
        # through the storage's bulk reader; the reads are reported when the walk ends or closes.
        assert self.graph is not None
        storage = self.graph.storage
        get = storage.bulk_reader()
        deny = self._deny
        visited = self._visited
        stack = self._stack
        push = stack.append
        pop = stack.pop
        block_start = _BLOCK_START
        flow_start = _FLOW_START
        nxt: FlowNode | None = first
        cur = first
        reads = 0
        try:
            for _ in range(limit):
                cur = nxt  # type: ignore[assignment]
                parent_ids = cur.parent_ids
                nxt = None
                if len(parent_ids) == 1:
                    pid = parent_ids[0]
                    if pid not in deny:
                        parent = get(pid)
                        reads += 1
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
                        reads += 1
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
        finally:
            storage.note_reads(reads)
