"""Exact visit orders of every scanner on the graphs of reference/scanners.md (expected orders from the spec)."""

from __future__ import annotations

import logging

import pytest
from scanner_graphs import LINEAR, NESTED_PARALLEL, SIMPLE_PARALLEL, TIMEOUT, TRIPLE_PARALLEL, graph_from, ids

from flowgraph import CorruptGraphError, FlowGraph, FlowNode, NodeKind, ScanError
from scanners import (
    DepthFirstScanner,
    FlowScanner,
    ForkScanner,
    LinearBlockHoppingScanner,
    LinearScanner,
    NodeType,
)


def order(scanner: FlowScanner, graph: FlowGraph, heads: str | list[str], deny: list[str] = ()) -> str:  # type: ignore[assignment]
    head_nodes = [graph.node(h) for h in ([heads] if isinstance(heads, str) else heads)]
    return " ".join(ids(scanner.all_nodes(head_nodes, deny)))


@pytest.fixture
def simple() -> FlowGraph:
    return graph_from(SIMPLE_PARALLEL)


# -- §2 DepthFirstScanner -----------------------------------------------------------------


def test_depth_first_simple_parallel(simple: FlowGraph) -> None:
    s = DepthFirstScanner(simple)
    assert order(s, simple, "15") == "15 14 13 9 8 6 4 3 2 12 11 10 7"
    assert order(s, simple, ["9", "12"]) == "9 8 6 4 3 2 12 11 10 7"
    assert order(s, simple, "15", ["9"]) == "15 14 13 12 11 10 7 4 3 2"


def test_depth_first_nested_parallel() -> None:
    g = graph_from(NESTED_PARALLEL)
    assert order(DepthFirstScanner(g), g, "25") == "25 24 23 9 8 6 4 3 2 22 21 17 16 14 12 11 10 7 20 19 18 15"


def test_depth_first_only_dedups_block_starts(simple: FlowGraph) -> None:
    # heads 9 and its ancestor 8: 8 is popped from the stack again (not re-checked), its parent 6 is
    # a visited block start, so the second walk stops right there.
    assert order(DepthFirstScanner(simple), simple, ["9", "8"]) == "9 8 6 4 3 2 8"


# -- §3 LinearScanner -------------------------------------------------------------------


def test_linear_simple_parallel(simple: FlowGraph) -> None:
    s = LinearScanner(simple)
    assert order(s, simple, "15") == "15 14 13 9 8 6 4 3 2"
    assert order(s, simple, "15", ["9"]) == "15 14 13 12 11 10 7 4 3 2"


def test_linear_straight_line() -> None:
    g = graph_from(LINEAR)
    assert order(LinearScanner(g), g, "6") == "6 5 4 3 2"
    assert order(LinearScanner(g), g, "6", ["4"]) == "6 5"


def test_linear_uses_first_head_and_logs(simple: FlowGraph, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="scanners.linear"):
        assert order(LinearScanner(simple), simple, ["12", "9"]) == "12 11 10 7 4 3 2"
    assert "ignoring ['9']" in caplog.text


# -- §4 LinearBlockHoppingScanner --------------------------------------------------------


def test_block_hopping_timeout_example() -> None:
    g = graph_from(TIMEOUT)
    s = LinearBlockHoppingScanner(g)
    assert not s.setup(g.node("11"))  # the flow end hops the whole flow: nothing
    assert order(s, g, "11") == ""
    assert order(s, g, "8") == "4 3 2"
    assert order(s, g, "7") == "7 6 5 4 3 2"
    assert order(s, g, "10") == "10 3 2"
    assert order(s, g, "8", ["5"]) == ""
    assert order(s, g, "8", ["4"]) == ""
    s.setup(g.node("7"))
    assert s.jump(g.node("8")).id == "4"  # type: ignore[union-attr]


def test_block_hopping_hops_whole_parallel(simple: FlowGraph) -> None:
    # 14's parent is the parallel end 13: hop to its start 4, continue with 4's parent.
    assert order(LinearBlockHoppingScanner(simple), simple, "14") == "14 3 2"
    # from inside branch 2 we walk out through the enclosing starts
    assert order(LinearBlockHoppingScanner(simple), simple, "11") == "11 10 7 4 3 2"


