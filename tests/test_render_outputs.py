"""Pictures as asked: PNG and PDF from the installed entry point, engines found without PATH, glyphs drawn."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from render_support import ci_run

from flowgraph.errors import EngineNotFoundError
from render.engine import ENGINE_ENV, CairoEngine, GraphvizPureEngine, choose_engine, convert_svg, render_dot
from render.networkx_io import save_run_json

ENTRY_POINT = Path(sys.executable).parent / "flowgraph"


def _without_venv_on_path() -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k not in (ENGINE_ENV, "VIRTUAL_ENV")}
    environment["PATH"] = os.pathsep.join(
        p for p in environment.get("PATH", "/usr/bin:/bin").split(os.pathsep) if Path(p) != ENTRY_POINT.parent
    )
    return environment


@pytest.fixture(scope="module")
def run_json(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("outputs") / "run.json"
    save_run_json(ci_run(), path)
    return path


@pytest.mark.parametrize(("suffix", "magic"), [("png", b"\x89PNG\r\n\x1a\n"), ("pdf", b"%PDF-")])
def test_entry_point_writes_png_and_pdf_without_the_venv_on_path(
    run_json: Path, tmp_path: Path, suffix: str, magic: bytes
) -> None:
    if not ENTRY_POINT.exists():
        pytest.skip(f"no installed entry point at {ENTRY_POINT}")
    if CairoEngine.find() is None and suffix == "pdf":
        pytest.skip("PDF needs cairosvg and libcairo (or system Graphviz)")
    out = tmp_path / f"graph.{suffix}"
    done = subprocess.run(
        [str(ENTRY_POINT), "render", str(run_json), "-o", str(out)],
        env=_without_venv_on_path(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(magic) and out.stat().st_size > 2_000


def test_pip_program_is_found_without_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    engine = GraphvizPureEngine.find()
    if engine is None:
        pytest.skip("graphviz-pure is not installed in this environment")
    assert Path(engine.program).is_file()
    assert render_dot("digraph { a -> b }", "png", engine=engine).startswith(b"\x89PNG")


def test_png_draws_the_state_glyphs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A font without the glyphs draws the same empty box for both marks; real glyphs differ."""
    monkeypatch.delenv(ENGINE_ENV, raising=False)
    engine = choose_engine("png")
    if engine.name == "pure":
        pytest.skip("only graphviz-pure writes PNG here (its fonts lack the marks): pip install cairosvg")
    font = 'node [fontname="Helvetica,Arial,sans-serif"]'  # the font every drawing of render.dot asks for
    tick = render_dot(f'digraph {{ {font} a [label="\u2714"] }}', "png")
    cross = render_dot(f'digraph {{ {font} a [label="\u2716"] }}', "png")
    assert tick.startswith(b"\x89PNG") and cross.startswith(b"\x89PNG")
    assert tick != cross


def test_converting_to_an_unknown_format_is_a_typed_error() -> None:
    with pytest.raises(EngineNotFoundError, match="png or pdf"):
        convert_svg("<svg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/>", "gif")
