"""The runs a store holds, each loadable on its own, so one damaged run never hides the others.

A *store* is a ``JENKINS_HOME`` (or a folder, a job, a build directory) or a SQL database of
runs. :func:`catalog` lists its runs as :class:`RunEntry` items without loading any flow graph:
for Jenkins files the summary comes from each ``build.xml`` alone, for SQL from the execution
records. :meth:`RunEntry.load` then loads one run; a damaged run raises its own typed error
(or, with ``on_corrupt="placeholder"``, loads with stand-ins for what is broken).

Examples
--------
>>> import os, tempfile
>>> from render.example import example_run
>>> from flowgraph.jenkins.runs import save_run
>>> home = tempfile.mkdtemp()
>>> save_run(example_run(), os.path.join(home, "jobs", "app", "builds", "3"))
>>> [(e.job, e.number, e.result) for e in catalog(home)]
[('app', 3, 'UNSTABLE')]
>>> catalog(home)[0].load().number
3
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flowgraph.errors import FlowGraphError, StorageError
from flowgraph.run import Run

if TYPE_CHECKING:
    from flowgraph.jenkins.runs import OnCorrupt

__all__ = ["RunEntry", "catalog", "group_by_job", "last_per_job", "iso_time", "job_headings"]


@dataclass(slots=True)
class RunEntry:
    """One run of a store: its job, build number, what the store says of it, and how to load it.

    ``error`` is set when even the summary could not be read (e.g. a damaged ``build.xml``);
    the entry still stands for the run, so listings and stage views can name the problem.
    ``home`` is where the job lives (the JENKINS_HOME directory, or the database URL): two
    homes may both have a job ``app``, and those are different jobs.
    """

    job: str
    number: int | None
    source: str
    home: str = ""
    result: str | None = None
    start_ms: int | None = None
    duration_ms: int | None = None
    running: bool | None = None
    error: str | None = None
    _build_dir: Path | None = field(default=None, repr=False)

    @property
    def label(self) -> str:
        """``job #number`` as the stage view and listings show it."""
        return f"{self.job} #{self.number}" if self.number is not None else self.job

    def load(self, *, on_corrupt: OnCorrupt = "raise") -> Run:
        """The run itself (see :func:`render.sources.open_run`); damage raises a typed error naming it."""
        if self._build_dir is not None:
            from flowgraph.jenkins.runs import load_run

            return load_run(self._build_dir, on_corrupt=on_corrupt, name=self.job, number=self.number)
        from render.sources import open_run

        return open_run(self.source, on_corrupt=on_corrupt)

    def problem(self, error: FlowGraphError) -> str:
        """``job#number (where): ErrorType: message``, as every multi-run path names a damaged run."""
        from flowgraph.jenkins.load_report import LoadProblem

        where = self._build_dir if self._build_dir is not None else Path(self.source)
        return str(LoadProblem(self.job, self.number or 0, where, error))

    def as_dict(self) -> dict[str, Any]:
        """Plain values for JSON or CSV: times as ISO 8601 (UTC) next to the raw milliseconds."""
        return {
            "home": self.home,
            "job": self.job,
            "number": self.number,
            "result": self.result,
            "running": self.running,
            "start": iso_time(self.start_ms),
            "start_ms": self.start_ms,
            "duration_ms": self.duration_ms,
            "source": self.source,
            "error": self.error,
        }


