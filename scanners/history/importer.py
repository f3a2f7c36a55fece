"""Importing runs into the warehouse: incremental, streamed, per-job tasks, on Dask when asked.

The driver streams :func:`~flowgraph.jenkins.iter_runs` one job at a time (or the executions of
a SQL store, named ``<job>#<number>`` as ``flowgraph import`` writes them). For each job it
reads the job's manifest and ``stat``\\ s every ``build.xml``: a run whose file has the same size
and modification time as last time, and that was complete then, is *unchanged*; every other run
(new, changed, or running last time) is imported again. The job's runs to import are cut into
chunks; each chunk is one task, :func:`import_chunk`, which loads and analyses its runs one at a
time, writes one Parquet part per table for the job, and returns only the small manifest
entries. When the last task of a job is back, the driver removes re-imported runs' old rows and
writes the job's new manifest.

Tasks run in this process (the embedded default), or on a Dask ``distributed`` cluster: a
``LocalCluster`` of ``workers`` processes, or an existing scheduler. Workers write their parts
themselves, so the warehouse must be a path every worker sees (a shared file system). At most a
few tasks per worker are in flight, so neither the driver nor the cluster ever holds all runs.

A run that cannot be loaded or analysed becomes a row of the ``errors`` table (its typed error
and the file at fault) and never stops the import.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from flowgraph.jenkins.runs import RunRef, iter_runs, load_run
from flowgraph.loading import load
from scanners.history.extract import TableBatch
from scanners.history.warehouse import ManifestEntry, drop_runs, new_part_id, read_manifest, write_manifest, write_part

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["ImportReport", "ChunkResult", "import_chunk", "import_runs", "WorkItem", "CHUNK_SIZE"]

CHUNK_SIZE = 250
"""Runs per task (and per Parquet part): big enough that per-task overhead vanishes."""


class ImportReport(NamedTuple):
    """What an import did: runs imported, runs unchanged since the last import, runs that failed.

    ``failed`` runs are imported too, as rows of the ``errors`` table.
    """

    imported: int
    unchanged: int
    failed: int


class WorkItem(NamedTuple):
    """One run to import: its build directory (or SQL URL), number and the change key seen before.

    The change key is ``build.xml``'s size and modification time; for a run in a SQL store, its
    execution's ``iota`` (node counter) and ``updated_ms``.
    """

    build_dir: str
    number: int
    size: int
    mtime_ns: int


@dataclass
class ChunkResult:
    """What one task hands back: the manifest entries of its runs and its counts."""

    job: str
    part: str
    entries: list[ManifestEntry]
    imported: int
    failed: int


def import_chunk(root: str, job: str, part: str, items: list[WorkItem]) -> ChunkResult:
    """Load, analyse and write one chunk of a job's runs as part ``part`` (runs on any worker)."""
    batch = TableBatch()
    entries: list[ManifestEntry] = []
    imported = failed = 0
    for item in items:
        try:
            if _is_sql(item.build_dir):
                run = load(item.build_dir)
                run.name, run.number = job, item.number
            else:
                run = load_run(item.build_dir, name=job, number=item.number)
            batch.add_run(run, build_dir=item.build_dir)
            complete = not run.running
            imported += 1
        except Exception as exc:  # a damaged run, whatever broke, is recorded and never stops the import
            batch.add_error(job, item.number, item.build_dir, exc)
            complete = True
            failed += 1
        entries.append(ManifestEntry(item.build_dir, job, item.number, item.size, item.mtime_ns, complete, part))
    write_part(root, job, part, batch.tables())
    return ChunkResult(job, part, entries, imported, failed)


@dataclass
class _JobState:
    manifest: dict[str, ManifestEntry]
    pending: int
    results: list[ChunkResult] = field(default_factory=list)


class _Found(NamedTuple):
    job: str
    number: int
    key: str
    size: int
    mtime_ns: int


_SQL_SCHEMES = ("sqlite", "postgresql", "postgres", "mysql")
_SQL_SUFFIXES = (".db", ".sqlite", ".sqlite3")


def _is_sql(source: str) -> bool:
    """A SQL URL (``sqlite:///runs.db``, ``postgresql://…``) or a SQLite file, as :func:`flowgraph.load` reads."""
    scheme, sep, _ = source.partition("://")
    if sep:
        return scheme.lower().split("+")[0] in _SQL_SCHEMES
    return source.split("#", 1)[0].lower().endswith(_SQL_SUFFIXES)


def _stat(ref: RunRef) -> tuple[int, int]:
    try:
        info = os.stat(ref.build_dir / "build.xml")
    except OSError:
        return -1, -1
    return info.st_size, info.st_mtime_ns


