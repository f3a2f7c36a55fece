"""The drawn diff (render.diff) and ``flowgraph diff A B`` through the installed entry point."""

from __future__ import annotations

import html
import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from render.cli import main
from render.diff import CHANGE_STYLES, diff_view
from render.stage_graph import StagePaint, stage_graph_dot
from tests.conftest import FIXTURES
from tests.test_run_compare import _release, two_branch_run

DANISH = FIXTURES / "danish-completed-timeout/jobs/pipeline/builds"
FLOWGRAPH = str(Path(sys.executable).parent / "flowgraph")


def _good_and_bad() -> tuple[object, object]:
    good = _release(make_ms=1000, unit_error=None, ruff="ruff check .", publish=False, deploy=True)
    bad = _release(make_ms=4000, unit_error="3 failures", ruff="ruff check --fix .", publish=True, deploy=False)
    return good, bad


def test_stages_are_painted_by_their_most_important_change() -> None:
    good, bad = _good_and_bad()
    view = diff_view(good, bad)  # type: ignore[arg-type]
    by_name = {stage.name: view.paint()[stage.id] for stage in view.after.iter_stages()}
    assert by_name["Build"] == StagePaint(*CHANGE_STYLES["duration"], "1.2s \u2192 4.2s", "change-duration")
    assert by_name["Publish"] == StagePaint(*CHANGE_STYLES["added"], "added", "change-added")
    assert by_name["Test"] == StagePaint(*CHANGE_STYLES["status"], "SUCCESS \u2192 FAILURE", "change-status")
    assert by_name["unit"].css_class == "change-status"  # its own status, outranking its step's
    # lint itself did not change; one of its steps changed its arguments: border only, white fill.
    assert by_name["lint"] == StagePaint(CHANGE_STYLES["arguments"][0], "#ffffff", "1 step change", "change-arguments")
    assert view.removed_stages() == ["Deploy"]


def test_unchanged_stages_are_grey_and_the_graph_carries_the_paint() -> None:
    run = two_branch_run(5000, 2000)
    view = diff_view(run, run)
    assert {paint.css_class for paint in view.paint().values()} == {"change-none"}
    assert "no changes" in view.table_html()
    good, bad = _good_and_bad()
    source = diff_view(good, bad).dot().source  # type: ignore[arg-type]
    assert 'change-duration"' in source and 'fillcolor="#efe3fa"' in source
    assert 'change-arguments"' in source and "1 step change" in source
    # Without paint the stage graph keeps its status colours (no change classes).
    assert "change-" not in stage_graph_dot(bad).source  # type: ignore[arg-type]


def test_the_view_renders_to_svg_and_a_self_contained_page() -> None:
    good, bad = _good_and_bad()
    view = diff_view(good, bad, title="good \u2192 bad")  # type: ignore[arg-type]
    svg = view.svg()
    assert "<svg" in svg and 'type-parallel_branch change-status"' in html.unescape(svg)  # Graphviz escapes "-"
    page = view.to_html()
    assert page.startswith("<!DOCTYPE html>") and "<script src" not in page and "http" not in page.split("<svg")[0]
    assert page.count("<tr class=") == 10 and "Removed stages: Deploy" in page
    cell = view._repr_html_()
    assert "10 changes" in cell and "<svg" in cell


def test_cli_diff_json_through_the_entry_point() -> None:
    # Build 3: stage "Timeout" with retry(3) { sh } failing three times; build 4: stage "Deploy"
    # with sh 'echo hello' and sh 'sleep 5' (read off their flowNodeStore.xml).
    result = subprocess.run(
        [FLOWGRAPH, "diff", str(DANISH / "3"), str(DANISH / "4"), "--json", "--critical-path"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["counts"] == {"added": 3, "removed": 4, "status": 0, "duration": 0, "arguments": 0}
    assert [(c["path"], c["change"]) for c in payload["changes"]][:3] == [
        ("Deploy", "added"),
        ("Timeout", "removed"),
        ("Deploy / sh echo hello", "added"),
    ]
    assert [step["path"] for step in payload["critical_path"]] == ["Deploy / sh echo hello", "Deploy / sh sleep 5"]


def test_cli_diff_table_page_and_errors(tmp_path: Path) -> None:
    page = tmp_path / "diff.html"
    runner = CliRunner()
    result = runner.invoke(main, ["diff", str(DANISH / "3"), str(DANISH / "4"), "-o", str(page)])
    assert result.exit_code == 0, result.output
    assert "7 changes" in result.output and "removed" in result.output
    assert page.read_text(encoding="utf-8").count('<tr class="change-') == 7
    missing = runner.invoke(main, ["diff", str(DANISH / "3"), str(tmp_path / "nowhere")])
    assert missing.exit_code == 1 and "error:" in missing.output
    same = runner.invoke(main, ["diff", str(DANISH / "3"), str(DANISH / "3")])
    assert same.exit_code == 0 and "No changes" in same.output
    bad_ratio = runner.invoke(main, ["diff", str(DANISH / "3"), str(DANISH / "4"), "--ratio", "0.5"])
    assert bad_ratio.exit_code == 2


def test_diffs_and_flaky_lists_display_inline_in_jupyter() -> None:
    from types import SimpleNamespace

    import pandas as pd
    from IPython.core.formatters import DisplayFormatter

    from render.jupyter import register, unregister
    from render.trends import flaky_list
    from scanners import diff_runs

    shell = SimpleNamespace(display_formatter=DisplayFormatter())
    assert register(shell)
    good, bad = _good_and_bad()
    data, _ = shell.display_formatter.format(diff_runs(good, bad))  # type: ignore[arg-type]
    assert data["text/html"].count('<tr class="change-') == 10
    view_data, _ = shell.display_formatter.format(diff_view(good, bad))  # type: ignore[arg-type]
    assert "<svg" in view_data["text/html"] and "10 changes" in view_data["text/html"]
    flaky = flaky_list(pd.DataFrame({"path": ["Deploy"], "runs": [9], "flaky_runs": [2], "evidence": ["#3/#4"]}))
    assert "Deploy" in shell.display_formatter.format(flaky)[0]["text/html"]
    unregister(shell)
    assert "text/html" not in shell.display_formatter.format(diff_runs(good, bad))[0]  # type: ignore[arg-type]
