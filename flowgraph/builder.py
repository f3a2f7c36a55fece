"""Build realistic flow graphs in code, with the exact node shapes Jenkins produces.

Tests, benchmarks and the demo need graphs that look like the ones Jenkins writes: stages are
two nested blocks (the step and its body, the body carrying the label), a ``parallel`` is an
outer block with one body block per branch (and node ids skip a number after the parallel
start), ``node`` allocates an executor in an outer block around a body block, ``retry`` has one
body block per attempt, a failure leaves an :class:`~flowgraph.actions.ErrorAction` on the step
and on every block end it propagates through, and an unfinished run has open blocks and one
head per running branch. :class:`GraphBuilder` produces exactly those shapes.

Every ``with`` form has a ``begin_*``/:meth:`GraphBuilder.end_block` equivalent, so graphs of
any nesting depth can be built with a loop instead of (recursive) nested ``with`` statements.

Examples
--------
>>> b = GraphBuilder(start_ms=0, step_ms=1000)
>>> with b.stage("Build"):
...     _ = b.step("sh", script="make")
>>> with b.parallel("unit", "lint") as par:
...     with par.branch("unit"):
...         _ = b.step("sh", script="pytest")
...     with par.branch("lint"):
...         _ = b.step("sh", script="ruff check", error="script returned exit code 1")
>>> run = b.build()
>>> run.result, [n.id for n in run.graph.heads], len(run.graph)
(<Result.FAILURE: 2>, ['17'], 15)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flowgraph.actions import (
    FLOW_INTERRUPTED_EXCEPTION,
    Action,
    ArgumentsAction,
    BodyInvocationAction,
    ErrorAction,
    LabelAction,
    LogStorageAction,
    NotExecutedNodeAction,
    ParallelLabelAction,
    PauseAction,
    QueueItemAction,
    QueueState,
    StageAction,
    TagsAction,
    TimingAction,
    WarningAction,
    WorkspaceAction,
)
from flowgraph.errors import GraphBuildError
from flowgraph.graph import FlowGraph
from flowgraph.node import FlowNode, NodeKind
from flowgraph.result import Result
from flowgraph.run import ManualClock, Run
from flowgraph.steps import descriptor_id
from flowgraph.storage.base import NodeStorage

__all__ = ["GraphBuilder", "ParallelHandle", "RetryHandle", "abort_error"]

_ABORT = "hudson.AbortException"


def abort_error(message: str = "script returned exit code 1") -> ErrorAction:
    """The error Jenkins records for a failing ``sh`` or an ``error`` step."""
    return ErrorAction(_ABORT, message, "")


def _as_error(error: ErrorAction | str) -> ErrorAction:
    return error if isinstance(error, ErrorAction) else abort_error(error)


@dataclass
class _Branch:
    name: str
    start_id: str
    tip: str
    closed: bool = False
    halted: bool = False
    error: ErrorAction | None = None


@dataclass
class _Frame:
    """One open block (or a builder-only scope such as a Groovy try/catch)."""

    kind: str  # "block", "parallel", "branch", "retry", "attempt", "catch", "try", "not-executed"
    start_ids: list[str] = field(default_factory=list)  # outer first; closed innermost first
    catch: bool = False
    stage_result: Result | None = None
    build_result: Result | None = None
    branches: dict[str, _Branch] = field(default_factory=dict)
    current_branch: _Branch | None = None
    saved_tip: str = ""
    branch_errors: list[ErrorAction] = field(default_factory=list)
    last_attempt_error: ErrorAction | None = None


class ParallelHandle:
    """Returned by :meth:`GraphBuilder.parallel`; enter each branch with :meth:`branch`."""

    def __init__(self, builder: GraphBuilder, frame: _Frame) -> None:
        self._builder = builder
        self._frame = frame

    @contextmanager
    def branch(self, name: str, *, close: bool = True) -> Iterator[FlowNode]:
        """Run the body of branch ``name``. ``close=False`` leaves it open to be re-entered later."""
        start = self._builder.enter_branch(name)
        yield start
        self._builder.leave_branch(close=close)


class RetryHandle:
    """Returned by :meth:`GraphBuilder.retry`; each :meth:`attempt` is one body invocation."""

    def __init__(self, builder: GraphBuilder, frame: _Frame) -> None:
        self._builder = builder
        self._frame = frame

    @contextmanager
    def attempt(self) -> Iterator[FlowNode]:
        body = self._builder.begin_body(kind="attempt")
        yield body
        self._builder.end_block()


class GraphBuilder:
    """Builds a :class:`~flowgraph.Run` node by node, as a Jenkins pipeline would record it.

    Parameters
    ----------
    start_ms
        The run's start time (epoch ms); the flow start node is stamped with it.
    step_ms
        How far the clock moves after each new node (a step's default duration).
    clock
        A :class:`~flowgraph.run.ManualClock` to share with the caller; made from ``start_ms``
        when omitted.
    storage
        Where the graph's nodes go; memory by default.
    flow_start_timing
        Whether the flow start node gets a TimingAction (older Jenkins runs have none).
    """

    def __init__(
        self,
        *,
        start_ms: int = 1_700_000_000_000,
        step_ms: int = 1000,
        clock: ManualClock | None = None,
        storage: NodeStorage | None = None,
        flow_start_timing: bool = True,
    ) -> None:
        self.clock = clock if clock is not None else ManualClock(start_ms)
        self.step_ms = step_ms
        self.graph = FlowGraph(storage)
        self.start_ms = self.clock()
        self._iota = 1
        self._frames: list[_Frame] = []
        self._error: ErrorAction | None = None
        self._halted = False
        self._not_executed = 0
        self._pending_input = False
        self._warn_result: Result | None = None
        self._built = False
        start = FlowNode(
            self._next_id(),
            NodeKind.FLOW_START,
            actions=[TimingAction(self.clock())] if flow_start_timing else [],
        )
        self.graph.add_node(start)
        self.flow_start = start
        self._tip = start.id
        self.clock.advance(step_ms)

    # -- low level --------------------------------------------------------------------

    def _next_id(self) -> str:
        self._iota += 1
        return str(self._iota)

    def skip_ids(self, count: int = 1) -> None:
        """Consume ids without creating nodes (Jenkins does this, e.g. after a parallel start)."""
        self._iota += count

    def wait(self, ms: int) -> None:
        """Let time pass without creating a node."""
        self.clock.advance(ms)

    def _check_can_add(self) -> None:
        if self._built:
            raise GraphBuildError("the run was already built; make a new GraphBuilder")
        if self._halted:
            raise GraphBuildError("this branch was halted (it is still running); no node can follow it")
        if self._error is not None:
            raise GraphBuildError(
                f"a node cannot follow the uncaught error {self._error.message!r}; "
                "wrap the failing part in try_catch() or catch_error()"
            )

    def _add(
        self,
        kind: NodeKind,
        function: str | None,
        before: list[Action],
        after: list[Action],
        *,
        start_id: str | None = None,
        parents: tuple[str, ...] | None = None,
        advance: int | None = None,
    ) -> FlowNode:
        actions = before
        actions.append(TimingAction(self.clock()))
        actions.extend(after)
        if self._not_executed:
            actions.append(NotExecutedNodeAction())
        node = FlowNode(
            self._next_id(),
            kind,
            parents if parents is not None else (self._tip,),
            start_id=start_id,
            descriptor_id=descriptor_id(function) if function is not None else None,
            actions=actions,
        )
        self.graph.add_node(node)
        self._tip = node.id
        self.clock.advance(self.step_ms if advance is None else advance)
        return node

    # -- atoms --------------------------------------------------------------------------

    def step(
        self,
        function: str,
        *,
        duration_ms: int | None = None,
        error: ErrorAction | str | None = None,
        log: bool = True,
        actions: tuple[Action, ...] = (),
        **arguments: Any,
    ) -> FlowNode:
        """An atom step (``sh``, ``echo``…) with its arguments; ``error`` makes it fail.

        The failure propagates to every enclosing block end until a ``try_catch``,
        ``catch_error``, a retry attempt or a parallel branch stops it.
        """
        self._check_can_add()
        before: list[Action] = [ArgumentsAction(arguments)] if arguments else []
        after: list[Action] = [LogStorageAction()] if log else []
        after.extend(actions)
        node = self._add(NodeKind.ATOM, function, before, after, advance=duration_ms)
        if error is not None:
            err = _as_error(error)
            node.add_action(err)
            self.graph.save_node(node)
            self._error = err
        return node

    def fail(self, message: str = "failed", *, error_type: str = _ABORT) -> FlowNode:
        """The ``error`` step: an atom that raises ``error_type`` with ``message``."""
        return self.step("error", message=message, error=ErrorAction(error_type, message, ""))

    def abort(self, message: str = "Aborted by user") -> FlowNode:
        """An interruption (user abort) raised in the current step: propagates as ABORTED."""
        err = ErrorAction(FLOW_INTERRUPTED_EXCEPTION, message, "", result=Result.ABORTED)
        return self.step("sh", script="sleep 600", error=err)

    def unstable(self, message: str) -> FlowNode:
        """The ``unstable`` step: a WarningAction(UNSTABLE) on an atom; the build becomes UNSTABLE."""
        self._note_build_result(Result.UNSTABLE)
        return self.step("unstable", log=False, actions=(WarningAction(Result.UNSTABLE, message),), message=message)

    def legacy_stage(self, name: str) -> FlowNode:
        """A legacy bodiless ``stage 'name'`` marker: an atom with a LabelAction and a StageAction."""
        self._check_can_add()
        return self._add(
            NodeKind.ATOM, "stage", [ArgumentsAction({"name": name})], [LabelAction(name), StageAction(name)]
        )

    def input(self, message: str = "Proceed?", *, answered_after_ms: int | None = None) -> FlowNode:
        """An ``input`` step. Unanswered (the default) it pauses: the branch halts, the run waits."""
        self._check_can_add()
        start = self.clock()
        end = 0 if answered_after_ms is None else start + answered_after_ms
        node = self._add(
            NodeKind.ATOM,
            "input",
            [ArgumentsAction({"message": message})],
            [LogStorageAction(), PauseAction("Input", start, end)],
            advance=answered_after_ms,
        )
        if answered_after_ms is None:
            self._pending_input = True
            self._halted = True
        return node

    def halt(self) -> None:
        """Stop the current branch here, still running: its blocks stay open and its tip is a head."""
        self._halted = True

    # -- blocks -------------------------------------------------------------------------

    def begin_block(
        self,
        function: str,
        *,
        body: bool = True,
        label: str | None = None,
        outer_actions: tuple[Action, ...] = (),
        body_actions: tuple[Action, ...] = (),
        kind: str = "block",
        arguments: Mapping[str, Any] | None = None,
    ) -> FlowNode:
        """Open a block step: its outer start, and (``body=True``) its body start. Returns the last."""
        self._check_can_add()
        frame = _Frame(kind=kind)
        before: list[Action] = [LogStorageAction()]
        if arguments:
            before.append(ArgumentsAction(arguments))
        outer = self._add(NodeKind.BLOCK_START, function, before, list(outer_actions))
        frame.start_ids.append(outer.id)
        self._frames.append(frame)
        if not body:
            return outer
        body_before: list[Action] = [BodyInvocationAction()]
        if label is not None:
            body_before.append(LabelAction(label))
        inner = self._add(NodeKind.BLOCK_START, function, body_before, list(body_actions))
        frame.start_ids.append(inner.id)
        return inner

    def begin_body(self, *, kind: str = "block", body_actions: tuple[Action, ...] = ()) -> FlowNode:
        """Open another body invocation inside the innermost block step (a retry attempt)."""
        self._check_can_add()
        outer = self._frames[-1] if self._frames else None
        if outer is None or not outer.start_ids:
            raise GraphBuildError("begin_body() needs an open block step (e.g. retry) around it")
        function = self.graph.node(outer.start_ids[0]).function_name
        frame = _Frame(kind=kind)
        inner = self._add(NodeKind.BLOCK_START, function, [BodyInvocationAction()], list(body_actions))
        frame.start_ids.append(inner.id)
        self._frames.append(frame)
        return inner

    def begin_stage(self, name: str, *, skipped: str | None = None) -> FlowNode:
        """Open a block-scoped ``stage``; ``skipped`` is a declarative STAGE_STATUS tag."""
        tags = (TagsAction({"STAGE_STATUS": skipped}),) if skipped is not None else ()
        return self.begin_block("stage", label=name, body_actions=tags, arguments={"name": name})

    def end_block(self) -> FlowNode | None:
        """Close the innermost open frame, as its step would on completion.

        Returns the last end node created (None for builder-only frames, or a halted branch).
        """
        if not self._frames:
            raise GraphBuildError("end_block() without an open block")
        frame = self._frames.pop()
        if frame.kind == "parallel":
            return self._end_parallel(frame)
        if frame.kind == "try":
            self._error = None
            return None
        if frame.kind == "not-executed":
            self._not_executed -= 1
            return None
        if frame.kind == "retry" and frame.last_attempt_error is not None and not self._halted:
            self._error = frame.last_attempt_error
        end: FlowNode | None = None
        if not self._halted:
            for start_id in reversed(frame.start_ids):
                end = self._close(start_id)
                if frame.kind == "catch" and self._error is not None and start_id == frame.start_ids[-1]:
                    self._caught(frame)
        if frame.kind == "attempt":
            parent = self._frames[-1] if self._frames else None
            if parent is not None and parent.kind == "retry":
                parent.last_attempt_error = self._error
            self._error = None
        return end

    def _close(self, start_id: str, parents: tuple[str, ...] | None = None) -> FlowNode:
        start = self.graph.node(start_id)
        before: list[Action] = [BodyInvocationAction()] if start.is_body else []
        after: list[Action] = [self._error] if self._error is not None else []
        return self._add(NodeKind.BLOCK_END, start.function_name, before, after, start_id=start_id, parents=parents)

    def _caught(self, frame: _Frame) -> None:
        """catchError caught the body's error: record its warning and results, stop propagation."""
        self._error = None
        outer = self.graph.node(frame.start_ids[0])
        if frame.stage_result is not None and frame.stage_result is not Result.SUCCESS:
            outer.add_action(WarningAction(frame.stage_result, "caught error"))
            self.graph.save_node(outer)
        if frame.build_result is not None:
            self._note_build_result(frame.build_result)

    def _note_build_result(self, result: Result) -> None:
        if self._warn_result is None or result.is_worse_than(self._warn_result):
            self._warn_result = result

    @contextmanager
    def block(self, function: str, *, body: bool = True, **arguments: Any) -> Iterator[FlowNode]:
        """Any block step (``timeout``, ``withEnv``, ``dir``…): outer block plus body block."""
        node = self.begin_block(function, body=body, arguments=arguments)
        yield node
        self.end_block()

    @contextmanager
    def stage(self, name: str, *, skipped: str | None = None) -> Iterator[FlowNode]:
        """A block-scoped ``stage``; yields its body start (the node with the LabelAction)."""
        node = self.begin_stage(name, skipped=skipped)
        yield node
        self.end_block()

    def begin_node(
        self,
        label: str | None = None,
        *,
        agent: str = "agent-1",
        workspace: str = "/home/jenkins/workspace/job",
        queued: bool = False,
        queue_id: int = 1,
    ) -> FlowNode:
        """Open a ``node(label)`` block; ``queued=True`` leaves it waiting for an executor (halted)."""
        arguments = {"label": label} if label is not None else {}
        if queued:
            node = self.begin_block(
                "node", body=False, outer_actions=(QueueItemAction(queue_id, QueueState.QUEUED),), arguments=arguments
            )
            self._halted = True
            return node
        labels = frozenset({label}) if label else frozenset()
        return self.begin_block(
            "node",
            outer_actions=(QueueItemAction(queue_id, QueueState.LAUNCHED), WorkspaceAction(agent, workspace, labels)),
            arguments=arguments,
        )

    @contextmanager
    def node(self, label: str | None = None, **options: Any) -> Iterator[FlowNode]:
        """A ``node(label) { … }`` block (executor allocation, outer block plus body block)."""
        node = self.begin_node(label, **options)
        yield node
        self.end_block()

    @contextmanager
    def retry(self, count: int) -> Iterator[RetryHandle]:
        """A ``retry(count)`` block; each ``with r.attempt():`` is one body invocation.

        A failed attempt's error is caught by the retry; if the last attempt failed, the
        error propagates out of the retry block.
        """
        self.begin_block("retry", body=False, kind="retry", arguments={"count": count})
        yield RetryHandle(self, self._frames[-1])
        self.end_block()

    @contextmanager
    def catch_error(
        self, *, build_result: Result = Result.FAILURE, stage_result: Result = Result.SUCCESS
    ) -> Iterator[FlowNode]:
        """``catchError``: a failure inside ends the body block but not the catchError block."""
        node = self.begin_block(
            "catchError", kind="catch", arguments={"buildResult": build_result.name, "stageResult": stage_result.name}
        )
        frame = self._frames[-1]
        frame.stage_result = stage_result
        frame.build_result = build_result
        yield node
        self.end_block()

    @contextmanager
    def try_catch(self) -> Iterator[None]:
        """A Groovy ``try { … } catch (e) {}``: no nodes; the error stops propagating here."""
        self._frames.append(_Frame(kind="try"))
        yield None
        self.end_block()

    @contextmanager
    def not_executed(self) -> Iterator[None]:
        """Nodes created inside are marked NotExecutedNodeAction (a restart from a checkpoint)."""
        self._frames.append(_Frame(kind="not-executed"))
        self._not_executed += 1
        yield None
        self.end_block()

    # -- parallel -----------------------------------------------------------------------

    def begin_parallel(self, *names: str) -> ParallelHandle:
        """Open a ``parallel`` with the named branches; all branch starts are created at once."""
        if not names or len(set(names)) != len(names):
            raise GraphBuildError(f"parallel needs distinct branch names, got {names!r}")
        self._check_can_add()
        frame = _Frame(kind="parallel")
        outer = self._add(NodeKind.BLOCK_START, "parallel", [LogStorageAction()], [])
        frame.start_ids.append(outer.id)
        self.skip_ids(1)
        for name in names:
            start = self._add(
                NodeKind.BLOCK_START,
                "parallel",
                [BodyInvocationAction(), ParallelLabelAction(name)],
                [],
                parents=(outer.id,),
            )
            frame.branches[name] = _Branch(name, start.id, start.id)
        frame.saved_tip = outer.id
        self._frames.append(frame)
        return ParallelHandle(self, frame)

    @contextmanager
    def parallel(self, *names: str) -> Iterator[ParallelHandle]:
        """A ``parallel`` step; enter each branch with ``handle.branch(name)``."""
        handle = self.begin_parallel(*names)
        yield handle
        self.end_block()

    def _innermost_parallel(self) -> _Frame:
        frame = self._frames[-1] if self._frames else None
        if frame is None or frame.kind != "parallel":
            raise GraphBuildError("branches are entered directly inside their parallel")
        return frame

    def enter_branch(self, name: str) -> FlowNode:
        frame = self._innermost_parallel()
        if frame.current_branch is not None:
            raise GraphBuildError(f"branch {frame.current_branch.name!r} is still entered")
        branch = frame.branches.get(name)
        if branch is None:
            raise GraphBuildError(f"parallel has no branch {name!r}; declared {list(frame.branches)}")
        if branch.closed or branch.halted:
            raise GraphBuildError(f"branch {name!r} is already finished or halted")
        frame.current_branch = branch
        self._tip = branch.tip
        self._halted = False
        self._error = None
        branch_frame = _Frame(kind="branch", start_ids=[branch.start_id])
        self._frames.append(branch_frame)
        return self.graph.node(branch.start_id)

    def leave_branch(self, *, close: bool = True) -> None:
        if not self._frames or self._frames[-1].kind != "branch":
            raise GraphBuildError("leave_branch() with blocks still open inside the branch")
        self._frames.pop()
        frame = self._innermost_parallel()
        branch = frame.current_branch
        assert branch is not None
        frame.current_branch = None
        if self._halted:
            branch.halted = True
            branch.tip = self._tip
        elif close:
            end = self._close(branch.start_id)
            branch.closed = True
            branch.tip = end.id
            if self._error is not None:
                frame.branch_errors.append(self._error)
        else:
            branch.tip = self._tip
        self._error = None
        self._halted = False
        self._tip = frame.saved_tip

    def _end_parallel(self, frame: _Frame) -> FlowNode | None:
        for branch in frame.branches.values():
            if not branch.closed and not branch.halted:
                # A branch never entered (or left open and never resumed) still runs to its end.
                self._frames.append(frame)
                self.enter_branch(branch.name)
                self.leave_branch()
                self._frames.pop()
        if any(b.halted for b in frame.branches.values()):
            self._halted = True
            self._tip = next(b.tip for b in frame.branches.values() if b.halted)
            return None
        self._error = frame.branch_errors[0] if frame.branch_errors else None
        ends = tuple(b.tip for b in frame.branches.values())
        return self._close(frame.start_ids[0], parents=ends)

    # -- finishing ----------------------------------------------------------------------

    @property
    def open_blocks(self) -> int:
        return len(self._frames)

    def build(self, result: Result | None = None, *, running: bool | None = None) -> Run:
        """Finish and return the run.

        With every block closed and nothing halted, the flow end node is added and the run is
        complete: its result is ``result`` when given, else FAILURE (or the interruption's
        result) for an uncaught error, else the worst ``unstable``/``catchError`` build result,
        else SUCCESS. Otherwise (a halted branch or open blocks) the run is still running.
        """
        if self._built:
            raise GraphBuildError("build() was already called")
        still_running = self._halted or bool(self._frames) if running is None else running
        if still_running:
            self._built = True
            return Run(
                self.graph,
                result=None,
                start_ms=self.start_ms,
                duration_ms=0,
                running=True,
                clock=self.clock,
                pending_input=self._pending_input,
            )
        if self._frames:
            raise GraphBuildError(f"{len(self._frames)} blocks are still open; close them or build a running run")
        if result is None:
            result = self._final_result()
        error = self._error
        end = FlowNode(
            self._next_id(),
            NodeKind.FLOW_END,
            (self._tip,),
            start_id=self.flow_start.id,
            actions=[TimingAction(self.clock())] + ([error] if error is not None else []),
            result=result,
        )
        self.graph.add_node(end)
        self.clock.advance(self.step_ms)
        self._built = True
        return Run(
            self.graph,
            result=result,
            start_ms=self.start_ms,
            duration_ms=self.clock() - self.start_ms,
            running=False,
            clock=self.clock,
        )

    def _final_result(self) -> Result:
        if self._error is not None:
            if self._error.is_interruption:
                return self._error.result or Result.ABORTED
            return Result.FAILURE
        return self._warn_result or Result.SUCCESS

    def describe(self) -> Mapping[str, Any]:
        """A small summary of the builder's state (for debugging test programs)."""
        return {"nodes": len(self.graph), "open": [f.kind for f in self._frames], "halted": self._halted}
