"""Status and timing of every node of a run, and its stage tree, in one linear pass.

Asking :func:`~scanners.chunk_status.chunk_status` about every stage separately costs a
warning search per stage, which is quadratic on nested stages. :func:`analyze` instead reads
every node once, in creation order, and keeps per-node facts in flat lists (enclosing block,
block end, following node, nearest stage); one backward sweep over the block starts then
aggregates, per block, the worst WarningAction, the total pause and the latest running tip.
With those, every Jenkins rule is O(1) per chunk, so the whole analysis is O(n) and never
recurses, whatever the nesting depth.

What :meth:`RunAnalysis.status_of` / :meth:`RunAnalysis.timing_of` answer for each kind of node:

* a step (atom): its own status (pipeline-graph-view's per-step rule: its error, else its
  warning, else queued/cancelled, else running/paused while it is a head of a building run,
  else not executed or SUCCESS) and its own timing (it ends where the next node starts);
* a stage (its body start, or the stage step's outer start), a parallel branch start or a
  parallel start: the :class:`StageNode`'s status and timing;
* any other block start (``node``, ``timeout``, the stage step's outer start…): Jenkins' chunk
  status and timing of the block, from its start to its end, or while it is open to its *running
  tip*: the newest head inside it that is not a finished parallel branch waiting for its
  siblings (the block's start itself when there is none). Jenkins leaves the tip of an open
  chunk to the caller; this is the "latest node" its branch rules describe;
* a block end: the answer for its block's start;
* the flow start and end: the whole run.

Examples
--------
>>> from flowgraph import GraphBuilder
>>> b = GraphBuilder(start_ms=0, step_ms=100)
>>> with b.stage("Build"):
...     _ = b.step("sh", script="make")
>>> result = analyze(b.build())
>>> result.stages[0].status, result.timing_of("5")
(<Status.SUCCESS: 1>, TimingInfo(start_ms=300, total_ms=100, pause_ms=0))
>>> result.status_of("8"), result.timing_of("2").total_ms
(<Status.SUCCESS: 1>, 700)
"""

from __future__ import annotations

import gc
import importlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal

from flowgraph.actions import (
    Action,
    BodyInvocationAction,
    ErrorAction,
    LabelAction,
    NotExecutedNodeAction,
    PauseAction,
    QueueItemAction,
    QueueState,
    TagsAction,
    ThreadNameAction,
    TimingAction,
    WarningAction,
)
from flowgraph.errors import CorruptGraphError, GraphCycleError, NodeNotFoundError
from flowgraph.node import FlowNode, NodeKind
from flowgraph.result import Result
from flowgraph.run import Run
from flowgraph.steps import PARALLEL_STEP, STAGE_STEP
from scanners._runstate import execution_complete, run_building, run_end_ms
from scanners.chunk_status import SKIPPED_FOR_CONDITIONAL, SKIPPED_TAGS, STAGE_STATUS_TAG, _error_status
from scanners.stage_tree import StageNode, StageType, StepInfo, _make_stage, walk_stages
from scanners.status import Status
from scanners.timing import NOT_RUN, TimingInfo

if TYPE_CHECKING:
    import pandas

__all__ = ["RunAnalysis", "analyze"]

# Roles of block starts.
_STEPS, _STAGE, _BRANCH, _PARBLOCK = 0, 1, 2, 3
_FROM_ORDINAL = {result.value: Status.from_result(result) for result in Result}
_TREE_TYPES = {_STAGE: StageType.STAGE, _BRANCH: StageType.PARALLEL_BRANCH, _PARBLOCK: StageType.PARALLEL_BLOCK}

