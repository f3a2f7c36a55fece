"""Console output of steps and stages, for notebooks, the CLI and the HTML page.

Jenkins keeps a run's console output in the build directory (``log`` + ``log-index``, or one
``<id>.log`` per node in old runs; see :mod:`flowgraph.jenkins.logs`). This module answers the
questions a person debugging a run asks: *what did this step print*, *what did this stage
print* (every step under it, in order), *what were the last lines*. Everything streams: a
gigabyte log is read in bounded chunks and :func:`tail_lines` keeps only the lines it returns.

A run that was not loaded from a Jenkins build directory (a SQL store, a builder) has no log
files: :func:`has_logs` says so, and the readers raise :class:`~flowgraph.StorageError`.

Examples
--------
>>> import tempfile
>>> from flowgraph import GraphBuilder
>>> from flowgraph.jenkins.runs import load_run, save_run
>>> b = GraphBuilder(start_ms=0)
>>> with b.stage("Build"):
...     step = b.step("sh", script="make")
>>> where = tempfile.mkdtemp()
>>> save_run(b.build(), where)
>>> run = load_run(where)
>>> has_logs(run), step_log(run, step.id)
(False, '')
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from flowgraph.node import FlowNode
from flowgraph.run import Run
from scanners.stage_tree import StageNode, StepInfo, walk_stages

__all__ = ["LogTail", "has_logs", "iter_step_log", "step_log", "iter_stage_log", "tail_lines"]

_MAX_LINE = 1 << 16

NodeRef = FlowNode | StepInfo | str


class LogTail(NamedTuple):
    """The last ``lines`` of a log and how many lines came before them (``skipped``)."""

    lines: tuple[str, ...]
    skipped: int

    @property
    def text(self) -> str:
        """The kept lines joined back into text (each with its newline)."""
        return "".join(line if line.endswith("\n") else line + "\n" for line in self.lines)


def _node_id(node: NodeRef) -> str:
    return node if isinstance(node, str) else node.id


def has_logs(run: Run) -> bool:
    """True when the run was loaded from a Jenkins build directory that holds console output.

    >>> from flowgraph import GraphBuilder
    >>> has_logs(GraphBuilder().build())
    False
    """
    where = run.metadata.get("build_dir")
    if where is None:
        return False
    build_dir = Path(where)
    if (build_dir / "log").is_file():
        return True
    return any(build_dir.glob("*.log"))


def iter_step_log(run: Run, node: NodeRef) -> Iterator[str]:
    """A step's (any node's) console output as text chunks, console notes removed.

    >>> from flowgraph import GraphBuilder
    >>> list(iter_step_log(GraphBuilder().build(), "2"))
    Traceback (most recent call last):
    ...
    flowgraph.errors.StorageError: this run was not loaded from a Jenkins build directory; it has no log files
    """
    from flowgraph.jenkins.logs import iter_node_log  # lxml and the codec load only when logs are read

    return iter_node_log(run, _node_id(node))


def step_log(run: Run, node: NodeRef) -> str:
    """A step's whole console output ('' when it printed nothing); see :func:`iter_step_log`."""
    return "".join(iter_step_log(run, node))


def iter_stage_log(run: Run, stage: StageNode) -> Iterator[tuple[StepInfo, Iterator[str]]]:
    """Each step of a stage and of everything nested in it, in tree order, with its log chunks.

    The chunks of one step must be consumed before asking for the next step's (they stream
    from the same files). Nested stages are walked without recursion.
    """
    for inner in walk_stages([stage]):
        for step in inner.steps:
            yield step, iter_step_log(run, step)


def tail_lines(chunks: Iterable[str], count: int) -> LogTail:
    """The last ``count`` lines of a text stream, keeping only those in memory.

    >>> tail_lines(["a\\nb\\n", "c\\nd"], 2)
    LogTail(lines=('c\\n', 'd'), skipped=2)
    >>> tail_lines(["one\\n"], 0)
    LogTail(lines=(), skipped=1)
    """
    kept: deque[str] = deque(maxlen=count) if count > 0 else deque(maxlen=0)
    total = 0
    partial = ""
    for chunk in chunks:
        if not chunk:
            continue
        pieces = (partial + chunk).split("\n")
        partial = pieces.pop()
        if len(partial) > _MAX_LINE:  # one endless line: keep its end, never the whole
            partial = partial[-_MAX_LINE:]
        for piece in pieces:
            kept.append(piece + "\n")
            total += 1
    if partial:
        kept.append(partial)
        total += 1
    return LogTail(tuple(kept), total - len(kept))
