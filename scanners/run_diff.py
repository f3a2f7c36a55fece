"""What changed between two runs: stages and steps aligned by path, with each difference.

Two runs of one pipeline share no node ids, but their stages and steps have the same *paths*
(:mod:`scanners.run_rows`). :func:`diff_runs` aligns them by path (a stage path that repeats is
aligned by order: the 1st with the 1st, the 2nd with the 2nd; step paths already carry their
occurrence number) and reports, one row per difference:

* ``added`` / ``removed``: a stage or step only in the second / first run;
* ``status``: its status changed (``SUCCESS`` → ``FAILURE``, ``NOT_EXECUTED`` → ``SUCCESS``…);
* ``duration``: it took at least ``ratio`` times longer or shorter, and by at least
  ``min_delta_ms`` (so a 3 ms step that took 7 ms is not news);
* ``arguments``: a step's arguments changed. A step's path holds its argument summary, so a
  changed ``sh`` script first shows as one step removed and one added; steps left unmatched in
  the same stage with the same function name are then paired in order and reported as one
  ``arguments`` change (at the new path) instead.

Examples
--------
>>> from flowgraph import GraphBuilder
>>> def run(script, fail=False):
...     b = GraphBuilder(start_ms=0, step_ms=100)
...     with b.stage("Build"):
...         _ = b.step("sh", script=script, error="exit 2" if fail else None)
...     return b.build()
>>> diff = diff_runs(run("make -j4"), run("make -j8", fail=True))
>>> for row in diff.changes[["path", "kind", "change", "before", "after"]].values.tolist():
...     print(row)
['Build', 'stage', 'status', 'SUCCESS', 'FAILURE']
['Build / sh make -j8', 'step', 'arguments', 'make -j4', 'make -j8']
['Build / sh make -j8', 'step', 'status', 'SUCCESS', 'FAILURE']
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flowgraph.run import Run
from scanners.analysis import RunAnalysis, analyze
from scanners.run_rows import RunRows, run_rows

if TYPE_CHECKING:
    import pandas

__all__ = ["CHANGE_COLUMNS", "CHANGES", "RunDiff", "diff_runs"]

CHANGE_COLUMNS = ("path", "kind", "change", "before", "after", "stage_path")
"""The columns of :attr:`RunDiff.changes`: the issue's five, then the stage the row belongs to
(a stage's own path, a step's stage path) so that drawings can colour stages by what changed."""

CHANGES = ("added", "removed", "status", "duration", "arguments")
"""Every value of the ``change`` column."""

_STAGE, _STEP = "stage", "step"


class RunDiff:
    """The differences between two runs (see :func:`diff_runs`).

    Attributes
    ----------
    changes
        A DataFrame with :data:`CHANGE_COLUMNS`, one row per difference, stages first (in the
        second run's order, then those removed), then steps likewise. ``before``/``after`` hold
        status names for ``status`` and ``added``/``removed``, ``pandas.Timedelta`` for
        ``duration``, argument summaries for ``arguments``; None on the side that lacks it.
    before, after
        The :class:`~scanners.run_rows.RunRows` of the first and second run.
    """

    __slots__ = ("after", "before", "changes")

    def __init__(self, changes: pandas.DataFrame, before: RunRows, after: RunRows) -> None:
        self.changes = changes
        self.before = before
        self.after = after

    def counts(self) -> dict[str, int]:
        """How many rows of each change (every value of :data:`CHANGES`, zero included)."""
        seen = self.changes["change"].value_counts()
        return {change: int(seen.get(change, 0)) for change in CHANGES}

    def stage_changes(self) -> dict[str, set[str]]:
        """Per stage path (of either run), the set of changes to it or to its steps."""
        found: dict[str, set[str]] = {}
        for stage_path, change in zip(self.changes["stage_path"], self.changes["change"], strict=True):
            found.setdefault(stage_path, set()).add(change)
        return found

    def __len__(self) -> int:
        return len(self.changes)

    def __repr__(self) -> str:
        counts = ", ".join(f"{name}={count}" for name, count in self.counts().items() if count)
        return f"RunDiff({len(self.changes)} changes{': ' + counts if counts else ''})"


def _keyed(rows: Iterable[tuple[Any, ...]], path_at: int) -> dict[tuple[str, int], tuple[Any, ...]]:
    """Rows by (path, occurrence of that path), in order."""
    seen: dict[str, int] = {}
    keyed: dict[tuple[str, int], tuple[Any, ...]] = {}
    for row in rows:
        path = row[path_at]
        count = seen.get(path, 0)
        seen[path] = count + 1
        keyed[(path, count)] = row
    return keyed


def _compare(
    out: list[tuple[Any, ...]],
    path: str,
    kind: str,
    stage_path: str,
    old: tuple[Any, ...],
    new: tuple[Any, ...],
    at: tuple[int, int],
    ratio: float,
    min_delta_ms: int,
) -> None:
    """Append the status and duration changes between two aligned rows (``at`` = status, duration)."""
    import pandas as pd

    status_at, duration_at = at
    if old[status_at] != new[status_at]:
        out.append((path, kind, "status", old[status_at], new[status_at], stage_path))
    a, b = old[duration_at], new[duration_at]
    if a is not None and b is not None and abs(b - a) >= min_delta_ms and a != b:
        slower = b >= a * ratio
        faster = a >= b * ratio
        if slower or faster:
            out.append((path, kind, "duration", pd.Timedelta(milliseconds=a), pd.Timedelta(milliseconds=b), stage_path))


def diff_runs(
    run_a: Run | RunAnalysis | RunRows,
    run_b: Run | RunAnalysis | RunRows,
    *,
    ratio: float = 1.5,
    min_delta_ms: int = 1000,
) -> RunDiff:
    """The stages and steps that were added, removed, or changed status, duration or arguments.

    ``run_a`` is the earlier ("before") run, ``run_b`` the later one; each may be a Run, its
    analysis, or its :func:`~scanners.run_rows.run_rows`. A duration change is reported when
    one side is at least ``ratio`` times the other and they differ by ``min_delta_ms`` or more.
    Runs are compared row by row after one analysis each: O(stages + steps), no recursion.

    Examples
    --------
    >>> from flowgraph import GraphBuilder
    >>> def run(*stages):
    ...     b = GraphBuilder(start_ms=0, step_ms=100)
    ...     for name, ms in stages:
    ...         with b.stage(name):
    ...             _ = b.step("sh", script="make", duration_ms=ms)
    ...     return b.build()
    >>> diff = diff_runs(run(("Build", 1000), ("Lint", 100)), run(("Build", 5000)))
    >>> [(p, c) for p, c in diff.changes[["path", "change"]].values.tolist()]
    [('Build', 'duration'), ('Lint', 'removed'), ('Build / sh make', 'duration'), ('Lint / sh make', 'removed')]
    >>> diff.counts()["removed"]
    2
    """
    import pandas as pd

    if ratio < 1:
        raise ValueError(f"ratio is how many times longer or shorter counts as a change: at least 1, not {ratio}")
    before, after = _rows(run_a), _rows(run_b)
    out: list[tuple[Any, ...]] = []

    # Stages: (path, name, type, status, start, duration, pause); path = own stage path.
    old_stages, new_stages = _keyed(before.stages, 0), _keyed(after.stages, 0)
    for key, new in new_stages.items():
        old = old_stages.get(key)
        if old is None:
            out.append((key[0], _STAGE, "added", None, new[3], key[0]))
        else:
            _compare(out, key[0], _STAGE, key[0], old, new, (3, 5), ratio, min_delta_ms)
    for key, old in old_stages.items():
        if key not in new_stages:
            out.append((key[0], _STAGE, "removed", old[3], None, key[0]))

    # Steps: (node_id, stage_path, function_name, summary, status, start, duration, error, path).
    old_steps = {row[8]: row for row in before.steps}
    new_steps = {row[8]: row for row in after.steps}
    unmatched_old: dict[tuple[str, str], deque[tuple[Any, ...]]] = {}
    for path, old in old_steps.items():
        if path not in new_steps:
            unmatched_old.setdefault((old[1], old[2]), deque()).append(old)
    paired: set[str] = set()  # old paths taken by an ``arguments`` change
    step_out: list[tuple[Any, ...]] = []
    for path, new in new_steps.items():
        old = old_steps.get(path)
        if old is None:
            candidates = unmatched_old.get((new[1], new[2]))
            if candidates:
                old = candidates.popleft()
                paired.add(old[8])
                step_out.append((path, _STEP, "arguments", old[3], new[3], new[1]))
            else:
                step_out.append((path, _STEP, "added", None, new[4], new[1]))
                continue
        _compare(step_out, path, _STEP, new[1], old, new, (4, 6), ratio, min_delta_ms)
    for path, old in old_steps.items():
        if path not in new_steps and path not in paired:
            step_out.append((path, _STEP, "removed", old[4], None, old[1]))
    out.extend(step_out)
    columns = list(zip(*out, strict=True)) if out else [()] * len(CHANGE_COLUMNS)
    # Built column by column as objects: None stays None (never NaN) next to strings or Timedeltas.
    changes = pd.DataFrame(
        {name: pd.Series(values, dtype=object) for name, values in zip(CHANGE_COLUMNS, columns, strict=True)}
    )
    return RunDiff(changes, before, after)


def _rows(run: Run | RunAnalysis | RunRows) -> RunRows:
    if isinstance(run, RunRows):
        return run
    return run_rows(run if isinstance(run, RunAnalysis) else analyze(run))
