"""No recursion, linear work: a million nodes, 100,000 nested blocks, deep nested parallels.

Graphs are built with GraphBuilder's begin_*/end_block loop API. Work is shown to be linear by
counting storage reads (``MemoryNodeStorage.reads``) and enclosing-lookup visits against the
number of nodes, at several sizes, never by timing.
"""

from __future__ import annotations

import pytest

from flowgraph import FlowGraph, GraphBuilder, MemoryNodeStorage
from scanners import (
    BlockChunkFinder,
    DepthFirstScanner,
    ForkScanner,
    LabelledChunkFinder,
    LinearBlockHoppingScanner,
    LinearScanner,
    StageChunkFinder,
    StandardChunkVisitor,
)


def _storage(graph: FlowGraph) -> MemoryNodeStorage:
    assert isinstance(graph.storage, MemoryNodeStorage)
    return graph.storage


def nested_blocks(depth: int) -> FlowGraph:
    """``depth`` nested block steps around one step: 2 * depth + 3 nodes."""
    b = GraphBuilder()
    for _ in range(depth):
        b.begin_block("dir", body=False, arguments={"path": "x"})
    b.step("sh", script="deep")
    for _ in range(depth):
        b.end_block()
    return b.build().graph


def nested_stages(depth: int) -> FlowGraph:
    """``depth`` nested stages (two blocks each) around one step."""
    b = GraphBuilder()
    for i in range(depth):
        b.begin_stage(f"s{i}")
    b.step("sh", script="deep")
    for _ in range(depth):
        b.end_block()
    return b.build().graph


def nested_parallels(depth: int) -> FlowGraph:
    """Parallels nested ``depth`` deep in branch "a"; every branch "b" has one step."""
    b = GraphBuilder()
    for _ in range(depth):
        b.begin_parallel("a", "b")
        b.enter_branch("a")
    b.step("sh", script="deep")
    for _ in range(depth):
        b.leave_branch()
        b.enter_branch("b")
        b.step("sh", script="b")
        b.leave_branch()
        b.end_block()
    return b.build().graph


@pytest.fixture(scope="module")
def million() -> FlowGraph:
    b = GraphBuilder(step_ms=1)
    while len(b.graph) < 1_000_000 - 12:
        b.step("echo", log=False)
        b.begin_parallel("a", "b", "c")
        for name in ("a", "b", "c"):
            b.enter_branch(name)
            b.step("sh", log=False)
            b.leave_branch()
        b.end_block()
    for _ in range(1_000_000 - 1 - len(b.graph)):
        b.step("echo", log=False)
    graph = b.build().graph
    assert len(graph) == 1_000_000
    return graph


def test_million_nodes(million: FlowGraph) -> None:
    n = len(million)
    store = _storage(million)
    for cls in (DepthFirstScanner, ForkScanner):
        store.reads = 0
        assert len(cls().all_nodes(million)) == n
        assert store.reads <= 2 * n
    linear = LinearScanner().all_nodes(million)
    assert linear[-1].id == "2" and len(linear) < n
    head = million.heads[0]
    last_step = million.node(head.parent_ids[0])
    hop = LinearBlockHoppingScanner(million).all_nodes(last_step)
    assert hop[-1].id == "2" and all(node.is_atom or node.id == "2" for node in hop)
    ForkScanner.visit_simple_chunks(million, StandardChunkVisitor(), BlockChunkFinder())


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_nested_blocks_scan_linearly(depth: int) -> None:
    g = nested_blocks(depth)
    n = len(g)
    assert n == 2 * depth + 3
    store = _storage(g)
    deep = g.node(str(depth + 3))  # the step at the bottom
    assert deep.function_name == "sh"

    store.reads = 0
    assert len(DepthFirstScanner().all_nodes(g)) == n
    assert store.reads <= n
    store.reads = 0
    assert len(LinearScanner().all_nodes(g)) == n
    assert store.reads <= n
    store.reads = 0
    walk = ForkScanner().all_nodes(g)
    assert len(walk) == n
    assert store.reads <= 4 * n
    store.reads = 0
    out = LinearBlockHoppingScanner(g).all_nodes(deep)  # walks out through every enclosing start
    assert len(out) == depth + 2
    assert store.reads <= 2 * n
    assert LinearBlockHoppingScanner().all_nodes(g) == []  # the flow end hops everything
    store.reads = 0
    ForkScanner.visit_simple_chunks(g, StandardChunkVisitor(), LabelledChunkFinder())
    assert store.reads <= 6 * n
    assert len(g.all_enclosing_ids(deep)) == depth + 1


def test_nested_stages_chunks() -> None:
    depth = 50_000
    g = nested_stages(depth)
    n = len(g)
    store = _storage(g)
    found: list[str | None] = []

    class Collect(StandardChunkVisitor):
        def handle_chunk_done(self, chunk: object) -> None:
            found.append(self.chunk.first_node.label if self.chunk.first_node is not None else None)

    store.reads = 0
    ForkScanner.visit_simple_chunks(g, Collect(), StageChunkFinder())
    assert store.reads <= 6 * n
    # every stage start closes a chunk, innermost (started last) first
    assert found[0] == f"s{depth - 1}" and found[-1] == "s0" and len(found) == depth


@pytest.mark.parametrize("depth", [100, 10_000])
def test_nested_parallels_scan_linearly(depth: int) -> None:
    g = nested_parallels(depth)
    n = len(g)
    store = _storage(g)
    store.reads = 0
    walk = ForkScanner().all_nodes(g)
    assert len(walk) == len({node.id for node in walk}) == n
    assert store.reads <= 4 * n
    store.reads = 0
    assert len(DepthFirstScanner().all_nodes(g)) == n
    assert store.reads <= 2 * n


@pytest.mark.parametrize("depth", [1_000, 50_000])
def test_running_parallel_deep_inside_blocks_two_heads(depth: int) -> None:
    """Fork's multi-head setup walks enclosing blocks: linear in depth, not quadratic."""
    b = GraphBuilder()
    for _ in range(depth):
        b.begin_block("dir", body=False)
    b.begin_parallel("a", "b")
    b.enter_branch("a")
    for _ in range(depth):
        b.begin_block("dir", body=False)
    b.step("sh", script="a")
    b.halt()
    for _ in range(depth):
        b.end_block()  # halted: the blocks stay open, no end nodes
    b.leave_branch()
    b.enter_branch("b")
    b.step("sh", script="b")
    b.halt()
    b.leave_branch()
    g = b.build().graph
    assert len(g.heads) == 2
    n = len(g)
    store = _storage(g)
    store.reads = 0
    g.lookup.visits = 0
    walk = ForkScanner().all_nodes(g)
    assert len(walk) == n
    # Jenkins' quirk, reproduced: branch b (shallow) reaches the parallel start first, so its segment
    # is the one split there and its tail is listed first: b, then a, then the parallel start and
    # everything before it.
    a_tip, b_tip = g.heads
    assert walk[0].id == b_tip.id and walk[2].id == a_tip.id
    assert store.reads + g.lookup.visits <= 8 * n
