"""ForkScanner: parallel-aware walk that keeps each parallel's branches together.

Use it when blocks must come out in order (``reference/scanners.md`` §5). For a completed
build or a single head it guarantees: every node exactly once; every branch of a parallel
before the parallel's start; every block end before its start; branches **last declared
first**. With several heads (a running build) the walk starts at the parallels the heads are
in (see :mod:`scanners._fork_heads`) and visits the **first head first**; Jenkins documents
anomalies there with nested parallels (duplicates, skips), which this port reproduces rather
than fixes, so results stay comparable.

The scanner classifies nodes for parallels (:class:`NodeType`) and tracks, one node ahead,
the parallel being walked: right after a node is handed out, :attr:`ForkScanner.current_type`
is that node's role and :attr:`ForkScanner.next_type` the look-ahead's.
:meth:`ForkScanner.visit_simple_chunks` (in :mod:`scanners.chunk_walk`) builds chunk callbacks
on that state.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol, overload

from flowgraph.errors import ScanError
from flowgraph.graph import FlowGraph
from flowgraph.node import FlowNode, NodeKind
from flowgraph.run import Run
from scanners._fork_heads import ParallelRecord, fork_records
from scanners.base import FlowScanner, Heads, NodeRefs, cycle_error
from scanners.chunk_walk import visit_simple_chunks
from scanners.chunks import ChunkFinder
from scanners.parallels import NodeType, is_branch_start, is_parallel_end, is_parallel_start, node_type

if TYPE_CHECKING:
    from scanners.visitors import SimpleChunkVisitor

__all__ = ["ForkScanner"]

_FLOW_END = NodeKind.FLOW_END


class _VisitSimpleChunks:
    """``visit_simple_chunks`` on the class (set up a new scanner) and on an instance.

    * ``ForkScanner.visit_simple_chunks(heads, visitor, finder, denylist=())``: a new scanner
      walks from ``heads`` (a graph, a run, or nodes with ``graph=``).
    * ``scanner.visit_simple_chunks(visitor, finder)``: continue this scanner's walk.
    * ``scanner.visit_simple_chunks(heads, visitor, finder, denylist=())``: set this scanner up,
      then walk.

    Nothing is visited when setup fails (no heads, all denied).
    """

    @overload
    def __get__(self, obj: None, owner: type[ForkScanner]) -> _StaticVisit: ...

    @overload
    def __get__(self, obj: ForkScanner, owner: type[ForkScanner]) -> _BoundVisit: ...

    def __get__(self, obj: ForkScanner | None, owner: type[ForkScanner]) -> _StaticVisit | _BoundVisit:
        if obj is None:
            return _visit_from_heads
        return _BoundVisitImpl(obj)


class _StaticVisit(Protocol):
    def __call__(
        self,
        heads: Heads,
        visitor: SimpleChunkVisitor,
        finder: ChunkFinder,
        denylist: NodeRefs = (),
        *,
        graph: FlowGraph | Run | None = None,
    ) -> None: ...


class _BoundVisit(Protocol):
    @overload
    def __call__(self, visitor: SimpleChunkVisitor, finder: ChunkFinder, /) -> None: ...

    @overload
    def __call__(
        self, heads: Heads, visitor: SimpleChunkVisitor, finder: ChunkFinder, /, denylist: NodeRefs = ()
    ) -> None: ...


def _visit_from_heads(
    heads: Heads,
    visitor: SimpleChunkVisitor,
    finder: ChunkFinder,
    denylist: NodeRefs = (),
    *,
    graph: FlowGraph | Run | None = None,
) -> None:
    scanner = ForkScanner(graph)
    if scanner.setup(heads, denylist):
        visit_simple_chunks(scanner, visitor, finder)


class _BoundVisitImpl:
    __slots__ = ("_scanner",)

    def __init__(self, scanner: ForkScanner) -> None:
        self._scanner = scanner

    def __call__(self, *args: Any, denylist: NodeRefs = ()) -> None:
        scanner = self._scanner
        if len(args) == 2:
            visit_simple_chunks(scanner, args[0], args[1])
        elif len(args) in (3, 4):
            deny = args[3] if len(args) == 4 else denylist
            if scanner.setup(args[0], deny):
                visit_simple_chunks(scanner, args[1], args[2])
        else:
            raise TypeError("visit_simple_chunks takes (visitor, finder) or (heads, visitor, finder[, denylist])")


class ForkScanner(FlowScanner):
    """Walks every node, keeping each parallel's branches together, block ends before starts.

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
    >>> [n.id for n in ForkScanner(graph).all_nodes(graph)]
    ['12', '11', '10', '9', '6', '8', '7', '5', '3', '2']
    """

    __slots__ = ("_parallel", "_stack", "current_type", "head_ids", "next_type", "walking_from_finish")

    def __init__(self, graph: FlowGraph | Run | None = None) -> None:
        super().__init__(graph)
        self._parallel: ParallelRecord | None = None
        self._stack: list[ParallelRecord] = []  # enclosing parallels, innermost at the end
        self.head_ids: frozenset[str] = frozenset()
        self.current_type: NodeType | None = None
        self.next_type: NodeType | None = None
        self.walking_from_finish = False

    visit_simple_chunks = _VisitSimpleChunks()

    # -- state ---------------------------------------------------------------------------

    @property
    def current_parallel_start(self) -> FlowNode | None:
        """The start node of the parallel being walked, if any."""
        return self._parallel.start if self._parallel is not None else None

    @property
    def parallel_depth(self) -> int:
        """How many parallels deep the walk is (0 outside any)."""
        return 0 if self._parallel is None else 1 + len(self._stack)

    def current_parallel_heads(self) -> list[FlowNode]:
        """The branch tails of the current parallel still to walk, then the current node."""
        ends = list(self._parallel.unvisited) if self._parallel is not None else []
        if self._current is not None:
            ends.append(self._current)
        return ends

    def get_node_type(self, node: FlowNode | None) -> NodeType | None:
        """The node's role for parallels (see :func:`node_type`), read through this scanner's graph."""
        if self.graph is None:
            raise ScanError("get_node_type needs the scanner's graph; set the scanner up first")
        return node_type(self.graph, node)

    # -- setup ---------------------------------------------------------------------------

    def _reset(self) -> None:
        self._parallel = None
        self._stack = []
        self.head_ids = frozenset()

    def _set_heads(self, heads: list[FlowNode]) -> bool:
        assert self.graph is not None
        if len(heads) > 1:
            self.head_ids = frozenset(h.id for h in heads)
            records = fork_records(self.graph, heads)
            self._parallel = records[0]
            self._stack = records[:0:-1]  # the next record to pop sits at the end
            first = self._parallel.unvisited.popleft()
            kind = self.get_node_type(first)
            self.next_type = NodeType.PARALLEL_BRANCH_END if kind is NodeType.NORMAL else kind
            self.walking_from_finish = False
        else:
            first = heads[0]
            self.walking_from_finish = first.kind is _FLOW_END
            if is_parallel_end(self.graph, first):
                self.next_type = NodeType.PARALLEL_END
            elif is_parallel_start(first):
                self.next_type = NodeType.PARALLEL_START
            else:
                self.next_type = NodeType.NORMAL
        self.current_type = None
        self._current = first
        self._next = first
        self._walk = self._fork_walk(first, self._step_limit(len(heads)))
        return True

    # -- the walk ------------------------------------------------------------------------

    def _fork_walk(self, first: FlowNode, limit: int) -> Iterator[FlowNode]:
        nxt: FlowNode | None = first
        cur = first
        step = self._step
        for _ in range(limit):
            self.current_type = self.next_type
            cur = nxt  # type: ignore[assignment]
            self._current = cur
            nxt = step(cur)
            self._next = nxt
            yield cur
            if nxt is None:
                return
        raise cycle_error(cur, limit)

    def _hit_parallel_end(self, end: FlowNode, parents: list[FlowNode]) -> FlowNode | None:
        """Entering a parallel from its end: the last declared branch first, the others queued."""
        assert end.start_id is not None
        deny = self._deny
        branches = deque(p for p in reversed(parents) if p.id not in deny)
        if not branches:
            return None
        record = ParallelRecord(self._fetch(end.start_id, end.id))
        output = branches.popleft()
        record.unvisited = branches
        if self._parallel is not None:
            self._stack.append(self._parallel)
        self._parallel = record
        return output

    def _hit_parallel_start(self, parent: FlowNode) -> FlowNode | None:
        """Leaving a branch at its parallel start: the start once every branch is walked."""
        record = self._parallel
        if record is None:
            return parent  # began inside a branch (single head): no branches to track
        if record.unvisited:
            return None
        output = record.start
        self._parallel = self._stack.pop() if self._stack else None
        return output if output.id not in self._deny else None

    def _step(self, current: FlowNode) -> FlowNode | None:
        graph = self.graph
        assert graph is not None
        parent_ids = current.parent_ids
        if len(parent_ids) == 1:
            parent = self._fetch(parent_ids[0], current.id)
            record = self._parallel
            if (record is not None and parent.id == record.start.id) or is_parallel_start(parent):
                found = self._hit_parallel_start(parent)
                if found is not None:
                    self.next_type = NodeType.PARALLEL_START
                    return found
            else:
                if is_parallel_end(graph, current):
                    self._hit_parallel_end(current, [parent])  # a one-branch parallel
                self.next_type = node_type(graph, parent)
                if parent.id not in self._deny:
                    return parent
        elif parent_ids:
            if not is_parallel_end(graph, current):
                raise ScanError(f"node {current.id} has {len(parent_ids)} parents but is not the end of a parallel")
            parents = [self._fetch(pid, current.id) for pid in parent_ids]
            found = self._hit_parallel_end(current, parents)
            if found is not None:
                self.next_type = NodeType.PARALLEL_BRANCH_END
                return found
        record = self._parallel
        if record is not None and record.unvisited:
            tail = record.unvisited.popleft()
            self.next_type = NodeType.PARALLEL_BRANCH_START if is_branch_start(tail) else NodeType.PARALLEL_BRANCH_END
            return tail
        self.next_type = None
        return None
