"""Walkers: run a pipeline definition as an explicit stack machine, creating Jenkins' node shapes.

One walker runs one thread of the pipeline (the main body, or one parallel branch). Its stack
holds the open blocks; nothing recurses over the definition except a ``Parallel``, which starts
one walker per branch. Shapes (as :class:`~flowgraph.GraphBuilder` makes them): a stage is an
outer block plus a labelled body block; a parallel is an outer block (then one skipped id) with
one body block per branch and an end whose parents are the branch ends; a retry is an outer
block with one body block per attempt; a failure puts an ErrorAction on the step and on every
block end it propagates through, until a retry attempt catches it.

Resuming adds two rules:

* **lazy blocks**: a block's start nodes are created only when the first node inside it is, so a
  block whose steps all completed before the crash creates nothing;
* **re-entry**: the blocks that were still open in the old run (per head, found from the graph)
  are re-entered when the new definition reaches a block with the same key at the same depth;
  old open blocks the new definition does not re-enter are closed before the next new node.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from flowgraph.actions import (
    Action,
    ArgumentsAction,
    BodyInvocationAction,
    ErrorAction,
    LabelAction,
    LogStorageAction,
    ParallelLabelAction,
)
from flowgraph.graph import FlowGraph
from flowgraph.node import NodeKind
from flowgraph.recorder.engine import Engine
from flowgraph.recorder.pipeline import Element, Parallel, Retry, Stage, Step, step_names
from flowgraph.stepdetail import BlockKeyAction

__all__ = ["OldBlock", "Walker", "old_blocks", "chain_of"]


@dataclass
class OldBlock:
    """An open block of the old run: its key (None when it cannot be matched) and start ids."""

    kind: str
    key: str | None
    start_ids: list[str]


@dataclass
class _Frame:
    kind: str  # root | branch | stage | retry | attempt
    key: str
    children: Iterator[Element] | None
    state: str  # pending | open | reused
    start_ids: list[str] = field(default_factory=list)
    element: Element | None = None
    attempts: int = 0
    succeeded: bool = False
    failed_here: bool = False


def chain_of(graph: FlowGraph, head_id: str) -> list[str]:
    """Ids of the open blocks around a head (the head itself when it is a block start), outermost first."""
    head = graph.node(head_id)
    chain = [n.id for n in graph.iterate_enclosing_blocks(head) if n.kind is not NodeKind.FLOW_START]
    chain.reverse()
    if head.kind is NodeKind.BLOCK_START:
        chain.append(head.id)
    return chain


def old_blocks(graph: FlowGraph, chain: list[str]) -> list[OldBlock]:
    """Group a chain into blocks as the recorder made them; stops after the first parallel."""
    blocks: list[OldBlock] = []
    i = 0
    while i < len(chain):
        node = graph.node(chain[i])
        marker = node.get_action(BlockKeyAction)
        fn = node.function_name
        if marker is None:
            blocks.append(OldBlock("foreign", None, [node.id]))
        elif "#" in marker.key:
            blocks.append(OldBlock("attempt", marker.key, [node.id]))
        elif fn == "stage":
            if i + 1 < len(chain) and graph.node(chain[i + 1]).is_body:
                blocks.append(OldBlock("stage", marker.key, [node.id, chain[i + 1]]))
                i += 1
            else:
                blocks.append(OldBlock("stage", None, [node.id]))
        elif fn == "parallel":
            blocks.append(OldBlock("parallel", marker.key, [node.id]))
            break
        else:
            blocks.append(OldBlock(fn or "block", marker.key, [node.id]))
        i += 1
    return blocks


class Walker:
    """Runs one thread of the pipeline; returns the error that escaped it (None on success)."""

    def __init__(
        self,
        engine: Engine,
        root: _Frame,
        tip: str,
        old: list[OldBlock],
        heads: list[str],
        *,
        in_process: bool = False,
    ) -> None:
        self.e = engine
        self.stack: list[_Frame] = [root]
        self.tip = tip
        self.old = old
        self.heads = heads
        self.matched = 0
        self.in_process = in_process
        self.error: ErrorAction | None = None
        self.stack_root_id = root.start_ids[0] if root.start_ids else ""

    @classmethod
    def root(cls, engine: Engine, body: Iterator[Element], tip: str, old: list[OldBlock], heads: list[str]) -> Walker:
        return cls(engine, _Frame("root", "", body, "reused"), tip, old, heads)

    # -- the loop -----------------------------------------------------------------------

    def run(self) -> ErrorAction | None:
        while self.stack:
            frame = self.stack[-1]
            if self.error is not None:
                self._unwind(frame)
                continue
            if frame.kind == "retry":
                retry = frame.element
                assert isinstance(retry, Retry)
                if frame.succeeded:
                    self._pop(frame, None)
                else:
                    self._open_attempt(frame, retry)
                continue
            assert frame.children is not None
            child = next(frame.children, None)
            if child is None:
                if frame.kind == "attempt":
                    self.stack[-2].succeeded = True
                self._pop(frame, None)
            elif isinstance(child, Step):
                self._step(child)
            elif isinstance(child, Parallel):
                self._parallel(child, frame)
            elif isinstance(child, Stage):
                self._enter(_Frame("stage", f"{frame.key}/stage:{child.name}", iter(child.body), "pending"), child)
            else:
                self._enter(_Frame("retry", f"{frame.key}/retry:{child.key_name}", None, "pending"), child)
        return self.error

    def _unwind(self, frame: _Frame) -> None:
        error = self.error
        self._pop(frame, error)
        if frame.kind == "attempt":
            retry = self.stack[-1]
            retry.failed_here = True
            retry_element = retry.element
            assert isinstance(retry_element, Retry)
            if retry.attempts < retry_element.count:
                self.error = None  # caught: the next loop opens another attempt

    # -- frames -------------------------------------------------------------------------

    def _enter(self, frame: _Frame, element: Element) -> None:
        frame.element = element
        depth = len(self.stack) - 1
        if self.matched == depth and len(self.old) > depth and self.old[depth].key == frame.key:
            frame.state = "reused"
            frame.start_ids = list(self.old[depth].start_ids)
            self.matched += 1
        self.stack.append(frame)

    def _open_attempt(self, retry: _Frame, element: Retry) -> None:
        depth = len(self.stack) - 1
        prefix = f"{retry.key}#"
        old = self.old[depth] if self.matched == depth and len(self.old) > depth else None
        if retry.state == "reused" and retry.attempts == 0 and old is not None and (old.key or "").startswith(prefix):
            retry.attempts = int(str(old.key)[len(prefix) :])
        else:
            retry.attempts += 1
            if retry.failed_here:  # a new attempt in this process re-runs the whole body
                for name in step_names(element):
                    self.e.skip.pop(name, None)
        frame = _Frame("attempt", f"{prefix}{retry.attempts}", iter(element.body), "pending")
        self._enter(frame, element)

    def _pop(self, frame: _Frame, error: ErrorAction | None) -> None:
        if frame.state != "pending" and frame.kind != "root":
            self._before_node()
            for start_id in reversed(frame.start_ids):
                self.tip = self.e.block_end(start_id, (self.tip,), error).id
        if frame.state == "reused" and frame.kind not in ("root", "branch"):
            self.old.pop()
            self.matched -= 1
        self.stack.pop()

    def _before_node(self) -> None:
        """Close old blocks the new definition left, then create the start nodes of lazy blocks."""
        while len(self.old) > self.matched:
            self._close_old(self.old.pop())
        for frame in self.stack:
            if frame.state == "pending":
                self._materialize(frame)

    def _materialize(self, frame: _Frame) -> None:
        e = self.e
        element = frame.element
        key = BlockKeyAction(frame.key)
        if frame.kind == "stage":
            assert isinstance(element, Stage)
            outer_actions: list[Action] = [LogStorageAction(), ArgumentsAction({"name": element.name}), e.timing(), key]
            outer = e.add(NodeKind.BLOCK_START, "stage", outer_actions, (self.tip,))
            body_actions: list[Action] = [BodyInvocationAction(), LabelAction(element.name), e.timing()]
            body = e.add(NodeKind.BLOCK_START, "stage", body_actions, (outer.id,))
            frame.start_ids = [outer.id, body.id]
        elif frame.kind == "retry":
            assert isinstance(element, Retry)
            actions: list[Action] = [LogStorageAction(), ArgumentsAction({"count": element.count}), e.timing(), key]
            frame.start_ids = [e.add(NodeKind.BLOCK_START, "retry", actions, (self.tip,)).id]
        else:  # attempt
            actions = [BodyInvocationAction(), e.timing(), key]
            frame.start_ids = [e.add(NodeKind.BLOCK_START, "retry", actions, (self.tip,)).id]
        frame.state = "open"
        self.tip = frame.start_ids[-1]

    def _close_old(self, block: OldBlock) -> None:
        if block.kind == "parallel":
            self.tip = close_old_parallel(self.e, block.start_ids[0], self.heads)
            return
        for start_id in reversed(block.start_ids):
            self.tip = self.e.block_end(start_id, (self.tip,), None).id

    # -- steps and parallels ------------------------------------------------------------

    def _attempt(self) -> int:
        """The attempt number of the innermost retry around the current position (1 outside)."""
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index].kind == "attempt":
                return max(1, self.stack[index - 1].attempts)
        return 1

    def _step(self, step: Step) -> None:
        e = self.e
        if step.name in e.skip:
            with e.lock:
                e.results[step.name] = e.skip.pop(step.name)
                e.restored.append(step.name)
            return
        self._before_node()
        node, error = e.run_step(step, self.tip, self._attempt(), self.in_process)
        self.tip = node.id
        self.error = error

    def _parallel(self, par: Parallel, frame: _Frame) -> None:
        e = self.e
        key = f"{frame.key}/parallel:{par.key_name}"
        depth = len(self.stack) - 1
        reused = self.matched == depth and len(self.old) > depth and self.old[depth].key == key
        names = [n for body in par.branches.values() for el in body for n in step_names(el)]
        if not reused and all(n in e.skip for n in names):
            for n in names:
                self._step(e.pipeline.step(n))
            return
        old_branches: dict[str, tuple[str, str | None]] = {}
        if reused:
            outer_id = self.old[depth].start_ids[0]
            self.matched += 1
            for start in e.graph.children(e.graph.node(outer_id)):
                label = start.get_action(ParallelLabelAction)
                if label is not None:
                    end = e.graph.end_of(start)
                    old_branches[label.branch_name] = (start.id, end.id if end is not None else None)
        else:
            self._before_node()
            outer_id = e.add(NodeKind.BLOCK_START, "parallel", [LogStorageAction(), e.timing(), BlockKeyAction(key)],
                             (self.tip,)).id  # fmt: skip
            e.skip_ids(1)
        walkers: list[Walker] = []
        ends: dict[str, str] = {}  # branch start id -> branch end id
        for name, body in par.branches.items():
            bkey = f"{key}/branch:{name}"
            old = old_branches.pop(name, None)
            branch_steps = [n for el in body for n in step_names(el)]
            in_process = self.in_process or par.processes
            if old is not None and old[1] is not None:
                ends[old[0]] = old[1]
                if all(n in e.skip for n in branch_steps):
                    for n in branch_steps:
                        self._step(e.pipeline.step(n))
                    continue
                old = None  # a finished branch got new steps: they run in a new branch block
            if old is not None:
                tip, inner = branch_state(e.graph, old[0], self.heads)
                root = _Frame("branch", bkey, iter(body), "reused", [old[0]])
                walkers.append(Walker(e, root, tip, inner, self.heads, in_process=in_process))
            else:
                actions: list[Action] = [BodyInvocationAction(), ParallelLabelAction(name), e.timing()]
                start = e.add(NodeKind.BLOCK_START, "parallel", actions, (outer_id,))
                root = _Frame("branch", bkey, iter(body), "open", [start.id])
                walkers.append(Walker(e, root, start.id, [], self.heads, in_process=in_process))
        for start_id, end_id in old_branches.values():  # branches the new definition dropped
            ends[start_id] = end_id if end_id is not None else close_old_branch(e, start_id, self.heads)
        errors = run_walkers(walkers)
        for walker in walkers:
            ends[walker.stack_root_id] = walker.tip
        parents = tuple(ends[s] for s in sorted(ends, key=lambda s: int(s) if s.isdigit() else 0))
        first_error = next((err for err in errors if err is not None), None)
        self.tip = e.block_end(outer_id, parents, first_error).id
        if reused:
            self.old.pop()
            self.matched -= 1
        self.error = first_error


def run_walkers(walkers: list[Walker]) -> list[ErrorAction | None]:
    """Run branch walkers concurrently; a storage error in any branch is re-raised here."""
    results: list[ErrorAction | None] = [None] * len(walkers)
    failures: list[BaseException] = []

    def target(index: int, walker: Walker) -> None:
        try:
            results[index] = walker.run()
        except BaseException as exc:  # re-raised in the caller's thread
            failures.append(exc)

    if len(walkers) == 1:
        target(0, walkers[0])
    else:
        threads = [threading.Thread(target=target, args=(i, w), daemon=True) for i, w in enumerate(walkers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    if failures:
        raise failures[0]
    return results


def branch_state(graph: FlowGraph, start_id: str, heads: list[str]) -> tuple[str, list[OldBlock]]:
    """The tip and the open blocks (below the branch start) of an open branch of the old run."""
    for head in heads:
        chain = chain_of(graph, head)
        if start_id in chain:
            inner = chain[chain.index(start_id) + 1 :]
            return head, old_blocks(graph, inner)
    return start_id, []


def close_old_branch(engine: Engine, start_id: str, heads: list[str]) -> str:
    """Close an old branch the new definition dropped (its open blocks first); returns its end id."""
    tip, inner = branch_state(engine.graph, start_id, heads)
    for block in reversed(inner):
        if block.kind == "parallel":
            tip = close_old_parallel(engine, block.start_ids[0], heads, tip)
            continue
        for sid in reversed(block.start_ids):
            tip = engine.block_end(sid, (tip,), None).id
    return engine.block_end(start_id, (tip,), None).id


def close_old_parallel(engine: Engine, outer_id: str, heads: list[str], tip: str | None = None) -> str:
    """Close an old parallel (every open branch, then the parallel); returns the end id."""
    graph = engine.graph
    ends: list[str] = []
    for start in graph.children(graph.node(outer_id)):
        if start.get_action(ParallelLabelAction) is None:
            continue
        end = graph.end_of(start)
        ends.append(end.id if end is not None else close_old_branch(engine, start.id, heads))
    return engine.block_end(outer_id, tuple(ends) or ((tip or outer_id),), None).id
