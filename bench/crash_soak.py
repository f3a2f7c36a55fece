# ruff: noqa: E501  (report lines are long on purpose)
"""Long kill -9 soak: the crash test of tests/test_crash.py, many more times, with counts.

Usage: ``python bench/crash_soak.py [kills per store and durability] [--no-postgres]``

For each store (SQLite, per-node XML, PostgreSQL when its binaries are installed) and each
durability, runs the crash pipeline in a subprocess, SIGKILLs it at a random moment, then
loads and resumes it (under MAX_SURVIVABILITY every other time with two processes at once, of
which exactly one may run), asserting the guarantees (see tests/crash_harness.py). Prints a table of
outcomes and the number of steps that ran twice (only ever the ones in flight at the kill).
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flowgraph.storage.base import Durability  # noqa: E402
from tests.crash_harness import kill_and_check  # noqa: E402


@contextmanager
def postgres() -> Iterator[str | None]:
    """Start the same throw-away server as the tests (None when it cannot start)."""
    import pytest

    from tests import pg_server

    gen = pg_server.postgres_server.__wrapped__()  # type: ignore[attr-defined]
    try:
        base = next(gen)
    except (pytest.skip.Exception, StopIteration) as exc:
        print(f"PostgreSQL skipped: {exc}")
        yield None
        return
    try:
        import psycopg

        with psycopg.connect(base.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
            conn.execute('CREATE DATABASE "soak"')
        yield base.rsplit("/", 1)[0] + "/soak"
    finally:
        try:
            next(gen)
        except StopIteration:
            pass


def main() -> None:
    kills = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 20
    use_pg = "--no-postgres" not in sys.argv
    rng = random.Random(2026)
    table: Counter[tuple[str, str, str]] = Counter()
    reruns: Counter[tuple[str, str]] = Counter()
    completed_before: Counter[tuple[str, str]] = Counter()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, postgres() if use_pg else _none() as pg_url:
        stores = ["sqlite", "xml"] + (["postgresql"] if pg_url else [])
        for kind in stores:
            for durability in Durability:
                window = 0.6
                for i in range(kills):
                    work = Path(tmp) / f"{kind}-{durability.name}-{i}"
                    target = {
                        "sqlite": f"sqlite:///{work}/runs.db#run",
                        "xml": str(work / "build"),
                        "postgresql": f"{pg_url}#{durability.name}-{i}",
                    }[kind]
                    # MAX: every other kill races two resumes (exactly one may run, checked each time)
                    concurrent = 2 if durability is Durability.MAX_SURVIVABILITY and i % 2 else 1
                    outcome = kill_and_check(target, durability, work, rng=rng, window_s=window, concurrent=concurrent)
                    if outcome.run_s is not None:
                        window = max(0.05, outcome.run_s)
                    table[(kind, durability.name, outcome.outcome)] += 1
                    reruns[(kind, durability.name)] += len(outcome.reruns)
                    if outcome.outcome == "resumed":
                        completed_before[(kind, durability.name)] += outcome.completed_before
    print(f"{'store':<11}{'durability':<23}{'outcome':<15}{'runs':>5}")
    for (kind, dur, what), count in sorted(table.items()):
        print(f"{kind:<11}{dur:<23}{what:<15}{count:>5}")
    print()
    for (kind, dur), count in sorted(reruns.items()):
        if dur != "MAX_SURVIVABILITY":
            continue
        print(f"{kind:<11}{dur:<23}steps run twice (in flight at the kill): {count}; "
              f"resumed runs' completions recorded before the kill (none re-ran): {completed_before[(kind, dur)]}")  # fmt: skip
    unreadable = sum(c for (k, d, w), c in table.items() if w == "unreadable")
    unreadable_max = sum(c for (k, d, w), c in table.items() if w == "unreadable" and d == "MAX_SURVIVABILITY")
    print(f"\n{sum(table.values())} kills; unreadable after the kill: {unreadable} ({unreadable_max} under "
          f"MAX_SURVIVABILITY), every one refused on resume; all assertions held; {time.perf_counter() - started:.0f} s")  # fmt: skip


@contextmanager
def _none() -> Iterator[None]:
    yield None


if __name__ == "__main__":
    main()
