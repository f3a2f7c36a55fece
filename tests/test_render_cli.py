"""The ``flowgraph`` command through its entry points: click's runner and ``python -m render``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree
from render_support import FIXTURES

from render.cli import EXIT_INPUT, EXIT_MISSING, main
from render.networkx_io import load_run_json

ROOT = Path(__file__).resolve().parents[1]
BUILD = ("jenkins", "jobs", "example", "jobs", "pipeline", "builds", "1")


def _python_m(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ)
    environment["PYTHONPATH"] = str(ROOT) + os.pathsep + environment.get("PYTHONPATH", "")
    environment["COLUMNS"] = "160"
    environment.update(env or {})
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
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``python -m render demo`` on a machine without system Graphviz (PATH has no dot)."""
    out = tmp_path_factory.mktemp("demo")
    done = _python_m("demo", "--out", str(out / "site"), cwd=out, env={"FLOWGRAPH_GRAPHVIZ": "wasm"})
    assert done.returncode == 0, done.stderr
    assert "Stages" in done.stdout and "integration" in done.stdout and "Unstable" in done.stdout
    return out / "site"


def test_demo_writes_the_run_and_the_pictures(demo_dir: Path) -> None:
    build = demo_dir.joinpath(*BUILD)
    assert (build / "build.xml").is_file() and any((build / "workflow").glob("*.xml"))
    for name in ("stages.svg", "graph.svg"):
        root = etree.parse(str(demo_dir / name)).getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert (demo_dir / "timeline.png").read_bytes().startswith(b"\x89PNG")
    assert "fg-stage-view" in (demo_dir / "stage-view.html").read_text()
    assert "integration" in (demo_dir / "run.html").read_text()
    assert load_run_json(demo_dir / "run.json").result is not None


def test_demo_default_output_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "flowgraph-demo" / "run.html").is_file()


def test_info_and_stages_read_the_saved_jenkins_build(demo_dir: Path) -> None:
    build = str(demo_dir.joinpath(*BUILD))
    runner = CliRunner()
    info = runner.invoke(main, ["info", build])
    assert info.exit_code == 0, info.output
    assert "example/pipeline #1" in info.output and "UNSTABLE" in info.output
    assert "53" in info.output  # flow nodes
    stages = runner.invoke(main, ["stages", build, "--steps"], terminal_width=160)
    assert stages.exit_code == 0, stages.output
    for name in ("Checkout", "Build", "Test", "unit", "integration", "lint", "Package", "Deploy"):
        assert name in stages.output
    assert "Skipped" in stages.output and "ruff check" in stages.output
    top = runner.invoke(main, ["stages", build, "--depth", "0"])
    assert "integration" not in top.output and "Test" in top.output


