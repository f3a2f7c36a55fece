"""Small example pipelines (module-level factories, so they can be recorded and resumed).

Examples
--------
>>> [s.name for s in greeting_pipeline("you").steps()]
['greet', 'shout']
"""

from __future__ import annotations

from flowgraph.recorder.logs import log
from flowgraph.recorder.pipeline import Parallel, Pipeline, Stage, Step

__all__ = ["greeting_pipeline", "greet", "shout", "noop", "noop_pipeline"]


def greet(who: str) -> str:
    """Say hello (and log it)."""
    log(f"greeting {who}")
    return f"hello {who}"


def shout(greet: str) -> str:
    """Upper-case the greeting."""
    return greet.upper()


def noop() -> None:
    """Do nothing (benchmarks measure the recorder, not the step)."""
    return None


def greeting_pipeline(who: str = "world") -> Pipeline:
    """A stage with one step, then a step that uses its result."""
    return Pipeline(
        [Stage("Greet", [Step("greet", greet, args={"who": who})]), Step("shout", shout, requires=["greet"])]
    )


def noop_pipeline(n: int = 10, branches: int = 0) -> Pipeline:
    """``n`` no-op steps in a row (or spread over ``branches`` parallel branches)."""
    if branches:
        per = {f"b{b}": [Step(f"t{b}_{i}", noop) for i in range(n // branches)] for b in range(branches)}
        return Pipeline([Parallel(per)], name="noop")
    return Pipeline([Step(f"t{i:05d}", noop) for i in range(n)], name="noop")
