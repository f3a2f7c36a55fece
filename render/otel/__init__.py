"""render.otel: runs as OpenTelemetry traces, for Tempo, Jaeger or any OTLP backend.

One finished run becomes one trace that follows the OpenTelemetry CI/CD semantic conventions
(and carries the Jenkins OpenTelemetry plugin's attribute names too), with the run's own
timestamps and ids derived from job, build number and node id::

    from render.otel import export_traces
    export_traces(runs, endpoint="http://localhost:4318", headers={"Authorization": "Bearer …"})

* :func:`run_spans`: one run as :class:`SpanRecord` s (no OpenTelemetry import needed).
* :func:`export_traces`, :class:`TraceExport`, :func:`otlp_exporter`: send them with the SDK's
  OTLP exporters (HTTP/protobuf; gRPC when its exporter is installed).
* :class:`OtlpJsonFileExporter`, :func:`otlp_json`: OTLP JSON (Lines) files.
* :func:`perfetto_trace`, :func:`write_perfetto`: a Chrome/Perfetto timeline (ui.perfetto.dev).
* :func:`run_loaders`: every run under a build, a JENKINS_HOME or a SQL store, loaded lazily.
* :func:`pending_runs`, :class:`ExportLedger`: from a history warehouse
  (:class:`scanners.history.History`), only the runs it has not exported yet.

Needs the ``otel`` extra (``pip install 'flowgraph[otel]'``) for everything but :func:`run_spans`
and the Perfetto output.
"""

from render.otel.ids import run_key, span_id_of, trace_id_of
from render.otel.perfetto import perfetto_events, perfetto_trace, write_perfetto
from render.otel.sources import job_matches, run_loaders
from render.otel.spans import SpanEvent, SpanRecord, pipeline_result, run_identity, run_spans, run_url, task_result
from render.otel.warehouse import ExportLedger, is_warehouse, pending_runs

__all__ = [
    "SpanRecord",
    "SpanEvent",
    "run_spans",
    "run_identity",
    "run_url",
    "task_result",
    "pipeline_result",
    "run_key",
    "trace_id_of",
    "span_id_of",
    "perfetto_trace",
    "perfetto_events",
    "write_perfetto",
    "run_loaders",
    "job_matches",
    "pending_runs",
    "ExportLedger",
    "is_warehouse",
    "export_traces",
    "TraceExport",
    "ExportReport",
    "OtlpExportError",
    "OtlpJsonFileExporter",
    "otlp_exporter",
    "otlp_json",
    "to_readable_spans",
]

_SDK_NAMES = frozenset(
    (
        "export_traces",
        "TraceExport",
        "ExportReport",
        "OtlpExportError",
        "OtlpJsonFileExporter",
        "otlp_exporter",
        "otlp_json",
        "to_readable_spans",
    )
)


def __getattr__(name: str) -> object:
    """The SDK-backed names load on first use, so that ``run_spans`` works without the ``otel`` extra."""
    if name in _SDK_NAMES:
        from render.otel import sdk

        return getattr(sdk, name)
    raise AttributeError(f"module 'render.otel' has no attribute {name!r}")
