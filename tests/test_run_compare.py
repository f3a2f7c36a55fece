"""diff_runs and critical_path on builder runs with hand-computed numbers, real fixtures, big graphs.

Parallel branches are built truly concurrent: the clock is wound back to the fork for each branch
and moved to the last branch end before the join, so times are what Jenkins would record. The
builder stamps each node ``step_ms`` (100) after the previous one, a step ``duration_ms`` long.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import flowgraph
import scanners
from flowgraph import GraphBuilder, MemoryNodeStorage, Run
from flowgraph.errors import NodeNotFoundError
from scanners import RunDiff, critical_path, diff_runs
from scanners.critical_path import critical_node_ids
from scanners.run_rows import run_rows
from tests.conftest import FIXTURES
from tests.scanners.builder_programs import Item, programs, run_program

MS = pd.Timedelta(milliseconds=1)


def concurrent_parallel(b: GraphBuilder, branches: list[tuple[str, list[tuple[str, int, str | None]]]]) -> None:
    """A parallel whose branches run at the same time: each (name, [(script, ms, error)…])."""
    with b.parallel(*(name for name, _ in branches)) as par:
        fork = b.clock.ms
        ends = []
        for name, steps in branches:
            b.clock.ms = fork
            with par.branch(name):
                for script, ms, error in steps:
                    b.step("sh", script=script, duration_ms=ms, error=error)
            ends.append(b.clock.ms)
        b.clock.ms = max(ends)


def two_branch_run(unit_ms: int, lint_ms: int, *, declared: tuple[str, str] = ("unit", "lint")) -> Run:
    b = GraphBuilder(start_ms=0, step_ms=100)
    with b.stage("Build"):  # 3 @100, body 4 @200
        b.step("sh", script="make", duration_ms=1000)  # 5 @300 .. 1300
    with b.stage("Test"):  # 8 @1500, body 9 @1600; parallel 10 @1700, branch starts 12, 13
        scripts = {"unit": ("pytest", unit_ms, None), "lint": ("ruff", lint_ms, None)}
        concurrent_parallel(b, [(name, [scripts[name]]) for name in declared])  # steps @2000
    return b.build()


# -- critical_path ---------------------------------------------------------------------------


def test_critical_path_follows_the_first_declared_branch_when_it_finishes_last() -> None:
    path = critical_path(two_branch_run(5000, 2000))
    assert list(path.columns[:4]) == ["path", "function_name", "start", "duration"]
    assert path[["path", "function_name", "node_id"]].values.tolist() == [
        ["Build / sh make", "sh", "5"],
        ["Test / unit / sh pytest", "sh", "14"],
    ]
    assert path["start"].tolist() == [pd.Timestamp(300, unit="ms", tz="UTC"), pd.Timestamp(2000, unit="ms", tz="UTC")]
    assert path["duration"].tolist() == [1000 * MS, 5000 * MS]


def test_critical_path_follows_the_second_declared_branch_when_it_finishes_last() -> None:
    # Same branches, declared lint first: unit is now the 2nd branch and still the one that ends last.
    path = critical_path(two_branch_run(5000, 2000, declared=("lint", "unit")))
    assert path["path"].tolist() == ["Build / sh make", "Test / unit / sh pytest"]
    assert path["node_id"].tolist() == ["5", "16"]
    # And when lint is the slow one, it is lint, not the first-declared unit.
    path = critical_path(two_branch_run(300, 4000))
    assert path["path"].tolist() == ["Build / sh make", "Test / lint / sh ruff"]
    assert path["duration"].tolist()[1] == 4000 * MS


def test_critical_path_through_nested_parallels_and_sequences() -> None:
    b = GraphBuilder(start_ms=0, step_ms=100)
    with b.parallel("left", "right") as par:
        fork = b.clock.ms
        with par.branch("left"):
            b.step("sh", script="a", duration_ms=1000)
            concurrent_parallel(b, [("x", [("x1", 500, None), ("x2", 4000, None)]), ("y", [("y1", 3000, None)])])
            b.step("sh", script="b", duration_ms=700)
        left_end = b.clock.ms
        b.clock.ms = fork
        with par.branch("right"):
            b.step("sh", script="c", duration_ms=2000)
        b.clock.ms = max(left_end, b.clock.ms)
    path = critical_path(b.build())
    # left: a (1000), then x (500 + 4000 + nodes) beats y (3000), then b; right is shorter.
    assert path["path"].tolist() == ["left / sh a", "left / x / sh x1", "left / x / sh x2", "left / sh b"]
    assert path["duration"].tolist() == [1000 * MS, 500 * MS, 4000 * MS, 700 * MS]


@given(
    st.lists(
        st.one_of(
            st.integers(min_value=1, max_value=50).map(lambda ms: ("step", ms)),
            st.lists(st.integers(min_value=1, max_value=50), min_size=2, max_size=4, unique=True).map(
                lambda ms: ("parallel", ms)
            ),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_critical_path_takes_the_longest_branch_of_every_parallel(shape: list[tuple[str, object]]) -> None:
    b = GraphBuilder(start_ms=0, step_ms=1)
    expected = []
    for index, (kind, spec) in enumerate(shape):
        with b.stage(f"s{index}"):
            if kind == "step":
                b.step("sh", script="work", duration_ms=100 * spec)  # type: ignore[operator]
                expected.append(f"s{index} / sh work")
            else:
                durations: list[int] = spec  # type: ignore[assignment]
                names = [f"b{k}" for k in range(len(durations))]
                branches = [(n, [("work", 100 * ms, None)]) for n, ms in zip(names, durations, strict=True)]
                concurrent_parallel(b, branches)
                slowest = names[durations.index(max(durations))]
                expected.append(f"s{index} / {slowest} / sh work")
    assert critical_path(b.build())["path"].tolist() == expected


def test_critical_path_of_a_running_parallel_takes_the_newest_head() -> None:
    b = GraphBuilder(start_ms=0, step_ms=100)
    with b.parallel("a", "b") as par:
        fork = b.clock.ms
        with par.branch("a"):
            b.step("sh", script="long", duration_ms=100)
            b.step("sh", script="still going")
            b.halt()
        b.clock.ms = fork
        with par.branch("b"):
            b.step("sh", script="short", duration_ms=50)
            b.halt()
    run = b.build()
    assert critical_path(run)["path"].tolist() == ["a / sh long", "a / sh still going"]


def test_critical_path_on_a_real_declarative_parallel() -> None:
    run = flowgraph.load(FIXTURES / "legacy-declarative-parallel-completed/jobs/ptest1/builds/1")
    # 25.xml (branch-two's end) is written at …652, after 24.xml (branch-one's end) at …641,
    # so branch-two, declared second, sets the parallel's end.
    path = critical_path(run)
    assert path["path"].tolist() == [
        "first-solo / echo first solo one yay",
        "parent / branch-two / echo In branch-two",
        "second-solo / echo In second-solo",
    ]
    assert path["node_id"].tolist() == ["7", "22", "33"]


def test_critical_path_on_an_empty_run_and_a_broken_link() -> None:
    assert critical_path(GraphBuilder().build()).empty
    storage = MemoryNodeStorage()
    b = GraphBuilder(storage=storage)
    b.step("sh", script="x")
    run = b.build()
    del storage._nodes["2"]  # the flow start is gone: the step's parent link dangles
    with pytest.raises(NodeNotFoundError, match="named by node 3"):
        critical_node_ids(run)


# -- diff_runs -------------------------------------------------------------------------------


def _release(*, make_ms: int, unit_error: str | None, ruff: str, publish: bool, deploy: bool) -> Run:
    b = GraphBuilder(start_ms=0, step_ms=100)
    with b.stage("Build"):
        b.step("sh", script="make", duration_ms=make_ms)
    if publish:
        with b.stage("Publish"):
            b.step("sh", script="publish.sh")
    if deploy:
        with b.stage("Deploy"):
            b.step("sh", script="deploy.sh")
    with b.stage("Test"):
        concurrent_parallel(b, [("unit", [("pytest", 5000, unit_error)]), ("lint", [(ruff, 2000, None)])])
    return b.build()


def test_diff_runs_reports_every_kind_of_change() -> None:
    good = _release(make_ms=1000, unit_error=None, ruff="ruff check .", publish=False, deploy=True)
    bad = _release(make_ms=4000, unit_error="3 failures", ruff="ruff check --fix .", publish=True, deploy=False)
    diff = diff_runs(good, bad)
    assert isinstance(diff, RunDiff) and len(diff) == 10
    assert diff.changes[["path", "kind", "change", "before", "after"]].values.tolist() == [
        # Build: from its body start to its outer end is 200 ms + make: 1200 ms, then 4200 ms.
        ["Build", "stage", "duration", 1200 * MS, 4200 * MS],
        ["Publish", "stage", "added", None, "SUCCESS"],
        ["Test", "stage", "status", "SUCCESS", "FAILURE"],
        ["Test / unit", "stage", "status", "SUCCESS", "FAILURE"],
        ["Deploy", "stage", "removed", "SUCCESS", None],
        ["Build / sh make", "step", "duration", 1000 * MS, 4000 * MS],
        ["Publish / sh publish.sh", "step", "added", None, "SUCCESS"],
        ["Test / unit / sh pytest", "step", "status", "SUCCESS", "FAILURE"],
        ["Test / lint / sh ruff check --fix .", "step", "arguments", "ruff check .", "ruff check --fix ."],
        ["Deploy / sh deploy.sh", "step", "removed", "SUCCESS", None],
    ]
    assert diff.counts() == {"added": 2, "removed": 2, "status": 3, "duration": 2, "arguments": 1}
    assert diff.stage_changes()["Test / lint"] == {"arguments"}
    assert diff.stage_changes()["Build"] == {"duration"}
    assert "removed=2" in repr(diff)


def test_diff_runs_ignores_small_duration_changes_unless_asked() -> None:
    def run(ms: int) -> Run:
        b = GraphBuilder(start_ms=0, step_ms=10)
        with b.stage("Build"):
            b.step("sh", script="make", duration_ms=ms)
        return b.build()

    assert len(diff_runs(run(10), run(40))) == 0  # 4x, but 30 ms apart: below min_delta_ms
    both = diff_runs(run(10), run(40), min_delta_ms=0).changes
    assert both[["path", "change"]].values.tolist() == [["Build", "duration"], ["Build / sh make", "duration"]]
    # the stage runs from its body start (20 ms) to its outer end (50 + ms): 20 ms + the step
    assert both["before"].tolist() == [30 * MS, 10 * MS] and both["after"].tolist() == [60 * MS, 40 * MS]
    assert len(diff_runs(run(1000), run(1400))) == 0  # 1.4x: below the 1.5 ratio
    assert len(diff_runs(run(3000), run(1000))) == 2  # faster counts too
    with pytest.raises(ValueError, match="at least 1"):
        diff_runs(run(1), run(2), ratio=0.5)


def test_diff_aligns_repeats_by_order() -> None:
    def run(results: list[str | None]) -> Run:
        b = GraphBuilder(start_ms=0, step_ms=100)
        with b.stage("Test"), b.retry(len(results)) as r:
            for error in results:
                with r.attempt():
                    b.step("sh", script="./flaky.sh", error=error)
        return b.build()

    diff = diff_runs(run([None]), run(["boom", None]))
    assert diff.changes[["path", "change", "before", "after"]].values.tolist() == [
        ["Test / sh ./flaky.sh", "status", "SUCCESS", "FAILURE"],
        ["Test / sh ./flaky.sh #2", "added", None, "SUCCESS"],
    ]


def test_diff_of_real_runs_and_of_a_run_with_itself() -> None:
    retry = flowgraph.load(FIXTURES / "danish-completed-timeout/jobs/pipeline/builds/3")
    timeout = flowgraph.load(FIXTURES / "danish-completed-timeout/jobs/pipeline/builds/4")
    assert len(diff_runs(retry, retry)) == 0
    rows = run_rows(retry)
    assert len(diff_runs(rows, rows)) == 0  # rows are accepted as they are
    diff = diff_runs(retry, timeout, min_delta_ms=10**9)
    before = {r.path for r in run_rows(retry).stages} | {r.path for r in run_rows(retry).steps}
    after = {r.path for r in run_rows(timeout).stages} | {r.path for r in run_rows(timeout).steps}
    changes = diff.changes
    assert set(changes.loc[changes["change"] == "removed", "path"]) <= before - after
    assert set(changes.loc[changes["change"] == "added", "path"]) <= after - before
    assert diff.counts()["removed"] + diff.counts()["arguments"] == len(before - after)


def test_public_names() -> None:
    assert {"diff_runs", "critical_path", "RunDiff"} <= set(scanners.__all__)


# -- big graphs ------------------------------------------------------------------------------


def _deep_run(depth: int, storage: MemoryNodeStorage | None = None) -> Run:
    """``depth`` nested ``dir`` blocks inside one stage, a concurrent parallel at the bottom."""
    b = GraphBuilder(start_ms=0, step_ms=1, storage=storage)
    with b.stage("Deep"):
        for k in range(depth):
            b.begin_block("dir", arguments={"path": f"d{k}"})
        concurrent_parallel(b, [("fast", [("true", 5, None)]), ("slow", [("sleep", 50, None)])])
        for _ in range(depth):
            b.end_block()
    return b.build()


def test_deep_blocks_neither_recurse_nor_read_more_than_the_path() -> None:
    storage = MemoryNodeStorage()
    run = _deep_run(20_000, storage)
    graph_size = len(run.graph)
    assert graph_size > 80_000
    before = storage.reads
    ids = critical_node_ids(run)
    # One read per node on the path back from the end (every node but the fast branch's three),
    # plus the branch ends compared at the join.
    assert storage.reads - before <= graph_size
    assert len(ids) == 1
    path = critical_path(run)
    assert path["path"].tolist() == ["Deep / slow / sh sleep"]
    assert path["duration"].tolist() == [50 * MS]
    assert len(diff_runs(run, run)) == 0
    rows = run_rows(run)
    assert [r.path for r in rows.steps] == ["Deep / fast / sh true", "Deep / slow / sh sleep"]


def test_thousands_of_nested_stages_have_paths_without_recursion() -> None:
    depth = 2_000  # deeper than Python's recursion limit; paths are O(depth) long each by definition
    b = GraphBuilder(start_ms=0, step_ms=1)
    for k in range(depth):
        b.begin_stage(f"s{k}")
    b.step("sh", script="bottom")
    for _ in range(depth):
        b.end_block()
    run = b.build()
    rows = run_rows(run)
    assert len(rows.stages) == depth
    assert rows.stages[-1].path == " / ".join(f"s{k}" for k in range(depth))
    assert rows.steps[0].path == rows.stages[-1].path + " / sh bottom"
    assert critical_path(run)["path"].tolist() == [rows.steps[0].path]
    assert len(diff_runs(rows, rows)) == 0


# -- properties on random pipelines -----------------------------------------------------------


@given(programs, programs)
def test_diff_properties_on_random_pipelines(first: list[Item], second: list[Item]) -> None:
    a, b = run_program(first), run_program(second)
    rows_a, rows_b = run_rows(a), run_rows(b)
    assert len(diff_runs(rows_a, rows_a)) == 0
    forward, backward = diff_runs(rows_a, rows_b).counts(), diff_runs(rows_b, rows_a).counts()
    assert forward["added"] == backward["removed"] and forward["removed"] == backward["added"]
    assert forward["status"] == backward["status"] and forward["arguments"] == backward["arguments"]
    # Whatever is not added or paired as changed arguments is matched: counts add up per side.
    steps_b = len(rows_b.steps)
    step_changes = diff_runs(rows_a, rows_b).changes
    step_changes = step_changes[step_changes["kind"] == "step"]
    added = int((step_changes["change"] == "added").sum())
    matched_b = steps_b - added
    assert matched_b == len({r.path for r in rows_b.steps} & {r.path for r in rows_a.steps}) + int(
        (step_changes["change"] == "arguments").sum()
    )


@given(programs)
def test_rows_and_critical_path_properties_on_random_pipelines(program: list[Item]) -> None:
    run = run_program(program)
    rows = run_rows(run)
    assert len({r.path for r in rows.steps}) == len(rows.steps)  # step paths are unique in a run
    stage_paths = {r.path for r in rows.stages}
    for step in rows.steps:
        assert step.stage_path == "" or step.stage_path in stage_paths
        assert step.path.startswith(step.stage_path)
    path = critical_path(run)
    step_ids = {r.node_id for r in rows.steps}
    assert set(path["node_id"]) <= step_ids
    starts = [s for s in path["start"].tolist() if not pd.isna(s)]
    assert starts == sorted(starts)  # a chain: each step starts after the one before it
