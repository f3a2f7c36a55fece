"""Per-node facts of a run, read in one pass, and per-block aggregates (private).

The first two passes of :func:`scanners.analysis.analyze`. The nodes are read once, in
creation order (a storage that iterates otherwise is sorted parents-first; a cycle is a
:class:`~flowgraph.GraphCycleError`), into flat lists indexed by position: enclosing block,
nearest stage or branch, following node, block end, role of each block start, and the rare
facts (errors, warnings, pauses, queue items, tags, not-executed marks) in sparse maps. One
backward sweep over the block starts then gives each block its worst warning in
``(start, end]`` and its pause over ``[start, end]``, and each open block its running tip.
"""

from __future__ import annotations

import importlib

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
from scanners._runstate import execution_complete, run_building
from scanners.chunk_status import STAGE_STATUS_TAG
from scanners.status import Status

__all__ = ["GraphFacts"]

# Roles of block starts.
_STEPS, _STAGE, _BRANCH, _PARBLOCK = 0, 1, 2, 3
_FROM_ORDINAL = {result.value: Status.from_result(result) for result in Result}

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


_BLOCK_START = NodeKind.BLOCK_START
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


class GraphFacts:
    """The facts of one run's nodes, by position (parents before children), and block aggregates."""

    __slots__ = (
        "_active_pause",
        "_after",
        "_atoms",
        "_block_starts",
        "_building",
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
        "_tree_parent",
        "_tree_positions",
        "_warn_range",
        "_warnings",
        "run",
    )

    def __init__(self, run: Run) -> None:
        self.run = run
        self._building = run_building(run)
        self._complete = execution_complete(run)
        self._now = run.now_ms()
        storage_order = list(run.graph.storage.iter_nodes())
        try:
            self._scan(storage_order)
        except _Reorder:
            self._scan(_topological(storage_order))
        self._aggregate()
        if importlib.import_module("scanners.chunk_status").DISABLE_WARNING_ACTION_LOOKUP:
            self._warn_range: dict[int, int] = {}  # Jenkins' switch: rule 4 (and 2a.1's warning) find nothing

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
