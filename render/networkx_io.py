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

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import networkx as nx

from flowgraph.actions import action_from_dict, action_to_dict
from flowgraph.errors import CorruptGraphError, FlowGraphError, FormatError, GraphCycleError, StorageError
from flowgraph.graph import FlowGraph
from flowgraph.node import FlowNode, NodeKind
from flowgraph.result import Result
from flowgraph.run import Run
from flowgraph.storage.files import read_file

__all__ = [
    "to_networkx",
    "from_networkx",
    "run_to_json",
    "run_from_json",
    "save_run_json",
    "load_run_json",
    "RUN_JSON_FORMAT",
]

RUN_JSON_FORMAT = "flowgraph-run/1"
"""The ``format`` field of a run saved by :func:`save_run_json`."""

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


# -- a run as one JSON document ------------------------------------------------------------


def run_to_json(run: Run) -> dict[str, Any]:
    """A run as JSON-able data: its facts plus the graph in networkx's node-link form."""
    return {
        "format": RUN_JSON_FORMAT,
        "run": {
            "name": run.name,
            "number": run.number,
            "result": run.result.name if run.result is not None else None,
            "start_ms": run.start_ms,
            "duration_ms": run.duration_ms,
            "running": run.running,
            "pending_input": run.pending_input,
        },
        "graph": nx.node_link_data(to_networkx(run), edges="edges"),
    }


def run_from_json(data: Mapping[str, Any], *, path: str | None = None) -> Run:
    """Rebuild a :class:`~flowgraph.Run` from :func:`run_to_json` data.

    Raises
    ------
    FormatError
        The data is not a flowgraph run document, or a node in it is malformed (see
        :func:`from_networkx`); the message names ``path`` when given.
    """
    where = f"{path}: " if path else ""
    if not isinstance(data, Mapping) or data.get("format") != RUN_JSON_FORMAT:
        found = data.get("format") if isinstance(data, Mapping) else type(data).__name__
        raise FormatError(
            f"{where}not a flowgraph run document (format {found!r}, expected {RUN_JSON_FORMAT!r})", path=path
        )
    facts = data.get("run") or {}
    try:
        nxgraph = nx.node_link_graph(data["graph"], directed=True, multigraph=False, edges="edges")
    except (KeyError, TypeError, nx.NetworkXError) as exc:
        raise FormatError(f"{where}the 'graph' part is not a node-link graph: {exc!r}", path=path) from exc
    try:
        graph = from_networkx(nxgraph)
        result = Result.parse(facts["result"]) if facts.get("result") is not None else None
    except FormatError as exc:
        raise FormatError(f"{where}{exc}", path=path, node_id=exc.node_id) from exc
    except ValueError as exc:
        raise FormatError(f"{where}{exc}", path=path) from exc
    return Run(
        graph,
        result=result,
        start_ms=facts.get("start_ms"),
        duration_ms=facts.get("duration_ms"),
        running=bool(facts.get("running", result is None)),
        pending_input=bool(facts.get("pending_input", False)),
        name=facts.get("name"),
        number=facts.get("number"),
        metadata={"source": path} if path else None,
    )


def save_run_json(run: Run, path: str | os.PathLike[str]) -> None:
    """Write a run as one JSON file (see :func:`run_to_json`)."""
    target = Path(path)
    try:
        target.write_text(json.dumps(run_to_json(run), separators=(",", ":")), encoding="utf-8")
    except OSError as exc:
        raise StorageError(f"cannot write {target}: {exc.strerror or exc}", path=str(target)) from exc


def load_run_json(path: str | os.PathLike[str]) -> Run:
    """Read a run written by :func:`save_run_json`."""
    source = Path(path)
    try:
        data = json.loads(read_file(str(source)).decode("utf-8"))
    except OSError as exc:
        raise StorageError(f"cannot read {source}: {exc.strerror or exc}", path=str(source)) from exc
    except RecursionError as exc:
        raise FormatError(f"{source}: JSON nested too deeply to read", path=str(source)) from exc
    except ValueError as exc:
        raise FormatError(f"{source}: not valid JSON: {exc}", path=str(source)) from exc
    return run_from_json(data, path=str(source))
