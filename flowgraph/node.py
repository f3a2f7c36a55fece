"""The flow node: one vertex of a pipeline's backward-linked flow graph.

A node stores only the ids of its parents (the nodes that ran just before it), never
references to node objects. That keeps nodes small, lets a graph grow while it runs, and
means nothing about a node (``repr``, equality, hashing) can ever recurse through the graph.

Examples
--------
>>> from flowgraph.actions import TimingAction
>>> n = FlowNode("3", NodeKind.ATOM, ("2",), descriptor_id="org.jenkinsci.plugins.workflow.steps.EchoStep",
...              actions=[TimingAction(1000)])
>>> n.function_name, n.start_ms, n.display_name
('echo', 1000, 'Print Message')
>>> n
FlowNode(id='3', kind=ATOM, parents=('2',), step='echo')
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import NoReturn, TypeVar

from flowgraph.actions import (
    Action,
    ArgumentsAction,
    BodyInvocationAction,
    ErrorAction,
    LabelAction,
    NotExecutedNodeAction,
    ThreadNameAction,
    TimingAction,
)
from flowgraph.errors import InvalidValueError
from flowgraph.result import Result
from flowgraph.steps import display_name_of, function_name

__all__ = ["NodeKind", "FlowNode"]

_T = TypeVar("_T")


class NodeKind(Enum):
    """The structural role of a node. Flow start/end are block start/end too (Jenkins' rule)."""

    FLOW_START = "flow-start"
    FLOW_END = "flow-end"
    BLOCK_START = "block-start"
    BLOCK_END = "block-end"
    ATOM = "atom"

    @property
    def is_block_start(self) -> bool:
        return self in _STARTS

    @property
    def is_block_end(self) -> bool:
        return self in _ENDS

    def __repr__(self) -> str:
        return self.name


_STARTS = frozenset({NodeKind.BLOCK_START, NodeKind.FLOW_START})
_ENDS = frozenset({NodeKind.BLOCK_END, NodeKind.FLOW_END})
_FLOW_START = NodeKind.FLOW_START
_FLOW_END = NodeKind.FLOW_END
_BLOCK_END = NodeKind.BLOCK_END


class FlowNode:
    """One node of a flow graph.

    Parameters
    ----------
    id
        Decimal string id, unique in the run (Jenkins ids have gaps: 2, 3, 4, 9, 10 is legal).
    kind
        Structural role; see :class:`NodeKind`.
    parent_ids
        Ids of the nodes that precede this one; several only for the end of a parallel
        (branch ends in declaration order), none only for the flow start.
    start_id
        For block ends (and the flow end): the id of the matching block start.
    descriptor_id
        The step's descriptor id; None for the flow start and end.
    actions
        The node's actions, in order.
    display_name
        An explicit display name; by default it is derived as Jenkins does.
    result
        The run result recorded on a flow end node.

    Structural fields are read-only. Actions may be added (Jenkins adds an ErrorAction when a
    step fails, after the node was created); a storage must then be told to store the node again.
    """

    __slots__ = ("_actions", "_display_name", "descriptor_id", "id", "kind", "parent_ids", "result", "start_id")

    id: str
    kind: NodeKind
    parent_ids: tuple[str, ...]
    start_id: str | None
    descriptor_id: str | None
    result: Result | None
    _actions: tuple[Action, ...]
    _display_name: str | None

    def __init__(
        self,
        id: str,
        kind: NodeKind,
        parent_ids: Iterable[str] = (),
        *,
        start_id: str | None = None,
        descriptor_id: str | None = None,
        actions: Iterable[Action] = (),
        display_name: str | None = None,
        result: Result | None = None,
    ) -> None:
        parents = parent_ids if type(parent_ids) is tuple else tuple(parent_ids)
        if type(id) is not str or not id or type(kind) is not NodeKind:
            _refuse_id_or_kind(id, kind)
        for parent in parents:
            if type(parent) is not str:
                raise InvalidValueError(f"node {id}: parent ids must be strings, not {parent!r}")
        if kind is _BLOCK_END or kind is _FLOW_END:
            if type(start_id) is not str:
                raise InvalidValueError(f"block end node {id} needs a start_id (a node id string), not {start_id!r}")
        elif start_id is not None:
            raise InvalidValueError(f"node {id} is not a block end and cannot have start_id {start_id}")
        if kind is _FLOW_START and parents:
            raise InvalidValueError(f"flow start node {id} cannot have parents {parents}")
        # The slots' own descriptors, called directly: several times cheaper than
        # object.__setattr__, and node construction is the hot path of every storage load.
        _set_id(self, id)
        _set_kind(self, kind)
        _set_parents(self, parents)
        _set_start(self, start_id)
        _set_descriptor(self, descriptor_id)
        _set_actions(self, actions if type(actions) is tuple else tuple(actions))
        _set_display_name(self, display_name)
        _set_result(self, result)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"FlowNode.{name} is read-only; build a new node or use add_action()")

    # -- actions -------------------------------------------------------------------------

    @property
    def actions(self) -> tuple[Action, ...]:
        """All actions, in the order they were added."""
        return self._actions

    def get_action(self, action_type: type[_T]) -> _T | None:
        """The first action that is an instance of ``action_type``, or None."""
        for action in self._actions:
            if isinstance(action, action_type):
                return action
        return None

    def get_actions(self, action_type: type[_T]) -> list[_T]:
        """Every action that is an instance of ``action_type``, in order."""
        return [a for a in self._actions if isinstance(a, action_type)]

    def has_action(self, action_type: type[object]) -> bool:
        return any(isinstance(a, action_type) for a in self._actions)

    def add_action(self, action: Action) -> None:
        """Append an action (as Jenkins' ``FlowNode.addAction``). Store the node again to persist it."""
        _set_actions(self, self._actions + (action,))

    def replace_action(self, action: Action) -> None:
        """Replace every action of the same type by ``action`` (``addOrReplaceAction``)."""
        kept = tuple(a for a in self._actions if type(a) is not type(action))
        _set_actions(self, kept + (action,))

    # -- structure -----------------------------------------------------------------------

    @property
    def is_block_start(self) -> bool:
        return self.kind in _STARTS

    @property
    def is_block_end(self) -> bool:
        return self.start_id is not None

    @property
    def is_atom(self) -> bool:
        return self.kind is NodeKind.ATOM

    @property
    def function_name(self) -> str | None:
        """The step's function name (``sh``, ``stage``, ``parallel``…); None for flow start/end."""
        return function_name(self.descriptor_id)

    # -- convenience views on common actions --------------------------------------------

    @property
    def start_ms(self) -> int | None:
        """Creation time (epoch ms) from the TimingAction; None when the node has none."""
        timing = self.get_action(TimingAction)
        return timing.start_ms if timing is not None else None

    @property
    def label(self) -> str | None:
        """The LabelAction's display name (stage name, ``Branch: x``), or None."""
        label = self.get_action(LabelAction)
        return label.display_name if label is not None else None

    @property
    def thread_name(self) -> str | None:
        """The parallel branch name, for a branch start node."""
        thread = self.get_action(ThreadNameAction)
        return thread.thread_name if thread is not None else None

    @property
    def error(self) -> ErrorAction | None:
        return self.get_action(ErrorAction)

    @property
    def arguments(self) -> ArgumentsAction | None:
        return self.get_action(ArgumentsAction)

    @property
    def is_body(self) -> bool:
        """True for the inner (body invocation) block start or end of a block step."""
        return self.get_action(BodyInvocationAction) is not None

    @property
    def not_executed(self) -> bool:
        return self.get_action(NotExecutedNodeAction) is not None

    @property
    def display_name(self) -> str:
        """What Jenkins shows for the node: its label, else the step's display name."""
        if self._display_name is not None:
            return self._display_name
        label = self.label
        if label is not None:
            return label
        kind = self.kind
        if kind is NodeKind.FLOW_START:
            return "Start of Pipeline"
        if kind is NodeKind.FLOW_END:
            return "End of Pipeline"
        base = display_name_of(self.descriptor_id) or self.function_name or "Step"
        if kind is NodeKind.ATOM:
            return base
        body = " : Body" if self.is_body else ""
        return f"{base}{body} : {'Start' if kind is NodeKind.BLOCK_START else 'End'}"

    def argument_summary(self) -> str | None:
        """The one-line argument text for the step (e.g. the shell command), or None."""
        arguments = self.arguments
        return arguments.summary(self.function_name) if arguments is not None else None

    # -- value semantics (never touches other nodes) ------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FlowNode):
            return NotImplemented
        return (
            self.id == other.id
            and self.kind is other.kind
            and self.parent_ids == other.parent_ids
            and self.start_id == other.start_id
            and self.descriptor_id == other.descriptor_id
            and self.result == other.result
            and self._display_name == other._display_name
            and self._actions == other._actions
        )

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        extra = f", start={self.start_id!r}" if self.start_id is not None else ""
        step = self.function_name
        step_text = f", step={step!r}" if step is not None else ""
        return f"FlowNode(id={self.id!r}, kind={self.kind.name}, parents={self.parent_ids!r}{extra}{step_text})"

    def __reduce__(self) -> tuple[object, ...]:
        return (
            _from_storage,
            (
                self.id,
                self.kind,
                self.parent_ids,
                self.start_id,
                self.descriptor_id,
                self._actions,
                self._display_name,
                self.result,
            ),
        )


