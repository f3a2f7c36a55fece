"""Chunk visits: turn a ForkScanner walk into chunk and parallel callbacks.

:func:`visit_simple_chunks` is Jenkins' ``ForkScanner.visitSimpleChunks`` (``reference/scanners.md``
§5): for every node of the walk, with ``prev`` the node handed out just before (None for the
first) and ``nxt`` the scanner's look-ahead, it fires

1. the chunk callbacks the :class:`~scanners.ChunkFinder` asks for (or ``atom_node`` when the
   node is no boundary), then
2. the parallel callbacks for the node's :class:`~scanners.NodeType`.

If the walk started from several heads, the visitor first hears ``parallel_end`` for the
innermost running parallel with its newest running tail. The visitor receives the scanner with
every call, so it can look at ``current_type``, ``next_type`` or ``parallel_depth``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowgraph.node import FlowNode, NodeKind
from scanners.chunks import ChunkFinder
from scanners.parallels import NodeType, find_last_running_node

if TYPE_CHECKING:
    from scanners.fork import ForkScanner
    from scanners.visitors import SimpleChunkVisitor

__all__ = ["visit_simple_chunks", "fire_chunk_callbacks", "fire_parallel_callbacks"]

_BLOCK_END = NodeKind.BLOCK_END
_FLOW_END = NodeKind.FLOW_END


def fire_chunk_callbacks(
    nxt: FlowNode | None,
    cur: FlowNode,
    prev: FlowNode | None,
    visitor: SimpleChunkVisitor,
    finder: ChunkFinder,
    scanner: ForkScanner,
) -> None:
    """Chunk boundaries at ``cur``; an atom when there is none."""
    boundary = False
    if prev is None and finder.is_start_inside_chunk():
        visitor.chunk_end(cur, None, scanner)
        boundary = True
        if finder.is_chunk_start(cur, None):
            visitor.chunk_start(cur, nxt, scanner)
    else:
        if finder.is_chunk_start(cur, prev):
            visitor.chunk_start(cur, nxt, scanner)
            boundary = True
        if finder.is_chunk_end(cur, prev):
            visitor.chunk_end(cur, prev, scanner)
            boundary = True
    if not boundary:
        visitor.atom_node(nxt, cur, prev, scanner)


def fire_parallel_callbacks(
    nxt: FlowNode | None,
    cur: FlowNode,
    prev: FlowNode | None,
    visitor: SimpleChunkVisitor,
    scanner: ForkScanner,
) -> None:
    """Parallel callbacks for ``cur``'s role (``scanner.current_type``)."""
    role = scanner.current_type
    if role is NodeType.NORMAL or role is None:
        return
    graph = scanner.graph
    assert graph is not None
    pstart = scanner.current_parallel_start
    is_end = cur.kind is _BLOCK_END or cur.kind is _FLOW_END
    if role is NodeType.PARALLEL_END:
        if pstart is not None:
            visitor.parallel_end(pstart, cur, scanner)
        elif is_end:
            visitor.parallel_end(graph.start_of(cur), cur, scanner)
    elif role is NodeType.PARALLEL_START:
        assert prev is not None
        visitor.parallel_start(cur, prev, scanner)
    elif role is NodeType.PARALLEL_BRANCH_END:
        if pstart is not None:
            visitor.parallel_branch_end(pstart, cur, scanner)
        elif is_end:
            # the end of a one-branch parallel: its start's parent is the parallel start
            branch_start = graph.start_of(cur)
            visitor.parallel_branch_end(graph.node(branch_start.parent_ids[0]), cur, scanner)
    else:  # PARALLEL_BRANCH_START
        parallel_start = nxt if scanner.next_type is NodeType.PARALLEL_START else pstart
        if cur.id in scanner.head_ids:
            # a head that is itself a branch start: it is also that branch's (running) end
            visitor.parallel_branch_end(parallel_start, cur, scanner)  # type: ignore[arg-type]
        if parallel_start is None:
            parallel_start = graph.node(cur.parent_ids[0])
        visitor.parallel_branch_start(parallel_start, cur, scanner)


def visit_simple_chunks(scanner: ForkScanner, visitor: SimpleChunkVisitor, finder: ChunkFinder) -> None:
    """Run ``scanner`` (already set up) to its end, firing ``visitor``'s callbacks.

    A :class:`~scanners.ChunkFinder` without a graph borrows the scanner's for the walk.
    """
    lent = isinstance(finder, ChunkFinder) and finder.graph is None
    if lent:
        finder.graph = scanner.graph
    try:
        pstart = scanner.current_parallel_start
        if pstart is not None:
            last = find_last_running_node(scanner.current_parallel_heads())
            if last is not None:
                visitor.parallel_end(pstart, last, scanner)
        while True:
            current, lookahead = scanner.current, scanner.next_node
            if lookahead is None:
                return
            prev = current if current is not None and current.id != lookahead.id else None
            cur = next(scanner)
            nxt = scanner.next_node
            fire_chunk_callbacks(nxt, cur, prev, visitor, finder, scanner)
            fire_parallel_callbacks(nxt, cur, prev, visitor, scanner)
    finally:
        if lent:
            finder.graph = None