# Action codes for the one loop over a node's actions.
_A_OTHER, _A_TIMING, _A_ERROR, _A_WARNING, _A_PAUSE, _A_NOTEXEC = range(6)  # _A_OTHER must be 0
_A_QUEUE, _A_TAGS, _A_THREAD, _A_BODY, _A_LABEL = range(6, 11)
_ACTION_CODES: dict[type, int] = {}
_CODE_ORDER = (
    (TimingAction, _A_TIMING),
    (ErrorAction, _A_ERROR),
    (WarningAction, _A_WARNING),
    (PauseAction, _A_PAUSE),
    (NotExecutedNodeAction, _A_NOTEXEC),
    (QueueItemAction, _A_QUEUE),
    (TagsAction, _A_TAGS),
    (ThreadNameAction, _A_THREAD),  # before LabelAction: ParallelLabelAction is both
    (BodyInvocationAction, _A_BODY),
    (LabelAction, _A_LABEL),
)


def _action_code(cls: type) -> int:
    code = _ACTION_CODES.get(cls)
    if code is None:
        code = next((c for base, c in _CODE_ORDER if issubclass(cls, base)), _A_OTHER)
        _ACTION_CODES[cls] = code
    return code


_START_KINDS = (NodeKind.BLOCK_START, NodeKind.FLOW_START)
_END_KINDS = (NodeKind.BLOCK_END, NodeKind.FLOW_END)
_BLOCK_START = NodeKind.BLOCK_START
_BLOCK_END = NodeKind.BLOCK_END
_ATOM = NodeKind.ATOM
_FLOW_START = NodeKind.FLOW_START


def _raise_duplicate(nodes: list[FlowNode]) -> None:
    seen: set[str] = set()
    for node in nodes:
        if node.id in seen:
            raise CorruptGraphError(f"node {node.id} appears twice in the storage", node_id=node.id)
        seen.add(node.id)


class _Reorder(Exception):
    """Storage order is not creation order (a parent came after its child)."""


def _topological(nodes: list[FlowNode]) -> list[FlowNode]:
    """Parents before children (Kahn's algorithm), for storages that do not iterate in creation order."""
    by_id = {node.id: node for node in nodes}
    waiting: dict[str, int] = {}
    children: dict[str, list[str]] = {}
    ready: list[str] = []
    for node in nodes:
        links = set(node.parent_ids)
        if node.start_id is not None:
            links.add(node.start_id)
        for link in links:
            if link not in by_id:
                raise NodeNotFoundError(link, referenced_by=node.id)
            children.setdefault(link, []).append(node.id)
        waiting[node.id] = len(links)
        if not links:
            ready.append(node.id)
    ready.sort(key=_id_key, reverse=True)
    order: list[FlowNode] = []
    while ready:
        node_id = ready.pop()
        order.append(by_id[node_id])
        released = []
        for child in children.get(node_id, ()):
            waiting[child] -= 1
            if waiting[child] == 0:
                released.append(child)
        released.sort(key=_id_key, reverse=True)
        ready.extend(released)
    if len(order) != len(nodes):
        stuck = sorted((i for i, count in waiting.items() if count > 0), key=_id_key)
        raise GraphCycleError(stuck[:20])
    return order


def _id_key(node_id: str) -> tuple[int, int, str]:
    return (0, int(node_id), "") if node_id.isdigit() else (1, 0, node_id)


