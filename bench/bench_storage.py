# ruff: noqa: E501  (report lines are long on purpose)
"""Per backend: durable write per step and full reload, this tree against a baseline commit.

Usage: ``python bench/bench_storage.py [--steps N] [--rounds R] [--baseline REV] [--no-postgres]``

The baseline (default: ``838a627``, the commit before the run-store contract, leases and the
one resolver) is checked out with ``git worktree add`` into a temporary directory; the same
measuring code then runs in child processes against each tree in turn, alternating, ``R``
rounds, best round kept (the machine is shared, so the minimum is the honest figure). Printed
per backend:

* ``write/step``: after one small warm-up run per backend (imports, engine, schema are one-time
  costs), ``record`` of a pipeline of ``N`` no-op steps at ``MAX_SURVIVABILITY`` (for
  the bulk file, which is written whole at the end: ``N`` delayed stores and one flush), per step;
* ``reload``: ``flowgraph.load`` of that run and a walk over every node.

Backends: memory, per-node XML, bulk XML, SQLite, PostgreSQL (a throw-away server, as the tests
start; skipped when its binaries are missing). Target: no backend more than 5% slower.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "838a627"


def measure(root: str, steps: int, pg_url: str | None, tag: str) -> dict[str, dict[str, float]]:
    """Run in a child process whose ``sys.path`` starts at ``root``: the figures of that tree."""
    sys.path.insert(0, root)
    from flowgraph import BulkXmlNodeStorage, load
    from flowgraph.recorder import record
    from flowgraph.recorder.examples import noop_pipeline
    from flowgraph.storage.base import Durability

    max_ = Durability.MAX_SURVIVABILITY
    out: dict[str, dict[str, float]] = {}
    work = Path(tempfile.mkdtemp(prefix="bench-storage-"))

    def reload(target: str) -> float:
        best = float("inf")
        for _ in range(5):
            began = time.perf_counter()
            run = load(target)
            count = sum(1 for _ in run.graph)
            best = min(best, time.perf_counter() - began)
        assert count > steps, (target, count)
        return best

    targets = {"xml": str(work / "build"), "sqlite": f"sqlite:///{work}/runs.db#run-{tag}"}
    if pg_url:
        targets["postgresql"] = f"{pg_url}#run-{tag}"
    began = time.perf_counter()
    recorded = record(noop_pipeline, kwargs={"n": steps}, store=None, durability=max_)
    out["memory"] = {"write": (time.perf_counter() - began) / steps, "reload": float("inf")}
    nodes = list(recorded.graph)
    warm = {"xml": str(work / "warm-build"), "sqlite": f"sqlite:///{work}/warm.db#warm-{tag}"}
    if pg_url:
        warm["postgresql"] = f"{pg_url}#warm-{tag}"
    for target in warm.values():  # one-time costs (imports, engine, schema) are not per-step costs
        record(noop_pipeline, kwargs={"n": 3}, store=target, durability=max_).store.close()
    for name, target in targets.items():
        began = time.perf_counter()
        record(noop_pipeline, kwargs={"n": steps}, store=target, durability=max_).store.close()
        out[name] = {"write": (time.perf_counter() - began) / steps, "reload": reload(target)}
    bulk = work / "bulk" / "flowNodeStore.xml"
    bulk.parent.mkdir()
    began = time.perf_counter()
    storage = BulkXmlNodeStorage(bulk, durability=max_)
    for node in nodes:
        storage.store_node(node, delay=True)
    storage.flush()
    out["bulk"] = {"write": (time.perf_counter() - began) / steps, "reload": reload(str(bulk))}
    return out


@contextmanager
def postgres(enabled: bool) -> Iterator[str | None]:
    """The tests' throw-away PostgreSQL server (None when disabled or it cannot start)."""
    if not enabled:
        yield None
        return
    sys.path.insert(0, str(ROOT))
    import pytest

    from tests import pg_server

    gen = pg_server.postgres_server.__wrapped__()  # type: ignore[attr-defined]
    try:
        base = next(gen)
    except (pytest.skip.Exception, StopIteration):
        yield None
        return
    try:
        import psycopg

        with psycopg.connect(base.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
            conn.execute('CREATE DATABASE "bench"')
        yield base.rsplit("/", 1)[0] + "/bench"
    finally:
        try:
            next(gen)
        except StopIteration:
            pass


def child(root: Path, steps: int, pg: str | None, tag: str) -> dict[str, dict[str, float]]:
    code = "import json, sys; sys.path.insert(0, sys.argv[1]); from bench_storage import measure; print(json.dumps(measure(sys.argv[2], int(sys.argv[3]), sys.argv[4] or None, sys.argv[5])))"
    env = dict(os.environ, PYTHONPATH=str(root))
    result = subprocess.run(
        [sys.executable, "-c", code, str(ROOT / "bench"), str(root), str(steps), pg or "", tag],
        cwd=root, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"measuring {root} failed:\n{result.stderr}")
    figures: dict[str, dict[str, float]] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def main(argv: list[str]) -> int:
    steps = int(argv[argv.index("--steps") + 1]) if "--steps" in argv else 300
    rounds = int(argv[argv.index("--rounds") + 1]) if "--rounds" in argv else 3
    rev = argv[argv.index("--baseline") + 1] if "--baseline" in argv else BASELINE
    base_dir = Path(tempfile.mkdtemp(prefix="bench-baseline-")) / "tree"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(base_dir), rev], check=True)
    best: dict[str, dict[str, dict[str, float]]] = {"before": {}, "after": {}}
    try:
        with postgres("--no-postgres" not in argv) as pg:
            for r in range(rounds):
                for label, root in (("before", base_dir), ("after", ROOT)):
                    figures = child(root, steps, pg, f"{label}-{r}")
                    for backend, values in figures.items():
                        kept = best[label].setdefault(backend, {})
                        for key, value in values.items():
                            kept[key] = min(kept.get(key, float("inf")), value)
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base_dir)], check=False)
    print(f"storage: {steps} steps at MAX_SURVIVABILITY, best of {rounds} alternating rounds; before = {rev}")
    print(
        f"{'backend':<11} {'write/step before':>18} {'after':>10} {'ratio':>6}   {'reload before':>14} {'after':>10} {'ratio':>6}"
    )
    worst = 0.0
    for backend in ("memory", "xml", "bulk", "sqlite", "postgresql"):
        if backend not in best["after"]:
            continue
        b, a = best["before"][backend], best["after"][backend]
        wr = a["write"] / b["write"]
        line = f"{backend:<11} {b['write'] * 1e3:>15.3f} ms {a['write'] * 1e3:>7.3f} ms {wr:>6.2f}"
        worst = max(worst, wr)
        if b["reload"] < float("inf"):  # memory has nothing to reload from
            rr = a["reload"] / b["reload"]
            worst = max(worst, rr)
            line += f"   {b['reload'] * 1e3:>11.2f} ms {a['reload'] * 1e3:>7.2f} ms {rr:>6.2f}"
        print(line)
    print(f"worst ratio {worst:.2f} (target <= 1.05)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
