"""Enclosing-block lookup: Jenkins' answers, a brute-force cross-check, size and linearity."""

from __future__ import annotations

import pytest
from conftest import SHARED  # noqa: F401  (keeps the shared tree's location in one place)
from hypothesis import given
from programs import build_program, programs
from test_graph import parallel_graph

from flowgraph import (
    CorruptGraphError,
    FlowGraph,
    FlowNode,
    GraphBuilder,
    GraphCycleError,
    MemoryNodeStorage,
    NodeKind,
)

S, E, A, FS, FE = NodeKind.BLOCK_START, NodeKind.BLOCK_END, NodeKind.ATOM, NodeKind.FLOW_START, NodeKind.FLOW_END


def timeout_graph() -> FlowGraph:
    """reference/scanners.md §4: a timeout block with its body."""
    g = FlowGraph()
    for node in [
        FlowNode("2", FS),
        FlowNode("3", A, ["2"]),
        FlowNode("4", S, ["3"]),
        FlowNode("5", S, ["4"]),
        FlowNode("6", A, ["5"]),
        FlowNode("7", A, ["6"]),
        FlowNode("8", E, ["7"], start_id="5"),
        FlowNode("9", E, ["8"], start_id="4"),
        FlowNode("10", A, ["9"]),
        FlowNode("11", FE, ["10"], start_id="2"),
    ]:
        g.add_node(node)
    return g


def test_spec_examples_timeout_block() -> None:
    g = timeout_graph()
    expected = {"2": None, "3": "2", "4": "2", "5": "4", "6": "5", "7": "5", "8": "4", "9": "2", "10": "2", "11": None}
    assert {n.id: g.enclosing_id(n) for n in g} == expected
    assert g.all_enclosing_ids(g.node("7")) == ["5", "4", "2"]
    assert [n.id for n in g.enclosing_blocks(g.node("8"))] == ["4", "2"]


def test_spec_examples_simple_parallel() -> None:
    g = parallel_graph()
    assert g.enclosing_id(g.node("9")) == "4"
    assert g.enclosing_id(g.node("13")) == "2"
    assert g.enclosing_id(g.node("6")) == "4"
    assert g.enclosing_id(g.node("8")) == "6"
    assert g.enclosing_id(g.node("4")) == "2"


def test_end_of_is_none_while_open_and_tracks_appends() -> None:
    g = FlowGraph()
    g.add_node(FlowNode("2", FS))
    g.add_node(FlowNode("3", S, ["2"]))
    g.add_node(FlowNode("4", A, ["3"]))
    assert g.end_of(g.node("3")) is None and g.is_active(g.node("3"))
    assert g.enclosing_id(g.node("4")) == "3"
    g.add_node(FlowNode("5", E, ["4"], start_id="3"))
    end = g.end_of(g.node("3"))
    assert end is not None and end.id == "5" and not g.is_active(g.node("3"))
    assert g.enclosing_id(g.node("5")) == "2"


def test_end_of_on_a_loaded_graph_indexes_once() -> None:
    storage = timeout_graph().storage
    g = FlowGraph(storage)
    assert g.end_of(g.node("4")).id == "9"  # type: ignore[union-attr]
    visits = g.lookup.visits
    assert g.end_of(g.node("5")).id == "8"  # type: ignore[union-attr]
    assert g.end_of(g.node("2")).id == "11"  # type: ignore[union-attr]
    assert g.lookup.visits - visits == 2  # just the two answers fetched; no second pass


def brute_force_enclosing(g: FlowGraph) -> dict[str, str | None]:
    """An independent definition: the deepest block start that is a proper ancestor and whose end
    (if any) is not an ancestor-or-self of the node. Quadratic; small graphs only."""
    ancestors: dict[str, set[str]] = {}
    for node in g:  # storage order is creation order, so parents come first
        acc: set[str] = set()
        for p in node.parent_ids:
            acc |= ancestors[p] | {p}
        ancestors[node.id] = acc
    ends = {n.start_id: n.id for n in g if n.start_id is not None}
    result: dict[str, str | None] = {}
    for node in g:
        candidates = [
            s
            for s in ancestors[node.id]
            if g.node(s).is_block_start and not (s in ends and (ends[s] == node.id or ends[s] in ancestors[node.id]))
        ]
        result[node.id] = max(candidates, key=lambda s: len(ancestors[s]), default=None)
    return result


@given(programs)
def test_lookup_matches_brute_force_on_random_pipelines(ops: list) -> None:  # type: ignore[type-arg]
    run = build_program(ops)
    fresh = FlowGraph(run.graph.storage, heads=run.graph.head_ids)  # empty caches, loaded-graph path
    expected = brute_force_enclosing(run.graph)
    assert {n.id: fresh.enclosing_id(n) for n in fresh} == expected
    for node in fresh:
        chain = fresh.all_enclosing_ids(node)
        assert chain == (
            []
            if expected[node.id] is None
            else [expected[node.id], *fresh.all_enclosing_ids(fresh.node(expected[node.id]))]
        )  # type: ignore[arg-type]


