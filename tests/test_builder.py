"""GraphBuilder produces the node shapes Jenkins writes (reference/jenkins-disk-format.md §6, scanners.md)."""

from __future__ import annotations

import pytest
from hypothesis import given
from programs import build_program, programs

from flowgraph import (
    ArgumentsAction,
    BodyInvocationAction,
    ErrorAction,
    FlowGraph,
    GraphBuilder,
    GraphBuildError,
    LabelAction,
    NodeKind,
    NotExecutedNodeAction,
    ParallelLabelAction,
    PauseAction,
    QueueItemAction,
    QueueState,
    Result,
    StageAction,
    TagsAction,
    TimingAction,
    WarningAction,
    WorkspaceAction,
)
from flowgraph.steps import PARALLEL_STEP, STAGE_STEP

S, E, A, FS, FE = NodeKind.BLOCK_START, NodeKind.BLOCK_END, NodeKind.ATOM, NodeKind.FLOW_START, NodeKind.FLOW_END


def shape(g: FlowGraph) -> list[tuple[str, NodeKind, tuple[str, ...], str | None]]:
    return [(n.id, n.kind, n.parent_ids, n.start_id) for n in g]


def test_block_stage_is_two_nested_blocks_with_the_label_on_the_body() -> None:
    # disk-format §6: stage('x'){ sleep 1 } completed
    b = GraphBuilder(start_ms=1_000, step_ms=10)
    with b.stage("x"):
        b.step("sleep", time=1)
    run = b.build()
    g = run.graph
    assert shape(g) == [
        ("2", FS, (), None),
        ("3", S, ("2",), None),
        ("4", S, ("3",), None),
        ("5", A, ("4",), None),
        ("6", E, ("5",), "4"),
        ("7", E, ("6",), "3"),
        ("8", FE, ("7",), "2"),
    ]
    outer, body = g.node("3"), g.node("4")
    assert outer.descriptor_id == body.descriptor_id == STAGE_STEP
    assert outer.get_action(ArgumentsAction).arguments == {"name": "x"}  # type: ignore[union-attr]
    assert body.get_action(BodyInvocationAction) is not None and body.label == "x"
    assert outer.label is None
    assert g.node("6").get_action(BodyInvocationAction) is not None
    assert g.node("7").get_action(BodyInvocationAction) is None
    assert [g.node(i).start_ms for i in ("2", "3", "4", "5")] == [1_000, 1_010, 1_020, 1_030]
    assert g.node("8").result is Result.SUCCESS and run.result is Result.SUCCESS
    # seven nodes, each taking step_ms (the run ends one step after its flow end node)
    assert run.start_ms == 1_000 and run.duration_ms == 70 and not run.running


def test_parallel_skips_an_id_and_joins_branch_ends_in_declaration_order() -> None:
    # The simple parallel of scanners.md §2, exactly: 4 par-start; 6, 7 branch starts; 13 joins 9, 12.
    b = GraphBuilder()
    b.step("echo", message="before")
    with b.parallel("1", "2") as par:
        with par.branch("1"):
            b.step("echo", message="one")
        with par.branch("2"):
            b.step("echo", message="two-a")
            b.step("echo", message="two-b")
    b.step("echo", message="after")
    g = b.build().graph
    assert shape(g) == [
        ("2", FS, (), None),
        ("3", A, ("2",), None),
        ("4", S, ("3",), None),
        ("6", S, ("4",), None),
        ("7", S, ("4",), None),
        ("8", A, ("6",), None),
        ("9", E, ("8",), "6"),
        ("10", A, ("7",), None),
        ("11", A, ("10",), None),
        ("12", E, ("11",), "7"),
        ("13", E, ("9", "12"), "4"),
        ("14", A, ("13",), None),
        ("15", FE, ("14",), "2"),
    ]
    start, branch = g.node("4"), g.node("6")
    assert start.descriptor_id == branch.descriptor_id == PARALLEL_STEP
    assert start.thread_name is None and branch.thread_name == "1"
    assert isinstance(branch.get_action(LabelAction), ParallelLabelAction)


