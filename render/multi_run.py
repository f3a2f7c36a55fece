"""The stage view over many runs as the command line builds it: per job, newest N, damage shown.

:func:`stage_view_document` reads every run that the sources name (JENKINS_HOMEs, jobs, build
directories, SQL stores, JSON files), keeps the newest ``last`` of each job, and draws one grid
per job (a grid never mixes two jobs' stages or averages). A run that cannot be loaded becomes a
row naming its error; the caller decides whether that is a warning or a failure.

Examples
--------
>>> import os, tempfile
>>> from render.example import example_run
>>> from flowgraph.jenkins.runs import save_run
>>> home = tempfile.mkdtemp()
>>> for n in (1, 2):
...     save_run(example_run(), os.path.join(home, "jobs", "app", "builds", str(n)))
>>> document = stage_view_document([home], "html", last=1)
>>> "app #2" in document.data and "app #1" not in document.data, document.damaged
(True, [])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flowgraph.errors import FlowGraphError
from flowgraph.run import Run
from render.catalog import RunEntry, catalog, group_by_job, job_headings, last_per_job

if TYPE_CHECKING:
    from flowgraph.jenkins.runs import OnCorrupt

__all__ = ["StageViewDocument", "stage_view_document"]


@dataclass(slots=True)
class StageViewDocument:
    """The drawn stage view and what went wrong on the way (``damaged``: label and error per run)."""

    data: str | bytes
    damaged: list[tuple[str, str]] = field(default_factory=list)
    patched: list[tuple[str, str]] = field(default_factory=list)


def _load(entry: RunEntry, on_corrupt: OnCorrupt) -> Run | str:
    """The run, or the named problem that kept it from loading."""
    if entry.error is not None:
        return entry.error
    try:
        return entry.load(on_corrupt=on_corrupt)
    except FlowGraphError as exc:
        return entry.problem(exc)


def stage_view_document(
    sources: Sequence[str],
    fmt: str,
    *,
    last: int | None = None,
    title: str | None = None,
    on_corrupt: OnCorrupt = "raise",
) -> StageViewDocument:
    """The stage view of every run under ``sources`` as ``svg``, ``html``, ``png`` or ``pdf``."""
    from render.stage_view import RunFailure, StageGrid, stage_views_html, stage_views_svg

    entries = last_per_job([e for source in sources for e in catalog(source)], last)
    document = StageViewDocument("")
    grids: list[tuple[str, StageGrid]] = []
    groups = group_by_job(entries)
    headings = job_headings(groups)
    for key, runs in groups.items():
        items: list[Run | RunFailure] = []
        for entry in runs:
            run = _load(entry, on_corrupt)
            if isinstance(run, str):
                items.append(RunFailure(entry.label, run, entry.start_ms))
                document.damaged.append((entry.label, run))
                continue
            for problem in run.metadata.get("corruption", []) or []:
                document.patched.append((entry.label, str(problem)))
            items.append(run)
        count = f"last {len(runs)} build{'s' if len(runs) != 1 else ''}"
        grids.append((f"{headings[key]}: {count}", StageGrid(items)))
    if title is None:
        title = grids[0][0] if len(grids) == 1 else f"Stage view: {len(grids)} jobs"
    if fmt == "html":
        document.data = stage_views_html(grids, title=title)
        return document
    svg = stage_views_svg(grids, title=title)
    if fmt in ("png", "pdf"):
        from render.engine import convert_svg

        document.data = convert_svg(svg, fmt)
    else:
        document.data = svg
    return document
