"""Chunk finders: where a chunk (a stage, a block, a labelled piece) starts and ends.

A finder answers three questions while a :class:`~scanners.ForkScanner` walks backwards
(``reference/scanners.md`` §6): does a chunk surround the head already
(:meth:`ChunkFinder.is_start_inside_chunk`), does the current node start one, does it end one
(boundaries inclusive; ``previous`` is the node visited just before, i.e. chronologically
*later*). :meth:`~scanners.ForkScanner.visit_simple_chunks` turns the answers into callbacks.

* :class:`BlockChunkFinder`: every block is a chunk (the flow start and end included).
* :class:`LabelledChunkFinder`: any node with a label starts a chunk (stages, branch names).
* :class:`StageChunkFinder`: stages only, block-scoped and legacy (pipeline-graph-analysis).
* :class:`NoOpChunkFinder`: never a boundary, so every node is an atom.

Finders that need a block end's start node read it through their ``graph``; when used by a
scanner without one, the scanner lends them its graph for the walk.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from flowgraph.actions import LabelAction, StageAction
from flowgraph.errors import ScanError
from flowgraph.graph import FlowGraph
from flowgraph.node import FlowNode, NodeKind
from flowgraph.steps import STAGE_STEP

__all__ = ["ChunkFinder", "BlockChunkFinder", "LabelledChunkFinder", "StageChunkFinder", "NoOpChunkFinder"]

_BLOCK_START = NodeKind.BLOCK_START
_FLOW_START = NodeKind.FLOW_START
_BLOCK_END = NodeKind.BLOCK_END
_FLOW_END = NodeKind.FLOW_END


class ChunkFinder(ABC):
    """Decides chunk boundaries during a backwards walk.

    Parameters
    ----------
    graph
        Where to read block ends' start nodes; lent by the scanner when None.
    """

    __slots__ = ("graph",)

    def __init__(self, graph: FlowGraph | None = None) -> None:
        self.graph = graph

    @abstractmethod
    def is_start_inside_chunk(self) -> bool:
        """True if the walk begins inside a chunk (the head's chunk has no end node yet)."""

    @abstractmethod
    def is_chunk_start(self, current: FlowNode, previous: FlowNode | None) -> bool:
        """True if ``current`` is the first node of a chunk."""

    @abstractmethod
    def is_chunk_end(self, current: FlowNode, previous: FlowNode | None) -> bool:
        """True if ``current`` is the last node of a chunk."""

    def start_of(self, end: FlowNode) -> FlowNode:
        """The start node of block end ``end``, read through :attr:`graph`."""
        if self.graph is None:
            raise ScanError(f"{type(self).__name__} needs a graph to find the start of block end {end.id}")
        return self.graph.start_of(end)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class BlockChunkFinder(ChunkFinder):
    """Every block is a chunk: block starts start one, block ends end one (flow start/end too).

    Examples
    --------
    >>> from flowgraph import FlowNode, NodeKind
    >>> f = BlockChunkFinder()
    >>> f.is_chunk_start(FlowNode("2", NodeKind.FLOW_START), None), f.is_start_inside_chunk()
    (True, False)
    """

    __slots__ = ()

    def is_start_inside_chunk(self) -> bool:
        return False

    def is_chunk_start(self, current: FlowNode, previous: FlowNode | None) -> bool:
        kind = current.kind
        return kind is _BLOCK_START or kind is _FLOW_START

    def is_chunk_end(self, current: FlowNode, previous: FlowNode | None) -> bool:
        kind = current.kind
        return kind is _BLOCK_END or kind is _FLOW_END


class LabelledChunkFinder(ChunkFinder):
    """Chunks start at labelled nodes and end at the end of a labelled block or before a label.

    A node ends a chunk when it is a block end whose start has a label, or when the node
    visited just before it (chronologically next) has one.
    """

    __slots__ = ()

    def is_start_inside_chunk(self) -> bool:
        return True

    def is_chunk_start(self, current: FlowNode, previous: FlowNode | None) -> bool:
        return current.has_action(LabelAction)

    def is_chunk_end(self, current: FlowNode, previous: FlowNode | None) -> bool:
        if previous is None:
            return False
        kind = current.kind
        if (kind is _BLOCK_END or kind is _FLOW_END) and self.is_chunk_start(self.start_of(current), None):
            return True
        return self.is_chunk_start(previous, None)


class StageChunkFinder(ChunkFinder):
    """Stages as chunks, block-scoped and legacy (the pipeline-graph-analysis plugin's finder).

    A chunk starts at a ``stage`` body start with a label, or at a legacy ``stage`` marker atom
    (one with a StageAction); it ends at a ``stage`` block end whose start has a label, or at
    the node just before a stage start.

    Examples
    --------
    >>> from flowgraph import GraphBuilder
    >>> b = GraphBuilder()
    >>> body = b.begin_stage("Build")
    >>> marker = b.legacy_stage("Old")
    >>> f = StageChunkFinder(b.graph)
    >>> f.is_chunk_start(body, None), f.is_chunk_start(b.graph.node("3"), None), f.is_chunk_start(marker, None)
    (True, False, True)
    """

    __slots__ = ()

    def is_start_inside_chunk(self) -> bool:
        return True

    def is_chunk_start(self, current: FlowNode, previous: FlowNode | None) -> bool:
        kind = current.kind
        if kind is _BLOCK_END or kind is _FLOW_END:
            return False
        descriptor = current.descriptor_id
        if descriptor is not None and descriptor != STAGE_STEP:
            return False  # a step node of another step: cheaper than looking at actions
        if kind is _BLOCK_START and descriptor is not None:
            return current.has_action(LabelAction)
        return current.has_action(StageAction)

    def is_chunk_end(self, current: FlowNode, previous: FlowNode | None) -> bool:
        if current.kind is _BLOCK_END and current.descriptor_id == STAGE_STEP:
            return self.start_of(current).has_action(LabelAction)
        if previous is not None:
            return self.is_chunk_start(previous, None)
        return False


class NoOpChunkFinder(ChunkFinder):
    """Never a chunk boundary: every node of the walk becomes an atom (useful in tests)."""

    __slots__ = ()

    def is_start_inside_chunk(self) -> bool:
        return False

    def is_chunk_start(self, current: FlowNode, previous: FlowNode | None) -> bool:
        return False

    def is_chunk_end(self, current: FlowNode, previous: FlowNode | None) -> bool:
        return False
