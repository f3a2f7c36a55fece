"""The node-storage contract every backend (memory, per-node XML, bulk XML, SQL) implements.

It follows Jenkins' ``FlowNodeStorage``: nodes are stored by id, writes may be held in a write
cache, and **a stored node is not durable until it is flushed**. A graph never assumes more.

Examples
--------
>>> from flowgraph import FlowNode, NodeKind, MemoryNodeStorage
>>> store = MemoryNodeStorage()
>>> store.store_node(FlowNode("2", NodeKind.FLOW_START), delay=True)
>>> store.is_persisted_fully()
False
>>> store.flush(); store.is_persisted_fully()
True
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from enum import Enum
from types import TracebackType

from flowgraph.node import FlowNode

__all__ = ["NodeStorage", "Durability"]


class Durability(Enum):
    """Jenkins' durability hints: how much a storage writes, and how safely, before it returns.

    * ``PERFORMANCE_OPTIMIZED``: write rarely (bulk, at the end); a crash loses the run's state.
    * ``SURVIVABLE_NONATOMIC``: write every step, without the temporary-file-and-rename dance.
    * ``MAX_SURVIVABILITY``: write every step atomically and durably (fsync).
    """

    PERFORMANCE_OPTIMIZED = "PERFORMANCE_OPTIMIZED"
    SURVIVABLE_NONATOMIC = "SURVIVABLE_NONATOMIC"
    MAX_SURVIVABILITY = "MAX_SURVIVABILITY"

    @property
    def persist_with_every_step(self) -> bool:
        """Jenkins' ``isPersistWithEveryStep``: per-node storage, written as each node is stored."""
        return self is not Durability.PERFORMANCE_OPTIMIZED

    @property
    def atomic_writes(self) -> bool:
        return self is Durability.MAX_SURVIVABILITY


class NodeStorage(ABC):
    """Where a flow graph's nodes live.

    Implementations must be safe to read while nodes are being appended by the same thread,
    and must raise only :class:`~flowgraph.errors.StorageError` subclasses.
    """

    @abstractmethod
    def get_node(self, node_id: str) -> FlowNode | None:
        """The node with this id, or None if there is none."""

    @abstractmethod
    def store_node(self, node: FlowNode, *, delay: bool = False) -> None:
        """Store (or re-store, after its actions changed) a node.

        With ``delay=True`` the write may stay in the write cache until :meth:`flush`.
        """

    @abstractmethod
    def flush(self) -> None:
        """Make every stored node durable."""

    def flush_node(self, node: FlowNode) -> None:
        """Make one node durable (default: flush everything)."""
        self.flush()

    @abstractmethod
    def is_persisted_fully(self) -> bool:
        """True when no stored node is waiting in the write cache."""

    @abstractmethod
    def node_ids(self) -> Iterator[str]:
        """Every stored node id, in storage order (creation order for the built-in backends)."""

    @abstractmethod
    def __len__(self) -> int:
        """Number of stored nodes."""

    def __contains__(self, node_id: object) -> bool:
        return isinstance(node_id, str) and self.get_node(node_id) is not None

    def iter_nodes(self) -> Iterator[FlowNode]:
        """Every stored node, in storage order."""
        for node_id in self.node_ids():
            node = self.get_node(node_id)
            if node is not None:
                yield node

    def bulk_reader(self) -> Callable[[str], FlowNode | None]:
        """A node lookup for hot loops that read many nodes in a row (a scanner's walk).

        By default it is :meth:`get_node`. A storage may hand out something faster that skips
        its per-read bookkeeping; callers then report how many reads they made through it with
        :meth:`note_reads`, so counters stay exact.
        """
        return self.get_node

    def note_reads(self, count: int) -> None:
        """Account for ``count`` reads made through :meth:`bulk_reader` (default: nothing to do)."""
        return None

    def close(self) -> None:
        """Flush and release resources; the default only flushes."""
        self.flush()

    def __enter__(self) -> NodeStorage:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
