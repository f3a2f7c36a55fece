"""The in-memory node storage: the fastest backend, and the reference for the contract.

It keeps the write-cache contract honestly: a node stored with ``delay=True`` counts as not
persisted until :meth:`MemoryNodeStorage.flush`. ``reads`` counts :meth:`get_node` calls so that
tests can assert how many times an algorithm touched the storage (complexity, not time); hot
loops may read through :meth:`MemoryNodeStorage.bulk_reader` and add their count afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from flowgraph.node import FlowNode
from flowgraph.storage.base import NodeStorage

__all__ = ["MemoryNodeStorage"]


class MemoryNodeStorage(NodeStorage):
    """Nodes in a dict, in insertion order.

    Examples
    --------
    >>> from flowgraph import FlowNode, NodeKind
    >>> store = MemoryNodeStorage([FlowNode("2", NodeKind.FLOW_START)])
    >>> len(store), "2" in store, store.get_node("9")
    (1, True, None)
    """

    __slots__ = ("_nodes", "_pending", "reads")

    def __init__(self, nodes: Iterable[FlowNode] = ()) -> None:
        self._nodes: dict[str, FlowNode] = {}
        self._pending: set[str] = set()
        self.reads = 0
        for node in nodes:
            self._nodes[node.id] = node

    def get_node(self, node_id: str) -> FlowNode | None:
        self.reads += 1
        return self._nodes.get(node_id)

    def bulk_reader(self) -> Callable[[str], FlowNode | None]:
        """The dict lookup itself: no per-read counting (callers add their reads via :meth:`note_reads`)."""
        return self._nodes.get

    def note_reads(self, count: int) -> None:
        self.reads += count

    def store_node(self, node: FlowNode, *, delay: bool = False) -> None:
        self._nodes[node.id] = node
        if delay:
            self._pending.add(node.id)
        else:
            self._pending.discard(node.id)

    def flush(self) -> None:
        self._pending.clear()

    def flush_node(self, node: FlowNode) -> None:
        self._pending.discard(node.id)

    def is_persisted_fully(self) -> bool:
        return not self._pending

    def node_ids(self) -> Iterator[str]:
        return iter(list(self._nodes))

    def iter_nodes(self) -> Iterator[FlowNode]:
        return iter(list(self._nodes.values()))

    def __len__(self) -> int:
        return len(self._nodes)

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._nodes
