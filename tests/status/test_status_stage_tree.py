"""The stage tree (spec Part 2 model, Part 1 rules) on GraphBuilder graphs, with explicit numbers."""

from __future__ import annotations

from flowgraph import GraphBuilder, QueueItemAction, QueueState, Result, WarningAction
from scanners import StageNode, StageType, Status, TimingInfo, analyze, chunk_status, stage_tree
from tests.status.status_graphs import Chunks

STAGE, BRANCH, BLOCK = StageType.STAGE, StageType.PARALLEL_BRANCH, StageType.PARALLEL_BLOCK


def shape(stages: list[StageNode]) -> list[tuple[object, ...]]:
    """(depth, name, type, status) of every node, pre-order."""
    out = []
    stack = list(reversed(stages))
    while stack:
        s = stack.pop()
        out.append((s.depth, s.name, s.type, s.status))
        stack.extend(reversed(s.children))
    return out


def test_successful_run_with_times() -> None:
    b = GraphBuilder(start_ms=0, step_ms=100)
    with b.stage("Build"):
        b.step("sh", script="make")
    with b.stage("Test"):
        b.step("sh", script="pytest")
    run = b.build()
    analysis = analyze(run)
    build, test = analysis.stages
    # Build: body start 4 @200 .. outer end 7 @500; Test: body start 9 @700 .. outer end 12 @1000.
    assert (build.id, build.name, build.type, build.status) == ("4", "Build", STAGE, Status.SUCCESS)
    assert (build.start_ms, build.duration_ms, build.pause_ms, build.end_ms) == (200, 300, 0, 500)
    assert (test.id, test.start_ms, test.duration_ms) == ("9", 700, 300)
    assert (build.parent_id, build.depth, build.children, build.skipped) == (None, 0, [], False)
    [make] = build.steps
    assert (make.id, make.function_name, make.arguments, make.status, make.error) == (
        "5",
        "sh",
        "make",
        Status.SUCCESS,
        None,
    )
    assert (make.start_ms, make.duration_ms, make.stage_id, make.name) == (300, 100, "4", "Shell Script")
    # The run: flow end 13 @1100, the run lasted until the builder's clock read 1200.
    assert analysis.status is Status.SUCCESS
    assert (analysis.timing.start_ms, analysis.timing.total_ms) == (0, 1_200)
    assert analysis.loose_steps == []


def test_failure_inside_a_parallel_branch() -> None:
    b = GraphBuilder(start_ms=0, step_ms=100)
    with b.stage("Test"), b.parallel("unit", "lint") as par:
        with par.branch("unit"):
            b.step("sh", script="pytest")
        with par.branch("lint"):
            b.step("sh", script="ruff check", error="script returned exit code 1")
    run = b.build()
    assert run.result is Result.FAILURE
    analysis = analyze(run)
    [test] = analysis.stages
    # The parallel is the stage's only child: merged, its branches are the stage's children.
    assert shape(analysis.stages) == [
        (0, "Test", STAGE, Status.FAILURE),
        (1, "unit", BRANCH, Status.SUCCESS),
        (1, "lint", BRANCH, Status.FAILURE),
    ]
    unit, lint = test.children
    # Stage body 4 @200 .. outer end 15 @1200; parallel 5 @300 (id 6 skipped); branches 7 @400, 8 @500;
    # unit ends (10) @700, lint ends (12) @900, parallel end 13 @1000.
    assert (test.start_ms, test.duration_ms) == (200, 1_000)
    assert (unit.id, unit.start_ms, unit.duration_ms) == ("7", 400, 300)
    assert (lint.id, lint.start_ms, lint.duration_ms) == ("8", 500, 400)
    assert [(s.function_name, s.status, s.error) for s in lint.steps] == [
        ("sh", Status.FAILURE, "script returned exit code 1")
    ]
    assert (unit.parent_id, unit.depth) == ("4", 1)
    # The merged parallel block still answers for its own node.
    assert analysis.status_of("5") is Status.FAILURE
    assert analysis.timing_of("5") == TimingInfo(300, 700, 0)  # parallel start 5 @300 .. its end 13 @1000
    assert analysis.status is Status.FAILURE


def test_failure_caught_inside_the_stage_leaves_it_successful() -> None:
    b = GraphBuilder()
    with b.stage("Test"):
        with b.try_catch():
            b.step("sh", script="pytest", error="3 tests failed")
        b.step("echo", message="ignored")
    analysis = analyze(b.build())
    [test] = analysis.stages
    assert test.status is Status.SUCCESS
    assert [(s.function_name, s.status, s.error) for s in test.steps] == [
        ("sh", Status.FAILURE, "3 tests failed"),
        ("echo", Status.SUCCESS, None),
    ]
    assert analysis.status is Status.SUCCESS


