"""The command line over many runs and for programs: list, per-job stage views, damaged runs, JSON/CSV.

Expectations are read off the fixtures' build.xml and node files by hand (see the fixtures' README).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import lxml.html
import pytest
from click.testing import CliRunner
from render_support import FIXTURES

from flowgraph import GraphBuilder
from flowgraph.jenkins.runs import save_run
from render.cli import EXIT_INPUT, main
from render.example import example_run
from render.stage_view import RunFailure, StageGrid, stage_view_html

ROOT = Path(__file__).resolve().parents[1]
CYCLE = FIXTURES / "inprogress-corrupt-cycle-edited"
PARALLEL = FIXTURES / "legacy-declarative-parallel-completed"
BIG = FIXTURES / "completed-parallel-errors-corrupt" / "jobs" / "test0" / "builds" / "1"

pytestmark = pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"fixtures not found at {FIXTURES}")


class _Done:
    """What a command did, in the shape of subprocess.CompletedProcess."""

    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def _invoke(*args: str) -> _Done:
    """The command in this process (click's runner: output is not a terminal, COLUMNS unset)."""
    result = CliRunner(env={"COLUMNS": None}).invoke(main, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return _Done(result.exit_code, result.stdout, result.stderr)


def _flowgraph(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The command as a user runs it: its own process, output piped (not a terminal), no COLUMNS."""
    environment = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    environment["PYTHONPATH"] = str(ROOT) + os.pathsep + environment.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-m", "render", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding two JENKINS_HOMEs: the hand-edited cycle (test0 #1) and ptest1 #1."""
    root = tmp_path_factory.mktemp("homes")
    (root / "cycle").symlink_to(CYCLE, target_is_directory=True)
    (root / "declarative").symlink_to(PARALLEL, target_is_directory=True)
    return root


def test_stage_view_names_the_damaged_run_and_goes_on(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "view.html"
    done = _flowgraph("render", str(home), "--view", "stage-view", "-o", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "damaged: test0#1 (" in done.stderr and "GraphCycleError" in done.stderr and "cycle" in done.stderr
    page = lxml.html.fromstring(out.read_text(encoding="utf-8"))
    sections = page.find_class("fg-job")
    headings = [s.text_content() for s in page.iter("h2")]
    assert len(headings) == 2 and headings[0].startswith("ptest1") and headings[1].startswith("test0")
    assert len([s for s in sections if s.tag == "section"]) == 2  # one grid per job, never mixed
    damaged = page.find_class("fg-damaged")
    assert len(damaged) == 1 and "nodes 7 -> 8 -> 7" in damaged[0].text_content()
    assert "test0 #1" in damaged[0].getparent().text_content()
    # ptest1's grid has its own stages (read from the node files): first-solo, parent, branches, second-solo
    ptest = sections[0].text_content()
    for stage in ("first-solo", "parent", "branch-one", "branch-two", "second-solo"):
        assert stage in ptest


def test_stage_view_strict_fails_on_a_damaged_run(home: Path, tmp_path: Path) -> None:
    out = str(tmp_path / "v.svg")
    done = _flowgraph("render", str(home), "--view", "stage-view", "-o", out, "--strict", cwd=tmp_path)
    assert done.returncode == EXIT_INPUT
    assert "error" in done.stderr and "cycle" in done.stderr and "Traceback" not in done.stderr
    assert "cannot be read" in (tmp_path / "v.svg").read_text(encoding="utf-8")  # still written, naming it


def test_stage_view_last_n_and_title(tmp_path: Path) -> None:
    home = tmp_path / "home"
    for number in (1, 2, 3):
        save_run(example_run(), home / "jobs" / "app" / "builds" / str(number))
    result = CliRunner().invoke(
        main, ["render", str(home), "--view", "stage-view", "--format", "html", "--last", "2", "--title", "Nightly"]
    )
    assert result.exit_code == 0, result.output
    page = lxml.html.fromstring(result.output)
    assert page.findtext(".//title") == "Nightly"
    rows = [th.text for th in page.iter("th") if "fg-run" in (th.get("class") or "")]
    assert rows == ["app #3", "app #2"]


def test_same_named_stages_at_different_places_stay_apart() -> None:
    b = GraphBuilder(start_ms=0, step_ms=1000)
    with b.stage("Build"):
        b.step("sh", script="make")
    with b.stage("Deploy"), b.stage("Build"):
        b.step("sh", script="docker build")
    with b.stage("Build"):
        b.step("sh", script="make again")
    grid = StageGrid([b.build()])
    assert [c.path for c in grid.columns] == [("Build",), ("Deploy",), ("Deploy", "Build"), ("Build (2)",)]
    assert all(cell.state == "success" for cell in grid.rows[0].cells)


def test_a_failure_row_in_html_names_its_error() -> None:
    page = stage_view_html([RunFailure("app #9", "build.xml: not XML")], title="t")
    assert "app #9" in page and "cannot be read: build.xml: not XML" in page


def test_list_json_and_csv(home: Path, tmp_path: Path) -> None:
    done = _invoke("list", str(home), "--json")
    assert done.returncode == 0, done.stderr
    runs = json.loads(done.stdout)
    by_job = {(r["job"], r["number"]): r for r in runs}
    assert set(by_job) == {("ptest1", 1), ("test0", 1)}
    ptest = by_job["ptest1", 1]
    # build.xml of ptest1 #1: <result>SUCCESS</result>, <startTime>1511976261174</startTime>, <duration>2654</duration>
    assert ptest["result"] == "SUCCESS" and ptest["duration_ms"] == 2654
    assert ptest["start"] == "2017-11-29T17:24:21Z" and ptest["start_ms"] == 1511976261174
    cycle = by_job["test0", 1]
    assert cycle["result"] is None and cycle["running"] is True and cycle["duration_ms"] is None
    done = _invoke("list", str(home), "--csv")
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [(r["job"], r["number"], r["result"]) for r in rows] == [("ptest1", "1", "SUCCESS"), ("test0", "1", "")]


def test_list_table_and_sql_store(home: Path, tmp_path: Path) -> None:
    done = _invoke("list", str(home))
    assert done.returncode == 0 and "ptest1" in done.stdout and "SUCCESS" in done.stdout and "running" in done.stdout
    database = tmp_path / "runs.db"
    imported = CliRunner().invoke(main, ["import", str(PARALLEL), f"sqlite:///{database}"])
    assert imported.exit_code == 0, imported.output
    listed = CliRunner().invoke(main, ["list", str(database), "--json"])
    assert listed.exit_code == 0, listed.output
    [run] = json.loads(listed.output)
    assert (run["job"], run["number"], run["result"], run["duration_ms"]) == ("ptest1", 1, "SUCCESS", 2654)


def test_stages_and_info_as_json_and_csv_on_the_big_run(tmp_path: Path) -> None:
    done = _invoke("stages", str(BIG), "--json", "--steps")
    assert done.returncode == 0, done.stderr
    records = json.loads(done.stdout)
    stages = [r for r in records if r["kind"] != "step"]
    assert {r["kind"] for r in stages} == {"stage", "branch", "parallel"}  # the run has all three
    assert any(r["name"] == "redacted" and r["kind"] == "branch" for r in stages)  # ParallelLabelAction branchName
    seen: list[str] = []
    for record in stages:  # in display order: a nested stage's path extends an earlier one's
        if record["depth"]:
            assert record["path"].rsplit(" / ", 1)[0] in seen
        seen.append(record["path"])
    assert len({r["node"] for r in records}) == len(records)
    assert all(isinstance(r["duration_ms"], int | None) for r in records)
    assert "None" not in done.stdout
    info = json.loads(_invoke("info", str(BIG), "--json").stdout)
    assert info["flow_nodes"] == 482 and info["result"] == "SUCCESS" and info["job"] == "test0"
    assert info["failing_steps"] and all(f["error"] for f in info["failing_steps"])
    csv_text = _invoke("info", str(BIG), "--csv").stdout
    [row] = list(csv.DictReader(io.StringIO(csv_text)))
    assert row["flow_nodes"] == "482"


def test_on_corrupt_placeholder_loads_a_run_missing_a_node(tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(FIXTURES / "legacy-declarative-stages-completed", home)
    build = home / "jobs" / "trackerPropertyUpgrade" / "builds" / "1"
    (build / "workflow" / "5.xml").unlink()
    strict = _invoke("info", str(build))
    assert strict.returncode == EXIT_INPUT and "node 5" in strict.stderr
    for command in ("info", "stages"):
        patched = _invoke(command, str(build), "--on-corrupt", "placeholder")
        assert patched.returncode == 0, patched.stderr
        assert "warning" in patched.stderr and "node 5 is missing" in patched.stderr
    drawn = _invoke("render", str(build), "--on-corrupt", "placeholder", "--format", "dot")
    assert drawn.returncode == 0 and "digraph" in drawn.stdout


def test_piped_tables_are_not_cut(tmp_path: Path) -> None:
    b = GraphBuilder(start_ms=0, step_ms=1000)
    long_name = "Integration tests against the staging database cluster in eu-west-1 " * 2
    with b.stage(long_name.strip()):
        b.step("sh", script="make")
    from render.networkx_io import save_run_json

    save_run_json(b.build(), tmp_path / "run.json")
    done = _flowgraph("stages", str(tmp_path / "run.json"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert long_name.strip() in done.stdout  # on one line, not cut to 80 columns or wrapped
