"""Stage and step rows of one run (scanners.run_rows): paths, statuses and times, by hand.

Every expectation is derived from how the builder stamps nodes (each node moves the clock by
``step_ms``, a step by its ``duration_ms``) and from Jenkins' timing rule for a stage (from its
body start to the node after its end) and for a step (to the next node); fixture values are read
off the XML files (the ``startTime`` of each node).
"""

from __future__ import annotations

import pandas as pd
import pytest

import flowgraph
from flowgraph import GraphBuilder
from flowgraph.run import Run
from scanners import analyze
from scanners.run_rows import (
    STAGE_ROW_COLUMNS,
    STEP_ROW_COLUMNS,
    StageRow,
    StepRow,
    iter_stage_paths,
    rows_frame,
    run_rows,
    stage_rows,
    step_rows,
)
from tests.conftest import FIXTURES


def _retry_run() -> Run:
    b = GraphBuilder(start_ms=0, step_ms=100)
    b.step("echo", message="hello")  # 3 @100, loose
    with b.stage("Build"):  # 4 @200, body 5 @300
        b.step("sh", script="make", duration_ms=1000)  # 6 @400 .. 1400
    # body end 7 @1400, end 8 @1500
    with b.stage("Test"):  # 9 @1600, body 10 @1700
        with b.retry(2) as r:  # 11 @1800
            with r.attempt():  # 12 @1900
                b.step("sh", script="./run-tests.sh", duration_ms=300, error="exit 1")  # 13 @2000 .. 2300
            # body end 14 @2300
            with r.attempt():  # 15 @2400
                b.step("sh", script="./run-tests.sh", duration_ms=200)  # 16 @2500 .. 2700
            # body end 17 @2700
        # retry end 18 @2800
    # body end 19 @2900, end 20 @3000
    with b.stage("Deploy", skipped="SKIPPED_FOR_CONDITIONAL"):  # 21 @3100, body 22 @3200
        pass
    return b.build()


def test_stage_rows_paths_statuses_and_times() -> None:
    rows = stage_rows(_retry_run())
    assert [tuple(r) for r in rows] == [
        ("Build", "Build", "STAGE", "SUCCESS", 300, 1200, 0),
        ("Test", "Test", "STAGE", "SUCCESS", 1700, 1300, 0),  # the retry caught the first failure
        ("Deploy", "Deploy", "STAGE", "NOT_EXECUTED", None, None, 0),  # skipped: no timing
    ]
    assert all(isinstance(r, StageRow) for r in rows)


def test_step_rows_number_repeats_and_keep_loose_steps() -> None:
    rows = step_rows(_retry_run())
    assert [tuple(r) for r in rows] == [
        ("3", "", "echo", "hello", "SUCCESS", 100, 100, None, "echo hello"),
        ("6", "Build", "sh", "make", "SUCCESS", 400, 1000, None, "Build / sh make"),
        ("13", "Test", "sh", "./run-tests.sh", "FAILURE", 2000, 300, "exit 1", "Test / sh ./run-tests.sh"),
        ("16", "Test", "sh", "./run-tests.sh", "SUCCESS", 2500, 200, None, "Test / sh ./run-tests.sh #2"),
    ]
    assert all(isinstance(r, StepRow) for r in rows)
    assert StepRow._fields == STEP_ROW_COLUMNS and StageRow._fields == STAGE_ROW_COLUMNS


def _nested_run() -> Run:
    """A declarative-like stage with branches, one holding a nested stage; then a scripted
    top-level parallel (a parallel block at top level) and two sibling stages of one name."""
    b = GraphBuilder(start_ms=0, step_ms=10)
    with b.stage("Test"), b.parallel("unit", "lint") as par:
        with par.branch("unit"):
            with b.stage("prepare"):
                b.step("sh", script="pip install")
            b.step("sh", script="pytest")
        with par.branch("lint"):
            b.step("sh", script="ruff")
    with b.parallel("a", "b") as par:
        with par.branch("a"):
            b.step("echo", message="in a")
        with par.branch("b"):
            b.step("echo", message="in b")
    for _ in range(2):
        with b.stage("Again"):
            b.step("sh", script="make")
    return b.build()


