"""FlowGraph: validation on append, heads, children, listeners, whole-graph checks, Run."""

from __future__ import annotations

import pytest

from flowgraph import (
    CorruptGraphError,
    DuplicateNodeError,
    FixedClock,
    FlowGraph,
    FlowNode,
    GraphCycleError,
    MemoryNodeStorage,
    NodeKind,
    NodeNotFoundError,
    Result,
    Run,
)

S, E, A, FS, FE = NodeKind.BLOCK_START, NodeKind.BLOCK_END, NodeKind.ATOM, NodeKind.FLOW_START, NodeKind.FLOW_END


def parallel_graph() -> FlowGraph:
    """The simple parallel of reference/scanners.md §2 (ids as in Jenkins' own tests)."""
    g = FlowGraph()
    for node in [
        FlowNode("2", FS),
        FlowNode("3", A, ["2"]),
        FlowNode("4", S, ["3"]),
        FlowNode("6", S, ["4"]),
        FlowNode("7", S, ["4"]),
        FlowNode("8", A, ["6"]),
        FlowNode("9", E, ["8"], start_id="6"),
        FlowNode("10", A, ["7"]),
        FlowNode("11", A, ["10"]),
        FlowNode("12", E, ["11"], start_id="7"),
        FlowNode("13", E, ["9", "12"], start_id="4"),
        FlowNode("14", A, ["13"]),
        FlowNode("15", FE, ["14"], start_id="2"),
    ]:
        g.add_node(node)
    return g


def test_heads_follow_the_running_branches() -> None:
    g = FlowGraph()
    g.add_node(FlowNode("2", FS))
    g.add_node(FlowNode("3", S, ["2"]))
    g.add_node(FlowNode("4", S, ["3"]))
    g.add_node(FlowNode("5", S, ["3"]))
    assert g.head_ids == ("4", "5")  # branch declaration order
    g.add_node(FlowNode("6", A, ["5"]))
    g.add_node(FlowNode("7", E, ["4"], start_id="4"))
    assert g.head_ids == ("7", "6")  # a finished branch end stays a head until the join
    g.add_node(FlowNode("8", E, ["6"], start_id="5"))
    g.add_node(FlowNode("9", E, ["7", "8"], start_id="3"))
    assert g.head_ids == ("9",)


def test_heads_are_computed_for_a_loaded_storage() -> None:
    storage = parallel_graph().storage
    loaded = FlowGraph(storage)
    assert loaded.head_ids == ("15",)
    partial = MemoryNodeStorage(n for n in storage.iter_nodes() if n.id in {"2", "3", "4", "6", "7", "8", "10"})
    assert FlowGraph(partial).head_ids == ("8", "10")


@pytest.mark.parametrize(
    ("node", "error", "words"),
    [
        (FlowNode("3", A, ["2"]), DuplicateNodeError, "3 already exists"),
        (FlowNode("20", A, ["99"]), NodeNotFoundError, "node 99 not found (named by node 20)"),
        (FlowNode("20", E, ["3"], start_id="98"), NodeNotFoundError, "node 98 not found"),
        (FlowNode("20", E, ["3"], start_id="3"), CorruptGraphError, "cannot close node 3"),
        (FlowNode("20", FS), CorruptGraphError, "already has nodes"),
        (FlowNode("20", FE, ["3"], start_id="4"), CorruptGraphError, "cannot close node 4"),
    ],
)
def test_bad_appends_raise_typed_errors_naming_the_node(node: FlowNode, error: type[Exception], words: str) -> None:
    g = FlowGraph()
    for n in [FlowNode("2", FS), FlowNode("3", A, ["2"]), FlowNode("4", S, ["3"])]:
        g.add_node(n)
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        g.add_node(node)
    assert len(g) == 3  # nothing half-added


def test_a_block_cannot_be_closed_twice() -> None:
    g = FlowGraph()
    for n in [FlowNode("2", FS), FlowNode("3", S, ["2"]), FlowNode("4", E, ["3"], start_id="3")]:
        g.add_node(n)
    with pytest.raises(CorruptGraphError, match="already closed by node 4"):
        g.add_node(FlowNode("5", E, ["4"], start_id="3"))


def test_missing_node_is_a_lookup_error_but_not_a_bare_key_error() -> None:
    g = parallel_graph()
    with pytest.raises(NodeNotFoundError) as info:
        g.node("404")
    assert isinstance(info.value, LookupError) and not isinstance(info.value, KeyError)
    assert g.get("404") is None


def test_children_index_is_built_once_and_kept_current() -> None:
    g = parallel_graph()
    assert [n.id for n in g.children(g.node("4"))] == ["6", "7"]
    assert [n.id for n in g.children(g.node("15"))] == []
    assert [n.id for n in g.parents(g.node("13"))] == ["9", "12"]


def test_listeners_are_told_of_each_new_node() -> None:
    seen: list[str] = []

    class Recorder:
        def on_new_node(self, node: FlowNode) -> None:
            seen.append(node.id)

    g = FlowGraph()
    g.add_listener(Recorder())
    g.add_node(FlowNode("2", FS))
    g.add_node(FlowNode("3", A, ["2"]))
    assert seen == ["2", "3"]


def test_len_iteration_and_contains() -> None:
    g = parallel_graph()
    assert len(g) == 13
    assert [n.id for n in g][:4] == ["2", "3", "4", "6"]
    assert "9" in g and g.node("9") in g and "5" not in g
    assert g.flow_start.id == "2"


def test_validate_finds_a_cycle_and_names_its_nodes() -> None:
    nodes = [
        FlowNode("2", FS),
        FlowNode("3", S, ["2"]),
        FlowNode("4", A, ["3"]),
        # hand-edited: 6 says it closes 7, and 7 comes after 6 (the shape of the damaged fixture)
        FlowNode("6", E, ["4"], start_id="7"),
        FlowNode("7", S, ["6"]),
    ]
    g = FlowGraph(MemoryNodeStorage(nodes), heads=["7"])
    with pytest.raises(GraphCycleError) as info:
        g.validate()
    assert set(info.value.node_ids) >= {"6", "7"}


def test_validate_reports_dangling_links() -> None:
    nodes = [FlowNode("2", FS), FlowNode("4", A, ["3"])]
    with pytest.raises(NodeNotFoundError, match="node 3 not found"):
        FlowGraph(MemoryNodeStorage(nodes)).validate()
    with pytest.raises(NodeNotFoundError, match="heads"):
        FlowGraph(MemoryNodeStorage(nodes[:1]), heads=["9"]).validate()


def test_run_facts_and_injected_clock() -> None:
    g = parallel_graph()
    done = Run(g, result=Result.SUCCESS, start_ms=1_000, duration_ms=9_000)
    assert not done.running and done.end_ms == 10_000
    live = Run(g, start_ms=1_000, clock=FixedClock(4_000))
    assert live.running and live.now_ms() == 4_000 and live.end_ms is None
