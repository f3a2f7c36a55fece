"""A timeline (Gantt chart) of a run's stages, branches and steps, drawn with matplotlib.

Where the stage graph answers "what ran after what", the timeline answers "where did the time
go": one row per stage, branch and (optionally) step, in tree order and indented by depth, a
bar from its start to its end in the status colour, the duration printed next to it. Parallel
branches overlap in time, so their bars stand side by side along the time axis; the longest
branch is the one that kept the stage waiting. Running bars reach "now" and are hatched.

The figure is a plain :class:`matplotlib.figure.Figure` on the Agg canvas: it never touches
pyplot's global state or a GUI, so it works in scripts, tests and notebooks alike (Jupyter
shows it inline; ``fig.savefig("run.png")`` writes a file).

Examples
--------
>>> from flowgraph import GraphBuilder
>>> b = GraphBuilder(start_ms=0, step_ms=1000)
>>> with b.stage("Build"):
...     _ = b.step("sh", script="make")
>>> fig = timeline(b.build())
>>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
['Build    ', '  sh make']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from flowgraph.graph import FlowGraph
from flowgraph.run import Run
from render.model import as_run
from render.stage_graph import stage_state
from render.style import STATES, humanize_ms, state_name
from scanners import RunAnalysis, StageNode, analyze

__all__ = ["TimelineRow", "TimelineFigure", "timeline_rows", "timeline"]


@dataclass(frozen=True, slots=True)
class TimelineRow:
    """One bar: what it is, where it starts and ends (epoch ms), its state and its depth."""

    label: str
    kind: str  # "stage", "branch", "parallel" or "step"
    node_id: str
    start_ms: int
    end_ms: int
    state: str
    depth: int


_KINDS = {"STAGE": "stage", "PARALLEL_BRANCH": "branch", "PARALLEL_BLOCK": "parallel"}


def timeline_rows(source: FlowGraph | Run | RunAnalysis, *, steps: bool = True) -> list[TimelineRow]:
    """The bars of the timeline in tree order (stages, then their steps and children).

    Items without timing (a stage that never started) are left out; running items end now.
    """
    analysis = source if isinstance(source, RunAnalysis) else analyze(as_run(source))
    now = analysis.run.now_ms()
    rows: list[TimelineRow] = []
    stack: list[tuple[StageNode, int]] = [(s, 0) for s in reversed(analysis.stages)]
    if steps:
        for step in analysis.loose_steps:
            if step.start_ms is not None:
                end = step.end_ms if step.end_ms is not None else now
                label = f"{step.function_name} {step.arguments or ''}".strip()
                rows.append(TimelineRow(label, "step", step.id, step.start_ms, end, state_name(step.status), 0))
    while stack:
        stage, depth = stack.pop()
        if stage.start_ms is not None:
            end = stage.end_ms if stage.end_ms is not None else now
            kind = _KINDS.get(stage.type.name, "stage")
            rows.append(TimelineRow(stage.name, kind, stage.id, stage.start_ms, end, stage_state(stage), depth))
        if steps:
            for step in stage.steps:
                if step.start_ms is None:
                    continue
                end = step.end_ms if step.end_ms is not None else now
                label = f"{step.function_name} {step.arguments or ''}".strip()
                rows.append(TimelineRow(label, "step", step.id, step.start_ms, end, state_name(step.status), depth + 1))
        stack.extend((child, depth + 1) for child in reversed(stage.children))
    return rows


def timeline(
    source: FlowGraph | Run | RunAnalysis | Sequence[TimelineRow],
    *,
    steps: bool = True,
    max_rows: int = 200,
    title: str | None = None,
    width: float = 10.0,
) -> Figure:
    """A Gantt chart of the run as a matplotlib :class:`~matplotlib.figure.Figure` (Agg canvas).

    Parameters
    ----------
    source
        A run, graph or analysis (or rows from :func:`timeline_rows`).
    steps
        Also draw a bar per step under its stage.
    max_rows
        Draw at most this many rows (the first ones in tree order); the title says how many were left out.
    title
        The figure's title; by default the run's name and number when known.
    width
        Figure width in inches (the height follows the number of rows).
    """
    if isinstance(source, (FlowGraph, Run, RunAnalysis)):
        rows = timeline_rows(source, steps=steps)
        run = source.run if isinstance(source, RunAnalysis) else as_run(source)
        if title is None and run.name is not None:
            title = f"{run.name} #{run.number}" if run.number is not None else run.name
    else:
        rows = list(source)
    left_out = max(0, len(rows) - max_rows)
    rows = rows[:max_rows]
    height = 1.2 + 0.28 * max(len(rows), 1)
    figure = TimelineFigure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    origin = min((r.start_ms for r in rows), default=0)
    seconds = [(r.start_ms - origin) / 1000 for r in rows]
    lengths = [max(r.end_ms - r.start_ms, 0) / 1000 for r in rows]
    positions = list(range(len(rows)))
    colours = [STATES[r.state].fill if r.kind != "step" else STATES[r.state].light for r in rows]
    edges = [STATES[r.state].fill for r in rows]
    hatches = ["///" if r.state in ("running", "queued", "paused") else "" for r in rows]
    bars = axes.barh(positions, lengths, left=seconds, height=0.6, color=colours, edgecolor=edges, linewidth=1)
    for bar, hatch in zip(bars, hatches, strict=True):
        bar.set_hatch(hatch)
    longest = max((s + length for s, length in zip(seconds, lengths, strict=True)), default=0.0)
    for position, row, start, length in zip(positions, rows, seconds, lengths, strict=True):
        axes.text(
            start + length + longest * 0.005,
            position,
            humanize_ms(row.end_ms - row.start_ms),
            va="center",
            fontsize=8,
            color="#57606a",
        )
    # Monospaced, padded labels: right-aligned tick labels of equal width read as an indented tree.
    labels = ["  " * r.depth + _short(r.label) for r in rows]
    span = max((len(label) for label in labels), default=0)
    axes.set_yticks(positions, [label.ljust(span) for label in labels], fontsize=9, family="monospace")
    for tick, row in zip(axes.get_yticklabels(), rows, strict=True):
        if row.kind != "step":
            tick.set_fontweight("bold")
    axes.invert_yaxis()
    axes.set_xlim(0, longest * 1.12 if longest else 1)
    axes.set_xlabel("seconds since the run started")
    axes.grid(axis="x", color="#eaeef2")
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    shown = sorted({r.state for r in rows}, key=list(STATES).index)
    if shown:
        axes.legend(
            handles=[Patch(color=STATES[s].fill, label=STATES[s].label) for s in shown],
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
            fontsize=8,
            frameon=False,
        )
    caption = title or "Timeline"
    if left_out:
        caption += f" (first {len(rows)} rows; {left_out} more not drawn)"
    axes.set_title(caption, loc="left", fontsize=11)
    return figure


class TimelineFigure(Figure):
    """The timeline's Figure: a plain matplotlib Figure that a notebook shows as a PNG image.

    It is not managed by pyplot (so it never pops up a window or leaks), which also means
    IPython's matplotlib integration does not know it; ``_repr_png_`` makes ``timeline(run)``
    display as a picture when it ends a notebook cell.
    """

    def _repr_png_(self) -> bytes:
        import io

        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=100)
        return buffer.getvalue()


def _short(text: str, width: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "\u2026"
