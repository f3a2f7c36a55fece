"""Flat rows of one run's stages and steps, keyed by *path*, for cross-run tables and diffs.

A stage's id is a flow-node id, which means nothing in another run; what identifies "the same
stage" across runs is its **path**: the names of the enclosing stages and parallel branches,
outermost first, joined with ``" / "`` (``"Test / unit"``). A parallel block is neither a stage
nor a branch: it adds nothing to the path and gets no row (its branches do). A step's path is its
stage path, its function name and its argument summary (``"Test / sh ./run-tests.sh"``); when the
same step repeats in one stage (a ``retry``, a loop), the 2nd, 3rd… get ``" #2"``, ``" #3"``.

Rows are plain tuples (no pandas needed, cheap to build for thousands of runs); times are epoch
milliseconds and durations milliseconds, None where unknown or where the item did not run
(a skipped or not-executed stage or step has neither start nor duration). :func:`rows_frame`
turns rows into a pandas DataFrame with ``datetime64[ms, UTC]`` / ``timedelta64[ms]`` columns.

Examples
--------
>>> from flowgraph import GraphBuilder
>>> b = GraphBuilder(start_ms=0, step_ms=100)
>>> with b.stage("Test"):
...     _ = b.step("sh", script="./run-tests.sh", duration_ms=500)
>>> rows = run_rows(b.build())
>>> rows.stages
[StageRow(path='Test', name='Test', type='STAGE', status='SUCCESS', start=200, duration=700, pause=0)]
>>> step = rows.steps[0]
>>> step.node_id, step.stage_path, step.path, step.start, step.duration
('5', 'Test', 'Test / sh ./run-tests.sh', 300, 500)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from flowgraph.run import Run
from scanners.analysis import RunAnalysis, analyze
from scanners.stage_tree import StageNode, StageType, StepInfo
from scanners.status import Status

if TYPE_CHECKING:
    import pandas

__all__ = [
    "PATH_SEPARATOR",
    "STAGE_ROW_COLUMNS",
    "STAGE_ROW_TYPES",
    "STEP_ROW_COLUMNS",
    "STEP_ROW_TYPES",
    "StageRow",
    "StepRow",
    "RunRows",
    "run_rows",
    "stage_rows",
    "step_rows",
    "step_path",
    "iter_stage_paths",
    "rows_frame",
    "epoch_ms_to_datetime",
    "ms_to_timedelta",
]

PATH_SEPARATOR = " / "
"""Joins stage and branch names, outermost first, into a path."""

STAGE_ROW_COLUMNS = ("path", "name", "type", "status", "start", "duration", "pause")
"""The columns of :func:`stage_rows`, in tuple order."""
STAGE_ROW_TYPES: dict[str, str] = {
    "path": "string",
    "name": "string",
    "type": "string",
    "status": "string",
    "start": "epoch_ms",
    "duration": "ms",
    "pause": "ms",
}
"""Each stage column's kind: ``string``, ``epoch_ms`` (a nullable int of epoch ms) or ``ms``
(a nullable int of milliseconds). :func:`rows_frame` maps them to pandas dtypes."""

STEP_ROW_COLUMNS = (
    "node_id",
    "stage_path",
    "function_name",
    "summary",
    "status",
    "start",
    "duration",
    "error",
    "path",
)
"""The columns of :func:`step_rows`, in tuple order."""
STEP_ROW_TYPES: dict[str, str] = {
    "node_id": "string",
    "stage_path": "string",
    "function_name": "string",
    "summary": "string",
    "status": "string",
    "start": "epoch_ms",
    "duration": "ms",
    "error": "string",
    "path": "string",
}
"""Each step column's kind (see :data:`STAGE_ROW_TYPES`)."""

_NOT_RUN = Status.NOT_EXECUTED
_SUCCESS = Status.SUCCESS
_make: Any = tuple.__new__  # builds a named tuple without its Python-level __new__ (rows are many)


class StageRow(NamedTuple):
    """One stage or parallel branch: ``path, name, type, status, start, duration, pause``."""

    path: str
    name: str
    type: str
    status: str
    start: int | None
    duration: int | None
    pause: int


