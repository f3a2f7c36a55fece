"""Visitor contracts: one node at a time, or chunk boundaries from a ForkScanner walk.

* :class:`FlowNodeVisitor`: ``visit(node) -> bool``; False stops
  :meth:`~scanners.FlowScanner.visit_all` (any callable taking a node works too).
* :class:`SimpleChunkVisitor`: the callbacks :meth:`~scanners.ForkScanner.visit_simple_chunks`
  fires, Jenkins' names in snake case with Jenkins' argument order
  (``reference/scanners.md`` §5 and §6). The walk runs from the newest node backwards, so a chunk's
  end arrives before its start, and "before" means chronologically earlier (the node the walk
  reaches *next*), "after" chronologically later (the node visited *just before*). Every method
  has a no-op default: subclass and override only what you need.
* :class:`StandardChunkVisitor`: collects one :class:`~scanners.MemoryFlowChunk` at a time and
  hands each finished chunk to :meth:`StandardChunkVisitor.handle_chunk_done`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from flowgraph.node import FlowNode
from scanners.memory_chunks import MemoryFlowChunk

if TYPE_CHECKING:
    from scanners.fork import ForkScanner

__all__ = ["FlowNodeVisitor", "SimpleChunkVisitor", "StandardChunkVisitor"]


@runtime_checkable
class FlowNodeVisitor(Protocol):
    """Receives each node of a walk; returning False stops the walk after this node."""

    def visit(self, node: FlowNode) -> bool: ...


class SimpleChunkVisitor(Protocol):
    """Callbacks for chunk and parallel boundaries met by a :class:`~scanners.ForkScanner` walk.

    A node gets either :meth:`atom_node` or one or more of :meth:`chunk_start` /
    :meth:`chunk_end`, never both kinds; parallel callbacks come after the chunk ones.
    """

    def chunk_start(self, start_node: FlowNode, before_chunk: FlowNode | None, scanner: ForkScanner) -> None:
        """``start_node`` begins a chunk; ``before_chunk`` is the walk's look-ahead (may be in another branch)."""
        return None

    def chunk_end(self, end_node: FlowNode, after_chunk: FlowNode | None, scanner: ForkScanner) -> None:
        """``end_node`` ends a chunk; ``after_chunk`` is the node visited just before (None at the head)."""
        return None

    def parallel_start(self, parallel_start_node: FlowNode, branch_node: FlowNode, scanner: ForkScanner) -> None:
        """The walk reached a parallel's start; ``branch_node`` is the branch start visited just before."""
        return None

    def parallel_end(self, parallel_start_node: FlowNode, parallel_end_node: FlowNode, scanner: ForkScanner) -> None:
        """The walk entered a parallel at ``parallel_end_node`` (for a running one: its newest tail)."""
        return None

    def parallel_branch_start(
        self, parallel_start_node: FlowNode, branch_start_node: FlowNode, scanner: ForkScanner
    ) -> None:
        """A branch's start node was reached."""
        return None

    def parallel_branch_end(
        self, parallel_start_node: FlowNode, branch_end_node: FlowNode, scanner: ForkScanner
    ) -> None:
        """A branch's last node (its end, or a running tail) was reached."""
        return None

    def atom_node(
        self, before: FlowNode | None, atom_node: FlowNode, after: FlowNode | None, scanner: ForkScanner
    ) -> None:
        """``atom_node`` is inside a chunk; ``before`` is the look-ahead, ``after`` the previous node."""
        return None


class StandardChunkVisitor(SimpleChunkVisitor):
    """Collects simple, non-nested chunks; override :meth:`handle_chunk_done` to use each one.

    The same :class:`~scanners.MemoryFlowChunk` object is reused for every chunk: copy it
    (:meth:`~scanners.MemoryFlowChunk.copy`) if you keep it. Parallel callbacks and atoms are
    ignored.

    Examples
    --------
    >>> from flowgraph import GraphBuilder
    >>> from scanners import ForkScanner, StageChunkFinder
    >>> b = GraphBuilder()
    >>> with b.stage("Build"):
    ...     _ = b.step("sh", script="make")
    >>> with b.stage("Test"):
    ...     _ = b.step("sh", script="pytest")
    >>> class Stages(StandardChunkVisitor):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.found = []
    ...     def handle_chunk_done(self, chunk):
    ...         self.found.append((chunk.first_node.label, chunk.first_node.id, chunk.last_node.id))
    >>> visitor = Stages()
    >>> graph = b.build().graph
    >>> ForkScanner.visit_simple_chunks(graph, visitor, StageChunkFinder())
    >>> visitor.found
    [('Test', '9', '11'), ('Build', '4', '6')]
    """

    def __init__(self) -> None:
        self.chunk = MemoryFlowChunk()

    def handle_chunk_done(self, chunk: MemoryFlowChunk) -> None:
        """Called with each completed chunk (no-op by default)."""
        return None

    def reset_chunk(self, chunk: MemoryFlowChunk) -> None:
        """Empty the chunk for the next one."""
        chunk.first_node = None
        chunk.last_node = None
        chunk.node_before = None
        chunk.node_after = None
        chunk.pause_time_millis = 0

    def chunk_start(self, start_node: FlowNode, before_chunk: FlowNode | None, scanner: ForkScanner) -> None:
        self.chunk.node_before = before_chunk
        self.chunk.first_node = start_node
        self.handle_chunk_done(self.chunk)
        self.reset_chunk(self.chunk)

    def chunk_end(self, end_node: FlowNode, after_chunk: FlowNode | None, scanner: ForkScanner) -> None:
        self.chunk.last_node = end_node
        self.chunk.node_after = after_chunk
