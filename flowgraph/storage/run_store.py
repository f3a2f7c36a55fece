"""The run store: the contract every backend implements (nodes + execution record + lease).

A :class:`RunStore` pairs a run's :class:`~flowgraph.storage.base.NodeStorage` with its
execution record (:class:`~flowgraph.FlowExecution`) and its owner. Its rules:

* :meth:`RunStore.save_execution` makes every stored node durable *before* (or, for SQL, in the
  same transaction as) the record, so a record never names a node that a crash could lose;
* a writer (recorder or resume) takes the lease with :meth:`RunStore.acquire_lease` before it
  writes anything, and a second owner gets :class:`~flowgraph.errors.RunLeaseError` naming the
  first; a lease is taken over only when its owner is provably gone;
* reading (:meth:`RunStore.load_run`) takes no lease and never creates anything.

:func:`~flowgraph.storage.registry.open_store` opens one from a URL or a path.

Examples
--------
>>> store = MemoryRunStore()
>>> store.acquire_lease(); store.load_execution() is None
True
>>> store.release_lease()
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from flowgraph.errors import RunLeaseError, StorageError
from flowgraph.execution import FlowExecution
from flowgraph.node import NodeKind
from flowgraph.storage.base import NodeStorage
from flowgraph.storage.lease import LeaseOwner
from flowgraph.storage.memory import MemoryNodeStorage

if TYPE_CHECKING:
    from flowgraph.run import Run

__all__ = ["RunStore", "MemoryRunStore", "NodesRunStore", "run_from_store"]


def run_from_store(storage: NodeStorage, execution: FlowExecution | None, **metadata: Any) -> Run:
    """A :class:`~flowgraph.Run` over stored nodes and (when there is one) their execution record.

    Without a record, the run is finished when every head is a flow end (its result is the end's).
    """
    from flowgraph.graph import FlowGraph
    from flowgraph.run import Run

    graph = FlowGraph(storage, heads=execution.head_ids if execution is not None and execution.heads else None)
    graph.validate()
    if execution is None:
        finished = bool(graph.head_ids) and all(h.kind is NodeKind.FLOW_END for h in graph.heads)
        result = graph.heads[0].result if finished else None
        return Run(graph, result=result, running=not finished, metadata={"storage": type(storage).__name__, **metadata})
    done = execution.done
    duration = (execution.updated_ms or 0) - (execution.created_ms or 0) if done else None
    return Run(
        graph,
        result=execution.result if done else None,
        start_ms=execution.created_ms,
        duration_ms=duration,
        running=not done,
        name=execution.name,
        execution=execution,
        metadata={"storage": type(storage).__name__, **metadata},
    )


class RunStore(ABC):
    """A run's node storage, execution record and lease: the backend contract."""

    storage: NodeStorage
    url: str
    log_dir: Path | None = None
    execution_id: str | None = None

    @abstractmethod
    def load_execution(self) -> FlowExecution | None:
        """The saved record, or None when the run never saved one."""

    @abstractmethod
    def save_execution(self, execution: FlowExecution) -> None:
        """Flush the nodes, then save the record (a record never names unflushed nodes)."""

    @abstractmethod
    def acquire_lease(self) -> None:
        """Become the run's one owner, atomically.

        Raises
        ------
        RunLeaseError
            Another owner holds the run and is not provably gone (the error names it).
        """

    @abstractmethod
    def release_lease(self) -> None:
        """Give the run up (only if this store holds it); safe to call when it does not."""

    @abstractmethod
    def discard_nodes(self) -> None:
        """Drop every stored node of a run that never saved a record (killed before its first record).

        Only an owner calls this, and only when :meth:`load_execution` is None: such nodes were
        never promised to anyone, and dropping them lets a new recording start in their place.
        """

    def load_run(self, **options: Any) -> Run:
        """The stored run, read without taking the lease."""
        return run_from_store(self.storage, self.load_execution(), url=self.url)

    def flush(self) -> None:
        self.storage.flush()

    def close(self) -> None:
        """Flush, give up the lease and free resources."""
        try:
            self.storage.close()
        finally:
            self.release_lease()

    def release(self) -> None:
        """Free resources *without* flushing (after a failure: the write cache is abandoned)."""
        self.release_lease()

    @property
    def record_every_step(self) -> bool:
        """Whether saving the record with every step is cheap (one transaction with the nodes)."""
        return False


class MemoryRunStore(RunStore):
    """Nodes and record in this process (nothing survives it); the reference backend."""

    _named: ClassVar[dict[str, MemoryRunStore]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, name: str | None = None) -> None:
        self.storage: MemoryNodeStorage = MemoryNodeStorage()
        self.url = f"memory://{name}" if name else "memory:"
        self.execution_id = name
        self._record: dict[str, object] | None = None
        self._owner: LeaseOwner | None = None
        self._mine: LeaseOwner | None = None

    @classmethod
    def named(cls, name: str, *, create: bool = True) -> MemoryRunStore:
        """The process-wide store called ``name`` (made on first use when ``create``)."""
        from flowgraph.errors import RunNotFoundError

        with cls._lock:
            store = cls._named.get(name)
            if store is None:
                if not create:
                    raise RunNotFoundError(f"memory://{name}", name, sorted(cls._named)[:5], count=len(cls._named))
                store = cls._named[name] = cls(name)
            return store

    def load_execution(self) -> FlowExecution | None:
        return FlowExecution.from_dict(self._record) if self._record is not None else None

    def save_execution(self, execution: FlowExecution) -> None:
        self.storage.flush()
        self._record = execution.to_dict()

    def acquire_lease(self) -> None:
        with self._lock:
            if self._owner is not None:
                raise RunLeaseError(self.url, self._owner.describe(), " (another recorder or resume in this process)")
            self._owner = self._mine = LeaseOwner.mine()

    def release_lease(self) -> None:
        with self._lock:
            if self._mine is not None and self._owner is self._mine:
                self._owner = None
            self._mine = None

    def discard_nodes(self) -> None:
        self.storage = MemoryNodeStorage()

    @property
    def record_every_step(self) -> bool:
        return True


class NodesRunStore(RunStore):
    """A read-only store over nodes that have no record beside them (a bulk file, a ``workflow`` dir)."""

    def __init__(self, storage: NodeStorage, url: str) -> None:
        self.storage = storage
        self.url = url

    def load_execution(self) -> FlowExecution | None:
        return None

    def _read_only(self) -> StorageError:
        return StorageError(
            f"{self.url}: a node file or directory without a build.xml is read-only here", path=self.url
        )

    def save_execution(self, execution: FlowExecution) -> None:
        raise self._read_only()

    def acquire_lease(self) -> None:
        raise self._read_only()

    def release_lease(self) -> None:
        return None

    def discard_nodes(self) -> None:
        raise self._read_only()
