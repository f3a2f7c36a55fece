"""A run's spans as Chrome/Perfetto trace-event JSON: open it in ui.perfetto.dev for a timeline.

The trace-event format (``{"traceEvents": [...]}``) draws complete events (``ph: "X"``) on
per-thread tracks, nesting those of one track by time. So each run is a process (its root span
on thread 1) and each parallel branch gets a thread of its own, so that branches running at
the same time sit side by side; stages and steps stay on their parent's track. Errors are
instant events (``ph: "i"``) at the failing step's end. Every event carries ``ph``, ``ts``,
``dur``, ``pid``, ``tid`` and ``name`` (metadata events naming processes and threads included,
with ``ts``/``dur`` 0); times are microseconds since the epoch.

Examples
--------
>>> from render.example import example_run
>>> trace = perfetto_trace([example_run()])
>>> first = trace["traceEvents"][2]
>>> first["ph"], first["name"], first["tid"]
('X', 'BUILD example/pipeline', 1)
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import Any

from flowgraph.errors import RenderError
from flowgraph.run import Run
from render.otel.spans import SpanRecord, run_spans

__all__ = ["perfetto_trace", "perfetto_events", "write_perfetto"]

_US = 1000  # nanoseconds per microsecond


def _meta(kind: str, pid: int, tid: int, value: str) -> dict[str, Any]:
    return {"ph": "M", "name": kind, "ts": 0, "dur": 0, "pid": pid, "tid": tid, "args": {"name": value}}


def perfetto_events(spans: Iterable[SpanRecord], pid: int = 1) -> list[dict[str, Any]]:
    """Trace events for one run's spans (parents before children, as :func:`run_spans` gives them)."""
    events: list[dict[str, Any]] = []
    threads: dict[int, int] = {}
    next_tid = 1
    for span in spans:
        parent_tid = threads.get(span.parent_span_id, 1) if span.parent_span_id is not None else 1
        if span.parent_span_id is None:
            events.append(_meta("process_name", pid, 0, span.name))
            events.append(_meta("thread_name", pid, 1, "run"))
            tid = 1
        elif span.attributes.get("flowgraph.stage.type") == "PARALLEL_BRANCH":
            next_tid += 1
            tid = next_tid
            events.append(_meta("thread_name", pid, tid, span.name))
        else:
            tid = parent_tid
        threads[span.span_id] = tid
        ts = span.start_ns // _US
        events.append(
            {
                "ph": "X",
                "name": span.name,
                "cat": "run" if span.parent_span_id is None else str(span.attributes.get("jenkins.pipeline.step.type")),
                "ts": ts,
                "dur": max(0, span.end_ns // _US - ts),
                "pid": pid,
                "tid": tid,
                "args": dict(span.attributes),
            }
        )
        for event in span.events:
            events.append(
                {
                    "ph": "i",
                    "s": "t",
                    "name": event.name,
                    "ts": event.time_ns // _US,
                    "dur": 0,
                    "pid": pid,
                    "tid": tid,
                    "args": dict(event.attributes),
                }
            )
    return events


def perfetto_trace(runs: Iterable[Run]) -> dict[str, Any]:
    """The trace-event JSON object for ``runs`` (one process per run)."""
    events: list[dict[str, Any]] = []
    for pid, run in enumerate(runs, start=1):
        events.extend(perfetto_events(run_spans(run), pid))
    return {"traceEvents": events, "displayTimeUnit": "ms"}


def write_perfetto(runs: Iterable[Run], path: str | os.PathLike[str]) -> None:
    """Write :func:`perfetto_trace` to ``path`` (e.g. ``run.trace.json``)."""
    text = json.dumps(perfetto_trace(runs), separators=(",", ":"))
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise RenderError(f"cannot write {os.fspath(path)}: {exc.strerror or exc}") from exc
