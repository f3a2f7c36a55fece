"""A run: one execution of a pipeline, as analysis sees it.

Status and timing need more than nodes: whether the run is still going, its result, when it
started and how long it took, and what time it is *now* for things still running. A
:class:`Run` bundles a :class:`~flowgraph.FlowGraph` with those facts. Jenkins runs, builder
graphs and recorded pipelines are all runs. The clock is injectable so that running runs can be
analysed deterministically.

Examples
--------
>>> from flowgraph import FlowGraph
>>> run = Run(FlowGraph(), start_ms=1_000, clock=FixedClock(5_000))
>>> run.running, run.now_ms(), run.end_ms
(True, 5000, None)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flowgraph.clock import Clock, FixedClock, ManualClock, system_clock
from flowgraph.graph import FlowGraph
from flowgraph.node import NodeKind
from flowgraph.result import Result

__all__ = ["Run", "Clock", "FixedClock", "ManualClock", "system_clock"]


class Run:
    """A flow graph plus the run-level facts analysis needs.

    Parameters
    ----------
    graph
        The run's flow graph.
    result
        The run's result; None while it runs (and for a run that never finished).
    start_ms, duration_ms
        Start time (epoch ms) and total duration; duration is None (or 0) while running.
    running
        Whether the run is still building; by default, True exactly when there is no result.
    clock
        "Now", for measuring what is still running; the wall clock by default.
    pending_input
        True when the run waits for an ``input`` answer (Jenkins' run-level InputAction).
    name, number
        The job's full name and build number, when known.
    execution
        The execution record (heads, durability, …) when the run was loaded from storage.
    """

    __slots__ = (
        "_running",
        "clock",
        "duration_ms",
        "execution",
        "graph",
        "metadata",
        "name",
        "number",
        "pending_input",
        "result",
        "start_ms",
    )

    def __init__(
        self,
        graph: FlowGraph,
        *,
        result: Result | None = None,
        start_ms: int | None = None,
        duration_ms: int | None = None,
        running: bool | None = None,
        clock: Clock | None = None,
        pending_input: bool = False,
        name: str | None = None,
        number: int | None = None,
        execution: Any = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self.graph = graph
        self.result = result
        self.start_ms = start_ms
        self.duration_ms = duration_ms
        self._running = running
        self.clock: Clock = clock if clock is not None else system_clock
        self.pending_input = pending_input
        self.name = name
        self.number = number
        self.execution = execution
        self.metadata: dict[str, Any] = dict(metadata or {})

    @classmethod
    def from_graph(cls, graph: FlowGraph, **facts: Any) -> Run:
        """A run over a bare graph, with what the graph itself says: finished exactly when
        every head is a flow end, and then the flow end's result (``facts`` add or override).

        Examples
        --------
        >>> from flowgraph import GraphBuilder
        >>> run = Run.from_graph(GraphBuilder(start_ms=0).build().graph)
        >>> run.running, run.result
        (False, <Result.SUCCESS: 0>)
        """
        heads = graph.heads
        finished = bool(heads) and all(head.kind is NodeKind.FLOW_END for head in heads)
        facts.setdefault("result", heads[0].result if finished else None)
        facts.setdefault("running", not finished)
        return cls(graph, **facts)

    @property
    def running(self) -> bool:
        """True while the run is still building."""
        return self.result is None if self._running is None else self._running

    @running.setter
    def running(self, value: bool) -> None:
        self._running = value

    @property
    def complete(self) -> bool:
        return not self.running

    def now_ms(self) -> int:
        """The injected clock's current time (epoch ms)."""
        return self.clock()

    @property
    def end_ms(self) -> int | None:
        """Start plus duration for a finished run; None while running or when unknown."""
        if self.running or self.start_ms is None or self.duration_ms is None:
            return None
        return self.start_ms + self.duration_ms

    def _repr_html_(self) -> str:
        """Jupyter: a table of the run's facts (``import render`` shows its stage graph instead)."""
        from flowgraph.run_summary import summary_html

        return summary_html(self)

    def _repr_markdown_(self) -> str:
        from flowgraph.run_summary import summary_markdown

        return summary_markdown(self)

    def __repr__(self) -> str:
        who = f"{self.name}#{self.number} " if self.name is not None else ""
        state = "running" if self.running else (self.result.name if self.result else "no result")
        return f"Run({who}{state}, {len(self.graph)} nodes)"
