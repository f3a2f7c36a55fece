"""How runs look: status colours, glyphs and human durations, as Jenkins' modern UI shows them.

Every renderer (node graph, stage graph, stage view, timeline, HTML) draws a status the same
way, so users who know pipeline-graph-view read our pictures at a glance: green for success,
red for failure, amber for unstable, blue for anything still going (running, queued, paused),
grey for aborted, not built and skipped. States are the lower-case names of pipeline-graph-view
(``success``, ``failure``, ``unstable``, ``running``, ``queued``, ``paused``, ``aborted``,
``not_built``, ``skipped``, ``unknown``); :func:`state_name` maps any status or result enum onto
them by name.

Examples
--------
>>> humanize_ms(65_000), humanize_ms(250), humanize_ms(0), humanize_ms(3_723_000)
('1m 5s', '0.25s', '<1ms', '1h 2m')
>>> state_name("IN_PROGRESS"), STATES["failure"].fill
('running', '#e6001f')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

__all__ = ["StateStyle", "STATES", "state_name", "style_of", "humanize_ms", "format_offsets", "CSS_VARIABLES"]


@dataclass(frozen=True, slots=True)
class StateStyle:
    """Drawing attributes of one state: ``fill`` (strong colour), ``light`` (background), ``glyph``."""

    name: str
    fill: str
    light: str
    glyph: str
    label: str


# Colours follow Jenkins' design tokens (success, error, warning, accent, skipped grey).
_GREEN = ("#138347", "#d8f3e2")
_RED = ("#e6001f", "#fde2e5")
_AMBER = ("#d28c00", "#fff1cc")
_BLUE = ("#0b6aa2", "#dcefff")
_GREY = ("#7a7f87", "#eceef0")

STATES: dict[str, StateStyle] = {
    "success": StateStyle("success", *_GREEN, "\u2714", "Success"),
    "failure": StateStyle("failure", *_RED, "\u2716", "Failed"),
    "unstable": StateStyle("unstable", *_AMBER, "!", "Unstable"),
    "running": StateStyle("running", *_BLUE, "\u25cf", "Running"),
    "queued": StateStyle("queued", *_BLUE, "\u25cb", "Queued"),
    "paused": StateStyle("paused", *_BLUE, "\u275a\u275a", "Paused for input"),
    "aborted": StateStyle("aborted", *_GREY, "\u2298", "Aborted"),
    "not_built": StateStyle("not_built", *_GREY, "\u2013", "Not built"),
    "skipped": StateStyle("skipped", *_GREY, "\u21b7", "Skipped"),
    "unknown": StateStyle("unknown", *_GREY, "?", "Unknown"),
}
"""Every state's style, keyed by the pipeline-graph-view state name."""

_ALIASES = {
    "in_progress": "running",
    "paused_pending_input": "paused",
    "not_executed": "not_built",
    "finished": "success",
}


def state_name(status: object) -> str:
    """The state name for a scanners ``Status``, a ``Result``, a string or None (``unknown``)."""
    if status is None:
        return "unknown"
    text = status.name if isinstance(status, Enum) else str(status)
    key = text.strip().lower()
    key = _ALIASES.get(key, key)
    return key if key in STATES else "unknown"


def style_of(status: object) -> StateStyle:
    """The :class:`StateStyle` for any status (see :func:`state_name`)."""
    return STATES[state_name(status)]


def humanize_ms(ms: int | float | None) -> str:
    """A duration with at most two units, as Jenkins' pipeline views print it.

    Below a second it shows hundredths (``0.25s``) or milliseconds (``40ms``, ``<1ms``); below a
    minute seconds (``1.5s``, ``12s``); then two units (``1m 5s``, ``2h 3m``, ``1d 4h``).
    None (unknown) prints as an empty string.
    """
    if ms is None:
        return ""
    if ms < 0:
        return "-" + humanize_ms(-ms)
    if ms < 1:
        return "<1ms"
    if ms < 100:
        return f"{int(ms)}ms"
    if ms < 1000:
        return f"{ms / 1000:.2f}s"
    if ms < 10_000:
        text = f"{ms / 1000:.1f}"
        return (text[:-2] if text.endswith(".0") else text) + "s"
    seconds = int(ms // 1000)
    if seconds < 60:
        return f"{seconds}s"
    units = (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1))
    parts: list[str] = []
    for name, size in units:
        if seconds >= size or parts:
            count, seconds = divmod(seconds, size)
            parts.append(f"{count}{name}")
            if len(parts) == 2:
                break
    return " ".join(parts)


def format_offsets(offsets: Sequence[int | None]) -> list[str]:
    """Offsets from a run's start (ms), all in the one format the largest of them needs.

    A column of offsets reads down cleanly only when every row uses the same units, so they
    are clock-style: ``+m:ss.ss`` while every offset is below an hour, else ``+h:mm:ss``.
    None (a stage that never ran, or unknown timing) prints as an empty string.

    Examples
    --------
    >>> format_offsets([1140, 93_000, None, -250])
    ['+0:01.14', '+1:33.00', '', '-0:00.25']
    >>> format_offsets([1000, 3_723_000])
    ['+0:00:01', '+1:02:03']
    """
    known = [abs(o) for o in offsets if o is not None]
    hours = bool(known) and max(known) >= 3_600_000
    out: list[str] = []
    for offset in offsets:
        if offset is None:
            out.append("")
            continue
        sign = "-" if offset < 0 else "+"
        ms = abs(int(offset))
        if hours:
            seconds = ms // 1000
            out.append(f"{sign}{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}")
        else:
            out.append(f"{sign}{ms // 60_000}:{ms % 60_000 / 1000:05.2f}")
    return out


CSS_VARIABLES = "\n".join(
    f"  --fg-{name}: {style.fill};\n  --bg-{name}: {style.light};" for name, style in STATES.items()
)
"""The palette as CSS custom properties (``--fg-success``, ``--bg-success``, …) for HTML pages."""
