"""How a node takes part in a parallel: the classification ForkScanner and chunk visits use.

Jenkins tells parallel nodes apart by step and actions (``reference/scanners.md`` §5):

* a **parallel start** is a block start of the ``parallel`` step *without* a thread name;
* a **branch start** is a block start *with* a thread name (the branch name); in Jenkins it is
  a ``parallel`` step start node too, which is why the thread name is what decides;
* a **parallel end** is a block end with several parents (the branch ends) or whose start is a
  parallel start (a one-branch parallel has one parent);
* block ends take their start's role (branch end, parallel end); everything else is normal.

Block ends need their start node, so the end-side questions take the graph.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from enum import Enum

from flowgraph.actions import ThreadNameAction, TimingAction
from flowgraph.graph import FlowGraph
from flowgraph.node import FlowNode, NodeKind
from flowgraph.steps import PARALLEL_STEP

__all__ = ["NodeType", "is_parallel_start", "is_parallel_end", "is_branch_start", "node_type", "find_last_running_node"]

_BLOCK_START = NodeKind.BLOCK_START
_FLOW_START = NodeKind.FLOW_START
_BLOCK_END = NodeKind.BLOCK_END
_FLOW_END = NodeKind.FLOW_END


class NodeType(Enum):
    """A node's role for parallels, as ForkScanner sees it."""

    NORMAL = "normal"
    PARALLEL_START = "parallel-start"
    PARALLEL_END = "parallel-end"
    PARALLEL_BRANCH_START = "parallel-branch-start"
    PARALLEL_BRANCH_END = "parallel-branch-end"

    def __repr__(self) -> str:
        return f"NodeType.{self.name}"


def _has_thread_name(node: FlowNode) -> bool:
    for action in node.actions:
        if isinstance(action, ThreadNameAction):
            return True
    return False


def is_parallel_start(node: FlowNode | None) -> bool:
    """True for the start of a whole ``parallel`` step (not a branch start: those carry a thread name).

    Examples
    --------
    >>> from flowgraph import FlowNode, NodeKind, ParallelLabelAction
    >>> from flowgraph.steps import PARALLEL_STEP
    >>> start = FlowNode("4", NodeKind.BLOCK_START, ("3",), descriptor_id=PARALLEL_STEP)
    >>> branch = FlowNode("6", NodeKind.BLOCK_START, ("4",), descriptor_id=PARALLEL_STEP,
    ...                   actions=[ParallelLabelAction("a")])
    >>> is_parallel_start(start), is_parallel_start(branch)
    (True, False)
    """
    if node is None:
        return False
    kind = node.kind
    return (
        (kind is _BLOCK_START or kind is _FLOW_START)
        and node.descriptor_id == PARALLEL_STEP
        and not _has_thread_name(node)
    )


def is_parallel_end(graph: FlowGraph, node: FlowNode | None) -> bool:
    """True for a block end with several parents, or whose start is a parallel start."""
    if node is None:
        return False
    kind = node.kind
    if kind is not _BLOCK_END and kind is not _FLOW_END:
        return False
    return len(node.parent_ids) > 1 or is_parallel_start(graph.start_of(node))


def node_type(graph: FlowGraph, node: FlowNode | None) -> NodeType | None:
    """The node's :class:`NodeType` (None for None); block ends take their start's role."""
    if node is None:
        return None
    kind = node.kind
    if kind is _BLOCK_START or kind is _FLOW_START:
        if _has_thread_name(node):
            return NodeType.PARALLEL_BRANCH_START
        return NodeType.PARALLEL_START if is_parallel_start(node) else NodeType.NORMAL
    if kind is _BLOCK_END or kind is _FLOW_END:
        start_type = node_type(graph, graph.start_of(node))  # one level: a start is never an end
        if start_type is NodeType.PARALLEL_BRANCH_START:
            return NodeType.PARALLEL_BRANCH_END
        if start_type is NodeType.PARALLEL_START:
            return NodeType.PARALLEL_END
        return NodeType.NORMAL
    return NodeType.NORMAL


def is_branch_start(node: FlowNode | None) -> bool:
    """True for the start node of one parallel branch (a block start carrying a thread name)."""
    if node is None:
        return False
    kind = node.kind
    return (kind is _BLOCK_START or kind is _FLOW_START) and _has_thread_name(node)


def find_last_running_node(candidates: Sequence[FlowNode]) -> FlowNode | None:
    """The node that began last among running branch tails (Jenkins' ``findLastRunningNode``).

    Nodes that are not block ends (still running) win over block ends (finished branches); among
    the same kind the latest TimingAction start wins, a node without timing counting as the
    newest (Jenkins uses "now" for it). Ties keep the earlier candidate.

    Examples
    --------
    >>> from flowgraph import FlowNode, NodeKind, TimingAction
    >>> a = FlowNode("11", NodeKind.BLOCK_END, ("10",), start_id="7", actions=[TimingAction(50)])
    >>> b = FlowNode("12", NodeKind.ATOM, ("8",), actions=[TimingAction(30)])
    >>> c = FlowNode("14", NodeKind.ATOM, ("9",), actions=[TimingAction(40)])
    >>> find_last_running_node([a, b, c]).id
    '14'
    """
    if not candidates:
        return None
    if len(candidates) == 1:
        return candidates[0]
    last = candidates[0]
    best = -math.inf
    for node in candidates:
        timing = node.get_action(TimingAction)
        start = math.inf if timing is None else float(timing.start_ms)
        node_is_end = node.kind is _BLOCK_END or node.kind is _FLOW_END
        last_is_end = last.kind is _BLOCK_END or last.kind is _FLOW_END
        if node_is_end != last_is_end:
            if not node_is_end:
                last = node
                best = start
        elif start > best:
            last = node
            best = start
    return last
