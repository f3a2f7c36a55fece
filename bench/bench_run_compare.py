"""Benchmark: rows keyed by path, diff_runs and critical_path, against the analysis they start from.

Issue 15 found that cross-run loops spent most of their time in ``to_dataframe``. The warehouse
builds each run's stage and step rows with :func:`scanners.run_rows.run_rows` instead. This
script measures, in one process, on the same realistic run (stages with shell steps in ``node``
and ``timeout`` blocks, a parallel of four declarative branches per stage, about ``--nodes``
flow nodes), the best CPU time of ``--repeat`` alternating runs of:

* ``analyze(run)`` — the baseline every other figure is divided by;
* ``to_dataframe`` of stages and steps — "today's way" of getting tables;
* ``run_rows(analysis)`` — plain rows with paths; and ``rows_frame`` of both (the same as
  pandas frames, with datetime/timedelta columns);
* ``diff_runs`` of two analysed runs (one 10% slower in every fifth stage, one failing branch);
* ``critical_path`` of an analysed run (rows + the walk back from the end).

Run: ``python bench/bench_run_compare.py [--nodes 100000] [--repeat 5]``.
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
from scanners import analyze, critical_path, diff_runs
from scanners.run_rows import rows_frame, run_rows


def realistic(nodes: int, *, slower: bool = False) -> Run:
    b = GraphBuilder(step_ms=7)
    index = 0
    while len(b.graph) < nodes - 60:
        index += 1
        with b.stage(f"stage {index}"):
            with b.node("linux"), b.block("timeout", time=10):
                for k in range(6):
                    ms = 70 if slower and index % 5 == 0 else 7
                    b.step("sh", script=f"make part{k}", duration_ms=ms)
            names = [f"b{index}.{k}" for k in range(4)]
            with b.parallel(*names) as par:
                for name in names:
                    with par.branch(name), b.stage(name):
                        b.step("sh", script=f"test {name}")
                        with b.try_catch():
                            b.step("echo", message="done", error="flaky" if slower and index % 7 == 0 else None)
    return b.build()


def best_of(repeat: int, *works: Callable[[], object]) -> list[float]:
    """Best CPU time of each work; the works alternate so that machine load hits them alike."""
    best = [float("inf")] * len(works)
    for _ in range(repeat):
        for index, work in enumerate(works):
            gc.collect()
            started = time.process_time()
            work()
            best[index] = min(best[index], time.process_time() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    run_a, run_b = realistic(args.nodes), realistic(args.nodes, slower=True)
    analysis_a, analysis_b = analyze(run_a), analyze(run_b)
    rows = run_rows(analysis_a)
    changes = len(diff_runs(analysis_a, analysis_b))
    print(
        f"run: {len(run_a.graph)} nodes, {len(rows.stages)} stages, {len(rows.steps)} steps; "
        f"diff: {changes} changes; critical path: {len(critical_path(analysis_a))} steps"
    )

    def old_frames() -> object:
        return analysis_a.to_dataframe("stages"), analysis_a.to_dataframe("steps")

    def new_frames() -> object:
        both = run_rows(analysis_a)
        return rows_frame(both.stages, "stages"), rows_frame(both.steps, "steps")

    works = {
        "analyze (baseline)": lambda: analyze(run_a),
        "to_dataframe stages+steps": old_frames,
        "run_rows": lambda: run_rows(analysis_a),
        "run_rows + rows_frame": new_frames,
        "diff_runs (2 analyses)": lambda: diff_runs(analysis_a, analysis_b),
        "critical_path": lambda: critical_path(analysis_a),
    }
    times = dict(zip(works, best_of(args.repeat, *works.values()), strict=True))
    base = times["analyze (baseline)"]
    print(f"{'work':<28} {'ms':>9} {'x analyze':>10}")
    for name, seconds in times.items():
        print(f"{name:<28} {seconds * 1e3:>9.1f} {seconds / base:>9.2f}x")
    old, new = times["to_dataframe stages+steps"], times["run_rows + rows_frame"]
    print(f"run_rows + rows_frame vs to_dataframe: {new / old:.2f}x (plain rows: {times['run_rows'] / old:.2f}x)")


if __name__ == "__main__":
    main()
