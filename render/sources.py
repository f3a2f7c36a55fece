"""Where the command line finds runs, and where ``flowgraph import`` puts them.

A *run source* is what a user types after ``flowgraph info``:

* a JSON file written by :func:`render.networkx_io.save_run_json` (``flowgraph demo`` writes one);
* a SQL database of runs: a URL (``sqlite:///runs.db#job#7``, ``postgresql://…#id``) or a
  ``.db``/``.sqlite`` file path, with ``#<execution id>`` unless it holds a single run;
* anything :func:`flowgraph.load` opens: a Jenkins build directory (``…/builds/7``), a bulk
  ``flowNodeStore.xml``, a per-node ``workflow`` directory, or a registered URL.

:func:`open_runs` also accepts a whole ``JENKINS_HOME``, folder or job directory and yields
each Pipeline build under it. :func:`import_runs` copies runs into a SQL database (one
execution per run, id ``<job>#<number>``) or into a directory laid out like a JENKINS_HOME
(``jobs/<job>/builds/<n>``, Jenkins' own XML format).

Examples
--------
>>> import os, tempfile
>>> from render.example import example_run
>>> from render.networkx_io import save_run_json
>>> path = os.path.join(tempfile.mkdtemp(), "run.json")
>>> save_run_json(example_run(), path)
>>> open_run(path).result.name
'UNSTABLE'
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from flowgraph.errors import FlowGraphError, NotRecognizedError, StorageError, UnknownSchemeError
from flowgraph.execution import FlowExecution
from flowgraph.jenkins.load_report import LoadProblem, LoadReport
from flowgraph.jenkins.runs import OnCorrupt, RunRef
from flowgraph.loading import load
from flowgraph.run import Run
from flowgraph.storage.paths import inside
from flowgraph.storage.registry import register_store, scheme_of

__all__ = ["open_run", "open_runs", "is_sql", "has_builds", "import_runs", "ImportReport", "run_key"]

_SQL_KEYS = frozenset({"sqlite", "postgresql", "postgres", ".db", ".sqlite", ".sqlite3"})
register_store(".json", "render.json_store:open_json_store")  # also an entry point; this serves source trees


def is_sql(spec: str) -> bool:
    """True for a SQL URL or a SQLite file path (optionally with ``#<execution id>``).

    Examples
    --------
    >>> is_sql("sqlite:///runs.db#7"), is_sql("runs.sqlite"), is_sql("jobs/app/builds/7"), is_sql("s3://x")
    (True, True, False, False)
    """
    try:
        return scheme_of(spec) in _SQL_KEYS
    except UnknownSchemeError:
        return False


def _named_from_key(run: Run) -> Run:
    """Runs imported as ``<job>#<number>``: the key becomes the run's name and number."""
    name = run.name
    if name and run.number is None and "#" in name and name.rsplit("#", 1)[1].isdigit():
        job, digits = name.rsplit("#", 1)
        run.name, run.number = job, int(digits)
    return run


def open_run(spec: str | os.PathLike[str], *, on_corrupt: OnCorrupt = "raise") -> Run:
    """Open one run from a JSON file, a SQL URL/file, or anything :func:`flowgraph.load` reads.

    ``on_corrupt="placeholder"`` loads a damaged Jenkins build with marked stand-in nodes and lists
    the problems in ``run.metadata["corruption"]`` (see :func:`flowgraph.jenkins.runs.load_run`);
    JSON files and SQL stores are read whole or not at all.

    Raises
    ------
    StorageError
        Nothing at ``spec`` looks like a run (the message lists what is accepted).
    FlowGraphError
        The run is there but damaged (a typed error naming the file and node).
    """
    text = os.fspath(spec)
    if is_sql(text):
        return _named_from_key(load(text))
    path = Path(text)
    if scheme_of(text) == "file" and not os.path.lexists(text):
        raise NotRecognizedError(f"{text}: no such file or directory", path=text)
    if has_builds(path):
        from flowgraph.jenkins.runs import iter_runs

        refs = list(iter_runs(path))
        if len(refs) == 1:
            return refs[0].load(on_corrupt=on_corrupt)
        listed = ", ".join(f"{r} ({r.build_dir})" for r in refs[:5]) + (" …" if len(refs) > 5 else "")
        raise StorageError(
            f"{text} holds {len(refs)} Pipeline runs, not one; name a build directory: {listed or 'none found'}",
            path=text,
        )
    options = {"on_corrupt": on_corrupt} if on_corrupt != "raise" and path.is_dir() else {}
    try:
        return load(text, **options)
    except NotRecognizedError as exc:  # only then: a recognised but damaged run is reported as it is
        raise NotRecognizedError(
            f"{exc}. Expected a run: a flowgraph .json file, a SQL URL or .db file, a Jenkins build "
            "directory (with build.xml), a flowNodeStore.xml file or a workflow directory",
            path=text,
        ) from exc


def has_builds(path: Path) -> bool:
    """True for a directory that holds runs rather than being one (a job, folder or JENKINS_HOME)."""
    if not path.is_dir() or (path / "build.xml").exists() or (path / "flowNodeStore.xml").exists():
        return False
    if (path / "builds").is_dir() or (path / "jobs").is_dir():
        return True
    with os.scandir(path) as entries:
        names = [e.name for e in entries]
    return not any(n.endswith(".xml") and n[:-4].isdigit() for n in names)


def open_runs(spec: str | os.PathLike[str], *, report: LoadReport | None = None) -> Iterator[Run]:
    """Every run ``spec`` names: a single run source, or each build under a JENKINS_HOME, folder or job.

    With a ``report``, a damaged build under a home is recorded there and skipped (the walk goes
    on); without one, its typed error is raised.
    """
    text = os.fspath(spec)
    path = Path(text)
    if has_builds(path):
        from flowgraph.jenkins.runs import iter_runs

        found = False
        for ref in iter_runs(path):
            found = True
            if report is None:
                yield ref.load()
                continue
            try:
                run = ref.load()
            except FlowGraphError as exc:
                report.failed(ref, exc)
                continue
            report.loaded(str(ref))
            yield run
        if not found:
            raise StorageError(f"{text}: no Pipeline builds found under it", path=text)
        return
    if is_sql(text) and "#" not in text.split("://", 1)[-1]:
        from flowgraph.storage.sql import list_executions

        executions = list_executions(text)
        if len(executions) > 1:
            for execution in executions:
                yield _named_from_key(load(f"{text}#{execution.id}"))
            return
    yield open_run(text)


def run_key(run: Run, index: int) -> tuple[str, int]:
    """The (job name, build number) a run is stored under."""
    job = run.name or "imported"
    number = run.number if run.number is not None else index + 1
    return job, number


@dataclass
class ImportReport:
    """What :func:`import_runs` did: the runs copied, and the ones that failed (with why).

    ``failed`` pairs each run's name with the message; ``problems`` holds the typed errors of
    the damaged runs found under a home (job, number, build directory, error); ``repaired``
    names the runs imported with placeholder nodes (``on_corrupt="placeholder"``) and why.
    """

    imported: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    nodes: int = 0
    problems: list[LoadProblem] = field(default_factory=list)
    repaired: list[tuple[str, str]] = field(default_factory=list)


def _refs(source: str, on_corrupt: OnCorrupt = "raise") -> list[tuple[str, Callable[[], Run], RunRef | None]]:
    """Lazy loaders for every run under ``source``, so a damaged run fails alone."""
    path = Path(source)
    if has_builds(path):
        from flowgraph.jenkins.runs import iter_runs

        refs = list(iter_runs(path))
        if not refs:
            raise StorageError(f"{source}: no Pipeline builds found under it", path=source)
        return [(str(ref), partial(ref.load, on_corrupt=on_corrupt), ref) for ref in refs]
    return [(source, lambda: open_run(source), None)]


def import_runs(
    source: str,
    target: str,
    *,
    progress: Callable[[int, int, str], None] | None = None,
    on_corrupt: OnCorrupt = "raise",
) -> ImportReport:
    """Copy every run under ``source`` into ``target`` (a SQL URL/file or a directory).

    ``progress(done, total, name)`` is called after each run. A run that cannot be read is
    recorded in the report's ``failed`` list and the import goes on. With
    ``on_corrupt="placeholder"`` a damaged run is imported with marked placeholder nodes
    instead, and listed in ``repaired`` with what was wrong.
    """
    key = scheme_of(target)  # an unknown URL scheme is an error, never a relative path
    if key not in _SQL_KEYS and key != "file":
        raise StorageError(f"{target}: runs are imported into a SQL database or a directory, not a {key} store")
    refs = _refs(source, on_corrupt)
    report = ImportReport()
    damage = LoadReport()
    for index, (name, loader, ref) in enumerate(refs):
        try:
            run = loader()
            job, number = run_key(run, index)
            if is_sql(target):
                _save_sql(run, target, job, number)
            else:
                _save_xml(run, Path(target), job, number)
            report.imported.append(f"{job}#{number}")
            report.nodes += len(run.graph)
            corruption = run.metadata.get("corruption")
            if corruption:
                report.repaired.append((f"{job}#{number}", "; ".join(map(str, corruption))))
        except FlowGraphError as exc:
            report.failed.append((name, str(exc)))
            if ref is not None:
                report.problems.append(damage.failed(ref, exc))
        if progress is not None:
            progress(index + 1, len(refs), name)
    return report


def _save_sql(run: Run, target: str, job: str, number: int) -> None:
    from flowgraph.storage.sql import SqlNodeStorage, split_url

    base, _ = split_url(target)
    key = f"{job}#{number}"
    storage = SqlNodeStorage(base, key)
    try:
        for node in run.graph:
            storage.store_node(node, delay=True)
        execution = _execution_of(run)
        execution.id = key
        execution.name = key
        execution.heads = {i + 1: head for i, head in enumerate(run.graph.head_ids)}
        execution.done = not run.running
        execution.result = run.result
        execution.created_ms = run.start_ms
        if run.start_ms is not None and run.duration_ms is not None and not run.running:
            execution.updated_ms = run.start_ms + run.duration_ms
        else:
            execution.updated_ms = run.start_ms
        storage.save_execution(execution)
    finally:
        storage.close()


def _execution_of(run: Run) -> FlowExecution:
    """A copy of the run's execution record that a SQL row can hold (JSON values only).

    Records read from ``build.xml`` keep format-specific fields (raw XML fragments) in
    ``extra`` so that they round-trip to XML; those that are not JSON values are left out.
    """
    execution = run.execution
    if not isinstance(execution, FlowExecution):
        return FlowExecution()
    copy = FlowExecution(**{f: getattr(execution, f) for f in execution.__dataclass_fields__ if f != "extra"})
    for key, value in execution.extra.items():
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            continue
        copy.extra[key] = value
    return copy


def _save_xml(run: Run, root: Path, job: str, number: int) -> None:
    from flowgraph.jenkins.runs import save_run

    parts: list[str] = []
    for part in job.split("/"):
        parts += ["jobs", part]
    # Job names come from the source (a SQL record, an untrusted home): never let one lead out of root.
    build_dir = inside(root, *parts, "builds", str(number), what="job", source=f"{job}#{number}")
    try:
        build_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"cannot create {build_dir}: {exc.strerror or exc}", path=str(build_dir)) from exc
    save_run(run, build_dir)
