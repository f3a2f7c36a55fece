"""One self-contained HTML page for a run: stage graph, stage outline, node graph, timeline.

:func:`to_html` writes a single file that opens anywhere, offline: no scripts, styles, fonts
or images are fetched (everything is inline; the SVGs are embedded as markup, the timeline as
matplotlib's own SVG). The page shows

* a header with the run's state and duration;
* the stage graph (:mod:`render.stage_graph`);
* a collapsible outline of the stage tree (``<details>`` per stage and branch, with its steps,
  durations and errors; "collapse all" / "expand all");
* the full node graph (:mod:`render.dot`) in a viewer (:mod:`render.graph_view`): zoom, pan,
  fit-to-view, a search box, and folding (clicking a block's title hides its contents and the
  drawing closes up; click again to unfold); hovering a node shows its details (step,
  arguments, state, timing, error, log reference);
* optionally the timeline (:mod:`render.timeline`).

The little JavaScript is plain, inline and defensive (a page without the data works too).

Examples
--------
>>> from flowgraph import GraphBuilder
>>> b = GraphBuilder(start_ms=0)
>>> with b.stage("Build"):
...     _ = b.step("sh", script="make")
>>> page = to_html(b.build(), timeline=False)
>>> page.startswith("<!DOCTYPE html>") and "Build" in page and "<script src" not in page
True
"""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Iterator
from typing import Any

from flowgraph.graph import FlowGraph
from flowgraph.run import Run
from render.blocks import BlockTree
from render.dot import DotOptions, Layout, dot_text
from render.engine import Engine, render_dot
from render.graph_view import toolbar_html, view_css, view_script
from render.html_logs import StepLogPanels
from render.model import RunModel, as_run
from render.stage_graph import stage_graph_dot, stage_state
from render.style import CSS_VARIABLES, STATES, humanize_ms, state_name
from render.what_failed import failure_html
from scanners import RunAnalysis, StageNode, analyze

__all__ = ["to_html", "svg_fragment"]

_MAX_OUTLINE_STEPS = 2_000
_MAX_OUTLINE_STAGES = 500

_CSS = """
:root {
%(vars)s
}
* { box-sizing: border-box; }
body { font-family: Helvetica, Arial, sans-serif; margin: 0; color: #1b1f23; background: #fff; }
header { padding: 14px 20px; border-bottom: 1px solid #d0d7de; display: flex; gap: 16px; align-items: baseline; }
header h1 { font-size: 20px; margin: 0; }
.fg-badge { border-radius: 10px; padding: 2px 10px; font-size: 13px; font-weight: bold; }
main { padding: 8px 20px 40px; }
section { margin-top: 18px; }
section h2 { font-size: 16px; margin: 0 0 8px; }
.fg-svg { overflow: auto; border: 1px solid #eaeef2; border-radius: 6px; padding: 6px; max-height: 85vh; }
.fg-svg svg { max-width: none; height: auto; }
.fg-outline details { margin-left: 18px; }
.fg-outline > details { margin-left: 0; }
.fg-outline summary { cursor: pointer; padding: 2px 0; }
.fg-outline ul { list-style: none; margin: 2px 0 4px 18px; padding: 0; font-size: 13px; }
.fg-outline li { padding: 1px 0; }
.fg-dur { color: #57606a; margin-left: 6px; }
.fg-err { color: var(--fg-failure); margin-left: 6px; }
.fg-glyph { display: inline-block; width: 1.3em; text-align: center; font-weight: bold; }
.fg-tools button { font-size: 12px; margin-right: 6px; }
#fg-tip { position: fixed; display: none; z-index: 10; max-width: 460px; background: #fff;
  border: 1px solid #8c959f; border-radius: 6px; box-shadow: 0 4px 14px rgba(0,0,0,.15);
  padding: 8px 10px; font-size: 12px; pointer-events: none; }
#fg-tip table { border-collapse: collapse; }
#fg-tip th { text-align: left; color: #57606a; padding-right: 8px; vertical-align: top; font-weight: normal; }
#fg-tip td { white-space: pre-wrap; word-break: break-word; }
g.fg-node, g.fg-block > g > a > text { cursor: pointer; }
g.fg-folded > g > a > path, g.fg-folded > g > a > polygon { stroke-dasharray: 6 4; }
g.fg-highlight > g > a > path, g.fg-highlight > g > a > polygon { stroke-width: 4; }
"""

