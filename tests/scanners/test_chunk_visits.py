"""visit_simple_chunks callback sequences (reference/scanners.md §5, §6, §10), chunk finders, memory chunks."""

from __future__ import annotations

import pytest
from scanner_graphs import SIMPLE_PARALLEL, TRIPLE_PARALLEL, graph_from

from flowgraph import FlowGraph, FlowNode, GraphBuilder, ScanError
from scanners import (
    BlockChunkFinder,
    ChunkFinder,
    ForkScanner,
    LabelledChunkFinder,
    MemoryFlowChunk,
    NoOpChunkFinder,
    ParallelMemoryFlowChunk,
    SimpleChunkVisitor,
    StageChunkFinder,
    StandardChunkVisitor,
)


def _id(node: FlowNode | None) -> str | None:
    return node.id if node is not None else None


class Recorder(SimpleChunkVisitor):
    """Records every callback as (name, node ids...) in Jenkins' argument order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str | None, ...]] = []

    def chunk_start(self, start_node: FlowNode, before_chunk: FlowNode | None, scanner: ForkScanner) -> None:
        self.calls.append(("chunk_start", _id(start_node), _id(before_chunk)))

    def chunk_end(self, end_node: FlowNode, after_chunk: FlowNode | None, scanner: ForkScanner) -> None:
        self.calls.append(("chunk_end", _id(end_node), _id(after_chunk)))

    def parallel_start(self, parallel_start_node: FlowNode, branch_node: FlowNode, scanner: ForkScanner) -> None:
        self.calls.append(("parallel_start", _id(parallel_start_node), _id(branch_node)))

    def parallel_end(self, parallel_start_node: FlowNode, parallel_end_node: FlowNode, scanner: ForkScanner) -> None:
        self.calls.append(("parallel_end", _id(parallel_start_node), _id(parallel_end_node)))

    def parallel_branch_start(
        self, parallel_start_node: FlowNode, branch_start_node: FlowNode, scanner: ForkScanner
    ) -> None:
        self.calls.append(("branch_start", _id(parallel_start_node), _id(branch_start_node)))

    def parallel_branch_end(
        self, parallel_start_node: FlowNode, branch_end_node: FlowNode, scanner: ForkScanner
    ) -> None:
        self.calls.append(("branch_end", _id(parallel_start_node), _id(branch_end_node)))

    def atom_node(
        self, before: FlowNode | None, atom_node: FlowNode, after: FlowNode | None, scanner: ForkScanner
    ) -> None:
        self.calls.append(("atom", _id(before), _id(atom_node), _id(after)))


def test_simple_parallel_block_chunks_from_flow_end() -> None:
    g = graph_from(SIMPLE_PARALLEL)
    rec = Recorder()
    ForkScanner.visit_simple_chunks([g.node("15")], rec, BlockChunkFinder(), graph=g)
    assert rec.calls == [
        ("chunk_end", "15", None),
        ("atom", "13", "14", "15"),
        ("chunk_end", "13", "14"),
        ("parallel_end", "4", "13"),
        ("chunk_end", "12", "13"),
        ("branch_end", "4", "12"),
        ("atom", "10", "11", "12"),
        ("atom", "7", "10", "11"),
        ("chunk_start", "7", "9"),
        ("branch_start", "4", "7"),
        ("chunk_end", "9", "7"),
        ("branch_end", "4", "9"),
        ("atom", "6", "8", "9"),
        ("chunk_start", "6", "4"),
        ("branch_start", "4", "6"),
        ("chunk_start", "4", "3"),
        ("parallel_start", "4", "6"),
        ("atom", "2", "3", "4"),
        ("chunk_start", "2", None),
    ]


def test_triple_parallel_running_view() -> None:
    g = graph_from(TRIPLE_PARALLEL)
    rec = Recorder()
    scanner = ForkScanner(g)
    scanner.visit_simple_chunks(["11", "12", "14"], rec, BlockChunkFinder())
    assert rec.calls == [
        ("parallel_end", "4", "14"),  # before iterating: 14 is the latest-started non-end tail
        ("chunk_end", "11", None),
        ("branch_end", "4", "11"),
        ("atom", "7", "10", "11"),
        ("chunk_start", "7", "12"),
        ("branch_start", "4", "7"),
        ("atom", "8", "12", "7"),
        ("branch_end", "4", "12"),
        ("chunk_start", "8", "14"),
        ("branch_start", "4", "8"),
        ("atom", "9", "14", "8"),
        ("branch_end", "4", "14"),
        ("chunk_start", "9", "4"),
        ("branch_start", "4", "9"),
        ("chunk_start", "4", "3"),
        ("parallel_start", "4", "9"),
        ("atom", "2", "3", "4"),
        ("chunk_start", "2", None),
    ]


def test_instance_visit_continues_current_walk() -> None:
    g = graph_from(SIMPLE_PARALLEL)
    scanner = ForkScanner(g)
    assert scanner.setup(g)
    rec = Recorder()
    scanner.visit_simple_chunks(rec, NoOpChunkFinder())
    # NoOpChunkFinder: every node an atom, in ForkScanner order, with (look-ahead, node, previous)
    atoms = [c for c in rec.calls if c[0] == "atom"]
    assert [c[2] for c in atoms] == "15 14 13 12 11 10 7 9 8 6 4 3 2".split()
    assert atoms[0] == ("atom", "14", "15", None)
    assert atoms[-1] == ("atom", None, "2", "3")
    assert not scanner.has_next()


def test_visit_with_failed_setup_calls_nothing() -> None:
    g = graph_from(SIMPLE_PARALLEL)
    rec = Recorder()
    ForkScanner.visit_simple_chunks([g.node("15")], rec, BlockChunkFinder(), ["15"], graph=g)
    ForkScanner.visit_simple_chunks([], rec, BlockChunkFinder())
    assert rec.calls == []


def test_head_branch_start_gets_branch_end_then_start() -> None:
    # heads 6 and 7 are both branch starts of a running parallel with empty branches
    g = graph_from(SIMPLE_PARALLEL)
    rec = Recorder()
    ForkScanner.visit_simple_chunks([g.node("6"), g.node("7")], rec, NoOpChunkFinder(), graph=g)
    parallel_calls = [c for c in rec.calls if c[0] != "atom"]
    assert parallel_calls == [
        ("parallel_end", "4", "7"),
        ("branch_end", "4", "6"),
        ("branch_start", "4", "6"),
        ("branch_end", "4", "7"),
        ("branch_start", "4", "7"),
        ("parallel_start", "4", "7"),
    ]


def _stage_graph() -> FlowGraph:
    b = GraphBuilder()
    with b.stage("Build"):
        b.step("sh", script="make")
    b.legacy_stage("Legacy")
    b.step("echo", message="in legacy stage")
    with b.stage("Test"):
        b.step("sh", script="pytest")
    return b.build().graph


def test_stage_chunk_finder_block_and_legacy_stages() -> None:
    # 2 start; 3 stage; 4 body "Build"; 5 sh; 6 end:4; 7 end:3; 8 legacy "Legacy"; 9 echo;
    # 10 stage; 11 body "Test"; 12 sh; 13 end:11; 14 end:10; 15 flow end
    g = _stage_graph()
    found: list[tuple[str | None, ...]] = []

    class Collect(StandardChunkVisitor):
        def handle_chunk_done(self, chunk: MemoryFlowChunk) -> None:
            c = chunk.copy()
            found.append((_id(c.node_before), _id(c.first_node), _id(c.last_node), _id(c.node_after)))

    ForkScanner.visit_simple_chunks(g, Collect(), StageChunkFinder())
    # start inside a chunk: the head opens one (chunk_end(15, None)); "Test" ends at its body end 13;
    # the legacy stage runs from marker 8 to 10 (the node before the Test stage's label... its
    # previous node 11 is a stage start, so 10 ends it); "Build" is 4..6.
    assert found == [
        ("10", "11", "13", "14"),
        ("7", "8", "10", "11"),
        ("3", "4", "6", "7"),
    ]


def test_labelled_chunk_finder() -> None:
    g = _stage_graph()
    rec = Recorder()
    ForkScanner.visit_simple_chunks(g, rec, LabelledChunkFinder())
    boundaries = [c for c in rec.calls if c[0] in ("chunk_start", "chunk_end")]
    assert boundaries == [
        ("chunk_end", "15", None),
        ("chunk_end", "13", "14"),  # end of the labelled body block 11
        ("chunk_start", "11", "10"),
        ("chunk_end", "10", "11"),  # previous (11) has a label
        ("chunk_start", "8", "7"),
        ("chunk_end", "7", "8"),
        ("chunk_end", "6", "7"),
        ("chunk_start", "4", "3"),
        ("chunk_end", "3", "4"),
    ]


def test_finder_without_graph_outside_a_scanner_is_scan_error() -> None:
    g = _stage_graph()
    with pytest.raises(ScanError, match="needs a graph"):
        LabelledChunkFinder().is_chunk_end(g.node("13"), g.node("14"))
    finder = LabelledChunkFinder()
    ForkScanner.visit_simple_chunks(g, Recorder(), finder)
    assert finder.graph is None  # the scanner's graph was only lent for the walk


def test_block_chunk_finder_reports_flow_start_and_end() -> None:
    g = _stage_graph()
    f = BlockChunkFinder()
    assert f.is_chunk_start(g.node("2"), None) and f.is_chunk_end(g.node("15"), None)
    assert isinstance(f, ChunkFinder)


def test_standard_visitor_reuses_and_resets_its_chunk() -> None:
    handed: list[MemoryFlowChunk] = []

    class Keep(StandardChunkVisitor):
        def handle_chunk_done(self, chunk: MemoryFlowChunk) -> None:
            handed.append(chunk)

    v = Keep()
    g = _stage_graph()
    ForkScanner.visit_simple_chunks(g, v, StageChunkFinder())
    assert len(handed) == 3 and all(c is v.chunk for c in handed)  # one reused object: copy to keep
    # after the last stage start (4) the chunk was reset; then 3 ended a chunk (its previous node 4 is a
    # stage start) that no stage start ever closes, because the flow start is not a stage
    assert v.chunk == MemoryFlowChunk(None, None, g.node("3"), g.node("4"))


def test_memory_chunks() -> None:
    g = _stage_graph()
    a, b = g.node("4"), g.node("6")
    chunk = MemoryFlowChunk(g.node("3"), a, b, g.node("7"))
    assert (chunk.node_before.id, chunk.first_node.id, chunk.last_node.id, chunk.node_after.id) == ("3", "4", "6", "7")  # type: ignore[union-attr]
    assert chunk.pause_time_millis == 0
    par = ParallelMemoryFlowChunk(first_node=a, last_node=b)
    assert par.node_before is None and par.node_after is None
    par.set_branch("x", chunk)
    par.set_branch("y", MemoryFlowChunk())
    par.set_branch("x", MemoryFlowChunk())  # overwrite keeps the position
    assert list(par.branches) == ["x", "y"] and par.branches["x"] == MemoryFlowChunk()
    with pytest.raises(TypeError):
        par.branches["z"] = chunk  # type: ignore[index]
    copy = par.copy()
    assert copy == par and copy is not par


def test_one_branch_parallel_callbacks() -> None:
    b = GraphBuilder()
    with b.parallel("only") as par, par.branch("only"):
        b.step("sh", script="x")
    g = b.build().graph
    # 2 start; 3 parallel; 5 branch start; 6 sh; 7 branch end; 8 parallel end (one parent); 9 flow end
    assert g.node("8").parent_ids == ("7",) and g.node("8").start_id == "3" and g.node("5").parent_ids == ("3",)
    rec = Recorder()
    ForkScanner.visit_simple_chunks(g, rec, BlockChunkFinder())
    assert rec.calls == [
        ("chunk_end", "9", None),
        ("chunk_end", "8", "9"),
        ("parallel_end", "3", "8"),  # the end is found through its start (it has one parent)
        ("chunk_end", "7", "8"),
        ("branch_end", "3", "7"),
        ("atom", "5", "6", "7"),
        ("chunk_start", "5", "3"),
        ("branch_start", "3", "5"),
        ("chunk_start", "3", "2"),
        ("parallel_start", "3", "5"),
        ("chunk_start", "2", None),
    ]


def test_parallel_end_with_every_branch_denied() -> None:
    g = graph_from(SIMPLE_PARALLEL)
    rec = Recorder()
    ForkScanner.visit_simple_chunks([g.node("13")], rec, BlockChunkFinder(), ["9", "12"], graph=g)
    # no parallel is registered, so parallel_end names the end's own start
    assert rec.calls == [("chunk_end", "13", None), ("parallel_end", "4", "13")]
