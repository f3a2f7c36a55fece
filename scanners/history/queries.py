"""The cross-run answers, as SQL run by DuckDB over the warehouse's Parquet parts.

Each function takes a DuckDB connection on which :func:`connect` defined the raw views
(``_runs``, ``_stages``, ``_steps``, ``_errors``: durations as milliseconds) and the public ones
(``runs``, ``stages``…: durations as intervals), and returns a pandas DataFrame sorted worst
first. Only finished runs count (a running run's stages have not ended yet).

A step repeated inside one stage carries an occurrence suffix (``" #2"``) in its ``path``; a
repeated stage keeps its path. Retries and flakiness are judged on the path without the suffix,
attempts ordered by ``occurrence``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from scanners.history.schema import TABLES
from scanners.history.warehouse import table_files

__all__ = [
    "connect",
    "failure_rates",
    "slowest",
    "regressions",
    "flaky",
    "failure_signatures",
    "Level",
    "REGRESSION_P_VALUE",
]

Level = Literal["stage", "step"]
REGRESSION_P_VALUE = 0.01
_DURATIONS = {"runs": ("duration",), "stages": ("duration", "pause"), "steps": ("duration",), "errors": ()}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def connect(root: str | Path) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the warehouse's tables as views (UTC session time zone)."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for table, schema in TABLES.items():
        files = [path.as_posix() for path in table_files(root, table)]
        if files:
            listing = ", ".join(_quote(f) for f in files)
            con.execute(f"CREATE VIEW _{table} AS SELECT * FROM read_parquet([{listing}])")
        else:
            con.register(f"_{table}", pa.Table.from_pylist([], schema=schema))
        spans = _DURATIONS[table]
        replace = f" REPLACE ({', '.join(f'to_milliseconds({c}) AS {c}' for c in spans)})" if spans else ""
        con.execute(f"CREATE VIEW {table} AS SELECT *{replace} FROM _{table}")
    return con


def _source(level: Level) -> str:
    if level == "stage":
        return "(SELECT job, number, path, status, duration, occurrence FROM _stages)"
    if level == "step":
        return "(SELECT job, number, path, status, duration, occurrence FROM _steps)"
    raise ValueError(f"level must be 'stage' or 'step', not {level!r}")


def _scope(job: str | None, last: int | None) -> tuple[str, list[Any]]:
    """SQL selecting the finished runs in scope (one job or folder, the last N runs of each job)."""
    where = ["NOT running"]
    params: list[Any] = []
    if job is not None:
        where.append("(job = ? OR starts_with(job, ?))")
        params += [job, job.rstrip("/") + "/"]
    finished = f"SELECT job, number, result, revision FROM _runs WHERE {' AND '.join(where)}"
    if last is None:
        return f"({finished})", params
    age = "row_number() OVER (PARTITION BY job ORDER BY number DESC)"
    return f"(SELECT job, number, result, revision FROM ({finished}) QUALIFY {age} <= {int(last)})", params


def _ms(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    for column in columns:
        frame[column] = pd.to_timedelta(frame[column].astype("float64").round(), unit="ms")
    return frame


def failure_rates(
    con: duckdb.DuckDBPyConnection, level: Level = "stage", job: str | None = None, last: int | None = None
) -> pd.DataFrame:
    """Per job and path: runs it ran in, failures, unstable, aborted, ``rate = failures / runs``.

    A run counts once per path with the status its last attempt ended with (a stage retried
    after a failure that then passed did not end FAILURE in that run; the step that failed
    did, and has its own path).
    """
    scope, params = _scope(job, last)
    if level == "stage":  # a retried stage repeats its path: one row per run, its last attempt
        outcomes = f"""
            SELECT s.job, s.number, s.path, arg_max(s.status, s.occurrence) AS final
            FROM {_source(level)} s SEMI JOIN {scope} r USING (job, number)
            WHERE s.status <> 'NOT_EXECUTED' GROUP BY ALL"""
    else:  # step paths are unique within a run
        outcomes = f"""
            SELECT s.job, s.number, s.path, s.status AS final
            FROM {_source(level)} s SEMI JOIN {scope} r USING (job, number)
            WHERE s.status <> 'NOT_EXECUTED'"""
    sql = f"""
        SELECT job, path, count(*) AS runs,
               count(*) FILTER (WHERE final = 'FAILURE') AS failures,
               count(*) FILTER (WHERE final = 'UNSTABLE') AS unstable,
               count(*) FILTER (WHERE final = 'ABORTED') AS aborted
        FROM ({outcomes}) GROUP BY job, path
    """
    frame = con.execute(
        f"SELECT *, failures / runs AS rate FROM ({sql}) ORDER BY rate DESC, failures DESC, runs DESC, job, path",
        params,
    ).df()
    for column in ("runs", "failures", "unstable", "aborted"):
        frame[column] = frame[column].astype("int64")
    return frame


def slowest(
    con: duckdb.DuckDBPyConnection, level: Level = "stage", job: str | None = None, last: int | None = None
) -> pd.DataFrame:
    """Per job and path: runs with a duration, median, 90th percentile and maximum (timedeltas)."""
    scope, params = _scope(job, last)
    frame = con.execute(
        f"""
        SELECT s.job, s.path, count(*) AS runs,
               quantile_cont(s.duration, 0.5) AS median,
               quantile_cont(s.duration, 0.9) AS p90,
               max(s.duration) AS max
        FROM {_source(level)} s SEMI JOIN {scope} r USING (job, number)
        WHERE s.duration IS NOT NULL AND s.status <> 'NOT_EXECUTED'
        GROUP BY s.job, s.path
        ORDER BY median DESC, p90 DESC, job, path
        """,
        params,
    ).df()
    frame["runs"] = frame["runs"].astype("int64")
    return _ms(frame, ("median", "p90", "max"))


REGRESSION_COLUMNS = ["job", "path", "first_slow_number", "before_median", "after_median", "ratio", "p_value"]


def _regression_in(
    numbers: np.ndarray[Any, Any], durations: np.ndarray[Any, Any], window: int, ratio: float
) -> tuple[int, float, float, float, float] | None:
    """The first slow period of one series: ``(index, before, after, ratio, p)``, or None."""
    from numpy.lib.stride_tricks import sliding_window_view
    from scipy.stats import mannwhitneyu

    n = len(durations)
    if n < 2 * window:
        return None
    medians = np.median(sliding_window_view(durations, window), axis=1)  # medians[i] = median(d[i:i+window])
    best: tuple[int, float, float, float, float] | None = None
    best_cost = 0.0
    logs = np.log(np.maximum(durations, 1.0))
    for i in range(window, n - window + 1):
        before, after = medians[i - window], medians[i]
        if before <= 0 or after < ratio * before:
            if best is not None:
                break  # the first slow period ended; keep its best candidate
            continue
        tail = durations[i:]
        if np.quantile(tail, 0.25) < before * ratio**0.5 or medians[n - window] < ratio * before:
            continue  # it did not stay up: most later runs must be clearly slower (a spike moves only a few)
        if np.median(tail) < ratio * np.median(durations[:i]):
            continue  # against every earlier run, not just the window, the rise is too small
        p = float(mannwhitneyu(durations[i : i + window], durations[i - window : i], alternative="greater").pvalue)
        if p >= REGRESSION_P_VALUE:
            continue
        if float(mannwhitneyu(tail, durations[:i], alternative="greater").pvalue) >= REGRESSION_P_VALUE:
            continue
        # Of the splits that pass, the slow period starts where the two windows are each most
        # alike (least squared deviation of log durations): the classic change-point estimate.
        cost = float(np.var(logs[i - window : i]) + np.var(logs[i : i + window]))
        if best is None or cost < best_cost:
            best, best_cost = (i, float(before), float(after), float(after / before), p), cost
    return best


def regressions(
    con: duckdb.DuckDBPyConnection,
    level: Level = "stage",
    job: str | None = None,
    window: int = 10,
    ratio: float = 1.5,
) -> pd.DataFrame:
    """Stages or steps whose duration rose by ``ratio`` or more at a run and stayed up.

    For each candidate run, the ``window`` finished runs before it are compared with the
    ``window`` runs from it on: the medians must differ by at least ``ratio``, a one-sided
    Mann-Whitney U test (:func:`scipy.stats.mannwhitneyu`) must give p < 0.01, and the runs
    after must stay up: the median of the last ``window`` runs is still ``ratio`` times the median
    before, and three quarters of all runs from the candidate on are above ``sqrt(ratio)`` times
    it (a short spike lifts a few runs, never three quarters of them). ``first_slow_number`` is
    the run where the slow period starts: of the candidates of the first slow period that pass,
    the one where the runs before and the runs after are each most alike (least variance of log
    durations).
    """
    if window < 2:
        raise ValueError(f"window must be at least 2, not {window}")
    scope, params = _scope(job, None)
    data = con.execute(
        f"""
        SELECT s.job, s.path, s.number, s.duration
        FROM {_source(level)} s JOIN {scope} r USING (job, number)
        WHERE s.duration IS NOT NULL AND s.status NOT IN ('NOT_EXECUTED')
          AND s.path IN (SELECT path FROM {_source(level)} GROUP BY path HAVING count(*) >= {2 * int(window)})
        ORDER BY s.job, s.path, s.number
        """,
        params,
    ).fetchnumpy()
    rows: list[dict[str, Any]] = []
    jobs, paths = data["job"], data["path"]
    numbers = np.asarray(data["number"], dtype="int64")
    durations = np.asarray(data["duration"], dtype="float64")
    start = 0
    total = len(numbers)
    while start < total:
        end = start + 1
        while end < total and paths[end] == paths[start] and jobs[end] == jobs[start]:
            end += 1
        found = _regression_in(numbers[start:end], durations[start:end], window, ratio)
        if found is not None:
            index, before, after, factor, p = found
            rows.append(
                {
                    "job": jobs[start],
                    "path": paths[start],
                    "first_slow_number": int(numbers[start + index]),
                    "before_median": before,
                    "after_median": after,
                    "ratio": factor,
                    "p_value": p,
                }
            )
        start = end
    frame = pd.DataFrame(rows, columns=REGRESSION_COLUMNS)
    frame["first_slow_number"] = frame["first_slow_number"].astype("int64")
    frame = _ms(frame, ("before_median", "after_median"))
    return frame.sort_values(["ratio", "p_value"], ascending=[False, True], ignore_index=True)


def flaky(con: duckdb.DuckDBPyConnection, level: Level = "stage", job: str | None = None) -> pd.DataFrame:
    """Stages or steps that failed then passed on a retry in one run, or failed and passed at one revision.

    ``runs`` counts the finished runs it ran in, ``flaky_runs`` the runs showing evidence:
    a retried attempt that failed before a later attempt of the same path passed, or (across
    runs of one job at the same known SCM revision) a final outcome of FAILURE in some runs and
    SUCCESS in others. Runs without a known revision are never grouped together.
    """
    scope, params = _scope(job, None)
    if level == "stage":
        # A stage repeated in one run (a retry around it) keeps its path; occurrence orders the tries.
        attempts = "SELECT job, number, path AS base, occurrence AS attempt, status, true AS retried FROM _stages"
    elif level == "step":
        base = "CASE WHEN occurrence > 1 THEN left(path, length(path) - length(' #' || occurrence)) ELSE path END"
        attempts = f"SELECT job, number, {base} AS base, occurrence AS attempt, status, in_retry AS retried FROM _steps"
    else:
        raise ValueError(f"level must be 'stage' or 'step', not {level!r}")
    frame = con.execute(
        f"""
        WITH a AS (
            SELECT s.job, s.number, s.base, s.attempt, s.status, s.retried, r.revision
            FROM ({attempts}) s JOIN {scope} r USING (job, number)
            WHERE s.status NOT IN ('NOT_EXECUTED')
        ),
        outcome AS (
            SELECT job, number, base, revision, arg_max(status, attempt) AS final,
                   bool_or(status = 'FAILURE' AND retried) AS failed_retried,
                   max(attempt) FILTER (WHERE status = 'SUCCESS') AS last_pass,
                   min(attempt) FILTER (WHERE status = 'FAILURE' AND retried) AS first_fail
            FROM a GROUP BY job, number, base, revision
        ),
        in_run AS (
            SELECT job, number, base FROM outcome WHERE failed_retried AND last_pass > first_fail
        ),
        split AS (
            SELECT job, revision, base FROM outcome WHERE revision IS NOT NULL
            GROUP BY job, revision, base
            HAVING bool_or(final = 'FAILURE') AND bool_or(final = 'SUCCESS')
        ),
        across AS (
            SELECT o.job, o.number, o.base FROM outcome o JOIN split USING (job, revision, base)
            WHERE o.final IN ('FAILURE', 'SUCCESS')
        ),
        retry_evidence AS (
            SELECT job, base, list(DISTINCT number ORDER BY number) AS retry_numbers FROM in_run GROUP BY job, base
        ),
        revision_evidence AS (
            SELECT a.job, a.base, list(DISTINCT a.number ORDER BY a.number) AS revision_numbers,
                   count(DISTINCT s.revision) AS revisions
            FROM across a JOIN outcome s USING (job, number, base) GROUP BY a.job, a.base
        ),
        flagged AS (
            SELECT job, base, count(DISTINCT number) AS flaky_runs
            FROM (SELECT * FROM in_run UNION SELECT * FROM across) GROUP BY job, base
        ),
        totals AS (SELECT job, base, count(DISTINCT number) AS runs FROM outcome GROUP BY job, base)
        SELECT f.job, f.base AS path, t.runs, f.flaky_runs, r.retry_numbers, v.revision_numbers, v.revisions
        FROM flagged f JOIN totals t USING (job, base)
        LEFT JOIN retry_evidence r USING (job, base) LEFT JOIN revision_evidence v USING (job, base)
        ORDER BY f.flaky_runs DESC, t.runs DESC, f.job, f.base
        """,
        params,
    ).df()
    evidence = [
        _evidence(retry, revision, revisions)
        for retry, revision, revisions in zip(
            frame["retry_numbers"], frame["revision_numbers"], frame["revisions"], strict=True
        )
    ]
    out = frame[["job", "path", "runs", "flaky_runs"]].copy()
    out["runs"] = out["runs"].astype("int64")
    out["flaky_runs"] = out["flaky_runs"].astype("int64")
    out["evidence"] = pd.Series(evidence, dtype="object")
    return out


def _numbers(numbers: Any) -> str:
    listed = [f"#{int(n)}" for n in numbers]
    return ", ".join(listed[:5]) + (f" and {len(listed) - 5} more" if len(listed) > 5 else "")


def _evidence(retry: Any, revision: Any, revisions: Any) -> str:
    """``"failed then passed on retry in #3, #7; failed and passed at one revision in #4, #5 (1 revision)"``."""
    said = []
    if isinstance(retry, (list, np.ndarray)) and len(retry):
        said.append(f"failed then passed on retry in {_numbers(retry)}")
    if isinstance(revision, (list, np.ndarray)) and len(revision):
        count = int(revisions)
        said.append(f"failed and passed at one revision in {_numbers(revision)} ({count} revision{'s' * (count > 1)})")
    return "; ".join(said)


def failure_signatures(con: duckdb.DuckDBPyConnection, job: str | None = None) -> pd.DataFrame:
    """Errors grouped by signature, taken where thrown (the step), caught ones included.

    ``count`` is the runs in which the signature was thrown, ``jobs`` the distinct jobs,
    ``failed_runs`` how many of those runs ended FAILURE; the example is the newest such run.
    """
    scope, params = _scope(job, None)
    frame = con.execute(
        f"""
        WITH thrown AS (  -- one row per signature and run
            SELECT s.signature, s.job, s.number, min(s.error) AS message, any_value(r.result) AS result
            FROM _steps s JOIN {scope} r USING (job, number)
            WHERE s.signature IS NOT NULL
            GROUP BY s.signature, s.job, s.number
        )
        SELECT signature,
               count(*) AS count,
               count(DISTINCT job) AS jobs,
               count(*) FILTER (WHERE result = 'FAILURE') AS failed_runs,
               arg_max(job, (number, job)) AS example_job,
               max(number) AS example_number,
               arg_max(message, (number, job)) AS example_message
        FROM thrown GROUP BY signature
        ORDER BY count DESC, failed_runs DESC, signature
        """,
        params,
    ).df()
    for column in ("count", "jobs", "failed_runs", "example_number"):
        frame[column] = frame[column].astype("int64")
    return frame
