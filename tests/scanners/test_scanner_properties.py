"""Properties of every scanner on random builder graphs (nested stages, parallels in parallels,
retries, failures, halted branches and open blocks)."""

from __future__ import annotations

import itertools

from builder_programs import Item, programs, run_program
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from flowgraph import FlowGraph, FlowNode, NodeKind
from scanners import DepthFirstScanner, ForkScanner, LinearBlockHoppingScanner, LinearScanner

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _graph(program: list[Item]) -> FlowGraph:
    graph = program_graph = run_program(program).graph
    program_graph.validate()
    return graph


def _reachable(graph: FlowGraph, heads: list[FlowNode], deny: set[str]) -> set[str]:
    """Ancestors of the heads (inclusive) reachable without passing through denied nodes."""
    seen: set[str] = set()
    todo = [h.id for h in heads if h.id not in deny]
    while todo:
        node_id = todo.pop()
        if node_id in seen:
            continue
        seen.add(node_id)
        todo.extend(p for p in graph.node(node_id).parent_ids if p not in deny and p not in seen)
    return seen


@SETTINGS
@given(programs)
def test_every_scanner_terminates_from_every_node(program: list[Item]) -> None:
    graph = _graph(program)
    limit = len(graph)
    for node in graph:
        for cls in (DepthFirstScanner, LinearScanner, LinearBlockHoppingScanner, ForkScanner):
            walk = cls(graph).all_nodes(node)
            assert len(walk) <= limit
    for cls in (DepthFirstScanner, LinearScanner, LinearBlockHoppingScanner, ForkScanner):
        assert len(cls().all_nodes(graph)) <= limit


@SETTINGS
@given(programs)
def test_depth_first_visits_each_node_exactly_once(program: list[Item]) -> None:
    graph = _graph(program)
    walk = [n.id for n in DepthFirstScanner().all_nodes(graph)]
    assert len(walk) == len(set(walk))
    assert set(walk) == {n.id for n in graph}


@SETTINGS
@given(programs, st.data())
def test_depth_first_with_denylist_visits_what_is_reachable(program: list[Item], data: st.DataObject) -> None:
    graph = _graph(program)
    all_ids = sorted(n.id for n in graph)
    deny = set(data.draw(st.lists(st.sampled_from(all_ids), max_size=3)))
    walk = [n.id for n in DepthFirstScanner().all_nodes(graph, deny)]
    assert len(walk) == len(set(walk))
    assert set(walk) == _reachable(graph, list(graph.heads), deny)


@SETTINGS
@given(programs)
def test_linear_follows_first_parents_to_the_flow_start(program: list[Item]) -> None:
    graph = _graph(program)
    start = graph.flow_start
    for node in graph:
        walk = LinearScanner(graph).all_nodes(node)
        assert walk[0] is node
        for later, earlier in itertools.pairwise(walk):
            assert earlier.id == later.parent_ids[0]
        assert walk[-1].id == start.id


@SETTINGS
@given(programs)
def test_block_hopping_never_returns_nodes_inside_hopped_blocks(program: list[Item]) -> None:
    graph = _graph(program)
    for head in graph:
        walk = LinearBlockHoppingScanner(graph).all_nodes(head)
        chain = set(graph.all_enclosing_ids(head))
        if head.kind is NodeKind.FLOW_END:
            assert walk == []
            continue
        for node in walk:
            # never a block end, and every node is the head, one of its enclosing block starts, or a
            # node directly inside one of them (same or outer level): nothing from a completed block
            assert not node.is_block_end
            assert node is head or node.id in chain or graph.enclosing_id(node) in chain
        if walk:
            assert walk[-1].id == graph.flow_start.id
        # exactly the first-parent path minus block ends and the insides and starts of completed blocks
        expected = [
            n
            for n in LinearScanner(graph).all_nodes(head)
            if not n.is_block_end
            and (n is head or n.id in chain or (graph.enclosing_id(n) in chain and not n.is_block_start))
        ]
        assert [n.id for n in walk] == [n.id for n in expected]


@SETTINGS
@given(programs)
def test_fork_scanner_on_complete_runs(program: list[Item]) -> None:
    run = run_program(program)
    assume(not run.running)
    graph = run.graph
    walk = [n.id for n in ForkScanner().all_nodes(graph)]
    assert len(walk) == len(set(walk)) == len(graph)  # every node exactly once
    position = {node_id: i for i, node_id in enumerate(walk)}
    for node in graph:
        if node.start_id is not None:
            assert position[node.id] < position[node.start_id]  # block end before its start


@SETTINGS
@given(programs)
def test_fork_scanner_running_runs_terminate_and_cover(program: list[Item]) -> None:
    run = run_program(program)
    graph = run.graph
    walk = [n.id for n in ForkScanner().all_nodes(graph)]
    # Jenkins documents duplicates and skips for several heads in nested parallels; the walk
    # still ends and only returns ancestors of the heads.
    assert set(walk) <= _reachable(graph, list(graph.heads), set())


@SETTINGS
@given(programs, st.data())
def test_depth_first_reads_each_parent_edge_once_with_or_without_a_denylist(
    program: list[Item], data: st.DataObject
) -> None:
    # An empty deny list takes DepthFirstScanner's lean loop, which counts storage reads by steps
    # rather than per edge; a deny list naming no node of the graph takes the general loop. Both
    # must walk the same order and report one read per parent edge of the nodes handed out so far
    # (the module's promise), also when the walk is closed early.
    graph = _graph(program)
    store = graph.storage
    cut = data.draw(st.integers(min_value=0, max_value=len(graph)), label="nodes taken before closing")
    walks = []
    for deny in ((), ("no-such-node",)):
        scanner = DepthFirstScanner(graph)
        assert scanner.setup(graph, deny)
        store.reads = 0  # type: ignore[attr-defined]
        taken = list(itertools.islice(scanner, cut))
        iter(scanner).close()  # type: ignore[attr-defined]
        assert store.reads == sum(len(n.parent_ids) for n in taken)  # type: ignore[attr-defined]
        walks.append([n.id for n in taken])
    assert walks[0] == walks[1]
