"""Chunk and parallel timing (spec §1.4-§1.7), with the spec's worked examples and their numbers."""

from __future__ import annotations

import pytest

from flowgraph import (
    ErrorAction,
    FlowGraph,
    GraphBuilder,
    NodeKind,
    NotExecutedNodeAction,
    ParallelLabelAction,
    PauseAction,
    Result,
    Run,
)
from flowgraph.errors import CorruptGraphError
from scanners import (
    Status,
    TimingInfo,
    analyze,
    branch_statuses,
    branch_timings,
    chunk_status,
    chunk_timing,
    parallel_timing,
    pause_duration,
)
from tests.status.status_graphs import Chunks, finished, graph_of, mk, running

A, BS, BE, FS, FE = NodeKind.ATOM, NodeKind.BLOCK_START, NodeKind.BLOCK_END, NodeKind.FLOW_START, NodeKind.FLOW_END


def sequential_graph() -> FlowGraph:
    """The spec's finished sequential example: FlowStart(2, no timing) -> 3..6 -> FlowEnd(7)."""
    return graph_of(
        [
            mk(2, FS),
            mk(3, A, [2], step="sleep", t=1_000_814),
            mk(4, A, [3], step="echo", t=1_001_779),
            mk(5, A, [4], step="sleep", t=1_001_787),
            mk(6, A, [5], step="echo", t=1_002_793),
            mk(7, FE, [6], start=2, t=1_002_796),
        ]
    )


def test_worked_example_sequential_timing() -> None:
    run = finished(sequential_graph(), Result.SUCCESS, start_ms=1_000_000, duration_ms=9_000)
    n = run.graph.node
    assert chunk_timing(run, 0, n("2"), n("3"), n("4")) == TimingInfo(1_000_000, 1_779, 0)
    assert chunk_timing(run, 2, n("3"), n("6"), n("7")) == TimingInfo(1_000_814, 1_982, 2)
    # The whole run, complete: the recorded duration wins over the nodes (9_000, not 2_796).
    assert chunk_timing(run, 0, n("2"), n("7"), None) == TimingInfo(1_000_000, 9_000, 0)


@pytest.mark.parametrize(
    ("result", "whole", "tail"),
    [(Result.SUCCESS, Status.SUCCESS, Status.SUCCESS), (Result.FAILURE, Status.FAILURE, Status.FAILURE)],
)
def test_worked_example_sequential_status(result: Result, whole: Status, tail: Status) -> None:
    run = finished(sequential_graph(), result, start_ms=1_000_000, duration_ms=9_000)
    n = run.graph.node
    assert chunk_status(run, None, n("2"), n("3"), n("4")) is Status.SUCCESS
    assert chunk_status(run, None, n("2"), n("7"), None) is whole
    assert chunk_status(run, n("2"), n("3"), n("7"), None) is tail
    assert chunk_status(run, n("2"), n("3"), n("6"), n("7")) is Status.SUCCESS


def fail_parallel_graph() -> FlowGraph:
    """The upstream fail test shape: parallel 4 @924, `success` 6..12, `fail` 7..10, end 13 @1845."""
    boom = ErrorAction("hudson.AbortException", "boom")
    return graph_of(
        [
            mk(2, FS, t=900),
            mk(4, BS, [2], step="parallel", t=924),
            mk(6, BS, [4], step="parallel", t=926, actions=[ParallelLabelAction("success")]),
            mk(7, BS, [4], step="parallel", t=928, actions=[ParallelLabelAction("fail")]),
            mk(8, A, [6], step="echo", t=930),
            mk(9, A, [7], step="error", t=932, actions=[boom]),
            mk(10, BE, [9], start=7, step="parallel", t=938, actions=[boom]),
            mk(11, A, [8], step="sleep", t=1_000),
            mk(12, BE, [11], start=6, step="parallel", t=1_829),
            mk(13, BE, [12, 10], start=4, step="parallel", t=1_845, actions=[boom]),
            mk(14, FE, [13], start=2, t=1_850, actions=[boom]),
        ]
    )


def test_worked_example_failed_parallel() -> None:
    run = finished(fail_parallel_graph(), Result.FAILURE, start_ms=900, duration_ms=960)
    n = run.graph.node
    starts, ends = [n("6"), n("7")], [n("12"), n("10")]
    timings = branch_timings(run, n("4"), starts, ends, n("13"), [50, 5])
    assert timings == {"success": TimingInfo(926, 903, 50), "fail": TimingInfo(928, 10, 5)}
    assert parallel_timing(run, timings, n("4"), n("13")) == TimingInfo(924, 921, 50)
    statuses = branch_statuses(run, n("4"), starts, ends, n("13"))
    assert statuses == {"success": Status.SUCCESS, "fail": Status.FAILURE}
    assert Status.condense(statuses.values()) is Status.FAILURE


