"""What failed, first: the innermost failing steps of a run, and the errors that were caught.

A Jenkins error is recorded where it is raised (an ``ErrorAction`` on the step) and again on
every block end it leaves (``stage``, ``node``, ``retry`` bodies…) up to the flow end node.
A block that ends *without* an ``ErrorAction`` stopped it: ``retry`` after a later attempt
succeeded, ``catchError``, or a Groovy ``try``/``catch`` (which leaves no node of its own; the
block around it just ends fine). So:

* an error's **origin** is a node carrying an ``ErrorAction`` that is not merely a copy passed
  up from inside its block: every step with an error, and a block end whose block holds no
  node with the same error (``type``, ``message``);
* an origin is **caught** when, climbing its enclosing blocks, some block ended without an
  error: that block (its start node) is what caught it. Otherwise (the error reached the flow
  end node, or a block on the way is still open in a running or cut-off run) it is a
  **failure**.

Caught errors are listed apart and never called failures: a green run with three retried
attempts has no failures. Failures come first-to-last in the order they were raised (creation
order), so ``failures[0]`` is "the first failure".

Everything is linear: one pass over the nodes to find origins, then each block's verdict is
computed once and shared by every error inside it (no recursion, any nesting depth).

Examples
--------
>>> from flowgraph import GraphBuilder
>>> from scanners.analysis import analyze
>>> b = GraphBuilder(start_ms=0, step_ms=100)
>>> with b.stage("Build"):
...     with b.retry(2) as r:
...         with r.attempt():
...             _ = b.step("sh", script="make", error="flaky")
...         with r.attempt():
...             _ = b.step("sh", script="make")
>>> with b.stage("Test"):
...     _ = b.step("sh", script="pytest", error="3 tests failed")
>>> summary = failure_summary(analyze(b.build()))
>>> [(f.stage_path, f.function_name, f.message) for f in summary.failures]
[(('Test',), 'sh', '3 tests failed')]
>>> [(f.message, f.caught_by_name) for f in summary.caught]
[('flaky', 'retry')]
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from flowgraph.actions import ErrorAction
from flowgraph.errors import FlowGraphError, NodeNotFoundError
from flowgraph.node import FlowNode, NodeKind
from flowgraph.result import Result
from scanners.logs import LogTail, has_logs, iter_step_log, tail_lines
from scanners.stage_tree import StageNode, StepInfo
from scanners.status import Status

if TYPE_CHECKING:
    from flowgraph.graph import FlowGraph
    from scanners.analysis import RunAnalysis

__all__ = ["Failure", "FailureSummary", "failure_summary", "DEFAULT_LOG_LINES"]

DEFAULT_LOG_LINES = 10
"""How many of a failing step's last log lines a summary keeps."""

_MAX_LOGGED = 20  # read the logs of at most this many failures (a mass abort can make hundreds)


