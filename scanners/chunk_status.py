"""The status of a chunk of a run, decided exactly as Jenkins' ``StatusAndTiming`` decides it.

A chunk is ``[first .. last]`` with its context: ``before`` (the node preceding ``first``) and
``after`` (the node following ``last``; None when nothing follows yet). Almost every rule
looks only at ``last``, ``after`` and the run, never at the whole chunk
(``reference/status-and-timing.md`` §1.2), in this order, first match wins:

1. NOT_EXECUTED when ``last`` was re-created by a checkpoint restart, or ``first`` carries the
   declarative ``STAGE_STATUS = SKIPPED_FOR_CONDITIONAL`` tag;
2. the *last* chunk (``after`` is None or ``last`` is a current head): while the run builds,
   a finished parallel branch among several heads gets its own result, a queued ``node`` start
   is QUEUED (or ABORTED when its queue item was cancelled), a node paused for input while the
   run waits is PAUSED_PENDING_INPUT, anything else IN_PROGRESS; once the run is over, the
   run's result verbatim;
3. an ErrorAction on ``last``: the interruption's result, or FAILURE;
4. the worst WarningAction in ``(first, last]``;
5. SUCCESS: the flow went on past the chunk, so it did not fail.

Examples
--------
>>> from flowgraph import GraphBuilder
>>> b = GraphBuilder(start_ms=0, step_ms=10)
>>> with b.try_catch():
...     with b.stage("Test"):
...         _ = b.step("sh", script="pytest", error="tests failed")
>>> run = b.build()
>>> g = run.graph
>>> chunk_status(run, g.node("3"), g.node("4"), g.node("6"), g.node("7"))
<Status.FAILURE: 5>
"""

from __future__ import annotations

from collections.abc import Sequence

from flowgraph.actions import (
    ErrorAction,
    PauseAction,
    QueueItemAction,
    QueueState,
    TagsAction,
    ThreadNameAction,
    WarningAction,
)
from flowgraph.errors import NodeNotFoundError
from flowgraph.node import FlowNode, NodeKind
from flowgraph.run import Run
from scanners._runstate import run_building
from scanners.status import Status
from scanners.timing import _check_branches

__all__ = [
    "chunk_status",
    "branch_statuses",
    "worst_warning_between",
    "STAGE_STATUS_TAG",
    "SKIPPED_FOR_CONDITIONAL",
    "SKIPPED_TAGS",
]

STAGE_STATUS_TAG = "STAGE_STATUS"
"""The TagsAction key declarative pipelines record a stage's skip reason under."""

SKIPPED_FOR_CONDITIONAL = "SKIPPED_FOR_CONDITIONAL"
SKIPPED_TAGS = frozenset({"SKIPPED_FOR_CONDITIONAL", "SKIPPED_FOR_FAILURE", "SKIPPED_FOR_UNSTABLE"})
"""Tag values pipeline-graph-view draws as *skipped* (SKIPPED_FOR_RESTART is not among them)."""

DISABLE_WARNING_ACTION_LOOKUP = False
"""Jenkins' system property of the same name: when True, rule 4 finds no warnings."""


def stage_status_tag(node: FlowNode) -> str | None:
    """The node's declarative ``STAGE_STATUS`` tag value, or None."""
    tags = node.get_action(TagsAction)
    return tags.tags.get(STAGE_STATUS_TAG) if tags is not None else None


def worst_warning_between(run: Run, first: FlowNode, last: FlowNode) -> WarningAction | None:
    """The worst WarningAction on nodes reachable backwards from ``last`` without passing ``first``.

    That is the half-open chunk ``(first, last]``, nested blocks and every parallel branch
    included; ``first`` itself is excluded, so a single-node chunk has none. Among several
    warnings the one with the worst Jenkins result ordinal wins (NOT_BUILT beats FAILURE).
    The walk is an iterative depth-first search that visits each node once.

    Examples
    --------
    >>> from flowgraph import GraphBuilder
    >>> b = GraphBuilder()
    >>> with b.stage("QA"):
    ...     _ = b.unstable("flaky")
    >>> run = b.build()
    >>> worst_warning_between(run, run.graph.node("4"), run.graph.node("6")).result
    <Result.UNSTABLE: 1>
    """
    if DISABLE_WARNING_ACTION_LOOKUP or first.id == last.id:
        return None
    get = run.graph.storage.get_node
    worst: WarningAction | None = None
    seen = {first.id, last.id}
    stack = [last]
    while stack:
        node = stack.pop()
        for action in node.actions:
            if isinstance(action, WarningAction) and (worst is None or action.result.value > worst.result.value):
                worst = action
        for parent_id in node.parent_ids:
            if parent_id not in seen:
                seen.add(parent_id)
                parent = get(parent_id)
                if parent is None:
                    raise NodeNotFoundError(parent_id, referenced_by=node.id)
                stack.append(parent)
    return worst


