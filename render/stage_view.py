"""The stage view across runs: a runs x stages grid, as Jenkins' classic Stage View shows it.

Each row is a run (newest first), each column a stage, and each cell the stage's duration on
its status colour; the header row gives every stage's average time over the runs shown, and
each run's label its total time. Unlike Jenkins' Stage View, parallel branches and nested
stages can get their own columns (``depth``, one level down by default), named
``Parent \u203a Child``. A stage a run did not have leaves its cell empty.

The grid is built once (:class:`StageGrid`) and written as SVG (:func:`stage_view_svg`, no
Graphviz needed) or as a self-contained HTML table (:func:`stage_view_html`).

Examples
--------
>>> from flowgraph import GraphBuilder, Result
>>> def run(fail: bool):
...     b = GraphBuilder(start_ms=0, step_ms=1000)
...     with b.stage("Build"):
...         _ = b.step("sh", script="make")
...     with b.stage("Test"), b.catch_error(stage_result=Result.FAILURE):
...         _ = b.step("sh", script="pytest", error="exit 1" if fail else None)
...     return b.build()
>>> grid = StageGrid([run(False), run(True)])
>>> [c.name for c in grid.columns], [r.label for r in grid.rows]
(['Build', 'Test'], ['run 2', 'run 1'])
>>> [(cell.state, cell.duration_ms) for cell in grid.rows[0].cells]
[('success', 3000), ('failure', 7000)]
>>> grid.averages
[3000, 7000]
"""

from __future__ import annotations

import datetime as _dt
import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from lxml import etree

from flowgraph.errors import RenderError
from flowgraph.graph import FlowGraph
from flowgraph.run import Run
from render.model import as_run
from render.stage_graph import stage_state
from render.style import CSS_VARIABLES, STATES, humanize_ms, state_name
from scanners import RunAnalysis, StageNode, analyze

__all__ = [
    "StageGrid",
    "GridColumn",
    "GridRow",
    "GridCell",
    "RunFailure",
    "stage_view_svg",
    "stage_view_html",
    "stage_views_svg",
    "stage_views_html",
]

_SVG = "http://www.w3.org/2000/svg"


@dataclass(slots=True)
class GridColumn:
    """One column: a stage (or branch) path, its display name and its average duration."""

    path: tuple[str, ...]
    name: str
    depth: int


@dataclass(slots=True)
class GridCell:
    """One stage in one run (``state`` is ``None`` when the run had no such stage)."""

    state: str | None = None
    duration_ms: int | None = None
    node_id: str | None = None
    error: str | None = None

    @property
    def text(self) -> str:
        if self.state is None:
            return ""
        if self.state in ("skipped", "not_built"):
            return STATES[self.state].label
        return humanize_ms(self.duration_ms)


@dataclass(slots=True)
class GridRow:
    """One run: its label, start, total duration, overall state and one cell per column.

    ``error`` names what was wrong with a run that could not be read (its cells stay empty).
    """

    label: str
    start_ms: int | None
    duration_ms: int | None
    state: str
    cells: list[GridCell] = field(default_factory=list)
    error: str | None = None

    @property
    def started(self) -> str:
        if self.start_ms is None:
            return ""
        moment = _dt.datetime.fromtimestamp(self.start_ms / 1000, tz=_dt.UTC)
        return moment.strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True, slots=True)
class RunFailure:
    """A run that could not be loaded: the stage view shows it as a row naming ``error``."""

    label: str
    error: str
    start_ms: int | None = None


def _analysis(item: FlowGraph | Run | RunAnalysis | RunFailure) -> RunAnalysis | RunFailure:
    if isinstance(item, RunFailure | RunAnalysis):
        return item
    return analyze(as_run(item))


def _place(stage: StageNode, seen: dict[str, int]) -> str:
    """A stage's key among its siblings: its name, numbered from the second stage of that name on."""
    count = seen.get(stage.name, 0) + 1
    seen[stage.name] = count
    return stage.name if count == 1 else f"{stage.name} ({count})"