def in_progress_parallel_run() -> Run:
    """Spec: parallel @0, A 2..500 (ended), B from 3 still running, now = 10_000."""
    graph = graph_of(
        [
            mk(2, FS, t=0),
            mk(3, BS, [2], step="parallel", t=0),
            mk(4, BS, [3], step="parallel", t=2, actions=[ParallelLabelAction("A")]),
            mk(5, BS, [3], step="parallel", t=3, actions=[ParallelLabelAction("B")]),
            mk(6, A, [4], step="sh", t=100),
            mk(7, BE, [6], start=4, step="parallel", t=500),
            mk(8, A, [5], step="sh", t=600),
        ],
        heads=[7, 8],
    )
    return running(graph, start_ms=0, now_ms=10_000)


def test_worked_example_in_progress_parallel() -> None:
    run = in_progress_parallel_run()
    n = run.graph.node
    starts, tips = [n("4"), n("5")], [n("7"), n("8")]
    timings = branch_timings(run, n("3"), starts, tips, None, [0, 0])
    assert timings == {"A": TimingInfo(2, 498, 0), "B": TimingInfo(3, 9_997, 0)}
    assert branch_statuses(run, n("3"), starts, tips, None) == {"A": Status.SUCCESS, "B": Status.IN_PROGRESS}
    # Overall: the longest branch, measured from its own start (not from the parallel's start).
    assert parallel_timing(run, timings, n("3"), None) == TimingInfo(0, 9_997, 0)
    # The one-pass analysis agrees.
    analysis = analyze(run)
    block = analysis.stages[0]
    assert (block.start_ms, block.duration_ms, block.status) == (0, 9_997, Status.IN_PROGRESS)
    assert [(c.name, c.duration_ms, c.status) for c in block.children] == [
        ("A", 498, Status.SUCCESS),
        ("B", 9_997, Status.IN_PROGRESS),
    ]


def test_overall_parallel_of_a_building_run_uses_branch_totals_even_when_closed() -> None:
    run = finished(fail_parallel_graph(), Result.FAILURE, start_ms=900, duration_ms=960)
    run.running = True
    n = run.graph.node
    timings = {"success": TimingInfo(926, 903, 50), "fail": TimingInfo(928, 10, 5)}
    assert parallel_timing(run, timings, n("4"), n("13")) == TimingInfo(924, 903, 50)
    assert parallel_timing(run, {}, n("4"), None) == TimingInfo(924, 0, 0)


@pytest.mark.parametrize(("pause", "expected"), [(5, 5), (50, 6), (-4, 4), (0, 0)])
def test_pause_is_clamped_to_the_total(pause: int, expected: int) -> None:
    graph = graph_of(
        [
            mk(2, FS, t=0),
            mk(3, BS, [2], step="parallel", t=10),
            mk(4, BS, [3], step="parallel", t=20, actions=[ParallelLabelAction("x")]),
            mk(5, BE, [4], start=4, step="parallel", t=26),
            mk(6, BE, [5], start=3, step="parallel", t=30),
            mk(7, FE, [6], start=2, t=31),
        ]
    )
    run = finished(graph, Result.SUCCESS, 0, 40)
    n = run.graph.node
    assert chunk_timing(run, pause, n("4"), n("5"), n("6")) == TimingInfo(20, 6, expected)


def test_negative_total_gives_negative_pause() -> None:
    graph = graph_of([mk(2, FS, t=0), mk(3, A, [2], step="sh", t=100), mk(4, A, [3], step="sh", t=90)])
    run = running(graph, 0, 1_000)
    n = run.graph.node
    assert chunk_timing(run, 7, n("3"), n("3"), n("4")) == TimingInfo(100, -10, -10)


def test_not_executed_last_node_is_all_zero_but_skipped_stage_is_timed() -> None:
    b = GraphBuilder(start_ms=0, step_ms=10)
    with b.not_executed(), b.stage("Old"):
        b.step("sh", script="make")
    with b.stage("Skipped", skipped="SKIPPED_FOR_CONDITIONAL"):
        pass
    run = b.build()
    c = Chunks(run)
    _, old_body, old_end, old_outer_end = c.stage("Old")
    _, skip_body, skip_end, skip_outer_end = c.stage("Skipped")
    assert old_end is not None and old_end.has_action(NotExecutedNodeAction)
    assert skip_end is not None
    assert chunk_timing(run, 3, old_body, old_end, old_outer_end) == TimingInfo(0, 0, 0)
    # Nodes every 10 ms from the flow start @0: Old is 3..7, Skipped's outer start 8 @60,
    # body 9 @70, body end 10 @80, outer end 11 @90.
    assert chunk_timing(run, 0, skip_body, skip_end, skip_outer_end) == TimingInfo(70, 20, 0)