class StepRow(NamedTuple):
    """One step (atom node): the issue's step columns plus the step's own ``path``."""

    node_id: str
    stage_path: str
    function_name: str
    summary: str | None
    status: str
    start: int | None
    duration: int | None
    error: str | None
    path: str


class RunRows(NamedTuple):
    """A run's stage rows and step rows (plain tuples in the column orders above)."""

    stages: list[StageRow]
    steps: list[StepRow]


def iter_stage_paths(stages: list[StageNode]) -> Iterator[tuple[StageNode, str]]:
    """Every node of a stage tree with its path, depth-first pre-order, iteratively.

    Parallel blocks are yielded too (with the path of what encloses them), so that callers can
    see them; they add no name to their branches' paths.

    Examples
    --------
    >>> from flowgraph import GraphBuilder
    >>> from scanners.stage_tree import stage_tree
    >>> b = GraphBuilder()
    >>> with b.stage("Test"), b.parallel("unit", "lint") as par:
    ...     with par.branch("unit"):
    ...         _ = b.step("sh", script="pytest")
    ...     with par.branch("lint"):
    ...         _ = b.step("sh", script="ruff")
    >>> [path for _, path in iter_stage_paths(stage_tree(b.build()))]
    ['Test', 'Test / unit', 'Test / lint']
    """
    stack: list[tuple[StageNode, str]] = [(stage, "") for stage in reversed(stages)]
    while stack:
        stage, outer = stack.pop()
        if stage.type is StageType.PARALLEL_BLOCK:
            path = outer
        else:
            path = stage.name if not outer else outer + PATH_SEPARATOR + stage.name
        yield stage, path
        children = stage.children
        for index in range(len(children) - 1, -1, -1):
            stack.append((children[index], path))


def step_path(stage_path: str, function_name: str, summary: str | None) -> str:
    """A step's path without its occurrence number: stage path, function name, argument summary.

    >>> step_path("Test", "sh", "./run-tests.sh")
    'Test / sh ./run-tests.sh'
    >>> step_path("", "checkout", None)
    'checkout'
    """
    own = function_name if not summary else f"{function_name} {summary}"
    return own if not stage_path else stage_path + PATH_SEPARATOR + own


def _analysis(run: Run | RunAnalysis) -> RunAnalysis:
    return run if isinstance(run, RunAnalysis) else analyze(run)


def stage_rows(run: Run | RunAnalysis) -> list[StageRow]:
    """One :class:`StageRow` per stage and branch, in tree order (parents before children).

    A stage that did not run (skipped by ``when``, after a failure, or not executed after a
    restart) has status ``NOT_EXECUTED`` and no start or duration.
    """
    rows: list[StageRow] = []
    append = rows.append
    make = _make
    for stage, path in iter_stage_paths(_analysis(run).stages):
        if stage.type is StageType.PARALLEL_BLOCK:
            continue
        status = stage.status
        if status is _NOT_RUN or stage.skipped:
            append(make(StageRow, (path, stage.name, stage.type.name, _NOT_RUN.name, None, None, 0)))
        else:
            append(
                make(
                    StageRow,
                    (path, stage.name, stage.type.name, status.name, stage.start_ms, stage.duration_ms, stage.pause_ms),
                )
            )
    return rows


def _step_row(step: StepInfo, stage_path: str, occurrences: dict[str, int]) -> StepRow:
    node = step.node
    named = node.function_name
    function_name = named or node.display_name
    arguments = node.arguments
    summary = arguments.summary(named) if arguments is not None else None
    base = step_path(stage_path, function_name, summary)
    seen = occurrences.get(base, 0) + 1
    occurrences[base] = seen
    path = base if seen == 1 else f"{base} #{seen}"
    status = step.status
    if status is _NOT_RUN:
        start, duration = None, None
    else:
        start, duration = step.start_ms, step.duration_ms
    error = None if status is _SUCCESS else step.error  # a step with an error never reads SUCCESS
    row: StepRow = _make(
        StepRow, (node.id, stage_path, function_name, summary, status.name, start, duration, error, path)
    )
    return row


