"""The :class:`History` of many runs: build or open a warehouse, then ask it cross-run questions."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from flowgraph.errors import StorageError
from scanners.history import queries
from scanners.history.importer import CHUNK_SIZE, ImportReport, import_runs
from scanners.history.schema import TABLES
from scanners.history.warehouse import MANIFEST_DIR, table_files

if TYPE_CHECKING:
    import duckdb
    import pandas

__all__ = ["History"]

_REPORT_FILE = "_last_import.json"


class History:
    """A warehouse of runs (Parquet, partitioned by job) and the answers it gives, via DuckDB.

    Build it from any ``JENKINS_HOME``, folder, job or build directory with :meth:`build`
    (incremental: only new, changed and still-running runs are read again), or open one with
    :meth:`open`. The tables are :attr:`runs`, :attr:`stages`, :attr:`steps` and :attr:`errors`
    (pandas DataFrames); the answers are :meth:`failure_rates`, :meth:`slowest`,
    :meth:`regressions`, :meth:`flaky` and :meth:`failure_signatures`; anything else is one
    :meth:`sql` query away.

    Examples
    --------
    >>> import tempfile
    >>> from flowgraph import GraphBuilder
    >>> from flowgraph.jenkins import save_run
    >>> home, store = tempfile.mkdtemp(), tempfile.mkdtemp()
    >>> for n in (1, 2, 3):
    ...     b = GraphBuilder(start_ms=n * 10_000)
    ...     with b.stage("Test"):
    ...         _ = b.step("sh", script="pytest", error="exit 1" if n == 2 else None)
    ...     save_run(b.build(), f"{home}/jobs/app/builds/{n}")
    >>> h = History.build(home, store)
    >>> h.report
    ImportReport(imported=3, unchanged=0, failed=0)
    >>> h.failure_rates()[["job", "path", "runs", "failures", "rate"]].values.tolist()
    [['app', 'Test', 3, 1, 0.3333333333333333]]
    >>> History.build(home, store).report
    ImportReport(imported=0, unchanged=3, failed=0)
    >>> int(h.sql("select count(*) as n from steps where error is not null").n[0])
    1
    """

    __slots__ = ("_con", "_report", "root")

    def __init__(self, root: str | os.PathLike[str], report: ImportReport | None = None) -> None:
        self.root = Path(root)
        self._report = report
        self._con: duckdb.DuckDBPyConnection | None = None

    # -- building and opening ----------------------------------------------------------------

    @classmethod
    def build(
        cls,
        source: str | os.PathLike[str],
        warehouse: str | os.PathLike[str],
        workers: int | None = None,
        scheduler: str | None = None,
        *,
        progress: Callable[[ImportReport], None] | None = None,
        chunk_size: int = CHUNK_SIZE,
    ) -> History:
        """Import every run under ``source`` into ``warehouse`` (incrementally) and open it.

        ``source`` is a ``JENKINS_HOME``, folder, job or build directory, or a SQL store of runs
        (``sqlite:///runs.db``, ``postgresql://…``).

        ``workers=N`` (N > 1) runs the import on a local Dask cluster of N processes;
        ``scheduler="tcp://host:8786"`` sends it to an existing Dask cluster, whose workers
        must see ``warehouse`` at the same path. Neither: one process, no server.
        """
        if workers is not None and scheduler is not None:
            raise ValueError("give workers (a local Dask cluster) or scheduler (an existing one), not both")
        if workers is not None and workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        if not Path(source).exists() and "://" not in str(source):
            raise StorageError(f"{source}: no such JENKINS_HOME, job or build directory", path=str(source))
        if scheduler is not None or (workers is not None and workers > 1):
            report = _build_on_dask(source, warehouse, workers, scheduler, progress, chunk_size)
        else:
            report = import_runs(source, warehouse, progress=progress, chunk_size=chunk_size)
        Path(warehouse, _REPORT_FILE).write_text(json.dumps(report._asdict()))
        return cls(warehouse, report)

    @classmethod
    def open(cls, warehouse: str | os.PathLike[str]) -> History:
        """Open a warehouse written by :meth:`build`.

        Raises
        ------
        StorageError
            ``warehouse`` is not a directory :meth:`build` wrote.
        """
        root = Path(warehouse)
        if not (root / MANIFEST_DIR).is_dir() and not (root / _REPORT_FILE).is_file():
            raise StorageError(f"{root}: not a run-history warehouse (no {MANIFEST_DIR}/ in it)", path=str(root))
        report = None
        try:
            report = ImportReport(**json.loads((root / _REPORT_FILE).read_text()))
        except (OSError, ValueError, TypeError):
            report = None
        return cls(root, report)

    @property
    def report(self) -> ImportReport | None:
        """What the last :meth:`build` of this warehouse did (None if it never recorded it)."""
        return self._report

    # -- tables ------------------------------------------------------------------------------

    def _table(self, name: str) -> pandas.DataFrame:
        schema = TABLES[name]
        parts = [pq.read_table(path, schema=schema) for path in table_files(self.root, name)]
        table = pa.concat_tables(parts) if parts else schema.empty_table()
        order = [("job", "ascending"), ("number", "ascending")]
        frame: pandas.DataFrame = table.take(pc.sort_indices(table, sort_keys=order)).to_pandas()
        return frame

    @property
    def runs(self) -> pandas.DataFrame:
        """One row per run: ``job, number, result, start, duration``, running, node count, cause, revision…"""
        return self._table("runs")

    @property
    def stages(self) -> pandas.DataFrame:
        """One row per stage and branch: ``job, number, path, name, type, status, start, duration, pause``…"""
        return self._table("stages")

    @property
    def steps(self) -> pandas.DataFrame:
        """One row per step: ``job, number, node_id, stage_path, function_name, summary, status, start, duration,
        error``, then its ``path``, error type and signature, and whether a ``retry`` encloses it."""
        return self._table("steps")

    @property
    def errors(self) -> pandas.DataFrame:
        """One row per damaged run: ``job, number, path, error_type, message``."""
        return self._table("errors")

    # -- answers -----------------------------------------------------------------------------

    def _connection(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            self._con = queries.connect(self.root)
        return self._con

    def sql(self, query: str, params: Any = None) -> pandas.DataFrame:
        """Run a DuckDB query over the tables ``runs``, ``stages``, ``steps`` and ``errors``."""
        frame: pandas.DataFrame = self._connection().execute(query, params).df()
        return frame

    def failure_rates(
        self, level: queries.Level = "stage", job: str | None = None, last: int | None = None
    ) -> pandas.DataFrame:
        """``job, path, runs, failures, unstable, aborted, rate`` per stage (or step), worst first.

        ``job`` is a job or a folder (its jobs); ``last`` keeps the last N finished runs of each job.
        """
        return queries.failure_rates(self._connection(), level, job, last)

    def slowest(
        self, level: queries.Level = "stage", job: str | None = None, last: int | None = None
    ) -> pandas.DataFrame:
        """``job, path, runs, median, p90, max`` per stage (or step), slowest median first."""
        return queries.slowest(self._connection(), level, job, last)

    def regressions(
        self, level: queries.Level = "stage", job: str | None = None, window: int = 10, ratio: float = 1.5
    ) -> pandas.DataFrame:
        """``job, path, first_slow_number, before_median, after_median, ratio, p_value``.

        See :func:`scanners.history.queries.regressions` for the test.
        """
        return queries.regressions(self._connection(), level, job, window, ratio)

    def flaky(self, level: queries.Level = "stage", job: str | None = None) -> pandas.DataFrame:
        """``job, path, runs, flaky_runs, evidence``: failed-then-passed on retry, or at one revision."""
        return queries.flaky(self._connection(), level, job)

    def failure_signatures(self, job: str | None = None) -> pandas.DataFrame:
        """``signature, count, jobs, failed_runs, example_job, example_number, example_message``."""
        return queries.failure_signatures(self._connection(), job)

    def close(self) -> None:
        """Close the DuckDB connection (opened again when needed)."""
        if self._con is not None:
            self._con.close()
            self._con = None

    def __repr__(self) -> str:
        return f"History({str(self.root)!r}, report={self._report!r})"


def _build_on_dask(
    source: str | os.PathLike[str],
    warehouse: str | os.PathLike[str],
    workers: int | None,
    scheduler: str | None,
    progress: Callable[[ImportReport], None] | None,
    chunk_size: int,
) -> ImportReport:
    """The import on Dask: an existing cluster at ``scheduler``, or a local one of ``workers`` processes."""
    import distributed

    Client: Any = distributed.Client
    LocalCluster: Any = distributed.LocalCluster
    if scheduler is not None:
        with Client(scheduler) as client:
            return import_runs(source, warehouse, client=client, progress=progress, chunk_size=chunk_size)
    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
        ) as cluster,
        Client(cluster) as client,
    ):
        return import_runs(source, warehouse, client=client, progress=progress, chunk_size=chunk_size)
