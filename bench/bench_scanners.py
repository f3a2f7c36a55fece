"""Benchmark: scanners on a 1,000,000-node graph against networkx on the same graph, same run.

The graph is a chain of 3-branch parallels built with GraphBuilder (each parallel preceded by
one ``echo`` step, each branch one ``sh`` step): 12 nodes per parallel. The baseline is
``networkx.dfs_preorder_nodes`` from the flow end over an equivalent ``DiGraph`` (one edge
child -> parent per parent link, i.e. the same backwards walk). Both walks are consumed the same
way (``deque(maxlen=0)``); each figure is the best of ``--repeat`` runs, garbage collector off.
Figures are CPU time of this process (``time.process_time``), which other processes on a shared
machine disturb less than wall-clock time; the wall-clock ratio is printed too.

Also timed: LinearScanner (flow end to flow start), LinearBlockHoppingScanner (from the last
step: hops every parallel), ForkScanner (full walk) and ForkScanner.visit_simple_chunks with a
BlockChunkFinder and the no-op StandardChunkVisitor.

Run: ``python bench/bench_scanners.py [--nodes 1000000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import networkx as nx

from flowgraph import FlowGraph, GraphBuilder
from scanners import (
    BlockChunkFinder,
    DepthFirstScanner,
    ForkScanner,
    LinearBlockHoppingScanner,
    LinearScanner,
    StandardChunkVisitor,
)

NODES_PER_PARALLEL = 12


def build_graph(nodes: int) -> FlowGraph:
    """A chain of 3-branch parallels, each preceded by one step, with about ``nodes`` nodes."""
    b = GraphBuilder(step_ms=1)
    names = ("a", "b", "c")
    for _ in range(max(1, (nodes - 2) // NODES_PER_PARALLEL)):
        b.step("echo", log=False)
        b.begin_parallel(*names)
        for name in names:
            b.enter_branch(name)
            b.step("sh", log=False)
            b.leave_branch()
        b.end_block()
    return b.build().graph


def to_networkx(graph: FlowGraph) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(n.id for n in graph)
    g.add_edges_from((n.id, p) for n in graph for p in n.parent_ids)
    return g


def best_of(repeat: int, run: Callable[[], object]) -> tuple[float, float]:
    """Best CPU time and best wall-clock time of ``repeat`` runs."""
    cpu, wall = [], []
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        run()
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start_wall)
        gc.enable()
    return min(cpu), min(wall)


def consume(items: Iterable[object]) -> None:
    deque(items, maxlen=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    start = time.perf_counter()
    graph = build_graph(args.nodes)
    built = time.perf_counter() - start
    head = graph.heads[0]
    last_step = graph.node(head.parent_ids[0])
    nxg = to_networkx(graph)
    print(
        f"graph: {len(graph):,} nodes ({built:.1f} s to build with GraphBuilder); networkx DiGraph: "
        f"{nxg.number_of_nodes():,} nodes, {nxg.number_of_edges():,} edges"
    )

    def dfs() -> None:
        scanner = DepthFirstScanner(graph)
        scanner.setup(head)
        consume(scanner)

    def fork() -> None:
        scanner = ForkScanner(graph)
        scanner.setup(head)
        consume(scanner)

    def linear() -> None:
        scanner = LinearScanner(graph)
        scanner.setup(head)
        consume(scanner)

    def hopping() -> None:
        scanner = LinearBlockHoppingScanner(graph)
        scanner.setup(last_step)
        consume(scanner)

    def chunks() -> None:
        ForkScanner.visit_simple_chunks(graph, StandardChunkVisitor(), BlockChunkFinder())

    # check the walks before timing them
    assert len(DepthFirstScanner().all_nodes(graph)) == len(graph)
    assert sum(1 for _ in nx.dfs_preorder_nodes(nxg, head.id)) == len(graph)

    baseline = best_of(args.repeat, lambda: consume(nx.dfs_preorder_nodes(nxg, head.id)))
    rows = [
        ("networkx.dfs_preorder_nodes (baseline)", baseline, len(graph)),
        ("DepthFirstScanner, full walk", best_of(args.repeat, dfs), len(graph)),
        ("ForkScanner, full walk", best_of(args.repeat, fork), len(graph)),
        ("LinearScanner, flow end to start", best_of(args.repeat, linear), len(LinearScanner().all_nodes(graph))),
        (
            "LinearBlockHoppingScanner, last step to start",
            best_of(args.repeat, hopping),
            len(LinearBlockHoppingScanner(graph).all_nodes(last_step)),
        ),
        ("ForkScanner.visit_simple_chunks (BlockChunkFinder)", best_of(args.repeat, chunks), len(graph)),
    ]
    print(f"{'walk':52} {'nodes':>10} {'cpu s':>7} {'us/node':>8} {'x networkx':>10} {'wall s':>7} {'x nx wall':>9}")
    for name, (cpu, wall), count in rows:
        print(
            f"{name:52} {count:>10,} {cpu:>7.3f} {cpu / count * 1e6:>8.3f} {cpu / baseline[0]:>10.2f} "
            f"{wall:>7.3f} {wall / baseline[1]:>9.2f}"
        )
    ratio = rows[1][1][0] / baseline[0]
    verdict = "met" if ratio <= 0.4 else "NOT met"
    print(f"\nDepthFirstScanner / networkx (CPU time) = {ratio:.2f} (target <= 0.40): {verdict}")


if __name__ == "__main__":
    main()
