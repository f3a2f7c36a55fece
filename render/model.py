"""What the drawings say about each node: title, arguments, state, timing, error, log.

Every renderer shows the same facts, so they are gathered here once, lazily (a collapsed
drawing of a million-node run asks for a few hundred nodes only). Status and timing come from
:func:`scanners.analyze` (Jenkins' StatusAndTiming and pipeline-graph-view rules: a step by its
own error/warning/state, a stage or branch by its chunk, a block end like its block, the flow
start and end like the run). Declarative stages skipped by ``when`` are shown as ``skipped``,
as pipeline-graph-view does.

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
>>> model.info("4").title, model.info("4").state, model.info("4").duration_ms
('Build', 'failure', 3000)
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
    TagsAction,
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
            from scanners.run_checks import format_time_ms

            out["start"] = format_time_ms(self.start_ms)
        if self.agent:
            out["agent"] = self.agent
        if self.error:
            out["error"] = self.error
        if self.log:
            out["log"] = self.log
        return out


def _error_text(error: ErrorAction | None) -> str | None:
    """``Type: message``, or the type alone when the error had no message (never ``: None``)."""
    if error is None:
        return None
    return f"{error.error_type}: {error.message}" if error.message else error.error_type


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

    __slots__ = ("_analysis", "_cache", "graph", "run")

    def __init__(self, source: FlowGraph | Run, analysis: StatusSource | None = None) -> None:
        self.run = as_run(source)
        self.graph = self.run.graph
        self._analysis = analysis
        self._cache: dict[str, NodeInfo] = {}

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
            error=_error_text(error),
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
        if node.kind is NodeKind.BLOCK_START:
            tags = node.get_action(TagsAction)
            if tags is not None and tags.tags.get("STAGE_STATUS") in SKIP_TAGS:
                return "skipped"
        return state_name(self.analysis.status_of(node.id))

    def _timing(self, node: FlowNode) -> tuple[int | None, int | None, int | None]:
        timing = self.analysis.timing_of(node.id)
        if timing is None:
            return node.start_ms, None, None
        return timing.start_ms, timing.total_ms, timing.pause_ms


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
    if value is None:
        return "null"  # an argument recorded as <null/>: Groovy's null, as Jenkins shows it
    if isinstance(value, MaskedValue):
        return str(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    text = str(value)
    return text if len(text) <= 2000 else text[:2000] + "…"