def _error_status(error: ErrorAction) -> Status:
    if error.is_interruption:
        return Status.from_result(error.result)
    return Status.FAILURE


def chunk_status(run: Run, before: FlowNode | None, first: FlowNode, last: FlowNode, after: FlowNode | None) -> Status:
    """Status of the chunk ``[first .. last]`` (Jenkins' ``computeChunkStatus2``).

    Parameters
    ----------
    run
        The run the nodes belong to (its heads, result, whether it still builds, pending input).
    before
        The node preceding ``first`` (None only for the flow start); no rule reads it, it is
        accepted so that every chunk is described the same way.
    first, last
        First and last node of the chunk (the same node for a single step).
    after
        The node following ``last``; None when the chunk is still running or ends the run.

    Notes
    -----
    "Last chunk" means ``after is None`` *or* ``last`` is a current head, so a caller passing
    ``after=None`` for a chunk in the middle of a finished run gets the run's result.

    Examples
    --------
    >>> from flowgraph import GraphBuilder
    >>> b = GraphBuilder()
    >>> with b.stage("Deploy"):
    ...     _ = b.input("Ship it?")
    >>> run = b.build()
    >>> g = run.graph
    >>> chunk_status(run, g.node("3"), g.node("4"), g.node("5"), None)
    <Status.PAUSED_PENDING_INPUT: 7>
    """
    del before  # part of the chunk's description; no rule depends on it
    if last.not_executed or stage_status_tag(first) == SKIPPED_FOR_CONDITIONAL:
        return Status.NOT_EXECUTED
    head_ids = run.graph.head_ids
    if after is None or last.id in head_ids:
        return _last_chunk_status(run, last, head_ids)
    error = last.get_action(ErrorAction)
    if error is not None:
        return _error_status(error)
    warning = worst_warning_between(run, first, last)
    if warning is not None:
        return Status.from_result(warning.result)
    return Status.SUCCESS


def _last_chunk_status(run: Run, last: FlowNode, head_ids: tuple[str, ...]) -> Status:
    """Rule 2: the last chunk, while the run builds and once it is over."""
    if not run_building(run):
        return Status.from_result(run.result)
    if len(head_ids) > 1 and last.kind is NodeKind.BLOCK_END:
        start = run.graph.start_of(last)
        if start.get_action(ThreadNameAction) is not None:
            warning = worst_warning_between(run, start, last)
            status = Status.from_result(warning.result) if warning is not None else Status.SUCCESS
            return Status.FAILURE if last.get_action(ErrorAction) is not None else status
    return running_status(run, last)


def running_status(run: Run, last: FlowNode) -> Status:
    """Rules 2a.2 to 2a.4: the status of a running tip (queued agent, input pause, or running)."""
    if last.kind is NodeKind.BLOCK_START:
        queue = last.get_action(QueueItemAction)
        if queue is not None:
            if queue.state is QueueState.QUEUED:
                return Status.QUEUED
            if queue.state is QueueState.CANCELLED:
                return Status.ABORTED
            return Status.IN_PROGRESS
    pause = last.get_action(PauseAction)
    if run.pending_input and pause is not None and pause.cause == "Input":
        return Status.PAUSED_PENDING_INPUT
    return Status.IN_PROGRESS


def branch_statuses(
    run: Run,
    parallel_start: FlowNode,
    branch_starts: Sequence[FlowNode],
    branch_ends: Sequence[FlowNode],
    parallel_end: FlowNode | None,
) -> dict[str, Status]:
    """Status of each branch of a parallel, keyed by branch name (``computeBranchStatuses2``).

    Each branch is the chunk ``(before=parallel_start, first=branch start, last=branch end or
    latest node, after=parallel_end)``; combine them with :meth:`Status.condense`.

    Raises
    ------
    ValueError
        Different numbers of branch starts and ends.
    CorruptGraphError
        A branch end closes another block, or a branch start has no branch name.

    Examples
    --------
    >>> from flowgraph import GraphBuilder
    >>> b = GraphBuilder()
    >>> with b.parallel("ok", "bad") as par:
    ...     with par.branch("ok"):
    ...         _ = b.step("sh", script="true")
    ...     with par.branch("bad"):
    ...         _ = b.step("sh", script="false", error="exit 1")
    >>> run = b.build()
    >>> g = run.graph
    >>> statuses = branch_statuses(run, g.node("3"), [g.node("5"), g.node("6")],
    ...                            [g.node("8"), g.node("10")], g.node("11"))
    >>> statuses["ok"], statuses["bad"], Status.condense(statuses.values())
    (<Status.SUCCESS: 1>, <Status.FAILURE: 5>, <Status.FAILURE: 5>)
    """
    names = _check_branches(parallel_start, branch_starts, branch_ends)
    return {
        name: chunk_status(run, parallel_start, start, end, parallel_end)
        for name, start, end in zip(names, branch_starts, branch_ends, strict=True)
    }
