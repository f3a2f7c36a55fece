"""The recording engine: creates Jenkins-shaped nodes, runs steps, and commits per durability.

One :class:`Engine` records one run (or one resumption of it) into a
:class:`~flowgraph.storage.run_store.RunStore`. Walkers (:mod:`flowgraph.recorder.walker`) decide
*which* nodes to create; the engine creates them under one lock, runs step functions (in the
walker's thread, or in a worker process for ``Parallel(processes=True)``), and decides *when*
they become durable:

* ``MAX_SURVIVABILITY`` — nodes wait in the write cache and each step's completion commits them
  with the record (one transaction, one fsync on SQLite): a step whose success was committed is
  never run again; a step in flight at a crash runs again.
* ``SURVIVABLE_NONATOMIC`` — every node is written as it is created, without fsync.
* ``PERFORMANCE_OPTIMIZED`` — nodes are written once, at the end.

In both lower modes the record is saved with ``persisted_clean=False`` *before* any node is
written, and set clean only when the run ends: a crash leaves a record that
is refused on resume instead of a stale state that would be resumed wrongly.
"""

from __future__ import annotations

import json
import threading
import traceback
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

from flowgraph.actions import (
    Action,
    ArgumentsAction,
    ErrorAction,
    LogStorageAction,
    TimingAction,
)
from flowgraph.execution import FlowExecution
from flowgraph.graph import FlowGraph
from flowgraph.node import FlowNode, NodeKind
from flowgraph.recorder.logs import LogWriter, capture
from flowgraph.recorder.pipeline import Pipeline, Step
from flowgraph.result import Result
from flowgraph.run import Clock, system_clock
from flowgraph.stepdetail import StepRecordAction, StepState
from flowgraph.steps import descriptor_id
from flowgraph.storage.base import Durability
from flowgraph.storage.run_store import RunStore

__all__ = ["Engine", "error_action", "call_step"]

CommitHook = Callable[[list[str]], None]


def error_action(exc: BaseException) -> ErrorAction:
    """The ErrorAction recording a Python exception (type, message, stack as text)."""
    cls = type(exc)
    name = f"{cls.__module__}.{cls.__qualname__}"  # fully qualified, as Jenkins records Java class names
    stack = "".join(traceback.format_exception(exc)).rstrip("\n")
    return ErrorAction(name, str(exc), stack)


def call_step(fn: Callable[..., Any], kwargs: Mapping[str, Any]) -> tuple[bool, Any, str]:
    """Run a step function, capturing its log; returns (ok, JSON result or ErrorAction dict, log).

    Module-level so worker processes can run it. The result is normalised through JSON, so a
    live run and a resumed one see exactly the same values.
    """
    with capture() as out:
        try:
            value = fn(**kwargs)
            try:
                result = json.loads(json.dumps(value, allow_nan=False))
            except (TypeError, ValueError) as exc:
                raise TypeError(
                    f"the step's result is not JSON data ({exc}); return str, numbers, lists, dicts"
                ) from exc
            ok = True
        except Exception as exc:
            ok, result = False, error_action(exc).to_dict()
    return ok, result, out.text