@pytest.mark.parametrize(
    ("view", "fmt", "check"),
    [
        ("graph", "svg", lambda b: b"<svg" in b and b'id="n2"' in b),
        ("graph", "dot", lambda b: b.startswith(b"digraph") and b"subgraph cluster_" in b),
        ("graph", "html", lambda b: b.startswith(b"<!DOCTYPE html>")),
        ("stages", "svg", lambda b: b"fg&#45;stage" in b),
        ("stages", "dot", lambda b: b"rankdir=LR" in b),
        ("stage-view", "svg", lambda b: b"fg-stage-view" in b),
        ("timeline", "svg", lambda b: b"<svg" in b),
        ("timeline", "png", lambda b: b.startswith(b"\x89PNG")),
    ],
)
def test_render_views_and_formats(demo_dir: Path, tmp_path: Path, view: str, fmt: str, check: object) -> None:
    out = tmp_path / f"out.{fmt}"
    source = str(demo_dir / "jenkins") if view == "stage-view" else str(demo_dir / "run.json")
    result = CliRunner().invoke(main, ["render", source, "--view", view, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert check(out.read_bytes())  # type: ignore[operator]


def test_render_png_needs_an_engine_that_writes_png(demo_dir: Path, tmp_path: Path) -> None:
    result = _python_m(
        "render",
        str(demo_dir / "run.json"),
        "-o",
        str(tmp_path / "g.png"),
        cwd=tmp_path,
        env={"FLOWGRAPH_GRAPHVIZ": "wasm"},
    )
    assert result.returncode == EXIT_MISSING
    assert "graphviz-pure" in result.stderr and "Traceback" not in result.stderr


def test_render_options_reach_the_drawing(demo_dir: Path) -> None:
    runner = CliRunner()
    full = runner.invoke(main, ["render", str(demo_dir / "run.json"), "--format", "dot", "--show-bodies"])
    default = runner.invoke(main, ["render", str(demo_dir / "run.json"), "--format", "dot"])
    collapsed = runner.invoke(main, ["render", str(demo_dir / "run.json"), "--format", "dot", "--collapse-depth", "0"])
    assert full.exit_code == default.exit_code == collapsed.exit_code == 0
    assert full.output.count("subgraph cluster_") > 10 and collapsed.output.count("subgraph cluster_") == 0
    # By default a stage is one cluster, not a stage cluster around its body cluster (as the demo draws).
    assert 0 < default.output.count("subgraph cluster_") < full.output.count("subgraph cluster_")
    assert "fg-collapsed" in collapsed.output


def test_import_into_sql_and_xml_then_read_back(demo_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    database = tmp_path / "runs.db"
    result = runner.invoke(main, ["import", str(demo_dir / "jenkins"), f"sqlite:///{database}"])
    assert result.exit_code == 0, result.output
    assert "Imported 1 run(s), 53 flow nodes" in result.output
    info = runner.invoke(main, ["info", str(database)])
    assert info.exit_code == 0, info.output
    assert "example/pipeline #1" in info.output and "UNSTABLE" in info.output
    copy = tmp_path / "home"
    result = runner.invoke(main, ["import", str(demo_dir / "jenkins"), str(copy)])
    assert result.exit_code == 0, result.output
    stages = runner.invoke(main, ["stages", str(copy.joinpath(*BUILD[1:]))])
    assert stages.exit_code == 0 and "integration" in stages.output


def test_import_of_the_fixtures_reports_the_damaged_run(tmp_path: Path) -> None:
    if not FIXTURES.is_dir():
        pytest.skip(f"fixtures not found at {FIXTURES}")
    result = _python_m("import", str(FIXTURES), str(tmp_path / "fixtures.db"), cwd=tmp_path)
    # the hand-edited cycle fixture fails alone; every other fixture run is imported, and that is a success
    readable = len(list(FIXTURES.glob("*/jobs/*/builds/*/build.xml"))) - 1
    assert result.returncode == 0, result.stderr
    assert f"Imported {readable} run(s)" in result.stdout and "1 failed" in result.stdout
    cycle_dir = FIXTURES / "inprogress-corrupt-cycle-edited" / "jobs" / "test0" / "builds" / "1"
    assert f"damaged: test0#1 ({cycle_dir}): GraphCycleError: flow graph has a cycle" in result.stderr
    assert "Traceback" not in result.stderr
    strict = _python_m("import", "--strict", str(FIXTURES), str(tmp_path / "strict.db"), cwd=tmp_path)
    assert strict.returncode == EXIT_INPUT and f"Imported {readable} run(s)" in strict.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["info", "/no/such/run"], EXIT_INPUT, "no such file or directory"),
        (["render", "x.json", "--view", "stage-view", "--format", "dot"], 2, "can be written as"),
        (["render", "x.json", "--format", "png"], 2, "give an output file"),
        (["render", "a.json", "b.json"], 2, "draws one run"),
        (["stages"], 2, "Missing argument"),
    ],
)
def test_errors_say_what_to_fix(args: list[str], code: int, message: str) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == code
    assert message in result.output


def test_damaged_input_is_exit_1_with_the_file_named(tmp_path: Path) -> None:
    bad = tmp_path / "run.json"
    bad.write_text('{"format": "something-else"}')
    result = CliRunner().invoke(main, ["info", str(bad)])
    assert result.exit_code == EXIT_INPUT
    assert str(bad) in result.output and "not a flowgraph run document" in result.output


@pytest.mark.parametrize("command", ["demo", "info", "stages", "render", "import"])
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_python_m_render_help_and_version(tmp_path: Path) -> None:
    done = _python_m("--help", cwd=tmp_path)
    assert done.returncode == 0 and "demo" in done.stdout and "Exit codes" in done.stdout
    version = _python_m("--version", cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("flowgraph ")
