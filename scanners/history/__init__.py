"""Run history: cross-run analytics over a whole ``JENKINS_HOME``, incremental, on Dask at scale.

One call builds (or brings up to date) a *warehouse*, a directory of Parquet files partitioned
by job with one row per run, stage, step and damaged run; DuckDB answers questions over it::

    from scanners.history import History
    h = History.build("/var/lib/jenkins", "warehouse/")      # incremental; workers=N for Dask
    h.failure_rates(), h.slowest(), h.regressions(), h.flaky(), h.failure_signatures()
    h.sql("select job, count(*) from runs group by job")

Needs the ``history`` extra (``pip install 'flowgraph[history]'``: pyarrow, duckdb, Dask
distributed, scipy). Modules: :mod:`~scanners.history.schema` (the tables),
:mod:`~scanners.history.extract` (run to rows), :mod:`~scanners.history.warehouse` (files and
manifest), :mod:`~scanners.history.importer` (the incremental import),
:mod:`~scanners.history.queries` (the answers), :mod:`~scanners.history.signatures`.
"""

from scanners.history.history import History
from scanners.history.importer import ImportReport
from scanners.history.signatures import normalise_message, signature

__all__ = ["History", "ImportReport", "normalise_message", "signature"]
