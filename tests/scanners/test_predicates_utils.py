"""Predicates (reference/scanners.md §8, NodeStepNamePredicate), FlowScanningUtils, last running node, public API."""

from __future__ import annotations

import pytest
from scanner_graphs import SIMPLE_PARALLEL, TIMEOUT, graph_from, ids

import scanners
from flowgraph import ErrorAction, FlowNode, GraphBuilder, NodeKind, TimingAction
from scanners import (
    DepthFirstScanner,
    FlowScanningUtils,
    fetch_enclosing_blocks,
    filter_by_action,
    find_last_running_node,
    has_action,
    has_error,
    has_label,
    id_order_compare,
    is_atom,
    is_block_end,
    is_block_start,
    is_parallel,
    is_parallel_branch,
    is_stage,
    predicate,
    sort_by_id,
    sort_by_start_time,
    step_name,
    time_order_compare,
)


def _stage_run_graph():  # type: ignore[no-untyped-def]
    b = GraphBuilder()
    with b.stage("Build"):
        b.step("sh", script="make")
    b.legacy_stage("Old")
    with b.try_catch():
        b.step("sh", script="false", error="exit 1")
    # 2 start; 3 stage; 4 body "Build"; 5 sh; 6 end:4; 7 end:3; 8 legacy "Old"; 9 failing sh; 10 flow end
    return b.build().graph


def test_step_name_matches_function_name_descriptor_and_block_ends() -> None:
    g = _stage_run_graph()
    all_nodes = DepthFirstScanner().all_nodes(g)
    assert ids(n for n in all_nodes if step_name("sh")(n)) == ["9", "5"]
    shell = "org.jenkinsci.plugins.workflow.steps.durable_task.ShellStep"
    assert ids(n for n in all_nodes if step_name(shell)(n)) == ["9", "5"]
    # a block step's end nodes record the step too (Jenkins' StepEndNode.getDescriptor)
    assert ids(n for n in all_nodes if step_name("stage")(n)) == ["8", "7", "6", "4", "3"]
    assert not any(step_name("flowStart")(n) for n in all_nodes)
    custom = FlowNode("3", NodeKind.ATOM, ("2",), descriptor_id="com.example.pipeline.FancyDeployStep")
    assert step_name("fancyDeploy")(custom) and step_name("com.example.pipeline.FancyDeployStep")(custom)
    assert not step_name("deploy")(custom)


def test_stage_and_label_predicates() -> None:
    g = _stage_run_graph()
    nodes = {n.id: n for n in g}
    assert [i for i, n in nodes.items() if is_stage(n)] == ["4", "8"]
    assert [i for i, n in nodes.items() if has_label()(n)] == ["4", "8"]
    assert [i for i, n in nodes.items() if has_label("Old")(n)] == ["8"]
    assert [i for i, n in nodes.items() if has_error(n)] == ["9"]
    assert [i for i, n in nodes.items() if has_action(ErrorAction)(n)] == ["9"]
    assert [i for i, n in nodes.items() if is_block_start(n)] == ["2", "3", "4"]
    assert [i for i, n in nodes.items() if is_block_end(n)] == ["6", "7", "10"]
    assert [i for i, n in nodes.items() if is_atom(n)] == ["5", "8", "9"]


def test_parallel_predicates() -> None:
    g = graph_from(SIMPLE_PARALLEL)
    nodes = list(g)
    assert [n.id for n in nodes if is_parallel(n)] == ["4"]
    assert [n.id for n in nodes if is_parallel_branch(n)] == ["6", "7"]


def test_combinators_with_plain_callables() -> None:
    g = _stage_run_graph()
    nodes = list(g)
    odd = lambda n: int(n.id) % 2 == 1  # noqa: E731
    assert [n.id for n in nodes if (step_name("sh") & odd)(n)] == ["5", "9"]
    assert [n.id for n in nodes if (odd & step_name("sh"))(n)] == ["5", "9"]
    assert [n.id for n in nodes if (is_stage | odd)(n)] == ["3", "4", "5", "7", "8", "9"]
    assert [n.id for n in nodes if (odd | is_stage)(n)] == ["3", "4", "5", "7", "8", "9"]
    assert [n.id for n in nodes if (~is_atom & ~is_block_end)(n)] == ["2", "3", "4"]
    assert repr(~step_name("sh") | has_error) == "(~step_name('sh') | has_error)"
    assert repr(predicate(odd, "odd") & is_stage) == "(odd & is_stage)"


