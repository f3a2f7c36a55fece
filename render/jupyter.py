"""Inline display in Jupyter: graphs, runs, analyses and stage trees show as pictures.

:mod:`flowgraph` must not import :mod:`render` (imports go one way), so the model classes carry
no ``_repr_svg_``. Instead, importing :mod:`render` registers IPython display formatters for
them when IPython is running (:func:`register`); outside IPython nothing happens. Then, in a
notebook cell:

* a :class:`~flowgraph.Run` or :class:`~flowgraph.FlowGraph` shows its stage graph and a
  one-line summary (HTML), or its node graph when it has no stages;
* a :class:`~scanners.RunAnalysis` or a :class:`~scanners.StageNode` shows the stage graph;
* a :class:`~scanners.RunDiff` shows its table of changes;
* a list of runs is left alone (use :func:`render.stage_view_html` for a stage view).

Rendering uses the same automatic Graphviz engine choice as everything else, so notebooks need
no system Graphviz. A display that fails shows the error text instead of a traceback.

Examples
--------
>>> from flowgraph import GraphBuilder
>>> b = GraphBuilder(start_ms=0)
>>> with b.stage("Build"):
...     _ = b.step("sh", script="make")
>>> page = run_html(b.build())
>>> "<svg" in page and "Build" in page
True
"""

from __future__ import annotations

import html
import sys
from typing import Any

from flowgraph.errors import FlowGraphError
from flowgraph.graph import FlowGraph
from flowgraph.run import Run
from render.model import as_run
from render.style import STATES, humanize_ms, state_name
from scanners import RunAnalysis, RunDiff, StageNode, analyze

__all__ = ["register", "unregister", "run_html", "stages_svg"]

_TYPES: tuple[type, ...] = (Run, FlowGraph, RunAnalysis, StageNode)


def stages_svg(obj: FlowGraph | Run | RunAnalysis | StageNode) -> str:
    """The stage graph (or, without stages, the node graph) of ``obj`` as SVG markup."""
    from render.dot import to_svg
    from render.html import svg_fragment
    from render.stage_graph import stage_graph_svg

    if isinstance(obj, StageNode):
        return svg_fragment(stage_graph_svg([obj]))
    analysis = obj if isinstance(obj, RunAnalysis) else analyze(as_run(obj))
    if analysis.stages:
        return svg_fragment(stage_graph_svg(analysis))
    return svg_fragment(to_svg(analysis.run, hide_bodies=True, analysis=analysis))


def run_html(obj: FlowGraph | Run | RunAnalysis | StageNode) -> str:
    """A notebook cell's HTML for ``obj``: a summary line and its stage graph."""
    try:
        svg = stages_svg(obj)
    except FlowGraphError as exc:
        return f"<pre>cannot draw {html.escape(type(obj).__name__)}: {html.escape(str(exc))}</pre>"
    if isinstance(obj, StageNode):
        state = "skipped" if obj.skipped else state_name(obj.status)
        head = f"{obj.type.name.lower()} <b>{html.escape(obj.name)}</b>"
        duration = obj.duration_ms
    else:
        analysis = obj if isinstance(obj, RunAnalysis) else analyze(as_run(obj))
        run = analysis.run
        name = f"{run.name} #{run.number}" if run.name is not None and run.number is not None else run.name or "run"
        state = state_name(analysis.status)
        head = f"<b>{html.escape(name)}</b> \u00b7 {len(run.graph)} flow nodes"
        duration = analysis.timing.total_ms
    style = STATES[state]
    badge = (
        f'<span style="background:{style.light};color:{style.fill};border-radius:8px;padding:1px 8px;'
        f'font-weight:bold">{style.glyph} {html.escape(style.label)}</span>'
    )
    return (
        f'<div class="flowgraph"><div style="margin-bottom:4px">{head} {badge} '
        f"{html.escape(humanize_ms(duration))}</div>{svg}</div>"
    )


def _formatter(obj: Any) -> str:
    return run_html(obj)


def _diff_formatter(diff: RunDiff) -> str:
    from render.diff import diff_table_html

    return diff_table_html(diff)


def _shell() -> Any:
    """The running IPython shell, or None (IPython not installed, or not running)."""
    if "IPython" not in sys.modules:  # not running inside IPython: do not pay for importing it
        return None
    try:
        from IPython.core.getipython import get_ipython
    except ImportError:
        return None
    return get_ipython()  # type: ignore[no-untyped-call, unused-ignore]  # typed in newer IPython


def register(ip: Any = None) -> bool:
    """Register the HTML formatters with IPython (the running shell by default); True when done."""
    if ip is None:
        ip = _shell()
    if ip is None:
        return False
    formatter = ip.display_formatter.formatters["text/html"]
    for cls in _TYPES:
        formatter.for_type(cls, _formatter)
    formatter.for_type(RunDiff, _diff_formatter)  # a diff shows its table (render.diff_view draws it)
    return True


def unregister(ip: Any = None) -> None:
    """Remove the formatters registered by :func:`register`."""
    if ip is None:
        ip = _shell()
    if ip is None:
        return
    formatter = ip.display_formatter.formatters["text/html"]
    for cls in (*_TYPES, RunDiff):
        formatter.type_printers.pop(cls, None)
