"""scanners.history on JENKINS_HOMEs written in Jenkins' file format, with known truths.

Every expected number comes from how tests/history_homes.py writes the home (see its docstring):
``team/app`` builds 1-30 (unit tests fail in #5, #12, #20; the build gets twice as slow from #15;
the integration tests pass on a retry in #3 and #7; Deploy spikes in #16-18), build #31 damaged;
``svc`` builds 1-7 (Smoke passes on a retry in #2; Check fails in #4 and #6; #4 and #5 share a
revision; #6 and #7 have none).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowgraph import GraphBuilder, StorageError
from flowgraph.jenkins import save_run
from scanners.history import History, ImportReport, normalise_message
from scanners.history.extract import TableBatch
from scanners.history.queries import _regression_in
from tests.history_homes import write_app_run, write_home

pytest.importorskip("duckdb", reason="run history needs the history extra")

S = pd.Timedelta(seconds=1)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_home(tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="module")
def history(home: Path, tmp_path_factory: pytest.TempPathFactory) -> History:
    return History.build(home, tmp_path_factory.mktemp("warehouse"))


def rows(frame: pd.DataFrame, columns: list[str]) -> list[list[object]]:
    """The columns' values as lists, missing values (NaN in pandas' string columns) as None."""
    return [[None if pd.isna(v) else v for v in row] for row in frame[columns].values.tolist()]


def test_import_report_and_damaged_run(history: History) -> None:
    assert history.report == ImportReport(imported=37, unchanged=0, failed=1)
    errors = history.errors
    assert rows(errors, ["job", "number", "error_type"]) == [["team/app", 31, "FormatError"]]
    assert errors["path"][0].endswith("builds/31/workflow/5.xml")
    assert "5.xml" in errors["message"][0]


def test_runs_table(history: History) -> None:
    runs = history.runs
    assert list(runs.columns[:5]) == ["job", "number", "result", "start", "duration"]
    assert str(runs["start"].dtype) == "datetime64[ms, UTC]" and str(runs["duration"].dtype) == "timedelta64[ms]"
    assert isinstance(runs.index, pd.RangeIndex) and len(runs) == 37
    assert runs.groupby("job").size().to_dict() == {"svc": 7, "team/app": 30}
    app = runs[runs.job == "team/app"].set_index("number")
    assert sorted(app.index[app.result == "FAILURE"]) == [5, 12, 20]
    assert app.loc[1, "start"] == pd.Timestamp(1_700_000_000_000 + 86_400_000, unit="ms", tz="UTC")
    svc = runs[runs.job == "svc"].set_index("number")
    assert rows(svc, ["revision"]) == [["r1"], ["r2"], ["r3"], ["abc1234"], ["abc1234"], [None], [None]]
    assert set(svc["cause"]) == {"UserIdCause"} and not runs["running"].any()
    assert sorted(svc.index[svc.result == "FAILURE"]) == [4, 6]


def test_stage_and_step_tables(history: History) -> None:
    stages, steps = history.stages, history.steps
    assert list(stages.columns[:9]) == ["job", "number", "path", "name", "type", "status", "start", "duration", "pause"]
    assert list(steps.columns[:10]) == [
        "job", "number", "node_id", "stage_path", "function_name", "summary", "status", "start", "duration", "error",
    ]  # fmt: skip
    # team/app: Build, Test, Test / unit|lint|integration (+ Deploy unless Test failed): 27*6 + 3*5;
    # svc: Smoke, Check, and Smoke again in #2.
    assert len(stages) == 27 * 6 + 3 * 5 + 7 * 2 + 1
    # team/app: make, pytest, ruff, it.sh (twice in #3, #7), deploy.sh (not in #5, #12, #20).
    assert len(steps) == 27 * 5 + 3 * 4 + 2 + 7 * 2 + 1
    app7 = stages[(stages.job == "team/app") & (stages.number == 7)]
    assert rows(app7, ["path", "type"]) == [
        ["Build", "STAGE"], ["Test", "STAGE"], ["Test / unit", "PARALLEL_BRANCH"], ["Test / lint", "PARALLEL_BRANCH"],
        ["Test / integration", "PARALLEL_BRANCH"], ["Deploy", "STAGE"],
    ]  # fmt: skip
    it7 = steps[(steps.job == "team/app") & (steps.number == 7) & (steps.function_name == "sh")]
    it7 = it7[it7.stage_path == "Test / integration"]
    assert rows(it7, ["path", "status", "in_retry", "occurrence"]) == [
        ["Test / integration / sh ./it.sh", "FAILURE", True, 1],
        ["Test / integration / sh ./it.sh #2", "SUCCESS", False, 2],
    ]
    assert it7["error"].tolist()[0] == "connection reset by 10.0.0.9:8080 after 900ms"
    # The unit failure is recorded once, where it was thrown, not again on the blocks it left.
    assert steps[steps.number.eq(5) & steps.job.eq("team/app")]["error"].notna().sum() == 1


def test_failure_rates(history: History) -> None:
    stage = history.failure_rates()
    assert list(stage.columns) == ["job", "path", "runs", "failures", "unstable", "aborted", "rate"]
    # Smoke failed in #2 but passed on the retry: the run's Smoke ended SUCCESS (the step that
    # failed keeps its failure at step level, below).
    assert rows(stage, ["job", "path", "runs", "failures"]) == [
        ["svc", "Check", 7, 2],
        ["team/app", "Test", 30, 3],
        ["team/app", "Test / unit", 30, 3],
        ["team/app", "Build", 30, 0],
        ["team/app", "Test / integration", 30, 0],
        ["team/app", "Test / lint", 30, 0],
        ["team/app", "Deploy", 27, 0],
        ["svc", "Smoke", 7, 0],
    ]
    assert stage["rate"].tolist()[:3] == pytest.approx([2 / 7, 0.1, 0.1])
    assert rows(history.failure_rates("step", job="svc"), ["path", "runs", "failures"]) == [
        ["Check / sh check", 7, 2],
        ["Smoke / sh smoke", 7, 1],
        ["Smoke / sh smoke #2", 1, 0],
    ]
    app = history.failure_rates(job="team/app", last=11)  # builds 20-30: one unit failure
    assert rows(app, ["path", "runs", "failures"])[:2] == [["Test", 11, 1], ["Test / unit", 11, 1]]
    assert history.failure_rates(job="team", last=10)["failures"].sum() == 0  # a folder: its jobs
    step = history.failure_rates("step", job="team/app")
    assert rows(step, ["path", "runs", "failures"])[:2] == [
        ["Test / unit / sh pytest tests/unit", 30, 3],
        ["Test / integration / sh ./it.sh", 30, 2],
    ]


def test_slowest(history: History) -> None:
    step = history.slowest("step", job="team/app").set_index("path")
    assert list(history.slowest().columns) == ["job", "path", "runs", "median", "p90", "max"]
    # deploy.sh: 24 runs of 10 s and 3 of 30 s; p90 interpolates between the 24th and 25th value.
    assert step.loc["Deploy / sh deploy.sh", ["runs", "median", "p90", "max"]].tolist() == [27, 10 * S, 18 * S, 30 * S]
    # make: 14 runs of 60-62 s, then 16 of 120-122 s (six of them 120 s): the median is 120 s.
    assert step.loc["Build / sh make", ["median", "max"]].tolist() == [120 * S, 122 * S]
    assert step.index[0] == "Build / sh make"


def test_regressions(history: History) -> None:
    step = history.regressions("step")
    assert list(step.columns) == [
        "job",
        "path",
        "first_slow_number",
        "before_median",
        "after_median",
        "ratio",
        "p_value",
    ]
    # Only make got slower (not the noisy lint, not the 3-run Deploy spike): #5-14 vs #15-24.
    assert rows(step, ["job", "path", "first_slow_number", "before_median", "after_median"]) == [
        ["team/app", "Build / sh make", 15, 61 * S, 121 * S]
    ]
    assert step["ratio"][0] == pytest.approx(121 / 61) and step["p_value"][0] < 0.01
    stage = history.regressions()
    assert rows(stage, ["path", "first_slow_number"]) == [["Build", 15]]
    assert history.regressions(ratio=2.5).empty and history.regressions(job="svc").empty


# Derandomized: the rule's false-alarm rate is small but not zero (about 1 in 3,000 series at a
# log-sd of 0.25, measured over seeds 0-2999), so the examples are fixed rather than new each run.
@settings(derandomize=True)
@given(
    st.integers(0, 2**31),
    st.integers(30, 60),
    st.sampled_from([0.05, 0.15, 0.25]),
)
def test_regression_rule_no_false_alarm_on_stable_or_spike(seed: int, n: int, noise: float) -> None:
    rng = np.random.default_rng(seed)
    durations = 100.0 * np.exp(rng.normal(0, noise, n))
    numbers = np.arange(1, n + 1)
    assert _regression_in(numbers, durations, 10, 1.5) is None
    spiked = durations.copy()
    # A spike shorter than half the window, with a window of ordinary runs after it (until those
    # have run, a spike cannot be told from the start of a regression).
    at = int(rng.integers(10, n - 4 - 10))
    spiked[at : at + 4] *= 3
    assert _regression_in(numbers, spiked, 10, 1.5) is None


@settings(derandomize=True)
@given(st.integers(0, 2**31), st.integers(12, 40), st.sampled_from([0.05, 0.1]))
def test_regression_rule_finds_a_step_change(seed: int, at: int, noise: float) -> None:
    rng = np.random.default_rng(seed)
    durations = 100.0 * np.exp(rng.normal(0, noise, 60))
    durations[at:] *= 2.5
    found = _regression_in(np.arange(1, 61), durations, 10, 1.5)
    assert found is not None and found[0] == at


def test_flaky(history: History) -> None:
    stage = history.flaky()
    assert list(stage.columns) == ["job", "path", "runs", "flaky_runs", "evidence"]
    assert rows(stage, ["job", "path", "runs", "flaky_runs"]) == [["svc", "Check", 7, 2], ["svc", "Smoke", 7, 1]]
    assert stage["evidence"].tolist() == [
        "failed and passed at one revision in #4, #5 (1 revision)",
        "failed then passed on retry in #2",
    ]
    step = history.flaky("step")
    assert rows(step, ["job", "path", "runs", "flaky_runs"]) == [
        ["team/app", "Test / integration / sh ./it.sh", 30, 2],
        ["svc", "Check / sh check", 7, 2],
        ["svc", "Smoke / sh smoke", 7, 1],
    ]
    assert step["evidence"][0] == "failed then passed on retry in #3, #7"
    # #6 (failed) and #7 (passed) have no known revision: never grouped, so not flaky evidence.
    assert history.flaky(job="team/app").empty


def test_failure_signatures(history: History) -> None:
    sig = history.failure_signatures()
    assert list(sig.columns) == [
        "signature", "count", "jobs", "failed_runs", "example_job", "example_number", "example_message",
    ]  # fmt: skip
    assert rows(sig, ["count", "jobs", "failed_runs", "example_job", "example_number"]) == [
        [3, 1, 3, "team/app", 20],  # "3/7/12 failures in 41 tests"
        [2, 1, 2, "svc", 6],  # "error: 2/5 files would be reformatted"
        [2, 1, 0, "team/app", 7],  # connection resets, caught by retry: no run failed
        [1, 1, 0, "svc", 2],  # smoke timeout, caught by retry
    ]
    assert sig["signature"][0] == "AbortException: <n> failures in <n> tests"
    assert sig["example_message"][0] == "12 failures in 41 tests"
    assert history.failure_signatures(job="svc")["count"].tolist() == [2, 1]


def test_normalised_messages_mask_what_varies() -> None:
    assert normalise_message("3 failures in 41 tests") == normalise_message("7 failures in 41 tests")
    assert normalise_message("took 12s in /tmp/ws/a@2") == normalise_message("took 900ms in /var/b")
    assert normalise_message("commit deadbeef42 broke") == normalise_message("commit 0a1b2c3d4e5f broke")
    assert normalise_message("exit code 1") != normalise_message("no such file")


def test_sql_over_the_warehouse(history: History) -> None:
    counted = history.sql("select job, count(*) as n from runs group by job order by job")
    assert counted.values.tolist() == [["svc", 7], ["team/app", 30]]
    joined = history.sql(
        "select s.duration from stages s join runs r using (job, number) "
        "where r.revision = 'abc1234' and s.path = 'Check' order by number"
    )
    assert joined["duration"].dtype.kind == "m" and len(joined) == 2


def test_open_reads_the_same_warehouse(history: History, tmp_path: Path) -> None:
    again = History.open(history.root)
    assert again.report == history.report
    pd.testing.assert_frame_equal(again.steps, history.steps)
    with pytest.raises(StorageError, match="not a run-history warehouse"):
        History.open(tmp_path)
    with pytest.raises(StorageError, match="no such"):
        History.build(tmp_path / "missing", tmp_path / "w")


def test_incremental_import(home: Path, tmp_path: Path) -> None:
    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    store = tmp_path / "wh"
    assert History.build(copy, store).report == ImportReport(37, 0, 1)
    assert History.build(copy, store).report == ImportReport(0, 38, 0)
    write_app_run(copy, 32)
    h = History.build(copy, store)
    assert h.report == ImportReport(1, 38, 0)
    assert h.runs.number[h.runs.job == "team/app"].max() == 32 and len(h.runs) == 38
    # A changed build.xml is read again, and its old rows are replaced, not duplicated.
    stages_before = len(h.stages)
    write_app_run(copy, 5)  # written again: a new build.xml modification time
    h = History.build(copy, store)
    assert h.report == ImportReport(1, 38, 0)
    assert len(h.runs) == 38 and len(h.stages) == stages_before
    assert (h.stages.number.eq(5) & h.stages.job.eq("team/app")).sum() == 5  # Build, Test and its 3 branches
    assert h.failure_rates(job="team/app")["failures"].max() == 3


def test_sql_store_as_source(home: Path, history: History, tmp_path: Path) -> None:
    """The same runs copied into SQLite (as `flowgraph import` does) give the same answers."""
    from render.sources import import_runs

    url = f"sqlite:///{tmp_path / 'runs.db'}"
    copied = import_runs(str(home), url)
    assert len(copied.imported) == 37 and len(copied.failed) == 1  # the damaged run stays behind
    from_sql = History.build(url, tmp_path / "wh")
    assert from_sql.report == ImportReport(37, 0, 0)
    pd.testing.assert_frame_equal(from_sql.failure_rates("step"), history.failure_rates("step"))
    pd.testing.assert_frame_equal(from_sql.regressions(), history.regressions())
    assert History.build(url, tmp_path / "wh").report == ImportReport(0, 37, 0)


def test_running_run_is_imported_until_complete(tmp_path: Path) -> None:
    home, store = tmp_path / "home", tmp_path / "wh"
    build_dir = home / "jobs" / "live" / "builds" / "1"
    b = GraphBuilder(start_ms=0)
    stage = b.begin_stage("Build")
    b.step("sh", script="make")
    save_run(b.build(running=True), build_dir)
    del stage
    first = History.build(home, store)
    assert first.report == ImportReport(1, 0, 0)
    assert rows(first.runs, ["number", "result", "running"]) == [[1, None, True]]
    assert History.build(home, store).report == ImportReport(1, 0, 0)  # still running: read again
    assert len(History.open(store).stages) == 1  # old rows replaced
    done = GraphBuilder(start_ms=0)
    with done.stage("Build"):
        done.step("sh", script="make")
    save_run(done.build(), build_dir)
    finished = History.build(home, store)
    assert finished.report == ImportReport(1, 0, 0)
    assert rows(finished.runs, ["result", "running"]) == [["SUCCESS", False]]
    assert History.build(home, store).report == ImportReport(0, 1, 0)


def test_deep_nesting_needs_no_recursion() -> None:
    """200 failing steps under 20,000 nested blocks in a retry: flagged in one walk up, not 200."""
    b = GraphBuilder(start_ms=0, step_ms=1)
    depth = 20_000
    with b.stage("Deep"), b.retry(2) as retry, retry.attempt():
        for _ in range(depth):
            b.begin_block("timeout", kind="block", arguments={"time": 1})
        for _ in range(200):
            with b.try_catch():
                b.step("sh", script="boom", error="exit 1")
        for _ in range(depth):
            b.end_block()
    run = b.build()
    run.name, run.number = "deep", 1
    batch = TableBatch()
    batch.add_run(run)
    steps = batch.columns["steps"]
    assert steps["in_retry"] == [True] * 200 and steps["path"][1] == "Deep / sh boom #2"
    assert run.graph.lookup.visits < 3 * len(run.graph)  # linear in the graph, not 200 x depth


def test_dask_cluster_over_tcp_writes_the_same_tables(home: Path, history: History, tmp_path: Path) -> None:
    """A real distributed.LocalCluster, two worker processes on 127.0.0.1: same warehouse as embedded."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, protocol="tcp", host="127.0.0.1", dashboard_address=None
    ) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        spread = History.build(home, tmp_path / "wh", scheduler=cluster.scheduler_address, chunk_size=4)
        assert spread.report == history.report
        with distributed.Client(cluster) as client:
            assert len(client.scheduler_info()["workers"]) == 2
    # team/app's 31 builds in chunks of 4: 8 parts, written by the workers.
    assert len(list((tmp_path / "wh" / "steps" / "team%2Fapp").glob("*.parquet"))) == 8
    for table in ("runs", "stages", "steps", "errors"):
        pd.testing.assert_frame_equal(getattr(spread, table), getattr(history, table))
    pd.testing.assert_frame_equal(spread.flaky("step"), history.flaky("step"))
    assert History.build(home, tmp_path / "wh").report == ImportReport(0, 38, 0)