_JS = r"""
(function () {
  "use strict";
  var dataNode = document.getElementById("fg-data");
  var data = dataNode ? JSON.parse(dataNode.textContent) : {nodes: {}, blocks: {}, edges: {}};
  var tip = document.getElementById("fg-tip");
  function byId(id) { return document.getElementById(id); }
  function showTip(evt, nodeId) {
    var info = data.nodes[nodeId];
    if (!info || !tip) { return; }
    var rows = "";
    Object.keys(info).forEach(function (key) {
      var cell = document.createElement("td");
      cell.textContent = info[key];
      rows += "<tr><th>" + key.replace(/[<>&]/g, "") + "</th>" + cell.outerHTML + "</tr>";
    });
    tip.innerHTML = "<table>" + rows + "</table>";
    tip.style.display = "block";
    moveTip(evt);
  }
  function moveTip(evt) {
    if (!tip) { return; }
    var x = evt.clientX + 14, y = evt.clientY + 14;
    if (x + tip.offsetWidth > window.innerWidth) { x = Math.max(0, evt.clientX - tip.offsetWidth - 14); }
    if (y + tip.offsetHeight > window.innerHeight) { y = Math.max(0, evt.clientY - tip.offsetHeight - 14); }
    tip.style.left = x + "px";
    tip.style.top = y + "px";
  }
  function hideTip() { if (tip) { tip.style.display = "none"; } }
  Array.prototype.forEach.call(document.querySelectorAll("g.fg-node"), function (group) {
    var nodeId = group.id.slice(1);
    group.addEventListener("mouseenter", function (evt) { showTip(evt, nodeId); });
    group.addEventListener("mousemove", moveTip);
    group.addEventListener("mouseleave", hideTip);
    // Graphviz's own tooltip would double ours.
    Array.prototype.forEach.call(group.querySelectorAll("a"), function (a) { a.removeAttribute("xlink:title"); });
  });
  Array.prototype.forEach.call(document.querySelectorAll("[data-node]"), function (item) {
    var target = byId("n" + item.getAttribute("data-node"));
    if (!target) { return; }
    item.addEventListener("mouseenter", function () { target.classList.add("fg-highlight"); });
    item.addEventListener("mouseleave", function () { target.classList.remove("fg-highlight"); });
  });
  function setAll(open) {
    var stages = document.querySelectorAll(".fg-outline details[data-stage]");
    Array.prototype.forEach.call(stages, function (d) { d.open = open; });
  }
  var collapse = byId("fg-collapse-all"), expand = byId("fg-expand-all");
  if (collapse) { collapse.addEventListener("click", function () { setAll(false); }); }
  if (expand) { expand.addEventListener("click", function () { setAll(true); }); }
}());
"""

_PROLOGUE = re.compile(r"^\s*(<\?xml[^>]*\?>\s*)?(<!DOCTYPE[^>]*>\s*)?(<!--.*?-->\s*)*", re.DOTALL)


def svg_fragment(svg: str) -> str:
    """SVG text ready to inline in HTML: without its XML declaration, doctype and leading comments."""
    return _PROLOGUE.sub("", svg, count=1)


def _state_css() -> str:
    return "\n".join(
        # a glyph takes its own row's state (a success inside an unstable stage stays green)
        f".state-{name} > summary > .fg-glyph, li.state-{name} > .fg-glyph, .fg-badge.state-{name} "
        f"{{ color: var(--fg-{name}); }}\n"
        f".fg-badge.state-{name} {{ background: var(--bg-{name}); }}"
        for name in STATES
    )


def _script_json(value: Any) -> str:
    """JSON that is safe inside a ``<script>`` element."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _outline(stages: list[StageNode], logs: StepLogPanels | None = None) -> str:
    """Nested ``<details>`` for the stage tree (iteratively), steps as list items (with log panels)."""
    esc = html.escape
    out: list[str] = ['<div class="fg-outline">']
    steps_left = _MAX_OUTLINE_STEPS
    stages_left = _MAX_OUTLINE_STAGES
    stack: list[Iterator[StageNode]] = [iter(stages)]
    while stack:
        stage = next(stack[-1], None) if stages_left > 0 else None
        if stage is None:
            stack.pop()
            if stack:
                out.append("</details>")
            continue
        stages_left -= 1
        if stages_left == 0:
            out.append("<p>\u2026 (more stages not listed: draw the stage graph or use the CLI's stages command)</p>")
        state = stage_state(stage)
        duration = humanize_ms(stage.duration_ms) if stage.duration_ms is not None else ""
        out.append(
            f'<details open class="state-{state}" data-stage="{esc(stage.name)}"><summary data-node="{esc(stage.id)}">'
            f'<span class="fg-glyph">{STATES[state].glyph}</span><strong>{esc(stage.name)}</strong>'
            f'<span class="fg-dur">{esc(duration)}</span></summary>'
        )
        if stage.steps:
            out.append("<ul>")
            for step in stage.steps:
                if steps_left <= 0:
                    break
                steps_left -= 1
                step_state = state_name(step.status)
                text = f"{step.function_name or 'step'} {step.arguments or ''}".strip()
                error = f'<span class="fg-err">{esc(step.error)}</span>' if step.error else ""
                out.append(
                    f'<li class="state-{step_state}" data-node="{esc(step.id)}">'
                    f'<span class="fg-glyph">{STATES[step_state].glyph}</span>{esc(text[:200])}'
                    f'<span class="fg-dur">{esc(humanize_ms(step.duration_ms))}</span>{error}'
                    f"{logs.panel(step) if logs is not None else ''}</li>"
                )
            if steps_left <= 0:
                out.append("<li>\u2026 (more steps not listed)</li>")
            out.append("</ul>")
        stack.append(iter(stage.children))
    out.append("</div>")
    return "".join(out)


def _node_graph(
    model: RunModel, options: DotOptions, engine: Engine | str | None
) -> tuple[str, dict[str, Any], Layout]:
    """The node graph's SVG and the hover/fold data for its drawn nodes."""
    tree = BlockTree(model.graph)
    layout = Layout(tree, options)
    lines = dot_text(model, tree, layout, options.rankdir)
    source = "digraph flowgraph {\n" + "".join(f"\t{line}\n" for line in lines) + "}\n"
    svg = render_dot(source, "svg", engine=engine).decode("utf-8")
    nodes: dict[str, dict[str, str]] = {}
    for node_id in layout.drawn:
        if node_id in layout.gaps:
            continue
        nodes[node_id] = model.info(node_id).details()
    blocks: dict[str, list[str]] = {c: [] for c in layout.clusters}
    for node_id in layout.drawn:
        box = layout.container(node_id)
        while box:
            blocks[box].append(node_id)
            box = layout.container(box)
    edge_ends = {f"e{source_id}_{target_id}": [source_id, target_id] for source_id, target_id in layout.edges()}
    return svg, {"nodes": nodes, "blocks": blocks, "edgeEnds": edge_ends}, layout


