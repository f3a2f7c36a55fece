"""Big graphs: no recursion at any depth, and one pass (node reads counted, never timed)."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest

from flowgraph import FlowNode, GraphBuilder, MemoryNodeStorage, Result, Run
from scanners import StageNode, Status, analyze, chunk_status, stage_tree, walk_stages


class CountingStorage(MemoryNodeStorage):
    """Counts every node handed out, by get_node (``reads``) and by iteration (``yielded``)."""

    __slots__ = ("yielded",)

    def __init__(self) -> None:
        super().__init__()
        self.yielded = 0

    def iter_nodes(self) -> Iterator[FlowNode]:
        for node in super().iter_nodes():
            self.yielded += 1
            yield node

    @property
    def handed_out(self) -> int:
        return self.reads + self.yielded


def nested_stages(depth: int, *, storage: MemoryNodeStorage | None = None, running: bool = False) -> Run:
    b = GraphBuilder(step_ms=1, storage=storage)
    for k in range(depth):
        b.begin_stage(f"s{k}")
    if running:
        b.step("sh", script="deep", actions=())
        b.halt()
        return b.build()
    b.unstable("at the bottom")  # a warning every enclosing stage must see
    for _ in range(depth):
        b.end_block()
    return b.build()


@pytest.fixture(scope="module")
def deep_run() -> Run:
    return nested_stages(100_000)


def test_hundred_thousand_nested_stages(deep_run: Run) -> None:
    assert len(deep_run.graph) == 4 * 100_000 + 3
    stages = stage_tree(deep_run)
    assert len(stages) == 1
    depth = 0
    node: StageNode = stages[0]
    while node.children:
        (node,) = node.children
        depth += 1
    assert depth == 99_999
    assert (node.name, node.depth, node.status) == ("s99999", 99_999, Status.UNSTABLE)
    assert [s.function_name for s in node.steps] == ["unstable"]
    # The warning at the bottom reaches every enclosing stage (rule 4), found without re-walking.
    statuses = {s.status for s in walk_stages(stages)}
    assert statuses == {Status.UNSTABLE}
    assert sum(1 for _ in walk_stages(stages)) == 100_000
    assert "children=1" in repr(stages[0])  # repr does not descend


def test_hundred_thousand_nested_stages_timing(deep_run: Run) -> None:
    analysis = analyze(deep_run)
    top = analysis.stages[0]
    # Stage k: outer start at 1+2k ms, body at 2+2k; the unstable step at 200_001; the body end
    # of stage k at 200_002 + 2(99_999-k) and its outer end one ms later (stage 0: 400_001).
    assert (top.start_ms - deep_run.start_ms, top.duration_ms) == (2, 399_999)
    innermost = analysis.stage(str(4 + 2 * 99_999))
    assert (innermost.name, innermost.duration_ms) == ("s99999", 3)
    assert analysis.status is Status.UNSTABLE
    assert analysis.timing.total_ms == deep_run.duration_ms


def test_deep_running_stages_with_one_head() -> None:
    run = nested_stages(30_000, running=True)
    analysis = analyze(run)
    statuses = [s.status for s in analysis.iter_stages()]
    assert len(statuses) == 30_000 and set(statuses) == {Status.IN_PROGRESS}
    assert analysis.status_of(run.graph.heads[0].id) is Status.IN_PROGRESS


def test_analysis_reads_each_node_a_bounded_number_of_times() -> None:
    sizes = {}
    for depth in (2_000, 4_000):
        storage = CountingStorage()
        run = nested_stages(depth, storage=storage)
        n = len(run.graph)
        storage.reads = storage.yielded = 0
        analysis = analyze(run)
        handed = storage.handed_out
        assert handed <= 2 * n, (depth, handed, n)
        # Asking about every node afterwards reads nothing more from the storage.
        before = storage.handed_out
        ids = [node.id for node in analysis.iter_nodes()]
        for node_id in ids:
            analysis.status_of(node_id)
            analysis.timing_of(node_id)
        assert storage.handed_out == before
        sizes[depth] = handed / n
    assert sizes[4_000] <= sizes[2_000] + 0.01  # reads per node do not grow with the graph


def test_jenkins_rule_per_stage_would_be_quadratic_but_analysis_is_not() -> None:
    # The contrast that motivates the one-pass design: chunk_status on every stage re-walks the
    # stage's contents to find warnings; summed over nested stages that is ~depth^2/2 reads.
    depth = 300
    storage = CountingStorage()
    run = nested_stages(depth, storage=storage)
    graph = run.graph
    storage.reads = storage.yielded = 0
    for node in [
        n for n in graph.storage.iter_nodes() if n.function_name == "stage" and n.is_body and n.is_block_start
    ]:
        end = graph.end_of(node)
        assert end is not None
        assert chunk_status(run, None, node, end, graph.children(end)[0]) is Status.UNSTABLE
    per_stage_reads = storage.handed_out
    storage.reads = storage.yielded = 0
    analyze(run)
    assert per_stage_reads > 40 * storage.handed_out


def test_wide_parallel_with_many_heads() -> None:
    b = GraphBuilder(step_ms=1)
    names = [f"b{k}" for k in range(2_000)]
    with b.stage("Wide"), b.parallel(*names) as par:
        for k, name in enumerate(names):
            with par.branch(name):
                b.step("sh", script=name)
                if k % 2:
                    b.halt()
    run = b.build()
    assert len(run.graph.heads) == 2_000  # the finished branches' ends and the running ones' tips
    analysis = analyze(run)
    [wide] = analysis.stages
    assert len(wide.children) == 2_000
    assert [c.status for c in wide.children[:2]] == [Status.SUCCESS, Status.IN_PROGRESS]
    assert wide.status is Status.IN_PROGRESS


def test_gc_state_is_restored() -> None:
    gc = importlib.import_module("gc")
    run = nested_stages(50)
    was = gc.isenabled()
    try:
        gc.disable()
        analyze(Run(run.graph, result=Result.SUCCESS, running=False))
        assert not gc.isenabled()
        gc.enable()
        analyze(Run(run.graph, result=Result.SUCCESS, running=False))
        assert gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()
