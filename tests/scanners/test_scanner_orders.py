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


def test_depth_first_first_head_is_not_marked_visited(simple: FlowGraph) -> None:
    # the first head is popped without being recorded, so reaching block start 4 again from
    # branch 1 returns it and atom 3 a second time; the walk stops at the flow start 2, a block
    # start already recorded. A head popped from the stack later is never re-checked.
    assert order(DepthFirstScanner(simple), simple, ["4", "9"]) == "4 3 2 9 8 6 4 3"
    assert order(DepthFirstScanner(simple), simple, ["9", "4"]) == "9 8 6 4 3 2 4 3"


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
    assert ids(s.all_nodes("15", "9")) == ids(s.all_nodes(["15"], [simple.node("9")]))  # one id, not characters


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


# -- builder graphs (orders derived by hand from the spec's rules) -----------------------


def _two_stages() -> FlowGraph:
    from flowgraph import GraphBuilder

    b = GraphBuilder()
    with b.stage("Build"):
        b.step("sh", script="make")
    with b.stage("Test"):
        b.step("sh", script="pytest")
    g = b.build().graph
    # 2 start; 3 stage; 4 body Build; 5 sh; 6 end:4; 7 end:3; 8 stage; 9 body Test; 10 sh; 11 end:9; 12 end:8; 13 end
    assert (g.node("7").start_id, g.node("12").start_id, g.node("13").parent_ids) == ("3", "8", ("12",))
    return g


def test_stage_blocks_all_scanners() -> None:
    g = _two_stages()
    down = " ".join(str(i) for i in range(13, 1, -1))
    for cls in (DepthFirstScanner, LinearScanner, ForkScanner):
        assert order(cls(g), g, "13") == down
    s = LinearBlockHoppingScanner(g)
    assert order(s, g, "13") == ""
    assert order(s, g, "12") == "2"  # 12 closes 8, whose parent 7 closes 3, whose parent is 2
    assert order(s, g, "10") == "10 9 8 2"


def test_legacy_atom_stages() -> None:
    from flowgraph import GraphBuilder
    from scanners import is_stage

    b = GraphBuilder()
    b.legacy_stage("A")
    b.step("echo", message="a")
    b.legacy_stage("B")
    b.step("sh", script="b")
    g = b.build().graph
    for cls in (DepthFirstScanner, LinearScanner, LinearBlockHoppingScanner, ForkScanner):
        assert order(cls(g), g, "6") == "6 5 4 3 2"
    assert ids(ForkScanner().filtered_nodes(g, is_stage)) == ["5", "3"]


def _parallel_in_parallel() -> FlowGraph:
    from flowgraph import GraphBuilder

    b = GraphBuilder()
    b.step("echo", message="before")
    with b.parallel("outer1", "outer2") as p:
        with p.branch("outer1"):
            b.step("sh", script="one")
        with p.branch("outer2"):
            with b.parallel("in1", "in2") as q:
                with q.branch("in1"):
                    b.step("sh", script="in1")
                with q.branch("in2"):
                    b.step("sh", script="in2")
    b.step("echo", message="after")
    g = b.build().graph
    # 3 echo; 4 par; 6/7 branches; 8 sh; 9 end:6; 10 par(7); 12/13 branches; 14 sh; 15 end:12; 16 sh;
    # 17 end:13; 18 end:10(15,17); 19 end:7; 20 end:4(9,19); 21 echo; 22 flow end
    assert g.node("20").parent_ids == ("9", "19") and g.node("18").parent_ids == ("15", "17")
    assert g.node("10").parent_ids == ("7",) and g.node("22").parent_ids == ("21",)
    return g


def test_parallels_in_parallels() -> None:
    g = _parallel_in_parallel()
    assert order(DepthFirstScanner(g), g, "22") == "22 21 20 9 8 6 4 3 2 19 18 15 14 12 10 7 17 16 13"
    assert order(ForkScanner(g), g, "22") == "22 21 20 19 18 17 16 13 15 14 12 10 7 9 8 6 4 3 2"
    assert order(LinearScanner(g), g, "22") == "22 21 20 9 8 6 4 3 2"
    s = LinearBlockHoppingScanner(g)
    assert order(s, g, "21") == "21 3 2"
    assert order(s, g, "16") == "16 13 10 7 4 3 2"
    assert order(s, g, "19") == "4 3 2"
    # deny a node inside an inner branch: only that branch is cut
    assert order(ForkScanner(g), g, "22", ["15"]) == "22 21 20 19 18 17 16 13 10 7 9 8 6 4 3 2"
    assert order(DepthFirstScanner(g), g, "22", ["15"]) == "22 21 20 9 8 6 4 3 2 19 18 17 16 13 10 7"


