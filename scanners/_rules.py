"""Jenkins' status and timing rules over a run's flat facts, O(1) per chunk (private).

The same rules as :func:`~scanners.chunk_status.chunk_status` and
:func:`~scanners.timing.chunk_timing`, but reading positions and precomputed block aggregates
instead of walking the graph; a property test holds the two to the same answers.
"""

from __future__ import annotations

from flowgraph.actions import LabelAction, QueueState, ThreadNameAction
from flowgraph.result import Result
from scanners._facts import _BRANCH, GraphFacts
from scanners._runstate import run_end_ms
from scanners.chunk_status import SKIPPED_FOR_CONDITIONAL, _error_status
from scanners.status import Status
from scanners.timing import TimingInfo

NEVER_RAN = TimingInfo(None, None, 0)
"""The analysis' timing of what was copied as not executed (a restart from a stage): Jenkins says
``TimingInfo(0, 0, 0)``, which every view would draw as starting at the epoch; it never ran."""

__all__ = ["ChunkRules"]


class ChunkRules(GraphFacts):
    """Adds the per-chunk rules to the facts."""

    __slots__ = ()

    def _chunk_status(self, first: int, last: int, after: int, worst: int | None = None) -> Status:
        """``chunk_status`` with O(1) lookups; ``last`` is ``first``, its block's end, or a head.

        ``worst`` is the worst WarningAction ordinal between ``first`` and ``last`` (-1: none)
        when the caller knows it (a legacy marker stage's range); otherwise it is looked up.
        """
        if last in self._not_exec or self._tags.get(first) == SKIPPED_FOR_CONDITIONAL:
            return Status.NOT_EXECUTED
        if after < 0 or last in self._head_pos:
            return self._last_status(last)
        error = self._errors.get(last)
        if error is not None:
            return _error_status(error)
        if first != last:
            if worst is not None:
                pass
            elif self._ends.get(first) == last:
                worst = self._warn_range.get(first, -1)
            else:
                from scanners.chunk_status import worst_warning_between

                found = worst_warning_between(self.run, self._nodes[first], self._nodes[last])
                worst = found.result.value if found is not None else -1
            if worst >= 0:
                return Status.from_result(Result(worst))
        return Status.SUCCESS

    def _last_status(self, last: int) -> Status:
        if not self._building:
            return Status.from_result(self.run.result)
        if len(self._heads) > 1 and last in self._starts:
            start = self._starts[last]
            if self._roles[start] == _BRANCH:
                worst = self._warn_range.get(start, -1)
                status = Status.from_result(Result(worst)) if worst >= 0 else Status.SUCCESS
                return Status.FAILURE if last in self._errors else status
        return self._running_status(last)

    def _running_status(self, last: int) -> Status:
        if self._roles[last] >= 0:
            state = self._queues.get(last)
            if state is not None:
                if state is QueueState.QUEUED:
                    return Status.QUEUED
                if state is QueueState.CANCELLED:
                    return Status.ABORTED
                return Status.IN_PROGRESS
        if self.run.pending_input and last in self._input_pause:
            return Status.PAUSED_PENDING_INPUT
        return Status.IN_PROGRESS

    def _chunk_timing(self, first: int, last: int, after: int, pause_ms: int) -> TimingInfo:
        if last in self._not_exec:
            return NEVER_RAN
        start_ms = self._start_ms
        end = start_ms[after] if after >= 0 else self._now
        if last in self._starts and self._roles[self._starts[last]] == _BRANCH:
            end = start_ms[last]
        run_start = self.run.start_ms
        start = run_start if first == self._flow_start_pos and run_start is not None else start_ms[first]
        if after < 0 and self._complete:
            end = run_end_ms(self.run)
        total = end - start if end is not None and start is not None else None
        magnitude = abs(pause_ms)
        return TimingInfo(start, total, magnitude if total is None else min(magnitude, total))

    def _name(self, t: int) -> str:
        """A stage's label or a branch's name (the node's display name if it has neither)."""
        action = self._names.get(t)
        name = None
        if isinstance(action, ThreadNameAction):
            name = action.thread_name
        elif isinstance(action, LabelAction):
            name = action.display_name
        return name if name is not None else self._nodes[t].display_name

    def _parallel_timing(self, start: int, totals: list[int | None] | None, max_pause: int) -> TimingInfo:
        """``parallel_timing`` from the branches' totals and longest pause (spec 1.6)."""
        end = self._ends.get(start)
        first_ms = self._start_ms[start]
        total: int | None
        if end is None or self.run.running:
            known = [t for t in totals if t is not None] if totals else []
            total = max([0, *known]) if known or not totals else None
        else:
            end_ms = self._start_ms[end]
            total = end_ms - first_ms if end_ms is not None and first_ms is not None else None
        return TimingInfo(first_ms, total, max_pause)

    def _block_bounds(self, start: int) -> tuple[int, int]:
        """(last, after) of the block opened at ``start``: its end and next node, or its running tip."""
        end = self._ends.get(start)
        if end is None:
            return self._tip.get(start, start), -1
        return end, self._after[end]

    def _step_status(self, i: int) -> Status:
        """pipeline-graph-view's per-step status (``NodeRunStatus``), as a :class:`Status`."""
        is_head = i in self._head_pos
        if is_head and self._building and i in self._active_pause:
            return Status.PAUSED_PENDING_INPUT
        error = self._errors.get(i)
        if error is not None:
            return _error_status(error)
        warning = self._warnings.get(i)
        if warning is not None:
            return Status.from_result(Result(warning))
        state = self._queues.get(i)
        if state is QueueState.QUEUED:
            return Status.QUEUED
        if state is QueueState.CANCELLED:
            return Status.ABORTED
        if is_head:
            return Status.IN_PROGRESS if self._building else Status.from_result(self.run.result)
        if i in self._not_exec:
            return Status.NOT_EXECUTED
        return Status.SUCCESS