# -- §5 ForkScanner ----------------------------------------------------------------------


def test_fork_simple_parallel(simple: FlowGraph) -> None:
    s = ForkScanner(simple)
    assert order(s, simple, "15") == "15 14 13 12 11 10 7 9 8 6 4 3 2"
    assert order(s, simple, "14") == "14 13 12 11 10 7 9 8 6 4 3 2"
    assert order(s, simple, "15", ["9"]) == "15 14 13 12 11 10 7 4 3 2"
    assert order(s, simple, ["9", "12"]) == "9 8 6 12 11 10 7 4 3 2"
    assert order(s, simple, ["9", "11"]) == "9 8 6 11 10 7 4 3 2"
    assert order(s, simple, ["6", "7"]) == "6 7 4 3 2"
    assert order(s, simple, "8") == "8 6 4 3 2"


def test_fork_nested_parallel() -> None:
    g = graph_from(NESTED_PARALLEL)
    s = ForkScanner(g)
    assert order(s, g, "25") == "25 24 23 22 21 20 19 18 15 17 16 14 12 11 10 7 9 8 6 4 3 2"
    assert s.setup([g.node("20"), g.node("17"), g.node("9")])
    # parallel records after setup: inner fork 12 with tails [20, 17], then outer fork 4 with [9]
    assert s.current_parallel_start.id == "12"  # type: ignore[union-attr]
    assert s.parallel_depth == 2
    assert " ".join(ids(s)) == "20 19 18 15 17 16 14 12 11 10 7 9 8 6 4 3 2"


def test_fork_triple_parallel_running_view() -> None:
    g = graph_from(TRIPLE_PARALLEL)
    assert order(ForkScanner(g), g, ["11", "12", "14"]) == "11 10 7 12 8 14 9 4 3 2"


def test_fork_type_sequence_from_parallel_end(simple: FlowGraph) -> None:
    s = ForkScanner(simple)
    assert s.setup(simple.node("13"))
    seen = []
    for node in s:
        seen.append((node.id, s.current_type))
        if node.id == "6":
            assert s.next_type is NodeType.PARALLEL_START
            assert s.next_node.id == "4"  # type: ignore[union-attr]
            break
    assert seen == [
        ("13", NodeType.PARALLEL_END),
        ("12", NodeType.PARALLEL_BRANCH_END),
        ("11", NodeType.NORMAL),
        ("10", NodeType.NORMAL),
        ("7", NodeType.PARALLEL_BRANCH_START),
        ("9", NodeType.PARALLEL_BRANCH_END),
        ("8", NodeType.NORMAL),
        ("6", NodeType.PARALLEL_BRANCH_START),
    ]


def test_fork_node_types(simple: FlowGraph) -> None:
    s = ForkScanner(simple)
    s.setup(simple)
    types = {i: s.get_node_type(simple.node(i)) for i in ("2", "3", "4", "6", "9", "13", "15")}
    assert types == {
        "2": NodeType.NORMAL,
        "3": NodeType.NORMAL,
        "4": NodeType.PARALLEL_START,
        "6": NodeType.PARALLEL_BRANCH_START,
        "9": NodeType.PARALLEL_BRANCH_END,
        "13": NodeType.PARALLEL_END,
        "15": NodeType.NORMAL,
    }
    assert s.get_node_type(None) is None


def test_fork_walking_from_finish(simple: FlowGraph) -> None:
    s = ForkScanner(simple)
    s.setup(simple.node("15"))
    assert s.walking_from_finish
    s.setup(simple.node("14"))
    assert not s.walking_from_finish


def test_fork_multiple_parents_on_non_parallel_end_is_scan_error() -> None:
    g = FlowGraph()
    g.add_node(FlowNode("2", NodeKind.FLOW_START))
    g.add_node(FlowNode("3", NodeKind.ATOM, ("2",)))
    g.add_node(FlowNode("4", NodeKind.ATOM, ("2",)))
    g.add_node(FlowNode("5", NodeKind.ATOM, ("3", "4")))
    with pytest.raises(ScanError, match="node 5 has 2 parents"):
        ForkScanner().all_nodes(g)


