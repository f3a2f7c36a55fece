"""Huge graphs: 100,000 nested blocks and 1,000,000 nodes render without recursion, in linear work.

Linearity is shown by counting storage reads (``MemoryNodeStorage.reads``), never by timing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from render_support import deep_run

from flowgraph import GraphBuilder, MemoryNodeStorage, Run
from render.blocks import BlockTree
from render.dot import to_dot
from render.html import to_html
from render.networkx_io import from_networkx, to_networkx
from render.stage_graph import stage_graph_dot


@pytest.fixture(scope="module")
def deep() -> Iterator[Run]:
    yield deep_run(50_000)  # 50,000 stages = 100,000 nested blocks


def _reads(run: Run) -> int:
    storage = run.graph.storage
    assert isinstance(storage, MemoryNodeStorage)
    return storage.reads


def test_deep_nesting_renders_collapsed_without_recursion(deep: Run) -> None:
    tree = BlockTree(deep.graph)
    assert tree.max_depth == 100_000
    before = _reads(deep)
    source = to_dot(deep).source  # automatic collapsing keeps it drawable
    reads = _reads(deep) - before
    assert source.count(" [id=") <= 2 * 400
    assert "fg-collapsed" in source
    assert reads <= 1.1 * len(deep.graph)  # linear: at most about one read per node
    full = to_dot(deep, max_nodes=None).source  # every cluster, nested 100,000 deep, as text
    assert full.count("subgraph cluster_") == 100_000


def test_deep_nesting_networkx_round_trip(deep: Run) -> None:
    back = from_networkx(to_networkx(deep))
    assert len(back) == len(deep.graph)
    deepest = next(n for n in back if n.function_name == "sh")
    assert len(back.all_enclosing_ids(deepest)) == 100_001  # every block plus the flow start


def test_deep_nesting_stage_graph_and_page(deep: Run) -> None:
    source = stage_graph_dot(deep).source
    assert 0 < source.count("fg-stage") <= 2 * 300
    page = to_html(deep, timeline=False)
    assert page.count("<details") <= 500  # the outline stops listing, with a note
    assert "more stages not listed" in page


def test_reads_grow_linearly_with_the_graph() -> None:
    def reads_for(stages: int) -> int:
        run = deep_run(stages)
        before = _reads(run)
        to_dot(run, max_nodes=200)
        return _reads(run) - before

    small, large = reads_for(2_000), reads_for(8_000)
    assert large <= 4.4 * small  # 4x the nodes, about 4x the reads


def test_a_million_nodes_draw_with_a_gap() -> None:
    b = GraphBuilder(start_ms=0, step_ms=1)
    for _ in range(999_998):
        b.step("echo", log=False)
    run = b.build()
    assert len(run.graph) == 1_000_000
    before = _reads(run)
    source = to_dot(run, max_nodes=300).source
    assert _reads(run) - before <= 1.1 * len(run.graph)  # about one read per node
    # the first and last 300 // 4 = 75 nodes are drawn; the 999,850 between are one gap node
    assert "\u2026 999850 more nodes" in source
    assert source.count(" [id=") <= 2 * 300


def test_deep_nesting_stage_records_and_grid(deep: Run) -> None:
    from render.cli_output import stage_records
    from render.stage_view import StageGrid

    records = stage_records(deep)  # every stage of 50,000 nested ones, walked with a stack
    assert len(records) == 50_000
    assert records[-1]["depth"] == 49_999 and records[-1]["parent"] == records[-2]["node"]
    assert "49988 levels" in records[-1]["path"]  # long paths are elided, so the output stays linear
    assert sum(len(r["path"]) for r in records) < 200 * len(records)
    grid = StageGrid([deep])  # the top-level stage and the one below it get columns
    assert [len(c.path) for c in grid.columns] == [1, 2]
