"""A drawn diff of two runs: the later run's stage graph coloured by what changed, and a table.

:func:`scanners.diff_runs` lists the differences; :func:`diff_view` shows them the way a user
compares a good and a bad build: the second run's stage graph where each stage is coloured by
the most important change to it or to its steps (status, then added, arguments, duration;
unchanged stages in grey, so changes stand out), with a note of what changed in its label; the
stages only the first run had are listed under the graph; then a table of every change. A
:class:`DiffView` displays inline in Jupyter (``_repr_html_``) and :meth:`DiffView.to_html`
writes one self-contained page (the ``flowgraph diff A B -o diff.html`` command).

Examples
--------
>>> from flowgraph import GraphBuilder
>>> def run(fail):
...     b = GraphBuilder(start_ms=0)
...     with b.stage("Build"):
...         _ = b.step("sh", script="make", error="exit 2" if fail else None)
...     return b.build()
>>> view = diff_view(run(False), run(True))
>>> view.paint()["4"].css_class, view.paint()["4"].note
('change-status', 'SUCCESS → FAILURE')
>>> "<table" in view.table_html() and "FAILURE" in view.table_html()
True
"""

from __future__ import annotations

import html
from typing import Any

import graphviz
import pandas as pd

from flowgraph.graph import FlowGraph
from flowgraph.run import Run
from render.engine import Engine, render_dot
from render.model import as_run
from render.stage_graph import StagePaint, stage_graph_dot
from render.style import humanize_ms
from scanners import RunAnalysis, RunDiff, analyze, diff_runs
from scanners.run_rows import iter_stage_paths

__all__ = ["CHANGE_STYLES", "DiffView", "diff_view", "diff_table_html", "change_text"]

CHANGE_STYLES: dict[str, tuple[str, str]] = {
    "status": ("#e6001f", "#fde2e5"),
    "added": ("#0b6aa2", "#dcefff"),
    "arguments": ("#d28c00", "#fff1cc"),
    "duration": ("#7b3fb5", "#efe3fa"),
    "removed": ("#7a7f87", "#eceef0"),
}
"""(border, fill) colour of each change, most important first; unchanged stages are grey."""

_UNCHANGED = StagePaint("#c4c8cc", "#f6f8fa", "", "change-none")
_RANK = {change: rank for rank, change in enumerate(CHANGE_STYLES)}


def change_text(value: Any) -> str:
    """A ``before``/``after`` value as people read it: durations humanised, a dash for nothing.

    >>> change_text(pd.Timedelta(seconds=65)), change_text("FAILURE"), change_text(None) == "\\u2013"
    ('1m 5s', 'FAILURE', True)
    """
    if value is None or (isinstance(value, float) and value != value):
        return "\u2013"
    if isinstance(value, pd.Timedelta):
        return humanize_ms(value / pd.Timedelta(milliseconds=1))
    return str(value)


def _note(rows: list[tuple[str, str, Any, Any]], own: bool) -> str:
    """What changed, for a stage's label: its own change in words, else a count of step changes."""
    if own:
        change, _, before, after = min(rows, key=lambda row: _RANK[row[0]])
        if change in ("status", "duration"):
            return f"{change_text(before)} \u2192 {change_text(after)}"
        return change
    return f"{len(rows)} step change{'s' if len(rows) != 1 else ''}"


