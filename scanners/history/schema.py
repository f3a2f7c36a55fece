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
        ("node_id", pa.string()),
        ("depth", pa.int64()),
        ("skipped", pa.bool_()),
    ]
)
"""One row per stage, parallel branch and (non-merged) parallel block of every run."""

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
        ("error_type", pa.string()),
        ("signature", pa.string()),
        ("in_retry", pa.bool_()),
    ]
)
"""One row per step (atom node) of every run; ``error`` is set only where the step threw it."""

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