def to_html(
    source: FlowGraph | Run,
    *,
    title: str | None = None,
    collapse_depth: int | None = None,
    hide_bodies: bool = False,
    max_nodes: int | None = 400,
    timeline: bool = True,
    engine: Engine | str | None = None,
) -> str:
    """One self-contained HTML page describing the run (see the module docstring).

    Parameters
    ----------
    source
        The run (or bare graph).
    title
        Page title; by default the run's name and number, else "Pipeline run".
    collapse_depth, hide_bodies, max_nodes
        Node-graph options, as for :func:`render.dot.to_dot`.
    timeline
        Include the matplotlib timeline (as inline SVG).
    engine
        The Graphviz engine (see :mod:`render.engine`).
    """
    run = as_run(source)
    analysis = analyze(run)
    model = RunModel(run, analysis)
    if title is None:
        title = f"{run.name} #{run.number}" if run.name is not None and run.number is not None else run.name
    title = title or "Pipeline run"
    state = state_name(analysis.status)
    duration = humanize_ms(analysis.timing.total_ms)
    stages_svg = render_dot(stage_graph_dot(analysis).source, "svg", engine=engine).decode("utf-8")
    options = DotOptions(collapse_depth, frozenset(), hide_bodies, None, max_nodes, "TB")
    graph_svg, data, layout = _node_graph(model, options, engine)
    esc = html.escape
    logs = StepLogPanels(run)
    parts = [
        "<!DOCTYPE html>\n",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title>",
        f"<style>{_CSS % {'vars': CSS_VARIABLES}}\n{_state_css()}\n{view_css()}{logs.css()}</style></head><body>",
        f'<header><h1>{esc(title)}</h1><span class="fg-badge state-{state}">{esc(STATES[state].label)}</span>',
        f'<span class="fg-dur">{esc(duration)}</span>',
        f'<span class="fg-dur">{len(model.graph)} flow nodes</span></header><main>',
        failure_html(analysis),
        '<section id="fg-stages"><h2>Stages</h2>',
        f'<div class="fg-svg">{svg_fragment(stages_svg)}</div></section>',
        '<section id="fg-outline"><h2>Stage tree</h2>',
        '<div class="fg-tools"><button type="button" id="fg-collapse-all">Collapse all</button>',
        '<button type="button" id="fg-expand-all">Expand all</button></div>',
        _outline(analysis.stages, logs),
        logs.closing_note(),
        "</section>",
        '<section id="fg-graph"><h2>Flow graph</h2>',
    ]
    if layout.collapse_depth is not None:
        parts.append(
            f"<p>Blocks deeper than level {layout.collapse_depth} are drawn as one box each"
            f"{'' if collapse_depth is not None else ' (the run is large)'}; hover a node for details, "
            "click a block's title to fold it; drag to pan, wheel to zoom.</p>"
        )
    else:
        parts.append(
            "<p>Hover a node for its details; click a block's title to fold it; drag to pan, wheel to zoom.</p>"
        )
    parts.append(f'{toolbar_html()}<div class="fg-view">{svg_fragment(graph_svg)}</div></section>')
    if timeline:
        parts.append(f'<section id="fg-timeline"><h2>Timeline</h2><div class="fg-svg">{_timeline_svg(analysis)}</div>')
        parts.append("</section>")
    parts.extend(
        [
            '</main><div id="fg-tip" role="tooltip"></div>',
            f'<script type="application/json" id="fg-data">{_script_json(data)}</script>',
            f"<script>{_JS}\n{view_script()}</script></body></html>\n",
        ]
    )
    return "".join(parts)


def _timeline_svg(analysis: RunAnalysis) -> str:
    from render.timeline import timeline

    figure = timeline(analysis, max_rows=150)
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return svg_fragment(buffer.getvalue())