class Failure:
    """One error origin: where it was raised, what it was, and (if caught) what caught it.

    Attributes
    ----------
    node
        The node that raised the error (a step, or a block end for an error of the block itself).
    step
        Its :class:`StepInfo` when the node is a step, else None.
    stage_path
        Names of the enclosing stages and branches, outermost first (empty outside stages).
    error_type, message
        The error's class name and message (``message`` None when it had none).
    interrupted
        True for an abort or timeout (``FlowInterruptedException``).
    caught_by
        The block start whose block stopped the error, or None (a failure, or caught by a
        ``try`` at the top level of the script).
    caught
        True when the error did not propagate (see the module notes).
    log
        The last lines of the node's console output (empty when the run has no logs or the
        summary was asked for none).
    """

    __slots__ = ("caught", "caught_by", "error_type", "interrupted", "log", "message", "node", "stage_path", "step")

    def __init__(
        self,
        node: FlowNode,
        error: ErrorAction,
        step: StepInfo | None,
        stage_path: tuple[str, ...],
        caught: bool,
        caught_by: FlowNode | None,
    ) -> None:
        self.node = node
        self.step = step
        self.stage_path = stage_path
        self.error_type = error.error_type
        self.message = error.message
        self.interrupted = error.is_interruption
        self.caught = caught
        self.caught_by = caught_by
        self.log = LogTail((), 0)

    @property
    def id(self) -> str:
        return self.node.id

    @property
    def function_name(self) -> str | None:
        """The failing step's function (``sh``); for a block end, its block step's."""
        return self.node.function_name

    @property
    def caught_by_name(self) -> str | None:
        """The catching block's step (``retry``, ``catchError``, ``stage``…), ``"try"`` at top level."""
        if not self.caught:
            return None
        if self.caught_by is None:
            return "try"
        return self.caught_by.function_name or self.caught_by.display_name

    @property
    def short_type(self) -> str:
        """The error's class name without its package (``IOException``)."""
        return self.error_type.rsplit(".", 1)[-1]

    @property
    def text(self) -> str:
        """The message, else the short type: never empty, never ``None``."""
        return self.message if self.message else self.short_type

    def describe(self) -> str:
        """One line: ``Build / Test: sh (node 7) failed: AbortException: exit 1``."""
        where = " / ".join(self.stage_path) or "(outside any stage)"
        what = self.function_name or self.node.display_name
        kind = "was aborted" if self.interrupted else "failed"
        detail = f"{self.short_type}: {self.message}" if self.message else self.short_type
        line = f"{where}: {what} (node {self.node.id}) {kind}: {detail}"
        if self.caught:
            line += f" (caught by {self.caught_by_name})"
        return line

    def __repr__(self) -> str:
        state = f"caught by {self.caught_by_name}" if self.caught else "failure"
        return f"Failure(node={self.node.id!r}, {self.short_type}: {self.message!r}, {state})"


class FailureSummary:
    """The result of :func:`failure_summary`: failures (first first), caught errors, and notes.

    ``result`` is the run's status; ``notes`` are plain sentences about the run a reader should
    know (for example a run that failed without any uncaught error: a ``catchError`` or
    ``currentBuild.result`` set it).
    """

    __slots__ = ("caught", "failures", "notes", "status")

    def __init__(self, status: Status, failures: list[Failure], caught: list[Failure], notes: list[str]) -> None:
        self.status = status
        self.failures = failures
        self.caught = caught
        self.notes = notes

    @property
    def first(self) -> Failure | None:
        """The first failure raised, or None."""
        return self.failures[0] if self.failures else None

    def __bool__(self) -> bool:
        return bool(self.failures)

    def lines(self) -> Iterator[str]:
        """The summary as plain text lines (what ``flowgraph info`` prints)."""
        if not self.failures:
            yield "No failing step."
        for failure in self.failures:
            yield failure.describe()
        yield from self.notes
        if self.caught:
            yield f"{len(self.caught)} error(s) were caught (retry, catchError or try) and are not failures."

    def __repr__(self) -> str:
        return f"FailureSummary({self.status.name}, {len(self.failures)} failures, {len(self.caught)} caught)"


def _key(error: ErrorAction) -> tuple[str, str | None]:
    return error.error_type, error.message


def _stage_paths(analysis: RunAnalysis) -> dict[str, tuple[str, ...]]:
    """Path of names from the top for every visible stage node (iterative, parents first)."""
    paths: dict[str, tuple[str, ...]] = {}
    for stage in analysis.iter_stages():
        above = paths.get(stage.parent_id, ()) if stage.parent_id is not None else ()
        paths[stage.id] = (*above, stage.name)
    return paths


