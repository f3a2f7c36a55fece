"""Jenkins' chunk status rules (spec §1.2), one test per rule, on GraphBuilder graphs."""

from __future__ import annotations

import importlib

import pytest

from flowgraph import (
    ErrorAction,
    FlowExecution,
    GraphBuilder,
    PauseAction,
    QueueItemAction,
    QueueState,
    Result,
    Run,
    WarningAction,
)
from flowgraph.actions import FLOW_INTERRUPTED_EXCEPTION
from flowgraph.errors import CorruptGraphError
from scanners import Status, analyze, branch_statuses, chunk_status, worst_warning_between
from tests.status.status_graphs import Chunks


def stage_chunk(run: Run, name: str, *, after: bool = True) -> Status:
    """Status of stage ``name`` as the chunk body start .. body end, followed by the outer end."""
    c = Chunks(run)
    outer, body, body_end, outer_end = c.stage(name)
    assert body_end is not None
    return chunk_status(run, outer, body, body_end, outer_end if after else None)


# -- rule 1: not executed -----------------------------------------------------------------


def test_not_executed_marker_on_last_node() -> None:
    b = GraphBuilder()
    with b.not_executed(), b.stage("Old"):
        b.step("sh", script="make")
    with b.stage("New"):
        b.step("sh", script="make")
    run = b.build()
    assert stage_chunk(run, "Old") is Status.NOT_EXECUTED
    assert stage_chunk(run, "New") is Status.SUCCESS
    # The marker is looked up on `last` only: a chunk from an old node to a new one ran.
    c = Chunks(run)
    _, old_body, _, _ = c.stage("Old")
    _, _, new_end, new_outer_end = c.stage("New")
    assert new_end is not None
    assert chunk_status(run, None, old_body, new_end, new_outer_end) is Status.SUCCESS


def test_conditional_skip_tag_is_read_on_first_only() -> None:
    b = GraphBuilder()
    with b.stage("Deploy", skipped="SKIPPED_FOR_CONDITIONAL"):
        pass
    run = b.build()
    c = Chunks(run)
    outer, body, body_end, outer_end = c.stage("Deploy")
    assert body_end is not None and outer_end is not None
    assert chunk_status(run, outer, body, body_end, outer_end) is Status.NOT_EXECUTED
    # The tag sits on the body start: a chunk starting at the outer start does not see it.
    assert chunk_status(run, None, outer, outer_end, c.after(outer_end)) is Status.SUCCESS


@pytest.mark.parametrize("tag", ["SKIPPED_FOR_FAILURE", "SKIPPED_FOR_UNSTABLE", "SKIPPED_FOR_RESTART"])
def test_other_skip_tags_are_not_rule_one(tag: str) -> None:
    b = GraphBuilder()
    with b.stage("Deploy", skipped=tag):
        pass
    assert stage_chunk(b.build(), "Deploy") is Status.SUCCESS


# -- rule 2b: the last chunk of a finished run takes the run's result ---------------------


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (Result.SUCCESS, Status.SUCCESS),
        (Result.UNSTABLE, Status.UNSTABLE),
        (Result.FAILURE, Status.FAILURE),
        (Result.ABORTED, Status.ABORTED),
        (Result.NOT_BUILT, Status.NOT_EXECUTED),
    ],
)
def test_last_chunk_of_finished_run_is_the_run_result(result: Result, expected: Status) -> None:
    b = GraphBuilder()
    with b.stage("Build"):
        b.step("sh", script="make")  # clean nodes: no error, no warning
    run = b.build(result=result)
    start = run.graph.flow_start
    end = run.graph.heads[0]
    assert chunk_status(run, None, start, end, None) is expected
    # after=None in the middle of the run also means "last": the caller gets the run result.
    assert stage_chunk(run, "Build", after=False) is expected
    # ...while the same chunk with its real `after` is judged on its nodes.
    assert stage_chunk(run, "Build") is Status.SUCCESS


def test_finished_run_without_result_is_not_executed() -> None:
    b = GraphBuilder()
    b.step("echo", message="hi")
    built = b.build()
    run = Run(built.graph, result=None, running=False, start_ms=built.start_ms, duration_ms=built.duration_ms)
    assert chunk_status(run, None, run.graph.flow_start, run.graph.heads[0], None) is Status.NOT_EXECUTED


def test_complete_execution_counts_as_finished_even_if_the_run_flag_lags() -> None:
    b = GraphBuilder()
    b.step("echo", message="hi")
    built = b.build(result=Result.UNSTABLE)
    lagging = Run(built.graph, result=Result.UNSTABLE, running=True, execution=FlowExecution(done=True))
    head = lagging.graph.heads[0]
    assert chunk_status(lagging, None, lagging.graph.flow_start, head, None) is Status.UNSTABLE


# -- rule 2a: the last chunk of a running run ------------------------------------------


