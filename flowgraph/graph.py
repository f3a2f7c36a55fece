"""The flow graph: nodes in a storage, the current heads, and cached structural lookups.

A :class:`FlowGraph` is a thin, append-only view over a :class:`~flowgraph.storage.NodeStorage`.
It knows its heads (the newest node of each running branch; one head once the run is over),
answers the enclosing-block questions of Jenkins' ``FlowNode`` API in amortised O(1), and builds
a children (forward) index in one O(n) pass only when someone asks for children.

Nothing here recurses over the graph: every walk is a loop, so graphs of any depth work.

Examples
--------
>>> from flowgraph import FlowGraph, FlowNode, NodeKind
>>> g = FlowGraph()
>>> g.add_node(FlowNode("2", NodeKind.FLOW_START))
>>> g.add_node(FlowNode("3", NodeKind.BLOCK_START, ("2",)))
>>> g.add_node(FlowNode("4", NodeKind.ATOM, ("3",)))
>>> [n.id for n in g.heads], g.enclosing_id(g.node("4")), g.end_of(g.node("3"))
(['4'], '3', None)
>>> g.add_node(FlowNode("5", NodeKind.BLOCK_END, ("4",), start_id="3"))
>>> g.end_of(g.node("3")).id, g.all_enclosing_ids(g.node("4"))
('5', ['3', '2'])
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol, runtime_checkable

from flowgraph.errors import CorruptGraphError, DuplicateNodeError, GraphCycleError, NodeNotFoundError
from flowgraph.lookup import EnclosingBlockLookup
from flowgraph.node import FlowNode, NodeKind
from flowgraph.storage.base import NodeStorage
from flowgraph.storage.memory import MemoryNodeStorage

__all__ = ["FlowGraph", "GraphListener"]


@runtime_checkable
class GraphListener(Protocol):
    """Told of every node appended to a graph, right after it is stored.

    Beware Jenkins' gotcha: a listener that walks the graph on every new node is O(n²).
    Use the graph's cached lookups instead.
    """

    def on_new_node(self, node: FlowNode) -> None: ...


class FlowGraph:
    """A pipeline's flow graph over a node storage.

    Parameters
    ----------
    storage
        Where the nodes live; a fresh :class:`MemoryNodeStorage` by default.
    heads
        Ids of the current heads, oldest branch first. When omitted for a non-empty storage they
        are computed in one pass as the nodes that are nobody's parent, in storage order.
    """

    __slots__ = (
        "_children",
        "_flow_start_id",
        "_head_keys",
        "_head_order",
        "_listeners",
        "_lookup",
        "_next_head_key",
        "storage",
    )

    def __init__(self, storage: NodeStorage | None = None, heads: Iterable[str] | None = None) -> None:
        self.storage: NodeStorage = storage if storage is not None else MemoryNodeStorage()
        empty = len(self.storage) == 0
        self._listeners: list[GraphListener] = []
        self._children: dict[str, list[str]] | None = None
        self._lookup = EnclosingBlockLookup(self, ends_complete=empty)
        self._flow_start_id: str | None = None
        self._head_keys: dict[str, int] = {}
        self._head_order: list[str] | None = None
        self._next_head_key = 0
        if heads is not None:
            self._reset_heads(heads)
        elif not empty:
            self._reset_heads(self._compute_heads())

    # Heads are kept as id -> order key, so that advancing a head is O(1) however many branches
    # are open (a list would cost O(heads) per node: quadratic for deeply nested parallels). A new
    # node takes the key of its earliest parent head (its place in the order), or a new last key.

    def _reset_heads(self, head_ids: Iterable[str]) -> None:
        self._head_keys = {head_id: key for key, head_id in enumerate(dict.fromkeys(head_ids))}
        self._next_head_key = len(self._head_keys)
        self._head_order = None

    @property
    def _head_ids(self) -> list[str]:
        order = self._head_order
        if order is None:
            keys = self._head_keys
            order = self._head_order = sorted(keys, key=keys.__getitem__)
        return order

    # -- building -----------------------------------------------------------------------

    def add_node(self, node: FlowNode, *, delay: bool = False) -> None:
        """Append a new node: validate its links, store it, update heads, tell listeners.

        Raises
        ------
        DuplicateNodeError
            The id is already in the graph.
        NodeNotFoundError
            A parent or the block start it names does not exist.
        CorruptGraphError
            The node breaks the flow-graph rules (a second flow start, a parentless node,
            a block end whose start is not a block start or is already closed).
        """
        storage = self.storage
        if node.id in storage:
            raise DuplicateNodeError(node.id)
        if node.kind is NodeKind.FLOW_START:
            if len(storage):
                raise CorruptGraphError(
                    f"flow start {node.id} added to a graph that already has nodes", node_id=node.id
                )
        elif not node.parent_ids:
            raise CorruptGraphError(f"node {node.id} has no parents; only the flow start may", node_id=node.id)
        for parent_id in node.parent_ids:
            if parent_id not in storage:
                raise NodeNotFoundError(parent_id, referenced_by=node.id)
        if node.start_id is not None:
            start = storage.get_node(node.start_id)
            if start is None:
                raise NodeNotFoundError(node.start_id, referenced_by=node.id)
            if not start.is_block_start or (node.kind is NodeKind.FLOW_END) != (start.kind is NodeKind.FLOW_START):
                raise CorruptGraphError(
                    f"block end {node.id} ({node.kind.name}) cannot close node {start.id} ({start.kind.name})",
                    node_id=node.id,
                )
            closed_by = self._lookup._ends.get(start.id)
            if closed_by is not None:
                raise CorruptGraphError(f"block {start.id} is already closed by node {closed_by}", node_id=node.id)
        storage.store_node(node, delay=delay)
        self._advance_heads(node)
        self._lookup.on_new_node(node)
        if self._children is not None:
            for parent_id in node.parent_ids:
                self._children.setdefault(parent_id, []).append(node.id)
        for listener in self._listeners:
            listener.on_new_node(node)

    def _advance_heads(self, node: FlowNode) -> None:
        keys = self._head_keys
        taken = [keys.pop(parent_id) for parent_id in node.parent_ids if parent_id in keys]
        if taken:
            keys[node.id] = min(taken)
        else:
            keys[node.id] = self._next_head_key
            self._next_head_key += 1
        self._head_order = None

    def save_node(self, node: FlowNode, *, delay: bool = False) -> None:
        """Store an existing node again after its actions changed (Jenkins' ``FlowNode.save``)."""
        if node.id not in self.storage:
            raise NodeNotFoundError(node.id)
        self.storage.store_node(node, delay=delay)

    def add_listener(self, listener: GraphListener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: GraphListener) -> None:
        self._listeners.remove(listener)

    def set_heads(self, head_ids: Iterable[str]) -> None:
        """Replace the heads (e.g. when loading an execution record)."""
        self._reset_heads(head_ids)

    # -- access -------------------------------------------------------------------------

    def node(self, node_id: str) -> FlowNode:
        """The node with this id; :class:`NodeNotFoundError` if there is none."""
        node = self.storage.get_node(node_id)
        if node is None:
            raise NodeNotFoundError(node_id)
        return node

    def get(self, node_id: str) -> FlowNode | None:
        """The node with this id, or None."""
        return self.storage.get_node(node_id)

    def parents(self, node: FlowNode) -> list[FlowNode]:
        """The node's parents, in order (branch declaration order at a parallel end)."""
        get = self.storage.get_node
        result = []
        for parent_id in node.parent_ids:
            parent = get(parent_id)
            if parent is None:
                raise NodeNotFoundError(parent_id, referenced_by=node.id)
            result.append(parent)
        return result

    def start_of(self, end: FlowNode) -> FlowNode:
        """The block start that a block end closes."""
        if end.start_id is None:
            raise ValueError(f"node {end.id} is not a block end")
        start = self.storage.get_node(end.start_id)
        if start is None:
            raise NodeNotFoundError(end.start_id, referenced_by=end.id)
        return start

    def children(self, node: FlowNode) -> list[FlowNode]:
        """Nodes whose parents include ``node`` (the forward index is built once, on first use)."""
        if self._children is None:
            index: dict[str, list[str]] = {}
            for child in self.storage.iter_nodes():
                for parent_id in child.parent_ids:
                    index.setdefault(parent_id, []).append(child.id)
            self._children = index
        return [self.node(child_id) for child_id in self._children.get(node.id, ())]

    @property
    def heads(self) -> tuple[FlowNode, ...]:
        """The current heads as nodes (one per running branch; one when the run is over)."""
        return tuple(self._head(h) for h in self._head_ids)

    @property
    def head_ids(self) -> tuple[str, ...]:
        return tuple(self._head_ids)

    def _head(self, head_id: str) -> FlowNode:
        node = self.storage.get_node(head_id)
        if node is None:
            raise NodeNotFoundError(head_id, referenced_by="the graph's heads")
        return node

    @property
    def flow_start(self) -> FlowNode:
        """The flow start node, found by following first parents from the first head."""
        if self._flow_start_id is not None:
            return self.node(self._flow_start_id)
        if not self._head_ids:
            raise NodeNotFoundError("flow start", referenced_by="an empty graph")
        current = self._head(self._head_ids[0])
        steps = 0
        limit = len(self.storage) + 1
        while current.parent_ids:
            steps += 1
            if steps > limit:
                raise GraphCycleError([current.id])
            parent = self.storage.get_node(current.parent_ids[0])
            if parent is None:
                raise NodeNotFoundError(current.parent_ids[0], referenced_by=current.id)
            current = parent
        self._flow_start_id = current.id
        return current

    def __len__(self) -> int:
        return len(self.storage)

    def __iter__(self) -> Iterator[FlowNode]:
        """Every node, in storage order (creation order for built and recorded graphs)."""
        return self.storage.iter_nodes()

    def __contains__(self, item: object) -> bool:
        if isinstance(item, FlowNode):
            return item.id in self.storage
        return item in self.storage

    def __repr__(self) -> str:
        return f"FlowGraph({len(self)} nodes, heads={list(self._head_ids)!r})"

    # -- enclosing blocks (Jenkins' FlowNode / GraphLookupView API) ---------------------

    @property
    def lookup(self) -> EnclosingBlockLookup:
        """The cached lookup behind the enclosing-block methods (``lookup.visits`` counts work)."""
        return self._lookup

    def enclosing_id(self, node: FlowNode) -> str | None:
        """Id of the innermost block start enclosing ``node`` (the flow start encloses top-level nodes)."""
        return self._lookup.enclosing_id(node)

    def iterate_enclosing_blocks(self, node: FlowNode) -> Iterator[FlowNode]:
        """Enclosing block starts, innermost first, fetched lazily."""
        return self._lookup.iterate_enclosing_blocks(node)

    def enclosing_blocks(self, node: FlowNode) -> list[FlowNode]:
        """Enclosing block starts, innermost first (eager)."""
        return list(self._lookup.iterate_enclosing_blocks(node))

    def all_enclosing_ids(self, node: FlowNode) -> list[str]:
        """Ids of the enclosing block starts, innermost first (eager)."""
        return [n.id for n in self._lookup.iterate_enclosing_blocks(node)]

    def end_of(self, block_start: FlowNode) -> FlowNode | None:
        """The end node of a block, or None while the block is open."""
        return self._lookup.end_of(block_start)

    def is_active(self, node: FlowNode) -> bool:
        """Jenkins' ``isActive``: an open block start, or a current head (a flow end never is)."""
        if node.kind is NodeKind.FLOW_END:
            return False
        if node.is_block_start:
            return self._lookup.end_of(node) is None
        return node.id in self._head_keys

    # -- whole-graph checks -------------------------------------------------------------

    def _compute_heads(self) -> list[str]:
        referenced: set[str] = set()
        ids: list[str] = []
        for node in self.storage.iter_nodes():
            ids.append(node.id)
            referenced.update(node.parent_ids)
        return [i for i in ids if i not in referenced]

    def validate(self) -> None:
        """Check every link in one O(n) pass: parents and starts exist, kinds fit, no cycle.

        Raises the same typed errors as :meth:`add_node`; a cycle raises
        :class:`GraphCycleError` naming its nodes.
        """
        storage = self.storage
        edges: dict[str, tuple[str, ...]] = {}
        for node in storage.iter_nodes():
            links = node.parent_ids
            if node.start_id is not None:
                start = storage.get_node(node.start_id)
                if start is None:
                    raise NodeNotFoundError(node.start_id, referenced_by=node.id)
                if not start.is_block_start:
                    raise CorruptGraphError(
                        f"block end {node.id} names start {start.id}, which is not a block start", node_id=node.id
                    )
                links = links + (node.start_id,)
            for parent_id in node.parent_ids:
                if parent_id not in storage:
                    raise NodeNotFoundError(parent_id, referenced_by=node.id)
            if node.kind is not NodeKind.FLOW_START and not node.parent_ids:
                raise CorruptGraphError(f"node {node.id} has no parents; only the flow start may", node_id=node.id)
            edges[node.id] = links
        for head_id in self._head_ids:
            if head_id not in edges:
                raise NodeNotFoundError(head_id, referenced_by="the graph's heads")
        _check_acyclic(edges)


def _check_acyclic(edges: dict[str, tuple[str, ...]]) -> None:
    """Iterative three-colour depth-first search; raises GraphCycleError with the cycle's nodes."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    for root in edges:
        if root in state:
            continue
        path: list[str] = [root]
        iters: list[Iterator[str]] = [iter(edges[root])]
        state[root] = 1
        while iters:
            nxt = next(iters[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                iters.pop()
                continue
            mark = state.get(nxt)
            if mark == 1:
                raise GraphCycleError(path[path.index(nxt) :] + [nxt])
            if mark is None and nxt in edges:
                state[nxt] = 1
                path.append(nxt)
                iters.append(iter(edges[nxt]))
