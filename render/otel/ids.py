"""Deterministic trace and span ids: the same run always gets the same ids.

A backfill that is run twice (or resumed after a crash) must not create duplicate traces, so
ids are not random: the trace id is a hash of the job name and build number, each span id a
hash of the trace key and the flow-node id the span stands for (``"run"`` for the root).
Backends that store spans by (trace id, span id) then simply overwrite the earlier copy.

Hashes are BLAKE2b (stable across Python versions and processes, unlike ``hash()``); an
all-zero id is invalid in OpenTelemetry, so the (astronomically unlikely) zero becomes 1.

Examples
--------
>>> key = run_key("app", 7)
>>> trace_id_of(key) == trace_id_of(run_key("app", 7)), trace_id_of(key) != trace_id_of(run_key("app", 8))
(True, True)
>>> len(f"{trace_id_of(key):032x}")
32
>>> span_id_of(key, "5") == span_id_of(key, "5") != span_id_of(key, "6")
True
"""

from __future__ import annotations

from hashlib import blake2b

__all__ = ["run_key", "trace_id_of", "span_id_of", "ROOT_KEY"]

ROOT_KEY = "run"
"""The node key of a run's root span (flow-node ids are digits, so it never collides)."""

_NAMESPACE = b"flowgraph.otel/1\x00"


def run_key(job: str, number: int | str) -> bytes:
    """The bytes a run's ids are derived from: the job's full name and the build number."""
    return _NAMESPACE + job.encode("utf-8") + b"\x00" + str(number).encode("ascii", "replace")


def trace_id_of(key: bytes) -> int:
    """The 128-bit trace id of the run with this :func:`run_key` (never 0)."""
    return int.from_bytes(blake2b(key, digest_size=16).digest(), "big") or 1


def span_id_of(key: bytes, node: str) -> int:
    """The 64-bit span id of one node (``ROOT_KEY`` for the run) of the run with this key (never 0)."""
    return int.from_bytes(blake2b(key + b"\x00" + node.encode("utf-8"), digest_size=8).digest(), "big") or 1