def test_running_chunk_ends_now_and_finished_branch_at_its_own_end() -> None:
    b = GraphBuilder(start_ms=0, step_ms=10)
    with b.stage("Build"):
        b.step("sh", script="make", duration_ms=500)
        b.halt()
    run = b.build()
    run.clock.advance(1_000)  # type: ignore[attr-defined]
    body = Chunks(run).stage("Build")[1]
    head = run.graph.heads[0]
    # body start @20, sh @30 lasting 500 ms, then 1_000 ms more: now = 1_530.
    assert run.now_ms() == 1_530
    assert chunk_timing(run, 0, body, head, None) == TimingInfo(20, 1_510, 0)


def test_branch_end_of_a_complete_run_with_no_after_ends_at_the_run_end() -> None:
    run = finished(fail_parallel_graph(), Result.FAILURE, start_ms=900, duration_ms=960)
    n = run.graph.node
    # Rule 6 overrides rule 4: with after=None on a complete run the run's end (1_860) wins.
    assert chunk_timing(run, 0, n("7"), n("10"), None) == TimingInfo(928, 932, 0)


def test_flow_start_uses_run_start_with_or_without_its_own_timing() -> None:
    for flow_start_timing in (True, False):
        b = GraphBuilder(start_ms=5_000, step_ms=10, flow_start_timing=flow_start_timing)
        b.step("echo", message="hi")
        built = b.build()
        run = Run(built.graph, result=Result.SUCCESS, start_ms=4_000, duration_ms=1_100, running=False)
        start, echo = run.graph.flow_start, Chunks(run).step("echo")
        assert chunk_timing(run, 0, start, echo, Chunks(run).after(echo)) == TimingInfo(4_000, 1_020, 0)
        assert chunk_timing(run, 0, start, run.graph.heads[0], None) == TimingInfo(4_000, 1_100, 0)


def test_missing_timing_is_unknown_not_zero() -> None:
    graph = graph_of(
        [
            mk(2, FS),  # no timing, and the run's start is unknown too
            mk(3, A, [2], step="sh", t=100),
            mk(4, A, [3], step="sh"),  # no TimingAction
            mk(5, A, [4], step="sh", t=300),
        ]
    )
    run = Run(graph, running=True, clock=lambda: 1_000)
    n = run.graph.node
    assert chunk_timing(run, 0, n("3"), n("3"), n("4")) == TimingInfo(100, None, 0)
    assert chunk_timing(run, 9, n("4"), n("4"), n("5")) == TimingInfo(None, None, 9)
    assert chunk_timing(run, 0, n("2"), n("3"), n("4")) == TimingInfo(None, None, 0)
    assert chunk_timing(run, 0, n("5"), n("5"), None) == TimingInfo(300, 700, 0)
    analysis = analyze(run)
    assert analysis.timing_of("4") == TimingInfo(None, None, 0)
    assert analysis.timing_of("3") == TimingInfo(100, None, 0)


def test_complete_run_without_recorded_duration_has_unknown_end() -> None:
    run = finished(sequential_graph(), Result.SUCCESS, start_ms=1_000_000, duration_ms=9_000)
    run.duration_ms = None
    n = run.graph.node
    assert chunk_timing(run, 0, n("2"), n("7"), None) == TimingInfo(1_000_000, None, 0)


def test_pause_duration_sums_pauses_and_counts_an_open_one_to_now() -> None:
    node = mk(5, A, [4], step="input", t=0, actions=[PauseAction("Input", 100, 400), PauseAction("Input", 1_000)])
    assert pause_duration(node, now_ms=1_250) == 300 + 250


def test_branch_timings_validate_their_input() -> None:
    run = finished(fail_parallel_graph(), Result.FAILURE, start_ms=900, duration_ms=960)
    n = run.graph.node
    with pytest.raises(ValueError, match="2 branches but 1 pauses"):
        branch_timings(run, n("4"), [n("6"), n("7")], [n("12"), n("10")], n("13"), [1])
    with pytest.raises(ValueError, match="branch starts but"):
        branch_timings(run, n("4"), [n("6")], [n("12"), n("10")], n("13"), [1])
    with pytest.raises(CorruptGraphError, match="branch end 10 closes 7, not branch start 6"):
        branch_timings(run, n("4"), [n("6"), n("7")], [n("10"), n("12")], n("13"), [0, 0])
