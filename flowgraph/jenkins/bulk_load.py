"""Loading thousands of runs on every core, with a progress bar.

Parsing XML is CPU-bound and runs are independent, so :func:`load_runs` fans the runs of a
``JENKINS_HOME`` out to a process pool. Each worker loads a run and applies ``fn`` to it, and
only ``fn``'s (small, picklable) answer travels back, which is what lets the work scale with
cores. Failures come back as the typed error, paired with the run they belong to: a damaged run
never stops the others, and never disappears silently.

Examples
--------
>>> import tempfile
>>> from flowgraph import GraphBuilder
>>> from flowgraph.jenkins.runs import save_run
>>> home = tempfile.mkdtemp()
>>> for n in (1, 2):
...     b = GraphBuilder(start_ms=0)
...     _ = b.step("echo", message="hi")
...     save_run(b.build(), f"{home}/jobs/demo/builds/{n}")
>>> [(str(ref), size) for ref, size in load_runs(home, fn=node_count, workers=1, progress=False)]
[('demo#1', 3), ('demo#2', 3)]
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

from flowgraph.errors import FlowGraphError
from flowgraph.jenkins.load_report import LoadReport
from flowgraph.jenkins.runs import OnCorrupt, RunRef, iter_runs
from flowgraph.run import Run
from flowgraph.storage.memory import MemoryNodeStorage

__all__ = ["load_runs", "node_count", "materialize"]

T = TypeVar("T")


def node_count(run: Run) -> int:
    """A tiny summary function: the number of nodes in the run."""
    return len(run.graph)


def materialize(run: Run) -> Run:
    """The run with every node read into memory (so it can travel between processes)."""
    from flowgraph.graph import FlowGraph

    storage = MemoryNodeStorage(run.graph.storage.iter_nodes())
    run.graph = FlowGraph(storage, heads=run.graph.head_ids)
    return run


def _work(ref: RunRef, fn: Callable[[Run], Any], on_corrupt: OnCorrupt) -> Any:
    try:
        return fn(ref.load(on_corrupt=on_corrupt))
    except FlowGraphError as exc:
        return exc


def _work_chunk(refs: list[RunRef], fn: Callable[[Run], Any], on_corrupt: OnCorrupt) -> list[Any]:
    return [_work(ref, fn, on_corrupt) for ref in refs]


def load_runs(
    source: str | os.PathLike[str] | Iterable[RunRef],
    *,
    fn: Callable[[Run], T] = materialize,  # type: ignore[assignment]
    workers: int | None = None,
    progress: bool = True,
    on_corrupt: OnCorrupt = "raise",
    chunk_size: int = 16,
    report: LoadReport | None = None,
) -> Iterator[tuple[RunRef, T | FlowGraphError]]:
    """Load many runs in parallel, yielding ``(ref, fn(run))`` (or ``(ref, error)``) in input order.

    Parameters
    ----------
    source
        A path for :func:`iter_runs`, or the run references themselves.
    fn
        Applied to each loaded run inside the worker; must be a picklable top-level function.
        The default returns the run with its nodes in memory. What ``fn`` returns is pickled
        back to this process, so a summary (counts, durations, failures) scales with the
        cores, while whole runs make this process unpickle every node (a few µs each), which
        caps the speed-up.
    workers
        Processes to use (all cores by default); 1 loads in this process.
    progress
        Show a ``rich`` progress bar on the terminal.
    chunk_size
        Runs handed to a worker at a time (fewer, larger messages between processes).
    report
        Filled as the runs go by: each run read, and each damaged run with its typed error
        (the error is still yielded in its place, so nothing disappears).
    """
    for ref, result in _load_runs(source, fn, workers, progress, on_corrupt, chunk_size):
        if report is not None:
            if isinstance(result, FlowGraphError):
                report.failed(ref, result)
            else:
                report.loaded(str(ref))
        yield ref, result


def _load_runs(
    source: str | os.PathLike[str] | Iterable[RunRef],
    fn: Callable[[Run], T],
    workers: int | None,
    progress: bool,
    on_corrupt: OnCorrupt,
    chunk_size: int,
) -> Iterator[tuple[RunRef, T | FlowGraphError]]:
    refs = list(iter_runs(source)) if isinstance(source, (str, os.PathLike, Path)) else list(source)
    chunk_size = max(1, chunk_size)
    chunks = [refs[i : i + chunk_size] for i in range(0, len(refs), chunk_size)]
    workers = min(workers or os.cpu_count() or 1, max(1, len(chunks)))
    if workers == 1:
        bar = _progress(len(refs)) if progress else None
        try:
            for ref in refs:
                result = _work(ref, fn, on_corrupt)
                if bar is not None:
                    bar.advance()
                yield ref, result
        finally:
            if bar is not None:
                bar.stop()
        return
    bar = None
    with ProcessPoolExecutor(max_workers=workers) as pool:
        try:
            # A bounded window of chunks in flight: every worker always has the next chunk
            # queued, and memory stays flat however many runs there are.
            window = 4 * workers
            pending: deque[tuple[list[RunRef], Future[list[Any]]]] = deque()
            upcoming = iter(chunks)
            for chunk in islice(upcoming, window):
                pending.append((chunk, pool.submit(_work_chunk, chunk, fn, on_corrupt)))
            # The workers exist now; the bar's refresh thread starts only after they were forked.
            bar = _progress(len(refs)) if progress else None
            while pending:
                chunk, future = pending.popleft()
                results = future.result()
                following = next(upcoming, None)
                if following is not None:
                    pending.append((following, pool.submit(_work_chunk, following, fn, on_corrupt)))
                for ref, result in zip(chunk, results, strict=True):
                    if bar is not None:
                        bar.advance()
                    yield ref, result
        finally:
            if bar is not None:
                bar.stop()
            for _, future in pending:
                future.cancel()


class _Bar:
    """A rich progress bar counting loaded runs."""

    def __init__(self, total: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._progress = Progress(
            TextColumn("loading runs"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=True
        )
        self._task = self._progress.add_task("runs", total=total)
        self._progress.start()

    def advance(self) -> None:
        self._progress.advance(self._task)

    def stop(self) -> None:
        self._progress.stop()


def _progress(total: int) -> _Bar | None:
    try:
        return _Bar(total)
    except ImportError:  # pragma: no cover - rich is a dependency, but keep loading without it
        return None
