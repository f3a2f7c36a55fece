"""``flowgraph list STORE``: the runs of a JENKINS_HOME or SQL store, one line each.

Reads only what each run's record says (``build.xml`` or the SQL execution row), never a
flow graph, so a home with thousands of builds lists in a moment and a damaged run is a row
that names its problem. ``--json`` and ``--csv`` print the same facts for programs.
"""

from __future__ import annotations

import click
from rich.table import Table
from rich.text import Text

from flowgraph.errors import FlowGraphError

__all__ = ["list_runs"]

_RESULT_COLOURS = {"SUCCESS": "green", "UNSTABLE": "yellow", "FAILURE": "red", "ABORTED": "bright_black"}


@click.command(name="list")
@click.argument("store")
@click.option("--job", "jobs", multiple=True, help="Only these jobs (full names, e.g. folder/app); repeatable.")
@click.option("--last", type=click.IntRange(min=1), help="Only the newest N runs of each job.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (a list of runs) instead of a table.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV instead of a table.")
def list_runs(store: str, jobs: tuple[str, ...], last: int | None, as_json: bool, as_csv: bool) -> None:
    """List the runs in STORE: a JENKINS_HOME (or folder, job, build directory) or a SQL URL / .db file.

    \b
    Columns: job, build number, result, start (UTC), duration. A run whose record cannot be
    read is listed with its error (and the exit code is still 0).
    """
    from render.catalog import catalog, last_per_job
    from render.cli_output import console, write_records
    from render.style import humanize_ms

    if as_json and as_csv:
        raise click.UsageError("give --json or --csv, not both")
    try:
        entries = catalog(store)
    except FlowGraphError as exc:
        console(stderr=True).print(f"[bold red]error:[/] {exc}")
        raise SystemExit(1) from exc
    if jobs:
        entries = [e for e in entries if e.job in jobs]
    entries = last_per_job(entries, last)
    if as_json or as_csv:
        write_records([e.as_dict() for e in entries], "json" if as_json else "csv")
        return
    from render.catalog import job_headings

    headings = job_headings((e.job, e.home) for e in entries)
    table = Table(header_style="bold", caption=None if entries else "(no runs)")
    table.add_column("Job")
    table.add_column("#", justify="right")
    table.add_column("Result")
    table.add_column("Started (UTC)")
    table.add_column("Duration", justify="right")
    for entry in entries:
        if entry.error is not None:
            result = Text("damaged: " + entry.error, style="red")
        elif entry.result is not None:
            result = Text(entry.result, style=_RESULT_COLOURS.get(entry.result, ""))
        else:
            result = Text("running" if entry.running else "unknown", style="blue")
        started = entry.as_dict()["start"] or ""
        table.add_row(
            headings[(entry.job, entry.home)],
            "" if entry.number is None else str(entry.number),
            result,
            started.replace("T", " ").rstrip("Z"),
            humanize_ms(entry.duration_ms) if entry.duration_ms is not None else "",
        )
    console().print(table)
