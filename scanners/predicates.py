"""Node predicates: plain callables that combine with ``&``, ``|`` and ``~``.

Every scanner method that takes a predicate accepts any ``Callable[[FlowNode], bool]``; the
ones here are :class:`NodePredicate` objects, which also compose and print readably:

>>> from flowgraph import GraphBuilder
>>> from scanners import DepthFirstScanner
>>> b = GraphBuilder()
>>> with b.stage("Build"):
...     _ = b.step("sh", script="make")
...     _ = b.step("echo", message="ok")
>>> wanted = step_name("sh") | (step_name("echo") & ~has_error)
>>> wanted
(step_name('sh') | (step_name('echo') & ~has_error))
>>> [n.function_name for n in DepthFirstScanner().filtered_nodes(b.build().graph, wanted)]
['echo', 'sh']

:func:`step_name` is Jenkins' ``NodeStepNamePredicate`` (by descriptor id) and
``NodeStepTypePredicate`` (by function name) in one. As in Jenkins, a block step's end node
records its step too, so ``step_name("stage")`` matches the ends of stage blocks as well; combine
with :data:`is_block_start` for starts only.
"""

from __future__ import annotations

from collections.abc import Callable

from flowgraph.actions import ErrorAction, LabelAction, StageAction
from flowgraph.node import FlowNode, NodeKind
from flowgraph.steps import STAGE_STEP, descriptor_id, function_name
from scanners.parallels import is_branch_start, is_parallel_start

__all__ = [
    "NodePredicate",
    "predicate",
    "step_name",
    "has_action",
    "has_label",
    "is_stage",
    "is_parallel_branch",
    "is_parallel",
    "has_error",
    "is_block_start",
    "is_block_end",
    "is_atom",
]

_BLOCK_START = NodeKind.BLOCK_START
_FLOW_START = NodeKind.FLOW_START
_BLOCK_END = NodeKind.BLOCK_END
_FLOW_END = NodeKind.FLOW_END

NodeTest = Callable[[FlowNode], bool]


class NodePredicate:
    """A named node test; ``a & b``, ``a | b`` and ``~a`` build new predicates (plain callables welcome)."""

    __slots__ = ("_name", "_test")

    def __init__(self, test: NodeTest, name: str) -> None:
        self._test = test
        self._name = name

    def __call__(self, node: FlowNode) -> bool:
        return self._test(node)

    def __and__(self, other: NodeTest) -> NodePredicate:
        first, second = self._test, other
        return NodePredicate(lambda n: first(n) and second(n), f"({self._name} & {_name_of(other)})")

    def __rand__(self, other: NodeTest) -> NodePredicate:
        first, second = other, self._test
        return NodePredicate(lambda n: first(n) and second(n), f"({_name_of(other)} & {self._name})")

    def __or__(self, other: NodeTest) -> NodePredicate:
        first, second = self._test, other
        return NodePredicate(lambda n: first(n) or second(n), f"({self._name} | {_name_of(other)})")

    def __ror__(self, other: NodeTest) -> NodePredicate:
        first, second = other, self._test
        return NodePredicate(lambda n: first(n) or second(n), f"({_name_of(other)} | {self._name})")

    def __invert__(self) -> NodePredicate:
        test = self._test
        return NodePredicate(lambda n: not test(n), f"~{self._name}")

    def __repr__(self) -> str:
        return self._name


def _name_of(test: NodeTest) -> str:
    if isinstance(test, NodePredicate):
        return repr(test)
    return getattr(test, "__name__", repr(test))


def predicate(test: NodeTest, name: str | None = None) -> NodePredicate:
    """Wrap any node test so it composes with ``&``, ``|``, ``~``.

    Examples
    --------
    >>> slow = predicate(lambda n: (n.start_ms or 0) > 5_000, "slow")
    >>> slow & ~has_error
    (slow & ~has_error)
    """
    return NodePredicate(test, name if name is not None else _name_of(test))


def step_name(name: str) -> NodePredicate:
    """Nodes of the step with this function name (``"sh"``) or descriptor id; never flow start/end.

    Examples
    --------
    >>> from flowgraph import FlowNode, NodeKind
    >>> shell = "org.jenkinsci.plugins.workflow.steps.durable_task.ShellStep"
    >>> sh = FlowNode("3", NodeKind.ATOM, ("2",), descriptor_id=shell)
    >>> step_name("sh")(sh), step_name(shell)(sh)
    (True, True)
    """
    targets = frozenset((name, descriptor_id(name)))

    def test(node: FlowNode) -> bool:
        descriptor = node.descriptor_id
        if descriptor is None:
            return False
        return descriptor in targets or function_name(descriptor) == name

    return NodePredicate(test, f"step_name({name!r})")


def has_action(action_type: type[object]) -> NodePredicate:
    """Nodes carrying an action of this type (or a subclass): Jenkins' ``hasActionPredicate``."""

    def test(node: FlowNode) -> bool:
        return node is not None and node.has_action(action_type)

    return NodePredicate(test, f"has_action({action_type.__name__})")


def has_label(name: str | None = None) -> NodePredicate:
    """Nodes with a label (stage names, ``Branch: x``); with ``name``, that exact display name."""
    if name is None:
        return NodePredicate(lambda n: n.has_action(LabelAction), "has_label()")

    def test(node: FlowNode) -> bool:
        label = node.get_action(LabelAction)
        return label is not None and label.display_name == name

    return NodePredicate(test, f"has_label({name!r})")


def _is_stage(node: FlowNode) -> bool:
    kind = node.kind
    if kind is _BLOCK_START:
        return node.descriptor_id == STAGE_STEP and node.has_action(LabelAction)
    if kind is _BLOCK_END or kind is _FLOW_END:
        return False
    return node.has_action(StageAction)


is_stage = NodePredicate(_is_stage, "is_stage")
"""A stage's first node: the labelled body start of a ``stage`` block, or a legacy stage marker."""

is_parallel_branch = NodePredicate(is_branch_start, "is_parallel_branch")
"""The start node of one parallel branch (it carries the branch name)."""

is_parallel = NodePredicate(is_parallel_start, "is_parallel")
"""The start node of a whole ``parallel`` step."""

has_error = NodePredicate(lambda n: n.has_action(ErrorAction), "has_error")
"""Nodes with an ErrorAction (a failed step, or a block end the failure went through)."""

is_block_start = NodePredicate(lambda n: n.kind is _BLOCK_START or n.kind is _FLOW_START, "is_block_start")
"""Block starts, the flow start included (Jenkins' ``MATCH_BLOCK_START``)."""

is_block_end = NodePredicate(lambda n: n.kind is _BLOCK_END or n.kind is _FLOW_END, "is_block_end")
"""Block ends, the flow end included."""

is_atom = NodePredicate(lambda n: n.kind is NodeKind.ATOM, "is_atom")
"""Atom (single step) nodes."""
