"""The interactive viewer around the node graph of :func:`render.html.to_html`.

The page script and styles live next to this module as files (``static/graph_view.js`` and
``static/graph_view.css``) and are inlined into the page, so it stays one offline file. The
viewer gives the drawing zoom (buttons, mouse wheel), pan (drag), fit-to-view and 1:1, a
search box over step names, labels and argument text (matches are outlined; Enter jumps from
one to the next and scrolls it into view), and folding: clicking a block's title hides what the
block holds and closes the drawing up, so a folded block takes only its title's height.

Examples
--------
>>> "fg-search" in toolbar_html() and "viewBox" in view_script()
True
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

__all__ = ["toolbar_html", "view_script", "view_css"]


@cache
def _resource(name: str) -> str:
    return files("render").joinpath("static", name).read_text(encoding="utf-8")


def view_script() -> str:
    """The viewer's JavaScript (plain, no dependencies; reads the page's ``fg-data`` JSON)."""
    return _resource("graph_view.js")


def view_css() -> str:
    """The viewer's styles."""
    return _resource("graph_view.css")


def toolbar_html() -> str:
    """The controls above the drawing: zoom, fit, 1:1, fold/unfold all, and the search box."""
    return (
        '<div class="fg-viewbar" role="toolbar" aria-label="Flow graph view">'
        '<button type="button" id="fg-zoom-out" title="Zoom out">\u2212</button>'
        '<span id="fg-zoom-level" class="fg-zoom"></span>'
        '<button type="button" id="fg-zoom-in" title="Zoom in">+</button>'
        '<button type="button" id="fg-fit" title="Show the whole graph">Fit</button>'
        '<button type="button" id="fg-actual" title="Actual size">1:1</button>'
        '<button type="button" id="fg-fold-all" title="Fold every outermost block">Fold all</button>'
        '<button type="button" id="fg-unfold-all">Unfold all</button>'
        '<input type="search" id="fg-search" placeholder="Find a step, label or argument\u2026" '
        'aria-label="Find in the graph">'
        '<button type="button" id="fg-prev" title="Previous match">\u2191</button>'
        '<button type="button" id="fg-next" title="Next match (Enter)">\u2193</button>'
        '<span id="fg-found" class="fg-found" aria-live="polite"></span></div>'
    )
