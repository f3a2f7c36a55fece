"""Benchmark: one-pass status/timing analysis vs one bare depth-first scan of the same graph.

The issue's target: analysing a 100,000-node run (:func:`scanners.analyze`: every node's facts,
the per-block aggregates, the stage tree with every stage's and step's status and timing)
costs at most 3x one plain :class:`~scanners.DepthFirstScanner` walk over the same graph.
Both are measured in this process, on the same graph, as the best CPU time (``process_time``,
which other processes on a busy machine disturb less than wall time) of ``--repeat``
alternating runs each.

Two graphs of about 100,000 nodes:

* ``realistic``: stages with shell steps, a parallel of four branches per stage (each branch a
  declarative-style stage), a ``node`` and ``timeout`` block, a warning here and there;
* ``nested``: 25,000 stages nested inside each other (the worst case: half the nodes are
  block starts of stages, each one a node of the stage tree);
* ``legacy``: old scripted pipelines' bodiless ``stage 'Name'`` markers inside a ``node``, each
  followed by three steps (a quarter of the nodes are marker stages).

Run: ``python bench/bench_status.py [--nodes 100000] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flowgraph import GraphBuilder, Run
from scanners import DepthFirstScanner, analyze


def realistic(nodes: int) -> Run:
    b = GraphBuilder(step_ms=7)
    index = 0
    while len(b.graph) < nodes - 60:
        index += 1
        with b.stage(f"stage {index}"):
            with b.node("linux"), b.block("timeout", time=10):
                for k in range(6):
                    b.step("sh", script=f"make part{k}")
                if index % 10 == 0:
                    b.unstable("flaky")
            names = [f"b{index}.{k}" for k in range(4)]
            with b.parallel(*names) as par:
                for name in names:
                    with par.branch(name), b.stage(name):
                        b.step("sh", script=f"test {name}")
                        b.step("echo", message="done")
    return b.build()


def nested(nodes: int) -> Run:
    b = GraphBuilder(step_ms=1)
    depth = nodes // 4
    for k in range(depth):
        b.begin_stage(f"s{k}")
    b.step("sh", script="deep")
    for _ in range(depth):
        b.end_block()
    return b.build()


def legacy(nodes: int) -> Run:
    b = GraphBuilder(step_ms=3)
    with b.node("linux"):
        index = 0
        while len(b.graph) < nodes - 10:
            index += 1
            b.legacy_stage(f"stage {index}")
            for k in range(3):
                b.step("sh", script=f"make part{k}")
    return b.build()


def best_of(repeat: int, *works: Callable[[], object]) -> list[float]:
    """Best time of each work; the works alternate so that machine load hits them alike."""
    best = [float("inf")] * len(works)
    for _ in range(repeat):
        for index, work in enumerate(works):
            started = time.process_time()
            work()
            best[index] = min(best[index], time.process_time() - started)
    return best


def measure(name: str, run: Run, repeat: int) -> None:
    graph = run.graph
    gc.collect()

    def scan() -> int:
        count = 0
        for _ in DepthFirstScanner(graph).all_nodes(graph):
            count += 1
        return count

    assert scan() == len(graph)
    stages = sum(1 for _ in analyze(run).iter_stages())
    dfs, full = best_of(repeat, scan, lambda: analyze(run))
    print(f"{name:<10} {len(graph):>8} {stages:>7} {dfs * 1e3:>8.1f} {full * 1e3:>11.1f} {full / dfs:>5.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{'graph':<10} {'nodes':>8} {'stages':>7} {'dfs ms':>8} {'analyze ms':>11} {'ratio':>6}")
    for name, make in (("realistic", realistic), ("nested", nested), ("legacy", legacy)):
        run = make(args.nodes)
        measure(name, run, args.repeat)
    print("target: analyze <= 3x one bare DepthFirstScanner walk (same graph, same process)")


if __name__ == "__main__":
    main()
