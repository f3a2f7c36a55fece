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
    rows = plain(frame[["name", "type", "status", "parent_id", "depth", "start_ms", "duration_ms"]])
    # Build: body 4 @200 .. outer end 7 @500; Test: body 9 @700 .. outer end 20 @1700;
    # branches 12 @900 (ends 15 @1200) and 13 @1000 (ends 17 @1400).
    assert rows == [
        ["Build", "STAGE", "SUCCESS", None, 0, 200, 300],
        ["Test", "STAGE", "SUCCESS", None, 0, 700, 1000],
        ["unit", "PARALLEL_BRANCH", "SUCCESS", "9", 1, 900, 300],
        ["lint", "PARALLEL_BRANCH", "SUCCESS", "9", 1, 1000, 400],
    ]
    assert str(frame["duration_ms"].dtype) == "Int64"
    # A notebook question: the slowest stage.
    assert frame.sort_values("duration_ms", ascending=False).iloc[0]["name"] == "Test"
    assert to_dataframe(analysis).equals(frame)
    assert stages_frame(analysis.stages).equals(frame)


def test_steps_frame_filters_failures() -> None:
    analysis = analyze(sample_run())
    frame = analysis.to_dataframe("steps")
    failed = frame[frame["status"] == "FAILURE"]
    assert plain(failed[["function_name", "arguments", "error", "stage_id"]]) == [["sh", "ruff", "exit 1", "13"]]
    assert frame["arguments"].tolist() == ["make", "pytest", "ruff"]
    assert frame["duration_ms"].tolist() == [100, 100, 100]
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
    assert frame.loc[0, "start_ms"] is pd.NA
    assert frame.loc[1, "start_ms"] == 100 and frame.loc[1, "duration_ms"] == 100
    assert analysis.to_dataframe("nodes").equals(frame)


def test_unknown_frame_kind() -> None:
    with pytest.raises(ValueError, match="'stages', 'steps' or 'nodes'"):
        analyze(sample_run()).to_dataframe("edges")  # type: ignore[arg-type]


def test_missing_pandas_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"pip install 'flowgraph\[pandas\]'"):
        analyze(sample_run()).to_dataframe()
