"""Send runs to an OTLP backend (Tempo, Jaeger, any collector) with the OpenTelemetry SDK.

The SDK's tracer stamps spans with the wall clock and random ids; a backfill needs the run's
own times and ids that do not change between exports. So each :class:`~render.otel.SpanRecord`
becomes an SDK ``ReadableSpan`` with explicit ids and timestamps, and the batches go straight
to the SDK's span exporters: OTLP over HTTP/protobuf (``opentelemetry-exporter-otlp-proto-http``),
OTLP over gRPC when ``opentelemetry-exporter-otlp-proto-grpc`` is installed, or a JSON Lines
file in the OTLP JSON encoding (:class:`OtlpJsonFileExporter`, what the collector's
``otlpjsonfile`` receiver reads).

Examples
--------
>>> import os, tempfile
>>> from render.example import example_run
>>> path = os.path.join(tempfile.mkdtemp(), "traces.json")
>>> report = export_traces([example_run()], exporter=OtlpJsonFileExporter(path))
>>> report.runs, report.spans > 10
(1, True)
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import IO, Any
from urllib.parse import urlsplit

from google.protobuf.json_format import MessageToDict
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags

from flowgraph.errors import FlowGraphError, RenderError
from flowgraph.run import Run
from render.otel.spans import SpanRecord, run_identity, run_spans

__all__ = [
    "ExportReport",
    "OtlpExportError",
    "OtlpJsonFileExporter",
    "TraceExport",
    "export_traces",
    "otlp_exporter",
    "otlp_json",
    "to_readable_spans",
]

SCOPE_NAME = "flowgraph.render.otel"
_KINDS = {"SERVER": SpanKind.SERVER, "INTERNAL": SpanKind.INTERNAL}
_SAMPLED = TraceFlags(TraceFlags.SAMPLED)
_UNSET = Status(StatusCode.UNSET)


class OtlpExportError(RenderError):
    """The backend refused an export, or could not be reached (the message names the endpoint)."""


def _scope() -> InstrumentationScope:
    try:
        return InstrumentationScope(SCOPE_NAME, version("flowgraph"))
    except PackageNotFoundError:
        return InstrumentationScope(SCOPE_NAME)


def default_resource(service_name: str = "jenkins") -> Resource:
    """The resource of exported spans: ``service.name`` (``jenkins``, as the Jenkins plugin uses).

    ``OTEL_RESOURCE_ATTRIBUTES`` and ``OTEL_SERVICE_NAME`` add to or override it, as in any SDK.
    """
    detected = Resource.create({"service.name": service_name, "service.namespace": "jenkins"})
    # The SDK adds a random service.instance.id; an export is a replay, so keep files reproducible.
    return Resource({k: v for k, v in detected.attributes.items() if k != "service.instance.id"})


def to_readable_spans(
    records: Iterable[SpanRecord], resource: Resource | None = None, scope: InstrumentationScope | None = None
) -> list[ReadableSpan]:
    """SDK spans with the records' own ids and timestamps, ready for any SDK ``SpanExporter``."""
    resource = resource if resource is not None else default_resource()
    scope = scope if scope is not None else _scope()
    spans: list[ReadableSpan] = []
    contexts: dict[int, SpanContext] = {}
    for record in records:
        context = SpanContext(record.trace_id, record.span_id, is_remote=False, trace_flags=_SAMPLED)
        contexts[record.span_id] = context
        parent = contexts.get(record.parent_span_id) if record.parent_span_id is not None else None
        if parent is None and record.parent_span_id is not None:
            parent = SpanContext(record.trace_id, record.parent_span_id, is_remote=False, trace_flags=_SAMPLED)
        status = _UNSET if record.status == "UNSET" else Status(StatusCode[record.status], record.status_message)
        spans.append(
            ReadableSpan(
                record.name,
                context=context,
                parent=parent,
                resource=resource,
                attributes=record.attributes,
                events=[Event(e.name, e.attributes, e.time_ns) for e in record.events],
                kind=_KINDS[record.kind],
                status=status,
                start_time=record.start_ns,
                end_time=record.end_ns,
                instrumentation_scope=scope,
            )
        )
    return spans


def otlp_json(spans: Sequence[ReadableSpan]) -> dict[str, Any]:
    """An ``ExportTraceServiceRequest`` in the OTLP JSON encoding (ids as hex, as the spec asks)."""
    message: dict[str, Any] = MessageToDict(encode_spans(spans), use_integers_for_enums=True)
    for resource_spans in message.get("resourceSpans", ()):
        for scope_spans in resource_spans.get("scopeSpans", ()):
            for span in scope_spans.get("spans", ()):
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in span:
                        span[key] = base64.b64decode(span[key]).hex()
    return message


