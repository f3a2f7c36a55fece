"""The graph's enclosing-block lookups give Jenkins' answers (reference/scanners.md §9)."""

from __future__ import annotations

from builder_programs import Item, programs, run_program
from hypothesis import given, settings
from scanner_graphs import NESTED_PARALLEL, SIMPLE_PARALLEL, TIMEOUT, graph_from

from flowgraph import FlowGraph, FlowNode


def test_timeout_example() -> None:
    g = graph_from(TIMEOUT)
    expected = {"3": "2", "4": "2", "5": "4", "6": "5", "7": "5", "8": "4", "9": "2", "10": "2", "2": None, "11": None}
    assert {i: g.enclosing_id(g.node(i)) for i in expected} == expected
    assert g.all_enclosing_ids(g.node("7")) == ["5", "4", "2"]


def test_simple_parallel_example() -> None:
    g = graph_from(SIMPLE_PARALLEL)
    expected = {"9": "4", "13": "2", "6": "4", "8": "6", "4": "2", "12": "4", "14": "2"}
    assert {i: g.enclosing_id(g.node(i)) for i in expected} == expected


def test_nested_parallel_chain() -> None:
    g = graph_from(NESTED_PARALLEL)
    assert g.all_enclosing_ids(g.node("16")) == ["14", "12", "7", "4", "2"]
    assert g.all_enclosing_ids(g.node("21")) == ["7", "4", "2"]  # a block end: its start's enclosing blocks


def _brute_force(graph: FlowGraph, node: FlowNode) -> str | None:
    """The spec's rule, step by step: jump from ends to starts, else look at the first parent."""
    current = node
    while True:
        if current.start_id is not None:
            current = graph.node(current.start_id)
            continue
        if not current.parent_ids:
            return None
        parent = graph.node(current.parent_ids[0])
        if parent.is_block_start:
            return parent.id
        current = parent


@settings(max_examples=100, deadline=None)
@given(programs)
def test_cached_lookup_matches_the_rule(program: list[Item]) -> None:
    graph = run_program(program).graph
    for node in graph:
        assert graph.enclosing_id(node) == _brute_force(graph, node)
