"""``flowgraph log`` through the installed entry point, on the real fixtures (issue 13).

Expected texts are read off the fixtures by hand: the 482-node run's ``log-index`` gives node 3
the bytes 666..680 (``Hello, world!``); its node 432 is a ``sh`` step whose ErrorAction is an
IOException and which has no range in ``log-index``; node 230 (the end of ``retry`` 221) is the
first node carrying an ErrorAction.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from render_support import FIXTURES

ROOT = Path(__file__).resolve().parents[1]
BIG = FIXTURES / "completed-parallel-errors-corrupt" / "jobs" / "test0" / "builds" / "1"
LEGACY = FIXTURES / "legacy-declarative-parallel-completed" / "jobs" / "ptest1" / "builds" / "1"
RETRIED = FIXTURES / "danish-completed-timeout" / "jobs" / "pipeline" / "builds" / "3"


def flowgraph(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the ``flowgraph`` console script installed next to this Python (else ``python -m render``)."""
    script = Path(sys.executable).with_name("flowgraph")
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "render"]
    environment = dict(os.environ, COLUMNS="160")
    environment["PYTHONPATH"] = str(ROOT) + os.pathsep + environment.get("PYTHONPATH", "")
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=120, check=False, env=environment)


def test_log_of_the_whole_run_streams_it_without_console_notes() -> None:
    done = flowgraph("log", str(BIG))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Started\nRunning in Durability level: MAX_SURVIVABILITY\n")
    assert done.stdout.rstrip().endswith("Finished: SUCCESS")
    assert "\x1b[8m" not in done.stdout and "ha:////" not in done.stdout


def test_log_of_one_step_prints_its_text() -> None:
    done = flowgraph("log", str(BIG), "--node", "3")
    assert (done.returncode, done.stdout) == (0, "Hello, world!\n"), done.stderr


def test_log_of_a_failed_step_of_the_482_node_run_prints_its_error_text() -> None:
    done = flowgraph("log", str(BIG), "--node", "432")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert "recorded no console output" in done.stderr
    assert "java.io.IOException: cannot start writing logs to a finished node StepAtomNode[id=432" in done.stderr


def test_log_failed_lists_every_failing_step_first_failure_first() -> None:
    done = flowgraph("log", str(BIG), "--failed")
    assert done.returncode == 0, done.stderr
    headers = [line for line in done.stdout.splitlines() if line.startswith("=== ")]
    assert headers[0].startswith("=== retry (node 230)") and "FlowInterruptedException" in headers[0]
    assert any("(node 432)" in h and "IOException: cannot start writing logs" in h for h in headers)
    assert "None" not in done.stdout


def test_log_failed_with_tail_shows_the_last_lines_of_the_retried_step() -> None:
    # builds/3: the third attempt (node 15) is the failure; its log is two lines.
    done = flowgraph("log", str(RETRIED), "--failed", "--tail", "1")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("=== sh I am not going to work :c (node 15) in Timeout: AbortException")
    assert lines[1] == "[\u2026 1 earlier line(s) not shown]"
    assert lines[2].endswith("script.sh.copy: 1: I: not found")
    assert len(lines) == 3


def test_log_of_a_stage_in_a_legacy_per_node_run() -> None:
    done = flowgraph("log", str(LEGACY), "--stage", "parent/branch-two")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "=== echo In branch-two (node 22) in parent/branch-two ===\nIn branch-two\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--node", "999"], "node 999 not found"),
        (["--stage", "nope"], "no stage 'nope' in this run"),
        (["--stage", "redacted"], "is ambiguous"),
    ],
)
def test_log_errors_name_the_problem(args: list[str], message: str) -> None:
    done = flowgraph("log", str(BIG), *args)
    assert done.returncode == 1
    assert message in done.stderr


def test_log_options_exclude_each_other_and_runs_without_logs_say_so(tmp_path: Path) -> None:
    done = flowgraph("log", str(BIG), "--node", "3", "--failed")
    assert done.returncode == 2 and "give one of" in done.stderr
    from flowgraph import GraphBuilder
    from render.networkx_io import save_run_json

    builder = GraphBuilder()
    builder.step("echo", message="hi")
    save_run_json(builder.build(), tmp_path / "run.json")
    done = flowgraph("log", str(tmp_path / "run.json"))
    assert done.returncode == 1 and "no console output to show" in done.stderr