def test_node_block_has_executor_facts_on_the_outer_start() -> None:
    b = GraphBuilder()
    with b.node("linux", agent="agent-7", workspace="/ws/job"):
        b.step("sh", script="make")
    g = b.build().graph
    outer, body = g.node("3"), g.node("4")
    assert outer.function_name == "node" and outer.arguments.arguments == {"label": "linux"}  # type: ignore[union-attr]
    assert outer.get_action(WorkspaceAction) == WorkspaceAction("agent-7", "/ws/job", frozenset({"linux"}))
    assert outer.get_action(QueueItemAction) is not None
    assert body.is_body and body.get_action(WorkspaceAction) is None


def test_failure_propagates_through_every_enclosing_block_end() -> None:
    b = GraphBuilder()
    with b.node("linux"), b.stage("Test"):
        b.step("sh", script="pytest", error="script returned exit code 1")
    run = b.build()
    g = run.graph
    failing = next(n for n in g if n.function_name == "sh")
    ends = [n for n in g if n.kind in (E, FE)]
    assert failing.error is not None and failing.error.message == "script returned exit code 1"
    assert len(ends) == 5 and all(n.error == failing.error for n in ends)
    assert run.result is Result.FAILURE


def test_try_catch_stops_propagation_and_leaves_no_error_outside() -> None:
    b = GraphBuilder()
    with b.stage("Outer"):
        with b.try_catch(), b.stage("Inner"):
            b.step("sh", script="false", error="boom")
        b.step("echo", message="recovered")
    run = b.build()
    g = run.graph
    inner_ends = [n for n in g if n.start_id in {"5", "6"}]
    outer_ends = [n for n in g if n.start_id in {"2", "3", "4"}]
    assert all(n.error is not None for n in inner_ends) and len(inner_ends) == 2
    assert all(n.error is None for n in outer_ends) and len(outer_ends) == 3
    assert run.result is Result.SUCCESS


def test_catch_error_records_a_warning_and_the_build_result() -> None:
    b = GraphBuilder()
    with b.catch_error(stage_result=Result.UNSTABLE, build_result=Result.UNSTABLE):
        b.step("sh", script="false", error="boom")
    run = b.build()
    g = run.graph
    outer, body = g.node("3"), g.node("4")
    body_end = next(n for n in g if n.start_id == "4")
    outer_end = next(n for n in g if n.start_id == "3")
    assert body_end.error is not None and outer_end.error is None
    assert outer.get_action(WarningAction) == WarningAction(Result.UNSTABLE, "caught error")
    assert body.function_name == "catchError"
    assert run.result is Result.UNSTABLE


def test_retry_has_one_body_per_attempt_and_catches_failed_attempts() -> None:
    b = GraphBuilder()
    with b.retry(3) as r:
        for outcome in ("boom", "boom", None):
            with r.attempt():
                b.step("sh", script="flaky", error=outcome)
            if outcome is None:
                break
    run = b.build()
    g = run.graph
    bodies = [n for n in g if n.kind is S and n.is_body]
    assert [n.parent_ids for n in bodies] == [("3",), (g.end_of(bodies[0]).id,), (g.end_of(bodies[1]).id,)]  # type: ignore[union-attr]
    body_errors = [g.end_of(n).error is not None for n in bodies]  # type: ignore[union-attr]
    assert body_errors == [True, True, False]
    assert g.end_of(g.node("3")).error is None  # type: ignore[union-attr]
    assert run.result is Result.SUCCESS


def test_retry_that_runs_out_of_attempts_fails() -> None:
    b = GraphBuilder()
    with b.retry(2) as r:
        for _ in range(2):
            with r.attempt():
                b.step("sh", script="flaky", error="boom")
    run = b.build()
    assert run.graph.end_of(run.graph.node("3")).error is not None  # type: ignore[union-attr]
    assert run.result is Result.FAILURE


