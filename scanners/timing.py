"""When a chunk of a run started, how long it took, and how long it waited.

Jenkins stores no durations: a node only knows when it was created (its TimingAction). A
chunk's duration is therefore the start of the node *after* it minus the start of its first
node, with special cases (``reference/status-and-timing.md`` §1.5 and §1.6):

* a chunk still running ends *now* (the run's injectable clock, so tests are deterministic);
* a finished parallel branch ends when its own end node was created, not when the slowest
  sibling let the parallel finish;
* the chunk that reaches the end of a complete run ends at the run's recorded end;
* a chunk starting at the flow start starts at the run's start (old flow starts carry no timing);
* a chunk whose last node was not executed (checkpoint restart) is ``TimingInfo(0, 0, 0)``.

Deliberate divergence from Jenkins: where Jenkins reads a missing TimingAction as time 0 (and
reports durations of minus fifty years), an unknown time here is ``None``: ``start_ms`` is None
when the chunk's start is unknown, ``total_ms`` is None when either end is unknown, and then
``pause_ms`` is the caller's pause, unclamped (there is nothing to clamp it to).

Examples
--------
>>> t = TimingInfo(start_ms=1_000, total_ms=250, pause_ms=50)
>>> t.end_ms, t.run_ms
(1250, 200)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from flowgraph.actions import PauseAction, ThreadNameAction
from flowgraph.errors import CorruptGraphError
from flowgraph.node import FlowNode, NodeKind
from flowgraph.run import Run
from scanners._runstate import execution_complete, run_end_ms

__all__ = ["TimingInfo", "chunk_timing", "branch_timings", "parallel_timing", "pause_duration"]


class TimingInfo(NamedTuple):
    """Start, total duration and pause of a chunk, in epoch milliseconds / milliseconds.

    Jenkins' ``TimingInfo`` has no end field; :attr:`end_ms` is start plus total. Fields are
    None when the graph lacks the timing actions to know them (see the module notes). It is an
    immutable named tuple: cheap to make by the hundred thousand, and it unpacks.
    """

    start_ms: int | None
    total_ms: int | None
    pause_ms: int

    @property
    def end_ms(self) -> int | None:
        """Start plus total, when both are known."""
        if self.start_ms is None or self.total_ms is None:
            return None
        return self.start_ms + self.total_ms

    @property
    def run_ms(self) -> int | None:
        """Time spent working: total minus pause."""
        return None if self.total_ms is None else self.total_ms - self.pause_ms


NOT_RUN = TimingInfo(0, 0, 0)


def pause_duration(node: FlowNode, now_ms: int) -> int:
    """Milliseconds ``node`` spent paused (Jenkins' ``PauseAction.getPauseDuration``).

    A pause still going on counts up to ``now_ms``.

    Examples
    --------
    >>> from flowgraph import FlowNode, NodeKind
    >>> n = FlowNode("5", NodeKind.ATOM, ("4",), actions=[PauseAction("Input", 100, 0)])
    >>> pause_duration(n, now_ms=400)
    300
    """
    total = 0
    for action in node.actions:
        if isinstance(action, PauseAction):
            total += action.duration_ms(now_ms)
    return total


def _clamp_pause(pause_ms: int, total_ms: int | None) -> int:
    # Jenkins: min(|pause|, total); a negative total makes a negative pause, kept as is.
    magnitude = abs(pause_ms)
    return magnitude if total_ms is None else min(magnitude, total_ms)


def _is_completed_branch_end(run: Run, last: FlowNode) -> bool:
    if last.kind is not NodeKind.BLOCK_END:
        return False
    return run.graph.start_of(last).get_action(ThreadNameAction) is not None


def chunk_timing(run: Run, pause_ms: int, first: FlowNode, last: FlowNode, after: FlowNode | None) -> TimingInfo:
    """Timing of the chunk ``[first .. last]`` followed by ``after`` (None: nothing follows yet).

    Jenkins' ``StatusAndTiming.computeChunkTiming``, rule for rule (§1.5). ``pause_ms`` is the
    pause accumulated inside the chunk (for instance the sum of :func:`pause_duration` over its
    nodes); it is only clamped here, to ``[0 .. total]``.

    Missing timing is unknown, not zero (a deliberate divergence from Jenkins, which would
    subtract from 0): ``start_ms`` is None when ``first`` has no TimingAction (and is not the flow
    start of a run whose start is known), and ``total_ms`` is None when the end cannot be known
    (``after`` without timing, or a complete run without a recorded duration). When ``first`` is
    the flow start and the run's start is unknown, the flow start's own TimingAction is used.

    Examples
    --------
    >>> from flowgraph import GraphBuilder
    >>> b = GraphBuilder(start_ms=0, step_ms=10)
    >>> a, c = b.step("sh", script="make"), b.step("echo", message="done")
    >>> run = b.build()
    >>> chunk_timing(run, 0, a, a, c)
    TimingInfo(start_ms=10, total_ms=10, pause_ms=0)
    """
    if last.not_executed:
        return NOT_RUN
    end: int | None = after.start_ms if after is not None else run.now_ms()
    if _is_completed_branch_end(run, last):
        end = last.start_ms
    if first.kind is NodeKind.FLOW_START and run.start_ms is not None:
        start: int | None = run.start_ms
    else:
        start = first.start_ms
    if after is None and execution_complete(run):
        end = run_end_ms(run)
    total = end - start if end is not None and start is not None else None
    return TimingInfo(start, total, _clamp_pause(pause_ms, total))


def _check_branches(
    parallel_start: FlowNode, branch_starts: Sequence[FlowNode], branch_ends: Sequence[FlowNode]
) -> list[str]:
    if len(branch_starts) != len(branch_ends):
        raise ValueError(
            f"parallel {parallel_start.id}: {len(branch_starts)} branch starts but {len(branch_ends)} branch ends"
        )
    names = []
    for start, end in zip(branch_starts, branch_ends, strict=True):
        if end.kind is NodeKind.BLOCK_END and end.start_id != start.id:
            raise CorruptGraphError(
                f"parallel {parallel_start.id}: branch end {end.id} closes {end.start_id}, not branch start {start.id}",
                node_id=end.id,
            )
        thread = start.get_action(ThreadNameAction)
        if thread is None:
            raise CorruptGraphError(
                f"parallel {parallel_start.id}: branch start {start.id} has no ThreadNameAction (branch name)",
                node_id=start.id,
            )
        names.append(thread.thread_name)
    return names


def branch_timings(
    run: Run,
    parallel_start: FlowNode,
    branch_starts: Sequence[FlowNode],
    branch_ends: Sequence[FlowNode],
    parallel_end: FlowNode | None,
    pauses: Sequence[int],
) -> dict[str, TimingInfo]:
    """Timing of each branch of a parallel, keyed by branch name (§1.6).

    ``branch_ends[i]`` is the branch's end node, or its latest node while it runs;
    ``parallel_end`` is None while the parallel runs; ``pauses[i]`` is branch ``i``'s pause.

    Raises
    ------
    ValueError
        The three sequences differ in length.
    CorruptGraphError
        A branch end closes another block, or a branch start has no branch name.

    Examples
    --------
    >>> from flowgraph import GraphBuilder
    >>> b = GraphBuilder(start_ms=0, step_ms=10)
    >>> with b.parallel("a", "b") as par:
    ...     with par.branch("a"):
    ...         _ = b.step("sh", script="x")
    ...     with par.branch("b"):
    ...         _ = b.step("sh", script="y")
    >>> run = b.build()
    >>> g = run.graph
    >>> starts, ends = [g.node("5"), g.node("6")], [g.node("8"), g.node("10")]
    >>> branch_timings(run, g.node("3"), starts, ends, g.node("11"), [0, 0])["a"]
    TimingInfo(start_ms=20, total_ms=30, pause_ms=0)
    """
    names = _check_branches(parallel_start, branch_starts, branch_ends)
    if len(pauses) != len(branch_starts):
        raise ValueError(f"parallel {parallel_start.id}: {len(branch_starts)} branches but {len(pauses)} pauses")
    return {
        name: chunk_timing(run, pause, start, end, parallel_end)
        for name, start, end, pause in zip(names, branch_starts, branch_ends, pauses, strict=True)
    }


def parallel_timing(
    run: Run, branch_timings: Mapping[str, TimingInfo], parallel_start: FlowNode, parallel_end: FlowNode | None
) -> TimingInfo:
    """Timing of a whole parallel from its branches' timings (Jenkins' ``computeOverallParallelTiming``).

    The pause is the *longest* branch pause. A complete parallel lasts from its start node to its
    end node; while the parallel (or the run) is still going it lasts as long as its longest
    branch, each branch measured from its own start. Unknown branch totals are skipped; the total
    is None when nothing is known.

    Examples
    --------
    >>> from flowgraph import FlowNode, NodeKind, TimingAction
    >>> from flowgraph.run import FixedClock
    >>> from flowgraph import FlowGraph, Run
    >>> run = Run(FlowGraph(), start_ms=0, clock=FixedClock(10_000))
    >>> start = FlowNode("4", NodeKind.BLOCK_START, ("3",), actions=[TimingAction(0)])
    >>> parallel_timing(run, {"A": TimingInfo(2, 498, 0), "B": TimingInfo(3, 9_997, 7)}, start, None)
    TimingInfo(start_ms=0, total_ms=9997, pause_ms=7)
    """
    incomplete = parallel_end is None or run.running
    max_pause = 0
    known: list[int] = []
    for timing in branch_timings.values():
        max_pause = max(max_pause, timing.pause_ms)
        if timing.total_ms is not None:
            known.append(timing.total_ms)
    start = parallel_start.start_ms
    total: int | None
    if incomplete:
        # Jenkins starts its running maximum at 0; all-unknown branches leave the total unknown.
        total = max([0, *known]) if known or not branch_timings else None
    else:
        assert parallel_end is not None
        end = parallel_end.start_ms
        total = end - start if end is not None and start is not None else None
    return TimingInfo(start, total, max_pause)