def test_parent_stage_whose_child_failed_is_failure() -> None:
    b = GraphBuilder()
    with b.stage("Parent"):
        with b.try_catch(), b.stage("Child"):
            b.step("sh", script="pytest", error="exit 1")
        with b.stage("Sibling"):
            b.step("echo", message="still here")
    run = b.build()
    assert run.result is Result.SUCCESS
    # Jenkins' own rule on the parent's chunk sees no error on its end and no warning: SUCCESS.
    outer, body, body_end, outer_end = Chunks(run).stage("Parent")
    assert body_end is not None
    assert chunk_status(run, outer, body, body_end, outer_end) is Status.SUCCESS
    # We report what happened inside it.
    assert shape(stage_tree(run)) == [
        (0, "Parent", STAGE, Status.FAILURE),
        (1, "Child", STAGE, Status.FAILURE),
        (1, "Sibling", STAGE, Status.SUCCESS),
    ]


def test_unstable_via_warning() -> None:
    b = GraphBuilder()
    with b.stage("QA"):
        b.unstable("2 flaky tests")
        b.step("echo", message="go on")
    with b.stage("Ship"):
        b.step("sh", script="deploy")
    run = b.build()
    assert run.result is Result.UNSTABLE
    analysis = analyze(run)
    qa, ship = analysis.stages
    assert (qa.status, ship.status, analysis.status) == (Status.UNSTABLE, Status.SUCCESS, Status.UNSTABLE)
    assert [s.status for s in qa.steps] == [Status.UNSTABLE, Status.SUCCESS]


def test_declarative_stage_result_on_the_stage_start_counts() -> None:
    b = GraphBuilder()
    with b.stage("QA") as body:
        b.step("sh", script="true")
    body.add_action(WarningAction(Result.UNSTABLE, "stage marked unstable"))
    run = b.build()
    assert stage_tree(run)[0].status is Status.UNSTABLE


def test_aborted() -> None:
    b = GraphBuilder()
    with b.stage("Build"):
        b.step("sh", script="make")
    with b.stage("Long"):
        b.abort("Aborted by admin")
    run = b.build()
    assert run.result is Result.ABORTED
    analysis = analyze(run)
    build, long = analysis.stages
    assert (build.status, long.status, analysis.status) == (Status.SUCCESS, Status.ABORTED, Status.ABORTED)
    assert long.steps[0].error == "Aborted by admin"


def test_fail_fast_parallel_is_aborted() -> None:
    b = GraphBuilder()
    with b.parallel("a", "b") as par:
        with par.branch("a"):
            b.step("sh", script="false", error="exit 1")
        with par.branch("b"):
            b.abort("Failed in branch a")
    analysis = analyze(b.build())
    assert shape(analysis.stages) == [
        (0, "Parallel", BLOCK, Status.ABORTED),
        (1, "a", BRANCH, Status.FAILURE),
        (1, "b", BRANCH, Status.ABORTED),
    ]


def test_not_executed_after_a_checkpoint_restart() -> None:
    b = GraphBuilder(start_ms=0, step_ms=10)
    with b.not_executed(), b.stage("Build"):
        with b.stage("Compile"):
            b.step("sh", script="make")
    with b.stage("Deploy"):
        b.step("sh", script="deploy")
    analysis = analyze(b.build())
    build, deploy = analysis.stages
    # Jenkins' chunk timing says TimingInfo(0, 0, 0); the stage tree says it never ran (issue 12)
    assert (build.status, build.start_ms, build.duration_ms, build.pause_ms) == (Status.NOT_EXECUTED, None, None, 0)
    assert build.children == []  # children of a stage that did not run are dropped
    assert analysis.stage(Chunks(analysis.run).stage("Compile")[1].id).status is Status.NOT_EXECUTED
    assert deploy.status is Status.SUCCESS
    assert not build.skipped


