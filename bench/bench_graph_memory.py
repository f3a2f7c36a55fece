"""Memory and build time per node of a 1M-node flow graph, against networkx holding the same data.

The graph is a chain of 3-branch parallels (11 nodes each: parallel start, three branch starts,
one ``sh`` step per branch, three branch ends, the parallel end), generated once as plain
records. Both sides are then built from those records in the same process:

* flowgraph: ``FlowGraph.add_node(FlowNode(...))`` with a TimingAction (and the step's
  ArgumentsAction / the branch's ParallelLabelAction), i.e. validated appends;
* networkx: ``DiGraph.add_node(id, **attributes)`` with the same attributes plus one edge per
  parent link.

Memory is the tracemalloc peak of each build (the records are excluded); time is measured in a
separate run without tracemalloc. GraphBuilder's own time (which also computes ids, heads and
timings as Jenkins would) is printed too.

Run: ``python bench/bench_graph_memory.py [--nodes 1000000]``
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc
from collections.abc import Callable, Iterator

import networkx as nx

from flowgraph import ArgumentsAction, FlowGraph, FlowNode, GraphBuilder, NodeKind, ParallelLabelAction, TimingAction
from flowgraph.steps import PARALLEL_STEP, descriptor_id

Record = tuple[str, NodeKind, tuple[str, ...], str | None, str | None, int, str | None, str | None]
SH = descriptor_id("sh")


def records(target: int) -> list[Record]:
    """(id, kind, parents, start_id, descriptor, start_ms, branch name, script) for the chain."""
    out: list[Record] = [("2", NodeKind.FLOW_START, (), None, None, 0, None, None)]
    iota, tip, t = 2, "2", 0

    def new() -> str:
        nonlocal iota, t
        iota += 1
        t += 1
        return str(iota)

    while len(out) + 12 <= target:
        start = new()
        out.append((start, NodeKind.BLOCK_START, (tip,), None, PARALLEL_STEP, t, None, None))
        new()  # Jenkins skips an id after the parallel start
        branches = []
        for name in "abc":
            b = new()
            out.append((b, NodeKind.BLOCK_START, (start,), None, PARALLEL_STEP, t, name, None))
            branches.append(b)
        ends = []
        for b in branches:
            step = new()
            out.append((step, NodeKind.ATOM, (b,), None, SH, t, None, "make"))
            end = new()
            out.append((end, NodeKind.BLOCK_END, (step,), b, PARALLEL_STEP, t, None, None))
            ends.append(end)
        tip = new()
        out.append((tip, NodeKind.BLOCK_END, tuple(ends), start, PARALLEL_STEP, t, None, None))
    out.append((new(), NodeKind.FLOW_END, (tip,), "2", None, t, None, None))
    return out


def build_flowgraph(recs: list[Record]) -> FlowGraph:
    g = FlowGraph()
    for node_id, kind, parents, start, desc, ms, branch, script in recs:
        actions: list[object] = []
        if script is not None:
            actions.append(ArgumentsAction({"script": script}))
        if branch is not None:
            actions.append(ParallelLabelAction(branch))
        actions.append(TimingAction(ms))
        g.add_node(FlowNode(node_id, kind, parents, start_id=start, descriptor_id=desc, actions=actions))  # type: ignore[arg-type]
    return g


def build_networkx(recs: list[Record]) -> nx.DiGraph:
    g = nx.DiGraph()
    for node_id, kind, parents, start, desc, ms, branch, script in recs:
        attrs: dict[str, object] = {"kind": kind.value, "descriptor_id": desc, "start_id": start, "start_ms": ms}
        if script is not None:
            attrs["arguments"] = {"script": script}
        if branch is not None:
            attrs["branch"] = branch
        g.add_node(node_id, **attrs)
        for parent in parents:
            g.add_edge(parent, node_id)
    return g


def build_with_builder(target: int) -> FlowGraph:
    b = GraphBuilder(step_ms=1)
    while len(b.graph) + 12 <= target:
        b.begin_parallel("a", "b", "c")
        for name in "abc":
            b.enter_branch(name)
            b.step("sh", script="make")
            b.leave_branch()
        b.end_block()
    return b.build().graph


def measure(fn: Callable[[], object]) -> tuple[float, int]:
    gc.collect()
    start = time.perf_counter()
    kept = fn()
    seconds = time.perf_counter() - start
    del kept
    gc.collect()
    tracemalloc.start()
    kept = fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del kept
    return seconds, peak


def main(argv: Iterator[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1_000_000)
    args = parser.parse_args(None if argv is None else list(argv))
    recs = records(args.nodes)
    n = len(recs)
    ours_s, ours_b = measure(lambda: build_flowgraph(recs))
    nx_s, nx_b = measure(lambda: build_networkx(recs))
    gc.collect()
    t = time.perf_counter()
    built = build_with_builder(args.nodes)
    builder_s = time.perf_counter() - t
    print(f"nodes: {n:,} (builder graph: {len(built):,})")
    print(f"flowgraph FlowGraph : {ours_b / n:7.1f} B/node  {ours_s / n * 1e6:6.2f} us/node")
    print(f"networkx DiGraph    : {nx_b / n:7.1f} B/node  {nx_s / n * 1e6:6.2f} us/node")
    print(f"GraphBuilder        :                 {builder_s / len(built) * 1e6:6.2f} us/node")
    print(f"ratio memory (flowgraph / networkx): {ours_b / nx_b:.2f}x  (target <= 0.5x)")
    print(f"ratio time   (flowgraph / networkx): {ours_s / nx_s:.2f}x")


if __name__ == "__main__":
    main()
