"""``flowgraph history``: build a run-history warehouse, report on it, query it with SQL.

The commands are thin: the work is :class:`scanners.history.History`'s. ``build`` shows a
progress line and a summary (damaged runs are listed, and recorded in the ``errors`` table; they
do not fail the command), ``report`` prints the answers as rich tables (or ``--json`` on stdout,
or ``--csv DIR``, one file per answer), ``sql`` prints a query's result.

Examples
--------
>>> from click.testing import CliRunner
>>> result = CliRunner().invoke(history, ["--help"])
>>> result.exit_code, "build" in result.output and "report" in result.output and "sql" in result.output
(0, True)
"""

from __future__ import annotations

import json
import sys
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    import pandas

    from scanners.history import History, ImportReport

__all__ = ["history", "frame_table", "REPORT_SECTIONS"]

REPORT_SECTIONS = ("failure_rates", "slowest", "regressions", "flaky", "failure_signatures")
"""The answers ``flowgraph history report`` gives, in order."""

_EXIT_INPUT = 1  # as render.cli's EXIT_INPUT


def _errors() -> AbstractContextManager[None]:
    """The CLI's own error handling (one line on stderr, exit 1 bad input, 3 a missing package)."""
    from render.cli import command_errors

    return command_errors()


def _cell(value: Any) -> str:
    import pandas as pd

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timedelta):
        seconds = value.total_seconds()
        return f"{seconds:.1f}s" if seconds < 120 else f"{seconds / 60:.1f}min"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def frame_table(frame: pandas.DataFrame, title: str, *, limit: int | None = None) -> Table:
    """A DataFrame as a rich table (durations humanised, floats to 3 significant digits)."""
    table = Table(title=title, title_justify="left", title_style="bold")
    for column in frame.columns:
        numeric = frame[column].dtype.kind in "iufm"
        table.add_column(str(column), justify="right" if numeric else "left", overflow="fold")
    shown = frame if limit is None else frame.head(limit)
    for row in shown.itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    if limit is not None and len(frame) > limit:
        table.caption = f"{limit} of {len(frame)} rows"
    return table


def _plain(frame: pandas.DataFrame) -> pandas.DataFrame:
    """Durations as float seconds and times as ISO text, for JSON and CSV."""
    out = frame.copy()
    for column in out.columns:
        kind = out[column].dtype.kind
        if kind == "m":
            out[column] = out[column].dt.total_seconds()
        elif kind == "M":
            out[column] = out[column].map(lambda t: None if t is None or t != t else t.isoformat())
    return out


def _records(frame: pandas.DataFrame) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads(_plain(frame).to_json(orient="records"))
    return records


@click.group(name="history")
def history() -> None:
    """Cross-run analytics: a Parquet warehouse of many runs, and what it says.

    \b
    flowgraph history build "$JENKINS_HOME" warehouse/      # incremental; --workers N for Dask
    flowgraph history report warehouse/ --job team/app --last 50
    flowgraph history sql warehouse/ "select job, count(*) from runs group by job"
    """


@history.command()
@click.argument("source")
@click.argument("warehouse", type=click.Path(file_okay=False, path_type=Path))
@click.option("--workers", type=click.IntRange(min=1), help="Import on a local Dask cluster of N processes.")
@click.option("--scheduler", metavar="ADDR", help="Import on an existing Dask cluster (tcp://host:8786).")
def build(source: str, warehouse: Path, workers: int | None, scheduler: str | None) -> None:
    """Import every run under SOURCE (a JENKINS_HOME, folder, job or build, or a SQL store) into WAREHOUSE.

    Only new, changed and still-running runs are read; damaged runs are recorded (and listed).
    """
    from scanners.history import History

    if workers is not None and scheduler is not None:
        raise click.UsageError("give --workers or --scheduler, not both")
    console = Console(stderr=True, soft_wrap=True)
    with _errors():
        progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]importing[/] {task.fields[counts]}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        with progress:
            task = progress.add_task("import", total=None, counts="")

            def show(report: ImportReport) -> None:
                progress.update(task, counts=_counts(report))

            h = History.build(source, warehouse, workers=workers, scheduler=scheduler, progress=show)
        report = h.report
        assert report is not None
        Console(highlight=False).print(f"{warehouse}: {_counts(report)}")
        if report.failed:
            errors = h.errors
            for row in errors.tail(report.failed).head(10).itertuples(index=False):
                console.print(f"[yellow]damaged:[/] {row.job}#{row.number}: {row.error_type}: {row.message}")


def _counts(report: ImportReport) -> str:
    return f"{report.imported} imported, {report.unchanged} unchanged, {report.failed} failed"


def _answers(h: History, job: str | None, last: int | None, level: str) -> dict[str, pandas.DataFrame]:
    lvl: Any = level
    return {
        "failure_rates": h.failure_rates(lvl, job=job, last=last),
        "slowest": h.slowest(lvl, job=job, last=last),
        "regressions": h.regressions(lvl, job=job),
        "flaky": h.flaky(lvl, job=job),
        "failure_signatures": h.failure_signatures(job=job),
    }


@history.command()
@click.argument("warehouse", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--job", help="One job, or a folder (all its jobs).")
@click.option("--last", type=click.IntRange(min=1), help="Rates and durations over each job's last N runs.")
@click.option("--level", type=click.Choice(["stage", "step"]), default="stage", show_default=True)
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True, help="Rows per table.")
@click.option("--json", "as_json", is_flag=True, help="Print every answer (all rows) as one JSON object.")
@click.option(
    "--csv",
    "csv_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write every answer (all rows) as DIR/<answer>.csv.",
)
def report(
    warehouse: Path, job: str | None, last: int | None, level: str, top: int, as_json: bool, csv_dir: Path | None
) -> None:
    """Failure rates, slowest, regressions, flaky and top error signatures of WAREHOUSE.

    Durations are seconds in JSON and CSV.
    """
    from scanners.history import History

    with _errors():
        answers = _answers(History.open(warehouse), job, last, level)
        if csv_dir is not None:
            csv_dir.mkdir(parents=True, exist_ok=True)
            for name, frame in answers.items():
                _plain(frame).to_csv(csv_dir / f"{name}.csv", index=False)
        if as_json:
            click.echo(json.dumps({name: _records(frame) for name, frame in answers.items()}, indent=1))
        elif csv_dir is None:
            console = Console(highlight=False)
            for name, frame in answers.items():
                console.print(frame_table(frame, name.replace("_", " "), limit=top))


@history.command()
@click.argument("warehouse", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="Print the rows as JSON.")
@click.option("--csv", "as_csv", is_flag=True, help="Print the rows as CSV.")
def sql(warehouse: Path, query: str, as_json: bool, as_csv: bool) -> None:
    """Run a DuckDB QUERY over the tables runs, stages, steps and errors of WAREHOUSE."""
    import duckdb

    from scanners.history import History

    with _errors():
        try:
            frame = History.open(warehouse).sql(query)
        except duckdb.Error as exc:
            Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/] {exc}")
            sys.exit(_EXIT_INPUT)
        if as_json:
            click.echo(json.dumps(_records(frame), indent=1))
        elif as_csv:
            click.echo(_plain(frame).to_csv(index=False), nl=False)
        else:
            Console(highlight=False).print(frame_table(frame, query))
