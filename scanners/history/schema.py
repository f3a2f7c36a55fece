"""The warehouse's tables: their pinned columns and Arrow types, in one place.

Every table is written with these schemas, so parts written by different processes (or by
different Dask workers) always concatenate. Times are UTC timestamps and durations Arrow
durations (both in milliseconds, Jenkins' own resolution); pandas reads them as
``datetime64[ms, UTC]`` and ``timedelta64[ms]``.

The pinned columns come first, in the order the issue gives them; the extra columns after
them are what analyses need (the step's own ``path``, the error's type and signature…).

Examples
--------
>>> TABLES["stages"].names[:9]
['job', 'number', 'path', 'name', 'type', 'status', 'start', 'duration', 'pause']
>>> str(TABLES["runs"].field("start").type)
'timestamp[ms, tz=UTC]'
"""

from __future__ import annotations

import pyarrow as pa

__all__ = ["RUNS", "STAGES", "STEPS", "ERRORS", "MANIFEST", "TABLES", "TABLE_NAMES"]

_TIME = pa.timestamp("ms", tz="UTC")
_SPAN = pa.duration("ms")

RUNS = pa.schema(
    [
        ("job", pa.string()),
        ("number", pa.int64()),
        ("result", pa.string()),
        ("start", _TIME),
        ("duration", _SPAN),
        ("running", pa.bool_()),
        ("node_count", pa.int64()),
        ("cause", pa.string()),
        ("revision", pa.string()),
        ("durability", pa.string()),
        ("build_dir", pa.string()),
    ]
)
"""One row per imported run (damaged runs are in ``errors`` instead)."""

STAGES = pa.schema(
    [
        ("job", pa.string()),
        ("number", pa.int64()),
        ("path", pa.string()),
        ("name", pa.string()),
        ("type", pa.string()),
        ("status", pa.string()),
        ("start", _TIME),
        ("duration", _SPAN),
        ("pause", _SPAN),
        ("occurrence", pa.int64()),
    ]
)
"""One row per stage and parallel branch of every run (:func:`scanners.run_rows.stage_rows`).

A stage that did not run is ``NOT_EXECUTED`` with no start or duration; ``occurrence`` counts
repeats of one path in a run (a ``retry`` around a stage), 1 for the first."""

STEPS = pa.schema(
    [
        ("job", pa.string()),
        ("number", pa.int64()),
        ("node_id", pa.string()),
        ("stage_path", pa.string()),
        ("function_name", pa.string()),
        ("summary", pa.string()),
        ("status", pa.string()),
        ("start", _TIME),
        ("duration", _SPAN),
        ("error", pa.string()),
        ("path", pa.string()),
        ("occurrence", pa.int64()),
        ("error_type", pa.string()),
        ("signature", pa.string()),
        ("in_retry", pa.bool_()),
    ]
)
"""One row per step (atom node) of every run (:func:`scanners.run_rows.step_rows`).

``error`` is set only where the step threw it (never on the blocks it propagated through);
``occurrence`` is the repeat number that ``path`` ends with (``" #2"``), 1 for the first;
``in_retry`` says whether a failed step ran inside a ``retry`` block."""

ERRORS = pa.schema(
    [
        ("job", pa.string()),
        ("number", pa.int64()),
        ("path", pa.string()),
        ("error_type", pa.string()),
        ("message", pa.string()),
    ]
)
"""One row per damaged run: the file at fault, the typed error's class and its message."""

MANIFEST = pa.schema(
    [
        ("build_dir", pa.string()),
        ("job", pa.string()),
        ("number", pa.int64()),
        ("size", pa.int64()),
        ("mtime_ns", pa.int64()),
        ("complete", pa.bool_()),
        ("part", pa.string()),
    ]
)
"""What the importer knows about each build directory (see :mod:`scanners.history.warehouse`)."""

TABLES: dict[str, pa.Schema] = {"runs": RUNS, "stages": STAGES, "steps": STEPS, "errors": ERRORS}
TABLE_NAMES = tuple(TABLES)
