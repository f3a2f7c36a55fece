"""Random GraphBuilder programs for property tests, interpreted with an explicit stack (no recursion).

A program is a list of items; an item is a tuple:

* ``("step",)``, ``("legacy",)`` (a legacy stage marker), ``("halt",)`` (the branch stops, still running);
* ``("stage", items)``, ``("block", items)`` (``timeout``), ``("node", items)`` (agent);
* ``("parallel", [items, ...])`` one list per branch (parallels in parallels happen by nesting);
* ``("retry", [items, ...])`` one list per attempt; every attempt but the last fails;
* ``("try", items, fail)`` / ``("catch", items, fail)``: with ``fail``, the body ends with a failing step
  that the try/catchError stops.

Items after a halt are skipped, as a halted branch can run nothing more.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

from hypothesis import strategies as st

from flowgraph import GraphBuilder, Run

Item = tuple[Any, ...]


def _leaf() -> st.SearchStrategy[Item]:
    return st.sampled_from([("step",), ("step",), ("step",), ("legacy",), ("halt",)])


def _extend(children: st.SearchStrategy[Item]) -> st.SearchStrategy[Item]:
    body = st.lists(children, max_size=3)
    return st.one_of(
        st.tuples(st.just("stage"), body),
        st.tuples(st.just("block"), body),
        st.tuples(st.just("node"), body),
        st.tuples(st.just("parallel"), st.lists(body, min_size=1, max_size=3)),
        st.tuples(st.just("retry"), st.lists(body, min_size=1, max_size=3)),
        st.tuples(st.just("try"), body, st.booleans()),
        st.tuples(st.just("catch"), body, st.booleans()),
    )


programs: st.SearchStrategy[list[Item]] = st.lists(st.recursive(_leaf(), _extend, max_leaves=18), max_size=5)


def _enter(cm: AbstractContextManager[Any]) -> Callable[[], None]:
    cm.__enter__()
    return lambda: cm.__exit__(None, None, None)  # type: ignore[func-returns-value]


def run_program(program: list[Item], builder: GraphBuilder | None = None) -> Run:
    """Build the run a program describes."""
    b = builder if builder is not None else GraphBuilder()
    counter = iter(range(1_000_000))
    # each frame: (items to run, what to call when they are done)
    stack: list[tuple[Iterator[Item], Callable[[], Any] | None]] = [(iter(program), None)]
    while stack:
        items, closer = stack[-1]
        item = next(items, None)
        if item is None:
            stack.pop()
            if closer is not None:
                closer()
            continue
        if b.describe()["halted"]:
            continue
        kind = item[0]
        n = next(counter)
        if kind == "step":
            b.step("sh", script=f"make {n}")
        elif kind == "legacy":
            b.legacy_stage(f"legacy {n}")
        elif kind == "halt":
            b.halt()
        elif kind == "stage":
            b.begin_stage(f"stage {n}")
            stack.append((iter(item[1]), b.end_block))
        elif kind == "block":
            b.begin_block("timeout", arguments={"time": n})
            stack.append((iter(item[1]), b.end_block))
        elif kind == "node":
            b.begin_node("linux")
            stack.append((iter(item[1]), b.end_block))
        elif kind == "parallel":
            names = [f"b{n}-{i}" for i in range(len(item[1]))]
            b.begin_parallel(*names)
            stack.append(
                (iter([("branch", name, body) for name, body in zip(names, item[1], strict=True)]), b.end_block)
            )
        elif kind == "branch":
            b.enter_branch(item[1])
            stack.append((iter(item[2]), b.leave_branch))
        elif kind == "retry":
            cm = b.retry(len(item[1]))
            handle = cm.__enter__()
            attempts = [("attempt", handle, body, i < len(item[1]) - 1) for i, body in enumerate(item[1])]
            stack.append((iter(attempts), lambda cm=cm: cm.__exit__(None, None, None)))
        elif kind == "attempt":
            close = _enter(item[1].attempt())
            stack.append((iter(list(item[2]) + ([("fail",)] if item[3] else [])), close))
        elif kind in ("try", "catch"):
            close = _enter(b.try_catch() if kind == "try" else b.catch_error())
            stack.append((iter(list(item[1]) + ([("fail",)] if item[2] else [])), close))
        elif kind == "fail":
            b.fail(f"failure {n}")
        else:
            raise AssertionError(f"unknown program item {item!r}")
    return b.build()
