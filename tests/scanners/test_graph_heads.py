"""FlowGraph keeps its heads in O(1) per node (foundation fix made for deep parallels): same order as before."""

from __future__ import annotations

from builder_programs import Item, programs, run_program
from hypothesis import given, settings

from flowgraph import FlowGraph, NodeKind


def _reference_heads(graph: FlowGraph) -> list[str]:
    """The list rule: a node replaces its parents that are heads, at the earliest one's place, else goes last."""
    heads: list[str] = []
    for node in graph:
        places = [heads.index(p) for p in node.parent_ids if p in heads]
        for p in node.parent_ids:
            if p in heads:
                heads.remove(p)
        if places:
            heads.insert(min(places), node.id)
        else:
            heads.append(node.id)
    return heads


@settings(max_examples=100, deadline=None)
@given(programs)
def test_heads_order_matches_the_list_rule(program: list[Item]) -> None:
    graph = run_program(program).graph
    assert list(graph.head_ids) == _reference_heads(graph)
    assert all(graph.is_active(h) for h in graph.heads if h.kind is not NodeKind.FLOW_END)


def test_heads_survive_set_heads_and_appends() -> None:
    from flowgraph import FlowNode, NodeKind

    g = FlowGraph()
    g.add_node(FlowNode("2", NodeKind.FLOW_START))
    g.add_node(FlowNode("3", NodeKind.ATOM, ("2",)))
    g.add_node(FlowNode("4", NodeKind.ATOM, ("2",)))  # a second branch: appended
    g.add_node(FlowNode("5", NodeKind.ATOM, ("3",)))  # replaces 3 in place
    assert g.head_ids == ("5", "4")
    g.add_node(FlowNode("6", NodeKind.ATOM, ("4", "5")))  # takes the earliest parent's place
    assert g.head_ids == ("6",)
    g.set_heads(["5", "4", "5"])
    assert g.head_ids == ("5", "4") and g.is_active(g.node("4")) and not g.is_active(g.node("6"))
