"""Stage graph, stage view, timeline, Jupyter display and the shared style rules."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from matplotlib.backends.backend_agg import FigureCanvasAgg
from render_support import ci_run, dot_structure

from flowgraph import FixedClock, GraphBuilder, Result
from flowgraph.errors import RenderError
from render.example import example_run, example_runs
from render.jupyter import register, run_html, unregister
from render.stage_graph import stage_graph_dot
from render.stage_view import StageGrid, stage_view_html, stage_view_svg
from render.style import STATES, humanize_ms, state_name
from render.timeline import timeline, timeline_rows
from scanners import Status, analyze

SVG = "{http://www.w3.org/2000/svg}"

# -- stage graph ------------------------------------------------------------------------------


def test_stage_graph_runs_left_to_right_with_branches_between_fork_and_join() -> None:
    source = stage_graph_dot(ci_run()).source
    assert "rankdir=LR" in source
    s = dot_structure(source)
    # Build (body 4) is a plain stage; Test (body 13) is a box around its branches 16 and 17
    assert s.node_cluster["s4"] is None
    assert s.node_cluster["s16"] == s.node_cluster["s17"] == "cluster_s13"
    forks = {t for f, t in s.edges if f == "s4"}
    assert len(forks) == 1
    fork = forks.pop()
    assert {("start", "s4"), (fork, "s16"), (fork, "s17")} <= s.edges
    joins = {t for f, t in s.edges if f == "s16"}
    assert joins == {t for f, t in s.edges if f == "s17"} and len(joins) == 1
    assert (joins.pop(), "end") in s.edges
    # colours and labels follow status and timing
    assert s.node_attrs["s17"]["fillcolor"] == STATES["failure"].light
    assert s.node_attrs["s16"]["fillcolor"] == STATES["success"].light
    assert "Failed" in s.node_attrs["s17"]["label"] and "1m 11s" in s.node_attrs["s4"]["label"]
    assert s.cluster_attrs["cluster_s13"]["color"] == STATES["failure"].fill


def test_stage_graph_nests_stages_inside_branches_and_depth_limit() -> None:
    b = GraphBuilder(start_ms=0)
    with b.stage("Build"), b.parallel("linux", "mac") as par:
        with par.branch("linux"):
            with b.stage("compile"):
                b.step("sh", script="make")
            with b.stage("package"):
                b.step("sh", script="tar")
        with par.branch("mac"):
            b.step("sh", script="xcodebuild")
    with b.stage("Deploy", skipped="SKIPPED_FOR_CONDITIONAL"):
        pass
    run = b.build()
    tree = {st.name: st.id for st in analyze(run).iter_stages()}
    s = dot_structure(stage_graph_dot(run).source)
    compile_, package = f"s{tree['compile']}", f"s{tree['package']}"
    assert s.cluster_chain(compile_) == [f"cluster_s{tree['linux']}", f"cluster_s{tree['Build']}"]
    assert (compile_, package) in s.edges  # sequential stages inside the branch
    deploy = s.node_attrs[f"s{tree['Deploy']}"]
    assert "state-skipped" in deploy["class"] and "dashed" in deploy["style"]
    top = dot_structure(stage_graph_dot(run, max_depth=0).source)
    assert f"s{tree['Build']}" in top.node_cluster and compile_ not in top.node_cluster
    # the parallel that is Build's only content merges into it (Jenkins' view does so): 2 branches, 2 stages
    assert "+4 inside" in top.node_attrs[f"s{tree['Build']}"]["label"]


def test_stage_graph_elides_very_long_sequences() -> None:
    b = GraphBuilder(start_ms=0, step_ms=1)
    for i in range(120):
        with b.stage(f"s{i}"):
            b.step("echo", message="x")
    s = dot_structure(stage_graph_dot(b.build(), max_nodes=40).source)
    stages = [n for n, a in s.node_attrs.items() if "fg-stage" in a.get("class", "")]
    assert len(stages) == 40
    assert "80 more stages" in s.node_attrs["gap"]["label"]


# -- stage view -------------------------------------------------------------------------------


def test_stage_view_grid_over_runs_with_different_stages() -> None:
    runs = example_runs(6, seed=3)
    failing = [r for r in runs if r.result is Result.FAILURE]
    grid = StageGrid(runs)
    assert [r.label for r in grid.rows] == [f"example/pipeline #{n}" for n in range(6, 0, -1)]
    names = [c.name for c in grid.columns]
    assert names[:3] == ["Checkout", "Build", "Test"]
    assert names[3:6] == ["Test \u203a unit", "Test \u203a integration", "Test \u203a lint"]
    assert "Package" in names
    package = names.index("Package")
    for row, run in zip(grid.rows, reversed(runs), strict=True):
        cell = row.cells[package]
        # failing runs stop after Test: their Package cell is empty
        assert (cell.state is None) == (run in failing)
    # the average of a column is the mean of its non-empty cells
    build = names.index("Build")
    durations = [r.cells[build].duration_ms for r in grid.rows]
    assert grid.averages[build] == sum(d for d in durations if d is not None) // len(durations)
    deploy = names.index("Deploy")
    assert grid.averages[deploy] is None  # skipped stages have no meaningful time
    assert [c.name for c in StageGrid(runs, depth=0).columns] == ["Checkout", "Build", "Test", "Package", "Deploy"]


def test_stage_view_svg_and_html_cells() -> None:
    runs = [ci_run(), example_run()]
    grid = StageGrid(runs, labels=["ci", "example"])
    root = etree.fromstring(stage_view_svg(grid).encode())
    cells = [g for g in root.iter(f"{SVG}g") if "fg-cell" in (g.get("class") or "")]
    assert len(cells) == len(grid.rows) * len(grid.columns)
    failed = [g for g in cells if "state-failure" in g.get("class")]
    assert failed and all("Failed" in (g.findtext(f"{SVG}title") or "") for g in failed)
    page = stage_view_html(grid, title="two runs")
    assert page.count('class="fg-cell') == len(cells)
    with pytest.raises(RenderError, match="2 runs"):
        StageGrid(runs, labels=["only one"])


# -- timeline ---------------------------------------------------------------------------------


def test_timeline_rows_overlap_for_parallel_branches() -> None:
    rows = {r.label: r for r in timeline_rows(example_run(), steps=False)}
    unit, integration, lint = rows["unit"], rows["integration"], rows["lint"]
    assert unit.kind == integration.kind == "branch" and rows["Test"].kind == "stage"
    assert max(unit.start_ms, integration.start_ms, lint.start_ms) < min(unit.end_ms, integration.end_ms, lint.end_ms)
    assert rows["Test"].end_ms >= max(unit.end_ms, integration.end_ms, lint.end_ms)
    assert lint.state == "unstable" and rows["Deploy"].state == "skipped"


def test_timeline_figure_of_a_running_run_reaches_now() -> None:
    b = GraphBuilder(start_ms=0, step_ms=1000)
    b.begin_stage("Build")
    b.step("sh", script="make")
    b.halt()
    run = b.build()
    run.clock = FixedClock(60_000)
    rows = timeline_rows(run)
    assert rows[0].label == "Build" and rows[0].end_ms == 60_000 and rows[0].state == "running"
    figure = timeline(run)
    assert isinstance(figure.canvas, FigureCanvasAgg)
    bars = figure.axes[0].patches
    assert len([b for b in bars if b.get_hatch()]) == 2  # the stage and its running step
    # the stage body started at 2 s and the step at 3 s; both run until "now" (60 s)
    assert [t.get_text() for t in figure.axes[0].texts] == ["58s", "57s"]
    capped = timeline(example_run(), max_rows=3)
    assert len(capped.axes[0].get_yticklabels()) == 3 and "more not drawn" in capped.axes[0].get_title(loc="left")


# -- Jupyter ----------------------------------------------------------------------------------


def test_jupyter_formatters_render_runs_graphs_and_stages() -> None:
    from IPython.core.formatters import DisplayFormatter

    shell = SimpleNamespace(display_formatter=DisplayFormatter())
    assert register(shell)
    run = ci_run()
    data, _ = shell.display_formatter.format(run)
    assert "<svg" in data["text/html"] and "Failed" in data["text/html"]
    graph_data, _ = shell.display_formatter.format(run.graph)
    assert "<svg" in graph_data["text/html"]
    stage = analyze(run).stages[1]
    stage_data, _ = shell.display_formatter.format(stage)
    assert "Test" in stage_data["text/html"]
    unregister(shell)
    # Without render's formatters a Run still describes itself (flowgraph's summary), drawing nothing.
    plain = shell.display_formatter.format(run)[0]
    assert "<svg" not in plain["text/html"] and "fg-run-summary" in plain["text/html"]


def test_run_without_stages_shows_its_node_graph() -> None:
    b = GraphBuilder(start_ms=0)
    b.step("echo", message="hello")
    page = run_html(b.build())
    assert "<svg" in page and "echo" in page


# -- style ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (0, "<1ms"),
        (0.4, "<1ms"),
        (40, "40ms"),
        (250, "0.25s"),
        (1500, "1.5s"),
        (4000, "4s"),
        (12_900, "12s"),
        (65_000, "1m 5s"),
        (3_723_000, "1h 2m"),
        (90_061_000, "1d 1h"),
        (None, ""),
    ],
)
def test_durations_are_humanised_as_jenkins_does(ms: float | None, text: str) -> None:
    assert humanize_ms(ms) == text


@given(st.integers(min_value=0, max_value=10**12))
def test_durations_have_at_most_two_units(ms: int) -> None:
    assert len(humanize_ms(ms).split()) <= 2


def test_every_scanner_status_has_a_style() -> None:
    expected = {
        Status.NOT_EXECUTED: "not_built",
        Status.SUCCESS: "success",
        Status.UNSTABLE: "unstable",
        Status.QUEUED: "queued",
        Status.IN_PROGRESS: "running",
        Status.FAILURE: "failure",
        Status.ABORTED: "aborted",
        Status.PAUSED_PENDING_INPUT: "paused",
    }
    assert {status: state_name(status) for status in Status} == expected
    assert state_name(None) == "unknown" and state_name(Result.NOT_BUILT) == "not_built"
    # Jenkins' colour families: running, queued and paused share the accent colour
    assert STATES["running"].fill == STATES["queued"].fill == STATES["paused"].fill
    assert STATES["aborted"].fill == STATES["skipped"].fill == STATES["not_built"].fill
