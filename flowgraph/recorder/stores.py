"""Run stores: a node storage plus the execution record beside it, opened from a URL or a path.

The recorder needs two things from a storage: the nodes, and the execution record (heads,
persisted_clean, done, the factory…). A :class:`RunStore` pairs them and keeps rule 2 of seed
000: :meth:`RunStore.save_execution` makes every stored node durable *before* (or, for SQL, in
the same transaction as) the record.

* ``memory:`` / ``memory://name`` — :class:`MemoryRunStore` (named ones live for the process).
* ``sqlite:///runs.db#id``, ``postgresql://…#id``, or a ``.db``/``.sqlite`` path — :class:`SqlRunStore`.
* any other path — :class:`XmlRunStore`: a Jenkins build directory (``build.xml``,
  ``workflow/<id>.xml``, ``log``, ``log-index``) plus ``flowgraph-execution.json`` for what
  ``build.xml`` has no place for (the factory and its arguments, metadata, times).

Examples
--------
>>> store = open_store("memory://doc-example")
>>> store.load_execution() is None, open_store("memory://doc-example") is store
(True, True)
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar

from flowgraph.errors import FormatError, StorageError
from flowgraph.execution import FlowExecution
from flowgraph.graph import FlowGraph
from flowgraph.storage.base import Durability, NodeStorage
from flowgraph.storage.files import read_file
from flowgraph.storage.memory import MemoryNodeStorage
from flowgraph.storage.paths import inside
from flowgraph.storage.sql import SqlNodeStorage, split_url
from flowgraph.storage.xml_dir import XmlDirNodeStorage, write_bytes

__all__ = ["RunStore", "MemoryRunStore", "SqlRunStore", "XmlRunStore", "open_store"]


class RunStore(ABC):
    """A run's node storage and execution record."""

    storage: NodeStorage
    url: str
    log_dir: Path | None = None

    @abstractmethod
    def load_execution(self) -> FlowExecution | None:
        """The saved record, or None when the run was never saved."""

    @abstractmethod
    def save_execution(self, execution: FlowExecution) -> None:
        """Flush the nodes, then save the record (rule 2: a record never names unflushed nodes)."""

    def flush(self) -> None:
        self.storage.flush()

    def close(self) -> None:
        self.storage.close()

    def release(self) -> None:  # noqa: B027 - optional hook, nothing to free by default
        """Free resources *without* flushing (after a failure: the write cache is abandoned)."""

    @property
    def record_every_step(self) -> bool:
        """Whether saving the record with every step is cheap (one transaction with the nodes)."""
        return False


class MemoryRunStore(RunStore):
    """Nodes and record in this process (nothing survives it); the test double."""

    _named: ClassVar[dict[str, MemoryRunStore]] = {}
    _lock = threading.Lock()

    def __init__(self, name: str | None = None) -> None:
        self.storage: MemoryNodeStorage = MemoryNodeStorage()
        self.url = f"memory://{name}" if name else "memory:"
        self._record: dict[str, object] | None = None

    @classmethod
    def named(cls, name: str) -> MemoryRunStore:
        with cls._lock:
            store = cls._named.get(name)
            if store is None:
                store = cls._named[name] = cls(name)
            return store

    def load_execution(self) -> FlowExecution | None:
        return FlowExecution.from_dict(self._record) if self._record is not None else None

    def save_execution(self, execution: FlowExecution) -> None:
        self.storage.flush()
        self._record = execution.to_dict()

    @property
    def record_every_step(self) -> bool:
        return True

    def close(self) -> None:
        self.storage.flush()


class SqlRunStore(RunStore):
    """One run of a SQL database: nodes, step details and record, each save one transaction."""

    def __init__(self, url: str | Path, execution_id: str | None = None, *, durability: Durability) -> None:
        base, fragment = split_url(url)
        self.execution_id = execution_id or fragment or uuid.uuid4().hex
        self.storage: SqlNodeStorage = SqlNodeStorage(base, self.execution_id, durability=durability)
        self.url = f"{self.storage.url}#{self.execution_id}"
        database = self.storage.engine.url.database
        if self.storage.engine.url.get_backend_name() == "sqlite" and database:
            # The id becomes a directory: "team/app#5" nests, "../../x" is refused (never written).
            parts = self.execution_id.split("/")
            self.log_dir = inside(Path(f"{database}.logs"), *parts, what="execution id", source=self.url)

    def load_execution(self) -> FlowExecution | None:
        return self.storage.load_execution()

    def save_execution(self, execution: FlowExecution) -> None:
        self.storage.save_execution(execution)

    def release(self) -> None:
        self.storage.engine.dispose()

    @property
    def record_every_step(self) -> bool:
        return True


