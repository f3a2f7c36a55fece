"""Run stores on Jenkins' files: a build directory, or nodes alone (a bulk file, a ``workflow`` dir).

:class:`XmlRunStore` is a Jenkins build directory: ``build.xml``, per-node ``workflow/<id>.xml``,
``log`` and ``log-index``, plus ``flowgraph-execution.json`` for what ``build.xml`` has no place
for (the factory and its arguments, metadata, times). Its lease is ``flowgraph.lock`` in the
build directory: created atomically, held with ``flock`` for as long as the owner lives (the
kernel drops it when the owner dies, even after ``kill -9``) and naming the owner's pid and host.
A lock naming another host is never taken over: only an owner on this host can be proven gone.

:func:`open_path_store` is what :func:`~flowgraph.storage.registry.open_store` calls for a plain
path: it recognises a build directory (``build.xml``), a bulk node file (``flowNodeStore.xml``),
a directory holding one, and a per-node directory (``<id>.xml`` files).

Examples
--------
>>> import tempfile
>>> from flowgraph.storage.base import Durability
>>> store = XmlRunStore(tempfile.mkdtemp(), durability=Durability.MAX_SURVIVABILITY)
>>> store.acquire_lease()
>>> other = XmlRunStore(store.build_dir, durability=Durability.MAX_SURVIVABILITY)
>>> other.acquire_lease()  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
flowgraph.errors.RunLeaseError: ...: the run is owned by pid ... on host ...
>>> store.release_lease(); other.acquire_lease(); other.release_lease()
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flowgraph.errors import FormatError, NotRecognizedError, RunLeaseError, RunNotFoundError, StorageError
from flowgraph.execution import FlowExecution
from flowgraph.graph import FlowGraph
from flowgraph.jenkins.build_xml import read_build_xml, write_build_xml
from flowgraph.storage.base import Durability
from flowgraph.storage.bulk_xml import BULK_FILE_NAME, BulkXmlNodeStorage
from flowgraph.storage.files import MAX_FILE_BYTES, open_regular, read_file, write_bytes
from flowgraph.storage.lease import LeaseOwner
from flowgraph.storage.registry import StoreOptions
from flowgraph.storage.run_store import NodesRunStore, RunStore, run_from_store
from flowgraph.storage.xml_dir import XmlDirNodeStorage

if TYPE_CHECKING:
    from flowgraph.run import Run

__all__ = ["XmlRunStore", "open_path_store", "LOCK_FILE"]

LOCK_FILE = "flowgraph.lock"
_BULK_MAP_ROOT = re.compile(rb"\s*(?:<\?xml[^>]*\?>)?\s*<map[\s/>]")  # an older HashMap bulk store


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
        self._lock_fd: int | None = None

    def load_execution(self) -> FlowExecution | None:
        build_xml = self.build_dir / "build.xml"
        if not build_xml.exists():
            return None
        record = read_build_xml(build_xml)
        ex = record.execution
        sidecar = self.build_dir / self.RECORD_FILE
        if sidecar.exists():
            try:
                extra = json.loads(read_file(str(sidecar)).decode("utf-8"))
                if not isinstance(extra, dict):
                    raise ValueError("not a JSON object")
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

    def load_run(self, **options: Any) -> Run:
        """The run as :func:`~flowgraph.jenkins.runs.load_run` reads it; without ``build.xml``, its nodes alone."""
        from flowgraph.jenkins.runs import load_run

        if not (self.build_dir / "build.xml").exists():
            return run_from_store(self.storage, None, url=self.url)
        return load_run(self.build_dir, **options)

    # -- the lease: flowgraph.lock ----------------------------------------------------------

    @property
    def lock_path(self) -> Path:
        return self.build_dir / LOCK_FILE

    def acquire_lease(self) -> None:
        if self._lock_fd is not None:
            return
        path = self.lock_path
        try:
            self.build_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create {self.build_dir}: {exc.strerror or exc}", path=self.url) from exc
        for _attempt in range(10):
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
            except OSError as exc:
                raise StorageError(f"{path}: cannot open the lock file: {exc.strerror or exc}", path=str(path)) from exc
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                owner = self._read_owner(fd)
                os.close(fd)
                raise RunLeaseError(self.url, owner.describe() if owner else "another process") from None
            try:
                if os.fstat(fd).st_ino != os.stat(path, follow_symlinks=False).st_ino:
                    os.close(fd)  # the file we locked was released and unlinked meanwhile: retry
                    continue
            except FileNotFoundError:
                os.close(fd)
                continue
            previous = self._read_owner(fd)
            if previous is not None and previous.host != socket.gethostname():
                os.close(fd)
                raise RunLeaseError(
                    self.url,
                    previous.describe(),
                    f" (its lock {path} names another host, so it cannot be proven gone; "
                    "delete the lock file if that process has ended)",
                )
            # Unlocked on this host: whoever wrote it is gone (the kernel dropped its flock).
            me = LeaseOwner.mine()
            os.ftruncate(fd, 0)
            os.pwrite(fd, me.to_json().encode(), 0)
            if self.durability.atomic_writes:
                os.fsync(fd)
            self._lock_fd = fd
            return
        raise RunLeaseError(self.url, "another process", " (the lock file kept changing under us)")

    def _read_owner(self, fd: int) -> LeaseOwner | None:
        data = os.pread(fd, 4096, 0)
        if not data.strip():
            return None
        try:
            return LeaseOwner.from_json(data.decode("utf-8", "replace"), where=str(self.lock_path))
        except FormatError:
            return None  # a torn write by an owner killed mid-write: nobody holds it

    def release_lease(self) -> None:
        fd, self._lock_fd = self._lock_fd, None
        if fd is None:
            return
        try:
            os.unlink(self.lock_path)  # while still locked: a waiter re-checks the inode
        except OSError:
            pass
        finally:
            os.close(fd)

    def discard_nodes(self) -> None:
        workflow = self.storage.directory
        try:
            if workflow.is_dir():
                shutil.rmtree(workflow)
        except OSError as exc:
            raise StorageError(f"{workflow}: cannot drop the unrecorded nodes: {exc}", path=str(workflow)) from exc
        self.storage = XmlDirNodeStorage(workflow, durability=self.durability)


def open_path_store(target: str, options: StoreOptions) -> RunStore:
    """The store a plain path names: a build directory, a bulk node file or a per-node directory.

    When ``options.create`` is true a path with nothing there becomes a new build directory.
    """
    path = Path(target)
    durability = options.durability or Durability.MAX_SURVIVABILITY
    if options.create and (not path.exists() or path.is_dir()):
        return XmlRunStore(path, durability=durability)
    if path.is_dir():
        if (path / "build.xml").is_file():
            return XmlRunStore(path, durability=durability)
        if (path / "workflow").is_dir() and not (path / "workflow" / BULK_FILE_NAME).exists():
            return XmlRunStore(path, durability=durability)  # killed before its first build.xml
        if (path / BULK_FILE_NAME).is_file():
            return NodesRunStore(BulkXmlNodeStorage(path / BULK_FILE_NAME), target)
        with os.scandir(path) as entries:
            has_nodes = any(e.name.endswith(".xml") for e in entries)
        if has_nodes:
            return NodesRunStore(XmlDirNodeStorage(path), target)
        raise NotRecognizedError(f"{path}: no build.xml, {BULK_FILE_NAME} or node files here", path=target)
    if path.exists():  # a file, or a special file that the type check below names
        if path.name == "build.xml":
            return XmlRunStore(path.parent, durability=durability)
        try:  # the type is checked before reading: a FIFO must not hang the sniffing
            fd = open_regular(str(path), MAX_FILE_BYTES)
            try:
                head = os.read(fd, 4096)
            finally:
                os.close(fd)
        except OSError as exc:
            raise StorageError(f"{path}: cannot read: {exc.strerror or exc}", path=target) from exc
        if b"<linked-hash-map" in head or _BULK_MAP_ROOT.match(head):
            return NodesRunStore(BulkXmlNodeStorage(path), target)
        if b"<Tag" in head or b"SimpleXStreamFlowNodeStorage_-Tag" in head:
            return NodesRunStore(XmlDirNodeStorage(path.parent), target)
        raise NotRecognizedError(f"{path}: not a build.xml, bulk node store or flow-node file", path=target)
    raise RunNotFoundError(target, "", detail="no such file or directory")
