"""Benchmark: loading a 10,000-node run from Jenkins' per-node and bulk XML storages.

Baseline (issue 4): a raw ``lxml`` parse of the same bytes, measured in the same run.
Targets: per-node directory <= 1.5x, bulk file <= 1.3x. Then 1,000 small runs through the
parallel loader at 1 and 2 workers, to show that loading scales with cores.

Run: ``python bench/bench_xml_storage.py`` (``--runs 200`` for a quicker scaling check).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flowgraph import BulkXmlNodeStorage, Durability, FlowExecution, GraphBuilder, Run, XmlDirNodeStorage
from flowgraph.jenkins.bulk_load import load_runs, node_count
from flowgraph.jenkins.runs import save_run


def build_run(nodes: int) -> Run:
    """A realistic run: stages of shell steps, some parallels, until about ``nodes`` nodes."""
    b = GraphBuilder(start_ms=1_700_000_000_000, step_ms=7)
    i = 0
    while len(b.graph) < nodes - 12:
        if i % 10 == 9:
            with b.parallel("unit", "lint") as par:
                with par.branch("unit"):
                    b.step("sh", script=f"pytest -k 'case {i}'")
                with par.branch("lint"):
                    b.step("sh", script="ruff check . && echo <ok>")
        else:
            with b.stage(f"Stage {i}"):
                b.step("sh", script=f"make target-{i}")
                b.step("echo", message=f"done {i}")
        i += 1
    return b.build()


def best(fn, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=1_000)
    args = parser.parse_args()
    run = build_run(args.nodes)
    tmp = Path(tempfile.mkdtemp(prefix="bench-xml-"))
    per_node = XmlDirNodeStorage(tmp / "workflow", cache_size=args.nodes * 2)
    bulk = BulkXmlNodeStorage(tmp / "bulk" / "flowNodeStore.xml")
    for node in run.graph:
        per_node.store_node(node, delay=True)
        bulk.store_node(node, delay=True)
    per_node.flush()
    bulk.flush()
    count = len(run.graph)
    files = sorted((tmp / "workflow").glob("*.xml"))
    file_bytes = [f.read_bytes() for f in files]
    bulk_bytes = (tmp / "bulk" / "flowNodeStore.xml").read_bytes()

    def raw_per_node() -> None:
        for f in files:
            etree.fromstring(f.read_bytes())

    def raw_bulk() -> None:
        etree.fromstring((tmp / "bulk" / "flowNodeStore.xml").read_bytes())

    def load_per_node() -> None:
        store = XmlDirNodeStorage(tmp / "workflow", cache_size=count * 2)
        assert sum(1 for _ in store.iter_nodes()) == count

    def load_bulk() -> None:
        store = BulkXmlNodeStorage(tmp / "bulk" / "flowNodeStore.xml")
        assert sum(1 for _ in store.iter_nodes()) == count

    print(
        f"run: {count} nodes; per-node {len(files)} files, {sum(map(len, file_bytes)) / 1e6:.1f} MB;"
        f" bulk {len(bulk_bytes) / 1e6:.1f} MB"
    )
    for label, raw, ours, target in (
        ("per-node dir", raw_per_node, load_per_node, 1.5),
        ("bulk file", raw_bulk, load_bulk, 1.3),
    ):
        base, mine = best(raw), best(ours)
        print(
            f"{label:13s} raw lxml {base * 1e3:8.1f} ms | flowgraph {mine * 1e3:8.1f} ms |"
            f" ratio {mine / base:5.2f}x (target <= {target}x)"
        )

    home = tmp / "home"
    small = build_run(60)
    last = max(int(node.id) for node in small.graph)
    # Per-node files without an fsync each, so that preparing 1,000 runs takes seconds, not minutes.
    small.execution = FlowExecution(
        heads={1: str(last)}, iota=last, done=True, durability=Durability.SURVIVABLE_NONATOMIC
    )
    for n in range(1, args.runs + 1):
        save_run(small, home / "jobs" / f"job{n % 10}" / "builds" / str(n))
    timings = {}
    for workers in (1, 2):
        start = time.perf_counter()
        loaded = sum(1 for _ in load_runs(home, fn=node_count, workers=workers, progress=False))
        timings[workers] = time.perf_counter() - start
        print(f"bulk loader: {loaded} runs with {workers} worker(s): {timings[workers]:.2f} s")
    print(f"speed-up 2 workers vs 1: {timings[1] / timings[2]:.2f}x")


if __name__ == "__main__":
    main()
