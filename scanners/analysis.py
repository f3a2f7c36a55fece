"""Status and timing of every node of a run, and its stage tree, in one linear pass.

Asking :func:`~scanners.chunk_status.chunk_status` about every stage separately costs a
warning search per stage, which is quadratic on nested stages. :func:`analyze` instead reads
every node once, in creation order, and keeps per-node facts in flat lists (enclosing block,
block end, following node, nearest stage); one backward sweep over the block starts then
aggregates, per block, the worst WarningAction, the total pause and the latest running head.
With those, every Jenkins rule is O(1) per chunk, so the whole analysis is O(n) and never
recurses, whatever the nesting depth.

What :meth:`RunAnalysis.status_of` / :meth:`RunAnalysis.timing_of` answer for each kind of node:

* a step (atom): its own status (pipeline-graph-view's per-step rule: its error, else its
  warning, else queued/cancelled, else running/paused while it is a head of a building run,
  else not executed or SUCCESS) and its own timing (it ends where the next node starts);
* a stage (its body start, or the stage step's outer start), a parallel branch start or a
  parallel start: the :class:`StageNode`'s status and timing;
* any other block start (``node``, ``timeout``, the stage step's outer start…): Jenkins' chunk
  status and timing of the block, from its start to its end (or, while open, its latest head);
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

from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal

from flowgraph.actions import (
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
from scanners.stage_tree import StageNode, StageType, StepInfo, walk_stages
from scanners.status import Status
from scanners.timing import NOT_RUN, TimingInfo
from scanners.timing import parallel_timing as _parallel_timing

if TYPE_CHECKING:
    import pandas

__all__ = ["RunAnalysis", "analyze"]

# Roles of block starts.
_STEPS, _STAGE, _BRANCH, _PARBLOCK = 0, 1, 2, 3
_TREE_TYPES = {_STAGE: StageType.STAGE, _BRANCH: StageType.PARALLEL_BRANCH, _PARBLOCK: StageType.PARALLEL_BLOCK}

# Action codes for the one loop over a node's actions.
_A_OTHER, _A_TIMING, _A_ERROR, _A_WARNING, _A_PAUSE, _A_NOTEXEC = range(6)
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
        "_building",
        "_cache_status",
        "_cache_timing",
        "_complete",
        "_encl",
        "_ends",
        "_errors",
        "_head_pos",
        "_heads",
        "_input_pause",
        "_kinds",
        "_latest_head",
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
        "_tree",
        "_tree_parent",
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
        self._build_tree()

    # -- pass 1: per-node facts, in creation order --------------------------------------

    def _scan(self, nodes: list[FlowNode]) -> None:
        n = len(nodes)
        self._nodes = nodes
        pos: dict[str, int] = {}
        kinds: list[NodeKind] = [_ATOM] * n
        start_ms: list[int | None] = [None] * n
        encl = [-1] * n
        tree = [-1] * n  # nearest enclosing stage/branch/parallel position
        after = [-1] * n  # first child position
        roles: dict[int, int] = {}
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
        codes = _ACTION_CODES
        now = self._now
        for i, node in enumerate(nodes):
            node_id = node.id
            if node_id in pos:
                raise CorruptGraphError(f"node {node_id} appears twice in the storage", node_id=node_id)
            pos[node_id] = i
            kind = node.kind
            kinds[i] = kind
            thread = body = False
            for action in node.actions:
                code = codes.get(type(action))
                if code is None:
                    code = _action_code(type(action))
                if code == _A_TIMING:
                    start_ms[i] = action.start_ms  # type: ignore[attr-defined]
                elif code == _A_OTHER:
                    continue
                elif code == _A_BODY:
                    body = True
                elif code == _A_THREAD:
                    thread = True
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
            for parent_id in parents:
                p = pos.get(parent_id)
                if p is None:
                    raise _Reorder
                if after[p] < 0:
                    after[p] = i
            if kind is _ATOM or kind is _BLOCK_START:
                if not parents:
                    raise CorruptGraphError(f"node {node_id} has no parents; only the flow start may", node_id=node_id)
                p = pos[parents[0]]
                pk = kinds[p]
                e = p if (pk is _BLOCK_START or pk is _FLOW_START) else encl[p]
                if kind is _BLOCK_START:
                    descriptor = node.descriptor_id
                    if thread:
                        role = _BRANCH
                    elif body and descriptor == STAGE_STEP:
                        role = _STAGE
                    elif not body and descriptor == PARALLEL_STEP:
                        role = _PARBLOCK
                    else:
                        role = _STEPS
                    roles[i] = role
            elif kind is _FLOW_START:
                e = -1
                roles[i] = _STEPS
            else:
                start_id = node.start_id
                s = pos.get(start_id) if start_id is not None else None
                if s is None:
                    raise _Reorder
                if kinds[s] is not _BLOCK_START and kinds[s] is not _FLOW_START:
                    raise CorruptGraphError(
                        f"block end {node_id} names start {start_id}, which is not a block start", node_id=node_id
                    )
                if s in ends:
                    raise CorruptGraphError(
                        f"block {start_id} is closed twice, by nodes {nodes[ends[s]].id} and {node_id}", node_id=node_id
                    )
                ends[s] = i
                starts[i] = s
                e = encl[s]
            encl[i] = e
            if e >= 0:
                tree[i] = e if roles[e] != _STEPS else tree[e]
        self._pos = pos
        self._kinds = kinds
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
        """Worst warning in (start, end], pause over [start, end] and latest head, per block."""
        roles, starts, encl = self._roles, self._starts, self._encl
        warnings, pause, head_pos = self._warnings, self._pause, self._head_pos
        warn_range: dict[int, int] = {}
        pause_range: dict[int, int] = {}
        latest_head: dict[int, int] = {}
        inner_w: dict[int, int] = {}
        inner_p: dict[int, int] = {}
        inner_h: dict[int, int] = {}
        for i in range(len(self._nodes) - 1, -1, -1):
            w = warnings.get(i, -1)
            pz = pause.get(i, 0)
            h = i if i in head_pos else -1
            if i in roles:
                iw = inner_w.pop(i, -1)
                if iw >= 0:
                    warn_range[i] = iw
                    if iw > w:
                        w = iw
                pz += inner_p.pop(i, 0)
                if pz:
                    pause_range[i] = pz
                ih = inner_h.pop(i, -1)
                if ih > h:
                    h = ih
                if h >= 0:
                    latest_head[i] = h
                target = encl[i]
            else:
                target = starts.get(i, -2)
                if target == -2:
                    target = encl[i]
            if target >= 0 and (w >= 0 or pz or h >= 0):
                if w > inner_w.get(target, -1):
                    inner_w[target] = w
                if pz:
                    inner_p[target] = inner_p.get(target, 0) + pz
                if h > inner_h.get(target, -1):
                    inner_h[target] = h
        self._warn_range = warn_range
        self._pause_range = pause_range
        self._latest_head = latest_head

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
        if len(self._heads) > 1 and self._kinds[last] is _BLOCK_END:
            start = self._starts[last]
            if self._roles[start] == _BRANCH:
                worst = self._warn_range.get(start, -1)
                status = Status.from_result(Result(worst)) if worst >= 0 else Status.SUCCESS
                return Status.FAILURE if last in self._errors else status
        return self._running_status(last)

    def _running_status(self, last: int) -> Status:
        if self._kinds[last] is _BLOCK_START:
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
        if self._kinds[last] is _BLOCK_END and self._roles[self._starts[last]] == _BRANCH:
            end = start_ms[last]
        run_start = self.run.start_ms
        start = run_start if self._kinds[first] is _FLOW_START and run_start is not None else start_ms[first]
        if after < 0 and self._complete:
            end = run_end_ms(self.run)
        total = end - start if end is not None and start is not None else None
        magnitude = abs(pause_ms)
        return TimingInfo(start, total, magnitude if total is None else min(magnitude, total))

    def _block_bounds(self, start: int) -> tuple[int, int]:
        """(last, after) of the block opened at ``start``: its end and next node, or its latest head."""
        end = self._ends.get(start)
        if end is None:
            return self._latest_head.get(start, start), -1
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

    def _own_stage(self, t: int, role: int) -> tuple[Status, TimingInfo, bool, bool]:
        """(own status, timing, not run, skipped) of a stage or branch, before its children count."""
        tag = self._tags.get(t)
        skipped = tag in SKIPPED_TAGS
        last, after = self._block_bounds(t)
        if role == _BRANCH:
            parallel_end = self._ends.get(self._encl[t], -1)
            status = self._chunk_status(t, last, parallel_end)
            timing = self._chunk_timing(t, last, parallel_end, self._pause_range.get(t, 0))
        else:
            timing = self._chunk_timing(t, last, after, self._pause_range.get(t, 0))
            if t in self._ends:
                status = self._chunk_status(t, last, after)
            else:
                heads = [h for h in self._heads if h == t or self._tree_parent[h] == t] or [t]
                status = Status.condense(self._chunk_status(t, h, -1) for h in heads) or Status.IN_PROGRESS
        warning = self._warnings.get(t)
        if warning is not None and t in self._ends:  # declarative records stage results on the start
            status = max(status, Status.from_result(Result(warning)))
        not_run = skipped or last in self._not_exec
        if not_run:
            status = Status.NOT_EXECUTED
        return status, timing, not_run, skipped

    def _build_tree(self) -> None:
        nodes, roles, tree_parent = self._nodes, self._roles, self._tree_parent
        positions = [i for i, role in roles.items() if role != _STEPS]  # creation order
        children: dict[int, list[int]] = {}
        for t in positions:
            parent = tree_parent[t]
            if parent >= 0:
                children.setdefault(parent, []).append(t)
        own: dict[int, Status] = {}
        not_run: dict[int, bool] = {}
        made: dict[int, StageNode] = self._tree
        remap: dict[int, int] = {}
        forced: dict[int, bool] = {}
        # Children before parents: reverse creation order.
        for t in reversed(positions):
            role = roles[t]
            node = nodes[t]
            kids = children.get(t, ())
            if role == _PARBLOCK:
                branch_timings = {str(k): _timing_of(made[k]) for k in kids if roles[k] == _BRANCH}
                end = self._ends.get(t)
                timing = _parallel_timing(self.run, branch_timings, node, nodes[end] if end is not None else None)
                status = Status.condense(made[k].status for k in kids)
                if status is None:
                    last, after = self._block_bounds(t)
                    status = self._chunk_status(t, last, after)
                stage = StageNode(node.id, "Parallel", StageType.PARALLEL_BLOCK, status, timing)
                not_run[t] = last_not_run = False
            else:
                status, timing, last_not_run, skipped = self._own_stage(t, role)
                handed = forced.get(t)
                if handed is not None:  # a merged-in only child that did not run (a skipped declarative branch)
                    status, last_not_run, skipped = Status.NOT_EXECUTED, True, skipped or handed
                if not last_not_run:
                    status = Status.condense([status, *(made[k].status for k in kids)]) or status
                name = node.thread_name if role == _BRANCH else (node.label or node.display_name)
                name = name or node.display_name
                stage = StageNode(node.id, name, _TREE_TYPES[role], status, timing, skipped=skipped)
                not_run[t] = last_not_run
            made[t] = stage
            own[t] = stage.status
            # pipeline-graph-view's simplifications, decided on the original tree.
            parent = tree_parent[t]
            if parent >= 0 and len(children[parent]) == 1:
                parent_role = roles[parent]
                if role == _PARBLOCK and parent_role == _STAGE:
                    remap[t] = parent
                elif role == _STAGE and parent_role == _BRANCH and nodes[parent].thread_name == stage.name:
                    remap[t] = parent
                    if last_not_run:
                        forced[parent] = stage.skipped
        final: dict[int, int] = {}
        dropped: set[int] = set()
        for t in positions:  # parents first
            merged_into = remap.get(t, -1)
            if merged_into >= 0:
                final[t] = final.get(merged_into, merged_into)
            parent = tree_parent[t]
            if parent >= 0:
                parent = final.get(parent, parent)
            if parent >= 0 and (parent in dropped or not_run[parent]):
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
                self.stages.append(stage)
        loose = self.loose_steps
        for i, kind in enumerate(self._kinds):
            if kind is not _ATOM:
                continue
            t = tree_parent[i]
            if t >= 0:
                t = final.get(t, t)
            pause_ms = self._pause.get(i, 0)
            timing = self._chunk_timing(i, i, self._after[i], pause_ms)
            status = self._step_status(i)
            self._cache_status[i] = status
            self._cache_timing[i] = timing
            step_owner = made[t] if t >= 0 else None
            step = StepInfo(
                nodes[i],
                status,
                timing.start_ms,
                timing.total_ms,
                timing.pause_ms,
                step_owner.id if step_owner is not None else None,
            )
            (step_owner.steps if step_owner is not None else loose).append(step)

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
        kind = self._kinds[i]
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
        kind = self._kinds[i]
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
        for i, kind in enumerate(self._kinds):
            if kind is _FLOW_START:
                return i
        return -1

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
    with no recursion, for any nesting depth.
    """
    return RunAnalysis(run)
