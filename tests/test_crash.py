"""Kill -9 at random moments, in every durability mode and store, then load and resume (30 kills).

Under ``MAX_SURVIVABILITY`` each kill comes after a random number of commits (so mid-run), and
two processes then resume at once: exactly one may run, in every round, and the run must finish
with every step completed before the kill run exactly once. See tests/crash_harness.py for
what is checked after each kill. A longer run of the same test is
``bench/crash_soak.py``.
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest

from flowgraph.storage.base import Durability
from tests.crash_harness import kill_and_check

# kills per (store, durability): most of them where resumption is promised
PLAN = {
    Durability.MAX_SURVIVABILITY: 6,
    Durability.SURVIVABLE_NONATOMIC: 2,
    Durability.PERFORMANCE_OPTIMIZED: 2,
}


@pytest.mark.parametrize("kind", ["sqlite", "xml", "postgresql"])
def test_kill_minus_nine_then_resume(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    rng = random.Random(f"crash-{kind}")
    outcomes: Counter[str] = Counter()
    for durability, kills in PLAN.items():
        window = 0.6
        for i in range(kills):
            work = tmp_path / f"{durability.name}-{i}"
            if kind == "sqlite":
                target = f"sqlite:///{work}/runs.db#run"
            elif kind == "xml":
                target = str(work / "build")
            else:
                target = f"{request.getfixturevalue('postgres_url')}#run-{durability.name}-{i}"
            if durability is Durability.MAX_SURVIVABILITY:  # mid-run for sure; two resumes race
                commits = rng.randint(3, 12)
                outcome = kill_and_check(target, durability, work, rng=rng, after_commits=commits, concurrent=2)
            else:
                outcome = kill_and_check(target, durability, work, rng=rng, window_s=window)
            if outcome.run_s is not None:  # it finished first: aim the next kill inside the run
                window = max(0.05, outcome.run_s)
            if durability is Durability.MAX_SURVIVABILITY:  # killed mid-run: it must have resumed
                assert outcome.outcome == "resumed", (outcome.outcome, outcome.detail)
            else:  # a non-atomic write cut by the kill may leave a file unreadable: refused all the same
                assert outcome.outcome in {"refused-stale", "refused-done", "no-record", "unreadable"}
            outcomes[f"{durability.name}:{outcome.outcome}"] += 1
    assert outcomes[f"{Durability.MAX_SURVIVABILITY.name}:resumed"] == PLAN[Durability.MAX_SURVIVABILITY]