def _running_two_heads() -> FlowGraph:
    from flowgraph import GraphBuilder

    b = GraphBuilder()
    b.step("echo", message="before")
    b.begin_parallel("a", "b")
    b.enter_branch("a")
    b.step("sh", script="a")
    b.halt()
    b.leave_branch()
    b.enter_branch("b")
    b.step("sh", script="b1")
    b.step("sh", script="b2")
    b.halt()
    b.leave_branch()
    run = b.build()
    assert run.running
    g = run.graph
    # 3 echo; 4 par; 6 branch a; 7 branch b; 8 sh(6); 9 sh(7); 10 sh(9)
    assert g.head_ids == ("8", "10") and g.node("9").parent_ids == ("7",)
    return g


def test_unfinished_run_with_two_heads() -> None:
    g = _running_two_heads()
    assert " ".join(ids(ForkScanner().all_nodes(g))) == "8 6 10 9 7 4 3 2"
    assert " ".join(ids(DepthFirstScanner().all_nodes(g))) == "8 6 4 3 2 10 9 7"
    assert " ".join(ids(LinearScanner().all_nodes(g))) == "8 6 4 3 2"
    # deny the parallel start: each branch is walked, nothing before it
    assert " ".join(ids(ForkScanner().all_nodes(g, ["4"]))) == "8 6 10 9 7"
    assert " ".join(ids(DepthFirstScanner().all_nodes(g, ["4"]))) == "8 6 10 9 7"


def test_fork_heads_without_common_parallel_is_scan_error(simple: FlowGraph) -> None:
    with pytest.raises(ScanError, match="no common ancestor"):
        ForkScanner(simple).setup([simple.node("3"), simple.node("2")])


def test_block_hopping_start_end_loop_is_cycle_error() -> None:
    from flowgraph import GraphCycleError, MemoryNodeStorage

    nodes = [
        FlowNode("2", NodeKind.FLOW_START),
        FlowNode("3", NodeKind.BLOCK_END, ("4",), start_id="4"),  # hand-edited: a start that follows its end
        FlowNode("4", NodeKind.BLOCK_START, ("3",)),
        FlowNode("5", NodeKind.ATOM, ("3",)),
    ]
    g = FlowGraph(MemoryNodeStorage(nodes), heads=["5"])
    with pytest.raises(GraphCycleError):
        LinearBlockHoppingScanner().all_nodes(g)


def test_depth_first_storage_reads_are_exact(simple: FlowGraph) -> None:
    """One read per non-denied parent edge, reported to the storage even though the walk reads in bulk."""
    from collections.abc import Iterator

    from flowgraph import MemoryNodeStorage, NodeStorage

    store = simple.storage
    assert isinstance(store, MemoryNodeStorage)
    head, three = simple.node("15"), simple.node("3")
    store.reads = 0
    DepthFirstScanner(simple).all_nodes(head)
    # parents read: 15, 14, 13 (two), 9, 8, 6, 4, 3, 12, 11, 10, 7 (its parent 4 is read, then skipped)
    assert store.reads == 13
    store.reads = 0
    s = DepthFirstScanner(simple)
    assert s.find_first_match(head, lambda n: n.id == "13").id == "13"  # type: ignore[union-attr]
    s.setup(three)  # the abandoned walk is closed and reports what it read: 15, 14, 13 (two)
    assert store.reads == 4

    class Counting(NodeStorage):
        """A storage that counts in get_node and keeps the default bulk reader."""

        def __init__(self, nodes: list[FlowNode]) -> None:
            self.nodes = {n.id: n for n in nodes}
            self.count = 0

        def get_node(self, node_id: str) -> FlowNode | None:
            self.count += 1
            return self.nodes.get(node_id)

        def store_node(self, node: FlowNode, *, delay: bool = False) -> None:
            self.nodes[node.id] = node

        def flush(self) -> None:
            return None

        def is_persisted_fully(self) -> bool:
            return True

        def node_ids(self) -> Iterator[str]:
            return iter(list(self.nodes))

        def __len__(self) -> int:
            return len(self.nodes)

    counting = Counting(list(simple))
    other = FlowGraph(counting, heads=["15"])
    counting.count = 0
    assert " ".join(ids(DepthFirstScanner().all_nodes(other))) == "15 14 13 9 8 6 4 3 2 12 11 10 7"
    assert counting.count == 13 + 1  # the parent edges, plus the head itself
