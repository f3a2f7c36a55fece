"""One run as one trace: a span per run, stage, parallel branch and step, with CI/CD attributes.

:func:`run_spans` turns a finished run into plain :class:`SpanRecord` s (no OpenTelemetry
import needed), which :mod:`render.otel.sdk` hands to the SDK's exporters and
:mod:`render.otel.files` writes as OTLP JSON or a Perfetto timeline. The layout:

* the **root** span (kind SERVER) is the run: named ``BUILD <job>`` (``{action} {pipeline}`` of
  the OpenTelemetry CI/CD span conventions, which is also the Jenkins OpenTelemetry plugin's
  ``BUILD `` prefix), timed by the run's own start and duration;
* under it, one span per node of the stage tree (:func:`scanners.analyze`): ``Stage: <name>``,
  ``Parallel branch: <name>`` (the plugin's names) and ``Parallel`` blocks, nested as the tree
  nests, so parallel branches are siblings;
* one span per step, under its stage or branch (steps outside every stage under the root),
  named by the step's function (``sh``) as the plugin does.

Attributes carry each fact twice where the Jenkins plugin has its own name for it, so existing
dashboards keep working: ``cicd.pipeline.result`` and ``ci.pipeline.run.result``,
``cicd.pipeline.task.run.id`` and ``jenkins.pipeline.step.id``, and so on. Times are the run's
own (epoch ms times 1,000,000), never the export time. A skipped or not-executed stage or step
is a zero-length span with result ``skip``. A step that raised an error has status ERROR and an
``exception`` event (type, message, stack text). Ids come from :mod:`render.otel.ids`.

=====================  ==========================================  ==========================================
span                   CI/CD semantic conventions                  Jenkins OpenTelemetry plugin (same fact)
=====================  ==========================================  ==========================================
run (root)             ``cicd.pipeline.name``                      ``ci.pipeline.id``, ``ci.pipeline.name``
                       ``cicd.pipeline.run.id`` (build number)     ``ci.pipeline.run.number``
                       ``cicd.pipeline.result``, ``error.type``    ``ci.pipeline.run.result`` (Jenkins result)
                       ``cicd.pipeline.action.name`` = BUILD       ``ci.pipeline.run.durationMillis``
stage, branch, step    ``cicd.pipeline.task.name``                 ``jenkins.pipeline.step.name``
                       ``cicd.pipeline.task.run.id`` (node id)     ``jenkins.pipeline.step.id``
                       ``cicd.pipeline.task.run.result``           ``jenkins.pipeline.step.result`` (status)
                       (step function)                             ``jenkins.pipeline.step.type`` (``sh``)
=====================  ==========================================  ==========================================

flowgraph adds ``flowgraph.step.arguments`` (the argument summary; masked values stay
``****``), ``flowgraph.stage.type``, ``flowgraph.stage.skipped`` and ``flowgraph.pause_ms``.
Results map as: SUCCESS → success, UNSTABLE and FAILURE → failure, ABORTED → cancellation
(timeout when a ``timeout`` step interrupted it), NOT_EXECUTED / NOT_BUILT → skip.

Examples
--------
>>> from flowgraph import GraphBuilder
>>> b = GraphBuilder(start_ms=1_000, step_ms=10)
>>> with b.stage("Build"):
...     _ = b.step("sh", script="make", error="exit 2")
>>> run = b.build()
>>> run.name, run.number = "app", 3
>>> spans = run_spans(run)
>>> [(s.name, s.attributes["cicd.pipeline.task.run.result" if s.parent_span_id else "cicd.pipeline.result"])
...  for s in spans]
[('BUILD app', 'failure'), ('Stage: Build', 'failure'), ('sh', 'failure')]
>>> spans[2].status, spans[2].events[0].attributes["exception.message"]
('ERROR', 'exit 2')
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from flowgraph.actions import ErrorAction
from flowgraph.errors import RenderError
from flowgraph.node import NodeKind
from flowgraph.result import Result
from flowgraph.run import Run
from render.otel.ids import ROOT_KEY, run_key, span_id_of, trace_id_of
from scanners import Status, analyze
from scanners.stage_tree import StageNode, StageType, StepInfo, walk_stages

__all__ = [
    "SpanRecord",
    "SpanEvent",
    "run_spans",
    "run_identity",
    "run_url",
    "task_result",
    "pipeline_result",
    "Attributes",
]

Attributes = dict[str, str | int | bool]
"""Span attributes: OpenTelemetry attribute values of the kinds flowgraph writes."""

_MS = 1_000_000  # nanoseconds per millisecond

# The action of a run, in the CI/CD conventions' ``cicd.pipeline.action.name`` (and the plugin's root prefix).
ACTION = "BUILD"

_TYPE_NAMES = {
    StageType.STAGE: ("Stage: ", "stage"),
    StageType.PARALLEL_BRANCH: ("Parallel branch: ", "parallel"),
    StageType.PARALLEL_BLOCK: ("", "parallel"),
}


@dataclass(slots=True)
class SpanEvent:
    """A point in time inside a span (for flowgraph: a step's ``exception``)."""

    name: str
    time_ns: int
    attributes: Attributes = field(default_factory=dict)


@dataclass(slots=True)
class SpanRecord:
    """One span, before it is handed to an exporter.

    Ids are integers (128-bit trace, 64-bit span); ``parent_span_id`` is None for the root.
    ``kind`` is ``"SERVER"`` (the run) or ``"INTERNAL"``; ``status`` is ``"UNSET"`` or
    ``"ERROR"`` (instrumentation leaves OK to the user, per the OpenTelemetry spec).
    ``node_id`` is the flow node the span stands for (None for the run).
    """

    trace_id: int
    span_id: int
    parent_span_id: int | None
    name: str
    kind: str
    start_ns: int
    end_ns: int
    attributes: Attributes
    status: str = "UNSET"
    status_message: str | None = None
    events: list[SpanEvent] = field(default_factory=list)
    node_id: str | None = None


def _is_timeout(error: ErrorAction | None) -> bool:
    """A ``timeout`` step's interruption (Jenkins keeps the cause class only in the stack and causes)."""
    return error is not None and error.is_interruption and "TimeoutStepExecution" in error.stack


def task_result(status: Status, error: ErrorAction | None = None) -> str:
    """``cicd.pipeline.task.run.result`` for a flowgraph status.

    >>> task_result(Status.SUCCESS), task_result(Status.UNSTABLE), task_result(Status.NOT_EXECUTED)
    ('success', 'failure', 'skip')
    """
    if status is Status.SUCCESS:
        return "success"
    if status is Status.NOT_EXECUTED:
        return "skip"
    if status is Status.ABORTED:
        return "timeout" if _is_timeout(error) else "cancellation"
    if status in (Status.FAILURE, Status.UNSTABLE):
        return "failure"
    return "error"  # queued/running/paused inside a finished run: the CI system lost track of it


def pipeline_result(result: Result | None, error: ErrorAction | None = None) -> str:
    """``cicd.pipeline.result`` for a run's Jenkins result.

    >>> pipeline_result(Result.SUCCESS), pipeline_result(Result.NOT_BUILT), pipeline_result(Result.ABORTED)
    ('success', 'skip', 'cancellation')
    """
    if result is Result.NOT_BUILT:
        return "skip"
    return task_result(Status.from_result(result), error)


def run_identity(run: Run) -> tuple[str, str]:
    """The (pipeline name, run id) a run is exported under: its job and build number.

    A run without a job name (a builder or recorded run) is named ``pipeline``; without a
    number, its start time stands in for it, so distinct runs still get distinct trace ids.
    """
    job = run.name or "pipeline"
    if run.number is not None:
        return job, str(run.number)
    return job, f"t{run.start_ms}" if run.start_ms is not None else "0"


def _error_type(result: str, error: ErrorAction | None) -> str:
    if error is not None:
        return error.error_type
    return {"timeout": "timeout", "cancellation": "cancellation"}.get(result, "_OTHER")


def _finish(record: SpanRecord, result: str, error: ErrorAction | None, *, event: bool) -> None:
    """Status and error attributes of a span whose result is ``result``."""
    if result in ("success", "skip"):
        return
    record.status = "ERROR"
    record.attributes["error.type"] = _error_type(result, error)
    if error is None:
        record.status_message = result
        return
    message = error.message if error.message is not None else error.error_type
    record.status_message = message
    if event:
        attributes: Attributes = {"exception.type": error.error_type, "exception.stacktrace": error.stack}
        if error.message is not None:
            attributes["exception.message"] = error.message
        record.events.append(SpanEvent("exception", record.end_ns, attributes))


def _times(start_ms: int | None, duration_ms: int | None, fallback_ns: int, *, ran: bool) -> tuple[int, int]:
    if start_ms is None:
        return fallback_ns, fallback_ns
    start = start_ms * _MS
    if not ran or duration_ms is None or duration_ms < 0:
        return start, start
    return start, start + duration_ms * _MS


def run_url(jenkins_url: str, job: str, number: str) -> str:
    """The run's page on the controller: ``<jenkins>/job/<a>/job/<b>/<number>/`` (each name URL-quoted).

    >>> run_url("https://ci.example.com/", "team/app one", "7")
    'https://ci.example.com/job/team/job/app%20one/7/'
    """
    from urllib.parse import quote

    path = "".join(f"job/{quote(part, safe='')}/" for part in job.split("/"))
    return f"{jenkins_url.rstrip('/')}/{path}{quote(number, safe='')}/"


def run_spans(run: Run, *, jenkins_url: str | None = None) -> list[SpanRecord]:
    """Every span of one finished run: the root first, then stages and steps, parents before children.

    With ``jenkins_url`` (the controller's root URL), the root span links back to the run's
    page (``cicd.pipeline.run.url.full``, and the plugin's ``ci.pipeline.run.url``).

    Raises
    ------
    RenderError
        The run is still running (its spans have no end yet: export it once it has finished;
        the ids will be the same) or has no start time at all.
    """
    if run.running:
        raise RenderError(f"run {_label(run)} is still running: its spans have no end yet; export it once finished")
    analysis = analyze(run)
    job, run_id = run_identity(run)
    key = run_key(job, run_id)
    trace_id = trace_id_of(key)
    start_ms = run.start_ms if run.start_ms is not None else analysis.timing.start_ms
    if start_ms is None:
        raise RenderError(f"run {_label(run)} has no start time (no build.xml startTime and no timed nodes)")
    duration_ms = run.duration_ms if run.duration_ms else analysis.timing.total_ms
    root_start, root_end = _times(start_ms, duration_ms, 0, ran=True)
    end_error = _flow_end_error(run)
    result = pipeline_result(run.result, end_error)
    root_id = span_id_of(key, ROOT_KEY)
    attributes: Attributes = {
        "cicd.pipeline.name": job,
        "cicd.pipeline.run.id": run_id,
        "cicd.pipeline.action.name": ACTION,
        "cicd.pipeline.result": result,
        "ci.pipeline.id": job,
        "ci.pipeline.name": job,
        "ci.pipeline.type": "workflow",
        # The plugin's flag is Jenkins' Result.completeBuild (false for ABORTED and NOT_BUILT).
        "ci.pipeline.run.completed": run.result is not None and run.result.complete_build,
        "ci.pipeline.run.durationMillis": (root_end - root_start) // _MS,
    }
    if run.number is not None:
        attributes["ci.pipeline.run.number"] = run.number
    if run.result is not None:
        attributes["ci.pipeline.run.result"] = run.result.name
    if jenkins_url:
        url = run_url(jenkins_url, job, run_id)
        attributes["cicd.pipeline.run.url.full"] = url
        attributes["ci.pipeline.run.url"] = url
    root = SpanRecord(trace_id, root_id, None, f"{ACTION} {job}", "SERVER", root_start, root_end, attributes)
    if end_error is None and result not in ("success", "skip"):
        end_error = _first_error(analysis.iter_steps())
    _finish(root, result, end_error, event=False)
    spans = [root]
    errors = _subtree_errors(analysis.stages)
    _add_steps(spans, analysis.loose_steps, key, trace_id, root_id, root_start)
    stack: list[tuple[StageNode, int, int]] = [(stage, root_id, root_start) for stage in reversed(analysis.stages)]
    while stack:
        stage, parent_id, parent_start = stack.pop()
        prefix, step_type = _TYPE_NAMES[stage.type]
        ran = stage.status is not Status.NOT_EXECUTED
        start, end = _times(stage.start_ms, stage.duration_ms, parent_start, ran=ran)
        stage_error = errors.get(stage.id)
        stage_result = task_result(stage.status, stage_error)
        span_id = span_id_of(key, stage.id)
        record = SpanRecord(
            trace_id,
            span_id,
            parent_id,
            prefix + stage.name if prefix else stage.name,
            "INTERNAL",
            start,
            end,
            {
                "cicd.pipeline.task.name": stage.name,
                "cicd.pipeline.task.run.id": stage.id,
                "cicd.pipeline.task.run.result": stage_result,
                "jenkins.pipeline.step.type": step_type,
                "jenkins.pipeline.step.id": stage.id,
                "jenkins.pipeline.step.name": stage.name,
                "jenkins.pipeline.step.result": stage.status.name,
                "flowgraph.stage.type": stage.type.name,
            },
            node_id=stage.id,
        )
        if stage.skipped:
            record.attributes["flowgraph.stage.skipped"] = True
        if stage.pause_ms:
            record.attributes["flowgraph.pause_ms"] = stage.pause_ms
        _finish(record, stage_result, stage_error, event=False)
        spans.append(record)
        _add_steps(spans, stage.steps, key, trace_id, span_id, start)
        stack.extend((child, span_id, start) for child in reversed(stage.children))
    return spans


def _add_steps(
    spans: list[SpanRecord], steps: Iterable[StepInfo], key: bytes, trace_id: int, parent_id: int, parent_start: int
) -> None:
    for step in steps:
        node = step.node
        status = step.status
        ran = status is not Status.NOT_EXECUTED
        start_ms = step.start_ms if ran else node.start_ms
        start, end = _times(start_ms, step.duration_ms, parent_start, ran=ran)
        error = node.error
        result = task_result(status, error)
        function = node.function_name
        display = node.display_name
        attributes: Attributes = {
            "cicd.pipeline.task.name": display,
            "cicd.pipeline.task.run.id": node.id,
            "cicd.pipeline.task.run.result": result,
            "jenkins.pipeline.step.type": function or display,
            "jenkins.pipeline.step.id": node.id,
            "jenkins.pipeline.step.name": display,
            "jenkins.pipeline.step.result": status.name,
        }
        arguments = node.argument_summary()
        if arguments:
            attributes["flowgraph.step.arguments"] = arguments
        if step.pause_ms:
            attributes["flowgraph.pause_ms"] = step.pause_ms
        record = SpanRecord(
            trace_id,
            span_id_of(key, node.id),
            parent_id,
            function or display,
            "INTERNAL",
            start,
            end,
            attributes,
            node_id=node.id,
        )
        _finish(record, result, error, event=True)
        spans.append(record)


def _flow_end_error(run: Run) -> ErrorAction | None:
    """The error that ended the run (on its FlowEndNode), if any."""
    graph = run.graph
    for head in graph.heads:
        if head.kind is NodeKind.FLOW_END:
            return head.error
    return None


def _subtree_errors(stages: list[StageNode]) -> dict[str, ErrorAction]:
    """Per stage: the first error raised by a step inside it, at any depth (one pass, children first)."""
    errors: dict[str, ErrorAction] = {}
    order = list(walk_stages(stages))
    for stage in reversed(order):
        error = _first_error(stage.steps)
        if error is None:
            for child in stage.children:
                error = errors.get(child.id)
                if error is not None:
                    break
        if error is not None:
            errors[stage.id] = error
    return errors


def _first_error(steps: Iterable[StepInfo]) -> ErrorAction | None:
    for step in steps:
        error = step.node.error
        if error is not None:
            return error
    return None


def _label(run: Run) -> str:
    job, run_id = run_identity(run)
    return f"{job}#{run_id}"
