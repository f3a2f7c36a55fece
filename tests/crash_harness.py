"""Kill -9 harness: record a pipeline in a subprocess, SIGKILL it at a random moment, check, resume.

Used by ``tests/test_crash.py`` (a bounded number of kills) and ``bench/crash_soak.py`` (many).
The worker appends, after every commit, the ids of the nodes that commit made durable to a
journal file (plain appends survive SIGKILL: the kernel has them). Each step appends its name to
a side-effect file *before* returning, so the side-effect file counts how often each step ran.

After the kill the checker asserts, for every durability mode and store:

* nothing the journal says was flushed is missing from the store;
* ``MAX_SURVIVABILITY``: the run resumes (unless it finished or never saved its first record),
  completes, and every step whose completion was recorded before the kill ran exactly once in
  total; the others ran once or twice (twice only if in flight at the kill);
* lower modes: the run is refused (``persisted_clean`` False) unless it had finished — never
  resumed from a possibly stale state.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flowgraph.errors import FlowGraphError, NotResumableError, RunLeaseError, RunNotFoundError
from flowgraph.recorder import Parallel, Pipeline, Stage, Step, open_store, record, resume
from flowgraph.stepdetail import StepRecordAction, StepState
from flowgraph.storage.base import Durability

__all__ = ["crash_pipeline", "KillOutcome", "kill_and_check", "resume_concurrently", "ROOT"]

ROOT = Path(__file__).resolve().parents[1]


def slow_append(side_log: str, name: str, pause_ms: float = 2.0) -> str:
    """A step with a side effect (one line in ``side_log``) and a little work."""
    with open(side_log, "a", encoding="utf-8") as handle:
        handle.write(name + "\n")
    time.sleep(pause_ms / 1000)
    return name


def crash_pipeline(side_log: str, n: int = 24, pause_ms: float = 2.0) -> Pipeline:
    """A stage, a two-branch parallel and a stage: ``n`` steps in all."""

    def st(name: str) -> Step:
        return Step(name, slow_append, args={"side_log": side_log, "name": name, "pause_ms": pause_ms})

    q = max(1, n // 4)
    return Pipeline(
        [
            Stage("prep", [st(f"p{i}") for i in range(q)]),
            Parallel({"left": [st(f"l{i}") for i in range(q)], "right": [st(f"r{i}") for i in range(q)]}, name="work"),
            Stage("post", [st(f"z{i}") for i in range(n - 3 * q)]),
        ],
        name="crash",
    )


def _worker(store: str, durability: str, side_log: str, journal: str, n: int, pause_ms: float) -> None:
    fd = os.open(journal, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def on_commit(ids: list[str]) -> None:
        os.write(fd, (" ".join(ids) + "\n").encode())

    sys.stdout.write("started\n")
    sys.stdout.flush()
    began = time.perf_counter()
    record(crash_pipeline, kwargs={"side_log": side_log, "n": n, "pause_ms": pause_ms}, store=store,
           durability=Durability[durability], on_commit=on_commit)  # fmt: skip
    sys.stdout.write(f"finished {time.perf_counter() - began:.4f}\n")
    sys.stdout.flush()


def _resume_worker(store: str, go: str) -> None:
    """Wait for the ``go`` file, then resume; print what happened (one word, then details)."""
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while not os.path.exists(go):
        time.sleep(0.0005)
    try:
        done = resume(store)
    except RunLeaseError as exc:
        sys.stdout.write(f"lease {exc.owner}\n")
    except NotResumableError as exc:
        sys.stdout.write(f"refused {exc.reason}\n")
    else:
        done.store.close()
        sys.stdout.write(f"resumed {' '.join(done.executed)}\n")
    sys.stdout.flush()


def resume_concurrently(store: str, workdir: Path, count: int = 2) -> list[str]:
    """Start ``count`` processes that resume ``store`` at the same instant; their one-line reports."""
    go = workdir / f"go-{time.monotonic_ns()}"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    code = "import sys; from tests.crash_harness import _resume_worker; _resume_worker(sys.argv[1], sys.argv[2])"
    procs = [
        subprocess.Popen([sys.executable, "-c", code, store, str(go)], cwd=ROOT, env=env, stdout=subprocess.PIPE)
        for _ in range(count)
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
    go.touch()
    reports = []
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, f"a concurrent resume of {store} crashed (exit {proc.returncode})"
        reports.append(out.decode().strip())
    return reports


def _wait_for_commits(journal: Path, proc: subprocess.Popen[bytes], commits: int) -> None:
    """Block until the worker has journalled ``commits`` commits (or exited)."""
    while proc.poll() is None:
        if journal.exists() and journal.read_bytes().count(b"\n") >= commits:
            return
        time.sleep(0.0002)


@dataclass
class KillOutcome:
    """What one kill led to."""

    store: str
    durability: Durability
    outcome: str  # no-record | resumed | refused-done | refused-stale | unreadable
    completed_before: int = 0
    reruns: list[str] = field(default_factory=list)
    detail: str = ""
    run_s: float | None = None  # how long the worker took, when it finished before the kill


def _recorded(store_target: str, durability: Durability) -> tuple[Any, set[str], set[str]]:
    store = open_store(store_target, durability=durability)
    try:
        ex = store.load_execution()
        ids = set(store.storage.node_ids())
        done: set[str] = set()
        latest: dict[str, StepRecordAction] = {}
        for node in store.storage.iter_nodes():
            rec = node.get_action(StepRecordAction)
            if rec is not None:
                latest[rec.name] = rec
        done = {name for name, rec in latest.items() if rec.state is StepState.SUCCESS}
        return ex, ids, done
    finally:
        store.close()


def kill_and_check(
    store_target: str,
    durability: Durability,
    workdir: Path,
    *,
    rng: random.Random,
    n: int = 24,
    pause_ms: float = 2.0,
    window_s: float = 0.5,
    after_commits: int | None = None,
    concurrent: int = 1,
) -> KillOutcome:
    """Run the worker, kill it after a random delay in ``[0, window_s]``, check and resume.

    With ``after_commits`` the kill comes right after that many commits instead (mid-run for
    sure, wherever the machine is slow). With ``concurrent`` > 1 that many processes resume at
    once, and exactly one of them must run the rest of the pipeline.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    side = workdir / "side.log"
    journal = workdir / "journal"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    code = (
        "import sys; from tests.crash_harness import _worker; "
        "_worker(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), float(sys.argv[6]))"
    )
    args = [str(store_target), durability.name, str(side), str(journal), str(n), str(pause_ms)]
    proc = subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != b"started":
        proc.kill()
        proc.wait()
        raise RuntimeError("crash worker did not start")
    if after_commits is not None:
        _wait_for_commits(journal, proc, after_commits)
    else:
        time.sleep(rng.uniform(0, window_s))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    tail = proc.stdout.read().split()
    proc.stdout.close()
    result = KillOutcome(str(store_target), durability, "")
    if len(tail) >= 2 and tail[0] == b"finished":
        result.run_s = float(tail[1])
    try:
        ex, ids, done_before = _recorded(str(store_target), durability)
    except RunNotFoundError:
        result.outcome = "no-record"  # killed before it stored anything: nothing to check
        return result
    except FlowGraphError as exc:
        # Only the non-atomic modes may leave a half-written file (Jenkins' SURVIVABLE_NONATOMIC
        # writes in place); such a run must then be refused, never resumed.
        result.outcome, result.detail = "unreadable", str(exc)
        try:
            resume(str(store_target))
        except NotResumableError:
            return result
        raise AssertionError(f"{store_target}: an unreadable run was resumed") from exc
    flushed = set(journal.read_text().split()) if journal.exists() else set()
    missing = flushed - ids
    assert not missing, f"{store_target}: flushed nodes lost after kill -9: {sorted(missing)}"
    result.completed_before = len(done_before)
    if ex is None:
        result.outcome = "no-record"
        # Killed before its first record: recording again into the same place must work.
        again = record(crash_pipeline, kwargs={"side_log": str(workdir / "again.log"), "n": n, "pause_ms": 0},
                       store=str(store_target), durability=durability)  # fmt: skip
        assert again.result.name == "SUCCESS", f"{store_target}: re-recording after an early kill failed"
        again.store.close()
        return result
    decision = ex.can_resume()
    if durability is not Durability.MAX_SURVIVABILITY and not ex.done:
        assert not decision, f"{store_target}: a {durability.name} run killed mid-way was judged resumable"
    if concurrent > 1 and durability is Durability.MAX_SURVIVABILITY and not ex.done:
        reports = resume_concurrently(str(store_target), workdir, concurrent)
        winners = [r for r in reports if r.startswith("resumed")]
        losers = [r for r in reports if not r.startswith("resumed")]
        assert len(winners) == 1, f"{store_target}: {len(winners)} of {concurrent} concurrent resumes ran: {reports}"
        assert all(r.startswith(("lease ", "refused ")) for r in losers), reports
        assert all(r.startswith("lease ") or "done" in r or "flow end" in r for r in losers), reports
        return _check_resumed(result, store_target, durability, side, n, done_before, ids, None)
    try:
        resumed = resume(str(store_target))
    except NotResumableError as exc:
        if ex.done or "flow end" in exc.reason or "done" in exc.reason:
            result.outcome = "refused-done"
        else:
            assert durability is not Durability.MAX_SURVIVABILITY, f"{store_target}: MAX run refused: {exc}"
            result.outcome = "refused-stale"
        result.detail = exc.reason
        return result
    assert durability is Durability.MAX_SURVIVABILITY, f"{store_target}: {durability.name} run was resumed"
    return _check_resumed(result, store_target, durability, side, n, done_before, ids, resumed)


