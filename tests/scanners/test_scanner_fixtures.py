"""Scanners on a real Jenkins build: the declarative pipeline with a parallel in a stage (36 nodes).

Structure read off the files (ids as Jenkins wrote them; 13 is missing after the parallel start):
2 start; 3/4 node; 5/6 stage "first-solo"; 7 echo; 8 end:6; 9 end:5; 10/11 stage "parent";
12 parallel; 14 branch-one, 15 branch-two; 16/17 stage; 20 echo; 21 end:17; 24 end:16; 26 end:14;
18/19 stage; 22 echo; 23 end:19; 25 end:18; 27 end:15; 28 end:12(26, 27); 29 end:11; 30 end:10;
31/32 stage "second-solo"; 33 echo; 34 end:32; 35 end:31; 36 end:4; 37 end:3; 38 flow end.
Expected orders are derived from the spec's rules on that structure.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from flowgraph import FlowGraph
from flowgraph.jenkins import load_run
from scanners import (
    DepthFirstScanner,
    ForkScanner,
    LinearBlockHoppingScanner,
    LinearScanner,
    MemoryFlowChunk,
    StageChunkFinder,
    StandardChunkVisitor,
    is_parallel_branch,
    is_stage,
)

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "jenkins"
BUILD = FIXTURES / "legacy-declarative-parallel-completed" / "jobs" / "ptest1" / "builds" / "1" / "workflow"


@pytest.fixture(scope="module")
def graph() -> FlowGraph:
    g = load_run(BUILD.parent).graph
    g.validate()
    assert len(g) == 36 and g.head_ids == ("38",) and "13" not in g
    return g


def walk(scanner: object, heads: object) -> str:
    return " ".join(n.id for n in scanner.all_nodes(heads))  # type: ignore[attr-defined]


def test_depth_first(graph: FlowGraph) -> None:
    assert walk(DepthFirstScanner(), graph) == (
        "38 37 36 35 34 33 32 31 30 29 28 26 24 21 20 17 16 14 12 11 10 9 8 7 6 5 4 3 2 27 25 23 22 19 18 15"
    )


def test_fork(graph: FlowGraph) -> None:
    assert walk(ForkScanner(), graph) == (
        "38 37 36 35 34 33 32 31 30 29 28 27 25 23 22 19 18 15 26 24 21 20 17 16 14 12 11 10 9 8 7 6 5 4 3 2"
    )


def test_linear_and_block_hopping(graph: FlowGraph) -> None:
    linear = "38 37 36 35 34 33 32 31 30 29 28 26 24 21 20 17 16 14 12 11 10 9 8 7 6 5 4 3 2"
    assert walk(LinearScanner(), graph) == linear
    assert walk(LinearBlockHoppingScanner(graph), graph.node("33")) == "33 32 31 4 3 2"
    assert walk(LinearBlockHoppingScanner(graph), graph.node("22")) == "22 19 18 15 12 11 10 4 3 2"


def test_predicates(graph: FlowGraph) -> None:
    assert [n.label for n in ForkScanner().filtered_nodes(graph, is_stage)] == [
        "second-solo",
        "branch-two",
        "branch-one",
        "parent",
        "first-solo",
    ]
    assert [n.id for n in DepthFirstScanner().filtered_nodes(graph, is_parallel_branch)] == ["14", "15"]


def test_stage_chunks(graph: FlowGraph) -> None:
    chunks: list[tuple[str | None, ...]] = []

    class Collect(StandardChunkVisitor):
        def handle_chunk_done(self, chunk: MemoryFlowChunk) -> None:
            nodes = (chunk.node_before, chunk.first_node, chunk.last_node, chunk.node_after)
            chunks.append(tuple(n.id if n is not None else None for n in nodes))

    ForkScanner.visit_simple_chunks(graph, Collect(), StageChunkFinder())
    # The simple visitor is not parallel-aware: "parent" (11) is closed by the last chunk end
    # before it, which is 16 (the node after the branch-one stage), as Jenkins would report it.
    assert chunks == [
        ("31", "32", "34", "35"),
        ("18", "19", "23", "25"),
        ("16", "17", "21", "24"),
        ("10", "11", "16", "17"),
        ("5", "6", "8", "9"),
    ]