class RunAnalysis:
    """Status and timing of every node of one run, and its stage tree (see :func:`analyze`).

    Attributes
    ----------
    run
        The analysed run.
    stages
        The top-level :class:`StageNode` s (the stage tree).
    loose_steps
        Steps outside every stage and branch, in creation order.
    """

    __slots__ = (
        "_active_pause",
        "_after",
        "_atoms",
        "_block_starts",
        "_building",
        "_cache_status",
        "_cache_timing",
        "_complete",
        "_encl",
        "_ends",
        "_errors",
        "_flow_start_pos",
        "_head_pos",
        "_heads",
        "_input_pause",
        "_names",
        "_nodes",
        "_not_exec",
        "_now",
        "_pause",
        "_pause_range",
        "_pos",
        "_queues",
        "_roles",
        "_start_ms",
        "_starts",
        "_tags",
        "_tip",
        "_tree",
        "_tree_parent",
        "_tree_positions",
        "_warn_range",
        "_warnings",
        "loose_steps",
        "run",
        "stages",
    )

    def __init__(self, run: Run) -> None:
        self.run = run
        self._building = run_building(run)
        self._complete = execution_complete(run)
        self._now = run.now_ms()
        self._cache_status: dict[int, Status] = {}
        self._cache_timing: dict[int, TimingInfo] = {}
        self._tree: dict[int, StageNode] = {}
        self.stages: list[StageNode] = []
        self.loose_steps: list[StepInfo] = []
        storage_order = list(run.graph.storage.iter_nodes())
        try:
            self._scan(storage_order)
        except _Reorder:
            self._scan(_topological(storage_order))
        self._aggregate()
        if importlib.import_module("scanners.chunk_status").DISABLE_WARNING_ACTION_LOOKUP:
            self._warn_range: dict[int, int] = {}  # Jenkins' switch: rule 4 (and 2a.1's warning) find nothing
        self._build_tree()

    # -- pass 1: per-node facts, in creation order --------------------------------------

    def _scan(self, nodes: list[FlowNode]) -> None:
        n = len(nodes)
        self._nodes = nodes
        flow_start = -1
        start_ms: list[int | None] = [None] * n
        encl = [-1] * n
        tree = [-1] * n  # nearest enclosing stage/branch/parallel position
        after = [-1] * n  # first child position
        roles = [-1] * n  # role of block starts, -1 for other nodes
        names: dict[int, Action] = {}  # the LabelAction / ThreadNameAction naming a block start
        tree_positions: list[int] = []
        block_starts: list[int] = []
        atoms: list[int] = []
        ends: dict[int, int] = {}
        starts: dict[int, int] = {}
        errors: dict[int, ErrorAction] = {}
        warnings: dict[int, int] = {}
        pause: dict[int, int] = {}
        active_pause: set[int] = set()
        input_pause: set[int] = set()
        not_exec: set[int] = set()
        queues: dict[int, QueueState] = {}
        tags: dict[int, str] = {}
        code_of = _ACTION_CODES.get
        timing_cls = TimingAction
        now = self._now
        pos: dict[str, int] = {}
        i = -1
        for node in nodes:
            i += 1
            pos[node.id] = i
            kind = node.kind
            thread = body = False
            for action in node._actions:  # the tuple itself: this loop runs for every action of every node
                cls = type(action)
                if cls is timing_cls:
                    start_ms[i] = action.start_ms  # type: ignore[attr-defined]
                    continue
                code = code_of(cls)
                if code is None:
                    code = _action_code(cls)
                if not code:
                    continue
                if code == _A_TIMING:
                    start_ms[i] = action.start_ms  # type: ignore[attr-defined]
                elif code == _A_BODY:
                    body = True
                elif code == _A_LABEL:
                    names.setdefault(i, action)
                elif code == _A_THREAD:
                    thread = True
                    names[i] = action
                elif code == _A_ERROR:
                    errors.setdefault(i, action)  # type: ignore[arg-type]
                elif code == _A_WARNING:
                    ordinal = action.result.value  # type: ignore[attr-defined]
                    if ordinal > warnings.get(i, -1):
                        warnings[i] = ordinal
                elif code == _A_PAUSE:
                    pause[i] = pause.get(i, 0) + action.duration_ms(now)  # type: ignore[attr-defined]
                    if action.is_paused:  # type: ignore[attr-defined]
                        active_pause.add(i)
                    if action.cause == "Input":  # type: ignore[attr-defined]
                        input_pause.add(i)
                elif code == _A_NOTEXEC:
                    not_exec.add(i)
                elif code == _A_QUEUE:
                    queues.setdefault(i, action.state)  # type: ignore[attr-defined]
                elif code == _A_TAGS:
                    tag = action.tags.get(STAGE_STATUS_TAG)  # type: ignore[attr-defined]
                    if tag is not None:
                        tags[i] = tag
            parents = node.parent_ids
            if parents:
                first = pos.get(parents[0], -1)
                if first < 0:
                    raise _Reorder  # a parent that comes later (or is missing): sort, or report it
                after[first] = i  # the node after an atom or a block end (they have one child)
                if len(parents) > 1:
                    for parent_id in parents[1:]:
                        p = pos.get(parent_id, -1)
                        if p < 0:
                            raise _Reorder
                        after[p] = i
            else:
                first = -1
            if kind is _ATOM or kind is _BLOCK_START:
                if kind is _ATOM:
                    atoms.append(i)
                if first < 0:
                    raise CorruptGraphError(f"node {node.id} has no parents; only the flow start may", node_id=node.id)
                e = first if roles[first] >= 0 else encl[first]  # the parent opens a block, or shares ours
                if kind is _BLOCK_START:
                    if thread:
                        role = _BRANCH
                    elif body:
                        role = _STAGE if node.descriptor_id == STAGE_STEP else _STEPS
                    else:
                        role = _PARBLOCK if node.descriptor_id == PARALLEL_STEP else _STEPS
                    roles[i] = role
                    block_starts.append(i)
                    if role:
                        tree_positions.append(i)
            elif kind is _FLOW_START:
                e = -1
                roles[i] = _STEPS
                flow_start = i
                block_starts.append(i)
            else:
                start_id = node.start_id
                s = pos.get(start_id, -1) if start_id is not None else -1
                if s < 0:
                    raise _Reorder
                if roles[s] < 0:
                    raise CorruptGraphError(
                        f"block end {node.id} names start {start_id}, which is not a block start", node_id=node.id
                    )
                if s in ends:
                    raise CorruptGraphError(
                        f"block {start_id} is closed twice, by nodes {nodes[ends[s]].id} and {node.id}", node_id=node.id
                    )
                ends[s] = i
                starts[i] = s
                e = encl[s]
            encl[i] = e
            if e >= 0:
                tree[i] = e if roles[e] else tree[e]
        if len(pos) != n:
            _raise_duplicate(nodes)
        self._names = names
        self._tree_positions = tree_positions
        self._block_starts = block_starts
        self._atoms = atoms
        self._flow_start_pos = flow_start
        self._pos = pos
        self._start_ms = start_ms
        self._encl = encl
        self._tree_parent = tree
        self._after = after
        self._roles = roles
        self._ends = ends
        self._starts = starts
        self._errors = errors
        self._warnings = warnings
        self._pause = pause
        self._active_pause = active_pause
        self._input_pause = input_pause
        self._not_exec = not_exec
        self._queues = queues
        self._tags = tags
        heads: list[int] = []
        for head_id in self.run.graph.head_ids:
            h = pos.get(head_id)
            if h is None:
                raise NodeNotFoundError(head_id, referenced_by="the graph's heads")
            heads.append(h)
        self._heads = heads
        self._head_pos = set(heads)

    # -- pass 2: per-block aggregates, one backward sweep -------------------------------

    def _aggregate(self) -> None:
        """Worst warning in (start, end], pause over [start, end] and running tip, per block.

        One backward sweep over the block starts (and the few nodes with a warning or a pause):
        every node inside a block comes after its start, so by the time the sweep reaches a start
        everything inside has been added to it, and its total goes on to its enclosing block.
        """
        roles, starts, encl = self._roles, self._starts, self._encl
        warnings, pause = self._warnings, self._pause
        warn_range: dict[int, int] = {}
        pause_range: dict[int, int] = {}
        inner_w: dict[int, int] = {}
        inner_p: dict[int, int] = {}
        extra = [i for i in warnings.keys() | pause.keys() if roles[i] < 0]
        order = sorted(self._block_starts + extra) if extra else self._block_starts
        for i in reversed(order):
            w = warnings.get(i, -1)
            pz = pause.get(i, 0)
            if roles[i] >= 0:
                iw = inner_w.pop(i, -1)
                if iw >= 0:
                    warn_range[i] = iw
                    if iw > w:
                        w = iw
                if inner_p:
                    pz += inner_p.pop(i, 0)
                if pz:
                    pause_range[i] = pz
                target = encl[i]
            else:
                target = starts.get(i, -2)
                if target == -2:
                    target = encl[i]
            if target >= 0:
                if w > inner_w.get(target, -1):
                    inner_w[target] = w
                if pz:
                    inner_p[target] = inner_p.get(target, 0) + pz
        # Running tips: the newest head inside each open block. Heads newest first; a walk up the
        # enclosing blocks stops at the first block that already has (a newer) tip, so each block
        # is visited once in all.
        tip: dict[int, int] = {}
        for h in sorted(self._heads, reverse=True):
            if h in starts and roles[starts[h]] == _BRANCH:
                continue  # a finished branch waiting for its siblings is not a running tip
            x = h if roles[h] >= 0 else encl[h]
            while x >= 0 and x not in tip:
                tip[x] = h
                x = encl[x]
        self._warn_range = warn_range
        self._pause_range = pause_range
        self._tip = tip

    # -- Jenkins' rules over the flat facts ---------------------------------------------

    def _chunk_status(self, first: int, last: int, after: int) -> Status:
        """``chunk_status`` with O(1) lookups; ``last`` is ``first``, its block's end, or a head."""
        if last in self._not_exec or self._tags.get(first) == SKIPPED_FOR_CONDITIONAL:
            return Status.NOT_EXECUTED
        if after < 0 or last in self._head_pos:
            return self._last_status(last)
        error = self._errors.get(last)
        if error is not None:
            return _error_status(error)
        if first != last:
            if self._ends.get(first) == last:
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
            return NOT_RUN
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

    # -- pass 3: the stage tree ---------------------------------------------------------

    def _own_stage(self, t: int, role: int) -> tuple[Status, TimingInfo, bool]:
        """(own status, timing, did not run) of a stage or branch, before its children count."""
        end = self._ends.get(t)
        if end is None:
            last, after = self._tip.get(t, t), -1
        else:
            last, after = end, self._after[end]
        pause = self._pause_range.get(t, 0)
        if role == _BRANCH:
            parallel_end = self._ends.get(self._encl[t], -1)
            status = self._chunk_status(t, last, parallel_end)
            timing = self._chunk_timing(t, last, parallel_end, pause)
        else:
            timing = self._chunk_timing(t, last, after, pause)
            status = self._chunk_status(t, last, after)
        if end is not None:
            warning = self._warnings.get(t)
            if warning is not None:  # declarative records a stage's result on its start node
                status = max(status, Status.from_result(Result(warning)))
        not_run = last in self._not_exec or self._tags.get(t) in SKIPPED_TAGS
        return (Status.NOT_EXECUTED if not_run else status), timing, not_run

    def _build_tree(self) -> None:
        nodes, roles, tree_parent, tags = self._nodes, self._roles, self._tree_parent, self._tags
        names_get = self._names.get
        encl = self._encl
        positions = self._tree_positions  # stages, branches, parallels: creation order
        counts: dict[int, int] = {}  # tree children per tree node (the view's merges need "only child")
        for t in positions:
            parent = tree_parent[t]
            if parent >= 0:
                counts[parent] = counts.get(parent, 0) + 1
        not_run: dict[int, bool] = {}
        made: dict[int, StageNode] = self._tree
        remap: dict[int, int] = {}
        forced: dict[int, bool] = {}
        worst: dict[int, Status] = {}  # worst status among each node's children, pushed up by them
        branch_pause: dict[int, int] = {}  # per parallel: longest branch pause
        branch_totals: dict[int, list[int | None]] = {}  # per parallel: its branches' totals
        ends, next_of, start_ms, warn_range, pause_range = (
            self._ends,
            self._after,
            self._start_ms,
            self._warn_range,
            self._pause_range,
        )
        # Blocks whose status or timing needs more than the common case (closed, clean, followed).
        unusual_ends = self._head_pos | self._not_exec | self._errors.keys()
        unusual_starts = self._tags.keys() | self._warnings.keys()
        from_ordinal = _FROM_ORDINAL
        success = Status.SUCCESS
        stage_type, branch_type = StageType.STAGE, StageType.PARALLEL_BRANCH
        # Children before parents: reverse creation order.
        for t in reversed(positions):
            role = roles[t]
            if role == _PARBLOCK:
                status_or_none = worst.get(t)
                if status_or_none is None:
                    last, after = self._block_bounds(t)
                    status_or_none = self._chunk_status(t, last, after)
                status = status_or_none
                start, total, paused = self._parallel_timing(t, branch_totals.get(t), branch_pause.get(t, 0))
                stage = _make_stage(
                    nodes[t].id, "Parallel", StageType.PARALLEL_BLOCK, status, start, total, paused, False
                )
                did_not_run = False
            else:
                end = ends.get(t, -1)
                after = (ends.get(encl[t], -1) if role == _BRANCH else next_of[end]) if end >= 0 else -1
                skipped = False
                if after >= 0 and end not in unusual_ends and t not in unusual_starts and t not in forced:
                    # Closed, clean and followed: rule 4 or 5, timed from its start to what follows
                    # (a branch to its own end node, rule 4 of the timing).
                    worst_warning = warn_range.get(t, -1)
                    status = from_ordinal[worst_warning] if worst_warning >= 0 else success
                    start = start_ms[t]
                    end_ms = start_ms[end] if role == _BRANCH else start_ms[after]
                    total = end_ms - start if end_ms is not None and start is not None else None
                    paused = pause_range.get(t, 0)
                    if paused and total is not None and paused > total:
                        paused = total
                    did_not_run = False
                else:
                    status, (start, total, paused), did_not_run = self._own_stage(t, role)
                    skipped = tags.get(t) in SKIPPED_TAGS
                    handed = forced.get(t)
                    if handed is not None:  # a merged-in only child that did not run (a skipped declarative branch)
                        status, did_not_run, skipped = Status.NOT_EXECUTED, True, skipped or handed
                if not did_not_run:
                    kid = worst.get(t)
                    if kid is not None and kid._value_ > status._value_:
                        status = kid
                # Inlined _name(): a branch start's naming action is its ThreadNameAction.
                named = names_get(t)
                name = None if named is None else (named.thread_name if role == _BRANCH else named.display_name)  # type: ignore[attr-defined]
                if name is None:
                    name = nodes[t].display_name
                stage = _make_stage(
                    nodes[t].id,
                    name,
                    branch_type if role == _BRANCH else stage_type,
                    status,
                    start,
                    total,
                    paused,
                    skipped,
                )
            not_run[t] = did_not_run
            made[t] = stage
            parent = tree_parent[t]
            if parent < 0:
                continue
            above = worst.get(parent)
            if above is None or status._value_ > above._value_:
                worst[parent] = status
            parent_role = roles[parent]
            if role == _BRANCH and parent_role == _PARBLOCK:
                if paused > branch_pause.get(parent, 0):
                    branch_pause[parent] = paused
                branch_totals.setdefault(parent, []).append(total)
            # pipeline-graph-view's simplifications, decided on the original tree.
            if counts[parent] == 1:
                if role == _PARBLOCK and parent_role == _STAGE:
                    remap[t] = parent
                elif role == _STAGE and parent_role == _BRANCH and self._name(parent) == stage.name:
                    remap[t] = parent
                    if did_not_run:
                        forced[parent] = stage.skipped
        final: dict[int, int] = {}
        dropped: set[int] = set()
        top = self.stages
        for t in positions:  # parents first
            merged_into = remap.get(t, -1)
            if merged_into >= 0:
                final[t] = final.get(merged_into, merged_into)
            parent = tree_parent[t]
            if parent >= 0:
                parent = final.get(parent, parent)
                if parent in dropped or not_run[parent]:
                    dropped.add(t)
                    continue
            if merged_into >= 0:
                continue
            stage = made[t]
            if parent >= 0:
                owner = made[parent]
                stage.parent_id = owner.id
                stage.depth = owner.depth + 1
                owner.children.append(stage)
            else:
                top.append(stage)
        self._attach_steps(final)

    def _attach_steps(self, final: dict[int, int]) -> None:
        """A StepInfo per atom, under its (merged) stage; the common case is inlined for speed."""
        nodes, tree_parent, made = self._nodes, self._tree_parent, self._tree
        loose = self.loose_steps
        next_of, start_ms, pause, step_status = self._after, self._start_ms, self._pause, self._step_status
        special = self._errors.keys() | self._warnings.keys() | self._queues.keys() | self._head_pos | self._not_exec
        success = Status.SUCCESS
        now = self._now
        run_end = run_end_ms(self.run) if self._complete else now
        not_exec = self._not_exec
        make = tuple.__new__  # StepInfo is a named tuple: build it without the Python-level __new__
        for i in self._atoms:
            # Jenkins' chunk timing of a one-node chunk: it ends where the next node starts.
            if i in not_exec:
                start: int | None = 0
                total: int | None = 0
                paused = 0
            else:
                start = start_ms[i]
                after = next_of[i]
                end = start_ms[after] if after >= 0 else run_end
                total = end - start if end is not None and start is not None else None
                paused = pause.get(i, 0)
                if paused and total is not None and paused > total:
                    paused = total
            status = step_status(i) if i in special else success
            t = tree_parent[i]
            if t >= 0:
                owner = made[final.get(t, t)]
                owner.steps.append(make(StepInfo, (nodes[i], status, start, total, paused, owner.id)))
            else:
                loose.append(make(StepInfo, (nodes[i], status, start, total, paused, None)))

    # -- public API -----------------------------------------------------------------------

    def _position(self, node_id: str) -> int:
        i = self._pos.get(node_id)
        if i is None:
            raise NodeNotFoundError(node_id, referenced_by="RunAnalysis")
        return i

    def status_of(self, node_id: str) -> Status | None:
        """The status of any node (see the module notes for what it means per kind of node).

        Raises :class:`~flowgraph.NodeNotFoundError` for an id that is not in the run.
        """
        i = self._position(node_id)
        cached = self._cache_status.get(i)
        if cached is not None:
            return cached
        kind = self._nodes[i].kind
        if kind is _ATOM:
            status = self._step_status(i)
        elif kind is NodeKind.FLOW_START or kind is NodeKind.FLOW_END:
            status = self.status
        else:
            stage = self._stage_of_block(i)
            if stage is not None:
                status = stage.status
            else:
                start = self._starts.get(i, i)
                last, after = self._block_bounds(start)
                status = self._chunk_status(start, last, after)
        self._cache_status[i] = status
        return status

    def timing_of(self, node_id: str) -> TimingInfo | None:
        """The timing of any node (see the module notes); fields are None where timing is unknown."""
        i = self._position(node_id)
        cached = self._cache_timing.get(i)
        if cached is not None:
            return cached
        kind = self._nodes[i].kind
        if kind is _ATOM:
            timing = self._chunk_timing(i, i, self._after[i], self._pause.get(i, 0))
        elif kind is NodeKind.FLOW_START or kind is NodeKind.FLOW_END:
            timing = self.timing
        else:
            stage = self._stage_of_block(i)
            if stage is not None:
                timing = _timing_of(stage)
            else:
                start = self._starts.get(i, i)
                last, after = self._block_bounds(start)
                timing = self._chunk_timing(start, last, after, self._pause_range.get(start, 0))
        self._cache_timing[i] = timing
        return timing

    def _stage_of_block(self, i: int) -> StageNode | None:
        """The stage node a block start or end stands for; a stage step's outer block counts as its stage."""
        start = self._starts.get(i, i)
        stage = self._tree.get(start)
        if stage is None and self._nodes[start].descriptor_id == STAGE_STEP:
            body = self._after[start]
            if body >= 0 and self._encl[body] == start:
                stage = self._tree.get(body)
        return stage

    @property
    def status(self) -> Status:
        """The whole run: its result once over; while building, the condensed status of its heads."""
        if not self._building:
            return Status.from_result(self.run.result)
        flow_start = self._flow_start()
        if flow_start < 0:
            return Status.IN_PROGRESS
        return Status.condense(self._chunk_status(flow_start, h, -1) for h in self._heads) or Status.IN_PROGRESS

    @property
    def timing(self) -> TimingInfo:
        """The whole run, from its start to its end (or to now while it runs)."""
        flow_start = self._flow_start()
        if flow_start < 0:
            return TimingInfo(self.run.start_ms, self.run.duration_ms, 0)
        last, _ = self._block_bounds(flow_start)
        return self._chunk_timing(flow_start, last, -1, self._pause_range.get(flow_start, 0))

    def _flow_start(self) -> int:
        return self._flow_start_pos

    def stage(self, node_id: str) -> StageNode:
        """The :class:`StageNode` with this id (merged-away nodes included)."""
        stage = self._tree.get(self._position(node_id))
        if stage is None:
            raise NodeNotFoundError(node_id, referenced_by="the stage tree (it is not a stage, branch or parallel)")
        return stage

    def iter_stages(self) -> Iterator[StageNode]:
        """Every visible node of the stage tree, depth-first pre-order."""
        return walk_stages(self.stages)

    def iter_steps(self) -> Iterator[StepInfo]:
        """Every step: those outside stages, then those of each visible stage in tree order."""
        yield from self.loose_steps
        for stage in walk_stages(self.stages):
            yield from stage.steps

    def iter_nodes(self) -> Iterator[FlowNode]:
        """Every node of the run, parents before children."""
        return iter(self._nodes)

    def to_dataframe(self, what: Literal["stages", "steps", "nodes"] = "stages") -> pandas.DataFrame:
        """A pandas DataFrame of the stages, the steps or every node (needs the ``pandas`` extra)."""
        from scanners.frames import nodes_frame, stages_frame, steps_frame

        if what == "stages":
            return stages_frame(self.stages)
        if what == "steps":
            return steps_frame(self.iter_steps())
        if what == "nodes":
            return nodes_frame(self)
        raise ValueError(f"to_dataframe() builds 'stages', 'steps' or 'nodes', not {what!r}")

    def __repr__(self) -> str:
        return f"RunAnalysis({self.run!r}, {len(self._nodes)} nodes, {len(self._tree)} stage nodes)"


def _timing_of(stage: StageNode) -> TimingInfo:
    return TimingInfo(stage.start_ms, stage.duration_ms, stage.pause_ms)


def analyze(run: Run) -> RunAnalysis:
    """Analyse a run in one linear pass: its stage tree and every node's status and timing.

    Each node is read once (from the storage's iteration); the cost is O(n) in time and memory,
    with no recursion, for any nesting depth. The analysis builds no reference cycles, so the
    cyclic garbage collector is paused while it runs (full collections over a large graph's
    objects would otherwise cost more than the analysis itself); its state is restored after.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return RunAnalysis(run)
    finally:
        if was_enabled:
            gc.enable()