def iso_time(ms: int | None) -> str | None:
    """Epoch milliseconds as ``2024-05-01T10:00:00Z`` (``None`` stays ``None``)."""
    if ms is None:
        return None
    return _dt.datetime.fromtimestamp(ms / 1000, tz=_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def catalog(store: str | os.PathLike[str]) -> list[RunEntry]:
    """Every run in ``store`` (a JENKINS_HOME, folder, job or build directory, or a SQL URL/file).

    Sorted by job, then build number. A single run source (a JSON file, a build directory)
    gives one entry.

    Raises
    ------
    StorageError
        Nothing at ``store`` holds runs.
    """
    from render.sources import has_builds, is_sql

    text = os.fspath(store)
    path = Path(text)
    if is_sql(text):
        return _sql_entries(text)
    if path.is_dir() and (has_builds(path) or (path / "build.xml").is_file()):
        from flowgraph.jenkins.runs import iter_runs

        entries = [_build_entry(ref.job, ref.number, ref.build_dir) for ref in iter_runs(path)]
        if not entries:
            raise StorageError(f"{text}: no Pipeline builds found under it", path=text)
        return sorted(entries, key=_key)
    if not path.exists():
        raise StorageError(f"{text}: no such file or directory", path=text)
    entry = RunEntry(path.stem, None, text)
    try:
        run = entry.load()
    except FlowGraphError as exc:
        entry.error = str(exc)
        return [entry]
    entry.job, entry.number = run.name or entry.job, run.number
    entry.result = run.result.name if run.result is not None else None
    entry.start_ms, entry.duration_ms, entry.running = run.start_ms, run.duration_ms, run.running
    return [entry]


def _build_entry(job: str, number: int, build_dir: Path) -> RunEntry:
    from flowgraph.jenkins.build_xml import read_build_xml

    entry = RunEntry(job, number, str(build_dir), home=_home_of(build_dir, job), _build_dir=build_dir)
    try:
        record = read_build_xml(build_dir / "build.xml")
    except FlowGraphError as exc:
        entry.error = entry.problem(exc)
        return entry
    entry.result = record.result.name if record.result is not None else None
    entry.start_ms = record.start_ms if record.start_ms is not None else record.timestamp_ms
    entry.running = not record.completed if record.completed is not None else record.result is None
    entry.duration_ms = record.duration_ms if not entry.running else None
    return entry


def _home_of(build_dir: Path, job: str) -> str:
    """The JENKINS_HOME a build lives in: above ``jobs/<a>/jobs/<b>/builds/<n>`` (or the job's parent)."""
    job_dir = build_dir.parent.parent
    levels = job.count("/") + 1
    home = job_dir
    for _ in range(levels):
        home = home.parent.parent if home.parent.name in ("jobs", "branches") else home.parent
    return str(home)


def _sql_entries(spec: str) -> list[RunEntry]:
    from flowgraph.storage.sql import list_executions, split_url

    base, wanted = split_url(spec)
    entries = []
    for execution in list_executions(base):
        if wanted is not None and execution.id != wanted:
            continue
        name = execution.name or execution.id or "run"
        job, number = name, None
        if "#" in name and name.rsplit("#", 1)[1].isdigit():
            job, digits = name.rsplit("#", 1)
            number = int(digits)
        done = bool(execution.done)
        duration = None
        if done and execution.updated_ms is not None and execution.created_ms is not None:
            duration = execution.updated_ms - execution.created_ms
        entries.append(
            RunEntry(
                job,
                number,
                f"{base}#{execution.id}",
                home=base,
                result=execution.result.name if execution.result is not None and done else None,
                start_ms=execution.created_ms,
                duration_ms=duration,
                running=not done,
            )
        )
    return sorted(entries, key=_key)


def _key(entry: RunEntry) -> tuple[str, str, int]:
    return entry.job, entry.home, entry.number or 0


def group_by_job(entries: Iterable[RunEntry]) -> dict[tuple[str, str], list[RunEntry]]:
    """Entries per job (keyed by job name and home), jobs in name order, each job's runs oldest first."""
    groups: dict[tuple[str, str], list[RunEntry]] = {}
    for entry in sorted(entries, key=_key):
        groups.setdefault((entry.job, entry.home), []).append(entry)
    return groups


def job_headings(keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """A heading per job: its name, plus its home's name where two homes have a job of that name."""
    keys = list(keys)
    homes: dict[str, set[str]] = {}
    for job, home in keys:
        homes.setdefault(job, set()).add(home)
    return {(job, home): job if len(homes[job]) == 1 else f"{job} ({Path(home).name or home})" for job, home in keys}


def last_per_job(entries: Iterable[RunEntry], last: int | None) -> list[RunEntry]:
    """Only the newest ``last`` runs of each job (all when ``last`` is None)."""
    kept: list[RunEntry] = []
    for runs in group_by_job(entries).values():
        kept.extend(runs if last is None else runs[-last:] if last > 0 else [])
    return kept
