"""Run-level facts the status and timing rules consult (private helpers).

Jenkins asks two slightly different questions: the status rules ask "is the run still
building?" (``run.isBuilding()``; pipeline-graph-view's copy also requires the execution not to
be complete, which covers the moment the run flag lags the execution), and the timing rules ask
"is the execution complete?". A :class:`~flowgraph.Run` may carry a loaded
:class:`~flowgraph.FlowExecution` record whose ``done`` flag answers the second question;
without one, "complete" is simply "not running".
"""

from __future__ import annotations

from flowgraph.execution import FlowExecution
from flowgraph.run import Run

__all__ = ["run_building", "execution_complete", "run_end_ms"]


def execution_complete(run: Run) -> bool:
    """Jenkins' ``FlowExecution.isComplete()``: the record's ``done`` flag, else "not running"."""
    execution = run.execution
    if isinstance(execution, FlowExecution) and execution.done:
        return True
    return not run.running


def run_building(run: Run) -> bool:
    """``run.isBuilding() && !execution.isComplete()`` (pipeline-graph-view's guard)."""
    return run.running and not execution_complete(run)


def run_end_ms(run: Run) -> int | None:
    """Start plus duration, when both are known (used for the last chunk of a complete run)."""
    if run.start_ms is None or run.duration_ms is None:
        return None
    return run.start_ms + run.duration_ms
