"""Warnings about a run whose records contradict themselves, so that no view misleads quietly.

Jenkins writes a run's facts in several places: ``build.xml`` (result, start time) and the flow
graph (the flow end node's result, each node's TimingAction). They can disagree: a controller
that died mid-write, a hand-edited or migrated home, a clock that jumped. Views built on one
source then contradict views built on the other. :func:`run_warnings` lists such conflicts as
plain sentences; the CLI and the HTML page print them above everything else.

Examples
--------
>>> from flowgraph import GraphBuilder
>>> from flowgraph.result import Result
>>> from scanners.analysis import analyze
>>> b = GraphBuilder(start_ms=1_000)
>>> _ = b.step("echo", message="hi")
>>> run = b.build(Result.SUCCESS)
>>> run_warnings(analyze(run))
[]
>>> run.start_ms = 5_000  # build.xml claims a later start than the nodes record
>>> run_warnings(analyze(run))[0].startswith("3 flow node(s) are stamped before the run's start")
True
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from flowgraph.node import NodeKind

if TYPE_CHECKING:
    from scanners.analysis import RunAnalysis

__all__ = ["run_warnings", "format_time_ms"]


def format_time_ms(epoch_ms: int) -> str:
    """An epoch-millisecond time as a UTC date and time (never shown raw).

    >>> format_time_ms(1_591_209_266_442)
    '2020-06-03 18:34:26 UTC'
    """
    return dt.datetime.fromtimestamp(epoch_ms / 1000, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def run_warnings(analysis: RunAnalysis) -> list[str]:
    """Sentences naming each contradiction in the run's records (empty when there is none).

    Checked: ``build.xml``'s result against the flow end node's; node times before the run's
    recorded start; a run measured to its last recorded event rather than to now; damaged
    records that were replaced by placeholders. One pass over the nodes.
    """
    run = analysis.run
    warnings: list[str] = []
    earliest: tuple[int, str] | None = None
    early = 0
    start = run.start_ms
    for node in analysis.iter_nodes():
        if node.kind is NodeKind.FLOW_END and node.result is not None and run.result is not None:
            if node.result is not run.result:
                warnings.append(
                    f"build.xml says the run's result is {run.result.name}, but its flow end node "
                    f"{node.id} records {node.result.name}; views follow build.xml."
                )
        if start is not None:
            started = node.start_ms
            if started is not None and started < start:
                early += 1
                if earliest is None or started < earliest[0]:
                    earliest = (started, node.id)
    if earliest is not None and start is not None:
        warnings.append(
            f"{early} flow node(s) are stamped before the run's start ({format_time_ms(start)}), the earliest "
            f"node {earliest[1]} at {format_time_ms(earliest[0])}: durations measured from the run's start "
            "may be wrong."
        )
    if run.metadata.get("clock") == "last recorded event" and run.running:
        warnings.append(
            "The files say this run had not finished; it is measured to its last recorded event "
            f"({format_time_ms(run.now_ms())}), not to now."
        )
    problems = run.metadata.get("corruption") or []
    if problems:
        warnings.append(f"{len(problems)} damaged record(s) were replaced by placeholders: {problems[0]}")
    return warnings
