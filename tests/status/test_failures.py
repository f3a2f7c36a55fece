"""scanners.failures: the first failure first, caught errors apart (issue 13).

Expectations come from Jenkins' semantics (an error is copied onto every block end it leaves;
retry/catchError/try stop it) and, for the real runs, from reading their XML by hand.
"""

from __future__ import annotations

from flowgraph import GraphBuilder
from flowgraph.jenkins.runs import load_run
from flowgraph.result import Result
from scanners.analysis import analyze
from scanners.failures import failure_summary
from tests.conftest import FIXTURES


def _summary(builder: GraphBuilder, result: Result | None = None):  # type: ignore[no-untyped-def]
    return failure_summary(analyze(builder.build(result)))


def test_failed_step_in_nested_stage_is_the_failure_with_its_stage_path() -> None:
    b = GraphBuilder(start_ms=0, step_ms=10)
    with b.stage("Build"):
        b.step("sh", script="make")
    with b.stage("Test"):
        with b.stage("Unit"):
            failing = b.step("sh", script="pytest", error="3 tests failed")
    summary = _summary(b)
    assert [f.id for f in summary.failures] == [failing.id]
    first = summary.first
    assert first is not None
    assert first.stage_path == ("Test", "Unit")
    assert first.message == "3 tests failed" and not first.caught and first.caught_by is None
    assert summary.caught == []
    assert "Test / Unit: sh" in first.describe() and "None" not in first.describe()


def test_retry_catches_earlier_attempts_and_last_attempt_fails() -> None:
    b = GraphBuilder(start_ms=0, step_ms=10)
    attempts = []
    with b.stage("Deploy"):
        with b.retry(3) as r:
            for _ in range(3):
                with r.attempt():
                    attempts.append(b.step("sh", script="deploy", error="connection refused"))
    summary = _summary(b)
    assert [f.id for f in summary.failures] == [attempts[2].id]
    assert [f.id for f in summary.caught] == [attempts[0].id, attempts[1].id]
    assert {f.caught_by_name for f in summary.caught} == {"retry"}


def test_retry_that_succeeds_leaves_no_failure() -> None:
    b = GraphBuilder(start_ms=0, step_ms=10)
    with b.retry(2) as r:
        with r.attempt():
            flaky = b.step("sh", script="flaky", error="timeout")
        with r.attempt():
            b.step("sh", script="flaky")
    summary = _summary(b)
    assert not summary and summary.failures == []
    assert [(f.id, f.caught_by_name) for f in summary.caught] == [(flaky.id, "retry")]
    assert next(iter(summary.lines())) == "No failing step."


def test_catch_error_and_try_catch_are_caught_not_failures() -> None:
    b = GraphBuilder(start_ms=0, step_ms=10)
    with b.stage("Lint"):
        with b.catch_error(build_result=Result.UNSTABLE):
            lint = b.step("sh", script="ruff", error="E501")
    with b.stage("Docs"):
        with b.try_catch():
            docs = b.step("sh", script="sphinx", error="missing ref")
        b.step("echo", message="docs are optional")
    summary = _summary(b)
    assert summary.failures == []
    caught = {f.id: f for f in summary.caught}
    assert set(caught) == {lint.id, docs.id}
    assert caught[lint.id].caught_by_name == "catchError"
    assert caught[lint.id].stage_path == ("Lint",)
    assert caught[docs.id].caught_by_name == "stage"  # the stage body ended fine around the try


def test_failing_parallel_branches_are_each_a_failure_in_order() -> None:
    b = GraphBuilder(start_ms=0, step_ms=10)
    with b.stage("Test"):
        with b.parallel("linux", "windows") as par:
            with par.branch("linux"):
                first = b.step("sh", script="make test", error="linux broke")
            with par.branch("windows"):
                second = b.step("bat", script="make test", error="windows broke")
    summary = _summary(b)
    assert [f.id for f in summary.failures] == [first.id, second.id]
    assert [f.stage_path for f in summary.failures] == [("Test", "linux"), ("Test", "windows")]


def test_danish_retry_run_read_off_the_files() -> None:
    # builds/3: retry(3) { sh } inside stage 'Timeout'; the three sh attempts are nodes 9, 12, 15
    # ("script returned exit code 127" each); the retry's end carries the third attempt's error.
    run = load_run(FIXTURES / "danish-completed-timeout" / "jobs" / "pipeline" / "builds" / "3")
    summary = failure_summary(analyze(run))
    assert [(f.id, f.stage_path, f.function_name) for f in summary.failures] == [("15", ("Timeout",), "sh")]
    assert summary.failures[0].message == "script returned exit code 127"
    assert [(f.id, f.caught_by_name) for f in summary.caught] == [("9", "retry"), ("12", "retry")]
    # its log (log-index ranges of node 15) ends with the shell's complaint
    assert summary.failures[0].log.lines[-1].endswith("I: not found\n")


def test_declarative_rethrown_failure_is_the_step_not_the_skipped_stages() -> None:
    # test-pipeline #19: sh (node 19) in stage git-clone fails with exit code 128; declarative marks
    # the skipped stages 'directory' and 'build' (ends 26, 30) with the same error and rethrows it
    # past the withEnv blocks (ends 32, 33 carry no error) to node 34, 35 and the flow end.
    run = load_run(FIXTURES / "suresh-legacy-aborted" / "jobs" / "test-pipeline" / "builds" / "19")
    summary = failure_summary(analyze(run))
    assert [(f.id, f.stage_path, f.error_type) for f in summary.failures] == [
        ("19", ("git-clone",), "hudson.AbortException")
    ]
    assert summary.caught == []


def test_big_graph_error_through_deep_nesting_is_linear() -> None:
    b = GraphBuilder(start_ms=0, step_ms=1)
    depth = 20_000
    for _ in range(depth):
        b.begin_block("dir", arguments={"path": "x"})
    failing = b.step("sh", script="false", error="boom")
    for _ in range(depth):
        b.end_block()
    run = b.build()
    analysis = analyze(run)
    visits_before = run.graph.lookup.visits
    summary = failure_summary(analysis)
    assert [f.id for f in summary.failures] == [failing.id]
    # every block end copies the error, none of them is an origin; the walk fetched each node O(1) times
    assert run.graph.lookup.visits - visits_before <= 4 * len(run.graph)
