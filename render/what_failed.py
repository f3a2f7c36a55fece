"""The "what failed" summary that opens ``flowgraph info``, ``flowgraph stages`` and the HTML page.

It presents :func:`scanners.failures.failure_summary` and :func:`scanners.run_checks.run_warnings`:
the record warnings first, then each failure (stage path, step, error type and message, the last
lines of its log), then a count of the errors that were caught (never called failures). Every
text is built from values that exist: no ``None`` ever reaches the reader.

Examples
--------
>>> from flowgraph import GraphBuilder
>>> from scanners import analyze
>>> b = GraphBuilder(start_ms=0)
>>> with b.stage("Test"):
...     _ = b.step("sh", script="pytest", error="3 tests failed")
>>> page = failure_html(analyze(b.build()))
>>> "3 tests failed" in page and "Test" in page and "None" not in page
True
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import RenderableType

    from scanners import RunAnalysis
    from scanners.failures import Failure, FailureSummary

__all__ = ["failure_renderable", "failure_html", "MAX_LISTED"]

MAX_LISTED = 10
"""Failures shown in full; more are counted (``flowgraph log --failed`` prints them all)."""


def _summary(analysis: RunAnalysis, log_lines: int) -> tuple[FailureSummary, list[str]]:
    from scanners.failures import failure_summary
    from scanners.run_checks import run_warnings

    return failure_summary(analysis, log_lines=log_lines), run_warnings(analysis)


def _what(failure: Failure) -> str:
    what = failure.function_name or failure.node.display_name
    arguments = failure.step.arguments if failure.step is not None else None
    if arguments:
        what += " " + (arguments if len(arguments) <= 60 else arguments[:59] + "\u2026")
    return what


def failure_renderable(analysis: RunAnalysis, *, log_lines: int = 5, brief: bool = False) -> RenderableType:
    """A rich renderable: warnings, then the failures with their last log lines, then caught errors.

    ``brief`` leaves out the log lines (for ``flowgraph stages``).
    """
    from rich.console import Group
    from rich.text import Text

    summary, warnings = _summary(analysis, 0 if brief else log_lines)
    parts: list[Text] = [Text(f"warning: {w}", style="yellow") for w in warnings]
    if summary.failures:
        first = "First failure" if len(summary.failures) > 1 else "Failure"
        parts.append(Text(f"What failed ({len(summary.failures)}):", style="bold red"))
        for index, failure in enumerate(summary.failures[:MAX_LISTED]):
            line = Text("  ")
            line.append(f"{first if index == 0 else 'Also'}: ", style="bold")
            line.append(" / ".join(failure.stage_path) or "(outside any stage)", style="bold")
            line.append(f" \u203a {_what(failure)} (node {failure.id}) ")
            line.append("was aborted" if failure.interrupted else "failed", style="red")
            detail = f"{failure.short_type}: {failure.message}" if failure.message else failure.short_type
            line.append(f": {detail}")
            parts.append(line)
            for log_line in failure.log.lines:
                parts.append(Text("      \u2502 " + log_line.rstrip("\n"), style="bright_black"))
        if len(summary.failures) > MAX_LISTED:
            more = len(summary.failures) - MAX_LISTED
            parts.append(Text(f"  \u2026 and {more} more (flowgraph log RUN --failed shows them all)"))
    else:
        parts.append(Text("What failed: nothing (no step raised an error that reached the run).", style="green"))
    parts.extend(Text(note, style="yellow") for note in summary.notes)
    if summary.caught:
        catchers = sorted({f.caught_by_name or "try" for f in summary.caught})
        parts.append(
            Text(
                f"{len(summary.caught)} error(s) were caught ({', '.join(catchers)}) and are not failures.",
                style="bright_black",
            )
        )
    return Group(*parts)


def failure_html(analysis: RunAnalysis, *, log_lines: int = 10) -> str:
    """The summary as an HTML ``<section id="fg-failures">`` for the top of the run's page."""
    esc = html.escape
    summary, warnings = _summary(analysis, log_lines)
    out = ['<section id="fg-failures"><h2>What failed</h2>']
    out.extend(f'<p class="fg-warning">\u26a0 {esc(w)}</p>' for w in warnings)
    if not summary.failures:
        out.append('<p class="fg-ok">Nothing: no step raised an error that reached the run.</p>')
    for index, failure in enumerate(summary.failures[:MAX_LISTED]):
        where = " / ".join(failure.stage_path) or "(outside any stage)"
        detail = f"{failure.short_type}: {failure.message}" if failure.message else failure.short_type
        verb = "was aborted" if failure.interrupted else "failed"
        label = "First failure" if index == 0 else "Also"
        out.append(
            f'<div class="fg-failure" data-node="{esc(failure.id)}"><p><strong>{label}:</strong> '
            f"<strong>{esc(where)}</strong> \u203a {esc(_what(failure))} (node {esc(failure.id)}) "
            f'<span class="fg-err">{verb}: {esc(detail)}</span></p>'
        )
        if failure.log.lines:
            skipped = f"[\u2026 {failure.log.skipped} earlier line(s)]\n" if failure.log.skipped else ""
            out.append(f'<pre class="fg-log-tail">{esc(skipped + failure.log.text)}</pre>')
        out.append("</div>")
    if len(summary.failures) > MAX_LISTED:
        out.append(f"<p>\u2026 and {len(summary.failures) - MAX_LISTED} more failing steps.</p>")
    out.extend(f'<p class="fg-warning">{esc(note)}</p>' for note in summary.notes)
    if summary.caught:
        catchers = ", ".join(sorted({f.caught_by_name or "try" for f in summary.caught}))
        out.append(
            f'<p class="fg-caught">{len(summary.caught)} error(s) were caught ({esc(catchers)}) '
            "and are not failures.</p>"
        )
    out.append("</section>")
    return "".join(out)
