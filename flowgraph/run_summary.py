"""A run's summary for people: the facts a notebook shows for a :class:`~flowgraph.Run`.

:mod:`flowgraph` draws nothing (pictures live in :mod:`render`, which imports this package, not
the other way round), but a run should still say what it is as soon as it is loaded, so
``Run`` has ``_repr_html_`` and ``_repr_markdown_`` built from :func:`summary_rows`: the job
and build, result, start (UTC), duration, size, heads and any damage found while loading.
``import render`` then replaces the HTML with the run's stage graph.

Examples
--------
>>> from flowgraph import GraphBuilder
>>> run = GraphBuilder(start_ms=1_700_000_000_000, step_ms=1500).build()
>>> dict(summary_rows(run))["Started"]
'2023-11-14 22:13:20 UTC'
>>> dict(summary_rows(run))["Duration"]
'3s'
"""

from __future__ import annotations

import datetime as _dt
import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flowgraph.run import Run

__all__ = ["summary_rows", "summary_html", "summary_markdown", "format_duration"]


def format_duration(ms: int) -> str:
    """``1h 2m``, ``3m 4s``, ``5.2s`` or ``80ms``: the two largest units, as Jenkins shows durations."""
    if ms < 1000:
        return f"{ms}ms"
    if ms < 10_000:
        text = f"{ms / 1000:.1f}".rstrip("0").rstrip(".")
        return f"{text}s"
    seconds = ms // 1000
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    first = next(i for i, (value, _) in enumerate(parts) if value)
    return " ".join(f"{value}{unit}" for value, unit in parts[first : first + 2])


def summary_rows(run: Run) -> list[tuple[str, str]]:
    """Label and text pairs describing the run (no value is ever shown as ``None``)."""
    rows: list[tuple[str, str]] = []
    if run.name is not None:
        rows.append(("Run", f"{run.name} #{run.number}" if run.number is not None else run.name))
    if run.result is not None:
        rows.append(("Result", run.result.name + (" (still running)" if run.running else "")))
    else:
        rows.append(("Result", "still running" if run.running else "no result recorded"))
    if run.start_ms is not None:
        started = _dt.datetime.fromtimestamp(run.start_ms / 1000, tz=_dt.UTC)
        rows.append(("Started", started.strftime("%Y-%m-%d %H:%M:%S UTC")))
    if run.duration_ms is not None and not run.running:
        rows.append(("Duration", format_duration(run.duration_ms)))
    rows.append(("Flow nodes", str(len(run.graph))))
    heads = run.graph.head_ids
    rows.append(("Head node ids", ", ".join(heads) if heads else "none"))
    if run.pending_input:
        rows.append(("Waiting", "for an input step's answer"))
    problems = run.metadata.get("corruption") or []
    if problems:
        rows.append(("Damaged", f"{len(problems)} problem(s), loaded with stand-ins: {problems[0]}"))
    return rows


def summary_html(run: Run) -> str:
    """The summary as a small HTML table (for Jupyter's ``_repr_html_``)."""
    cells = "".join(
        f'<tr><th style="text-align:left;padding-right:12px">{html.escape(k)}</th><td>{html.escape(v)}</td></tr>'
        for k, v in summary_rows(run)
    )
    hint = '<p style="color:#57606a;font-size:12px">import render to draw its stages and nodes</p>'
    return f'<table class="fg-run-summary">{cells}</table>{hint}'


def summary_markdown(run: Run) -> str:
    """The summary as a Markdown table (for ``_repr_markdown_``)."""
    lines = ["| | |", "|---|---|"]
    bar, escaped = "|", "\\|"
    lines.extend(f"| **{k}** | {v.replace(bar, escaped)} |" for k, v in summary_rows(run))
    return "\n".join(lines)