def test_unfinished_parallel_has_a_head_per_branch_and_open_blocks() -> None:
    b = GraphBuilder(start_ms=0, step_ms=100)
    with b.stage("Tests"), b.parallel("a", "b") as par:
        with par.branch("a"):
            b.step("sh", script="fast")
        with par.branch("b"):
            b.step("sh", script="slow")
            b.halt()
    run = b.build()
    g = run.graph
    assert run.running and run.result is None
    heads = g.heads
    assert len(heads) == 2
    assert heads[0].kind is E and heads[0].start_id is not None and g.node(heads[0].start_id).thread_name == "a"
    assert heads[1].function_name == "sh"
    assert not any(n.kind is FE for n in g)
    assert g.end_of(g.node("3")) is None and g.end_of(g.node("5")) is None  # stage and parallel still open


def test_input_pauses_the_run() -> None:
    b = GraphBuilder(start_ms=0, step_ms=100)
    b.input("Deploy?")
    run = b.build()
    pause = run.graph.heads[0].get_action(PauseAction)
    assert run.running and run.pending_input
    assert pause is not None and pause.cause == "Input" and pause.is_paused and pause.start_ms == 100


def test_queued_node_is_an_open_outer_start_waiting_for_an_executor() -> None:
    b = GraphBuilder()
    with b.stage("Build"), b.node("gpu", queued=True):
        pass
    run = b.build()
    head = run.graph.heads[0]
    assert head.function_name == "node" and head.kind is S
    assert head.get_action(QueueItemAction) == QueueItemAction(1, QueueState.QUEUED)
    assert run.running


def test_restart_marks_not_executed_nodes_legacy_and_skipped_stages() -> None:
    b = GraphBuilder()
    with b.not_executed(), b.stage("Checkout"):
        b.step("sh", script="git pull")
    b.legacy_stage("Old style")
    with b.stage("Deploy", skipped="SKIPPED_FOR_CONDITIONAL"):
        pass
    g = b.build().graph
    checkout = [n for n in g if int(n.id) <= 7 and n.kind is not FS]
    assert checkout and all(n.get_action(NotExecutedNodeAction) for n in checkout)
    legacy = g.node("8")
    assert legacy.kind is A and legacy.label == "Old style"
    assert legacy.get_action(StageAction) == StageAction("Old style")
    deploy_body = next(n for n in g if n.label == "Deploy")
    assert deploy_body.get_action(TagsAction).tags == {"STAGE_STATUS": "SKIPPED_FOR_CONDITIONAL"}  # type: ignore[union-attr]


def test_abort_makes_the_run_aborted() -> None:
    b = GraphBuilder()
    with b.stage("Wait"):
        b.abort()
    run = b.build()
    assert run.result is Result.ABORTED
    assert run.graph.heads[0].error is not None and run.graph.heads[0].error.is_interruption


@pytest.mark.parametrize(
    "misuse",
    [
        lambda b: (b.step("sh", error="x"), b.step("sh")),
        lambda b: b.end_block(),
        lambda b: b.begin_parallel("a", "a"),
        lambda b: (b.begin_parallel("a"), b.enter_branch("z")),
        lambda b: (b.halt(), b.step("sh")),
        lambda b: (b.build(), b.build()),
    ],
)
def test_misuse_is_a_graph_build_error(misuse) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(GraphBuildError):
        misuse(GraphBuilder())


@given(programs)
def test_random_pipelines_are_valid_graphs(ops: list) -> None:  # type: ignore[type-arg]
    run = build_program(ops)
    g = run.graph
    g.validate()
    ids = [int(n.id) for n in g]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)  # increasing, with gaps allowed
    assert all(n.get_action(TimingAction) is not None for n in g)
    starts = [n.start_ms for n in g]
    assert starts == sorted(starts)  # type: ignore[type-var]
    if run.running:
        assert not any(n.kind is FE for n in g)
    else:
        assert g.head_ids == (str(max(ids)),) and g.heads[0].kind is FE
        assert all(g.end_of(n) is not None for n in g if n.is_block_start)
    for node in g:  # errors only travel outwards: a block end's error comes from inside its block
        if node.kind is E and node.error is not None:
            inside = [n for n in g if node.start_id in g.all_enclosing_ids(n) and n.error == node.error]
            assert inside, f"end {node.id} has an error that was raised nowhere inside its block"
    assert all(isinstance(n.error, (ErrorAction, type(None))) for n in g)
