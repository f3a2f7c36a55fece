"""The run as the modern Jenkins view shows it: a tree of stages and parallel branches, with steps.

pipeline-graph-view (Jenkins' current pipeline UI) turns a flow graph into nested
``PipelineStage``s, each with its status, timing, child stages and steps
(``reference/status-and-timing.md`` Part 2). :func:`stage_tree` returns the same model, built
in one linear pass by :func:`scanners.analysis.analyze`:

* a :class:`StageNode` per stage (id = the stage's *body* start node, which carries its label),
  per parallel branch (id = the branch start) and per ``parallel`` step that is not the only
  content of a stage (id = the parallel's start node); ``node``, ``timeout``, ``retry`` and
  other block steps are not nodes: what they contain belongs to the nearest stage or branch;
* declarative shapes are simplified as the view does: a ``parallel`` that is a stage's only
  child is merged into the stage (its branches become the stage's children), and a stage that is
  the only child of a branch of the same name is merged into the branch;
* children of a stage that did not run (skipped, or not executed after a restart) are dropped;
* each step (atom node) is a :class:`StepInfo` under its nearest stage or branch.

Statuses follow Jenkins' chunk rules, with one deliberate improvement: a stage or branch is at
least as bad as its worst child (Jenkins reports a parent whose child failed as SUCCESS when the
child's error was caught inside the parent; here it is FAILURE).

Nothing here recurses: trees of any depth are walked with :func:`walk_stages`.

Examples
--------
>>> from flowgraph import GraphBuilder
>>> b = GraphBuilder(start_ms=0, step_ms=100)
>>> with b.stage("Build"):
...     _ = b.step("sh", script="make")
>>> with b.stage("Test"):
...     with b.parallel("unit", "lint") as par:
...         with par.branch("unit"):
...             _ = b.step("sh", script="pytest")
...         with par.branch("lint"):
...             _ = b.step("sh", script="ruff", error="exit 1")
>>> stages = stage_tree(b.build())
>>> [(s.name, s.status.name, s.duration_ms) for s in stages]
[('Build', 'SUCCESS', 300), ('Test', 'FAILURE', 1000)]
>>> [(c.name, c.type.name, c.status.name) for c in stages[1].children]
[('unit', 'PARALLEL_BRANCH', 'SUCCESS'), ('lint', 'PARALLEL_BRANCH', 'FAILURE')]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from enum import Enum
from typing import TYPE_CHECKING, NamedTuple

from flowgraph.node import FlowNode
from flowgraph.run import Run
from scanners.status import Status

if TYPE_CHECKING:
    from scanners.timing import TimingInfo

__all__ = ["StageType", "StageNode", "StepInfo", "stage_tree", "walk_stages"]


class StageType(Enum):
    """What a :class:`StageNode` stands for (pipeline-graph-view's node types)."""

    STAGE = "STAGE"
    PARALLEL_BRANCH = "PARALLEL"
    PARALLEL_BLOCK = "PARALLEL_BLOCK"

    def __repr__(self) -> str:
        return f"StageType.{self.name}"


class StepInfo(NamedTuple):
    """One step (atom node) of the run: what ran, how it went, how long it took.

    ``arguments`` is the step's one-line argument summary (the shell script, the echoed
    message…), ``error`` the message of the error the step raised; both None when absent.
    ``start_ms``/``duration_ms`` are None where the graph lacks timing (never guessed as 0).
    ``stage_id`` is the id of the :class:`StageNode` the step belongs to (None outside stages).
    An immutable named tuple (a run has as many steps as nodes, so they must be cheap); the
    descriptive fields are read from the node when asked for.
    """

    node: FlowNode
    status: Status
    start_ms: int | None
    duration_ms: int | None
    pause_ms: int
    stage_id: str | None

    @property
    def id(self) -> str:
        return self.node.id

    @property
    def function_name(self) -> str | None:
        """The step's function name (``sh``, ``echo``…)."""
        return self.node.function_name

    @property
    def name(self) -> str:
        """The step's display name as Jenkins shows it (``Shell Script``)."""
        return self.node.display_name

    @property
    def arguments(self) -> str | None:
        """One-line summary of the step's arguments, or None."""
        return self.node.argument_summary()

    @property
    def error(self) -> str | None:
        """The message of the step's error (its type when there is no message), or None."""
        error = self.node.error
        if error is None:
            return None
        return error.message if error.message is not None else error.error_type

    @property
    def end_ms(self) -> int | None:
        if self.start_ms is None or self.duration_ms is None:
            return None
        return self.start_ms + self.duration_ms

    def __repr__(self) -> str:
        return (
            f"StepInfo(id={self.id!r}, function_name={self.function_name!r}, status={self.status.name}, "
            f"start_ms={self.start_ms!r}, duration_ms={self.duration_ms!r})"
        )


class StageNode:
    """A stage, a parallel branch or a parallel block, with its status, timing, children and steps.

    Attributes
    ----------
    id
        Flow-node id: the stage's body start, the branch start, or the parallel start.
    name
        The stage label, the branch name, or ``"Parallel"`` for a parallel block.
    type
        A :class:`StageType`.
    status
        Its :class:`~scanners.Status` (at least as bad as any of its children's).
    start_ms, duration_ms, pause_ms
        Timing in epoch ms / ms; a running node's duration runs up to the run's clock.
        None where the graph lacks timing.
    children, steps
        Child stages/branches and the node's own steps, in creation order.
    parent_id, depth
        The parent node's id (None at top level) and nesting depth (0 at top level).
    skipped
        True for a declarative stage skipped by ``when`` or after an earlier failure.
    """

    __slots__ = (
        "children",
        "depth",
        "duration_ms",
        "id",
        "name",
        "parent_id",
        "pause_ms",
        "skipped",
        "start_ms",
        "status",
        "steps",
        "type",
    )

    def __init__(
        self,
        id: str,
        name: str,
        type: StageType,
        status: Status,
        timing: TimingInfo,
        *,
        skipped: bool = False,
    ) -> None:
        self.id = id
        self.name = name
        self.type = type
        self.status = status
        self.start_ms = timing.start_ms
        self.duration_ms = timing.total_ms
        self.pause_ms = timing.pause_ms
        self.skipped = skipped
        self.children: list[StageNode] = []
        self.steps: list[StepInfo] = []
        self.parent_id: str | None = None
        self.depth = 0

    @property
    def end_ms(self) -> int | None:
        if self.start_ms is None or self.duration_ms is None:
            return None
        return self.start_ms + self.duration_ms

    def walk(self) -> Iterator[StageNode]:
        """This node and all its descendants, depth-first pre-order (iterative)."""
        return walk_stages([self])

    def __repr__(self) -> str:  # never recurses into children
        return (
            f"StageNode(id={self.id!r}, name={self.name!r}, type={self.type.name}, status={self.status.name}, "
            f"children={len(self.children)}, steps={len(self.steps)})"
        )


def _make_stage(
    id: str,
    name: str,
    type: StageType,
    status: Status,
    start_ms: int | None,
    duration_ms: int | None,
    pause_ms: int,
    skipped: bool,
) -> StageNode:
    """The analysis' constructor: the same node as ``StageNode(...)``, without a TimingInfo."""
    node = _new_stage(StageNode)
    node.id = id
    node.name = name
    node.type = type
    node.status = status
    node.start_ms = start_ms
    node.duration_ms = duration_ms
    node.pause_ms = pause_ms
    node.skipped = skipped
    node.children = []
    node.steps = []
    node.parent_id = None
    node.depth = 0
    return node


_new_stage = object.__new__


def walk_stages(stages: Iterable[StageNode]) -> Iterator[StageNode]:
    """Every node of a stage tree, depth-first pre-order, children in order; no recursion.

    Examples
    --------
    >>> from scanners.timing import TimingInfo
    >>> root = StageNode("3", "A", StageType.STAGE, Status.SUCCESS, TimingInfo(0, 1, 0))
    >>> root.children.append(StageNode("5", "B", StageType.STAGE, Status.SUCCESS, TimingInfo(0, 1, 0)))
    >>> [s.name for s in walk_stages([root])]
    ['A', 'B']
    """
    stack = list(stages)
    stack.reverse()
    while stack:
        node = stack.pop()
        yield node
        children = node.children
        for index in range(len(children) - 1, -1, -1):
            stack.append(children[index])


def stage_tree(run: Run) -> list[StageNode]:
    """The run's top-level stages (and top-level parallel blocks), nested to any depth.

    One linear pass over the graph (see :func:`scanners.analysis.analyze`, which also answers
    status and timing questions about any single node).
    """
    from scanners.analysis import analyze  # analysis builds these nodes; import at call time

    return analyze(run).stages
