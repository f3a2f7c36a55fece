"""A Run describes itself in a notebook after ``import flowgraph`` alone (no drawing package needed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from render_support import FIXTURES

from flowgraph import GraphBuilder, Result
from flowgraph.run_summary import format_duration, summary_rows

ROOT = Path(__file__).resolve().parents[1]


def test_summary_of_a_built_run() -> None:
    b = GraphBuilder(start_ms=1_700_000_000_000, step_ms=1000)
    with b.stage("Build"):
        b.step("sh", script="make")
    run = b.build(result=Result.UNSTABLE)
    run.name, run.number = "app", 7
    rows = dict(summary_rows(run))
    assert rows["Run"] == "app #7" and rows["Result"] == "UNSTABLE"
    assert rows["Started"] == "2023-11-14 22:13:20 UTC"  # 1_700_000_000 s after the epoch
    assert rows["Flow nodes"] == str(len(run.graph)) and rows["Head node ids"] == ", ".join(run.graph.head_ids)
    html = run._repr_html_()
    assert "app #7" in html and "UNSTABLE" in html and "None" not in html
    markdown = run._repr_markdown_()
    assert markdown.startswith("| | |") and "| **Result** | UNSTABLE |" in markdown


def test_durations_read_like_jenkins() -> None:
    assert [format_duration(ms) for ms in (80, 5200, 65_000, 3_661_000, 90_061_000)] == [
        "80ms",
        "5.2s",
        "1m 5s",
        "1h 1m",
        "1d 1h",
    ]


def test_a_loaded_run_summarises_without_importing_render() -> None:
    build = FIXTURES / "inprogress-input-pause" / "jobs" / "p" / "builds" / "1"
    code = (
        "import sys, flowgraph\n"
        f"run = flowgraph.load({str(build)!r})\n"
        "html = run._repr_html_()\n"
        "assert 'render' not in sys.modules and 'matplotlib' not in sys.modules, sorted(sys.modules)\n"
        "print(html)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    # build.xml: no <result> (the run waits on `input 'hangs forever'`), so it is still running.
    assert "still running" in done.stdout and "p #1" in done.stdout and "None" not in done.stdout
