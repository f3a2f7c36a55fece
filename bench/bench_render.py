"""Benchmark: rendering a 1,000-node run to SVG, against Graphviz alone on the same DOT text.

Baseline (issue 7): the layout engine by itself (system ``dot`` when installed, else the
WebAssembly Graphviz that flowgraph falls back to) laying out the very DOT text that
``render.to_svg`` produces, measured in the same run. Our time covers everything a user waits
for: the status/timing analysis, the block tree, labels, the DOT text and the layout.
Target: ours <= 1.2x the engine alone.

Also printed: the same run drawn with the default automatic collapsing (what ``to_html`` and
the CLI draw for big runs), and the stage graph.

Run: ``python bench/bench_render.py`` (``--nodes 2000 --repeat 3`` to vary).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flowgraph import GraphBuilder, Run
from render.dot import to_dot, to_svg
from render.engine import choose_engine
from render.stage_graph import stage_graph_svg


def build_run(nodes: int) -> Run:
    """Stages on agents with shell steps and a parallel every third stage, until ``nodes`` nodes."""
    b = GraphBuilder(start_ms=1_700_000_000_000, step_ms=250)
    index = 0
    while len(b.graph) < nodes - 12:
        index += 1
        with b.stage(f"stage {index}"):
            if index % 3 == 0:
                with b.parallel("linux", "windows", "mac") as par:
                    for branch in ("linux", "windows", "mac"):
                        with par.branch(branch):
                            for step in range(3):
                                b.step("sh", script=f"./test.sh {branch} {step}")
            else:
                with b.node("linux"):
                    for step in range(6):
                        b.step("sh", script=f"make target-{index}-{step}")
    return b.build()


def timed(label: str, repeat: int, action: Callable[[], object]) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    best, median = min(samples), statistics.median(samples)
    print(f"  {label:<46} best {best * 1000:8.1f} ms   median {median * 1000:8.1f} ms")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    run = build_run(args.nodes)
    engine = choose_engine("svg")
    baseline_name = {"dot": "system dot", "wasm": "WebAssembly Graphviz", "pure": "graphviz-pure"}[engine.name]
    print(f"run: {len(run.graph)} flow nodes; engine: {baseline_name}")
    if engine.name != "dot":
        print("  (no system `dot` on this machine: the baseline is the WebAssembly engine alone on the same DOT)")
    engine.render("digraph { a -> b }")  # load/compile the engine once, outside the timings

    source = to_dot(run, max_nodes=None).source
    print(f"full drawing: {source.count(' [id=')} drawn nodes and edges, {len(source):,} bytes of DOT")
    ours = timed("to_svg(run, max_nodes=None)  [ours, full]", args.repeat, lambda: to_svg(run, max_nodes=None))
    alone = timed(f"{engine.name} alone on the same DOT text", args.repeat, lambda: engine.render(source, "svg"))
    ratio = ours / alone
    verdict = "meets" if ratio <= 1.2 else "misses"
    print(f"ratio ours / engine alone: {ratio:.3f}  ({verdict} the <= 1.2x target)")
    print(f"  overhead outside Graphviz: {(ours - alone) * 1000:.1f} ms")

    print("for reference:")
    timed("to_svg(run)  [default auto-collapse]", args.repeat, lambda: to_svg(run))
    timed("to_dot(run, max_nodes=None)  [no layout]", args.repeat, lambda: to_dot(run, max_nodes=None))
    timed("stage_graph_svg(run)", args.repeat, lambda: stage_graph_svg(run))


if __name__ == "__main__":
    main()