def two_branch_run(finished_branch: list[str]) -> Run:
    """Branch `done` finished (with the given steps), branch `busy` still running its sh."""
    b = GraphBuilder()
    with b.parallel("done", "busy") as par:
        with par.branch("done"):  # a failure stops at the branch end (it records the error)
            for what in finished_branch:
                if what == "unstable":
                    b.unstable("flaky")
                elif what == "fail":
                    b.step("sh", script="false", error="exit 1")
                else:
                    b.step("sh", script="true")
        with par.branch("busy"):
            b.step("sh", script="sleep 100")
            b.halt()
    return b.build()


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        (["ok"], Status.SUCCESS),
        (["unstable"], Status.UNSTABLE),
        (["unstable", "fail"], Status.FAILURE),  # the error on the branch end wins over the warning
    ],
)
def test_finished_branch_while_siblings_run_gets_its_own_result(steps: list[str], expected: Status) -> None:
    run = two_branch_run(steps)
    c = Chunks(run)
    parallel, done_start, done_end, parallel_end = c.branch("done")
    _, busy_start, busy_end, _ = c.branch("busy")
    assert parallel_end is None and done_end is not None and busy_end is None
    assert len(run.graph.heads) == 2
    busy_tip = run.graph.heads[1]
    statuses = branch_statuses(run, parallel, [done_start, busy_start], [done_end, busy_tip], None)
    assert statuses == {"done": expected, "busy": Status.IN_PROGRESS}


def test_finished_branch_with_a_single_head_elsewhere_is_in_progress() -> None:
    # The known quirk: rule 2a.1 needs more than one head.
    run = two_branch_run(["unstable"])
    c = Chunks(run)
    parallel, done_start, done_end, _ = c.branch("done")
    assert done_end is not None
    run.graph.set_heads([run.graph.heads[1].id])
    assert chunk_status(run, parallel, done_start, done_end, None) is Status.IN_PROGRESS


def running_stage(setup: str) -> tuple[Run, Status]:
    b = GraphBuilder()
    with b.stage("Build"):
        if setup == "queued":
            b.begin_node("linux", queued=True)
        elif setup in ("cancelled", "launched", "unknown"):
            state = {"cancelled": QueueState.CANCELLED, "launched": QueueState.LAUNCHED}.get(setup, QueueState.UNKNOWN)
            b.begin_block("node", body=False, outer_actions=(QueueItemAction(5, state),))
            b.halt()
        elif setup == "atom-with-queue-item":
            b.step("sh", script="x", actions=(QueueItemAction(5, QueueState.QUEUED),))
            b.halt()
        elif setup == "input":
            b.input("Ship it?")
        elif setup == "other-pause":
            b.step("sleep", time=5, actions=(PauseAction("Throttle", 1, 0),))
            b.halt()
        else:
            b.step("sh", script="sleep 100")
            b.halt()
    run = b.build()
    body = Chunks(run).stage("Build")[1]
    return run, chunk_status(run, None, body, run.graph.heads[0], None)


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("queued", Status.QUEUED),
        ("cancelled", Status.ABORTED),
        ("launched", Status.IN_PROGRESS),
        ("unknown", Status.IN_PROGRESS),
        ("atom-with-queue-item", Status.IN_PROGRESS),  # only a step *start* node's queue item counts
        ("input", Status.PAUSED_PENDING_INPUT),
        ("other-pause", Status.IN_PROGRESS),  # only a pause whose cause is "Input"
        ("busy", Status.IN_PROGRESS),
    ],
)
def test_running_tip(setup: str, expected: Status) -> None:
    run, status = running_stage(setup)
    assert run.running
    assert status is expected


def test_input_pause_needs_the_run_to_wait_for_input() -> None:
    run, _ = running_stage("input")
    assert run.pending_input
    run.pending_input = False  # e.g. the run's input query timed out twice: assume not pending
    body = Chunks(run).stage("Build")[1]
    assert chunk_status(run, None, body, run.graph.heads[0], None) is Status.IN_PROGRESS


def test_a_current_head_is_last_even_when_an_after_is_passed() -> None:
    run, _ = running_stage("busy")
    head = run.graph.heads[0]
    assert chunk_status(run, None, head, head, run.graph.flow_start) is Status.IN_PROGRESS


# -- rule 3: the last node's error --------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ErrorAction("hudson.AbortException", "script returned exit code 1"), Status.FAILURE),
        (ErrorAction("java.io.IOException", "disk full"), Status.FAILURE),
        (ErrorAction(FLOW_INTERRUPTED_EXCEPTION, "Aborted by user", result=Result.ABORTED), Status.ABORTED),
        (ErrorAction(FLOW_INTERRUPTED_EXCEPTION, "Timeout", result=Result.FAILURE), Status.FAILURE),
        (ErrorAction(FLOW_INTERRUPTED_EXCEPTION, "Superseded", result=Result.NOT_BUILT), Status.NOT_EXECUTED),
    ],
)
def test_error_caught_outside_the_stage_fails_it(error: ErrorAction, expected: Status) -> None:
    b = GraphBuilder()
    with b.try_catch(), b.stage("Test"):
        b.step("sh", script="pytest", error=error)
    with b.stage("After"):
        b.step("echo", message="carried on")
    run = b.build(result=Result.SUCCESS)
    assert stage_chunk(run, "Test") is expected
    assert stage_chunk(run, "After") is Status.SUCCESS


