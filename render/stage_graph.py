"""The stage graph: a run's stages as Jenkins' modern pipeline view draws them, to DOT and SVG.

Stages run left to right; the branches of a ``parallel`` are stacked between a fork and a join
point; a stage that holds other stages (or branches) is a box around them. Every stage shows
its name, its duration (two units at most, as Jenkins prints it) and, unless it succeeded, its
state, in the status colours of :mod:`render.style`. Unlike Jenkins' views, nesting has no
depth limit (parallels in parallels, stages in branches); ``max_depth`` cuts the drawing at a
level, and trees too big to read are cut automatically (``max_nodes``), with runs of many
top-level stages elided in the middle.

The tree comes from :func:`scanners.analyze` (pipeline-graph-view's model). Both passes over it
(measuring, then drawing) are loops with explicit stacks.

Examples
--------
>>> from flowgraph import GraphBuilder
>>> b = GraphBuilder(start_ms=0, step_ms=1000)
>>> with b.stage("Build"):
...     _ = b.step("sh", script="make")
>>> with b.stage("Test"):
...     with b.parallel("unit", "lint") as par:
...         with par.branch("unit"):
...             _ = b.step("sh", script="pytest")
...         with par.branch("lint"):
...             _ = b.step("sh", script="ruff", error="exit 1")
>>> source = stage_graph_dot(b.build()).source
>>> "rankdir=LR" in source and "subgraph cluster_s9" in source and "s12 " in source
True
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import graphviz

from flowgraph.graph import FlowGraph
from flowgraph.run import Run
from render.engine import Engine, render_dot
from render.model import as_run
from render.style import STATES, humanize_ms, state_name
from scanners import RunAnalysis, StageNode, StageType, analyze

__all__ = ["stage_graph_dot", "stage_graph_svg", "stages_of", "stage_state", "StagePaint"]

_FONT = '"Helvetica,Arial,sans-serif"'


class StagePaint(NamedTuple):
    """Colours that replace a stage's status colours (e.g. a diff's), a note for its label, a CSS class."""

    border: str
    fill: str
    note: str = ""
    css_class: str = ""


def _quote_escaped(text: str) -> str:
    """Text whose backslashes are already DOT escapes (``\\n`` line breaks) as a quoted string."""
    return '"' + text.replace('"', '\\"') + '"'


def _q(text: str) -> str:
    """Raw text as a DOT quoted string (backslashes made literal, newlines flattened)."""
    return '"' + text.replace("\\", "\\\\").replace("\n", " ").replace('"', '\\"') + '"'


def stages_of(source: FlowGraph | Run | RunAnalysis | Sequence[StageNode]) -> list[StageNode]:
    """The top-level stage nodes of a run, graph, analysis, or an already built stage list."""
    if isinstance(source, RunAnalysis):
        return list(source.stages)
    if isinstance(source, (FlowGraph, Run)):
        return list(analyze(as_run(source)).stages)
    return list(source)


def stage_state(stage: StageNode) -> str:
    """The style state of a stage node (``skipped`` for declarative skipped stages)."""
    return "skipped" if stage.skipped else state_name(stage.status)


class _Shape:
    """Entry and exit point ids of a drawn piece, and whether it is drawn as a box of children."""

    __slots__ = ("entry", "exit")

    def __init__(self, entry: str, exit: str) -> None:
        self.entry = entry
        self.exit = exit


def _groups(children: list[StageNode]) -> list[list[StageNode]]:
    """Consecutive parallel branches run side by side (one group); any other child is its own group."""
    groups: list[list[StageNode]] = []
    for child in children:
        if child.type is StageType.PARALLEL_BRANCH and groups and groups[-1][0].type is StageType.PARALLEL_BRANCH:
            groups[-1].append(child)
        else:
            groups.append([child])
    return groups


def _chain(
    owner: str, children: list[StageNode], shapes: dict[str, _Shape], edges: list[tuple[str, str]], points: list[str]
) -> _Shape:
    """Connect the groups of ``children`` one after the other; a parallel group gets fork/join points."""
    pieces: list[_Shape] = []
    for index, group in enumerate(_groups(children)):
        if group[0].type is StageType.PARALLEL_BRANCH:
            fork, join = f"f{owner}_{index}", f"j{owner}_{index}"
            points.extend((fork, join))
            # Left to right, Graphviz stacks a fork's targets bottom-up in edge order: listing the
            # branches last-first puts the first-declared branch on top, as Jenkins draws it.
            for branch in reversed(group):
                shape = shapes[branch.id]
                edges.append((fork, shape.entry))
                edges.append((shape.exit, join))
            pieces.append(_Shape(fork, join))
        else:
            pieces.append(shapes[group[0].id])
    for before, after in itertools.pairwise(pieces):
        edges.append((before.exit, after.entry))
    return _Shape(pieces[0].entry, pieces[-1].exit)


def _cut_depth(stages: list[StageNode], max_depth: int | None, max_nodes: int | None) -> int | None:
    """The depth to cut the tree at: ``max_depth``, or the deepest that keeps ``max_nodes`` boxes."""
    if max_depth is not None or max_nodes is None:
        return max_depth
    per_level: list[int] = []
    stack = [(s, 0) for s in stages]
    while stack:
        stage, level = stack.pop()
        if level == len(per_level):
            per_level.append(0)
        per_level[level] += 1
        stack.extend((child, level + 1) for child in stage.children)
    total = 0
    for level, count in enumerate(per_level):
        total += count
        if total > max_nodes:
            return max(level - 1, 0)
    return None


def stage_graph_dot(
    source: FlowGraph | Run | RunAnalysis | Sequence[StageNode],
    *,
    max_depth: int | None = None,
    max_nodes: int | None = 300,
    title: str | None = None,
    paint: Mapping[str, StagePaint] | None = None,
) -> graphviz.Digraph:
    """The stage graph as a :class:`graphviz.Digraph` (left to right, branches stacked).

    Parameters
    ----------
    source
        A run, a graph, an analysis, or top-level :class:`~scanners.StageNode` s.
    max_depth
        Draw children only down to this depth (0 = top-level stages only); deeper ones are
        summarised in their parent's box label.
    max_nodes
        Without ``max_depth``, cut at the deepest level that keeps at most this many stages, and
        elide the middle of a longer top-level sequence.
    title
        A caption (e.g. the job name and build number).
    paint
        Per stage id, a :class:`StagePaint` drawn instead of the status colours.
    """
    stages = stages_of(source)
    depth_limit = _cut_depth(stages, max_depth, max_nodes)
    head, tail = stages, []
    if max_nodes is not None and len(stages) > max_nodes:
        keep = max(1, max_nodes // 2)
        head, tail = stages[:keep], stages[-keep:]
        stages = head + tail
    elided_count = len(stages_of(source)) - len(stages) if tail else 0

    # Pass 1 (post-order): entry/exit points of every drawn stage, and the edges between them.
    shapes: dict[str, _Shape] = {}
    edges: list[tuple[str, str]] = []
    points: dict[str, list[str]] = {}
    boxes: set[str] = set()
    order: list[tuple[StageNode, int]] = []
    stack: list[tuple[StageNode, int]] = [(s, 0) for s in reversed(stages)]
    while stack:
        stage, level = stack.pop()
        order.append((stage, level))
        if stage.children and (depth_limit is None or level < depth_limit):
            stack.extend((child, level + 1) for child in reversed(stage.children))
    for stage, level in reversed(order):
        expanded = bool(stage.children) and (depth_limit is None or level < depth_limit)
        if expanded:
            boxes.add(stage.id)
            own_points: list[str] = []
            shapes[stage.id] = _chain(stage.id, stage.children, shapes, edges, own_points)
            points[stage.id] = own_points
        else:
            shapes[stage.id] = _Shape(f"s{stage.id}", f"s{stage.id}")
    top_points: list[str] = []
    lines = [
        "rankdir=LR",
        f"fontname={_FONT}",
        "nodesep=0.2",
        "ranksep=0.35",
        f'node [fontname={_FONT} fontsize=11 shape=box style="rounded,filled" height=0.45 margin="0.15,0.06"]',
        'edge [color="#9aa0a6" arrowhead=none penwidth=2]',
        'start [id="start" label="" shape=circle width=0.18 style=filled fillcolor="#9aa0a6" color="#9aa0a6"]',
        'end [id="end" label="" shape=circle width=0.18 style=filled fillcolor="#9aa0a6" color="#9aa0a6"]',
    ]
    if title:
        lines.append(f"label={_q(title)}")
        lines.append("labelloc=t")
    previous = "start"
    for part, name in ((head, "top"), (tail, "tail")):
        if not part:
            continue
        shape = _chain(name, part, shapes, edges, top_points)
        edges.append((previous, shape.entry))
        previous = shape.exit
        if name == "top" and tail:
            label = _q(f"\u2026 {elided_count} more stages")
            lines.append(f'gap [id="gap" class="fg-gap" label={label} shape=note style=dashed fillcolor=white]')
            edges.append((previous, "gap"))
            previous = "gap"
    edges.append((previous, "end"))
    lines.extend(_point_line(p) for p in top_points)

    # Pass 2 (pre-order): clusters and nodes, nested as the tree is.
    iterators: list[Iterator[StageNode]] = [iter(stages)]
    while iterators:
        item = next(iterators[-1], None)
        indent = "\t" * min(len(iterators) - 1, 12)  # capped: deep trees keep linear text
        if item is None:
            iterators.pop()
            if iterators:
                lines.append("\t" * min(len(iterators) - 1, 12) + "}")
            continue
        painted = paint.get(item.id) if paint else None
        if item.id in boxes:
            lines.extend(_box_lines(item, indent, painted))
            lines.extend(indent + "\t" + _point_line(p) for p in points[item.id])
            iterators.append(iter(item.children))
        else:
            lines.append(indent + _stage_line(item, painted))
    lines.extend(f"{a} -> {b}" for a, b in edges)
    digraph = graphviz.Digraph(name="stages")
    digraph.body.extend(f"\t{line}\n" for line in lines)
    return digraph


def _label(stage: StageNode, summarise: bool = False) -> str:
    state = stage_state(stage)
    parts = [stage.name]
    facts = []
    if stage.duration_ms is not None and state not in ("skipped", "not_built"):
        facts.append(humanize_ms(stage.duration_ms))
    if state != "success":
        facts.append(STATES[state].label)
    if summarise and stage.children:
        facts.append(f"+{sum(1 for _ in stage.walk()) - 1} inside")
    if facts:
        parts.append(" \u00b7 ".join(facts))
    return "\\n".join(p.replace("\\", "\\\\").replace("\n", " ") for p in parts)


def _tooltip(stage: StageNode) -> str:
    facts = [f"{stage.type.name.lower()} {stage.name}", f"state: {stage_state(stage)}"]
    if stage.duration_ms is not None:
        facts.append(f"duration: {humanize_ms(stage.duration_ms)}")
    if stage.pause_ms:
        facts.append(f"paused: {humanize_ms(stage.pause_ms)}")
    failing = [s for s in stage.steps if s.error]
    if failing:
        facts.append(f"error: {failing[-1].error}")
    facts.append(f"steps: {len(stage.steps)}")
    return _q("; ".join(facts))


def _classes(stage: StageNode, kind: str, painted: StagePaint | None = None) -> str:
    extra = f" {painted.css_class}" if painted is not None and painted.css_class else ""
    return _q(f"{kind} state-{stage_state(stage)} type-{stage.type.name.lower()}{extra}")


def _noted(label: str, painted: StagePaint | None, separator: str) -> str:
    if painted is None or not painted.note:
        return label
    return label + separator + painted.note.replace("\\", "\\\\").replace("\n", " ")


def _stage_line(stage: StageNode, painted: StagePaint | None = None) -> str:
    style = STATES[stage_state(stage)]
    fill, border = (style.light, style.fill) if painted is None else (painted.fill, painted.border)
    label = _quote_escaped(_noted(_label(stage, summarise=True), painted, "\\n"))
    dashed = ",dashed" if stage.skipped or stage_state(stage) == "not_built" else ""
    width = 2.4 if painted is not None else 2 if stage_state(stage) == "failure" else 1.4
    return (
        f's{stage.id} [id="s{stage.id}" class={_classes(stage, "fg-stage", painted)} label={label} '
        f'tooltip={_tooltip(stage)} fillcolor="{fill}" color="{border}" fontcolor="#1b1f23" '
        f'style="rounded,filled{dashed}" penwidth={width}]'
    )


def _box_lines(stage: StageNode, indent: str, painted: StagePaint | None = None) -> list[str]:
    style = STATES[stage_state(stage)]
    border = style.fill if painted is None else painted.border
    label = _quote_escaped(_noted(_label(stage).replace("\\n", "  "), painted, "  "))
    return [
        f"{indent}subgraph cluster_s{stage.id} {{",
        f'{indent}\tid="s{stage.id}"',
        f"{indent}\tclass={_classes(stage, 'fg-stage fg-stage-box', painted)}",
        f"{indent}\tlabel={label}",
        f"{indent}\ttooltip={_tooltip(stage)}",
        f'{indent}\tstyle="rounded,dashed" color="{border}" fontcolor="{border}" labeljust=l',
    ]


def _point_line(point: str) -> str:
    return f'{point} [label="" shape=point width=0.08 color="#9aa0a6" ordering=out]'


def stage_graph_svg(
    source: FlowGraph | Run | RunAnalysis | Sequence[StageNode], *, engine: Engine | str | None = None, **options: Any
) -> str:
    """The stage graph as SVG text (``options`` as for :func:`stage_graph_dot`)."""
    return render_dot(stage_graph_dot(source, **options).source, "svg", engine=engine).decode("utf-8")
