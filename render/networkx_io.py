"""Flow graphs to and from networkx, losing nothing: ids, kinds, parents, block starts, actions.

networkx is where graph algorithms live (paths, centrality, drawing with other tools). A flow
graph becomes a :class:`networkx.DiGraph` whose nodes are keyed by flow-node id and whose edges
run from parent to child (time order). Each node carries plain, JSON-able attributes:

``kind``
    the :class:`~flowgraph.NodeKind` value (``atom``, ``block-start``, …);
``parents``
    the ordered parent ids (order matters at a parallel end: branch declaration order), and
    each edge has ``index``, its position in that list;
``start_id``, ``descriptor_id``, ``function``, ``display_name``, ``result``
    the structural fields (``function`` is informational; ``display_name`` only when explicit);
``label``
    what Jenkins shows for the node (informational);
``actions``
    the actions as :func:`flowgraph.action_to_dict` dicts, so custom actions survive too.

The graph attribute ``heads`` keeps the current heads. :func:`from_networkx` rebuilds an
equal :class:`~flowgraph.FlowGraph` from that form (also from a DiGraph made by hand, with
parents taken from the edges when a node has no ``parents`` attribute).

Examples
--------
>>> from flowgraph import GraphBuilder
>>> b = GraphBuilder(start_ms=0)
>>> with b.stage("Build"):
...     _ = b.step("sh", script="make")
>>> graph = b.build().graph
>>> nxg = to_networkx(graph)
>>> nxg.nodes["5"]["kind"], nxg.nodes["5"]["parents"], nxg.graph["heads"]
('atom', ['4'], ['8'])
>>> back = from_networkx(nxg)
>>> [n for n in back] == [n for n in graph]
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import networkx as nx

from flowgraph.actions import action_from_dict, action_to_dict
from flowgraph.errors import CorruptGraphError, FlowGraphError, FormatError, GraphCycleError
from flowgraph.graph import FlowGraph
from flowgraph.node import FlowNode, NodeKind
from flowgraph.result import Result
from flowgraph.run import Run

__all__ = ["to_networkx", "from_networkx"]

_KINDS = {kind.value: kind for kind in NodeKind}


def to_networkx(graph: FlowGraph | Run) -> nx.DiGraph:
    """A :class:`networkx.DiGraph` holding every node and parent link of ``graph`` (one pass)."""
    flow = graph.graph if isinstance(graph, Run) else graph
    out = nx.DiGraph(heads=list(flow.head_ids))
    add_node = out.add_node
    add_edge = out.add_edge
    for node in flow:
        add_node(
            node.id,
            kind=node.kind.value,
            parents=list(node.parent_ids),
            start_id=node.start_id,
            descriptor_id=node.descriptor_id,
            function=node.function_name,
            display_name=node._display_name,
            label=node.display_name,
            result=node.result.name if node.result is not None else None,
            actions=[action_to_dict(a) for a in node.actions],
        )
        for index, parent_id in enumerate(node.parent_ids):
            add_edge(parent_id, node.id, index=index)
    return out


def from_networkx(nxgraph: nx.DiGraph) -> FlowGraph:
    """Rebuild a :class:`~flowgraph.FlowGraph` from :func:`to_networkx`'s form.

    Nodes are added in the DiGraph's node order when every parent comes before its child,
    otherwise in a topological order. Heads come from the ``heads`` graph attribute, or are
    computed as the nodes nobody follows.

    Raises
    ------
    FormatError
        A node lacks ``kind`` or has an unknown one, a bad result or an unreadable action;
        the message names the node id.
    GraphCycleError
        The edges loop.
    CorruptGraphError, NodeNotFoundError
        The nodes do not form a valid flow graph (as :meth:`FlowGraph.add_node` checks).
    """
    order = _creation_order(nxgraph)
    graph = FlowGraph()
    for node_id in order:
        graph.add_node(_node_from(nxgraph, node_id))
    heads = nxgraph.graph.get("heads")
    if heads is not None:
        missing = [h for h in heads if h not in graph.storage]
        if missing:
            raise FormatError(f"networkx graph names heads {missing} that are not among its nodes")
        graph.set_heads([str(h) for h in heads])
    return graph


def _parents_of(nxgraph: nx.DiGraph, node_id: Any) -> list[str]:
    data = nxgraph.nodes[node_id]
    from_edges = [str(p) for p in nxgraph.predecessors(node_id)]
    parents = data.get("parents")
    if parents is None:
        indexed = [
            (nxgraph.edges[p, node_id].get("index", i), i, str(p)) for i, p in enumerate(nxgraph.predecessors(node_id))
        ]
        return [p for _, _, p in sorted(indexed)]
    parents = [str(p) for p in parents]
    if sorted(parents) != sorted(from_edges):
        raise FormatError(
            f"node {node_id}: its 'parents' attribute {parents} disagrees with its incoming edges {from_edges}",
            node_id=str(node_id),
        )
    return parents


def _creation_order(nxgraph: nx.DiGraph) -> list[Any]:
    seen: set[Any] = set()
    in_order = True
    for node_id in nxgraph.nodes:
        if any(p not in seen for p in nxgraph.predecessors(node_id)):
            in_order = False
            break
        seen.add(node_id)
    if in_order:
        return list(nxgraph.nodes)
    try:
        return list(nx.topological_sort(nxgraph))
    except nx.NetworkXUnfeasible:
        cycle = nx.find_cycle(nxgraph)
        raise GraphCycleError([str(edge[0]) for edge in cycle] + [str(cycle[0][0])]) from None


def _node_from(nxgraph: nx.DiGraph, node_id: Any) -> FlowNode:
    data: Mapping[str, Any] = nxgraph.nodes[node_id]
    name = str(node_id)
    kind_text = data.get("kind")
    kind = _KINDS.get(str(kind_text)) if kind_text is not None else None
    if kind is None:
        raise FormatError(f"node {name}: 'kind' is {kind_text!r}; expected one of {sorted(_KINDS)}", node_id=name)
    try:
        actions = [action_from_dict(a) for a in data.get("actions") or ()]
    except (KeyError, TypeError, ValueError) as exc:
        raise FormatError(f"node {name}: an action cannot be rebuilt: {exc!r}", node_id=name) from exc
    result_text = data.get("result")
    try:
        result = Result.parse(result_text) if result_text is not None else None
    except ValueError as exc:
        raise FormatError(f"node {name}: {exc}", node_id=name) from exc
    start_id = data.get("start_id")
    try:
        return FlowNode(
            name,
            kind,
            _parents_of(nxgraph, node_id),
            start_id=str(start_id) if start_id is not None else None,
            descriptor_id=data.get("descriptor_id"),
            actions=actions,
            display_name=data.get("display_name"),
            result=result,
        )
    except FlowGraphError:
        raise
    except ValueError as exc:
        raise CorruptGraphError(f"node {name}: {exc}", node_id=name) from exc
