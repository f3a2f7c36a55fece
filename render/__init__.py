"""render: draw flow graphs and runs: SVG, HTML, Jupyter, the command line.

One import gives every picture of a run, offline and without a system Graphviz::

    from render import to_svg, to_html, stage_graph_svg, stage_view_html, timeline

* Node graph: :func:`to_dot` / :func:`to_svg` (blocks as nested clusters, statuses as colours,
  collapse, hidden bodies, sub-trees, automatic collapsing of big runs).
* Stage graph: :func:`stage_graph_dot` / :func:`stage_graph_svg` (Jenkins' modern view).
* Stage view across runs: :class:`StageGrid`, :func:`stage_view_svg`, :func:`stage_view_html`.
* Timeline: :func:`timeline` (a matplotlib Figure).
* Two runs compared: :func:`diff_view` (the stage graph coloured by change, and a table).
* Run history: :func:`duration_trend` (regression marked), :func:`failure_rate_bars`,
  :func:`flaky_list`, drawing the frames of ``scanners.history``.
* One self-contained page: :func:`to_html`.
* networkx: :func:`to_networkx`, :func:`from_networkx`; JSON files: :func:`save_run_json`,
  :func:`load_run_json`.
* Graphviz engines: :func:`choose_engine`, :func:`render_dot` (system ``dot``, else WebAssembly).
* Jupyter: importing this package registers inline display of runs, graphs and stage trees.
* OpenTelemetry traces (OTLP export, OTLP JSON, Perfetto timelines): the :mod:`render.otel` package.
* The ``flowgraph`` command: :mod:`render.cli` (also ``python -m render``).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # type checkers see the real names; at run time they load on first use
    from render.blocks import TOP, BlockTree
    from render.diff import DiffView, diff_view
    from render.dot import DEFAULT_MAX_NODES, to_dot, to_svg
    from render.engine import (
        ENGINE_ENV,
        Engine,
        GraphvizPureEngine,
        SystemDotEngine,
        WasmEngine,
        available_engines,
        choose_engine,
        render_dot,
    )
    from render.example import example_run, example_runs
    from render.html import svg_fragment, to_html
    from render.jupyter import register as register_jupyter
    from render.jupyter import run_html, stages_svg
    from render.model import NodeInfo, RunModel, as_run
    from render.networkx_io import from_networkx, load_run_json, run_from_json, run_to_json, save_run_json, to_networkx
    from render.stage_graph import StagePaint, stage_graph_dot, stage_graph_svg
    from render.stage_view import StageGrid, stage_view_html, stage_view_svg
    from render.style import STATES, humanize_ms, state_name
    from render.timeline import TimelineRow, timeline, timeline_rows
    from render.trends import FlakyList, duration_trend, failure_rate_bars, flaky_list

# Public name -> the module defining it. `import render` (and so `flowgraph --help`) stays light:
# matplotlib, pandas, networkx and the Graphviz engines load only when a name that needs them is used.
_LAZY: dict[str, str] = {
    "TOP": "render.blocks",
    "BlockTree": "render.blocks",
    "DEFAULT_MAX_NODES": "render.dot",
    "to_dot": "render.dot",
    "to_svg": "render.dot",
    "ENGINE_ENV": "render.engine",
    "Engine": "render.engine",
    "GraphvizPureEngine": "render.engine",
    "SystemDotEngine": "render.engine",
    "WasmEngine": "render.engine",
    "available_engines": "render.engine",
    "choose_engine": "render.engine",
    "render_dot": "render.engine",
    "example_run": "render.example",
    "example_runs": "render.example",
    "svg_fragment": "render.html",
    "to_html": "render.html",
    "run_html": "render.jupyter",
    "stages_svg": "render.jupyter",
    "NodeInfo": "render.model",
    "RunModel": "render.model",
    "as_run": "render.model",
    "from_networkx": "render.networkx_io",
    "load_run_json": "render.networkx_io",
    "run_from_json": "render.networkx_io",
    "run_to_json": "render.networkx_io",
    "save_run_json": "render.networkx_io",
    "to_networkx": "render.networkx_io",
    "stage_graph_dot": "render.stage_graph",
    "stage_graph_svg": "render.stage_graph",
    "StageGrid": "render.stage_view",
    "stage_view_html": "render.stage_view",
    "stage_view_svg": "render.stage_view",
    "STATES": "render.style",
    "humanize_ms": "render.style",
    "state_name": "render.style",
    "TimelineRow": "render.timeline",
    "timeline": "render.timeline",
    "timeline_rows": "render.timeline",
    "register_jupyter": "render.jupyter",
    "DiffView": "render.diff",
    "diff_view": "render.diff",
    "StagePaint": "render.stage_graph",
    "FlakyList": "render.trends",
    "duration_trend": "render.trends",
    "failure_rate_bars": "render.trends",
    "flaky_list": "render.trends",
}
_RENAMED = {"register_jupyter": "register"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'render' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), _RENAMED.get(name, name))
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


class _Package(types.ModuleType):
    """Keeps a public function whose submodule has the same name (``render.timeline``) a function.

    Importing a submodule binds it on its package; for ``timeline`` that would hide the function
    :func:`timeline` behind the module once anything imported ``render.timeline``.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and value.__name__ == f"{__name__}.{name}" and name in _LAZY:
            value = getattr(value, _RENAMED.get(name, name))
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


__all__ = [
    # node graph
    "to_dot",
    "to_svg",
    "DEFAULT_MAX_NODES",
    "BlockTree",
    "TOP",
    "RunModel",
    "NodeInfo",
    "as_run",
    # stage pictures
    "stage_graph_dot",
    "stage_graph_svg",
    "StageGrid",
    "stage_view_svg",
    "stage_view_html",
    "timeline",
    "timeline_rows",
    "TimelineRow",
    # pages and notebooks
    "to_html",
    "svg_fragment",
    "run_html",
    "stages_svg",
    "register_jupyter",
    # networkx and files
    "to_networkx",
    "from_networkx",
    "run_to_json",
    "run_from_json",
    "save_run_json",
    "load_run_json",
    # engines
    "Engine",
    "SystemDotEngine",
    "WasmEngine",
    "GraphvizPureEngine",
    "available_engines",
    "choose_engine",
    "render_dot",
    "ENGINE_ENV",
    # style and examples
    "STATES",
    "state_name",
    "humanize_ms",
    "example_run",
    "example_runs",
    # comparing runs and run history (issue 15)
    "diff_view",
    "DiffView",
    "StagePaint",
    "duration_trend",
    "failure_rate_bars",
    "flaky_list",
    "FlakyList",
]

if "IPython" in sys.modules:  # only a running IPython can want the display formatters
    from render.jupyter import register as _register

    _register()
