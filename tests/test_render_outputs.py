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


def test_png_labels_fit_their_boxes_in_the_font_that_draws_them() -> None:
    """Every node and cluster label of a real run, measured in DejaVu Sans (the PNG font), fits its frame."""
    from lxml import etree
    from PIL import ImageFont
    from render_support import FIXTURES

    from flowgraph import load
    from render.dot import to_svg
    from render.svg_fit import LABEL_FONT, fit_labels

    font = ImageFont.truetype("DejaVuSans.ttf", 100)
    run = load(str(FIXTURES / "legacy-declarative-parallel-completed" / "jobs" / "ptest1" / "builds" / "1"))
    svg = to_svg(run).encode("utf-8")
    ns = "{http://www.w3.org/2000/svg}"

    def spills(document: bytes) -> list[str]:
        root = etree.fromstring(document, etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True))
        out = []
        for group in root.iter(f"{ns}g"):
            if not {"node", "cluster"} & set((group.get("class") or "").split()):
                continue
            shape = next(group.iter(f"{ns}polygon", f"{ns}path", f"{ns}ellipse"))
            if shape.tag == f"{ns}ellipse":
                left = float(shape.get("cx")) - float(shape.get("rx"))
                right = float(shape.get("cx")) + float(shape.get("rx"))
            else:
                numbers = (shape.get("points") or shape.get("d") or "").replace("M", " ").replace("C", " ").split()
                xs = [float(pair.split(",")[0]) for pair in numbers if "," in pair]
                left, right = min(xs), max(xs)
            for text in group.iter(f"{ns}text"):
                width = font.getlength(text.text or "") * float(text.get("font-size")) / 100
                x = float(text.get("x"))
                start = x - width / 2 if text.get("text-anchor") == "middle" else x
                if start < left - 0.5 or start + width > right + 0.5:
                    out.append(text.text or "")
        return out

    assert spills(svg)  # as Graphviz measured them, some labels are too wide for DejaVu Sans
    fitted = fit_labels(svg)
    assert spills(fitted) == []
    assert fitted.count(f'font-family="{LABEL_FONT}"'.encode()) == svg.count(b"<text")
