"""Which runs an export reads: one build, a whole JENKINS_HOME (or folder, or job), or a SQL store.

:func:`run_loaders` names every run under a source with a loader that reads it only when
called, so a damaged run fails alone (the export reports it and goes on) and a home of
thousands of builds is never held in memory at once. ``jobs`` keeps only runs of those jobs
(a folder name keeps everything under it).

Examples
--------
>>> import os, tempfile
>>> from flowgraph.jenkins import save_run
>>> from render.example import example_run
>>> home = tempfile.mkdtemp()
>>> save_run(example_run(), os.path.join(home, "jobs", "app", "builds", "4"))
>>> [name for name, _ in run_loaders(home)]
['app#4']
>>> [name for name, _ in run_loaders(home, jobs=["other"])]
[]
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from flowgraph.errors import StorageError
from flowgraph.run import Run
from render.sources import is_sql, open_run

__all__ = ["run_loaders", "job_matches", "RunLoader"]

RunLoader = tuple[str, Callable[[], Run]]
"""A run's name (``job#number``, or the source text) and a function that loads it."""


def job_matches(job: str, jobs: Sequence[str] | None) -> bool:
    """True when ``jobs`` is empty, or names ``job`` or a folder it is in (``team`` matches ``team/app``)."""
    if not jobs:
        return True
    return any(job == j or job.startswith(j.rstrip("/") + "/") for j in jobs)


def _sql_loaders(text: str, jobs: Sequence[str] | None) -> Iterator[RunLoader]:
    from flowgraph.storage.sql import list_executions

    for execution in list_executions(text):
        key = execution.id
        if key is None:
            continue
        job = key.rsplit("#", 1)[0] if "#" in key else key
        if job_matches(job, jobs):
            spec = f"{text}#{key}"
            yield key, lambda spec=spec: open_run(spec)  # type: ignore[misc]


def run_loaders(source: str | os.PathLike[str], *, jobs: Sequence[str] | None = None) -> Iterator[RunLoader]:
    """Every run under ``source``, lazily loadable, in Jenkins' (job, build number) order.

    Raises
    ------
    StorageError
        ``source`` does not exist or holds no runs.
    """
    text = os.fspath(source)
    path = Path(text)
    if is_sql(text):
        if "#" in text.split("://", 1)[-1]:
            yield text, lambda: open_run(text)
        else:
            yield from _sql_loaders(text, jobs)
        return
    if not path.exists():
        raise StorageError(f"{text}: no such file or directory", path=text)
    if (
        path.is_dir()
        and not (path / "flowNodeStore.xml").exists()
        and path.name not in ("workflow", "workflow-completed")
    ):
        from flowgraph.jenkins.runs import iter_runs

        found = False
        for ref in iter_runs(path):
            found = True
            if job_matches(ref.job, jobs):
                yield str(ref), ref.load
        if found:
            return
        if not (path / "build.xml").exists() and not any(n.endswith(".xml") for n in os.listdir(path)):
            raise StorageError(f"{text}: no Pipeline builds found under it", path=text)
    yield text, lambda: open_run(text)