def _refuse_id_or_kind(id: object, kind: object) -> NoReturn:
    if type(id) is not str or not id:
        raise InvalidValueError(f"a node id must be a non-empty string, not {id!r}")
    hint = f" (did you mean NodeKind.{kind}?)" if isinstance(kind, str) and kind in NodeKind.__members__ else ""
    raise InvalidValueError(f"node {id}: kind must be a NodeKind, not {kind!r}{hint}")


_SLOT = FlowNode.__dict__
_set_id = _SLOT["id"].__set__
_set_kind = _SLOT["kind"].__set__
_set_parents = _SLOT["parent_ids"].__set__
_set_start = _SLOT["start_id"].__set__
_set_descriptor = _SLOT["descriptor_id"].__set__
_set_actions = _SLOT["_actions"].__set__
_set_display_name = _SLOT["_display_name"].__set__
_set_result = _SLOT["result"].__set__


def _fill_slots(
    node: FlowNode,
    id: str,
    kind: NodeKind,
    parent_ids: tuple[str, ...],
    start_id: str | None,
    descriptor_id: str | None,
    actions: tuple[Action, ...],
    display_name: str | None,
    result: Result | None,
) -> None:
    """Fill a bare ``FlowNode.__new__`` object as the constructor would, without its checks.

    Only for the storage decoders of this package, which make the same checks on their own
    (and hand the input to the general decoder when one fails): skipping the keyword-argument
    call and the re-checks is a noticeable share of loading 10,000 nodes.
    """
    _set_id(node, id)
    _set_kind(node, kind)
    _set_parents(node, parent_ids)
    _set_start(node, start_id)
    _set_descriptor(node, descriptor_id)
    _set_actions(node, actions)
    _set_display_name(node, display_name)
    _set_result(node, result)


def _from_storage(
    id: str,
    kind: NodeKind,
    parent_ids: tuple[str, ...],
    start_id: str | None,
    descriptor_id: str | None,
    actions: tuple[Action, ...],
    display_name: str | None,
    result: Result | None,
) -> FlowNode:
    """A node read back by a storage, with the constructor's checks but without its per-field calls.

    Bulk reloads build a node per row; filling the slots directly saves a third of that. Anything
    the constructor would refuse goes through the constructor, which raises its ValueError.
    """
    is_end = kind is NodeKind.BLOCK_END or kind is NodeKind.FLOW_END
    if is_end is (start_id is None) or (parent_ids and kind is NodeKind.FLOW_START):
        return FlowNode(id, kind, parent_ids, start_id=start_id, descriptor_id=descriptor_id, actions=actions,
                        display_name=display_name, result=result)  # fmt: skip
    node: FlowNode = object.__new__(FlowNode)
    _fill_slots(node, id, kind, parent_ids, start_id, descriptor_id, actions, display_name, result)
    return node