def test_in_progress_with_two_heads() -> None:
    b = GraphBuilder(start_ms=0, step_ms=100)
    with b.stage("Test"), b.parallel("done", "busy") as par:
        with par.branch("done"):
            b.step("sh", script="true")
        with par.branch("busy"):
            b.step("sh", script="sleep 600")
            b.halt()
    run = b.build()
    run.clock.advance(5_000)  # type: ignore[attr-defined]
    assert run.running and len(run.graph.heads) == 2
    # Body 4 @200, branches 7 @400 and 8 @500, done's sh @600 and end (10) @700,
    # busy's sh 11 @800, then now = 900 + 5_000 = 5_900.
    analysis = analyze(run)
    [test] = analysis.stages
    done, busy = test.children
    assert (test.status, test.start_ms, test.duration_ms) == (Status.IN_PROGRESS, 200, 5_700)
    assert (done.status, done.duration_ms) == (Status.SUCCESS, 300)
    assert (busy.status, busy.duration_ms) == (Status.IN_PROGRESS, 5_400)
    assert [(s.status, s.duration_ms) for s in busy.steps] == [(Status.IN_PROGRESS, 5_100)]
    assert analysis.status is Status.IN_PROGRESS
    assert analysis.timing.total_ms == 5_900


def test_paused_for_input() -> None:
    b = GraphBuilder(start_ms=0, step_ms=100)
    with b.stage("Build"):
        b.step("sh", script="make")
    with b.stage("Deploy"):
        b.input("Ship it?")
    run = b.build()
    run.clock.advance(1_000)  # type: ignore[attr-defined]
    analysis = analyze(run)
    build, deploy = analysis.stages
    assert (build.status, deploy.status) == (Status.SUCCESS, Status.PAUSED_PENDING_INPUT)
    [ask] = deploy.steps
    # Deploy's body 9 @700, input 10 @800 (its pause starts then), now = 900 + 1_000 = 1_900.
    assert (ask.status, ask.start_ms, ask.duration_ms, ask.pause_ms) == (Status.PAUSED_PENDING_INPUT, 800, 1_100, 1_100)
    assert (deploy.start_ms, deploy.duration_ms, deploy.pause_ms) == (700, 1_200, 1_100)
    assert analysis.status is Status.PAUSED_PENDING_INPUT


def test_paused_branch_next_to_a_busy_one() -> None:
    b = GraphBuilder()
    with b.parallel("approve", "build") as par:
        with par.branch("approve"):
            b.input("OK?")
        with par.branch("build"):
            b.step("sh", script="make")
            b.halt()
    analysis = analyze(b.build())
    assert shape(analysis.stages) == [
        (0, "Parallel", BLOCK, Status.PAUSED_PENDING_INPUT),
        (1, "approve", BRANCH, Status.PAUSED_PENDING_INPUT),
        (1, "build", BRANCH, Status.IN_PROGRESS),
    ]


def test_skipped_stages() -> None:
    b = GraphBuilder(start_ms=0, step_ms=10)
    with b.stage("Build"):
        b.step("sh", script="make")
    with b.stage("Deploy", skipped="SKIPPED_FOR_CONDITIONAL"):
        pass
    with b.stage("Notify", skipped="SKIPPED_FOR_FAILURE"):
        pass
    analysis = analyze(b.build())
    build, deploy, notify = analysis.stages
    assert (build.status, build.skipped) == (Status.SUCCESS, False)
    # Deploy's body 9 @70 .. outer end 11 @90: skipped stages keep their (tiny) real duration.
    assert (deploy.status, deploy.skipped, deploy.start_ms, deploy.duration_ms) == (Status.NOT_EXECUTED, True, 70, 20)
    assert (notify.status, notify.skipped) == (Status.NOT_EXECUTED, True)
    assert analysis.status is Status.SUCCESS


def test_declarative_parallel_stages_merge_into_their_branches() -> None:
    b = GraphBuilder()
    with b.stage("Checks"), b.parallel("lint", "docs") as par:
        with par.branch("lint"), b.stage("lint"):
            b.step("sh", script="ruff")
        with par.branch("docs"), b.stage("docs", skipped="SKIPPED_FOR_CONDITIONAL"):
            pass
    analysis = analyze(b.build())
    assert shape(analysis.stages) == [
        (0, "Checks", STAGE, Status.SUCCESS),
        (1, "lint", BRANCH, Status.SUCCESS),
        (1, "docs", BRANCH, Status.NOT_EXECUTED),
    ]
    lint, docs = analysis.stages[0].children
    assert [s.arguments for s in lint.steps] == ["ruff"]
    assert lint.steps[0].stage_id == lint.id
    assert (docs.skipped, lint.skipped) == (True, False)