class Engine:
    """Shared state of one recording: graph, ids, open blocks, results, durability protocol."""

    def __init__(
        self,
        pipeline: Pipeline,
        store: RunStore,
        execution: FlowExecution,
        graph: FlowGraph,
        *,
        durability: Durability,
        skip: Mapping[str, Any] | None = None,
        log_writer: LogWriter | None = None,
        on_commit: CommitHook | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self.pipeline = pipeline
        self.store = store
        self.execution = execution
        self.graph = graph
        self.durability = durability
        self.skip: dict[str, Any] = dict(skip or {})
        self.results: dict[str, Any] = {}
        self.executed: list[str] = []
        self.restored: list[str] = []
        self.log_writer = log_writer
        self.on_commit = on_commit
        self.clock = clock
        self.lock = threading.RLock()
        self.delay = durability is not Durability.SURVIVABLE_NONATOMIC
        self.iota = max([1, execution.iota, *(int(i) for i in graph.storage.node_ids() if i.isdigit())])
        self.open_starts: dict[str, None] = dict.fromkeys(execution.starts)
        self._since_commit: list[str] = []
        self._pool: Executor | None = None

    # -- nodes --------------------------------------------------------------------------

    def add(
        self,
        kind: NodeKind,
        function: str | None,
        actions: Iterable[Action],
        parents: tuple[str, ...],
        *,
        start_id: str | None = None,
    ) -> FlowNode:
        """Create and store the next node (ids are allocated under the lock, in creation order)."""
        with self.lock:
            self.iota += 1
            node = FlowNode(
                str(self.iota),
                kind,
                parents,
                start_id=start_id,
                descriptor_id=descriptor_id(function) if function is not None else None,
                actions=actions,
            )
            self.graph.add_node(node, delay=self.delay)
            self._since_commit.append(node.id)
            if kind is NodeKind.BLOCK_START:
                self.open_starts[node.id] = None
            elif start_id is not None:
                self.open_starts.pop(start_id, None)
            return node

    def resave(self, node: FlowNode) -> None:
        with self.lock:
            self.graph.save_node(node, delay=self.delay)
            self._since_commit.append(node.id)

    def skip_ids(self, count: int) -> None:
        with self.lock:
            self.iota += count

    def timing(self) -> TimingAction:
        return TimingAction(self.clock())

    def block_end(self, start_id: str, parents: tuple[str, ...], error: ErrorAction | None) -> FlowNode:
        """The end of a block, shaped as Jenkins writes it (body ends repeat the body marker)."""
        start = self.graph.node(start_id)
        actions: list[Action] = []
        if start.is_body:
            actions.extend(a for a in start.actions if type(a).__name__ == "BodyInvocationAction")
        actions.append(self.timing())
        if error is not None:
            actions.append(error)
        return self.add(NodeKind.BLOCK_END, start.function_name, actions, parents, start_id=start_id)

    # -- durability protocol ------------------------------------------------------------

    def _refresh_record(self) -> None:
        ex = self.execution
        ex.heads = {i + 1: head for i, head in enumerate(self.graph.head_ids)}
        ex.starts = sorted(self.open_starts, key=lambda s: int(s) if s.isdigit() else 0)
        ex.iota = self.iota
        ex.touch(self.clock())

    def commit(self) -> None:
        """A step completed: under MAX_SURVIVABILITY make it (and every node before it) durable."""
        if self.durability is not Durability.MAX_SURVIVABILITY:
            return
        with self.lock:
            self._refresh_record()
            if self.store.record_every_step:
                self.store.save_execution(self.execution)
            else:
                self.store.flush()
            flushed, self._since_commit = self._since_commit, []
            if self.on_commit is not None:
                self.on_commit(flushed)

    def begin(self, *, resumed: bool) -> None:
        """Save the record as the durability demands before the run (re)starts."""
        ex = self.execution
        with self.lock:
            self._refresh_record()
            if self.durability is Durability.MAX_SURVIVABILITY:
                ex.persisted_clean = True
                self.store.save_execution(ex)
            else:
                # Rule 3: the record says "not clean" before any node of this run is written.
                ex.persisted_clean = False
                self.store.save_execution(ex)
            flushed, self._since_commit = self._since_commit, []
            if self.on_commit is not None:
                self.on_commit(flushed)

    def finish(self, tip: str, flow_start_id: str, error: ErrorAction | None) -> Result:
        """Add the flow end, then flush every node and save the record clean and done."""
        result = Result.FAILURE if error is not None else Result.SUCCESS
        actions: list[Action] = [self.timing()]
        if error is not None:
            actions.append(error)
        with self.lock:
            self.iota += 1
            end = FlowNode(
                str(self.iota), NodeKind.FLOW_END, (tip,), start_id=flow_start_id, actions=actions, result=result
            )
            self.graph.add_node(end, delay=self.delay)
            self._since_commit.append(end.id)
            ex = self.execution
            ex.done = True
            ex.result = result
            ex.persisted_clean = True
            self._refresh_record()
            ex.starts = []
            self.store.save_execution(ex)
            flushed, self._since_commit = self._since_commit, []
            if self.on_commit is not None:
                self.on_commit(flushed)
        return result

    # -- steps --------------------------------------------------------------------------

    def run_step(self, step: Step, tip: str, attempt: int, in_process: bool) -> tuple[FlowNode, ErrorAction | None]:
        """Record and run one step after ``tip``; returns its node and its error (None on success)."""
        kwargs: dict[str, Any] = dict(step.args)
        for param, needed in step.inputs.items():
            kwargs[param] = self.results[needed]
        actions: list[Action] = []
        if step.args:
            actions.append(ArgumentsAction(step.args))
        actions.append(self.timing())
        if self.log_writer is not None:
            actions.append(LogStorageAction())
        actions.append(StepRecordAction(step.name, StepState.RUNNING, step.version, attempt=attempt))
        node = self.add(NodeKind.ATOM, step.function_name, actions, (tip,))
        if in_process:
            ok, value, text = self._process_pool().submit(call_step, step.fn, kwargs).result()
        else:
            ok, value, text = call_step(step.fn, kwargs)
        finished = self.clock()
        if self.log_writer is not None:
            self.log_writer.write(node.id, text)
        error: ErrorAction | None = None
        if ok:
            record = StepRecordAction(step.name, StepState.SUCCESS, step.version, value, attempt, finished)
        else:
            error = ErrorAction.from_dict(value)
            record = StepRecordAction(step.name, StepState.FAILURE, step.version, None, attempt, finished)
        with self.lock:
            node.replace_action(record)
            if error is not None:
                node.add_action(error)
            else:
                self.results[step.name] = value
            self.executed.append(step.name)
            self.resave(node)
            self.commit()
        return node, error

    def _process_pool(self) -> Executor:
        with self.lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(mp_context=get_context("spawn"))
            return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        if self.log_writer is not None:
            self.log_writer.close()
