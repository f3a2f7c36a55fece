"""The warehouse on disk: Parquet parts partitioned by job, and the import manifest.

Layout (``<table>`` is ``runs``, ``stages``, ``steps`` or ``errors``; a job's directory name is
its full name URL-quoted, so ``team/app`` is ``team%2Fapp``)::

    warehouse/
        <table>/<job>/<part>.parquet        rows of the runs one import task read
        _manifest/<job>.parquet             build dir -> build.xml size, mtime, complete, part

Each import task writes one part per table for the job it imports; a part's id is unique
(a UUID), so tasks on different machines never collide. The manifest tells the next import
what is unchanged (same ``build.xml`` size and modification time, and the run was complete);
a re-imported run's old rows are removed from the part that held them.

A build deleted from ``JENKINS_HOME`` (log rotation) keeps its rows: the warehouse is the history.
One import at a time per warehouse (concurrent imports of the same job would race on its manifest).

Examples
--------
>>> import tempfile
>>> from scanners.history.extract import TableBatch
>>> root = tempfile.mkdtemp()
>>> part_file(root, "steps", "team/app", "p1").relative_to(root).as_posix()
'steps/team%2Fapp/p1.parquet'
>>> write_part(root, "team/app", "p1", TableBatch().tables())
0
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from scanners.history.schema import MANIFEST, TABLES

__all__ = [
    "ManifestEntry",
    "part_file",
    "job_dir_name",
    "new_part_id",
    "write_part",
    "read_manifest",
    "write_manifest",
    "drop_runs",
    "table_glob",
    "table_files",
    "MANIFEST_DIR",
]

MANIFEST_DIR = "_manifest"


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    """What the last import saw of one build directory, and the part its rows are in."""

    build_dir: str
    job: str
    number: int
    size: int
    mtime_ns: int
    complete: bool
    part: str


def job_dir_name(job: str) -> str:
    """The directory name of a job's partition: its full name, URL-quoted (no ``/`` left)."""
    return quote(job, safe="") or "%00"


def new_part_id() -> str:
    """A part id no other task (on any machine) will pick."""
    return uuid.uuid4().hex


def part_file(root: str | os.PathLike[str], table: str, job: str, part: str) -> Path:
    """Where a part of ``table`` for ``job`` lives."""
    return Path(root) / table / job_dir_name(job) / f"{part}.parquet"


def _write_atomically(table: pa.Table, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    pq.write_table(table, scratch, compression="zstd")
    os.replace(scratch, target)


def write_part(root: str | os.PathLike[str], job: str, part: str, tables: dict[str, pa.Table]) -> int:
    """Write every non-empty table as ``<table>/<job>/<part>.parquet``; returns the files written."""
    written = 0
    for name, table in tables.items():
        if table.num_rows:
            _write_atomically(table, part_file(root, name, job, part))
            written += 1
    return written


def _manifest_file(root: str | os.PathLike[str], job: str) -> Path:
    return Path(root) / MANIFEST_DIR / f"{job_dir_name(job)}.parquet"


def read_manifest(root: str | os.PathLike[str], job: str) -> dict[str, ManifestEntry]:
    """The job's manifest, keyed by build directory (empty when the job was never imported)."""
    path = _manifest_file(root, job)
    if not path.is_file():
        return {}
    rows = pq.read_table(path, schema=MANIFEST).to_pylist()
    return {row["build_dir"]: ManifestEntry(**row) for row in rows}


def write_manifest(root: str | os.PathLike[str], job: str, entries: Iterable[ManifestEntry]) -> None:
    """Replace the job's manifest (atomically: a crash leaves the old one)."""
    listed = sorted(entries, key=lambda e: e.number)
    columns = {name: [getattr(e, name) for e in listed] for name in MANIFEST.names}
    _write_atomically(pa.Table.from_pydict(columns, schema=MANIFEST), _manifest_file(root, job))


def drop_runs(root: str | os.PathLike[str], job: str, part: str, numbers: Iterable[int]) -> None:
    """Remove the rows of these runs from one part of every table (they are being re-imported)."""
    gone = pa.array(sorted(set(numbers)), pa.int64())
    for name, schema in TABLES.items():
        path = part_file(root, name, job, part)
        if not path.is_file():
            continue
        table = pq.read_table(path, schema=schema)
        kept = table.filter(pc.invert(pc.is_in(table["number"], value_set=gone)))
        if kept.num_rows == table.num_rows:
            continue
        if kept.num_rows:
            _write_atomically(kept, path)
        else:
            path.unlink()


def table_glob(root: str | os.PathLike[str], table: str) -> str:
    """The glob DuckDB reads a table through."""
    return (Path(root) / table / "*" / "*.parquet").as_posix()


def table_files(root: str | os.PathLike[str], table: str, job: str | None = None) -> Iterator[Path]:
    """Every part file of a table (of one job when ``job`` is given), in a stable order."""
    base = Path(root) / table
    if not base.is_dir():
        return
    folders = [base / job_dir_name(job)] if job is not None else sorted(p for p in base.iterdir() if p.is_dir())
    for folder in folders:
        if folder.is_dir():
            yield from sorted(folder.glob("*.parquet"))


def job_of_dir(name: str) -> str:
    """The job a partition directory holds (the inverse of :func:`job_dir_name`)."""
    return "" if name == "%00" else unquote(name)
