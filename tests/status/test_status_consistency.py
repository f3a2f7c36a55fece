"""Property: the one-pass analysis gives exactly what Jenkins' per-chunk rules give.

Random pipelines (stages, parallels, try/catch, catchError, failures, warnings, and runs left
running, queued or paused) are built with GraphBuilder; then every block, branch and step that
:func:`analyze` reports is checked against :func:`chunk_status` / :func:`chunk_timing` /
:func:`branch_statuses` / :func:`branch_timings` called on the same chunk, cut independently
from the graph's own lookups.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowgraph import FlowNode, GraphBuilder, NodeKind, Result, Run
from scanners import (
    Status,
    analyze,
    branch_statuses,
    branch_timings,
    chunk_status,
    chunk_timing,
    pause_duration,
    walk_stages,
)

LEAVES = st.sampled_from(["step", "fail", "unstable", "halt", "input", "queued"])


def _nodes(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    body = st.lists(children, max_size=3)
    return st.one_of(
        st.tuples(st.just("stage"), body),
        st.tuples(st.just("try"), body),
        st.tuples(st.just("catch"), body),
        st.tuples(st.just("parallel"), st.lists(body, min_size=1, max_size=3)),
    )


PROGRAMS = st.lists(st.recursive(LEAVES, _nodes, max_leaves=14), max_size=5)


class Interpreter:
    def __init__(self) -> None:
        self.b = GraphBuilder(start_ms=0, step_ms=10)
        self.count = 0

    def name(self) -> str:
        self.count += 1
        return f"n{self.count}"

    def run(self, ops: list[Any]) -> str:
        """Run ops in order; returns "ok", "error" (uncaught error pending) or "halted"."""
        for op in ops:
            state = self.op(op)
            if state != "ok":
                return state
        return "ok"

    def op(self, op: Any) -> str:
        b = self.b
        if op == "step":
            b.step("sh", script=self.name())
            return "ok"
        if op == "fail":
            b.step("sh", script=self.name(), error="exit 1")
            return "error"
        if op == "unstable":
            b.unstable(self.name())
            return "ok"
        if op == "halt":
            b.step("sh", script=self.name())
            b.halt()
            return "halted"
        if op == "input":
            b.input(self.name())
            return "halted"
        if op == "queued":
            with b.node(self.name(), queued=True):
                pass
            return "halted"
        kind, body = op
        if kind == "stage":
            with b.stage(self.name()):
                return self.run(body)
        if kind == "try":
            with b.try_catch():
                state = self.run(body)
            return "halted" if state == "halted" else "ok"
        if kind == "catch":
            with b.catch_error(stage_result=Result.UNSTABLE):
                state = self.run(body)
            return "halted" if state == "halted" else "ok"
        names = [self.name() for _ in body]
        states = []
        with b.parallel(*names) as par:
            for branch_name, branch_body in zip(names, body, strict=True):
                with par.branch(branch_name):
                    states.append(self.run(branch_body))
        if "halted" in states:
            return "halted"
        return "error" if "error" in states else "ok"


def build(program: list[Any]) -> Run:
    interpreter = Interpreter()
    interpreter.run(program)
    return interpreter.b.build()


class Cut:
    """Chunks cut from the graph's own lookups (no shared code with the analysis)."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.graph = run.graph
        self.order = {node.id: index for index, node in enumerate(self.graph)}

    def inside(self, start: FlowNode) -> list[FlowNode]:
        """Nodes of the block opened at ``start``: itself, everything it encloses, its end."""
        graph = self.graph
        return [
            n for n in graph if n.id == start.id or n.start_id == start.id or start.id in graph.all_enclosing_ids(n)
        ]

    def last(self, start: FlowNode) -> FlowNode:
        """The block's end; while open, its newest head that is not a finished branch's end."""
        end = self.graph.end_of(start)
        if end is not None:
            return end
        graph = self.graph
        tips = [
            h
            for h in graph.heads
            if (h.id == start.id or start.id in graph.all_enclosing_ids(h))
            and not (h.kind is NodeKind.BLOCK_END and graph.start_of(h).thread_name is not None)
        ]
        return max(tips, key=lambda h: self.order[h.id]) if tips else start

    def after(self, node: FlowNode) -> FlowNode | None:
        if node.kind is not NodeKind.BLOCK_END and node.kind is not NodeKind.ATOM:
            return None
        children = self.graph.children(node)
        return children[0] if children else None

    def pause(self, start: FlowNode) -> int:
        now = self.run.now_ms()
        return sum(pause_duration(n, now) for n in self.inside(start))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PROGRAMS)
def test_analysis_matches_the_per_chunk_rules(program: list[Any]) -> None:
    run = build(program)
    analysis = analyze(run)
    cut = Cut(run)
    graph = run.graph
    tree = {s.id: s for s in walk_stages(analysis.stages)}
    for node in graph:
        if node.kind is NodeKind.ATOM:
            step_timing = chunk_timing(run, pause_duration(node, run.now_ms()), node, node, cut.after(node))
            assert analysis.timing_of(node.id) == step_timing
        if node.kind is not NodeKind.BLOCK_START:
            continue
        last = cut.last(node)
        is_stage_body = node.function_name == "stage" and node.is_body
        is_branch = node.thread_name is not None
        if node.function_name == "parallel" and not node.is_body:
            continue  # checked through its branches below
        if is_branch:
            parallel = graph.node(node.parent_ids[0])
            parallel_end = graph.end_of(parallel)
            name = node.thread_name
            assert name is not None
            if last.kind is NodeKind.BLOCK_END and last.start_id != node.id:
                # Jenkins' branch API refuses a running tip that is a nested block's end: ask the chunk rules.
                expected_status = chunk_status(run, parallel, node, last, parallel_end)
                expected_timing = chunk_timing(run, cut.pause(node), node, last, parallel_end)
            else:
                expected_status = branch_statuses(run, parallel, [node], [last], parallel_end)[name]
                pauses = [cut.pause(node)]
                expected_timing = branch_timings(run, parallel, [node], [last], parallel_end, pauses)[name]
        else:
            after = cut.after(last) if last.kind is NodeKind.BLOCK_END else None
            expected_status = chunk_status(run, None, node, last, after)
            expected_timing = chunk_timing(run, cut.pause(node), node, last, after)
        if not (is_stage_body or is_branch):
            if node.function_name == "stage":
                continue  # the stage step's outer block answers for its stage (checked via the body)
            assert analysis.status_of(node.id) is expected_status, node
            assert analysis.timing_of(node.id) == expected_timing, node
            continue
        stage = analysis.stage(node.id)
        assert (stage.start_ms, stage.duration_ms, stage.pause_ms) == tuple(expected_timing), node
        children = stage.children
        if not children:
            assert stage.status is expected_status, node
        else:
            assert stage.status is Status.condense([expected_status, *(c.status for c in children)]), node
    for stage in tree.values():
        for child in stage.children:
            assert stage.status >= child.status or child.status is Status.NOT_EXECUTED
    atoms = {n.id for n in graph if n.kind is NodeKind.ATOM}
    assert {s.id for s in analysis.iter_steps()} == atoms
