"""ForkScanner's multi-head setup: which parallels the heads of a running build are inside.

A running build has one head per running branch. Before walking from them, ForkScanner must
know the parallels those heads are in, innermost first, and which branch tails wait in each
(``reference/scanners.md`` §5, "Multiple heads"). This module reproduces Jenkins'
least-common-ancestor construction step for step, because the walk order of a running build
depends on its quirks:

* each head starts a *segment*; the enclosing block starts of every head (innermost first,
  heads themselves skipped) are consumed round-robin, one per head per pass;
* a head whose next block start is already owned by another piece joins it there: it is added
  to a *fork* owned there, or the owning segment is split into a fork at that node (at its end
  or in its middle);
* every fork becomes a parallel record whose tails are the first nodes of its *leaf* segments,
  in joining order; the records are then ordered inner before outer with the same small stable
  sort Java uses (binary insertion after an initial run), since that comparator is not a total
  order and another sort could give another answer.

The work is O(heads x nesting depth); nothing recurses.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator

from flowgraph.errors import ScanError
from flowgraph.graph import FlowGraph
from flowgraph.node import FlowNode

__all__ = ["ParallelRecord", "fork_records"]


class ParallelRecord:
    """A parallel being walked: its start node and the branch tails still to walk (front first)."""

    __slots__ = ("start", "unvisited")

    def __init__(self, start: FlowNode, unvisited: deque[FlowNode] | None = None) -> None:
        self.start = start
        self.unvisited: deque[FlowNode] = unvisited if unvisited is not None else deque()

    def __repr__(self) -> str:
        return f"ParallelRecord(start={self.start.id!r}, unvisited={[n.id for n in self.unvisited]!r})"


class _Segment:
    """A run of nodes with no fork in it, newest first."""

    __slots__ = ("after", "is_leaf", "visited")

    def __init__(self, first: FlowNode | None = None, *, is_leaf: bool = True) -> None:
        self.visited: list[FlowNode] = [first] if first is not None else []
        self.after: _Segment | _Fork | None = None
        self.is_leaf = is_leaf


class _Fork:
    """A block start where pieces meet; ``following`` are the pieces that continue after it."""

    __slots__ = ("following", "start")

    def __init__(self, start: FlowNode) -> None:
        self.start = start
        self.following: list[_Segment | _Fork] = []


def _split(segment: _Segment, owners: dict[str, _Segment | _Fork], join: FlowNode, joining: _Segment | _Fork) -> _Fork:
    """Make ``join`` (a node of ``segment``) a fork that ``joining`` follows too."""
    index = -1
    for i in range(len(segment.visited) - 1, -1, -1):
        if segment.visited[i].id == join.id:
            index = i
            break
    fork = _Fork(join)
    if index < 0:
        raise ScanError(f"cannot split the walk of the heads at node {join.id}: it is not in the segment")
    if index == len(segment.visited) - 1:
        fork.following.append(segment)
        fork.following.append(joining)
        del segment.visited[index]
    elif index == 0:
        raise ScanError(f"heads meet at node {join.id} in a way no flow graph allows: a cycle, or heads on one branch")
    else:
        newer = _Segment()
        newer.after = segment.after
        newer.visited.extend(segment.visited[:index])
        fork.following.append(newer)
        fork.following.append(joining)
        segment.after = fork
        segment.is_leaf = False
        del segment.visited[: index + 1]
        for node in newer.visited:
            owners[node.id] = newer
    owners[join.id] = fork
    return fork


def fork_records(graph: FlowGraph, heads: list[FlowNode]) -> list[ParallelRecord]:
    """The parallel records for several heads, innermost first (Jenkins' ``leastCommonAncestor``).

    Raises
    ------
    ScanError
        The heads never meet in a common block (not branches of one running build).
    """
    head_ids = {h.id for h in heads}
    owners: dict[str, _Segment | _Fork] = {}
    iterators: list[Iterator[FlowNode]] = []
    pieces: list[_Segment | _Fork] = []
    forks: list[_Fork] = []
    for head in heads:
        iterators.append(n for n in graph.iterate_enclosing_blocks(head) if n.id not in head_ids)
        segment = _Segment(head)
        pieces.append(segment)
        owners[head.id] = segment

    merged_all = False
    while not merged_all and iterators:
        i = 0
        while i < len(iterators):
            piece = pieces[i]
            block_start = next(iterators[i], None)
            if block_start is None:
                del iterators[i]
                del pieces[i]
                continue
            existing = owners.get(block_start.id)
            if existing is None:
                if isinstance(piece, _Segment):
                    piece.visited.append(block_start)
                    owners[block_start.id] = piece
                else:
                    before = _Segment(block_start, is_leaf=False)
                    before.after = piece
                    pieces[i] = before
                    owners[block_start.id] = before
                i += 1
                continue
            if isinstance(existing, _Fork):
                existing.following.append(piece)
            else:
                fork = _split(existing, owners, block_start, piece)
                if any(p is existing for p in fork.following):
                    where = next((j for j, p in enumerate(pieces) if p is existing), None)
                    if where is None:
                        raise ScanError(f"heads {sorted(head_ids)} meet at node {block_start.id} out of order")
                    pieces[where] = fork
                forks.append(fork)
            del iterators[i]
            del pieces[i]
            if len(iterators) == 1:
                merged_all = True

    if not forks:
        raise ScanError(f"heads {[h.id for h in heads]} share no enclosing parallel: no common ancestor found")

    records = [
        ParallelRecord(f.start, deque(p.visited[0] for p in f.following if isinstance(p, _Segment) and p.is_leaf))
        for f in forks
    ]
    enclosing: dict[str, set[str]] = {r.start.id: set(graph.all_enclosing_ids(r.start)) for r in records}

    def inner_first(a: ParallelRecord, b: ParallelRecord) -> int:
        if b.start.id in enclosing[a.start.id]:
            return -1
        if a.start.id in enclosing[b.start.id]:
            return 1
        return 0

    _java_small_sort(records, inner_first)
    return records


def _java_small_sort(items: list[ParallelRecord], compare: Callable[[ParallelRecord, ParallelRecord], int]) -> None:
    """Sort in place exactly as Java's TimSort sorts short arrays: one initial run, then binary insertion.

    The comparator (inner parallel before outer, unrelated ones equal) is not transitive, so the
    result depends on the algorithm; this reproduces Java's for fewer than 32 records (and
    applies the same rule to longer lists, which Jenkins would merge in runs instead).
    """
    n = len(items)
    if n < 2:
        return
    run_end = 1
    if compare(items[1], items[0]) < 0:
        run_end = 2
        while run_end < n and compare(items[run_end], items[run_end - 1]) < 0:
            run_end += 1
        items[:run_end] = items[:run_end][::-1]
    else:
        run_end = 2
        while run_end < n and compare(items[run_end], items[run_end - 1]) >= 0:
            run_end += 1
    for start in range(run_end, n):
        pivot = items[start]
        left, right = 0, start
        while left < right:
            mid = (left + right) >> 1
            if compare(pivot, items[mid]) < 0:
                right = mid
            else:
                left = mid + 1
        items[left + 1 : start + 1] = items[left:start]
        items[left] = pivot
