"""The node graph in DOT: clusters nest as blocks do, colours follow statuses, collapsing hides contents.

Structure is read back through Graphviz itself (its JSON output), so these tests check what
Graphviz understood, not the text we wrote.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from lxml import etree
from render_support import build_program, ci_run, deep_run, dot_structure, programs

from flowgraph import GraphBuilder, NodeKind
from flowgraph.errors import NodeNotFoundError, RenderError
from render.dot import to_dot, to_svg
from render.style import STATES


def _cluster(block_id: str) -> str:
    return f"cluster_{block_id}"


def test_clusters_nest_as_the_blocks_of_the_example_do() -> None:
    s = dot_structure(to_dot(ci_run()).source)
    # stage Build (3) > body (4) > node (5) > node body (6) > sh make (7)
    assert s.cluster_chain("7") == [_cluster(i) for i in ("6", "5", "4", "3")]
    # stage Test (12) > body (13) > parallel (14) > branch unit (16) / lint (17)
    assert s.cluster_chain("18") == [_cluster(i) for i in ("16", "14", "13", "12")]
    assert s.cluster_chain("20") == [_cluster(i) for i in ("17", "14", "13", "12")]
    # block ends sit in their own block's box; the flow start and end outside every box
    assert s.node_cluster["22"] == _cluster("14") and s.node_cluster["10"] == _cluster("4")
    assert s.node_cluster["2"] is None and s.node_cluster["25"] is None
    # the two branches are sibling boxes inside the parallel's box
    assert s.cluster_parent[_cluster("16")] == s.cluster_parent[_cluster("17")] == _cluster("14")
    # every parent link is an edge (time flows from parent to child)
    assert ("19", "22") in s.edges and ("21", "22") in s.edges and ("14", "16") in s.edges
    assert len(s.edges) == sum(len(n.parent_ids) for n in ci_run().graph)


def _x_range(group: Any) -> tuple[float, float]:
    ns = "{http://www.w3.org/2000/svg}"
    shape = group.find(f".//{ns}path")
    if shape is not None:
        numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", shape.get("d"))]
    else:
        shape = group.find(f".//{ns}polygon")
        numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", shape.get("points"))]
    xs = numbers[0::2]
    return min(xs), max(xs)


def test_parallel_branches_are_drawn_side_by_side_in_the_svg() -> None:
    svg = to_svg(ci_run())
    root = etree.fromstring(svg.encode())
    groups = {g.get("id"): g for g in root.iter("{http://www.w3.org/2000/svg}g")}
    unit, lint = groups["b16"], groups["b17"]
    assert "fg-block" in unit.get("class") and "block-branch" in unit.get("class")
    (a0, a1), (b0, b1) = _x_range(unit), _x_range(lint)
    assert a1 <= b0 or b1 <= a0  # the two branch boxes do not overlap horizontally
    # every flow node is an SVG group with our id and state class
    node_ids = {n.id for n in ci_run().graph}
    assert {f"n{i}" for i in node_ids} <= set(groups)
    assert "state-failure" in groups["n20"].get("class")


@settings(max_examples=25, deadline=None)
@given(programs)
def test_every_node_sits_in_the_boxes_of_its_enclosing_blocks(program: list[Any]) -> None:
    run = build_program(program)
    graph = run.graph
    s = dot_structure(to_dot(run, max_nodes=None).source)
    for node in graph:
        expected = [b for b in graph.all_enclosing_ids(node) if graph.node(b).kind is not NodeKind.FLOW_START]
        if node.kind is NodeKind.BLOCK_START:
            expected.insert(0, node.id)
        elif node.kind is NodeKind.BLOCK_END and node.start_id is not None:
            expected.insert(0, node.start_id)
        assert s.cluster_chain(node.id) == [_cluster(b) for b in expected], node


def test_failing_step_is_red_and_shows_its_error() -> None:
    s = dot_structure(to_dot(ci_run()).source)
    failing = s.node_attrs["20"]
    assert failing["fillcolor"] == STATES["failure"].light and failing["color"] == STATES["failure"].fill
    assert "script returned exit code 1" in failing["label"]
    assert "state-failure" in failing["class"]
    passing = s.node_attrs["18"]
    assert passing["fillcolor"] == STATES["success"].light and "state-success" in passing["class"]
    assert "pytest" in passing["label"]
    # duration of `make`: the step ran 65 s until the next node started
    assert "1m 5s" in s.node_attrs["7"]["label"]


def test_cluster_and_node_colours_follow_the_jenkins_statuses() -> None:
    s = dot_structure(to_dot(ci_run()).source)

    def colours(attrs: dict[str, str]) -> tuple[str, str]:
        return attrs["color"], attrs["fillcolor"]

    red = (STATES["failure"].fill, STATES["failure"].light)
    green = (STATES["success"].fill, STATES["success"].light)
    # Build succeeded: both of its blocks, the node block and `make` are green
    for block in ("3", "4", "5", "6"):
        assert s.cluster_attrs[_cluster(block)]["color"] == STATES["success"].fill, block
        assert "state-success" in s.cluster_attrs[_cluster(block)]["class"]
    assert colours(s.node_attrs["7"]) == green
    # Test failed through its lint branch; the unit branch is still green
    for block in ("12", "13", "14", "17"):
        assert s.cluster_attrs[_cluster(block)]["color"] == STATES["failure"].fill, block
    assert s.cluster_attrs[_cluster("16")]["color"] == STATES["success"].fill
    assert colours(s.node_attrs["20"]) == red and colours(s.node_attrs["18"]) == green
    # the run failed: flow start and end carry the run's status
    assert colours(s.node_attrs["25"]) == red
    # stage labels carry their durations (Build ran from node 4 to node 10: 71 s)
    assert "Build" in s.cluster_attrs[_cluster("4")]["label"] and "1m 11s" in s.cluster_attrs[_cluster("4")]["label"]


@pytest.mark.parametrize(
    ("make", "state"),
    [
        (lambda b: b.unstable("flaky"), "unstable"),
        (lambda b: b.abort(), "aborted"),
        (lambda b: b.input("Deploy?"), "paused"),
        (lambda b: b.halt(), "running"),
    ],
)
def test_other_states_get_their_colours(make: Any, state: str) -> None:
    b = GraphBuilder(start_ms=0)
    b.begin_stage("Deploy")
    b.step("echo", message="hello")
    make(b)
    run = b.build() if state in ("paused", "running") else _finish(b)
    s = dot_structure(to_dot(run).source)
    assert s.cluster_attrs[_cluster("4")]["color"] == STATES[state].fill
    assert f"state-{state}" in s.cluster_attrs[_cluster("4")]["class"]


def _finish(b: GraphBuilder) -> Any:
    b.end_block()
    return b.build()


def test_skipped_stage_is_grey() -> None:
    b = GraphBuilder(start_ms=0)
    with b.stage("Deploy", skipped="SKIPPED_FOR_CONDITIONAL"):
        pass
    s = dot_structure(to_dot(b.build()).source)
    assert "state-skipped" in s.cluster_attrs[_cluster("4")]["class"]
    assert s.cluster_attrs[_cluster("4")]["color"] == STATES["skipped"].fill


def test_collapsed_blocks_hide_their_contents_and_keep_the_flow() -> None:
    s = dot_structure(to_dot(ci_run(), collapse_depth=1).source)
    # depth 1 = the stage step blocks; their bodies (4, 13) are drawn as one box each
    drawn = set(s.node_cluster)
    assert {"4", "13"} <= drawn
    assert not drawn & {"5", "6", "7", "8", "9", "10", "14", "16", "18", "20", "22", "23"}
    assert "fg-collapsed" in s.node_attrs["4"]["class"]
    assert "7 nodes" in s.node_attrs["4"]["label"]  # 4..10: body start, node block, sh, body end
    # edges are rewired through the collapsed box: 3 -> [4..10] -> 11
    assert ("3", "4") in s.edges and ("4", "11") in s.edges and ("13", "24") in s.edges
    assert _cluster("4") not in s.cluster_parent and _cluster("14") not in s.cluster_parent


def test_collapse_depth_zero_draws_top_level_blocks_only() -> None:
    s = dot_structure(to_dot(ci_run(), collapse_depth=0).source)
    # a collapsed block's box holds its end node too: only start, two stage boxes, end remain
    assert set(s.node_cluster) == {"2", "3", "12", "25"}
    assert s.cluster_parent == {}
    assert s.edges == {("2", "3"), ("3", "12"), ("12", "25")}


def test_collapsing_named_blocks() -> None:
    s = dot_structure(to_dot(ci_run(), collapsed=["14"]).source)
    assert "14" in s.node_cluster and not {"16", "17", "18", "19", "20", "21", "22"} & set(s.node_cluster)
    assert ("13", "14") in s.edges and ("14", "23") in s.edges
    assert "7" in s.node_cluster  # the other stage stays open


def test_hiding_body_blocks_merges_each_step_with_its_body() -> None:
    s = dot_structure(to_dot(ci_run(), hide_bodies=True).source)
    drawn = set(s.node_cluster)
    assert not drawn & {"4", "10", "6", "8", "13", "23"}  # stage and node bodies gone
    assert {"16", "17", "19", "21"} <= drawn  # parallel branches are kept
    assert s.cluster_chain("7") == [_cluster("5"), _cluster("3")]
    assert s.cluster_chain("20") == [_cluster("17"), _cluster("14"), _cluster("12")]
    assert ("3", "5") in s.edges and ("5", "7") in s.edges and ("7", "9") in s.edges and ("9", "11") in s.edges


def test_hide_bodies_counts_depth_in_drawn_levels() -> None:
    s = dot_structure(to_dot(ci_run(), hide_bodies=True, collapse_depth=1).source)
    # level 1 is the stages, level 2 the node block and the parallel: those are collapsed
    assert "5" in s.node_cluster and "7" not in s.node_cluster and "14" in s.node_cluster
    assert s.cluster_chain("5") == [_cluster("3")]


def test_sub_tree_limit_draws_one_block() -> None:
    s = dot_structure(to_dot(ci_run(), root="14").source)
    assert set(s.node_cluster) == {str(i) for i in range(14, 23) if i != 15}
    assert s.cluster_chain("18") == [_cluster("16"), _cluster("14")]
    s1 = dot_structure(to_dot(ci_run(), root="12", collapse_depth=1).source)
    assert "13" in s1.node_cluster and "14" not in s1.node_cluster  # depth counts from the root


def test_bad_options_are_typed_errors() -> None:
    with pytest.raises(NodeNotFoundError, match="node 99"):
        to_dot(ci_run(), root="99")
    with pytest.raises(RenderError, match=r"node 7 .* is not a block start"):
        to_dot(ci_run(), collapsed=["7"])


def test_user_text_cannot_break_the_dot_syntax() -> None:
    b = GraphBuilder(start_ms=0)
    b.step("sh", script='echo "a\\nb" \\\\ <html> } { ;')
    b.step("echo", message="<b>bold?</b>")
    run = b.build()
    s = dot_structure(to_dot(run).source)
    assert 'echo "a\\nb" \\\\ <html> } { ;' in s.node_attrs["3"]["label"].replace("\\\\", "\\")
    assert "<b>bold?</b>" in s.node_attrs["4"]["label"]


def test_big_graphs_collapse_automatically() -> None:
    run = deep_run(2_000)  # 4,000 nested blocks
    source = to_dot(run, max_nodes=300).source
    s = dot_structure(source)
    assert len(s.node_cluster) <= 300
    assert any("fg-collapsed" in a.get("class", "") for a in s.node_attrs.values())
    full = to_dot(run, max_nodes=None).source
    assert full.count("subgraph cluster_") == 4_000


def test_long_flat_runs_are_elided_with_a_gap_node() -> None:
    b = GraphBuilder(start_ms=0, step_ms=1)
    for i in range(2_000):
        b.step("echo", message=f"line {i}")
    run = b.build()
    s = dot_structure(to_dot(run, max_nodes=100).source)
    assert len(s.node_cluster) <= 100
    gaps = [n for n, a in s.node_attrs.items() if "fg-gap" in a.get("class", "")]
    assert len(gaps) == 1
    assert "more nodes" in s.node_attrs[gaps[0]]["label"]
    # the flow still reaches the end through the gap
    assert any(t == gaps[0] for _, t in s.edges) and any(f == gaps[0] for f, _ in s.edges)
