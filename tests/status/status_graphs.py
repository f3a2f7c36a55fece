"""Helpers for the status/timing tests: hand-made nodes with exact times, and chunk lookups."""

from __future__ import annotations

from collections.abc import Iterable

from flowgraph import FlowGraph, FlowNode, NodeKind, Run, TimingAction, descriptor_id
from flowgraph.actions import Action
from flowgraph.result import Result
from flowgraph.run import FixedClock


def mk(
    node_id: int,
    kind: NodeKind,
    parents: Iterable[int] = (),
    *,
    start: int | None = None,
    step: str | None = None,
    t: int | None = None,
    actions: Iterable[Action] = (),
) -> FlowNode:
    """A node with an exact TimingAction (``t``) and integer ids for brevity."""
    acts: list[Action] = [TimingAction(t)] if t is not None else []
    acts.extend(actions)
    return FlowNode(
        str(node_id),
        kind,
        tuple(str(p) for p in parents),
        start_id=str(start) if start is not None else None,
        descriptor_id=descriptor_id(step) if step is not None else None,
        actions=acts,
    )


def graph_of(nodes: Iterable[FlowNode], heads: Iterable[int] | None = None) -> FlowGraph:
    graph = FlowGraph()
    for node in nodes:
        graph.add_node(node)
    if heads is not None:
        graph.set_heads(str(h) for h in heads)
    return graph


def finished(graph: FlowGraph, result: Result, start_ms: int, duration_ms: int) -> Run:
    return Run(graph, result=result, start_ms=start_ms, duration_ms=duration_ms, running=False)


def running(graph: FlowGraph, start_ms: int, now_ms: int, *, pending_input: bool = False) -> Run:
    return Run(graph, start_ms=start_ms, running=True, clock=FixedClock(now_ms), pending_input=pending_input)


class Chunks:
    """Finds the nodes of stages and branches of a builder graph by name."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.graph = run.graph

    def stage(self, name: str) -> tuple[FlowNode, FlowNode, FlowNode | None, FlowNode | None]:
        """(outer start, body start, body end or None, outer end or None) of stage ``name``."""
        for node in self.graph:
            if node.function_name == "stage" and node.is_body and node.is_block_start and node.label == name:
                body = node
                outer = self.graph.node(body.parent_ids[0])
                return outer, body, self.graph.end_of(body), self.graph.end_of(outer)
        raise LookupError(name)

    def branch(self, name: str) -> tuple[FlowNode, FlowNode, FlowNode | None, FlowNode | None]:
        """(parallel start, branch start, branch end or None, parallel end or None)."""
        for node in self.graph:
            if node.is_block_start and node.thread_name == name:
                parallel = self.graph.node(node.parent_ids[0])
                return parallel, node, self.graph.end_of(node), self.graph.end_of(parallel)
        raise LookupError(name)

    def after(self, node: FlowNode) -> FlowNode | None:
        children = self.graph.children(node)
        return children[0] if children else None

    def step(self, function: str, nth: int = 0) -> FlowNode:
        found = [n for n in self.graph if n.is_atom and n.function_name == function]
        return found[nth]
