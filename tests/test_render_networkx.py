"""networkx round trips keep ids, kinds, parents (in order), block starts and every action."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import networkx as nx
import pytest
from hypothesis import given, settings
from render_support import build_program, ci_run, programs

from flowgraph import Action, FlowGraph, FlowNode, NodeKind, UnknownAction, register_action
from flowgraph.errors import FormatError, GraphCycleError, NodeNotFoundError
from render.networkx_io import from_networkx, to_networkx


def _same_graph(a: FlowGraph, b: FlowGraph) -> None:
    assert [n.id for n in a] == [n.id for n in b]
    for left, right in zip(a, b, strict=True):
        assert left == right  # FlowNode equality covers kind, parents, start, descriptor, actions, result
    assert a.head_ids == b.head_ids


def test_parallel_end_keeps_branch_order_and_attributes() -> None:
    run = ci_run()
    nxg = to_networkx(run)
    # the parallel end (22) closes branch ends 19 (unit) and 21 (lint), in declaration order
    assert nxg.nodes["22"]["parents"] == ["19", "21"]
    assert nxg.edges["19", "22"]["index"] == 0 and nxg.edges["21", "22"]["index"] == 1
    assert nxg.nodes["22"]["kind"] == "block-end" and nxg.nodes["22"]["start_id"] == "14"
    assert nxg.nodes["20"]["function"] == "sh"
    kinds = [a["kind"] for a in nxg.nodes["20"]["actions"]]
    assert "ErrorAction" in kinds and "ArgumentsAction" in kinds
    assert nxg.graph["heads"] == ["25"]
    assert nxg.nodes["25"]["result"] == "FAILURE"
    assert nxg.number_of_nodes() == len(run.graph)
    assert nxg.number_of_edges() == sum(len(n.parent_ids) for n in run.graph)
    _same_graph(from_networkx(nxg), run.graph)


@settings(max_examples=40, deadline=None)
@given(programs)
def test_round_trip_of_random_pipelines(program: list[Any]) -> None:
    graph = build_program(program).graph
    _same_graph(from_networkx(to_networkx(graph)), graph)


@register_action
@dataclasses.dataclass(frozen=True, slots=True)
class _CoverageAction(Action):
    kind: ClassVar[str] = "tests.render.Coverage"
    percent: float


def test_custom_and_unknown_actions_survive() -> None:
    graph = FlowGraph()
    graph.add_node(FlowNode("2", NodeKind.FLOW_START))
    graph.add_node(
        FlowNode("3", NodeKind.ATOM, ("2",), actions=[_CoverageAction(91.5), UnknownAction("com.x.Y", "<y/>")])
    )
    back = from_networkx(to_networkx(graph))
    assert back.node("3").actions == (_CoverageAction(91.5), UnknownAction("com.x.Y", "<y/>"))


def test_hand_made_digraph_in_any_order_gets_parents_from_edges() -> None:
    nxg = nx.DiGraph()
    nxg.add_node("4", kind="atom")  # added before its parent: a topological order is used
    nxg.add_node("2", kind="flow-start")
    nxg.add_node("3", kind="atom")
    nxg.add_edge("2", "3")
    nxg.add_edge("3", "4")
    graph = from_networkx(nxg)
    assert [n.id for n in graph] == ["2", "3", "4"]
    assert graph.node("4").parent_ids == ("3",)
    assert graph.head_ids == ("4",)


def test_bad_input_is_a_typed_error_naming_the_node() -> None:
    nxg = nx.DiGraph()
    nxg.add_node("2", kind="flow-start")
    nxg.add_node("3", kind="sideways")
    nxg.add_edge("2", "3")
    with pytest.raises(FormatError, match="node 3: 'kind' is 'sideways'"):
        from_networkx(nxg)

    cyclic = nx.DiGraph()
    cyclic.add_node("3", kind="atom")
    cyclic.add_node("4", kind="atom")
    cyclic.add_edges_from([("3", "4"), ("4", "3")])
    with pytest.raises(GraphCycleError):
        from_networkx(cyclic)

    disagree = to_networkx(ci_run())
    disagree.nodes["7"]["parents"] = ["5"]
    with pytest.raises(FormatError, match="node 7: its 'parents' attribute"):
        from_networkx(disagree)

    dangling = to_networkx(ci_run())
    dangling.nodes["11"]["start_id"] = "99"
    with pytest.raises(NodeNotFoundError, match="node 99 not found"):
        from_networkx(dangling)

    bad_heads = to_networkx(ci_run())
    bad_heads.graph["heads"] = ["404"]
    with pytest.raises(FormatError, match="404"):
        from_networkx(bad_heads)
