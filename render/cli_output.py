"""Machine-readable output of the ``flowgraph`` commands: ``--json`` and ``--csv``, and piped tables.

Every command that prints a table can print the same facts as JSON (a list of objects, or one
object for ``info``) or as CSV (a header row, then one row per record). Times are given twice:
ISO 8601 in UTC for people and spreadsheets, and raw epoch milliseconds for programs.
Durations are milliseconds. :func:`console` gives a rich Console that never cuts or wraps a
table when the output is piped (rich would otherwise assume 80 columns).

Examples
--------
>>> import io
>>> out = io.StringIO()
>>> write_records([{"job": "app", "number": 3}], "csv", out)
>>> out.getvalue().splitlines()
['job,number', 'app,3']
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterator, Sequence
from typing import IO, Any

from rich.console import Console

from flowgraph.run import Run

__all__ = ["console", "write_records", "stage_records", "info_record", "PIPE_WIDTH"]

PIPE_WIDTH = 4096
"""Columns a table may take when the output is not a terminal (nothing is cut or wrapped)."""


def console(*, stderr: bool = False) -> Console:
    """A Console for the commands: the terminal's width on a TTY, else wide enough for any table."""
    stream = sys.stderr if stderr else sys.stdout
    is_tty = hasattr(stream, "isatty") and stream.isatty()
    width = None if is_tty or os.environ.get("COLUMNS") else PIPE_WIDTH
    return Console(stderr=stderr, highlight=False, soft_wrap=False, width=width)


def _cell(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else value


def write_records(records: Sequence[dict[str, Any]] | dict[str, Any], fmt: str, stream: IO[str] | None = None) -> None:
    """Write records as ``json`` or ``csv`` (lists become space-separated cells, ``None`` empty)."""
    out = stream if stream is not None else sys.stdout
    if fmt == "json":
        out.write(json.dumps(records, ensure_ascii=False, indent=2) + "\n")
        return
    rows = [records] if isinstance(records, dict) else list(records)
    fields: list[str] = []
    for row in rows:
        fields.extend(k for k in row if k not in fields)
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in fields})


def _iso(ms: int | None) -> str | None:
    from render.catalog import iso_time

    return iso_time(ms)


def stage_records(run: Run, *, depth: int | None = None, steps: bool = False) -> list[dict[str, Any]]:
    """The stage tree (and optionally each stage's steps) as flat records, in display order.

    ``path`` is the stage's place in the tree (``Test / lint``), so same-named stages at
    different places stay apart; ``parent`` is the enclosing stage's node id. Beyond
    :data:`PATH_PARTS` levels the path keeps its first and last parts around ``…``, so a run
    nested 100,000 deep still prints in linear time and space.
    """
    from render.stage_graph import stage_state
    from render.style import state_name
    from scanners import StageNode, analyze

    analysis = analyze(run)
    origin = analysis.timing.start_ms
    records: list[dict[str, Any]] = []
    names: list[str] = []  # the names from the top down to the stage being visited (pre-order walk)
    stack: list[tuple[StageNode, int, str | None]] = [(s, 0, None) for s in reversed(analysis.stages)]
    while stack:
        stage, level, parent = stack.pop()
        del names[level:]
        names.append(stage.name)
        path = _path_text(names)
        records.append(
            {
                "path": path,
                "parent": parent,
                "name": stage.name,
                "kind": {"STAGE": "stage", "PARALLEL_BRANCH": "branch", "PARALLEL_BLOCK": "parallel"}[stage.type.name],
                "depth": level,
                "node": stage.id,
                "state": stage_state(stage),
                "start": _iso(stage.start_ms),
                "start_ms": stage.start_ms,
                "offset_ms": stage.start_ms - origin if stage.start_ms is not None and origin is not None else None,
                "duration_ms": stage.duration_ms,
                "paused_ms": stage.pause_ms,
                "error": None,
            }
        )
        if steps:
            for step in stage.steps:
                records.append(
                    {
                        "path": path,
                        "parent": stage.id,
                        "name": f"{step.function_name or 'step'} {step.arguments or ''}".strip(),
                        "kind": "step",
                        "depth": level + 1,
                        "node": step.id,
                        "state": state_name(step.status),
                        "start": _iso(step.start_ms),
                        "start_ms": step.start_ms,
                        "offset_ms": step.start_ms - origin
                        if step.start_ms is not None and origin is not None
                        else None,
                        "duration_ms": step.duration_ms,
                        "paused_ms": None,
                        "error": step.error,
                    }
                )
        if depth is None or level < depth:
            stack.extend((child, level + 1, stage.id) for child in reversed(stage.children))
    return records


PATH_PARTS = 12
"""Stage paths longer than this many levels are shown as their first and last parts around an ellipsis."""


def _path_text(names: list[str]) -> str:
    if len(names) <= PATH_PARTS:
        return " / ".join(names)
    keep = PATH_PARTS // 2
    hidden = len(names) - 2 * keep
    return " / ".join([*names[:keep], f"\u2026 {hidden} levels \u2026", *names[-keep:]])


def _failing(run: Run) -> Iterator[dict[str, Any]]:
    from scanners import analyze

    for step in analyze(run).iter_steps():
        if step.error:
            yield {"node": step.id, "step": step.function_name, "error": step.error}


def info_record(run: Run, label: str) -> dict[str, Any]:
    """What ``flowgraph info`` prints, as one record."""
    from render.blocks import BlockTree
    from render.style import state_name
    from scanners import analyze

    analysis = analyze(run)
    tree = BlockTree(run.graph)
    timing = analysis.timing
    return {
        "run": label,
        "job": run.name,
        "number": run.number,
        "state": state_name(analysis.status),
        "result": run.result.name if run.result is not None else None,
        "running": run.running,
        "start": _iso(timing.start_ms),
        "start_ms": timing.start_ms,
        "duration_ms": timing.total_ms,
        "flow_nodes": len(run.graph),
        "blocks": len(tree.blocks),
        "max_block_depth": tree.max_depth,
        "head_node_ids": list(run.graph.head_ids),
        "top_level_stages": len(analysis.stages),
        "stages_and_branches": len(list(analysis.iter_stages())),
        "failing_steps": list(_failing(run)),
        "corruption": list(run.metadata.get("corruption", []) or []),
    }
