"""Random pipeline programs for property tests, and the interpreter that builds them.

A program is a small tree of operations (steps, failures, stages, parallels, retries, node
blocks, try/catch, halts). Hypothesis generates the trees; :func:`build_program` runs one on a
:class:`~flowgraph.GraphBuilder`, following Groovy's rules: after an uncaught failure or a halt
nothing more runs in that sequence.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from flowgraph import GraphBuilder, Run

Op = tuple[Any, ...]

_leaf = st.sampled_from([("step",), ("step",), ("step",), ("fail",), ("halt",), ("unstable",), ("legacy",)])


def _compound(children: st.SearchStrategy[list[Op]]) -> st.SearchStrategy[Op]:
    return st.one_of(
        st.tuples(st.just("stage"), children),
        st.tuples(st.just("node"), children),
        st.tuples(st.just("try"), children),
        st.tuples(st.just("parallel"), st.lists(children, min_size=1, max_size=3)),
        st.tuples(st.just("retry"), st.lists(children, min_size=1, max_size=3)),
    )


programs: st.SearchStrategy[list[Op]] = st.lists(
    st.recursive(_leaf, lambda inner: _compound(st.lists(inner, max_size=4)), max_leaves=25), max_size=6
)


def _run_seq(b: GraphBuilder, ops: list[Op]) -> str:
    """Run a sequence; returns "ok", "failed" (uncaught error) or "halted"."""
    for op in ops:
        outcome = _run_op(b, op)
        if outcome != "ok":
            return outcome
    return "ok"


def _run_op(b: GraphBuilder, op: Op) -> str:
    kind = op[0]
    if kind == "step":
        b.step("sh", script="make")
        return "ok"
    if kind == "unstable":
        b.unstable("flaky tests")
        return "ok"
    if kind == "legacy":
        b.legacy_stage("legacy")
        return "ok"
    if kind == "fail":
        b.step("sh", script="false", error="script returned exit code 1")
        return "failed"
    if kind == "halt":
        b.step("sh", script="sleep 1000")
        b.halt()
        return "halted"
    if kind in ("stage", "node"):
        b.begin_stage("S") if kind == "stage" else b.begin_node("linux")
        outcome = _run_seq(b, op[1])
        b.end_block()
        return outcome
    if kind == "try":
        with b.try_catch():
            outcome = _run_seq(b, op[1])
        return "halted" if outcome == "halted" else "ok"
    if kind == "parallel":
        names = [f"b{i}" for i in range(len(op[1]))]
        outcomes = []
        with b.parallel(*names) as par:
            for name, body in zip(names, op[1], strict=True):
                with par.branch(name):
                    outcomes.append(_run_seq(b, body))
        if "halted" in outcomes:
            return "halted"
        return "failed" if "failed" in outcomes else "ok"
    if kind == "retry":
        outcome = "ok"
        with b.retry(len(op[1])) as r:
            for body in op[1]:
                with r.attempt():
                    outcome = _run_seq(b, body)
                if outcome != "failed":
                    break
        return outcome
    raise AssertionError(f"unknown op {op!r}")


def build_program(ops: list[Op], *, on_start: Callable[[GraphBuilder], None] | None = None, **options: Any) -> Run:
    """Build the run that ``ops`` describes (complete unless something halted).

    ``on_start`` is called with the builder right after the flow start node exists.
    """
    b = GraphBuilder(**options)
    if on_start is not None:
        on_start(b)
    _run_seq(b, ops)
    return b.build()
