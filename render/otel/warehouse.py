"""Export from a run-history warehouse: only the runs not exported yet, remembered in the warehouse.

A warehouse (:class:`scanners.history.History`) knows every run of a JENKINS_HOME and where its
build directory is. A scheduled ``flowgraph export otel WAREHOUSE`` should send each finished
run once: :class:`ExportLedger` keeps the ``job#number`` keys already sent (with their trace
ids) in ``otel_exports.json`` inside the warehouse, written atomically after each successful
export, and :func:`pending_runs` lists the finished runs that are not in it. Runs still running
at import time are left for a later export; a run whose build directory is gone is reported as
damaged when it is loaded.

Examples
--------
>>> import tempfile
>>> from flowgraph import GraphBuilder
>>> from flowgraph.jenkins import save_run
>>> from scanners.history import History
>>> home, store = tempfile.mkdtemp(), tempfile.mkdtemp()
>>> for n in (1, 2):
...     b = GraphBuilder(start_ms=n * 10_000)
...     with b.stage("Test"):
...         _ = b.step("sh", script="pytest")
...     save_run(b.build(), f"{home}/jobs/app/builds/{n}")
>>> _ = History.build(home, store)
>>> [name for name, _ in pending_runs(store)]
['app#1', 'app#2']
>>> ExportLedger(store).record(["app#1"])
>>> [name for name, _ in pending_runs(store)]
['app#2']
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from flowgraph.errors import StorageError
from flowgraph.run import Run
from render.otel.sources import RunLoader, job_matches

__all__ = ["ExportLedger", "pending_runs", "is_warehouse", "LEDGER_FILE"]

LEDGER_FILE = "otel_exports.json"
"""The file, inside the warehouse, that lists the runs already exported."""


def is_warehouse(path: str | os.PathLike[str]) -> bool:
    """True for a directory that :meth:`scanners.history.History.build` wrote."""
    if not Path(path).is_dir():
        return False
    try:
        from scanners.history import History
    except ImportError:  # the history extra is not installed: it cannot be a warehouse we read
        return False
    try:
        History.open(path)
    except StorageError:
        return False
    return True


class ExportLedger:
    """The ``job#number`` keys of the runs a warehouse has already exported."""

    def __init__(self, warehouse: str | os.PathLike[str]) -> None:
        self.path = Path(warehouse) / LEDGER_FILE
        self.exported: dict[str, str] = {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            raise StorageError(
                f"{self.path}: unreadable export ledger ({exc}); delete it to export every run again",
                path=str(self.path),
            ) from exc
        runs = data.get("exported") if isinstance(data, dict) else None
        if not isinstance(runs, dict):
            raise StorageError(f"{self.path}: not an export ledger (no 'exported' object)", path=str(self.path))
        self.exported = {str(k): str(v) for k, v in runs.items()}

    def __contains__(self, key: object) -> bool:
        return key in self.exported

    def __len__(self) -> int:
        return len(self.exported)

    def record(self, keys: Iterable[str], trace_ids: dict[str, str] | None = None) -> None:
        """Add ``keys`` (with their trace ids in hex, when known) and write the ledger atomically."""
        for key in keys:
            self.exported[key] = (trace_ids or {}).get(key, "")
        temporary = self.path.with_suffix(".json.tmp")
        try:
            temporary.write_text(json.dumps({"exported": self.exported}, indent=0, sort_keys=True), encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError as exc:
            raise StorageError(f"cannot write {self.path}: {exc.strerror or exc}", path=str(self.path)) from exc


def pending_runs(warehouse: str | os.PathLike[str], *, jobs: Sequence[str] | None = None) -> list[RunLoader]:
    """The finished runs of ``warehouse`` that its ledger does not list, oldest job/number first."""
    from scanners.history import History

    ledger = ExportLedger(warehouse)
    runs = History.open(warehouse).runs
    loaders: list[RunLoader] = []
    for job, number, running, build_dir in zip(
        runs["job"], runs["number"], runs["running"], runs["build_dir"], strict=True
    ):
        key = f"{job}#{int(number)}"
        if bool(running) or key in ledger or not job_matches(str(job), jobs):
            continue
        loaders.append((key, _loader(str(build_dir), str(job), int(number))))
    return loaders


def _loader(build_dir: str, job: str, number: int) -> Callable[[], Run]:
    from flowgraph.jenkins import load_run

    return lambda: load_run(build_dir, name=job, number=number)