def test_nested_parallels() -> None:
    b = GraphBuilder()
    with b.stage("Outer"), b.parallel("x", "y") as outer:
        with outer.branch("x"), b.stage("X1"), b.parallel("p", "q") as inner:
            with inner.branch("p"):
                b.step("sh", script="p")
            with inner.branch("q"), b.try_catch(), b.stage("Q1"):
                b.step("sh", script="q", error="q broke")
        with outer.branch("y"):
            b.step("sh", script="y")
            with b.parallel("y1", "y2") as third:
                with third.branch("y1"):
                    b.step("sh", script="y1")
                with third.branch("y2"):
                    b.unstable("y2 flaky")
    analysis = analyze(b.build())
    assert shape(analysis.stages) == [
        (0, "Outer", STAGE, Status.FAILURE),
        (1, "x", BRANCH, Status.FAILURE),
        (2, "X1", STAGE, Status.FAILURE),
        (3, "p", BRANCH, Status.SUCCESS),
        (3, "q", BRANCH, Status.FAILURE),  # its child stage failed (caught inside the branch)
        (4, "Q1", STAGE, Status.FAILURE),
        (1, "y", BRANCH, Status.UNSTABLE),
        (2, "Parallel", BLOCK, Status.UNSTABLE),
        (3, "y1", BRANCH, Status.SUCCESS),
        (3, "y2", BRANCH, Status.UNSTABLE),
    ]
    y = analysis.stages[0].children[1]
    assert [s.arguments for s in y.steps] == ["y"]


def test_queued_agent() -> None:
    b = GraphBuilder()
    with b.stage("Build"), b.node("linux", queued=True):
        pass
    analysis = analyze(b.build())
    assert analysis.stages[0].status is Status.QUEUED
    assert analysis.status is Status.QUEUED


def test_queued_branch_next_to_finished_and_running_ones() -> None:
    def build(other: str) -> list[tuple[object, ...]]:
        b = GraphBuilder()
        with b.parallel("other", "waiting") as par:
            with par.branch("other"):
                b.step("sh", script="x")
                if other == "running":
                    b.halt()
            with par.branch("waiting"), b.node("windows", queued=True):
                pass
        return shape(analyze(b.build()).stages)

    assert build("finished") == [
        (0, "Parallel", BLOCK, Status.QUEUED),
        (1, "other", BRANCH, Status.SUCCESS),
        (1, "waiting", BRANCH, Status.QUEUED),
    ]
    assert build("running")[0] == (0, "Parallel", BLOCK, Status.IN_PROGRESS)


def test_cancelled_queue_item_is_aborted() -> None:
    b = GraphBuilder()
    with b.stage("Build"):
        b.begin_block("node", body=False, outer_actions=(QueueItemAction(3, QueueState.CANCELLED),))
        b.halt()
    assert stage_tree(b.build())[0].status is Status.ABORTED


def test_parallel_blocks_are_kept_unless_a_stage_only_child() -> None:
    b = GraphBuilder()
    b.step("echo", message="outside")
    with b.stage("Two"):
        for names in (("a", "b"), ("c", "d")):
            with b.parallel(*names) as par:
                for name in names:
                    with par.branch(name):
                        b.step("sh", script=name)
    with b.stage("Stepped"):
        b.step("sh", script="prepare")
        with b.parallel("e", "f") as par:
            with par.branch("e"):
                b.step("sh", script="e")
            with par.branch("f"):
                b.step("sh", script="f")
    analysis = analyze(b.build())
    assert [(d, n, t) for d, n, t, _ in shape(analysis.stages)] == [
        (0, "Two", STAGE),
        (1, "Parallel", BLOCK),
        (2, "a", BRANCH),
        (2, "b", BRANCH),
        (1, "Parallel", BLOCK),
        (2, "c", BRANCH),
        (2, "d", BRANCH),
        (0, "Stepped", STAGE),
        (1, "e", BRANCH),
        (1, "f", BRANCH),
    ]
    assert [s.arguments for s in analysis.loose_steps] == ["outside"]
    assert [s.arguments for s in analysis.stages[1].steps] == ["prepare"]
    assert [s.arguments for s in analysis.iter_steps()] == ["outside", "a", "b", "c", "d", "prepare", "e", "f"]


def test_steps_inside_block_steps_belong_to_the_stage() -> None:
    b = GraphBuilder()
    with b.stage("Build"), b.node("linux"), b.block("timeout", time=5):
        b.step("sh", script="make")
    [build] = stage_tree(b.build())
    assert [s.arguments for s in build.steps] == ["make"]
    assert build.children == []
