"""Benchmark: ``flowgraph list`` on a JENKINS_HOME, against loading every run of it.

``render.catalog.catalog`` lists a home from each build's ``build.xml`` alone; the baseline,
measured in the same run, is what listing would cost by loading each run's flow graph
(``render.sources.open_runs``, the way the stage view reads runs). Target: listing is a small
fraction of loading (the ratio printed is list / load; lower is better), and the stage view of
``--last N`` runs per job costs in proportion to N, not to the home's size.

Run: ``python bench/bench_list.py`` (``--runs 300 --repeat 3`` to vary).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flowgraph.jenkins.runs import save_run
from render.catalog import catalog
from render.example import example_run
from render.multi_run import stage_view_document
from render.sources import open_runs


def _best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=150)
    parser.add_argument("--jobs", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fg-bench-list-") as tmp:
        home = Path(tmp)
        run = example_run()
        for index in range(args.runs):
            save_run(run, home / "jobs" / f"job{index % args.jobs}" / "builds" / str(index // args.jobs + 1))
        listed = _best(lambda: catalog(home), args.repeat)
        loaded = _best(lambda: list(open_runs(str(home))), args.repeat)
        view_all = _best(lambda: stage_view_document([str(home)], "html"), 1)
        view_last = _best(lambda: stage_view_document([str(home)], "html", last=5), args.repeat)
        print(f"home: {args.runs} runs of {len(run.graph)} nodes in {args.jobs} jobs")
        print(f"list (build.xml only):     {listed * 1000:8.1f} ms")
        print(f"load every run (baseline): {loaded * 1000:8.1f} ms")
        print(f"ratio list / load:         {listed / loaded:8.3f}x")
        print(f"stage view, every run:     {view_all * 1000:8.1f} ms")
        print(f"stage view, --last 5:      {view_last * 1000:8.1f} ms  ({view_last / view_all:.3f}x of every run)")
        print(f"list cost per run:         {listed / args.runs * 1e6:8.0f} us")


if __name__ == "__main__":
    main()
