"""Jenkins' ``FlowScanningUtils``: small helpers around scans (predicates, orderings, enclosing blocks).

* :func:`fetch_enclosing_blocks`: the blocks around a node, innermost first, lazily.
* :func:`filter_by_action`: the nodes carrying an action type.
* :func:`time_order_compare` / :func:`id_order_compare`: Jenkins' comparators (None last; a node
  without timing after one with); :func:`sort_by_start_time` and :func:`sort_by_id` sort with
  them (stable).
* :class:`FlowScanningUtils`: the same under Jenkins' names, for readers of Jenkins code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cmp_to_key

from flowgraph.actions import TimingAction
from flowgraph.graph import FlowGraph
from flowgraph.node import FlowNode
from scanners.base import Filterator
from scanners.predicates import NodePredicate, has_action, is_block_start

__all__ = [
    "FlowScanningUtils",
    "fetch_enclosing_blocks",
    "filter_by_action",
    "time_order_compare",
    "id_order_compare",
    "sort_by_start_time",
    "sort_by_id",
]

_JAVA_INT = re.compile(r"[+-]?[0-9]+\Z")
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


def fetch_enclosing_blocks(graph: FlowGraph, node: FlowNode) -> Filterator[FlowNode]:
    """The block starts enclosing ``node``, innermost first, fetched lazily (flow start last).

    Examples
    --------
    >>> from flowgraph import GraphBuilder
    >>> b = GraphBuilder()
    >>> with b.stage("Build"):
    ...     sh = b.step("sh", script="make")
    >>> [n.id for n in fetch_enclosing_blocks(b.graph, sh)]
    ['4', '3', '2']
    """
    return Filterator(graph.iterate_enclosing_blocks(node), lambda _: True)


def filter_by_action(nodes: Iterable[FlowNode], action_type: type[object]) -> list[FlowNode]:
    """The nodes that carry an action of ``action_type``, in their given order."""
    test = has_action(action_type)
    return [n for n in nodes if test(n)]


def time_order_compare(first: FlowNode | None, second: FlowNode | None) -> int:
    """Compare by TimingAction start; None sorts last, a node without timing after one with.

    Examples
    --------
    >>> from flowgraph import FlowNode, NodeKind, TimingAction
    >>> early = FlowNode("3", NodeKind.ATOM, ("2",), actions=[TimingAction(10)])
    >>> untimed = FlowNode("4", NodeKind.ATOM, ("3",))
    >>> time_order_compare(early, untimed), time_order_compare(untimed, None), time_order_compare(untimed, untimed)
    (-1, -1, 0)
    """
    if first is None or second is None:
        return _none_last(first, second)
    a, b = first.get_action(TimingAction), second.get_action(TimingAction)
    if a is not None and b is not None:
        return (a.start_ms > b.start_ms) - (a.start_ms < b.start_ms)
    if a is None and b is None:
        return 0
    return -1 if b is None else 1


def _java_int(text: str) -> int | None:
    if not _JAVA_INT.match(text):
        return None
    value = int(text)
    return value if _INT_MIN <= value <= _INT_MAX else None


def id_order_compare(first: FlowNode | None, second: FlowNode | None) -> int:
    """Compare ids numerically when both are integers, else as strings; None sorts last.

    Examples
    --------
    >>> from flowgraph import FlowNode, NodeKind
    >>> nine, ten = FlowNode("9", NodeKind.ATOM, ("2",)), FlowNode("10", NodeKind.ATOM, ("9",))
    >>> id_order_compare(nine, ten), id_order_compare(ten, nine)
    (-1, 1)
    """
    if first is None or second is None:
        return _none_last(first, second)
    a, b = _java_int(first.id), _java_int(second.id)
    if a is not None and b is not None:
        return (a > b) - (a < b)
    return (first.id > second.id) - (first.id < second.id)


def _none_last(first: FlowNode | None, second: FlowNode | None) -> int:
    if first is None and second is None:
        return 0
    return 1 if first is None else -1


def sort_by_start_time(nodes: Iterable[FlowNode]) -> list[FlowNode]:
    """The nodes, earliest start first (stable; untimed nodes last)."""
    return sorted(nodes, key=cmp_to_key(time_order_compare))


def sort_by_id(nodes: Iterable[FlowNode]) -> list[FlowNode]:
    """The nodes in id order (numeric for Jenkins' integer ids; stable)."""
    return sorted(nodes, key=cmp_to_key(id_order_compare))


class FlowScanningUtils:
    """Jenkins' ``FlowScanningUtils`` names over this module's functions."""

    has_action_predicate = staticmethod(has_action)
    MATCH_BLOCK_START: NodePredicate = is_block_start
    TIME_ORDER_COMPARATOR = staticmethod(time_order_compare)
    ID_ORDER_COMPARATOR = staticmethod(id_order_compare)
    fetch_enclosing_blocks = staticmethod(fetch_enclosing_blocks)
    filter_by_action = staticmethod(filter_by_action)
    sort_by_start_time = staticmethod(sort_by_start_time)
    sort_by_id = staticmethod(sort_by_id)

    def __init__(self) -> None:
        raise TypeError("FlowScanningUtils is a namespace of functions; it has no instances")