class OtlpJsonFileExporter(SpanExporter):
    """An SDK span exporter writing OTLP JSON Lines: one ``ExportTraceServiceRequest`` per line."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        try:
            self._file: IO[str] | None = open(self.path, "w", encoding="utf-8")  # closed by shutdown()
        except OSError as exc:
            raise RenderError(f"cannot write {self.path}: {exc.strerror or exc}") from exc

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self._file is None:
            return SpanExportResult.FAILURE
        self._file.write(json.dumps(otlp_json(spans), separators=(",", ":")) + "\n")
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __repr__(self) -> str:
        return f"OtlpJsonFileExporter({self.path!r})"


def otlp_exporter(
    endpoint: str,
    *,
    headers: Mapping[str, str] | None = None,
    protocol: str = "http/protobuf",
    timeout: float = 10.0,
) -> SpanExporter:
    """The SDK's OTLP span exporter for ``endpoint``.

    For ``http/protobuf`` a base URL (``http://collector:4318``) gets the ``/v1/traces`` path;
    for ``grpc`` the endpoint is the collector's gRPC address (``http://collector:4317``).
    """
    if protocol == "http/protobuf":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter

        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise RenderError(f"OTLP endpoint {endpoint!r} is not an http(s) URL (e.g. http://localhost:4318)")
        if parts.path in ("", "/"):
            endpoint = endpoint.rstrip("/") + "/v1/traces"
        return HttpExporter(endpoint=endpoint, headers=dict(headers or {}), timeout=timeout)
    if protocol == "grpc":
        try:
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (  # type: ignore[import-not-found,unused-ignore]
                OTLPSpanExporter as GrpcExporter,
            )
        except ImportError as exc:
            raise ModuleNotFoundError(
                "OTLP over gRPC needs opentelemetry-exporter-otlp-proto-grpc",
                name="opentelemetry-exporter-otlp-proto-grpc",
            ) from exc
        exporter: SpanExporter = GrpcExporter(
            endpoint=endpoint, headers=tuple((headers or {}).items()), timeout=timeout
        )
        return exporter
    raise RenderError(f"unknown OTLP protocol {protocol!r}: use 'http/protobuf' or 'grpc'")


@dataclass
class ExportReport:
    """What an export did: runs and spans sent, runs skipped (still running) or failed, with why."""

    runs: int = 0
    spans: int = 0
    exported: list[str] = field(default_factory=list)
    trace_ids: dict[str, str] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


class TraceExport:
    """Runs in, batches of spans out to one SDK exporter; a context manager that flushes and shuts down.

    ``add(run)`` turns a run into spans and sends them once ``batch_spans`` have gathered
    (at most ``batch_spans`` per request, so a run of a million steps is split, not refused);
    a run still running is recorded in the report's ``skipped`` list instead (re-export it
    once it has finished: its ids will be the same).
    """

    def __init__(
        self,
        exporter: SpanExporter,
        *,
        batch_spans: int = 4096,
        resource: Resource | None = None,
        jenkins_url: str | None = None,
    ) -> None:
        self.exporter = exporter
        self.jenkins_url = jenkins_url
        self.batch_spans = batch_spans
        self.resource = resource if resource is not None else default_resource()
        self.scope = _scope()
        self.report = ExportReport()
        self._pending: list[SpanRecord] = []

    def add(self, run: Run, *, name: str | None = None) -> int:
        """Queue one run's spans; returns how many (0 when it was skipped)."""
        label = name or "#".join(run_identity(run))
        if run.running:
            self.report.skipped.append((label, "still running"))
            return 0
        records = run_spans(run, jenkins_url=self.jenkins_url)
        self._pending.extend(records)
        self.report.runs += 1
        self.report.spans += len(records)
        self.report.exported.append(label)
        self.report.trace_ids[label] = f"{records[0].trace_id:032x}"
        if len(self._pending) >= self.batch_spans:
            self.flush()
        return len(records)

    def flush(self) -> None:
        """Send what is queued; raises :class:`OtlpExportError` when the exporter reports a failure."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        size = self.batch_spans
        for begin in range(0, len(pending), size):  # a huge run goes out in several requests
            chunk = pending[begin : begin + size]
            result = self.exporter.export(to_readable_spans(chunk, self.resource, self.scope))
            if result is not SpanExportResult.SUCCESS:
                raise OtlpExportError(
                    f"{_describe(self.exporter)} did not accept {len(chunk)} spans (the SDK's log says why)"
                )

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self.exporter.shutdown()

    def __enter__(self) -> TraceExport:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.close()
        else:
            self.exporter.shutdown()


def _describe(exporter: SpanExporter) -> str:
    endpoint = getattr(exporter, "_endpoint", None)
    return f"the OTLP endpoint {endpoint}" if endpoint else repr(exporter)


def export_traces(
    runs: Iterable[Run],
    *,
    endpoint: str | None = None,
    headers: Mapping[str, str] | None = None,
    protocol: str = "http/protobuf",
    exporter: SpanExporter | None = None,
    batch_spans: int = 4096,
    resource: Resource | None = None,
    jenkins_url: str | None = None,
    progress: Callable[[Run], None] | None = None,
) -> ExportReport:
    """Export each finished run as one trace to ``endpoint`` (or to ``exporter``); returns a report.

    Runs still running are skipped (listed in the report); a run that cannot be turned into
    spans is listed under ``failed`` and the export goes on. Exporting the same runs again
    sends the same trace and span ids. ``jenkins_url`` links each root span to the run's page.

    Raises
    ------
    OtlpExportError
        The backend refused a batch or could not be reached.
    """
    if exporter is None:
        if endpoint is None:
            raise RenderError("export_traces() needs an endpoint (e.g. http://localhost:4318) or an exporter")
        exporter = otlp_exporter(endpoint, headers=headers, protocol=protocol)
    with TraceExport(exporter, batch_spans=batch_spans, resource=resource, jenkins_url=jenkins_url) as export:
        for run in runs:
            try:
                export.add(run)
            except OtlpExportError:
                raise
            except FlowGraphError as exc:
                export.report.failed.append(("#".join(run_identity(run)), str(exc)))
            if progress is not None:
                progress(run)
    return export.report