def _sql_runs(source: str) -> Iterator[_Found]:
    """The executions of a SQL store, by job: ``<job>#<number>`` ids (``flowgraph import``'s) are split."""
    from flowgraph.storage.sql import list_executions, split_url

    base, _ = split_url(source)
    found: list[_Found] = []
    for index, execution in enumerate(list_executions(base)):
        name = str(execution.id)
        job, sep, digits = name.rpartition("#")
        number = int(digits) if sep and digits.isdigit() else index + 1
        key = f"{base}#{name}"
        found.append(_Found(job if sep else name, number, key, execution.iota, execution.updated_ms or 0))
    found.sort(key=lambda f: (f.job, f.number))
    yield from found


def _found_runs(source: str | os.PathLike[str]) -> Iterator[_Found]:
    """Every run under ``source`` with its change key, one job after another."""
    text = os.fspath(source)
    if _is_sql(text) and not Path(text).is_dir():
        yield from _sql_runs(text)
        return
    for ref in iter_runs(source):
        size, mtime_ns = _stat(ref)
        yield _Found(ref.job, ref.number, str(Path(ref.build_dir).absolute()), size, mtime_ns)


def _plan(
    root: str, found: Iterable[_Found], chunk_size: int, counts: list[int]
) -> Iterator[tuple[str, dict[str, ManifestEntry], list[list[WorkItem]]]]:
    """Per job: its manifest and the chunks of runs to import (``counts[1]`` counts unchanged ones)."""
    for job, job_runs in groupby(found, key=lambda run: run.job):
        manifest = read_manifest(root, job)
        todo: list[WorkItem] = []
        for run in job_runs:
            old = manifest.get(run.key)
            if old is not None and old.complete and old.size == run.size and old.mtime_ns == run.mtime_ns:
                counts[1] += 1
                continue
            todo.append(WorkItem(run.key, run.number, run.size, run.mtime_ns))
        yield job, manifest, [todo[i : i + chunk_size] for i in range(0, len(todo), chunk_size)]


def _finish_job(root: str, job: str, state: _JobState) -> None:
    """Drop re-imported runs' old rows, then record the job's new manifest."""
    manifest = dict(state.manifest)
    stale: dict[str, list[int]] = {}
    for result in state.results:
        for entry in result.entries:
            old = manifest.get(entry.build_dir)
            if old is not None and old.part != entry.part:
                stale.setdefault(old.part, []).append(old.number)
            manifest[entry.build_dir] = entry
    for part, numbers in stale.items():
        drop_runs(root, job, part, numbers)
    write_manifest(root, job, manifest.values())


def import_runs(
    source: str | os.PathLike[str],
    root: str | os.PathLike[str],
    *,
    client: Client | None = None,
    chunk_size: int = CHUNK_SIZE,
    progress: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Bring the warehouse at ``root`` up to date with every run under ``source``.

    ``source`` is a ``JENKINS_HOME``, a folder, a job or a build directory, or a SQL store
    (``sqlite:///runs.db``, a ``.db`` file, ``postgresql://…``) of runs.

    ``client`` (a ``distributed.Client``) runs the tasks on its cluster; without one they run
    here, one after the other. ``progress`` is called with the running totals after each task.
    """
    warehouse = str(Path(root).absolute())
    Path(warehouse).mkdir(parents=True, exist_ok=True)
    counts = [0, 0, 0]  # imported, unchanged, failed
    states: dict[str, _JobState] = {}

    def report() -> ImportReport:
        return ImportReport(counts[0], counts[1], counts[2])

    def collect(result: ChunkResult) -> None:
        counts[0] += result.imported
        counts[2] += result.failed
        state = states[result.job]
        state.results.append(result)
        state.pending -= 1
        if state.pending == 0:
            _finish_job(warehouse, result.job, states.pop(result.job))
        if progress is not None:
            progress(report())

    plan = _plan(warehouse, _found_runs(source), max(1, chunk_size), counts)
    if client is None:
        for job, manifest, chunks in plan:
            if chunks:
                states[job] = _JobState(manifest, len(chunks))
                for chunk in chunks:
                    collect(import_chunk(warehouse, job, new_part_id(), chunk))
            elif progress is not None:
                progress(report())
        return report()
    _run_on_cluster(client, warehouse, plan, states, collect)
    return report()


def _run_on_cluster(
    client: Client,
    warehouse: str,
    plan: Iterator[tuple[str, dict[str, ManifestEntry], list[list[WorkItem]]]],
    states: dict[str, _JobState],
    collect: Callable[[ChunkResult], None],
) -> None:
    """Submit the plan's tasks to a Dask cluster, a bounded window at a time, collecting as they finish."""
    import distributed

    as_completed: Any = distributed.as_completed
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    window = 3 * workers
    finished: Any = as_completed()
    in_flight = 0
    for job, manifest, chunks in plan:
        if not chunks:
            continue
        states[job] = _JobState(manifest, len(chunks))
        for chunk in chunks:
            while in_flight >= window:
                collect(next(finished).result())
                in_flight -= 1
            finished.add(client.submit(import_chunk, warehouse, job, new_part_id(), chunk, pure=False))
            in_flight += 1
    for future in finished:
        collect(future.result())
