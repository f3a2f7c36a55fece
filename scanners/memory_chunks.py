"""Chunks held in memory: a run of nodes with the nodes around it, and parallels of them.

A *chunk* is a piece of the flow (a stage, a block, a branch) known by its first and last node
and, for status and timing, the node just before it and just after it (None at the edges of the
run). :class:`MemoryFlowChunk` is a plain mutable record of those four nodes plus the time spent
paused; :class:`ParallelMemoryFlowChunk` adds named branches, kept in insertion order.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from flowgraph.node import FlowNode

__all__ = ["MemoryFlowChunk", "ParallelMemoryFlowChunk"]


class MemoryFlowChunk:
    """A chunk: ``node_before``, ``first_node``, ``last_node``, ``node_after``, ``pause_time_millis``.

    Examples
    --------
    >>> from flowgraph import FlowNode, NodeKind
    >>> a, b = FlowNode("2", NodeKind.FLOW_START), FlowNode("3", NodeKind.ATOM, ("2",))
    >>> chunk = MemoryFlowChunk(None, a, b, None)
    >>> chunk.first_node.id, chunk.last_node.id, chunk.node_after, chunk.pause_time_millis
    ('2', '3', None, 0)
    """

    __slots__ = ("first_node", "last_node", "node_after", "node_before", "pause_time_millis")

    def __init__(
        self,
        node_before: FlowNode | None = None,
        first_node: FlowNode | None = None,
        last_node: FlowNode | None = None,
        node_after: FlowNode | None = None,
    ) -> None:
        self.node_before = node_before
        self.first_node = first_node
        self.last_node = last_node
        self.node_after = node_after
        self.pause_time_millis = 0

    def copy(self) -> MemoryFlowChunk:
        """A separate chunk with the same nodes and pause time."""
        other = MemoryFlowChunk(self.node_before, self.first_node, self.last_node, self.node_after)
        other.pause_time_millis = self.pause_time_millis
        return other

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, MemoryFlowChunk)
        return _ids(self) == _ids(other) and self.pause_time_millis == other.pause_time_millis

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        before, first, last, after = _ids(self)
        return (
            f"{type(self).__name__}(before={before!r}, first={first!r}, last={last!r}, after={after!r}, "
            f"pause_ms={self.pause_time_millis})"
        )


def _ids(chunk: MemoryFlowChunk) -> tuple[str | None, ...]:
    nodes = (chunk.node_before, chunk.first_node, chunk.last_node, chunk.node_after)
    return tuple(n.id if n is not None else None for n in nodes)


class ParallelMemoryFlowChunk(MemoryFlowChunk):
    """A parallel's chunk plus its branches by name, in the order they were first set.

    Examples
    --------
    >>> from flowgraph import FlowNode, NodeKind
    >>> start, end = FlowNode("4", NodeKind.ATOM, ("3",)), FlowNode("13", NodeKind.ATOM, ("4",))
    >>> par = ParallelMemoryFlowChunk(None, start, end, None)
    >>> par.set_branch("b", MemoryFlowChunk()); par.set_branch("a", MemoryFlowChunk())
    >>> list(par.branches)
    ['b', 'a']
    """

    __slots__ = ("_branches",)

    def __init__(
        self,
        node_before: FlowNode | None = None,
        first_node: FlowNode | None = None,
        last_node: FlowNode | None = None,
        node_after: FlowNode | None = None,
    ) -> None:
        super().__init__(node_before, first_node, last_node, node_after)
        self._branches: dict[str, MemoryFlowChunk] = {}

    def set_branch(self, name: str, chunk: MemoryFlowChunk) -> None:
        """Set (or replace, keeping its position) the chunk of branch ``name``."""
        self._branches[name] = chunk

    @property
    def branches(self) -> Mapping[str, MemoryFlowChunk]:
        """Read-only live view of the branches, in insertion order."""
        return MappingProxyType(self._branches)

    def copy(self) -> ParallelMemoryFlowChunk:
        other = ParallelMemoryFlowChunk(self.node_before, self.first_node, self.last_node, self.node_after)
        other.pause_time_millis = self.pause_time_millis
        other._branches = dict(self._branches)
        return other

    def __eq__(self, other: object) -> bool:
        result = super().__eq__(other)
        if result is not True:
            return result
        assert isinstance(other, ParallelMemoryFlowChunk)
        return list(self._branches.items()) == list(other._branches.items())