class XmlRunStore(RunStore):
    """A Jenkins build directory: ``build.xml`` + per-node ``workflow/`` files + the run's log.

    Under ``MAX_SURVIVABILITY`` the node files are durable as each step completes, but
    ``build.xml`` is rewritten only at the start, the end and on resume (a rewrite is two more
    fsyncs per step); loading a run that is not done therefore takes its heads and open block
    starts from the nodes themselves (the nodes nobody follows), which are never older than the
    record.
    """

    RECORD_FILE = "flowgraph-execution.json"

    def __init__(self, build_dir: str | os.PathLike[str], *, durability: Durability) -> None:
        self.build_dir = Path(build_dir)
        self.storage: XmlDirNodeStorage = XmlDirNodeStorage(self.build_dir / "workflow", durability=durability)
        self.url = str(self.build_dir)
        self.log_dir = self.build_dir
        self.durability = durability

    def load_execution(self) -> FlowExecution | None:
        from flowgraph.jenkins.build_xml import read_build_xml

        build_xml = self.build_dir / "build.xml"
        if not build_xml.exists():
            return None
        record = read_build_xml(build_xml)
        ex = record.execution
        sidecar = self.build_dir / self.RECORD_FILE
        if sidecar.exists():
            try:
                extra = json.loads(read_file(str(sidecar)).decode("utf-8"))
                ex.id = extra.get("id")
                ex.name = extra.get("name")
                ex.factory = extra.get("factory")
                ex.factory_args = list(extra.get("factory_args") or ())
                ex.factory_kwargs = dict(extra.get("factory_kwargs") or {})
                ex.metadata = dict(extra.get("metadata") or {})
                ex.created_ms = extra.get("created_ms")
                ex.updated_ms = extra.get("updated_ms")
            except (OSError, ValueError, TypeError, AttributeError, RecursionError) as exc:
                raise FormatError(f"{sidecar}: cannot read the recorder's record: {exc}", path=str(sidecar)) from exc
        if not ex.done and len(self.storage):
            graph = FlowGraph(self.storage)
            ex.heads = {i + 1: head for i, head in enumerate(graph.head_ids)}
        return ex

    def save_execution(self, execution: FlowExecution) -> None:
        from flowgraph.jenkins.build_xml import write_build_xml

        self.storage.flush()
        atomic = self.durability.atomic_writes
        if execution.created_ms is None or execution.updated_ms is None:
            execution.touch()
        sidecar = {
            "id": execution.id,
            "name": execution.name,
            "factory": execution.factory,
            "factory_args": execution.factory_args,
            "factory_kwargs": execution.factory_kwargs,
            "metadata": execution.metadata,
            "created_ms": execution.created_ms,
            "updated_ms": execution.updated_ms,
        }
        try:
            self.build_dir.mkdir(parents=True, exist_ok=True)
            write_bytes(self.build_dir / self.RECORD_FILE, json.dumps(sidecar, indent=1).encode(), atomic=atomic)
        except (OSError, TypeError, ValueError) as exc:
            raise StorageError(f"{self.build_dir}: cannot save the recorder's record: {exc}", path=self.url) from exc
        duration = (
            (execution.updated_ms - execution.created_ms)
            if execution.done and execution.created_ms is not None and execution.updated_ms is not None
            else 0
        )
        write_build_xml(
            self.build_dir / "build.xml",
            execution,
            result=execution.result if execution.done else None,
            start_ms=execution.created_ms,
            duration_ms=duration,
            completed=execution.done,
            durability=self.durability,
        )


def open_store(
    target: str | os.PathLike[str] | RunStore | None,
    *,
    durability: Durability = Durability.MAX_SURVIVABILITY,
    execution_id: str | None = None,
) -> RunStore:
    """The run store a URL, a path or None (a fresh in-memory store) names."""
    if isinstance(target, RunStore):
        return target
    if target is None:
        return MemoryRunStore()
    text = os.fspath(target)
    if text.startswith("memory:"):
        name = text[len("memory:") :].lstrip("/")
        return MemoryRunStore.named(name) if name else MemoryRunStore()
    scheme = text.split("://", 1)[0] if "://" in text else ""
    if scheme.startswith(("sqlite", "postgresql", "postgres", "mysql")):
        return SqlRunStore(text, execution_id, durability=durability)
    if scheme:
        raise StorageError(
            f"unknown store URL scheme {scheme!r} in {text!r}; use memory:, sqlite:, postgresql: or a path"
        )
    base, fragment = split_url(text)
    if Path(base).suffix in (".db", ".sqlite", ".sqlite3"):
        return SqlRunStore(base, execution_id or fragment, durability=durability)
    return XmlRunStore(text, durability=durability)
