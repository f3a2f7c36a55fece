"""The ``.json`` run store: a run file written by :func:`render.networkx_io.save_run_json`.

Registered with :func:`flowgraph.storage.registry.open_store` for the ``.json`` suffix by an
entry point (``flowgraph.stores``), so ``flowgraph.load("run.json")`` and every command read it.
It is read-only: a recorder writes to a store that can hold a lease.

Examples
--------
>>> import os, tempfile
>>> from flowgraph import load
>>> from render.example import example_run
>>> from render.networkx_io import save_run_json
>>> path = os.path.join(tempfile.mkdtemp(), "run.json")
>>> save_run_json(example_run(), path)
>>> load(path).result.name
'UNSTABLE'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flowgraph.errors import StorageError
from flowgraph.execution import FlowExecution
from flowgraph.run import Run
from flowgraph.storage.registry import StoreOptions
from flowgraph.storage.run_store import RunStore
from render.networkx_io import load_run_json

__all__ = ["JsonRunStore", "open_json_store"]


class JsonRunStore(RunStore):
    """A run in one JSON file; read whole on first use."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self.url = path
        self._run: Run | None = None

    @property
    def run(self) -> Run:
        if self._run is None:
            self._run = load_run_json(self.path)
        return self._run

    @property
    def storage(self) -> Any:  # type: ignore[override]
        return self.run.graph.storage

    def load_execution(self) -> FlowExecution | None:
        execution = self.run.execution
        return execution if isinstance(execution, FlowExecution) else None

    def load_run(self, **options: Any) -> Run:
        return self.run

    def _read_only(self) -> StorageError:
        return StorageError(f"{self.url}: a .json run file is read-only; record into a directory or a database")

    def save_execution(self, execution: FlowExecution) -> None:
        raise self._read_only()

    def acquire_lease(self) -> None:
        raise self._read_only()

    def release_lease(self) -> None:
        return None

    def discard_nodes(self) -> None:
        raise self._read_only()


def open_json_store(target: str, options: StoreOptions) -> RunStore:
    """The :data:`~flowgraph.storage.registry.ENTRY_POINTS` factory for ``.json`` paths."""
    if options.create:
        raise StorageError(f"{target}: a .json run file is read-only; record into a directory or a database")
    if not Path(target).is_file():
        raise StorageError(f"{target}: no such file", path=target)
    return JsonRunStore(target)
