"""Each step's console output in a foldable panel of the HTML page, within a bounded budget.

A run's log can be gigabytes; a page must stay small enough to open. :class:`StepLogPanels`
therefore keeps the **last** ``lines_per_step`` lines of each step (where errors are) and stops
adding text once ``page_lines`` lines are on the page; every panel says what it left out, and
a closing note counts the steps whose logs did not fit (``flowgraph log`` prints them whole).
The build's ``log-index`` is read once for the whole page (:class:`flowgraph.jenkins.logs.LogIndex`).
Runs without log files (SQL stores, built in code) get no panels and no note.

Examples
--------
>>> from flowgraph import GraphBuilder
>>> panels = StepLogPanels(GraphBuilder().build())
>>> panels.enabled, panels.css() != ""
(False, True)
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flowgraph.jenkins.logs import LogIndex
    from flowgraph.run import Run
    from scanners import StepInfo

__all__ = ["StepLogPanels", "LINES_PER_STEP", "PAGE_LINES"]

LINES_PER_STEP = 40
"""Default: the last lines of each step's log shown on the page."""
PAGE_LINES = 5_000
"""Default: the most log lines one page holds in total."""

_CSS = """
.fg-outline details.fg-log { margin: 2px 0 4px 1.3em; }
.fg-log > summary { color: #57606a; font-size: 12px; }
.fg-log pre { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 4px; padding: 6px 8px;
  margin: 2px 0; max-height: 24em; overflow: auto; font-size: 12px; white-space: pre-wrap; word-break: break-word; }
.fg-log .fg-cut, p.fg-cut { color: #57606a; font-style: italic; }
#fg-failures .fg-warning { color: #9a6700; }
#fg-failures .fg-ok { color: var(--fg-success); }
#fg-failures .fg-caught { color: #57606a; }
#fg-failures pre.fg-log-tail { background: #fff8f8; border: 1px solid #f5c2c7; border-radius: 4px; padding: 6px 8px;
  margin: 2px 0 8px 1.3em; max-height: 16em; overflow: auto; font-size: 12px; white-space: pre-wrap; }
"""


class StepLogPanels:
    """Builds the log panels of one page, keeping count of the budget (see the module notes)."""

    __slots__ = ("_index", "left_out", "lines_left", "lines_per_step")

    def __init__(self, run: Run, *, lines_per_step: int = LINES_PER_STEP, page_lines: int = PAGE_LINES) -> None:
        from scanners.logs import has_logs

        self._index: LogIndex | None = None
        if has_logs(run):
            from flowgraph.jenkins.logs import LogIndex

            self._index = LogIndex(run)
        self.lines_per_step = lines_per_step
        self.lines_left = page_lines
        self.left_out = 0

    @property
    def enabled(self) -> bool:
        """True when the run has console output to show."""
        return self._index is not None

    def css(self) -> str:
        """The style rules of the log panels and of the "what failed" section."""
        return _CSS

    def panel(self, step: StepInfo) -> str:
        """A ``<details class="fg-log">`` with the step's last lines ('' when it printed nothing)."""
        if self._index is None:
            return ""
        if self.lines_left <= 0:
            self.left_out += 1
            return ""
        from scanners.logs import tail_lines

        kept = tail_lines(self._index.iter_node(step.id), min(self.lines_per_step, self.lines_left))
        if not kept.lines:
            return ""
        self.lines_left -= len(kept.lines)
        total = len(kept.lines) + kept.skipped
        cut = (
            f'<span class="fg-cut">[\u2026 {kept.skipped} earlier line(s) left out: '
            f"flowgraph log RUN --node {html.escape(step.id)}]</span>\n"
            if kept.skipped
            else ""
        )
        return (
            f'<details class="fg-log" data-log="{html.escape(step.id)}"><summary>Log ({total} line'
            f"{'' if total == 1 else 's'})</summary><pre>{cut}{html.escape(kept.text)}</pre></details>"
        )

    def closing_note(self) -> str:
        """A paragraph counting the steps whose logs did not fit the page ('' when all did)."""
        if not self.left_out:
            return ""
        return (
            f'<p class="fg-cut">Logs of {self.left_out} more step(s) were left out to keep this page small; '
            "<code>flowgraph log RUN --node ID</code> prints any of them.</p>"
        )