# -- §1 setup contract -------------------------------------------------------------------


@pytest.mark.parametrize("cls", [DepthFirstScanner, LinearScanner, LinearBlockHoppingScanner, ForkScanner])
def test_setup_false_keeps_previous_walk(cls: type[FlowScanner], simple: FlowGraph) -> None:
    s = cls(simple)
    assert s.setup(simple.node("14"))
    first = next(s)
    assert first.id == "14"
    assert not s.setup([])
    assert not s.setup(None)
    assert not s.setup([simple.node("14")], [simple.node("14")])
    assert s.current is first  # untouched
    assert next(s).id != "14"  # the old walk continues


@pytest.mark.parametrize("cls", [DepthFirstScanner, LinearScanner, ForkScanner])
def test_heads_deduplicated_and_visited_first(cls: type[FlowScanner], simple: FlowGraph) -> None:
    s = cls(simple)
    assert s.setup([simple.node("15"), simple.node("15")])
    assert s.current.id == "15" and s.next_node.id == "15"  # type: ignore[union-attr]
    assert next(s).id == "15"


def test_heads_as_graph_node_ids_and_single_node(simple: FlowGraph) -> None:
    s = DepthFirstScanner(simple)
    assert ids(s.all_nodes(simple)) == ids(s.all_nodes(simple.node("15"))) == ids(s.all_nodes(["15"]))


def test_nodes_without_graph_is_scan_error(simple: FlowGraph) -> None:
    with pytest.raises(ScanError, match="no graph"):
        DepthFirstScanner().setup(simple.node("15"))


def test_convenience_methods(simple: FlowGraph) -> None:
    s = ForkScanner()
    atoms = lambda n: n.kind is NodeKind.ATOM  # noqa: E731
    assert s.find_first_match(simple, atoms).id == "14"  # type: ignore[union-attr]
    assert ids(s.filtered_nodes(simple, atoms)) == ["14", "11", "10", "8", "3"]
    assert ids(s.filtered_nodes(simple, atoms, ["13"])) == ["14"]
    assert s.find_first_match([], atoms) is None
    assert s.filtered_nodes([], atoms) == []
    seen: list[str] = []

    def visit(node: FlowNode) -> bool:
        seen.append(node.id)
        return node.id != "11"

    s.visit_all(simple, visit)
    assert seen == ["15", "14", "13", "12", "11"]


def test_filter_is_lazy_and_advances_the_scanner(simple: FlowGraph) -> None:
    s = DepthFirstScanner(simple)
    s.setup(simple)
    f = s.filter(lambda n: n.kind is NodeKind.ATOM)
    # constructing it consumed 15 and 14 (the first match); the scanner looks ahead at 13
    assert s.current.id == "14" and s.next_node.id == "13"  # type: ignore[union-attr]
    assert next(f).id == "14"
    assert s.current.id == "8"  # type: ignore[union-attr]  # one match ahead
    assert ids(f.filter(lambda n: n.id != "10")) == ["8", "3", "11"]


def test_parent_cycle_raises_instead_of_hanging() -> None:
    from flowgraph import MemoryNodeStorage

    nodes = [
        FlowNode("2", NodeKind.FLOW_START),
        FlowNode("3", NodeKind.ATOM, ("4",)),
        FlowNode("4", NodeKind.ATOM, ("3",)),
    ]
    g = FlowGraph(MemoryNodeStorage(nodes), heads=["4"])
    for cls in (DepthFirstScanner, LinearScanner, LinearBlockHoppingScanner, ForkScanner):
        with pytest.raises(CorruptGraphError, match="cycle"):
            cls().all_nodes(g)


def test_missing_parent_is_node_not_found() -> None:
    from flowgraph import MemoryNodeStorage, NodeNotFoundError

    g = FlowGraph(MemoryNodeStorage([FlowNode("3", NodeKind.ATOM, ("2",))]), heads=["3"])
    for cls in (DepthFirstScanner, LinearScanner, LinearBlockHoppingScanner, ForkScanner):
        with pytest.raises(NodeNotFoundError, match="node 2 not found"):
            cls().all_nodes(g)
