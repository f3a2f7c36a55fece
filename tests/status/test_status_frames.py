"""DataFrames of stages, steps and nodes (pandas is an optional extra)."""

from __future__ import annotations

import sys

import pytest

from flowgraph import GraphBuilder, Result
from scanners import analyze, nodes_frame, stages_frame, steps_frame, to_dataframe

pd = pytest.importorskip("pandas")


def plain(frame):  # type: ignore[no-untyped-def]
    """Rows as Python lists with every missing value (NaN, <NA>) as None."""
    return frame.astype(object).where(frame.notna(), None).values.tolist()


def sample_run():  # type: ignore[no-untyped-def]
    b = GraphBuilder(start_ms=0, step_ms=100)
    with b.stage("Build"):
        b.step("sh", script="make")
    with b.stage("Test"), b.parallel("unit", "lint") as par:
        with par.branch("unit"):
            b.step("sh", script="pytest")
        with par.branch("lint"), b.try_catch():
            b.step("sh", script="ruff", error="exit 1")
    return b.build()


def test_stages_frame() -> None:
    analysis = analyze(sample_run())
    frame = analysis.to_dataframe("stages")
    assert list(frame.columns)[:5] == ["id", "name", "type", "status", "skipped"]
    rows = plain(frame[["name", "type", "status", "parent_id", "depth"]])
    assert rows == [
        ["Build", "STAGE", "SUCCESS", None, 0],
        ["Test", "STAGE", "SUCCESS", None, 0],
        ["unit", "PARALLEL_BRANCH", "SUCCESS", "9", 1],
        ["lint", "PARALLEL_BRANCH", "SUCCESS", "9", 1],
    ]
    # Build: body 4 @200 .. outer end 7 @500; Test: body 9 @700 .. outer end 20 @1700;
    # branches 12 @900 (ends 15 @1200) and 13 @1000 (ends 17 @1400).
    ms = pd.Timedelta(milliseconds=1)
    epoch = pd.Timestamp(0, tz="UTC")
    assert [(t - epoch) / ms for t in frame["start"]] == [200, 700, 900, 1000]
    assert [d / ms for d in frame["duration"]] == [300, 1000, 300, 400]
    assert [(t - epoch) / ms for t in frame["end"]] == [500, 1700, 1200, 1400]
    assert str(frame["start"].dtype) == "datetime64[ms, UTC]" and str(frame["duration"].dtype) == "timedelta64[ms]"
    assert isinstance(frame.index, pd.RangeIndex) and list(frame.index) == [0, 1, 2, 3]
    # Notebook questions: the slowest stage; the stages that ended after 1 s.
    assert frame.sort_values("duration", ascending=False).iloc[0]["name"] == "Test"
    assert frame[frame["end"] > epoch + pd.Timedelta(seconds=1)]["name"].tolist() == ["Test", "unit", "lint"]
    assert to_dataframe(analysis).equals(frame)
    assert stages_frame(analysis.stages).equals(frame)


def test_steps_frame_filters_failures() -> None:
    analysis = analyze(sample_run())
    frame = analysis.to_dataframe("steps")
    failed = frame[frame["status"] == "FAILURE"]
    assert plain(failed[["function_name", "arguments", "error", "stage_id"]]) == [["sh", "ruff", "exit 1", "13"]]
    assert frame["arguments"].tolist() == ["make", "pytest", "ruff"]
    assert frame["duration"].dt.total_seconds().tolist() == [0.1, 0.1, 0.1]
    assert to_dataframe(list(analysis.iter_steps())).equals(frame)
    assert steps_frame(analysis.iter_steps()).equals(frame)


def test_nodes_frame_has_every_node_and_unknown_timing_as_na() -> None:
    b = GraphBuilder(start_ms=0, step_ms=100, flow_start_timing=False)
    b.step("echo", message="hi")
    built = b.build(result=Result.SUCCESS)
    built.start_ms = None  # the run's start unknown, and the flow start has no timing
    analysis = analyze(built)
    frame = nodes_frame(analysis)
    assert frame["id"].tolist() == ["2", "3", "4"]
    assert frame["kind"].tolist() == ["FLOW_START", "ATOM", "FLOW_END"]
    assert [row[0] for row in plain(frame[["enclosing_id"]])] == [None, "2", None]
    assert frame.loc[0, "start"] is pd.NaT and frame.loc[0, "duration"] is pd.NaT
    assert frame.loc[1, "start"] == pd.Timestamp(100, unit="ms", tz="UTC")
    assert frame.loc[1, "duration"] == pd.Timedelta(milliseconds=100)
    assert analysis.to_dataframe("nodes").equals(frame)


def test_unknown_frame_kind() -> None:
    with pytest.raises(ValueError, match="'stages', 'steps' or 'nodes'"):
        analyze(sample_run()).to_dataframe("edges")  # type: ignore[arg-type]


def test_missing_pandas_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"pip install 'flowgraph\[pandas\]'"):
        analyze(sample_run()).to_dataframe()
