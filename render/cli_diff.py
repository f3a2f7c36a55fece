"""``flowgraph diff A B``: what changed between two runs, as a table, JSON, or a coloured page.

A and B are runs in any form ``flowgraph`` reads (a Jenkins build directory, a flowgraph JSON
file, a SQL URL with ``#<run id>``…); A is the earlier ("good") run, B the later one. The
command prints every change (stage and step added, removed, or changed status, duration or
arguments; see :func:`scanners.diff_runs`) and, with ``--critical-path``, the chain of steps
that set B's duration. ``-o diff.html`` writes B's stage graph coloured by change plus the
table (``.svg``: the graph alone). Exit codes are the ``flowgraph`` command's: 0 done (whether
or not the runs differ), 1 an input is wrong or damaged, 2 a wrong command line.

Examples
--------
>>> from click.testing import CliRunner
>>> CliRunner().invoke(diff_command, ["--help"]).exit_code
0
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import pandas as pd
from rich.console import Console
from rich.table import Table
from rich.text import Text

from flowgraph.errors import EngineNotFoundError, FlowGraphError
from render.diff import CHANGE_STYLES, DiffView, change_text, diff_view
from render.sources import open_run
from render.style import humanize_ms
from scanners import critical_path

__all__ = ["diff_command", "diff_table"]

_EXIT_INPUT, _EXIT_MISSING = 1, 3  # as render.cli's EXIT_INPUT / EXIT_MISSING


@contextmanager
def _reported() -> Iterator[None]:
    """Library errors as one line on stderr and the command's exit codes (no traceback)."""
    try:
        yield
    except EngineNotFoundError as exc:
        Console(stderr=True, highlight=False).print(f"[bold red]error:[/] {exc}")
        sys.exit(_EXIT_MISSING)
    except FlowGraphError as exc:
        Console(stderr=True, highlight=False).print(f"[bold red]error:[/] {exc}")
        sys.exit(_EXIT_INPUT)


def _json_value(value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, pd.Timedelta):
        return int(value / pd.Timedelta(milliseconds=1))  # milliseconds, as everywhere in flowgraph
    return value


def _critical_rows(path: pd.DataFrame) -> list[tuple[str, str, int | None, int | None]]:
    """(path, function name, start epoch ms, duration ms) of each critical step; None where unknown."""
    starts = (path["start"] - pd.Timestamp(0, tz="UTC")).dt.total_seconds() * 1000
    durations = path["duration"].dt.total_seconds() * 1000
    return [
        (str(p), str(f), None if pd.isna(s) else round(s), None if pd.isna(d) else round(d))
        for p, f, s, d in zip(path["path"], path["function_name"], starts, durations, strict=True)
    ]


def diff_table(view: DiffView, *, title: str | None = None) -> Table:
    """The changes as a rich Table (path, kind, change, before, after), each change in its colour."""
    table = Table(title=title, title_justify="left")
    for column in ("path", "kind", "change", "before", "after"):
        table.add_column(column, overflow="fold")
    changes = view.changes
    for path, kind, change, before, after in zip(
        changes["path"], changes["kind"], changes["change"], changes["before"], changes["after"], strict=True
    ):
        colour = CHANGE_STYLES.get(change, ("#7a7f87", ""))[0]
        table.add_row(str(path), kind, Text(change, style=f"bold {colour}"), change_text(before), change_text(after))
    return table


@click.command(name="diff")
@click.argument("run_a")
@click.argument("run_b")
@click.option(
    "--ratio",
    type=click.FloatRange(min=1.0),
    default=1.5,
    show_default=True,
    help="A duration change is this many times longer or shorter…",
)
@click.option(
    "--min-delta",
    "min_delta_ms",
    type=click.IntRange(min=0),
    default=1000,
    show_default=True,
    help="…and at least this many milliseconds apart.",
)
@click.option("--critical-path", "show_critical", is_flag=True, help="Also list the steps that set B's duration.")
@click.option("--json", "as_json", is_flag=True, help="Print the changes as JSON (durations in ms).")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write B's stage graph coloured by change: .html (with the table) or .svg.",
)
def diff_command(
    run_a: str,
    run_b: str,
    ratio: float,
    min_delta_ms: int,
    show_critical: bool,
    as_json: bool,
    output: Path | None,
) -> None:
    """Show what changed from run RUN_A to run RUN_B: stages and steps added, removed, or changed
    in status, duration or arguments (aligned by stage path and step).

    \b
    RUN_A and RUN_B are runs as for `flowgraph info`: a Jenkins build directory, a flowgraph
    .json file, a flowNodeStore.xml or workflow directory, or a SQL URL/.db file (#<run id>).
    """
    console = Console(highlight=False, soft_wrap=False)
    with _reported():
        before, after = open_run(run_a), open_run(run_b)
        view = diff_view(before, after, ratio=ratio, min_delta_ms=min_delta_ms, title=f"{run_a} \u2192 {run_b}")
        if output is not None:
            if output.suffix.lower() == ".svg":
                output.write_text(view.svg(), encoding="utf-8")
            else:
                output.write_text(view.to_html(), encoding="utf-8")
        path = critical_path(view.after) if show_critical else None
        steps = _critical_rows(path) if path is not None else []
        if as_json:
            records = [
                {key: _json_value(value) for key, value in row.items()}
                for row in view.changes[["path", "kind", "change", "before", "after"]].to_dict("records")
            ]
            payload: dict[str, Any] = {"changes": records, "counts": view.diff.counts()}
            if path is not None:
                payload["critical_path"] = [
                    {"path": p, "function_name": f, "start_ms": s, "duration_ms": d} for p, f, s, d in steps
                ]
            click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
            return
        counts = ", ".join(f"{count} {name}" for name, count in view.diff.counts().items() if count)
        if len(view.diff) == 0:
            console.print("No changes: the runs have the same stages and steps.")
        else:
            console.print(diff_table(view, title=f"{len(view.diff)} changes ({counts})"))
        if path is not None:
            table = Table(title="Critical path of B", title_justify="left")
            for column in ("path", "start", "duration"):
                table.add_column(column, overflow="fold")
            origin = after.start_ms
            for step_path, _, start, duration in steps:
                offset = "\u2013" if start is None or origin is None else "+" + humanize_ms(start - origin)
                table.add_row(step_path, offset, humanize_ms(duration))
            console.print(table)
        if output is not None:
            console.print(f"Wrote {output}")