def failure_summary(analysis: RunAnalysis, *, log_lines: int = DEFAULT_LOG_LINES) -> FailureSummary:
    """The run's failures (innermost first-raised errors that propagated) and its caught errors.

    ``log_lines`` last lines of each failing step's log are read when the run has logs (0: none).
    See the module notes for the rules.
    """
    run = analysis.run
    graph = run.graph
    steps: dict[str, StepInfo] = {step.id: step for step in analysis.iter_steps()}
    paths = _stage_paths(analysis)
    seen_keys: set[tuple[str, str | None]] = set()
    origins: list[tuple[FlowNode, ErrorAction]] = []
    final_key: tuple[str, str | None] | None = None
    for node in analysis.iter_nodes():  # creation order
        error = node.error
        if error is None:
            continue
        key = _key(error)
        if node.kind is NodeKind.FLOW_END:
            final_key = key  # the run's own copy of the error that ended it
        elif node.start_id is None or key not in seen_keys:
            origins.append((node, error))  # a step raised it, or a block failed by itself
        seen_keys.add(key)
    verdicts: dict[str, tuple[FlowNode | None, bool]] = {}

    def leave(inner: FlowNode) -> tuple[FlowNode | None, bool]:
        """What stops an error leaving ``inner`` (a node or block start): (catcher, definitive)."""
        path: list[str] = []
        answer: tuple[FlowNode | None, bool] = (None, True)
        current = inner
        while True:
            known = verdicts.get(current.id)
            if known is not None:
                answer = known
                break
            if current.is_block_start:
                path.append(current.id)
            outer_id = graph.enclosing_id(current)
            if outer_id is None:
                break  # left the whole run
            outer = graph.node(outer_id)
            end = graph.end_of(outer)
            if end is None:
                break  # still open (running, or the run was cut off): nothing caught it yet
            if outer.function_name == "retry" and not _last_attempt(graph, end, current):
                answer = (outer, True)  # a later attempt ran: retry caught this one
                break
            if end.error is None and end.kind is not NodeKind.FLOW_END:
                answer = (outer, False)  # the block ended fine
                break
            if end.error is None:  # the flow end without an error: a top-level try caught it
                answer = (outer, not _failed(run.result))
                break
            current = outer
        for block_id in path:
            verdicts[block_id] = answer
        return answer

    failures: list[Failure] = []
    caught: list[Failure] = []
    for node, error in origins:
        block = graph.node(node.start_id) if node.start_id is not None else node
        catcher, definitive = leave(block)
        if catcher is not None and not definitive and final_key == _key(error):
            catcher = None  # caught, then thrown again to the end (declarative stages do this)
        step = steps.get(node.id)
        failure = Failure(
            node,
            error,
            step,
            _path_of(analysis, paths, step, block),
            catcher is not None,
            catcher if catcher is not None and catcher.kind is not NodeKind.FLOW_START else None,
        )
        (caught if failure.caught else failures).append(failure)
    notes: list[str] = []
    status = analysis.status
    if not failures and status in (Status.FAILURE, Status.UNSTABLE):
        notes.append(
            f"The run is {status.name} without an uncaught error: a catchError, unstable step or "
            "currentBuild.result set it."
        )
    if log_lines > 0 and failures and has_logs(run):
        for failure in failures[:_MAX_LOGGED]:
            try:
                failure.log = tail_lines(iter_step_log(run, failure.node), log_lines)
            except FlowGraphError:
                break
    return FailureSummary(status, failures, caught, notes)


def _last_attempt(graph: FlowGraph, retry_end: FlowNode, body: FlowNode) -> bool:
    """True when ``body`` (a block start inside a retry) is the retry's last attempt."""
    if not body.is_block_start or not retry_end.parent_ids:
        return True
    last_end = graph.get(retry_end.parent_ids[0])
    return last_end is None or last_end.start_id is None or last_end.start_id == body.id


def _failed(result: Result | None) -> bool:
    return result is not None and (result is Result.FAILURE or result.is_worse_than(Result.FAILURE))


def _path_of(
    analysis: RunAnalysis, paths: dict[str, tuple[str, ...]], step: StepInfo | None, start: FlowNode
) -> tuple[str, ...]:
    """The stage path of a step, or of a block (its nearest stage or branch, itself included)."""
    if step is not None:
        return paths.get(step.stage_id, ()) if step.stage_id is not None else ()
    graph = analysis.run.graph
    for candidate in (start, *graph.iterate_enclosing_blocks(start)):
        path = paths.get(candidate.id)
        if path is not None:
            return path
        try:
            stage: StageNode = analysis.stage(candidate.id)
        except NodeNotFoundError:
            continue
        if stage.id in paths:
            return paths[stage.id]
    return ()