class DiffView:
    """A diff of two runs ready to show: its stage graph paint, SVG, table and page.

    Attributes
    ----------
    diff
        The :class:`scanners.RunDiff`.
    after
        The analysis of the second run (the graph is drawn from it).
    title
        A caption for the picture and the page.
    """

    __slots__ = ("_svg", "after", "diff", "title")

    def __init__(self, diff: RunDiff, after: RunAnalysis, title: str | None = None) -> None:
        self.diff = diff
        self.after = after
        self.title = title
        self._svg: str | None = None

    @property
    def changes(self) -> pd.DataFrame:
        return self.diff.changes

    def paint(self) -> dict[str, StagePaint]:
        """Per stage id of the second run, how to draw it (see :data:`CHANGE_STYLES`)."""
        by_stage: dict[str, list[tuple[str, str, Any, Any]]] = {}
        own: dict[str, bool] = {}
        for stage_path, kind, change, before, after in zip(
            self.changes["stage_path"],
            self.changes["kind"],
            self.changes["change"],
            self.changes["before"],
            self.changes["after"],
            strict=True,
        ):
            if change == "removed":
                continue  # not in the second run's graph
            by_stage.setdefault(stage_path, []).append((change, kind, before, after))
            if kind == "stage":
                own[stage_path] = True
        painted: dict[str, StagePaint] = {}
        for stage, path in iter_stage_paths(self.after.stages):
            rows = by_stage.get(path)
            if not rows:
                painted[stage.id] = _UNCHANGED
                continue
            is_own = own.get(path, False)
            # A stage's own change outranks changes of its steps; among them, the table's order.
            candidates = [row for row in rows if row[1] == "stage"] if is_own else rows
            change = min((row[0] for row in candidates), key=_RANK.__getitem__)
            border, fill = CHANGE_STYLES[change]
            if not is_own:
                fill = "#ffffff"  # only steps inside changed: the border tells which change
            painted[stage.id] = StagePaint(border, fill, _note(candidates, is_own), f"change-{change}")
        return painted

    def removed_stages(self) -> list[str]:
        """Paths of the stages only the first run had."""
        changes = self.changes
        picked = changes[(changes["kind"] == "stage") & (changes["change"] == "removed")]
        return [str(path) for path in picked["path"]]

    def dot(self) -> graphviz.Digraph:
        """The second run's stage graph, coloured by change."""
        return stage_graph_dot(self.after, paint=self.paint(), title=self.title)

    def svg(self, *, engine: Engine | str | None = None) -> str:
        """The coloured stage graph as SVG text (computed once)."""
        if self._svg is None:
            self._svg = render_dot(self.dot().source, "svg", engine=engine).decode("utf-8")
        return self._svg

    def table_html(self) -> str:
        """Every change as an HTML table (see :func:`diff_table_html`)."""
        return diff_table_html(self.diff)

    def _repr_html_(self) -> str:
        from render.html import svg_fragment

        removed = self.removed_stages()
        gone = f'<div class="fg-removed">Removed stages: {html.escape(", ".join(removed))}</div>' if removed else ""
        counts = ", ".join(f"{count} {name}" for name, count in self.diff.counts().items() if count)
        summary = f"<div><b>{len(self.diff)} changes</b>{': ' + html.escape(counts) if counts else ''}</div>"
        return f'<div class="flowgraph-diff">{summary}{svg_fragment(self.svg())}{gone}{self.table_html()}</div>'

    def to_html(self) -> str:
        """One self-contained page (no external resources) with the graph and the table."""
        title = html.escape(self.title or "Run diff")
        return (
            f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f"<style>{_CSS}</style></head><body><h1>{title}</h1>{self._repr_html_()}</body></html>\n"
        )

    def __repr__(self) -> str:
        return f"DiffView({self.diff!r})"


_CSS = (
    "body{font-family:Helvetica,Arial,sans-serif;margin:16px;color:#1b1f23}"
    "table.fg-diff{border-collapse:collapse;margin-top:12px}"
    "table.fg-diff td,table.fg-diff th{border-bottom:1px solid #d0d7de;padding:3px 10px;text-align:left}"
    ".fg-removed{margin:6px 0;color:#7a7f87}"
)


def diff_table_html(diff: RunDiff) -> str:
    """The changes of a :class:`~scanners.RunDiff` as an HTML table, each change on its colour.

    >>> from flowgraph import GraphBuilder
    >>> b = GraphBuilder()
    >>> with b.stage("Build"):
    ...     _ = b.step("sh", script="make")
    >>> run = b.build()
    >>> "no changes" in diff_table_html(diff_runs(run, run))
    True
    """
    if len(diff) == 0:
        return '<p class="fg-diff-empty">The runs have the same stages and steps: no changes.</p>'
    rows = []
    for path, kind, change, before, after in zip(
        diff.changes["path"],
        diff.changes["kind"],
        diff.changes["change"],
        diff.changes["before"],
        diff.changes["after"],
        strict=True,
    ):
        border, fill = CHANGE_STYLES.get(change, ("#7a7f87", "#eceef0"))
        badge = (
            f'<span style="background:{fill};color:{border};border:1px solid {border};border-radius:8px;'
            f'padding:0 6px">{html.escape(change)}</span>'
        )
        rows.append(
            f'<tr class="change-{html.escape(change)}"><td>{html.escape(str(path))}</td><td>{kind}</td>'
            f"<td>{badge}</td><td>{html.escape(change_text(before))}</td><td>{html.escape(change_text(after))}</td></tr>"
        )
    head = "<tr><th>path</th><th>kind</th><th>change</th><th>before</th><th>after</th></tr>"
    return f'<table class="fg-diff"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


def diff_view(
    run_a: FlowGraph | Run | RunAnalysis,
    run_b: FlowGraph | Run | RunAnalysis,
    *,
    title: str | None = None,
    **options: Any,
) -> DiffView:
    """Compare two runs (``options`` as for :func:`scanners.diff_runs`) and get a :class:`DiffView`.

    Each run is analysed once; the view draws the second run's stage graph.
    """
    before = run_a if isinstance(run_a, RunAnalysis) else analyze(as_run(run_a))
    after = run_b if isinstance(run_b, RunAnalysis) else analyze(as_run(run_b))
    return DiffView(diff_runs(before, after, **options), after, title)
