"""The critical path of a run: the chain of steps that set its duration.

A pipeline's nodes each follow the node before them, except where a ``parallel`` joins its
branches: its end node follows every branch's end, and it could only be written once the *last*
branch finished. So the chain that determined the run's duration is found walking back from the
run's end: along the single parent, and at every join to the branch end written last (whatever
the branch's place in the declaration; on a tie, the later-declared one). The steps met on the
way, in run order, are the critical path. Shortening any other step would not have made the run
end sooner.

The walk reads one node per step of the chain (no recursion, no search), so it costs O(length of
the path) on top of the one analysis pass that gives each step its path and timing.

Examples
--------
>>> from flowgraph import GraphBuilder
>>> b = GraphBuilder(start_ms=0, step_ms=100)
>>> with b.stage("Build"):
...     _ = b.step("sh", script="make", duration_ms=1000)
>>> critical_path(b.build())[["path", "function_name"]].values.tolist()
[['Build / sh make', 'sh']]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flowgraph.errors import NodeNotFoundError
from flowgraph.graph import FlowGraph
from flowgraph.node import FlowNode, NodeKind
from flowgraph.run import Run
from scanners.analysis import RunAnalysis, analyze
from scanners.run_rows import epoch_ms_to_datetime, ms_to_timedelta, step_rows

if TYPE_CHECKING:
    import pandas

__all__ = ["CRITICAL_PATH_COLUMNS", "critical_path", "critical_node_ids"]

CRITICAL_PATH_COLUMNS = ("path", "function_name", "start", "duration", "node_id", "stage_path", "status")
"""The columns of :func:`critical_path`: the issue's four, then the step's node id, stage path, status."""

_NO_TIME = -(2**63)


def _last_head(graph: FlowGraph) -> FlowNode | None:
    """Where the run ends: its single head, or (still running in parallel) the newest head."""
    heads = graph.heads
    if not heads:
        return None
    best = heads[0]
    best_ms = best.start_ms if best.start_ms is not None else _NO_TIME
    for head in heads[1:]:
        ms = head.start_ms if head.start_ms is not None else _NO_TIME
        if ms >= best_ms:
            best, best_ms = head, ms
    return best


def _parent(graph: FlowGraph, parent_id: str, child: FlowNode) -> FlowNode:
    parent = graph.get(parent_id)
    if parent is None:
        raise NodeNotFoundError(parent_id, referenced_by=child.id)
    return parent


def critical_node_ids(run: Run) -> list[str]:
    """Ids of the steps (atom nodes) on the run's critical path, in run order.

    Walks back from the run's end, one node at a time; at a join it follows the parent written
    last. The graph is read along the path only.

    >>> from flowgraph import GraphBuilder
    >>> b = GraphBuilder(start_ms=0, step_ms=100)
    >>> with b.parallel("fast", "slow") as par:
    ...     with par.branch("fast"):
    ...         _ = b.step("sh", script="true")
    ...     with par.branch("slow"):
    ...         _ = b.step("sh", script="sleep 9", duration_ms=9000)
    >>> critical_node_ids(b.build())  # parallel 3, branches 5 and 6, steps 7 (fast) and 9 (slow)
    ['9']
    """
    graph = run.graph
    node = _last_head(graph)
    found: list[str] = []
    seen: set[str] = set()
    while node is not None:
        if node.id in seen:  # a damaged graph with a cycle must not loop forever
            break
        seen.add(node.id)
        if node.kind is NodeKind.ATOM:
            found.append(node.id)
        parents = node.parent_ids
        if not parents:
            break
        if len(parents) == 1:
            node = _parent(graph, parents[0], node)
            continue
        latest: FlowNode | None = None
        latest_ms = _NO_TIME
        for parent_id in parents:
            parent = _parent(graph, parent_id, node)
            ms = parent.start_ms if parent.start_ms is not None else _NO_TIME
            if latest is None or ms >= latest_ms:
                latest, latest_ms = parent, ms
        node = latest
    found.reverse()
    return found


def critical_path(run: Run | RunAnalysis) -> pandas.DataFrame:
    """The chain of steps that determined the run's duration, in run order, as a DataFrame.

    Columns: ``path`` (the step's path, as in :mod:`scanners.run_rows`), ``function_name``,
    ``start`` (``datetime64[ms, UTC]``), ``duration`` (``timedelta64[ms]``), then ``node_id``,
    ``stage_path`` and ``status``. Through a ``parallel`` it follows the branch that finished
    last, whatever its declaration order.

    Examples
    --------
    >>> from flowgraph import GraphBuilder
    >>> b = GraphBuilder(start_ms=0, step_ms=100)
    >>> with b.stage("Test"), b.parallel("unit", "lint") as par:
    ...     with par.branch("unit"):
    ...         _ = b.step("sh", script="pytest", duration_ms=5000)
    ...     with par.branch("lint"):
    ...         _ = b.step("sh", script="ruff", duration_ms=200)
    >>> critical_path(b.build())["path"].tolist()  # the builder runs branches one after the other
    ['Test / lint / sh ruff']
    """
    import pandas as pd

    analysis = run if isinstance(run, RunAnalysis) else analyze(run)
    ids = critical_node_ids(analysis.run)
    rows_by_id = {row[0]: row for row in step_rows(analysis)}
    records: list[tuple[Any, ...]] = []
    for node_id in ids:
        row = rows_by_id.get(node_id)
        if row is None:  # a step under a stage that did not run has no row
            continue
        records.append((row.path, row.function_name, row.start, row.duration, node_id, row.stage_path, row.status))
    frame = pd.DataFrame.from_records(records, columns=list(CRITICAL_PATH_COLUMNS))
    frame["start"] = epoch_ms_to_datetime(frame["start"])
    frame["duration"] = ms_to_timedelta(frame["duration"])
    return frame
