"""Labels that fit their boxes in PNG and PDF: measure each text in the font that will draw it.

Graphviz sizes node boxes and cluster frames from its own estimate of the label font's widths;
the font that finally draws the text (here DejaVu Sans, chosen because it has the state glyphs
✔ ✖ ▸ that Helvetica lacks) is wider, so labels would spill out of their boxes. Before the SVG
is rasterised, :func:`fit_labels` pins every text to that font, measures it with the font file
itself (Pillow), and sets a text that is wider than its box a little smaller so that it fits,
a cluster title starting at its frame's left edge. Texts that fit are left alone.

Examples
--------
>>> svg = (b'<svg xmlns="http://www.w3.org/2000/svg"><g class="node"><polygon points="0,0 40,0 40,20 0,20"/>'
...        b'<text x="20" y="12" text-anchor="middle" font-size="10">a rather long label</text></g></svg>')
>>> b'font-size="3.' in fit_labels(svg)
True
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from lxml import etree

__all__ = ["fit_labels", "LABEL_FONT"]

LABEL_FONT = "DejaVu Sans"
"""The family PNG and PDF labels are drawn in (it has every glyph the drawings use)."""

_SVG = "{http://www.w3.org/2000/svg}"
_NUMBER_PAIR = re.compile(r"(-?[0-9]*\.?[0-9]+(?:e-?[0-9]+)?),(-?[0-9]*\.?[0-9]+(?:e-?[0-9]+)?)")
_PAD = {"node": 8.0, "cluster": 12.0}


@cache
def _font() -> Any:
    """DejaVu Sans as a Pillow font (None when Pillow or the font file is missing)."""
    try:
        from PIL import ImageFont

        return ImageFont.truetype("DejaVuSans.ttf", 100)
    except (ImportError, OSError):
        return None


def _x_range(shape: etree._Element) -> tuple[float, float] | None:
    tag = shape.tag.removeprefix(_SVG)
    if tag == "ellipse":
        cx, rx = float(shape.get("cx", "0")), float(shape.get("rx", "0"))
        return cx - rx, cx + rx
    text = shape.get("points") if tag in ("polygon", "polyline") else shape.get("d") if tag == "path" else None
    xs = [float(m.group(1)) for m in _NUMBER_PAIR.finditer(text or "")]
    return (min(xs), max(xs)) if xs else None


def fit_labels(svg: bytes) -> bytes:
    """Graphviz SVG with every text in :data:`LABEL_FONT`, squeezed into its node or cluster box."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
    root = etree.fromstring(svg, parser)
    for text in root.iter(f"{_SVG}text"):
        text.set("font-family", LABEL_FONT)
    font = _font()
    if font is None:
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    for group in root.iter(f"{_SVG}g"):
        classes = (group.get("class") or "").split()
        kind = "node" if "node" in classes else "cluster" if "cluster" in classes else None
        if kind is None:
            continue
        shape = next((e for e in group.iter(f"{_SVG}polygon", f"{_SVG}path", f"{_SVG}ellipse")), None)
        span = _x_range(shape) if shape is not None else None
        if span is None:
            continue
        left, right = span
        room = right - left - _PAD[kind]
        for text in group.iter(f"{_SVG}text"):
            size = float(text.get("font-size", "14"))
            need = font.getlength(text.text or "") * size / 100
            x = float(text.get("x", "0"))
            anchor = text.get("text-anchor", "start")
            half = min(x - left, right - x) - _PAD[kind] / 2
            fits = need / 2 <= half if anchor == "middle" else x + need <= right - _PAD[kind] / 2
            if fits or room <= 0:
                continue
            if kind == "cluster":
                text.set("text-anchor", "start")
                text.set("x", f"{left + _PAD[kind] / 2:.2f}")
            else:
                text.set("text-anchor", "middle")
                text.set("x", f"{(left + right) / 2:.2f}")
            if need > room:  # a smaller size, not textLength: Cairo (and some viewers) ignore textLength
                text.set("font-size", f"{size * room / need:.2f}")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