def test_paths_join_stages_and_branches_from_the_outermost() -> None:
    rows = run_rows(_nested_run())
    assert [(r.path, r.name, r.type) for r in rows.stages] == [
        ("Test", "Test", "STAGE"),
        ("Test / unit", "unit", "PARALLEL_BRANCH"),
        ("Test / unit / prepare", "prepare", "STAGE"),
        ("Test / lint", "lint", "PARALLEL_BRANCH"),
        ("a", "a", "PARALLEL_BRANCH"),  # a top-level parallel block adds no name
        ("b", "b", "PARALLEL_BRANCH"),
        ("Again", "Again", "STAGE"),
        ("Again", "Again", "STAGE"),
    ]
    assert [(r.stage_path, r.path) for r in rows.steps] == [
        ("Test / unit", "Test / unit / sh pytest"),
        ("Test / unit / prepare", "Test / unit / prepare / sh pip install"),
        ("Test / lint", "Test / lint / sh ruff"),
        ("a", "a / echo in a"),
        ("b", "b / echo in b"),
        ("Again", "Again / sh make"),
        ("Again", "Again / sh make #2"),  # two stages named alike: their steps still get unique paths
    ]
    assert len({r.path for r in rows.steps}) == len(rows.steps)


def test_iter_stage_paths_includes_parallel_blocks_with_their_enclosing_path() -> None:
    pairs = [(s.type.name, path) for s, path in iter_stage_paths(analyze(_nested_run()).stages)]
    assert ("PARALLEL_BLOCK", "") in pairs


def test_rows_on_a_real_declarative_parallel_run() -> None:
    run = flowgraph.load(FIXTURES / "legacy-declarative-parallel-completed/jobs/ptest1/builds/1")
    rows = run_rows(run)
    assert [(r.path, r.type, r.status) for r in rows.stages] == [
        ("first-solo", "STAGE", "SUCCESS"),
        ("parent", "STAGE", "SUCCESS"),
        ("parent / branch-one", "PARALLEL_BRANCH", "SUCCESS"),
        ("parent / branch-two", "PARALLEL_BRANCH", "SUCCESS"),
        ("second-solo", "STAGE", "SUCCESS"),
    ]
    # first-solo's body start is 6.xml (startTime 1511976263410); its echo is 7.xml
    # (…468), followed by 8.xml (…470).
    assert rows.stages[0].start == 1511976263410
    assert tuple(rows.steps[0]) == (
        "7",
        "first-solo",
        "echo",
        "first solo one yay",
        "SUCCESS",
        1511976263468,
        2,
        None,
        "first-solo / echo first solo one yay",
    )
    # branch-two's echo is 22.xml (…629), followed by 23.xml (…631).
    assert ("22", "parent / branch-two", 1511976263629, 2) in [
        (r.node_id, r.stage_path, r.start, r.duration) for r in rows.steps
    ]


def test_rows_on_a_real_retry_number_each_attempt() -> None:
    run = flowgraph.load(FIXTURES / "danish-completed-timeout/jobs/pipeline/builds/3")
    steps = run_rows(run).steps
    # retry(3) { sh '…' } failed three times: one path, numbered per attempt.
    assert [(r.function_name, r.status, r.error) for r in steps] == [
        ("sh", "FAILURE", "script returned exit code 127")
    ] * 3
    base = steps[0].path
    assert [r.path for r in steps] == [base, base + " #2", base + " #3"]
    assert base == f"{steps[0].stage_path} / sh {steps[0].summary}"


def test_rows_frame_types_and_concatenation() -> None:
    rows = run_rows(_retry_run())
    stages = rows_frame(rows.stages, "stages")
    steps = rows_frame(rows.steps, "steps")
    assert list(stages.columns) == list(STAGE_ROW_COLUMNS)
    assert str(stages["start"].dtype) == "datetime64[ms, UTC]"
    assert str(stages["duration"].dtype) == "timedelta64[ms]"
    assert stages["duration"].tolist()[:2] == [pd.Timedelta(milliseconds=1200), pd.Timedelta(milliseconds=1300)]
    assert pd.isna(stages["start"].iloc[2]) and pd.isna(stages["duration"].iloc[2])
    assert steps["start"].iloc[1] == pd.Timestamp(400, unit="ms", tz="UTC")
    both = pd.concat([steps, steps], ignore_index=True)
    assert both.index.tolist() == list(range(8)) and both["path"].iloc[7] == "Test / sh ./run-tests.sh #2"
    with pytest.raises(ValueError, match="stages"):
        rows_frame(rows.stages, "nodes")  # type: ignore[arg-type]


def test_empty_run_has_no_rows_and_an_empty_typed_frame() -> None:
    rows = run_rows(GraphBuilder().build())
    assert rows.stages == [] and rows.steps == []
    frame = rows_frame(rows.steps, "steps")
    assert len(frame) == 0 and str(frame["duration"].dtype) == "timedelta64[ms]"
