"""Placeholder nodes: what stands in for a node that is missing or unreadable.

Jenkins' answer to a corrupt node storage is to fake up placeholder nodes so
the run can still be shown, and to never resume it. flowgraph does the same when asked
(``on_corrupt="placeholder"``): each stand-in node carries a :class:`PlaceholderAction` saying
which file or id was broken and why, so nothing is skipped silently, and the execution record is
marked ``storage_corrupt`` so :meth:`~flowgraph.FlowExecution.can_resume` refuses.

Examples
--------
>>> node = placeholder_node("7", parents=("6",), reason="workflow/7.xml: truncated")
>>> node.kind, node.parent_ids, is_placeholder(node), node.display_name
(ATOM, ('6',), True, 'Missing node 7')
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import ClassVar

from flowgraph.actions import Action, LabelAction, register_action
from flowgraph.node import FlowNode, NodeKind

__all__ = ["PlaceholderAction", "placeholder_node", "is_placeholder"]


@register_action
@dataclasses.dataclass(frozen=True, slots=True)
class PlaceholderAction(Action):
    """Marks a node made up by the loader; ``reason`` says what was wrong with the real one."""

    kind: ClassVar[str] = "flowgraph.Placeholder"
    reason: str


def placeholder_node(
    node_id: str,
    *,
    parents: Sequence[str] = (),
    reason: str,
    kind: NodeKind = NodeKind.ATOM,
    start_id: str | None = None,
) -> FlowNode:
    """A stand-in for a missing or broken node, marked with a :class:`PlaceholderAction`."""
    return FlowNode(
        node_id,
        kind,
        tuple(parents),
        start_id=start_id,
        actions=[PlaceholderAction(reason), LabelAction(f"Missing node {node_id}")],
    )


def is_placeholder(node: FlowNode) -> bool:
    """True for a node the loader made up in place of a missing or broken one."""
    return node.get_action(PlaceholderAction) is not None