class StageGrid:
    """The runs x stages grid behind the stage view.

    Parameters
    ----------
    runs
        Runs (or graphs, or analyses), oldest first; rows are listed newest first, as Jenkins does.
    depth
        How many levels below the top-level stages get their own columns (0: top level only).
    labels
        Row labels, one per run; by default ``name #number`` when the run knows them, else ``run N``.
    """

    __slots__ = ("averages", "columns", "rows")

    def __init__(
        self,
        runs: Iterable[FlowGraph | Run | RunAnalysis | RunFailure],
        *,
        depth: int = 1,
        labels: Sequence[str] | None = None,
    ) -> None:
        analyses = [_analysis(r) for r in runs]
        if labels is not None and len(labels) != len(analyses):
            raise RenderError(f"the stage view got {len(labels)} row labels for {len(analyses)} runs; give one per run")
        columns: dict[tuple[str, ...], GridColumn] = {}
        per_run: list[dict[tuple[str, ...], StageNode]] = []
        for analysis in analyses:
            found: dict[tuple[str, ...], StageNode] = {}
            per_run.append(found)
            if isinstance(analysis, RunFailure):
                continue
            # Keyed by place (the path of names, same-named siblings numbered), never by name alone.
            top: dict[str, int] = {}
            stack: list[tuple[StageNode, tuple[str, ...]]] = [(s, (_place(s, top),)) for s in analysis.stages]
            stack.reverse()
            while stack:
                node, path = stack.pop()
                if path not in columns:
                    columns[path] = GridColumn(path, " \u203a ".join(path), len(path) - 1)
                found[path] = node
                if len(path) <= depth:
                    seen: dict[str, int] = {}
                    children = [(c, (*path, _place(c, seen))) for c in node.children]
                    stack.extend(reversed(children))
        self.columns = _ordered(list(columns.values()))
        self.rows: list[GridRow] = []
        for index, (analysis, found) in enumerate(zip(analyses, per_run, strict=True)):
            if isinstance(analysis, RunFailure):
                label = labels[index] if labels is not None else analysis.label
                row = GridRow(label, analysis.start_ms, None, "unknown", error=analysis.error)
                row.cells = [GridCell() for _ in self.columns]
                self.rows.append(row)
                continue
            run = analysis.run
            if labels is not None:
                label = labels[index]
            elif run.name is not None or run.number is not None:
                label = f"{run.name or ''} #{run.number}" if run.number is not None else str(run.name)
            else:
                label = f"run {index + 1}"
            timing = analysis.timing
            row = GridRow(label.strip(), timing.start_ms, timing.total_ms, state_name(analysis.status))
            for column in self.columns:
                stage = found.get(column.path)
                if stage is None:
                    row.cells.append(GridCell())
                    continue
                errors = [s.error for s in stage.steps if s.error]
                row.cells.append(
                    GridCell(stage_state(stage), stage.duration_ms, stage.id, errors[-1] if errors else None)
                )
            self.rows.append(row)
        self.rows.reverse()
        self.averages: list[int | None] = []
        for position in range(len(self.columns)):
            durations = [
                duration
                for r in self.rows
                if (duration := r.cells[position].duration_ms) is not None
                and r.cells[position].state not in ("skipped", "not_built")
            ]
            self.averages.append(sum(durations) // len(durations) if durations else None)

    @property
    def average_run_ms(self) -> int | None:
        """Jenkins' "average full run time" over the finished runs shown."""
        durations = [
            d for r in self.rows if (d := r.duration_ms) is not None and r.state != "running" and r.error is None
        ]
        return sum(durations) // len(durations) if durations else None


def _ordered(columns: list[GridColumn]) -> list[GridColumn]:
    """Children right after their parent, in first-seen order (stable across runs)."""
    position = {c.path: i for i, c in enumerate(columns)}
    return sorted(columns, key=lambda c: tuple(position[c.path[: k + 1]] for k in range(len(c.path))))


# -- SVG -----------------------------------------------------------------------------------

_ROW_LABEL_WIDTH = 170
_CELL_WIDTH = 112
_HEADER_HEIGHT = 58
_ROW_HEIGHT = 40


def stage_view_svg(runs: Iterable[FlowGraph | Run | RunAnalysis | RunFailure] | StageGrid, **options: object) -> str:
    """The stage view as a standalone SVG document (``options`` as for :class:`StageGrid`)."""
    grid = runs if isinstance(runs, StageGrid) else StageGrid(runs, **options)  # type: ignore[arg-type]
    return etree.tostring(_grid_svg(grid), encoding="unicode")


def stage_views_svg(grids: Sequence[tuple[str, StageGrid]], *, title: str | None = None) -> str:
    """Several stage views (one per job) in one SVG document, each under its own heading."""
    if len(grids) == 1 and title is None:
        return etree.tostring(_grid_svg(grids[0][1]), encoding="unicode")
    parts = [(heading, _grid_svg(grid)) for heading, grid in grids]
    y = 36 if title else 8
    width = max([int(part.get("width", "0")) for _, part in parts] + [400])
    outer = etree.Element(
        f"{{{_SVG}}}svg",
        nsmap={None: _SVG},  # type: ignore[dict-item]
        attrib={"class": "fg-stage-views", "font-family": "Helvetica,Arial,sans-serif", "font-size": "12"},
    )
    if title:
        _text(outer, 8, 24, title, weight="bold", size=18)
    for heading, part in parts:
        _text(outer, 8, y + 18, heading, weight="bold", size=15)
        part.set("x", "0")
        part.set("y", str(y + 28))
        outer.append(part)
        y += 28 + int(part.get("height", "0")) + 16
    outer.set("width", str(width))
    outer.set("height", str(y))
    outer.set("viewBox", f"0 0 {width} {y}")
    return etree.tostring(outer, encoding="unicode")


def _grid_svg(grid: StageGrid) -> etree._Element:
    # A damaged run's message gets room for a readable line even in a grid with few stages.
    damaged_span = _CELL_WIDTH * max(1, len(grid.columns), 5 if any(r.error for r in grid.rows) else 1)
    width = _ROW_LABEL_WIDTH + damaged_span + 2
    height = _HEADER_HEIGHT + _ROW_HEIGHT * len(grid.rows) + 2
    svg = etree.Element(
        f"{{{_SVG}}}svg",
        nsmap={None: _SVG},  # type: ignore[dict-item]
        width=str(width),
        height=str(height),
        viewBox=f"0 0 {width} {height}",
        attrib={"class": "fg-stage-view", "font-family": "Helvetica,Arial,sans-serif", "font-size": "12"},
    )
    _text(svg, 8, 20, "Average stage times:", weight="bold")
    average = grid.average_run_ms
    if average is not None:
        _text(svg, 8, 40, f"(full run: ~{humanize_ms(average)})", fill="#57606a")
    for position, column in enumerate(grid.columns):
        x = _ROW_LABEL_WIDTH + position * _CELL_WIDTH
        group = etree.SubElement(svg, f"{{{_SVG}}}g", attrib={"class": "fg-column"})
        group.set("data-stage", column.name)
        _rect(group, x, 0, _CELL_WIDTH, _HEADER_HEIGHT, "#f6f8fa", "#d0d7de")
        name = column.path[-1] if column.depth else column.name
        if column.depth:
            _text(group, x + 6, 14, " \u203a ".join(column.path[:-1]) + " \u203a", fill="#57606a", size=10)
        _text(group, x + 6, 32, _fit(name, _CELL_WIDTH), weight="bold")
        _text(group, x + 6, 50, humanize_ms(grid.averages[position]) or "", fill="#57606a")
        etree.SubElement(group, f"{{{_SVG}}}title").text = column.name
    for row_index, row in enumerate(grid.rows):
        y = _HEADER_HEIGHT + row_index * _ROW_HEIGHT
        group = etree.SubElement(svg, f"{{{_SVG}}}g", attrib={"class": f"fg-run state-{row.state}"})
        _rect(group, 0, y, _ROW_LABEL_WIDTH, _ROW_HEIGHT, STATES[row.state].light, "#d0d7de")
        _text(group, 8, y + 16, _fit(row.label, _ROW_LABEL_WIDTH), weight="bold")
        _text(group, 8, y + 32, f"{row.started}  {humanize_ms(row.duration_ms)}".strip(), fill="#57606a", size=10)
        if row.error is not None:
            span = damaged_span
            box = etree.SubElement(group, f"{{{_SVG}}}g", attrib={"class": "fg-cell fg-damaged"})
            _rect(box, _ROW_LABEL_WIDTH, y, span, _ROW_HEIGHT, "#fff8c5", "#d0d7de")
            _text(box, _ROW_LABEL_WIDTH + 8, y + 25, _fit(f"\u26a0 cannot be read: {row.error}", span), fill="#7d4e00")
            etree.SubElement(box, f"{{{_SVG}}}title").text = f"{row.label}: cannot be read: {row.error}"
            continue
        for position, cell in enumerate(row.cells):
            x = _ROW_LABEL_WIDTH + position * _CELL_WIDTH
            state = cell.state
            classes = f"fg-cell state-{state}" if state is not None else "fg-cell fg-empty"
            box = etree.SubElement(group, f"{{{_SVG}}}g", attrib={"class": classes})
            if state is None:
                _rect(box, x, y, _CELL_WIDTH, _ROW_HEIGHT, "#ffffff", "#d0d7de")
                continue
            style = STATES[state]
            _rect(box, x, y, _CELL_WIDTH, _ROW_HEIGHT, style.light, "#d0d7de")
            etree.SubElement(
                box, f"{{{_SVG}}}rect", x=str(x), y=str(y), width="4", height=str(_ROW_HEIGHT), fill=style.fill
            )
            _text(box, x + _CELL_WIDTH // 2, y + 25, cell.text, anchor="middle", fill=style.fill, weight="bold")
            title = f"{grid.columns[position].name}: {style.label} {cell.text}".strip()
            if cell.error:
                title += f"\n{cell.error}"
            etree.SubElement(box, f"{{{_SVG}}}title").text = title
    return svg


def _fit(text: str, width: int) -> str:
    limit = max(4, width // 7 - 1)
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _rect(parent: etree._Element, x: int, y: int, w: int, h: int, fill: str, stroke: str) -> None:
    etree.SubElement(
        parent,
        f"{{{_SVG}}}rect",
        x=str(x),
        y=str(y),
        width=str(w),
        height=str(h),
        fill=fill,
        stroke=stroke,
    )


def _text(
    parent: etree._Element,
    x: int,
    y: int,
    text: str,
    *,
    anchor: str = "start",
    fill: str = "#1b1f23",
    weight: str = "normal",
    size: int = 12,
) -> None:
    element = etree.SubElement(
        parent,
        f"{{{_SVG}}}text",
        x=str(x),
        y=str(y),
        fill=fill,
        attrib={"text-anchor": anchor, "font-weight": weight, "font-size": str(size)},
    )
    element.text = text


# -- HTML ----------------------------------------------------------------------------------

_CSS = """
:root {
%s
}
body { font-family: Helvetica, Arial, sans-serif; margin: 16px; color: #1b1f23; }
table.fg-stage-view { border-collapse: collapse; font-size: 13px; }
.fg-stage-view th, .fg-stage-view td { border: 1px solid #d0d7de; padding: 6px 10px; min-width: 90px; }
.fg-stage-view thead th { background: #f6f8fa; text-align: left; vertical-align: bottom; }
.fg-stage-view .fg-parent { display: block; color: #57606a; font-weight: normal; font-size: 11px; }
.fg-stage-view .fg-avg { display: block; color: #57606a; font-weight: normal; }
.fg-stage-view th.fg-run { text-align: left; white-space: nowrap; }
.fg-stage-view .fg-when { display: block; color: #57606a; font-weight: normal; font-size: 11px; }
.fg-stage-view td.fg-cell { text-align: center; font-weight: bold; }
.fg-stage-view td.fg-damaged { background: #fff8c5; color: #7d4e00; text-align: left; font-weight: normal; }
h2.fg-job { font-size: 17px; margin: 22px 0 8px; }
""".strip()


def _state_css() -> str:
    lines = []
    for name in STATES:
        lines.append(
            f".fg-stage-view .state-{name} {{ background: var(--bg-{name}); color: var(--fg-{name}); "
            f"box-shadow: inset 4px 0 0 var(--fg-{name}); }}"
        )
    return "\n".join(lines)


def stage_view_table(grid: StageGrid) -> str:
    """The stage view's ``<table>`` element alone (to embed in other pages)."""
    esc = html.escape
    out = ['<table class="fg-stage-view">', "<thead><tr>"]
    average = grid.average_run_ms
    average_text = f'<span class="fg-avg">full run ~{esc(humanize_ms(average))}</span>' if average is not None else ""
    out.append(f'<th scope="col">Average stage times{average_text}</th>')
    for position, column in enumerate(grid.columns):
        arrow = " \u203a "
        parent = f'<span class="fg-parent">{esc(arrow.join(column.path[:-1]))}{arrow}</span>' if column.depth else ""
        avg = humanize_ms(grid.averages[position])
        out.append(
            f'<th scope="col" data-stage="{esc(column.name)}">{parent}{esc(column.path[-1])}'
            f'<span class="fg-avg">{esc(avg)}</span></th>'
        )
    out.append("</tr></thead><tbody>")
    for row in grid.rows:
        when = f"{row.started} {humanize_ms(row.duration_ms)}".strip()
        out.append(
            f'<tr><th scope="row" class="fg-run state-{row.state}">{esc(row.label)}'
            f'<span class="fg-when">{esc(when)}</span></th>'
        )
        if row.error is not None:
            out.append(
                f'<td class="fg-cell fg-damaged" colspan="{max(1, len(grid.columns))}">'
                f"\u26a0 cannot be read: {esc(row.error)}</td></tr>"
            )
            continue
        for position, cell in enumerate(row.cells):
            if cell.state is None:
                out.append('<td class="fg-cell fg-empty"></td>')
                continue
            title = f"{grid.columns[position].name}: {STATES[cell.state].label} {cell.text}".strip()
            if cell.error:
                title += f" — {cell.error}"
            out.append(
                f'<td class="fg-cell state-{cell.state}" title="{esc(title)}" data-node="{esc(cell.node_id or "")}">'
                f"{esc(cell.text)}</td>"
            )
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def stage_views_html(grids: Sequence[tuple[str, StageGrid]], *, title: str = "Stage view") -> str:
    """Several stage views (one per job) on one self-contained page, each under its job's heading."""
    css = _CSS % CSS_VARIABLES + "\n" + _state_css()
    sections = "".join(
        f'<section class="fg-job"><h2 class="fg-job">{html.escape(heading)}</h2>{stage_view_table(grid)}</section>'
        for heading, grid in grids
    )
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>\n{css}\n</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{sections}</body></html>\n"
    )


def stage_view_html(
    runs: Iterable[FlowGraph | Run | RunAnalysis | RunFailure] | StageGrid,
    *,
    title: str = "Stage view",
    **options: object,
) -> str:
    """The stage view as one self-contained HTML page (inline CSS, no scripts, no network)."""
    grid = runs if isinstance(runs, StageGrid) else StageGrid(runs, **options)  # type: ignore[arg-type]
    css = _CSS % CSS_VARIABLES + "\n" + _state_css()
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>\n{css}\n</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{stage_view_table(grid)}</body></html>\n"
    )
