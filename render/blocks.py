"""The block structure of a flow graph, as the drawings need it: which cluster holds each node.

A flow graph's blocks nest (a stage holds a ``node`` block holding steps; a ``parallel`` holds
one body block per branch). Drawings show every block as a box around its start node, its end
node and everything it encloses. :class:`BlockTree` computes that containment for all nodes in
one pass, using the graph's cached enclosing-block lookup, and answers the questions the
renderers ask: the container of a node, the child blocks of a block, a block's depth, and which
node stands for a node once blocks are collapsed or body blocks hidden.

Nothing here recurses: every walk is a loop (graphs may nest 100,000 blocks deep).

Examples
--------
>>> from flowgraph import GraphBuilder
>>> b = GraphBuilder(start_ms=0)
>>> with b.stage("Build"):
...     _ = b.step("sh", script="make")
>>> tree = BlockTree(b.build().graph)
>>> tree.blocks_in(TOP), tree.blocks_in("3"), tree.members("4")
(['3'], ['4'], ['4', '5', '6'])
>>> tree.depth["3"], tree.depth["4"], tree.container_of["5"]
(1, 2, '4')
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from flowgraph.actions import BodyInvocationAction, ThreadNameAction
from flowgraph.errors import RenderError
from flowgraph.graph import FlowGraph
from flowgraph.node import FlowNode, NodeKind

__all__ = ["TOP", "BlockTree"]

TOP = ""
"""The container id of the top level (the nodes the flow start encloses, and the flow start and end)."""


class BlockTree:
    """Containment of every node of a graph in its innermost block.

    Attributes
    ----------
    order
        Every node id, in storage (creation) order.
    container_of
        Node id -> the id of the block start whose box holds it (:data:`TOP` for the top level).
        A block start is held by its own box; a block end by its start's box.
    parent_block
        Block start id -> the id of the box that holds the whole block.
    depth
        Block start id -> nesting depth (1 for a top-level block).
    end_of
        Block start id -> its end node id, or None while the block is open.
    """

    __slots__ = (
        "_blocks_in",
        "_hist",
        "_members",
        "container_of",
        "depth",
        "end_of",
        "graph",
        "nodes",
        "order",
        "parent_block",
    )

    def __init__(self, graph: FlowGraph, nodes: Iterable[FlowNode] | None = None) -> None:
        self.graph = graph
        self.nodes: dict[str, FlowNode] = {}
        self.order: list[str] = []
        self.container_of: dict[str, str] = {}
        self.parent_block: dict[str, str] = {}
        self.end_of: dict[str, str | None] = {}
        enclosing = graph.enclosing_id
        for node in nodes if nodes is not None else graph:
            node_id = node.id
            self.nodes[node_id] = node
            self.order.append(node_id)
            kind = node.kind
            if kind is NodeKind.FLOW_START or kind is NodeKind.FLOW_END:
                self.container_of[node_id] = TOP
            elif kind is NodeKind.BLOCK_START:
                self.container_of[node_id] = node_id
                self.parent_block[node_id] = self._outer(enclosing(node))
                self.end_of.setdefault(node_id, None)
            elif kind is NodeKind.BLOCK_END:
                assert node.start_id is not None
                self.container_of[node_id] = node.start_id
                self.end_of[node.start_id] = node_id
            else:
                self.container_of[node_id] = self._outer(enclosing(node))
        for start_id in self.end_of:
            if start_id not in self.parent_block:
                raise RenderError(f"block end names start {start_id}, which is not a block start in this graph")
        self.depth = self._depths()
        self._members: dict[str, list[str]] | None = None
        self._blocks_in: dict[str, list[str]] | None = None
        self._hist: tuple[list[int], list[int]] | None = None

    def _outer(self, enclosing_id: str | None) -> str:
        """The box for an enclosing block id: TOP for the flow start (or none)."""
        if enclosing_id is None:
            return TOP
        known = self.nodes.get(enclosing_id)  # block starts come before what they enclose
        start = known if known is not None else self.graph.get(enclosing_id)
        if start is None or start.kind is NodeKind.FLOW_START:
            return TOP
        return enclosing_id

    def _depths(self) -> dict[str, int]:
        depth: dict[str, int] = {}
        parent = self.parent_block
        for start_id in parent:
            if start_id in depth:
                continue
            chain = []
            current = start_id
            while current != TOP and current not in depth:
                chain.append(current)
                current = parent.get(current, TOP)
                if len(chain) > len(parent):
                    raise RenderError(f"block nesting loops through block {start_id}")
            base = 0 if current == TOP else depth[current]
            for block_id in reversed(chain):
                base += 1
                depth[block_id] = base
        return depth

    # -- indexes ------------------------------------------------------------------------

    def _index(self) -> None:
        members: dict[str, list[str]] = {TOP: []}
        blocks_in: dict[str, list[str]] = {TOP: []}
        for start_id in self.parent_block:
            members[start_id] = []
            blocks_in[start_id] = []
        for node_id in self.order:
            members[self.container_of[node_id]].append(node_id)
        for start_id, parent in self.parent_block.items():
            blocks_in[parent].append(start_id)
        self._members = members
        self._blocks_in = blocks_in

    def members(self, container: str) -> list[str]:
        """The nodes drawn directly in a box (not in its inner boxes), in creation order."""
        if self._members is None:
            self._index()
        assert self._members is not None
        return self._members.get(container, [])

    def blocks_in(self, container: str) -> list[str]:
        """The blocks directly inside a box, by start id, in creation order."""
        if self._blocks_in is None:
            self._index()
        assert self._blocks_in is not None
        return self._blocks_in.get(container, [])

    @property
    def blocks(self) -> list[str]:
        """Every block start id."""
        return list(self.parent_block)

    def ancestors(self, block_id: str) -> Iterator[str]:
        """The boxes around a block, innermost first (the block itself excluded)."""
        current = self.parent_block.get(block_id, TOP)
        while current != TOP:
            yield current
            current = self.parent_block[current]

    def subtree(self, block_id: str) -> list[str]:
        """All nodes of a block: its start, end and everything nested inside, in creation order."""
        if block_id not in self.parent_block:
            raise RenderError(f"node {block_id} is not a block start, so it has no sub-tree to draw")
        inside = {block_id}
        stack = [block_id]
        while stack:
            current = stack.pop()
            for child in self.blocks_in(current):
                inside.add(child)
                stack.append(child)
        return [n for n in self.order if self.container_of[n] in inside]

    # -- kinds of block -----------------------------------------------------------------

    def is_branch(self, block_id: str) -> bool:
        """True for a parallel branch (a body block carrying the branch's thread name)."""
        return self.nodes[block_id].get_action(ThreadNameAction) is not None

    def is_body(self, block_id: str) -> bool:
        """True for a body-invocation block (the inner block of a block step) that is not a branch."""
        node = self.nodes[block_id]
        return node.get_action(BodyInvocationAction) is not None and node.get_action(ThreadNameAction) is None

    def size_at_depth(self, max_depth: int) -> int:
        """How many nodes a drawing shows when blocks deeper than ``max_depth`` are collapsed."""
        sizes = self.sizes_by_depth()
        return sizes[min(max(max_depth, 0), len(sizes) - 1)]

    def sizes_by_depth(
        self,
        depth: dict[str, int] | None = None,
        hidden: frozenset[str] = frozenset(),
        nodes: list[str] | None = None,
    ) -> list[int]:
        """Item ``d``: how many nodes are drawn when blocks deeper than ``d`` are collapsed.

        ``depth`` overrides the block depths (a drawing that hides some blocks counts levels
        differently), ``hidden`` names blocks whose start and end are not drawn and ``nodes``
        limits the count to some nodes (a sub-tree) and their blocks. Built from a per-depth
        histogram with running sums: O(nodes + depth).
        """
        nodes_at, blocks_at = self._histogram(depth, hidden, nodes)
        sizes = []
        running = 0
        for level in range(len(nodes_at)):
            running += nodes_at[level]
            stand_ins = blocks_at[level + 1] if level + 1 < len(blocks_at) else 0
            sizes.append(running + stand_ins)
        return sizes

    @property
    def max_depth(self) -> int:
        """The deepest nesting level (0 for a graph without blocks)."""
        return len(self._histogram()[0]) - 1

    def _histogram(
        self, depth: dict[str, int] | None = None, hidden: frozenset[str] = frozenset(), nodes: list[str] | None = None
    ) -> tuple[list[int], list[int]]:
        default = depth is None and not hidden and nodes is None
        if default and self._hist is not None:
            return self._hist
        levels = self.depth if depth is None else depth
        deepest = max(levels.values(), default=0)
        nodes_at = [0] * (deepest + 1)
        blocks_at = [0] * (deepest + 1)
        container_of = self.container_of
        end_of = self.end_of
        for node_id in self.order if nodes is None else nodes:
            container = container_of[node_id]
            if container in hidden and (node_id == container or node_id == end_of[container]):
                continue
            nodes_at[0 if container == TOP else levels[container]] += 1
            if node_id == container and container not in hidden:
                blocks_at[levels[container]] += 1
        if default:
            self._hist = (nodes_at, blocks_at)
        return nodes_at, blocks_at