def step_rows(run: Run | RunAnalysis) -> list[StepRow]:
    """One :class:`StepRow` per step: those outside every stage first, then stage by stage in tree order.

    Steps outside every stage have ``stage_path`` ``""``. Occurrence numbers count repeats of the
    same function and summary under one stage path, in creation order (two sibling stages of the
    same name share one count, so every step path of a run is unique).
    """
    analysis = _analysis(run)
    rows: list[StepRow] = []
    occurrences: dict[str, int] = {}
    for step in analysis.loose_steps:
        rows.append(_step_row(step, "", occurrences))
    for stage, path in iter_stage_paths(analysis.stages):
        for step in stage.steps:
            rows.append(_step_row(step, path, occurrences))
    return rows


def run_rows(run: Run | RunAnalysis) -> RunRows:
    """The stage rows and step rows of a run (analysed once).

    Examples
    --------
    >>> from flowgraph import GraphBuilder
    >>> b = GraphBuilder(start_ms=0, step_ms=100)
    >>> with b.stage("Build"):
    ...     _ = b.step("sh", script="make")
    ...     _ = b.step("sh", script="make")
    >>> [row[-1] for row in run_rows(b.build()).steps]
    ['Build / sh make', 'Build / sh make #2']
    """
    analysis = _analysis(run)
    return RunRows(stage_rows(analysis), step_rows(analysis))


def rows_frame(rows: Sequence[tuple[Any, ...]], kind: Literal["stages", "steps"]) -> pandas.DataFrame:
    """A pandas DataFrame of stage or step rows: times as ``datetime64[ms, UTC]``, durations as
    ``timedelta64[ms]`` (missing ones NaT), strings as pandas infers them, a clean 0..n-1 index.

    >>> from flowgraph import GraphBuilder
    >>> b = GraphBuilder(start_ms=0, step_ms=100)
    >>> with b.stage("Build"):
    ...     _ = b.step("sh", script="make")
    >>> frame = rows_frame(stage_rows(b.build()), "stages")
    >>> str(frame["duration"].iloc[0]), str(frame["start"].dtype)
    ('0 days 00:00:00.300000', 'datetime64[ms, UTC]')
    """
    import pandas as pd

    columns: tuple[str, ...]
    if kind == "stages":
        columns, types = STAGE_ROW_COLUMNS, STAGE_ROW_TYPES
    elif kind == "steps":
        columns, types = STEP_ROW_COLUMNS, STEP_ROW_TYPES
    else:
        raise ValueError(f"rows_frame() builds 'stages' or 'steps', not {kind!r}")
    frame = pd.DataFrame.from_records(rows, columns=list(columns))
    for column, kind_of in types.items():
        if kind_of == "epoch_ms":
            frame[column] = epoch_ms_to_datetime(frame[column])
        elif kind_of == "ms":
            frame[column] = ms_to_timedelta(frame[column])
    return frame


def epoch_ms_to_datetime(values: pandas.Series) -> pandas.Series:
    """Epoch milliseconds (None for unknown) as ``datetime64[ms, UTC]`` (NaT for unknown).

    >>> import pandas as pd
    >>> epoch_ms_to_datetime(pd.Series([0, None])).tolist()
    [Timestamp('1970-01-01 00:00:00+0000', tz='UTC'), NaT]
    """
    import pandas as pd

    return pd.to_datetime(values.astype("Int64"), unit="ms", utc=True).astype("datetime64[ms, UTC]")


def ms_to_timedelta(values: pandas.Series) -> pandas.Series:
    """Milliseconds (None for unknown) as ``timedelta64[ms]`` (NaT for unknown).

    >>> import pandas as pd
    >>> ms_to_timedelta(pd.Series([1500, None])).tolist()
    [Timedelta('0 days 00:00:01.500000'), NaT]
    """
    import pandas as pd

    return pd.to_timedelta(values.astype("Int64"), unit="ms").astype("timedelta64[ms]")