def test_error_beats_warning() -> None:
    b = GraphBuilder()
    with b.try_catch(), b.stage("Test"):
        b.unstable("flaky")
        b.step("sh", script="pytest", error="exit 1")
    assert stage_chunk(b.build(), "Test") is Status.FAILURE


# -- rule 4: the worst warning in (first, last] -------------------------------------------


def test_try_catch_inside_the_stage_leaves_no_error_on_its_end() -> None:
    b = GraphBuilder()
    with b.stage("Test"):
        with b.try_catch():
            b.step("sh", script="pytest", error="exit 1")
        b.step("echo", message="recovered")
    run = b.build()
    assert Chunks(run).stage("Test")[2].error is None  # type: ignore[union-attr]
    assert stage_chunk(run, "Test") is Status.SUCCESS


def test_worst_warning_wins() -> None:
    b = GraphBuilder()
    with b.stage("Test"):
        with b.catch_error(stage_result=Result.FAILURE):
            b.step("sh", script="pytest", error="exit 1")
        b.unstable("later")
    run = b.build()
    assert stage_chunk(run, "Test") is Status.FAILURE


def test_not_built_warning_beats_failure_and_maps_to_not_executed() -> None:
    b = GraphBuilder()
    with b.stage("Test"):
        b.step("x", actions=(WarningAction(Result.FAILURE, "bad"),))
        b.step("x", actions=(WarningAction(Result.NOT_BUILT, "skipped"),))
    run = b.build()
    assert stage_chunk(run, "Test") is Status.NOT_EXECUTED


def test_warning_search_covers_parallel_branches_and_excludes_first() -> None:
    b = GraphBuilder()
    with b.stage("Test"), b.parallel("a", "b") as par:
        with par.branch("a"):
            b.step("sh", script="true")
        with par.branch("b"):
            b.unstable("flaky in b")
    run = b.build()
    assert stage_chunk(run, "Test") is Status.UNSTABLE
    unstable_atom = Chunks(run).step("unstable")
    # A single-node chunk excludes its own first node: the step's own warning is not seen.
    after = Chunks(run).after(unstable_atom)
    assert chunk_status(run, None, unstable_atom, unstable_atom, after) is Status.SUCCESS
    assert worst_warning_between(run, unstable_atom, unstable_atom) is None


def test_catch_error_warning_sits_on_its_own_start() -> None:
    b = GraphBuilder()
    with b.stage("Test"), b.catch_error(stage_result=Result.UNSTABLE):
        b.step("sh", script="pytest", error="exit 1")
    run = b.build()
    catch_start = next(n for n in run.graph if n.function_name == "catchError" and not n.is_body)
    catch_end = run.graph.end_of(catch_start)
    assert catch_end is not None
    assert chunk_status(run, None, catch_start, catch_end, Chunks(run).after(catch_end)) is Status.SUCCESS
    assert stage_chunk(run, "Test") is Status.UNSTABLE


def test_warning_lookup_can_be_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    b = GraphBuilder()
    with b.stage("Test"):
        b.unstable("flaky")
    run = b.build()
    module = importlib.import_module("scanners.chunk_status")  # the package re-exports a function of that name
    monkeypatch.setattr(module, "DISABLE_WARNING_ACTION_LOOKUP", True)
    assert stage_chunk(run, "Test") is Status.SUCCESS
    assert analyze(run).stages[0].status is Status.SUCCESS


# -- rule 5 and validation -----------------------------------------------------------------


def test_clean_chunk_followed_by_more_flow_is_success_even_in_a_failed_run() -> None:
    b = GraphBuilder()
    with b.stage("Build"):
        b.step("sh", script="make")
    with b.stage("Test"):
        b.step("sh", script="pytest", error="exit 1")
    run = b.build()
    assert run.result is Result.FAILURE
    assert stage_chunk(run, "Build") is Status.SUCCESS
    assert stage_chunk(run, "Test") is Status.FAILURE


def test_branch_statuses_validate_their_input() -> None:
    b = GraphBuilder()
    with b.parallel("a", "b") as par:
        with par.branch("a"):
            b.step("sh", script="x")
        with par.branch("b"):
            b.step("sh", script="y")
    run = b.build()
    c = Chunks(run)
    parallel, a_start, a_end, parallel_end = c.branch("a")
    _, b_start, b_end, _ = c.branch("b")
    assert a_end is not None and b_end is not None
    with pytest.raises(ValueError, match="2 branch starts but 1 branch ends"):
        branch_statuses(run, parallel, [a_start, b_start], [a_end], parallel_end)
    with pytest.raises(CorruptGraphError, match=f"branch end {b_end.id} closes {b_start.id}"):
        branch_statuses(run, parallel, [a_start, b_start], [b_end, a_end], parallel_end)
    with pytest.raises(CorruptGraphError, match="no ThreadNameAction"):
        branch_statuses(run, parallel, [parallel], [parallel], parallel_end)
