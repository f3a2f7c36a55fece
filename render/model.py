"""What the drawings say about each node: title, arguments, state, timing, error, log.

Every renderer shows the same facts, so they are gathered here once, lazily (a collapsed
drawing of a million-node run asks for a few hundred nodes only). Status and timing come from
:mod:`scanners` (the Jenkins StatusAndTiming rules); a node the analysis does not rate itself
(the flow start/end, a block end) gets pipeline-graph-view's per-node rule: an error means
failure (or the interruption's result), a warning its result, a queued executor queued, an
unanswered input paused, a head of a running run running, otherwise success.

Examples
--------
>>> from flowgraph import GraphBuilder
>>> b = GraphBuilder(start_ms=0, step_ms=1000)
>>> with b.stage("Build"):
...     _ = b.step("sh", script="make", error="script returned exit code 2")
>>> model = RunModel(b.build())
>>> info = model.info("5")
>>> info.title, info.summary, info.state, info.duration_ms, info.error
('sh', 'make', 'failure', 1000, 'hudson.AbortException: script returned exit code 2')
>>> model.info("4").title, model.info("4").state
('Build', 'failure')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from flowgraph.actions import (
    ErrorAction,
    LogFileAction,
    LogStorageAction,
    MaskedValue,
    PauseAction,
    QueueItemAction,
    QueueState,
    TagsAction,
    WarningAction,
    WorkspaceAction,
)
from flowgraph.graph import FlowGraph
from flowgraph.node import FlowNode, NodeKind
from flowgraph.run import Run
from render.style import state_name

__all__ = ["NodeInfo", "RunModel", "StatusSource", "as_run", "SKIP_TAGS"]

SKIP_TAGS = frozenset({"SKIPPED_FOR_CONDITIONAL", "SKIPPED_FOR_FAILURE", "SKIPPED_FOR_UNSTABLE"})
"""Declarative ``STAGE_STATUS`` tags that make pipeline-graph-view show a stage as skipped."""


class StatusSource(Protocol):
    """What :mod:`scanners`' ``RunAnalysis`` offers the renderers."""

    def status_of(self, node_id: str) -> Any: ...

    def timing_of(self, node_id: str) -> Any: ...


@dataclass(slots=True)
class NodeInfo:
    """The facts shown for one node (labels, hover details, colours)."""

    id: str
    kind: NodeKind
    function: str | None
    title: str
    summary: str | None
    state: str
    start_ms: int | None = None
    duration_ms: int | None = None
    pause_ms: int | None = None
    error: str | None = None
    log: str | None = None
    agent: str | None = None
    arguments: dict[str, str] = field(default_factory=dict)

    def details(self) -> dict[str, str]:
        """Hover details as ordered name -> text pairs (empty facts left out)."""
        from render.style import humanize_ms

        out: dict[str, str] = {"node": self.id, "step": self.function or self.kind.value, "state": self.state}
        for name, value in self.arguments.items():
            out[f"arg {name}"] = value
        if self.duration_ms is not None:
            out["duration"] = humanize_ms(self.duration_ms)
        if self.pause_ms:
            out["paused"] = humanize_ms(self.pause_ms)
        if self.start_ms is not None:
            out["start"] = str(self.start_ms)
        if self.agent:
            out["agent"] = self.agent
        if self.error:
            out["error"] = self.error
        if self.log:
            out["log"] = self.log
        return out


def as_run(source: FlowGraph | Run) -> Run:
    """A :class:`~flowgraph.Run` for a bare graph: finished (with its flow end's result) or running."""
    if isinstance(source, Run):
        return source
    if not isinstance(source, FlowGraph):
        raise TypeError(f"expected a FlowGraph or a Run, got {type(source).__name__}")
    heads = source.heads
    end = heads[0] if len(heads) == 1 and heads[0].kind is NodeKind.FLOW_END else None
    start_ms = source.flow_start.start_ms if heads else None
    if end is None:
        return Run(source, start_ms=start_ms, running=True)
    end_ms = end.start_ms
    duration = end_ms - start_ms if end_ms is not None and start_ms is not None else None
    return Run(source, result=end.result, start_ms=start_ms, duration_ms=duration, running=False)


def _default_analysis(run: Run) -> StatusSource:
    from scanners import analyze

    analysis: StatusSource = analyze(run)
    return analysis


