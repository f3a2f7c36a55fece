"""Benchmark: exporting 1,000 runs as OTLP traces to a local receiver, against loading the same runs.

Baseline (issue 14): loading the runs from a JENKINS_HOME in Jenkins' own XML format
(``iter_runs`` + ``RunRef.load``), measured in the same process. Ours: turning the loaded runs
into spans (stage-tree analysis, attributes, deterministic ids), SDK spans, protobuf and HTTP
POSTs to an OTLP/HTTP receiver on 127.0.0.1 that decodes every request (it runs in a thread of
this process, so its work counts against us too). Rounds alternate between the two so that
machine noise hits both alike. Target: export <= 1.5x load.

Run: ``python bench/bench_otel.py`` (``--runs 200 --rounds 3`` to vary).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from otlp_receiver import OtlpReceiver

from flowgraph import Run
from flowgraph.jenkins import iter_runs, save_run
from render.example import example_runs
from render.otel import export_traces


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as home:
        for run in example_runs(args.runs):
            save_run(run, Path(home) / "jobs" / "example" / "builds" / str(run.number))
        refs = list(iter_runs(home))
        loaded: list[Run] = [ref.load() for ref in refs]  # warm the file cache and imports
        nodes = sum(len(run.graph) for run in loaded)
        print(f"{len(refs)} runs, {nodes:,} flow nodes in Jenkins XML ({nodes / len(refs):.0f} per run)")
        with OtlpReceiver(keep=False) as receiver:
            export_traces(loaded[:5], endpoint=receiver.endpoint)  # connect, import the SDK
            load_times, export_times = [], []
            for _ in range(args.rounds):
                start = time.perf_counter()
                loaded = [ref.load() for ref in refs]
                load_times.append(time.perf_counter() - start)
                before, calls = receiver.span_count, receiver.request_count
                start = time.perf_counter()
                report = export_traces(loaded, endpoint=receiver.endpoint)
                export_times.append(time.perf_counter() - start)
                assert receiver.span_count - before == report.spans and report.runs == len(refs)
                requests = receiver.request_count - calls
    load, export = statistics.median(load_times), statistics.median(export_times)
    print(f"  spans per export: {report.spans:,} in {requests} OTLP requests")
    print(f"  load {len(refs)} runs (baseline)        median {load * 1000:8.1f} ms")
    print(f"  export them to OTLP/HTTP (ours)       median {export * 1000:8.1f} ms")
    ratio = export / load
    print(f"  ratio export / load: {ratio:.2f}x (target <= 1.5x) -> {'OK' if ratio <= 1.5 else 'OVER TARGET'}")


if __name__ == "__main__":
    main()