@given(programs)
def test_lookup_answers_do_not_depend_on_question_order(ops: list) -> None:  # type: ignore[type-arg]
    run = build_program(ops)
    forward = FlowGraph(run.graph.storage, heads=run.graph.head_ids)
    backward = FlowGraph(run.graph.storage, heads=run.graph.head_ids)
    nodes = list(run.graph)
    a = {n.id: forward.enclosing_id(n) for n in nodes}
    b = {n.id: backward.enclosing_id(n) for n in reversed(nodes)}
    assert a == b


def test_lookup_on_a_parent_cycle_is_a_typed_error_not_a_hang() -> None:
    nodes = [FlowNode("2", FS), FlowNode("3", A, ["4"]), FlowNode("4", A, ["3"]), FlowNode("5", A, ["4"])]
    g = FlowGraph(MemoryNodeStorage(nodes), heads=["5"])
    with pytest.raises(GraphCycleError) as info:
        g.enclosing_id(g.node("5"))
    assert info.value.node_ids == ["4", "3", "4"]


def test_lookup_rejects_an_end_whose_start_is_not_a_block_start() -> None:
    nodes = [FlowNode("2", FS), FlowNode("3", A, ["2"]), FlowNode("6", E, ["3"], start_id="3")]
    g = FlowGraph(MemoryNodeStorage(nodes), heads=["6"])
    with pytest.raises(CorruptGraphError, match="block end 6 names start 3"):
        g.enclosing_id(g.node("6"))


def _deep(depth: int) -> FlowGraph:
    b = GraphBuilder(step_ms=1)
    for _ in range(depth):
        b.begin_block("timeout", body=False, arguments={"time": 5})
    b.step("sh", script="deep")
    for _ in range(depth):
        b.end_block()
    return b.build().graph


def test_100k_nested_blocks_without_recursion_error() -> None:
    g = _deep(100_000)
    innermost = next(n for n in g if n.function_name == "sh")
    chain = g.all_enclosing_ids(innermost)
    assert len(chain) == 100_001  # every timeout block plus the flow start
    assert chain[-1] == "2"
    for node in g:
        g.enclosing_id(node)
    outermost = g.node("3")
    end = g.end_of(outermost)
    assert end is not None and g.enclosing_id(end) == "2"


def _parallel_chain(parallels: int) -> FlowGraph:
    b = GraphBuilder(step_ms=1)
    for _ in range(parallels):
        b.begin_parallel("a", "b", "c")
        for name in ("a", "b", "c"):
            b.enter_branch(name)
            b.step("sh", script="x")
            b.leave_branch()
        b.end_block()
    return b.build().graph


def test_one_million_nodes_answer_every_lookup() -> None:
    g = _parallel_chain(90_910)  # 11 nodes per 3-branch parallel
    assert len(g) >= 1_000_000
    fresh = FlowGraph(g.storage, heads=g.head_ids)
    for node in fresh:
        fresh.enclosing_id(node)
    assert fresh.lookup.visits <= 2 * len(g)


@pytest.mark.parametrize("shape", ["parallels", "nesting"])
def test_lookup_of_all_nodes_is_linear(shape: str) -> None:
    def visits(size: int) -> tuple[int, int]:
        g = _parallel_chain(size) if shape == "parallels" else _deep(size)
        storage = g.storage
        assert isinstance(storage, MemoryNodeStorage)
        fresh = FlowGraph(storage, heads=g.head_ids)
        before = storage.reads
        for node in fresh:
            fresh.enclosing_id(node)
        for node in fresh:
            if node.is_block_start:
                fresh.end_of(node)
        return len(g), storage.reads - before

    n1, r1 = visits(1_000)
    n2, r2 = visits(4_000)
    # Reads per node stay bounded by a constant, so 4x the nodes costs about 4x the reads.
    assert r1 <= 4 * n1 and r2 <= 4 * n2
    assert r2 / r1 == pytest.approx(n2 / n1, rel=0.05)


@given(programs)
def test_a_listener_asking_on_every_append_gets_final_answers_in_linear_work(ops: list) -> None:  # type: ignore[type-arg]
    """Jenkins' GraphListener gotcha: asking for the enclosing block of each new node must stay O(n)."""
    live: dict[str, str | None] = {}

    class AskOnEveryNode:
        def __init__(self, graph: FlowGraph) -> None:
            self.graph = graph

        def on_new_node(self, node: FlowNode) -> None:
            live[node.id] = self.graph.enclosing_id(node)
            if node.is_block_start:
                self.graph.end_of(node)  # open now; must not stay cached as open

    def listen(builder: GraphBuilder) -> None:
        builder.graph.add_listener(AskOnEveryNode(builder.graph))
        live[builder.flow_start.id] = None

    run = build_program(ops, on_start=listen)
    g = run.graph
    assert live == brute_force_enclosing(g)
    assert g.lookup.visits <= 3 * len(g)
    for node in g:  # ends learnt while appending are visible afterwards
        if node.is_block_start and not run.running:
            assert g.end_of(node) is not None