def test_time_and_id_comparators() -> None:
    timed = [FlowNode(str(i), NodeKind.ATOM, ("2",), actions=[TimingAction(t)]) for i, t in ((5, 30), (6, 10))]
    untimed = FlowNode("7", NodeKind.ATOM, ("2",))
    assert ids(sort_by_start_time([untimed, *timed])) == ["6", "5", "7"]
    assert time_order_compare(None, untimed) == 1 and time_order_compare(None, None) == 0
    assert time_order_compare(timed[0], timed[0]) == 0
    nodes = [FlowNode(i, NodeKind.ATOM, ("2",)) for i in ("10", "9", "a", "100000000000", "-3")]
    assert ids(sort_by_id(nodes)) == ["-3", "9", "10", "100000000000", "a"]
    # beyond a Java int the ids compare as strings ("100000000000" < "9")
    assert id_order_compare(nodes[3], nodes[1]) == -1
    assert id_order_compare(nodes[0], nodes[1]) == 1 and id_order_compare(nodes[0], None) == -1


def test_enclosing_blocks_and_filter_by_action() -> None:
    g = graph_from(TIMEOUT)
    assert ids(fetch_enclosing_blocks(g, g.node("7"))) == ["5", "4", "2"]
    assert ids(fetch_enclosing_blocks(g, g.node("9"))) == ["2"]  # a block end: its start's enclosing block
    assert ids(fetch_enclosing_blocks(g, g.node("11"))) == []
    assert ids(filter_by_action(g, TimingAction)) == ids(g)
    assert FlowScanningUtils.MATCH_BLOCK_START is is_block_start
    assert FlowScanningUtils.ID_ORDER_COMPARATOR(g.node("9"), g.node("10")) == -1
    with pytest.raises(TypeError):
        FlowScanningUtils()


def test_find_last_running_node() -> None:
    def node(i: str, kind: NodeKind, start: int | None) -> FlowNode:
        actions = [TimingAction(start)] if start is not None else []
        return FlowNode(i, kind, ("2",), start_id="2" if kind is NodeKind.BLOCK_END else None, actions=actions)

    end_late = node("11", NodeKind.BLOCK_END, 900)
    atom_early = node("12", NodeKind.ATOM, 100)
    atom_later = node("14", NodeKind.ATOM, 200)
    untimed = node("15", NodeKind.ATOM, None)
    assert find_last_running_node([]) is None
    assert find_last_running_node([end_late]) is end_late
    assert find_last_running_node([end_late, atom_early, atom_later]) is atom_later  # running beats finished
    assert find_last_running_node([atom_later, end_late]) is atom_later
    assert find_last_running_node([atom_early, untimed, atom_later]) is untimed  # no timing = "now"
    twin = node("16", NodeKind.ATOM, 200)
    assert find_last_running_node([atom_later, twin]) is atom_later  # ties keep the first


def test_public_api_is_pinned() -> None:
    # the scanner contract of issue 5; status and timing names (issue 6) are pinned by their own tests
    assert set(scanners.__all__) >= set(
        [
            "FlowScanner",
            "DepthFirstScanner",
            "LinearScanner",
            "LinearBlockHoppingScanner",
            "ForkScanner",
            "Filterator",
            "Heads",
            "NodeRefs",
            "Predicate",
            "NodeType",
            "is_parallel_start",
            "is_parallel_end",
            "is_branch_start",
            "node_type",
            "find_last_running_node",
            "FlowNodeVisitor",
            "SimpleChunkVisitor",
            "StandardChunkVisitor",
            "ChunkFinder",
            "BlockChunkFinder",
            "LabelledChunkFinder",
            "StageChunkFinder",
            "NoOpChunkFinder",
            "MemoryFlowChunk",
            "ParallelMemoryFlowChunk",
            "visit_simple_chunks",
            "NodePredicate",
            "predicate",
            "step_name",
            "has_action",
            "has_label",
            "is_stage",
            "is_parallel_branch",
            "is_parallel",
            "has_error",
            "is_block_start",
            "is_block_end",
            "is_atom",
            "FlowScanningUtils",
            "fetch_enclosing_blocks",
            "filter_by_action",
            "time_order_compare",
            "id_order_compare",
            "sort_by_start_time",
            "sort_by_id",
        ]
    )
    assert all(hasattr(scanners, name) for name in scanners.__all__)


def test_scanners_never_import_render() -> None:
    import pathlib

    root = pathlib.Path(scanners.__file__).parent
    for path in root.glob("*.py"):
        text = path.read_text()
        assert "import render" not in text and "from render" not in text, path