class RunModel:
    """Lazily computed :class:`NodeInfo` for the nodes of one run.

    Parameters
    ----------
    source
        The run (or bare graph) to describe.
    analysis
        Status and timing per node; ``scanners.analyze(run)`` by default.
    """

    __slots__ = ("_analysis", "_cache", "_next_start", "graph", "run")

    def __init__(self, source: FlowGraph | Run, analysis: StatusSource | None = None) -> None:
        self.run = as_run(source)
        self.graph = self.run.graph
        self._analysis = analysis
        self._cache: dict[str, NodeInfo] = {}
        self._next_start: dict[str, int] | None = None

    @property
    def analysis(self) -> StatusSource:
        if self._analysis is None:
            self._analysis = _default_analysis(self.run)
        return self._analysis

    def info(self, node_id: str) -> NodeInfo:
        """The :class:`NodeInfo` of one node (computed on first use)."""
        cached = self._cache.get(node_id)
        if cached is None:
            cached = self._cache[node_id] = self._describe(self.graph.node(node_id))
        return cached

    # -- building one NodeInfo ----------------------------------------------------------

    def _describe(self, node: FlowNode) -> NodeInfo:
        start_ms, duration_ms, pause_ms = self._timing(node)
        error = node.get_action(ErrorAction)
        workspace = node.get_action(WorkspaceAction)
        return NodeInfo(
            id=node.id,
            kind=node.kind,
            function=node.function_name,
            title=self._title(node),
            summary=node.argument_summary(),
            state=self._state(node),
            start_ms=start_ms,
            duration_ms=duration_ms,
            pause_ms=pause_ms,
            error=f"{error.error_type}: {error.message}" if error is not None else None,
            log=_log_reference(node),
            agent=workspace.node if workspace is not None else None,
            arguments=_argument_texts(node),
        )

    def _title(self, node: FlowNode) -> str:
        label = node.label
        if label is not None:
            return label
        kind = node.kind
        if kind is NodeKind.FLOW_START:
            return "Start"
        if kind is NodeKind.FLOW_END:
            return "End"
        name = node.function_name or "step"
        if kind is NodeKind.BLOCK_END:
            start = self.graph.get(node.start_id or "")
            return f"end {start.label if start is not None and start.label else name}"
        if node.is_body:
            return f"{name} body"
        return name

    def _state(self, node: FlowNode) -> str:
        kind = node.kind
        if kind is NodeKind.FLOW_START or kind is NodeKind.FLOW_END:
            run = self.run
            return "running" if run.running else state_name(run.result)
        if kind is NodeKind.BLOCK_START:
            tags = node.get_action(TagsAction)
            if tags is not None and tags.tags.get("STAGE_STATUS") in SKIP_TAGS:
                return "skipped"
            try:
                status = self.analysis.status_of(node.id)
            except LookupError:
                status = None
            if status is not None:
                return state_name(status)
        return self._own_state(node)

    def _own_state(self, node: FlowNode) -> str:
        """pipeline-graph-view's per-node rule (``NodeRunStatus``)."""
        error = node.get_action(ErrorAction)
        if error is not None:
            if error.is_interruption:
                return state_name(error.result) if error.result is not None else "aborted"
            return "failure"
        warning = node.get_action(WarningAction)
        if warning is not None:
            return state_name(warning.result)
        queue = node.get_action(QueueItemAction)
        if queue is not None and self.graph.is_active(node):
            if queue.state is QueueState.QUEUED:
                return "queued"
            if queue.state is QueueState.CANCELLED:
                return "aborted"
        if node.not_executed:
            return "not_built"
        if self.run.running and self.graph.is_active(node):
            pause = node.get_action(PauseAction)
            if pause is not None and pause.is_paused and self.run.pending_input:
                return "paused"
            return "running"
        return "success"

    def _timing(self, node: FlowNode) -> tuple[int | None, int | None, int | None]:
        if node.kind is NodeKind.BLOCK_START:
            try:
                timing = self.analysis.timing_of(node.id)
            except LookupError:
                timing = None
            if timing is not None:
                return timing.start_ms, timing.total_ms, timing.pause_ms
        start = node.start_ms
        if start is None:
            return None, None, None
        pause = node.get_action(PauseAction)
        pause_ms = pause.duration_ms(self.run.now_ms()) if pause is not None else None
        if node.kind is NodeKind.BLOCK_END or node.kind is NodeKind.FLOW_END:
            return start, None, None
        end = self._following_start(node)
        if end is None:
            end = self.run.end_ms if not self.run.running else self.run.now_ms()
        return start, (end - start if end is not None else None), pause_ms

    def _following_start(self, node: FlowNode) -> int | None:
        """When the next node began (Jenkins: a step lasts until its successor starts)."""
        if self._next_start is None:
            index: dict[str, int] = {}
            for child in self.graph:
                child_start = child.start_ms
                if child_start is None:
                    continue
                for parent_id in child.parent_ids:
                    known = index.get(parent_id)
                    if known is None or child_start < known:
                        index[parent_id] = child_start
            self._next_start = index
        return self._next_start.get(node.id)


def _log_reference(node: FlowNode) -> str | None:
    action = node.get_action(LogFileAction)
    if action is not None:
        return f"{node.id}.log"
    if node.get_action(LogStorageAction) is not None:
        return f"log (node {node.id} in log-index)"
    return None


def _argument_texts(node: FlowNode) -> dict[str, str]:
    arguments = node.arguments
    if arguments is None:
        return {}
    return {name: _text(value) for name, value in arguments.arguments.items()}


def _text(value: object) -> str:
    if isinstance(value, MaskedValue):
        return str(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    text = str(value)
    return text if len(text) <= 2000 else text[:2000] + "…"
