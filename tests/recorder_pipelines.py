"""Module-level factories and step functions for the recorder tests (importable, so resumable)."""

from __future__ import annotations

import os
from typing import Any

from flowgraph.recorder import Parallel, Pipeline, Retry, Stage, Step, log

__all__ = ["shapes_pipeline", "side_effect_pipeline", "append_step", "flaky", "fail_step", "value"]

_FLAKY_CALLS: dict[str, int] = {}


def value(x: Any = None) -> Any:
    return x


def fail_step(message: str = "boom") -> None:
    raise RuntimeError(message)


def flaky(key: str, fail_times: int) -> str:
    """Fails the first ``fail_times`` calls (per key, in this process)."""
    count = _FLAKY_CALLS.get(key, 0)
    _FLAKY_CALLS[key] = count + 1
    if count < fail_times:
        raise RuntimeError(f"{key} attempt {count + 1} failed")
    return f"{key} ok"


class SimulatedCrash(BaseException):
    """Stands for the process dying: not an Exception, so the recorder does not record it as a failure."""


def append_step(side_log: str, name: str, **inputs: Any) -> str:
    """Appends the step's name to a side-effect file (proves how many times it ran).

    When the environment names this step in ``FLOWGRAPH_TEST_CRASH_AT``, it "dies" after its
    side effect and before its completion is recorded: the in-flight step of a crash.
    """
    with open(side_log, "a", encoding="utf-8") as handle:
        handle.write(name + "\n")
    log(f"ran {name}")
    if os.environ.get("FLOWGRAPH_TEST_CRASH_AT") == name:
        raise SimulatedCrash(name)
    return f"{name}:{len(inputs)}"


def shapes_pipeline(fail_lint: bool = False) -> Pipeline:
    lint: list[Any] = [Step("lint", fail_step if fail_lint else value, args={} if fail_lint else {"x": 1})]
    return Pipeline(
        [
            Stage("Build", [Step("compile", value, args={"x": "make"})]),
            Parallel({"unit": [Step("unit", value, args={"x": 2})], "lint": lint}, name="tests"),
            Retry(2, [Step("deploy", value, args={"x": 3})], name="deploy"),
        ]
    )


def side_effect_pipeline(side_log: str, layout: str = "same", n: int = 6) -> Pipeline:
    """Steps s0..s{n-1} in stage A then stage B; ``layout`` varies the definition for resume scenarios."""

    def st(name: str, **kw: Any) -> Step:
        return Step(name, append_step, args={"side_log": side_log, "name": name}, **kw)

    names = [f"s{i}" for i in range(n)]
    half = n // 2
    if layout == "same":
        return Pipeline([Stage("A", [st(x) for x in names[:half]]), Stage("B", [st(x) for x in names[half:]])])
    raise ValueError(layout)


def scenario_pipeline(side_log: str, layout: str = "same") -> Pipeline:
    """Named layouts of one pipeline, for the resume scenarios (the factory reads ``layout``)."""

    def st(name: str, version: str = "1", **kw: Any) -> Step:
        return Step(name, append_step, args={"side_log": side_log, "name": name}, version=version, **kw)

    if layout == "same":
        return Pipeline(
            [Stage("A", [st("s0"), st("s1"), st("s2", requires={"up": "s1"})]), Stage("B", [st("s3"), st("s4")])]
        )
    if layout == "added":
        return Pipeline([Stage("A", [st("new0"), st("s0"), st("s1"), st("s2", requires={"up": "s1"})]),
                         Stage("B", [st("s3"), st("s4"), st("new1")])])  # fmt: skip
    if layout == "removed":
        return Pipeline([Stage("A", [st("s0"), st("s2")]), Stage("B", [st("s3"), st("s4")])])
    if layout == "changed":
        return Pipeline([Stage("A", [st("s0"), st("s1", version="2"), st("s2", requires={"up": "s1"})]),
                         Stage("B", [st("s3"), st("s4")])])  # fmt: skip
    if layout == "split":
        return Pipeline([Stage("A", [st("s0"), st("s1a", replaces=["s1"]), st("s1b", replaces=["s1"]),
                                     st("s2", requires={"up": "s1a"})]),
                         Stage("B", [st("s3"), st("s4")])])  # fmt: skip
    if layout == "merged":
        return Pipeline([Stage("A", [st("s01", replaces=["s0", "s1"]), st("s2", requires={"up": "s01"})]),
                         Stage("B", [st("s3"), st("s4")])])  # fmt: skip
    if layout == "moved":
        return Pipeline([Stage("A", [st("s0")]), Stage("C", [st("s1"), st("s2", requires={"up": "s1"})]),
                         Parallel({"x": [st("s3")], "y": [st("s4")]}, name="xy")])  # fmt: skip
    raise ValueError(layout)


def parallel_pipeline(side_log: str) -> Pipeline:
    def st(name: str) -> Step:
        return Step(name, append_step, args={"side_log": side_log, "name": name})

    branches = {"a": [st("a0"), st("a1")], "b": [st("b0"), st("b1")]}
    return Pipeline([Stage("prep", [st("p0")]), Parallel(branches, name="ab"), st("z0")])


def retry_pipeline(side_log: str, key: str, fail_times: int) -> Pipeline:
    setup = Step("setup", append_step, args={"side_log": side_log, "name": "setup"})
    return Pipeline([Retry(3, [setup, Step("flaky", flaky, args={"key": key, "fail_times": fail_times})], name="r")])


def process_pipeline() -> Pipeline:
    return Pipeline([Parallel({"a": [Step("pa", value, args={"x": 1})], "b": [Step("pb", value, args={"x": 2})]},
                              processes=True)])  # fmt: skip


def not_a_pipeline() -> int:
    return 3


def not_json_pipeline() -> Pipeline:
    return Pipeline([Step("bad", set)])