def _check_resumed(
    result: KillOutcome,
    store_target: str,
    durability: Durability,
    side: Path,
    n: int,
    done_before: set[str],
    ids: set[str],
    resumed: Any,
) -> KillOutcome:
    """Every step ran, the ones completed before the kill exactly once, no node lost."""
    if resumed is not None:
        assert resumed.result is not None and resumed.result.name == "SUCCESS"
        resumed.store.close()
    ex_after, _, _ = _recorded(str(store_target), durability)
    assert ex_after is not None and ex_after.done, f"{store_target}: the resumed run did not finish"
    counts = Counter(side.read_text().split())
    expected = {s.name for s in crash_pipeline(str(side), n).steps()}
    assert set(counts) == expected, f"steps never ran: {sorted(expected - set(counts))}"
    for name in done_before:
        assert counts[name] == 1, f"{store_target}: step {name} completed before the kill but ran {counts[name]} times"
    reruns = sorted(name for name, c in counts.items() if c > 1)
    assert all(counts[name] <= 2 for name in reruns)
    _, ids_after, _ = _recorded(str(store_target), durability)
    assert ids <= ids_after, f"{store_target}: resume lost nodes {sorted(ids - ids_after)}"
    result.outcome = "resumed"
    result.reruns = reruns
    return result
