"""pandas DataFrames of stages, steps and nodes, so a notebook can sort, filter and plot a run.

pandas is an optional extra (``pip install flowgraph[pandas]``): it is imported only when a
frame is asked for, and its absence is reported with the command that fixes it.

Every frame has one row per item, a clean ``RangeIndex`` (0..n-1) and typed columns: ids as
strings, statuses as their names (``SUCCESS``…), ``start``/``end`` as UTC datetimes
(``datetime64[ms, UTC]``) and ``duration``/``pause`` as ``timedelta64[ms]``, so sorting,
resampling and ``.dt`` accessors work directly; missing timing is ``NaT``, never 0.

Examples
--------
>>> from flowgraph import GraphBuilder
>>> from scanners.analysis import analyze
>>> b = GraphBuilder(start_ms=0, step_ms=100)
>>> with b.stage("Build"):
...     _ = b.step("sh", script="make")
>>> frame = analyze(b.build()).to_dataframe("steps")
>>> frame[["id", "function_name", "status"]].values.tolist()
[['5', 'sh', 'SUCCESS']]
>>> frame.loc[0, "duration"], frame.loc[0, "start"]
(Timedelta('0 days 00:00:00.100000'), Timestamp('1970-01-01 00:00:00.300000+0000', tz='UTC'))
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from scanners.stage_tree import StageNode, StepInfo, walk_stages

if TYPE_CHECKING:
    import pandas

    from scanners.analysis import RunAnalysis

__all__ = [
    "stages_frame",
    "steps_frame",
    "nodes_frame",
    "to_dataframe",
    "STAGE_COLUMNS",
    "STEP_COLUMNS",
    "NODE_COLUMNS",
]

STAGE_COLUMNS = (
    "id",
    "name",
    "type",
    "status",
    "skipped",
    "parent_id",
    "depth",
    "start",
    "duration",
    "pause",
    "end",
    "children",
    "steps",
)
STEP_COLUMNS = (
    "id",
    "stage_id",
    "function_name",
    "name",
    "arguments",
    "status",
    "start",
    "duration",
    "pause",
    "end",
    "error",
)
NODE_COLUMNS = (
    "id",
    "kind",
    "function_name",
    "name",
    "parent_ids",
    "enclosing_id",
    "status",
    "start",
    "duration",
    "pause",
)
_INT_COLUMNS = ("depth", "children", "steps")
_TIME_COLUMNS = ("start", "end")
_SPAN_COLUMNS = ("duration", "pause")


def _pandas() -> Any:
    try:
        import pandas
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            "DataFrames need pandas, an optional extra: pip install 'flowgraph[pandas]' (or pip install pandas)"
        ) from exc
    return pandas


def _frame(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> pandas.DataFrame:
    pd = _pandas()
    frame: pandas.DataFrame = pd.DataFrame(rows, columns=list(columns))
    for column in _INT_COLUMNS:
        if column in frame.columns:
            frame[column] = frame[column].astype("Int64")
    for column in _TIME_COLUMNS:
        if column in frame.columns:
            ms = frame[column].astype("Int64").astype("float64")  # <NA> becomes NaN, then NaT
            frame[column] = pd.to_datetime(ms, unit="ms", utc=True).astype("datetime64[ms, UTC]")
    for column in _SPAN_COLUMNS:
        if column in frame.columns:
            ms = frame[column].astype("Int64").astype("float64")
            frame[column] = pd.to_timedelta(ms, unit="ms").astype("timedelta64[ms]")
    return frame.reset_index(drop=True)


def stages_frame(stages: Iterable[StageNode]) -> pandas.DataFrame:
    """One row per node of the stage tree (depth-first pre-order); ``children``/``steps`` are counts."""
    rows = [
        {
            "id": s.id,
            "name": s.name,
            "type": s.type.name,
            "status": s.status.name,
            "skipped": s.skipped,
            "parent_id": s.parent_id,
            "depth": s.depth,
            "start": s.start_ms,
            "duration": s.duration_ms,
            "pause": s.pause_ms,
            "end": s.end_ms,
            "children": len(s.children),
            "steps": len(s.steps),
        }
        for s in walk_stages(stages)
    ]
    return _frame(rows, STAGE_COLUMNS)


def steps_frame(steps: Iterable[StepInfo]) -> pandas.DataFrame:
    """One row per step, with its stage id, arguments summary, status, timing and error message."""
    rows = [
        {
            "id": s.id,
            "stage_id": s.stage_id,
            "function_name": s.function_name,
            "name": s.name,
            "arguments": s.arguments,
            "status": s.status.name,
            "start": s.start_ms,
            "duration": s.duration_ms,
            "pause": s.pause_ms,
            "end": s.end_ms,
            "error": s.error,
        }
        for s in steps
    ]
    return _frame(rows, STEP_COLUMNS)


def nodes_frame(analysis: RunAnalysis) -> pandas.DataFrame:
    """One row per flow node (parents before children) with its status and timing."""
    graph = analysis.run.graph
    rows = []
    for node in analysis.iter_nodes():
        status = analysis.status_of(node.id)
        timing = analysis.timing_of(node.id)
        rows.append(
            {
                "id": node.id,
                "kind": node.kind.name,
                "function_name": node.function_name,
                "name": node.display_name,
                "parent_ids": ",".join(node.parent_ids),
                "enclosing_id": graph.enclosing_id(node),
                "status": status.name if status is not None else None,
                "start": timing.start_ms if timing is not None else None,
                "duration": timing.total_ms if timing is not None else None,
                "pause": timing.pause_ms if timing is not None else None,
            }
        )
    return _frame(rows, NODE_COLUMNS)


def to_dataframe(items: RunAnalysis | Iterable[StageNode] | Iterable[StepInfo]) -> pandas.DataFrame:
    """A DataFrame of an analysis (its stages), a stage tree, or steps, whichever is given."""
    from scanners.analysis import RunAnalysis

    if isinstance(items, RunAnalysis):
        return stages_frame(items.stages)
    listed = list(items)
    if listed and all(isinstance(item, StepInfo) for item in listed):
        return steps_frame(listed)  # type: ignore[arg-type]
    return stages_frame(listed)  # type: ignore[arg-type]
