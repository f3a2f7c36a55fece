"""Real Jenkins runs (../shared/fixtures/jenkins): the statuses and durations their files imply.

The expected numbers are read off the fixture files by hand (TimingAction start times,
build.xml startTime/duration/result), e.g. stage ``foo`` of the legacy declarative run starts at
its body node 4 (1497369396926) and ends when its outer end node 7 starts (1497369397027).
Loading the files is ``flowgraph.jenkins.load_run``'s job; it is imported plainly, so a broken
loader fails these tests instead of skipping them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from flowgraph import FixedClock, FlowGraphError, NodeKind, Run
from flowgraph.jenkins import load_run
from scanners import StageType, Status, TimingInfo, analyze, branch_statuses, walk_stages

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "jenkins"


def build_dir(name: str) -> Path:
    found = sorted((FIXTURES / name / "jobs").glob("*/builds/1"))
    assert found, f"fixture {name!r} not found under {FIXTURES} (tests read ../shared/fixtures in place)"
    return found[0]


def load(name: str) -> Run:
    run = load_run(build_dir(name))
    assert isinstance(run, Run)
    return run


def test_declarative_single_stage() -> None:
    run = load("legacy-declarative-stages-completed")
    analysis = analyze(run)
    [foo] = analysis.stages
    assert (foo.id, foo.name, foo.type, foo.status) == ("4", "foo", StageType.STAGE, Status.SUCCESS)
    assert (foo.start_ms, foo.duration_ms) == (1497369396926, 1497369397027 - 1497369396926)
    [echo] = foo.steps
    assert (echo.id, echo.function_name, echo.arguments, echo.status) == ("5", "echo", "hello", Status.SUCCESS)
    assert (echo.start_ms, echo.duration_ms) == (1497369397014, 2)
    # build.xml: result SUCCESS, startTime 1497369390925, duration 6149 (the flow start has no timing).
    assert analysis.status is Status.SUCCESS
    assert analysis.timing == TimingInfo(1497369390925, 6149, 0)


def test_declarative_parallel_stages() -> None:
    run = load("legacy-declarative-parallel-completed")
    analysis = analyze(run)
    shape = [(s.depth, s.id, s.name, s.type, s.status, s.start_ms, s.duration_ms) for s in analysis.iter_stages()]
    t = 1511976263000
    assert shape == [
        (0, "6", "first-solo", StageType.STAGE, Status.SUCCESS, t + 410, 485 - 410),
        # parent's parallel (12) is its only child: merged; each branch's same-named stage too.
        (0, "11", "parent", StageType.STAGE, Status.SUCCESS, t + 509, 702 - 509),
        (1, "14", "branch-one", StageType.PARALLEL_BRANCH, Status.SUCCESS, t + 542, 666 - 542),
        (1, "15", "branch-two", StageType.PARALLEL_BRANCH, Status.SUCCESS, t + 544, 667 - 544),
        (0, "32", "second-solo", StageType.STAGE, Status.SUCCESS, t + 724, 765 - 724),
    ]
    one, two = analysis.stages[1].children
    assert [(s.id, s.arguments is not None, s.duration_ms) for s in one.steps] == [("20", True, 3)]
    assert [(s.id, s.duration_ms) for s in two.steps] == [("22", 2)]
    assert analysis.status is Status.SUCCESS
    assert analysis.timing == TimingInfo(1511976261174, 2654, 0)


@pytest.mark.parametrize(
    ("name", "stage_start", "sleep_start", "run_start"),
    [
        ("inprogress-stage-sleep-pernode", 1714512387546, 1714512387626, 1714512387076),
        ("inprogress-stage-sleep-bulk", 1714512455148, 1714512455155, 1714512454774),
    ],
)
def test_running_stage_sleeping(name: str, stage_start: int, sleep_start: int, run_start: int) -> None:
    run = load(name)
    assert run.running
    now = stage_start + 60_000
    run.clock = FixedClock(now)
    analysis = analyze(run)
    [test] = analysis.stages
    assert (test.id, test.name, test.status) == ("4", "test", Status.IN_PROGRESS)
    assert (test.start_ms, test.duration_ms) == (stage_start, 60_000)
    [sleep] = test.steps
    assert (sleep.id, sleep.function_name, sleep.status) == ("5", "sleep", Status.IN_PROGRESS)
    assert (sleep.start_ms, sleep.duration_ms) == (sleep_start, now - sleep_start)
    assert analysis.status is Status.IN_PROGRESS
    assert analysis.timing == TimingInfo(run_start, now - run_start, 0)


def test_running_input_is_paused() -> None:
    run = load("inprogress-input-pause")
    assert run.running and run.pending_input  # build.xml's InputAction lists one waiting input
    now = 1776981839747 + 5_000
    run.clock = FixedClock(now)
    analysis = analyze(run)
    assert analysis.stages == []
    [ask] = analysis.loose_steps
    assert (ask.id, ask.function_name, ask.arguments) == ("3", "input", "hangs forever")
    assert ask.status is Status.PAUSED_PENDING_INPUT
    # The pause (PauseAction startTime 1776981839747) runs up to now; the step started at ...731.
    assert (ask.start_ms, ask.duration_ms, ask.pause_ms) == (1776981839731, now - 1776981839731, 5_000)
    assert analysis.status is Status.PAUSED_PENDING_INPUT


def test_running_shell_on_an_agent() -> None:
    run = load("inprogress-node-sh")
    run.clock = FixedClock(1638308104356 + 1_000)
    analysis = analyze(run)
    assert analysis.stages == []
    [sh] = analysis.loose_steps
    assert (sh.id, sh.function_name, sh.status, sh.duration_ms) == ("5", "sh", Status.IN_PROGRESS, 1_000)
    # The node block (3) is open; its agent was launched (the shell runs): IN_PROGRESS.
    assert analysis.status_of("3") is Status.IN_PROGRESS
    assert analysis.timing_of("3") == TimingInfo(1638308103856, 1_500, 0)


def test_production_graph_with_errors() -> None:
    run = load("completed-parallel-errors-corrupt")  # damaged in its actions, not its structure: it loads
    analysis = analyze(run)
    graph = run.graph
    assert analysis.status is Status.SUCCESS  # build.xml result
    assert analysis.timing == TimingInfo(1591209266442, 1371, 0)
    branches = [s for s in walk_stages(analysis.stages) if s.type is StageType.PARALLEL_BRANCH]
    assert sorted(int(b.id) for b in branches) == [195, 196, 197, 198, 199, 200]
    parallel = graph.node("189")
    parallel_end = graph.end_of(parallel)
    for branch in branches:
        start = graph.node(branch.id)
        end = graph.end_of(start)
        assert end is not None
        # A finished branch lasts from its start node to its own end node.
        assert branch.start_ms == start.start_ms
        assert branch.duration_ms == end.start_ms - start.start_ms  # type: ignore[operator]
        # Its status is Jenkins' branch rule, at least as bad as any stage inside it.
        own = branch_statuses(run, parallel, [start], [end], parallel_end)["redacted"]
        assert branch.status is Status.condense([own, *(c.status for c in branch.children)])
    for node in graph:
        if node.kind is NodeKind.ATOM and node.error is not None and node.error.is_interruption:
            assert analysis.status_of(node.id) is Status.from_result(node.error.result)


def test_corrupt_graph_with_a_cycle_is_a_typed_error() -> None:
    with pytest.raises(FlowGraphError):
        analyze(load("inprogress-corrupt-cycle-edited"))
