"""Benchmark: the run-history warehouse against today's way of answering cross-run questions.

On a generated ``JENKINS_HOME`` (``--runs`` runs over ``--jobs`` jobs, about 250 flow nodes each,
realistic shapes: checkout, a build on an agent, a parallel of eight test branches with a retry
and a caught lint, packaging, deploy; failures, retries and slow-downs sprinkled in; most runs in
bulk ``flowNodeStore.xml`` storage, every tenth one node per file, one damaged run), it prints,
all measured in this same run (wall time; Dask workers are other processes):

* today's way: ``iter_runs`` -> ``load`` -> ``analyze`` -> ``to_dataframe`` (stages and steps)
  -> ``concat``, versus ``History.build`` in one process (target <= 0.5x) and with 2 Dask
  workers (target >= 1.7x faster than one process on an idle machine);
* re-import of the unchanged home (target <= 2% of a full build);
* each report query in DuckDB versus the same answer in pandas over the concatenated frames
  (target <= 0.1x);
* peak memory (max RSS of a child process) of a build of N and of 4N runs (target <= 1.2x);
* from the measured per-task cost, a projected time for 1,000,000 runs on 8, 32, 128 workers.

Run: ``python bench/bench_history.py [--runs 2000] [--jobs 10] [--skip-memory]``
(``--runs 400`` for a quick look).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import pandas as pd

from flowgraph import FlowExecution, GraphBuilder, Result
from flowgraph.jenkins import iter_runs, save_run
from flowgraph.storage.base import Durability
from scanners import analyze
from scanners.history import History
from scanners.history.importer import CHUNK_SIZE
from scanners.history.queries import _regression_in


def _run(job_index: int, n: int, rng: random.Random, per_job: int) -> Any:
    slow = 2.0 if n > per_job // 2 and job_index % 3 == 0 else 1.0  # a third of the jobs get a slower build
    b = GraphBuilder(start_ms=1_700_000_000_000 + n * 3_600_000 + job_index * 1000, step_ms=200)
    with b.stage("Checkout"):
        b.step("checkout", scm="git")
        b.step("sh", script="git submodule update --init")
    with b.stage("Build"), b.node("linux"), b.block("timeout", time=30):
        for k in range(30):
            b.step("sh", script=f"make -C module{k}", duration_ms=int(rng.uniform(2_000, 4_000) * slow))
    with b.stage("Lint"), b.parallel("style", "types", "docs") as par:
        for name in ("style", "types", "docs"):
            with par.branch(name):
                for k in range(5):
                    b.step("sh", script=f"make {name}-{k}")
    names = [f"shard{k}" for k in range(8)]
    failing = rng.random() < 0.08
    with b.stage("Test"), b.parallel(*names) as par:
        for index, name in enumerate(names):
            with par.branch(name), b.node("linux"):
                if index == 0:
                    with b.retry(2) as retry:
                        if rng.random() < 0.1:
                            with retry.attempt():
                                b.step("sh", script="./it.sh", error=f"connection reset after {rng.randint(1, 90)}s")
                        with retry.attempt():
                            b.step("sh", script="./it.sh", duration_ms=rng.randint(5_000, 9_000))
                    continue
                if index == 1:
                    with b.catch_error(build_result=Result.UNSTABLE, stage_result=Result.UNSTABLE):
                        b.step("sh", script="ruff check .", error="3 problems" if rng.random() < 0.2 else None)
                    continue
                b.step("echo", message=f"testing {name}")
                for k in range(15):
                    b.step("sh", script=f"pytest tests/{name}/part{k}", duration_ms=rng.randint(3_000, 12_000))
                if failing and index == len(names) - 1:
                    b.step("junit", testResults="reports/*.xml", error=f"{rng.randint(1, 30)} failures in 412 tests")
                else:
                    b.step("junit", testResults=f"reports/{name}/*.xml")
    if not failing:
        with b.stage("Package"):
            for k in range(10):
                b.step("sh", script=f"python -m build pkg{k}")
            b.step("archiveArtifacts", artifacts="dist/*")
        with b.stage("Deploy"):
            b.step("sh", script="./deploy.sh staging", duration_ms=rng.randint(8_000, 12_000))
            b.step("echo", message="deployed")
    return b.build()


def write_home(home: Path, runs: int, jobs: int, seed: int = 5) -> int:
    """The generated home; returns the number of flow nodes written."""
    rng = random.Random(seed)
    nodes = 0
    per_job = runs // jobs
    for j in range(jobs):
        job_dir = home / "jobs" / f"team{j % 3}" / "jobs" / f"app{j}"
        for n in range(1, per_job + 1):
            run = _run(j, n, rng, per_job)
            nodes += len(run.graph)
            if n % 10:
                heads = {1: run.graph.head_ids[0]}
                run.execution = FlowExecution(
                    heads=heads, done=True, durability=Durability.PERFORMANCE_OPTIMIZED, result=run.result,
                    iota=len(run.graph), persisted_clean=True,
                )  # fmt: skip
            save_run(run, job_dir / "builds" / str(n))
    damaged = home / "jobs" / "team0" / "jobs" / "app0" / "builds" / "1" / "build.xml"
    damaged.write_text("<flow-build><execution")
    return nodes


def todays_way(home: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    stages, steps = [], []
    for ref in iter_runs(home):
        try:
            analysis = analyze(ref.load())
        except Exception:
            continue
        frame = analysis.to_dataframe("stages")
        frame["job"], frame["number"] = ref.job, ref.number
        stages.append(frame)
        frame = analysis.to_dataframe("steps")
        frame["job"], frame["number"] = ref.job, ref.number
        steps.append(frame)
    return pd.concat(stages, ignore_index=True), pd.concat(steps, ignore_index=True)


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


# -- the pandas answers, over the concatenated frames ------------------------------------------


def pd_failure_rates(stages: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    done = runs.loc[~runs.running, ["job", "number"]]
    s = stages[stages.status != "NOT_EXECUTED"].merge(done, on=["job", "number"])
    g = s.assign(f=s.status.eq("FAILURE"), u=s.status.eq("UNSTABLE"), a=s.status.eq("ABORTED"))
    out = g.groupby(["job", "path"]).agg(runs=("number", "nunique"), failures=("f", "sum"), unstable=("u", "sum"),
                                         aborted=("a", "sum")).reset_index()  # fmt: skip
    out["rate"] = out.failures / out.runs
    return out.sort_values(["rate", "failures"], ascending=False)


def pd_slowest(stages: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    done = runs.loc[~runs.running, ["job", "number"]]
    s = stages[stages.duration.notna() & (stages.status != "NOT_EXECUTED")].merge(done, on=["job", "number"])
    g = s.groupby(["job", "path"]).duration
    out = pd.DataFrame({"runs": g.size(), "median": g.median(), "p90": g.quantile(0.9), "max": g.max()})
    return out.reset_index().sort_values("median", ascending=False)


def pd_regressions(stages: pd.DataFrame, runs: pd.DataFrame) -> list[Any]:
    done = runs.loc[~runs.running, ["job", "number"]]
    s = stages[stages.duration.notna() & (stages.status != "NOT_EXECUTED")].merge(done, on=["job", "number"])
    s = s.sort_values(["job", "path", "number"])
    found = []
    for (job, path), group in s.groupby(["job", "path"], sort=False):
        ms = group.duration.dt.total_seconds().to_numpy() * 1000
        hit = _regression_in(group.number.to_numpy(), ms, 10, 1.5)
        if hit is not None:
            found.append((job, path, hit))
    return found


def pd_flaky(stages: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    s = stages[stages.status != "NOT_EXECUTED"].merge(runs[["job", "number", "revision"]], on=["job", "number"])
    s = s.sort_values("occurrence")
    final = s.groupby(["job", "number", "path"]).agg(final=("status", "last"), revision=("revision", "first"))
    fail_first = s[s.status.eq("FAILURE")].groupby(["job", "number", "path"]).occurrence.min()
    pass_last = s[s.status.eq("SUCCESS")].groupby(["job", "number", "path"]).occurrence.max()
    both = pd.concat([fail_first.rename("f"), pass_last.rename("p")], axis=1).dropna()
    in_run = both[both.p > both.f].reset_index()[["job", "number", "path"]]
    final = final.reset_index()
    known = final[final.revision.notna()]
    split = known.groupby(["job", "revision", "path"]).final.agg(lambda v: {"FAILURE", "SUCCESS"} <= set(v))
    split = split[split].reset_index()[["job", "revision", "path"]]
    across = known.merge(split, on=["job", "revision", "path"])[["job", "number", "path"]]
    flagged = pd.concat([in_run, across]).drop_duplicates()
    return flagged.groupby(["job", "path"]).number.nunique().sort_values(ascending=False).reset_index()


def pd_signatures(steps: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    s = steps[steps.signature.notna()].merge(runs[["job", "number", "result"]], on=["job", "number"])
    s = s.assign(run=s.job + "#" + s.number.astype(str), failed=s.result.eq("FAILURE"))
    out = s.groupby("signature").agg(count=("run", "nunique"), jobs=("job", "nunique"))
    out["failed_runs"] = s[s.failed].groupby("signature").run.nunique()
    return out.fillna(0).sort_values("count", ascending=False).reset_index()


def child_build(home: str, warehouse: str) -> None:
    """Run one build and print its peak RSS (KiB) as JSON: measured in a process of its own."""
    start = time.perf_counter()
    History.build(home, warehouse)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"peak_kib": peak, "seconds": time.perf_counter() - start}))


def peak_build(home: Path, warehouse: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child-build", str(home), str(warehouse)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--jobs", type=int, default=10)
    parser.add_argument("--skip-memory", action="store_true", help="Leave out the 4x-runs memory measurement.")
    parser.add_argument("--skip-dask", action="store_true", help="Leave out the 2-worker build.")
    parser.add_argument("--home", type=Path, help="Generate the home here and keep it (reused when it exists).")
    parser.add_argument("--child-build", nargs=2, metavar=("HOME", "WAREHOUSE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_build:
        child_build(*args.child_build)
        return
    scratch = Path(tempfile.mkdtemp(prefix="bench-history-"))
    try:
        home = args.home or scratch / "home"
        if home.is_dir():
            t_gen, nodes = 0.0, 0  # reused: generated (and counted) by an earlier run
        else:
            t_gen, nodes = timed(lambda: write_home(home, args.runs, args.jobs))
        print(f"generated {args.runs} runs, {nodes:,} flow nodes ({nodes / args.runs:.0f} per run) in {t_gen:.1f}s")

        cpu = time.process_time()
        t_today, _ = timed(lambda: todays_way(home))
        cpu_today = time.process_time() - cpu
        print(f"today's way (load+analyze+to_dataframe+concat): {t_today:6.2f}s  ({args.runs / t_today:5.0f} runs/s)"
              f"  CPU {cpu_today:6.2f}s")  # fmt: skip
        cpu = time.process_time()
        t_one, h = timed(lambda: History.build(home, scratch / "wh1"))
        cpu_one = time.process_time() - cpu
        print(f"History.build, 1 process:                     {t_one:6.2f}s  ({args.runs / t_one:5.0f} runs/s)"
              f"  CPU {cpu_one:6.2f}s  ratio {t_one / t_today:.2f}x today's wall, {cpu_one / cpu_today:.2f}x its CPU"
              f" (target <= 0.5)  {h.report}")  # fmt: skip
        if not args.skip_dask:
            import distributed

            start = time.perf_counter()
            with distributed.LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
            ) as cluster:
                t_start = time.perf_counter() - start
                t_two, h2 = timed(lambda: History.build(home, scratch / "wh2", scheduler=cluster.scheduler_address))
            print(f"History.build, 2 Dask workers:                {t_two:6.2f}s  speed-up {t_one / t_two:.2f}x "
                  f"over 1 process (target >= 1.7 on an idle machine; cluster start {t_start:.1f}s more)  "
                  f"{h2.report}")  # fmt: skip
        t_again, h3 = timed(lambda: History.build(home, scratch / "wh1"))
        share = 100 * t_again / t_one
        print(f"re-import, unchanged home:                    {t_again:6.3f}s  = {share:.1f}% of a full build "
              f"(target <= 2%)  {h3.report}")  # fmt: skip

        runs, stages, steps = h.runs, h.stages, h.steps  # the concatenated frames, in memory
        size = sum(f.stat().st_size for f in (scratch / "wh1").rglob("*.parquet")) / 1e6
        print(f"warehouse: {len(runs)} runs, {len(stages)} stage rows, {len(steps)} step rows ({size:.1f} MB Parquet)")
        pairs = {
            "failure_rates": (lambda: h.failure_rates(), lambda: pd_failure_rates(stages, runs)),
            "slowest": (lambda: h.slowest(), lambda: pd_slowest(stages, runs)),
            "regressions": (lambda: h.regressions(), lambda: pd_regressions(stages, runs)),
            "flaky": (lambda: h.flaky(), lambda: pd_flaky(stages, runs)),
            "failure_signatures": (lambda: h.failure_signatures(), lambda: pd_signatures(steps, runs)),
            "failure_rates(step)": (lambda: h.failure_rates("step"), lambda: pd_failure_rates(steps, runs)),
        }
        for name, (duck, panda) in pairs.items():
            t_duck, answer = timed(duck, 3)
            t_pd, _ = timed(panda, 3)
            print(f"  {name:20s} DuckDB {1000 * t_duck:7.1f} ms   pandas {1000 * t_pd:7.1f} ms   "
                  f"ratio {t_duck / t_pd:5.2f} (target <= 0.1)   {len(answer)} rows")  # fmt: skip

        # Projection: tasks of CHUNK_SIZE runs; the driver's own share is the unchanged re-import's.
        per_run_task = t_one / args.runs
        per_run_driver = t_again / args.runs
        tasks = 1_000_000 / CHUNK_SIZE
        for workers in (8, 32, 128):
            seconds = np.ceil(tasks / workers) * CHUNK_SIZE * per_run_task + 1_000_000 * per_run_driver
            print(f"projected 1,000,000 runs on {workers:3d} workers: {seconds / 60:6.1f} min "
                  f"({CHUNK_SIZE}-run tasks at {1000 * CHUNK_SIZE * per_run_task:.0f} ms each, driver stat "
                  f"{1e6 * per_run_driver:.0f} us/run)")  # fmt: skip

        if not args.skip_memory:
            big = scratch / "home4"
            for copy in range(4):
                for team in (home / "jobs").iterdir():
                    shutil.copytree(team, big / "jobs" / f"{team.name}-copy{copy}", copy_function=os.link)
            small_peak = peak_build(home, scratch / "wm1")
            big_peak = peak_build(big, scratch / "wm4")
            print(f"peak memory: {args.runs} runs {small_peak['peak_kib'] / 1024:.0f} MiB, {4 * args.runs} runs "
                  f"{big_peak['peak_kib'] / 1024:.0f} MiB: ratio {big_peak['peak_kib'] / small_peak['peak_kib']:.2f} "
                  f"(target <= 1.2)")  # fmt: skip
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
