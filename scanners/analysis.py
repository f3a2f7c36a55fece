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
from bisect import bisect_left
from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal

from flowgraph.errors import NodeNotFoundError
from flowgraph.node import FlowNode, NodeKind
from flowgraph.result import Result
from flowgraph.run import Run
from flowgraph.steps import STAGE_STEP
from scanners._facts import _ATOM, _BRANCH, _FROM_ORDINAL, _PARBLOCK, _STAGE
from scanners._rules import ChunkRules
from scanners._runstate import run_end_ms
from scanners.chunk_status import SKIPPED_TAGS
from scanners.stage_tree import StageNode, StageType, StepInfo, _make_stage, walk_stages
from scanners.status import Status
from scanners.timing import TimingInfo

if TYPE_CHECKING:
    import pandas

    from scanners.failures import FailureSummary

__all__ = ["RunAnalysis", "analyze"]


class RunAnalysis(ChunkRules):
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

    __slots__ = ("_cache_status", "_cache_timing", "_tree", "loose_steps", "stages")

    def __init__(self, run: Run) -> None:
        super().__init__(run)
        self._cache_status: dict[int, Status] = {}
        self._cache_timing: dict[int, TimingInfo] = {}
        self._tree: dict[int, StageNode] = {}
        self.stages: list[StageNode] = []
        self.loose_steps: list[StepInfo] = []
        self._build_tree()

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
        markers = self._legacy_markers()
        owner_of = self._add_legacy_stages(markers, final) if markers else self._tree_parent
        self._attach_steps(final, owner_of)

    # -- legacy marker stages -------------------------------------------------------------

    def _legacy_markers(self) -> list[int]:
        """Positions of bodiless ``stage 'Name'`` atoms (pre-2016 scripted pipelines), in order."""
        nodes, roles = self._nodes, self._roles
        found = [
            i for i in self._names if roles[i] < 0 and nodes[i].kind is _ATOM and nodes[i].descriptor_id == STAGE_STEP
        ]
        found.sort()
        return found

    def _add_legacy_stages(self, markers: list[int], final: dict[int, int]) -> list[int]:
        """A :class:`StageNode` per legacy marker, owning what ran until the next marker.

        A marker stage runs from its marker to the next marker or the end of its enclosing
        block, whichever comes first (StageChunkFinder's marker-delimited chunk); its status
        and timing are Jenkins' chunk rules for that range. Steps and block-scoped stages of
        the same owner inside the range move under it. The ranges are disjoint and sorted, so
        warnings and pauses are summed per range by bisecting their sorted positions, and
        steps are handed out by one merge walk: O(n + m log n) in all.

        Returns each atom's owner in the tree (the marker's position for the steps it owns, -2
        for the markers themselves, which are stages and not steps).
        """
        nodes, encl, ends, pos = self._nodes, self._encl, self._ends, self._pos
        made, tree_parent = self._tree, self._tree_parent
        warned = sorted(self._warnings)
        paused_at = sorted(self._pause)
        ranges: list[tuple[int, int, int]] = []  # (marker, end of range, owner tree position or -1)
        count = len(markers)
        for index in range(count):
            m = markers[index]
            after = markers[index + 1] if index + 1 < count else -1
            e = encl[m]
            block_end = ends.get(e, -1) if e >= 0 else -1
            if block_end > m and (after < 0 or block_end < after):
                after = block_end
            if after >= 0:
                last = pos[nodes[after].parent_ids[0]]
                end = after
            else:
                last = max(self._tip.get(e, m), m) if e >= 0 else m
                end = len(nodes)
            worst = -1
            if warned:
                for k in range(bisect_left(warned, m), bisect_left(warned, last + 1)):
                    worst = max(worst, self._warnings[warned[k]])
            pause = 0
            if paused_at:
                pause = sum(
                    self._pause[paused_at[k]] for k in range(bisect_left(paused_at, m), bisect_left(paused_at, end))
                )
            status = self._chunk_status(m, last, after, worst)
            timing = self._chunk_timing(m, last, after, pause)
            stage = _make_stage(
                nodes[m].id,
                self._name(m),
                StageType.STAGE,
                Status.NOT_EXECUTED if last in self._not_exec else status,
                timing.start_ms,
                timing.total_ms,
                timing.pause_ms,
                False,
            )
            owner = tree_parent[m]
            owner = final.get(owner, owner) if owner >= 0 else -1
            if owner >= 0:
                stage.parent_id = made[owner].id
                stage.depth = made[owner].depth + 1
            made[m] = stage
            ranges.append((m, end, owner))
        marker_set = set(markers)
        owners = {r[2] for r in ranges}
        # Steps: a merge walk over the atoms (in creation order) hands each in-range one to its marker.
        owner_of = list(tree_parent)
        k, total = 0, len(ranges)
        for i in self._atoms:
            if i in marker_set:
                owner_of[i] = -2
                continue
            while k < total and ranges[k][1] <= i:
                k += 1
            if k < total and ranges[k][0] < i:
                t = tree_parent[i]
                if (final.get(t, t) if t >= 0 else -1) == ranges[k][2]:
                    owner_of[i] = ranges[k][0]
        # Stages, branches and parallels of the same owner inside a range become its children;
        # the markers' stages take their place among their owner's children, in creation order.
        for owner in owners:
            children = self.stages if owner < 0 else made[owner].children
            mine = [r for r in ranges if r[2] == owner]
            ordered = sorted([*((pos[c.id], c) for c in children), *((r[0], made[r[0]]) for r in mine)], key=_first)
            children.clear()
            k = 0
            for p, child in ordered:
                while k < len(mine) and mine[k][1] <= p:
                    k += 1
                if k < len(mine) and mine[k][0] < p:
                    target = made[mine[k][0]]
                    child.parent_id = target.id
                    target.children.append(child)
                    self._reparent_depths(child, target.depth + 1)
                else:
                    children.append(child)
        return owner_of

    @staticmethod
    def _reparent_depths(stage: StageNode, depth: int) -> None:
        """Fix the depth of a moved subtree (iteratively)."""
        shift = depth - stage.depth
        if shift:
            for node in walk_stages([stage]):
                node.depth += shift

    def _attach_steps(self, final: dict[int, int], tree_parent: list[int]) -> None:
        """A StepInfo per atom, under its (merged) stage; the common case is inlined for speed."""
        nodes, made = self._nodes, self._tree
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
            if i in not_exec:  # never ran (restart from a stage): no start, no duration
                start: int | None = None
                total: int | None = None
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
            elif t == -1:  # (-2: a legacy stage marker, which is a stage rather than a step)
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

    def failures(self, *, log_lines: int = 10) -> FailureSummary:
        """What failed, first: see :func:`scanners.failures.failure_summary`."""
        from scanners.failures import failure_summary

        return failure_summary(self, log_lines=log_lines)

    def log_of(self, what: StageNode | StepInfo | FlowNode | str, *, tail: int | None = None) -> str:
        """Console output of a step (or any node, by id), or of every step under a stage, in order.

        ``tail`` keeps only the last lines. Needs a run loaded from a Jenkins build directory
        (:func:`scanners.logs.has_logs`); raises :class:`~flowgraph.StorageError` otherwise.
        """
        from scanners.logs import iter_stage_log, iter_step_log, tail_lines

        if isinstance(what, StageNode):
            chunks: Iterator[str] = (
                chunk for _, step_chunks in iter_stage_log(self.run, what) for chunk in step_chunks
            )
        else:
            chunks = iter_step_log(self.run, what)
        if tail is None:
            return "".join(chunks)
        return tail_lines(chunks, tail).text

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


def _first(pair: tuple[int, StageNode]) -> int:
    return pair[0]


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
