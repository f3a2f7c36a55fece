"""The full node graph as Graphviz DOT: blocks as nested clusters, nodes coloured by status.

:func:`to_dot` draws every flow node of a run, top to bottom in time order. Each block (a
stage, a ``node`` allocation, a ``parallel`` and each of its branches, a retry attempt…) is a
cluster around its start node, its end node and what it encloses, so clusters nest exactly as
blocks do and parallel branches stand side by side. Node labels give the step, its argument
summary and its duration; failing nodes are red and carry their error. Options keep big runs
readable:

``collapse_depth``
    blocks nested deeper than this are drawn as one box each (with their size and status);
``collapsed``
    more blocks (by start id) to draw as one box;
``hide_bodies``
    leave out the inner body-invocation blocks of block steps (a stage shows as one cluster,
    not two); parallel branches are always kept;
``root``
    draw only the block starting at this node id (a sub-tree);
``max_nodes``
    when no ``collapse_depth`` is given and the drawing would show more nodes than this,
    collapse at the deepest level that fits (so a 100,000-node run still draws).

The DOT text is written in one pass with explicit stacks, so any nesting depth works. Every
node and cluster gets an SVG ``id`` (``n<id>``, ``b<id>``) and ``class`` (``fg-node``,
``fg-block``, ``state-<state>``) that :mod:`render.html` and tests use.

Examples
--------
>>> from flowgraph import GraphBuilder
>>> b = GraphBuilder(start_ms=0)
>>> with b.stage("Build"):
...     _ = b.step("sh", script="make")
>>> dot = to_dot(b.build())
>>> "subgraph cluster_3 {" in dot.source and "subgraph cluster_4 {" in dot.source
True
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import graphviz

from flowgraph.graph import FlowGraph
from flowgraph.node import NodeKind
from flowgraph.run import Run
from render.blocks import TOP, BlockTree
from render.engine import Engine, render_dot
from render.model import NodeInfo, RunModel, StatusSource
from render.style import STATES, humanize_ms

__all__ = ["DotOptions", "to_dot", "to_svg", "DEFAULT_MAX_NODES", "dot_text", "Layout"]

DEFAULT_MAX_NODES = 400
"""Above this many drawn nodes, :func:`to_dot` collapses blocks unless told a depth."""

_LABEL_WIDTH = 48
_MAX_INDENT = 12  # tabs; deeper clusters are not indented further, so the DOT text stays O(n)


@dataclass(frozen=True, slots=True)
class DotOptions:
    """The drawing options of :func:`to_dot` (see the module docstring)."""

    collapse_depth: int | None = None
    collapsed: frozenset[str] = frozenset()
    hide_bodies: bool = False
    root: str | None = None
    max_nodes: int | None = DEFAULT_MAX_NODES
    rankdir: str = "TB"


class Layout:
    """Which node stands for which once blocks are collapsed or hidden, and what is drawn.

    ``rep[node_id]`` is the drawn node that represents a node: itself, the start of the
    collapsed block around it, or absent when the node is not drawn (a hidden body start/end,
    or outside the sub-tree). ``collapsed`` holds the start ids of blocks drawn as one box.
    """

    __slots__ = ("_gap_box", "clusters", "collapse_depth", "collapsed", "drawn", "gaps", "hidden", "rep", "tree")

    def __init__(self, tree: BlockTree, options: DotOptions) -> None:
        self.tree = tree
        nodes = tree.order
        if options.root is not None:
            nodes = tree.subtree(options.root)
        hidden: set[str] = set()
        if options.hide_bodies:
            hidden = {b for b in tree.depth if tree.is_body(b) and b != options.root}
        levels = _visible_depths(tree, hidden) if hidden else tree.depth
        base = levels[options.root] if options.root is not None else 1  # the sub-tree's own level
        depth = options.collapse_depth
        if depth is not None:
            depth += base - 1  # depth counts from the sub-tree's root
        elif options.max_nodes is not None:
            sizes = tree.sizes_by_depth(levels, frozenset(hidden), None if options.root is None else nodes)
            if sizes[-1] > options.max_nodes:
                depth = max(_fitting_depth(sizes, options.max_nodes), base if options.root is not None else 0)
        self.collapse_depth = depth
        collapsed = set(options.collapsed)
        if depth is not None:
            collapsed.update(b for b, level in levels.items() if level == depth + 1 and b not in hidden)
        # The outermost collapsed block wins; hidden blocks inside collapsed ones are irrelevant.
        rep: dict[str, str] = {}
        drawn: list[str] = []
        owners: set[str] = set()
        owner_cache: dict[str, str | None] = {}
        for node_id in nodes:
            container = tree.container_of[node_id]
            owner = _collapsed_owner(tree, container, collapsed, owner_cache)
            if owner is not None:
                if owner not in owners:
                    owners.add(owner)
                    drawn.append(owner)
                rep[node_id] = owner
                continue
            if container in hidden and (node_id == container or node_id == tree.end_of.get(container)):
                continue
            rep[node_id] = node_id
            drawn.append(node_id)
        self.rep = rep
        self.drawn = drawn
        self.collapsed = owners
        self.hidden = hidden
        self.clusters = {n for n in drawn if n not in owners and tree.container_of[n] == n}
        self.gaps: dict[str, tuple[int, str, str]] = {}
        if options.max_nodes is not None and len(drawn) > options.max_nodes:
            self._elide(max(2, options.max_nodes // 4))

    def _elide(self, keep: int) -> None:
        """Replace the middle of over-long runs of nodes by one "… N more nodes" stand-in per box.

        Collapsing cannot shrink a box that holds a million plain steps; this keeps its first and
        last ``keep`` nodes and draws the rest as a single gap node (edges go through it).
        """
        per_box: dict[str, list[str]] = {}
        for node_id in self.drawn:
            if node_id not in self.clusters:
                per_box.setdefault(self.container(node_id), []).append(node_id)
        elided: dict[str, str] = {}
        for box, members in per_box.items():
            if len(members) <= 2 * keep + 1:
                continue
            middle = members[keep:-keep]
            gap_id = f"gap_{box or 'top'}"
            self.gaps[gap_id] = (len(middle), middle[0], middle[-1])
            for node_id in middle:
                elided[node_id] = gap_id
        if not elided:
            return
        drawn: list[str] = []
        for node_id in self.drawn:
            gap = elided.get(node_id)
            if gap is None:
                drawn.append(node_id)
            elif self.gaps[gap][1] == node_id:
                drawn.append(gap)
        self.drawn = drawn
        rep = self.rep
        for node_id, drawn_as in rep.items():
            stand_in = elided.get(drawn_as)
            if stand_in is not None:
                rep[node_id] = stand_in
        self._gap_box = {gap_id: self.container(first) for gap_id, (_, first, _) in self.gaps.items()}

    def container(self, node_id: str) -> str:
        """The drawn cluster a drawn node goes into (skipping hidden and undrawn blocks)."""
        if node_id in self.gaps:
            return self._gap_box[node_id]
        tree = self.tree
        is_block = node_id in self.collapsed or node_id in self.clusters
        container = tree.parent_block.get(node_id, TOP) if is_block else tree.container_of[node_id]
        while container != TOP and container not in self.clusters:
            container = tree.parent_block[container]
        return container

    def edges(self) -> Iterator[tuple[str, str]]:
        """Parent -> child edges between drawn nodes, through hidden nodes, without repeats."""
        graph_nodes = self.tree.nodes
        rep = self.rep
        seen: set[tuple[str, str]] = set()
        for node_id in self.tree.order:
            target = rep.get(node_id)
            if target is None:
                continue
            stack = list(graph_nodes[node_id].parent_ids)
            visited: set[str] = set()
            while stack:
                parent_id = stack.pop()
                if parent_id in visited:
                    continue
                visited.add(parent_id)
                source = rep.get(parent_id)
                if source is None:
                    parent = graph_nodes.get(parent_id)
                    if parent is not None and self._is_hidden_node(parent_id):
                        stack.extend(parent.parent_ids)
                    continue
                if source != target and (source, target) not in seen:
                    seen.add((source, target))
                    yield source, target

    def _is_hidden_node(self, node_id: str) -> bool:
        container = self.tree.container_of[node_id]
        return container in self.hidden


def _collapsed_owner(tree: BlockTree, container: str, collapsed: set[str], cache: dict[str, str | None]) -> str | None:
    """The outermost collapsed block around ``container`` (itself included), or None."""
    if container == TOP or not collapsed:
        return None
    known = cache.get(container, "?")
    if known != "?":
        return known
    chain = [container]
    current = container
    while True:
        current = tree.parent_block.get(current, TOP)
        if current == TOP or current in cache:
            break
        chain.append(current)
    owner = cache.get(current) if current != TOP else None
    for block_id in reversed(chain):
        if owner is None and block_id in collapsed:
            owner = block_id
        cache[block_id] = owner
    return cache[container]


def _visible_depths(tree: BlockTree, hidden: set[str]) -> dict[str, int]:
    """Block depths counting only drawn levels (a hidden body shares its step's level)."""
    levels: dict[str, int] = {}
    for block_id in tree.depth:
        chain = []
        current = block_id
        while current != TOP and current not in levels:
            chain.append(current)
            current = tree.parent_block[current]
        level = 0 if current == TOP else levels[current]
        for inner in reversed(chain):
            if inner not in hidden or level == 0:
                level += 1
            levels[inner] = level
    return levels


def _fitting_depth(sizes: list[int], max_nodes: int) -> int:
    """The deepest collapse depth whose drawing shows at most ``max_nodes`` nodes (at least 0)."""
    best = 0
    for level, size in enumerate(sizes):
        if size > max_nodes:
            break
        best = level
    return best


# -- labels ------------------------------------------------------------------------------


def _q(text: str) -> str:
    """A DOT quoted string of text whose backslashes are already escapes (see :func:`_escape`)."""
    return '"' + text.replace('"', '\\"') + '"'


_PLAIN_ID = re.compile(r"[A-Za-z_][A-Za-z_0-9]*|[0-9]+")


def _id(node_id: str) -> str:
    """A node id as a DOT identifier: as is when it is a plain word or number, else quoted."""
    return node_id if _PLAIN_ID.fullmatch(node_id) else _q(_escape(node_id))


def _escape(text: str) -> str:
    """Make user text literal inside a DOT label (backslashes would be Graphviz escapes)."""
    return text.replace("\\", "\\\\").replace("\n", " ").replace("\r", " ")


def _short(text: str, width: int = _LABEL_WIDTH) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _label(lines: Iterable[str]) -> str:
    return _q("\\n".join(_escape(line) for line in lines if line))


def _tooltip(info: NodeInfo) -> str:
    return _q(_escape("; ".join(f"{k}: {v}" for k, v in info.details().items())))


def _attrs(**attrs: str) -> str:
    return "[" + " ".join(f"{name}={value}" for name, value in attrs.items()) + "]"


def _node_line(info: NodeInfo) -> str:
    style = STATES[info.state]
    kind = info.kind
    lines = [info.title]
    if kind is NodeKind.ATOM or (kind is NodeKind.BLOCK_START and info.summary and info.summary != info.title):
        if info.summary and info.summary != info.title:
            lines.append(_short(info.summary))
    if kind is NodeKind.ATOM and info.duration_ms is not None:
        lines.append(humanize_ms(info.duration_ms))
    if info.error and kind is not NodeKind.BLOCK_END:
        said = info.error.split(": ", 1)[1] if ": " in info.error else info.error.rsplit(".", 1)[-1]
        lines.append(f"{STATES['failure'].glyph} {_short(said)}")
    if kind is NodeKind.ATOM:
        shape, node_style = "box", '"rounded,filled"'
    elif kind is NodeKind.FLOW_START or kind is NodeKind.FLOW_END:
        shape, node_style = "oval", "filled"
    else:
        shape, node_style = "box", '"rounded,filled,dashed"'
    return f"{_id(info.id)} " + _attrs(
        id=_q(_escape(f"n{info.id}")),
        **{"class": _q(f"fg-node state-{info.state} kind-{kind.value}")},
        label=_label(lines),
        tooltip=_tooltip(info),
        shape=shape,
        style=node_style,
        fillcolor=_q(style.light),
        color=_q(style.fill),
        penwidth="2" if info.state == "failure" else "1.2",
    )


def _collapsed_line(info: NodeInfo, size: int) -> str:
    style = STATES[info.state]
    lines = [f"\u25b8 {info.title}"]
    if info.summary and info.summary != info.title:
        lines.append(_short(info.summary))
    lines.append(f"{size} nodes" + (f" \u00b7 {humanize_ms(info.duration_ms)}" if info.duration_ms is not None else ""))
    return f"{_id(info.id)} " + _attrs(
        id=_q(_escape(f"n{info.id}")),
        **{"class": _q(f"fg-node fg-collapsed state-{info.state}")},
        label=_label(lines),
        tooltip=_tooltip(info),
        shape="box3d",
        style="filled",
        fillcolor=_q(style.light),
        color=_q(style.fill),
        penwidth="2",
    )


def _gap_line(gap_id: str, count: int, first: str, last: str) -> str:
    return f"{_id(gap_id)} " + _attrs(
        id=_q(f"n{gap_id}"),
        **{"class": _q("fg-node fg-gap")},
        label=_label([f"\u2026 {count} more nodes", f"(nodes {first} to {last})"]),
        tooltip=_q(f"{count} nodes not drawn; draw a sub-tree (root=...) or raise max_nodes to see them"),
        shape="note",
        style="dashed",
        color=_q("#9aa0a6"),
    )


def _cluster_lines(info: NodeInfo, indent: str, kind: str) -> list[str]:
    style = STATES[info.state]
    title = info.title if not info.summary or info.summary == info.title else f"{info.title}: {_short(info.summary)}"
    duration = humanize_ms(info.duration_ms) if info.duration_ms is not None else ""
    label = f"{style.glyph} {title}" + (f"  ({duration})" if duration else "")
    return [
        f"{indent}subgraph {_id(f'cluster_{info.id}')} {{",
        f"{indent}\tid={_q(_escape(f'b{info.id}'))}",
        f"{indent}\tclass={_q(f'fg-block state-{info.state} block-{kind}')}",
        f"{indent}\tlabel={_label([label])}",
        f"{indent}\ttooltip={_tooltip(info)}",
        f'{indent}\tstyle="rounded,filled"',
        f"{indent}\tcolor={_q(style.fill)}",
        f"{indent}\tfillcolor={_q(_tint(style.light))}",
        f"{indent}\tfontcolor={_q(style.fill)}",
        f"{indent}\tlabeljust=l",
    ]


def _tint(light: str) -> str:
    """A paler version of a light colour, so nested clusters stay readable."""
    red, green, blue = (int(light[i : i + 2], 16) for i in (1, 3, 5))
    return "#{:02x}{:02x}{:02x}".format(*((c + 255 * 2) // 3 for c in (red, green, blue)))


def _block_kind(tree: BlockTree, block_id: str) -> str:
    node = tree.nodes[block_id]
    if tree.is_branch(block_id):
        return "branch"
    if node.label is not None and node.function_name == "stage":
        return "stage"
    return node.function_name or "block"


# -- the DOT text -------------------------------------------------------------------------


def dot_text(model: RunModel, tree: BlockTree, layout: Layout, rankdir: str = "TB") -> list[str]:
    """The body lines of the DOT graph (clusters, nodes, then edges), built without recursion."""
    lines: list[str] = [
        f"rankdir={rankdir}",
        'fontname="Helvetica,Arial,sans-serif"',
        "nodesep=0.25",
        "ranksep=0.3",
        'node [fontname="Helvetica,Arial,sans-serif" fontsize=10 margin="0.12,0.04" height=0.3]',
        'edge [color="#9aa0a6" arrowsize=0.6]',
    ]
    by_container: dict[str, list[str]] = {}
    child_blocks: dict[str, list[str]] = {}
    for node_id in layout.drawn:
        container = layout.container(node_id)
        if node_id not in layout.clusters:
            by_container.setdefault(container, []).append(node_id)
        else:  # an expanded, visible block start opens its own cluster
            by_container.setdefault(node_id, []).append(node_id)
            child_blocks.setdefault(container, []).append(node_id)
    sizes = _collapsed_sizes(tree, layout) if layout.collapsed else {}

    def emit_members(container: str, indent: str) -> None:
        for node_id in by_container.get(container, ()):
            if node_id in layout.gaps:
                lines.append(indent + _gap_line(node_id, *layout.gaps[node_id]))
                continue
            info = model.info(node_id)
            line = _collapsed_line(info, sizes[node_id]) if node_id in layout.collapsed else _node_line(info)
            lines.append(indent + line)

    emit_members(TOP, "")
    stack: list[tuple[Iterator[str], str]] = [(iter(child_blocks.get(TOP, ())), "")]
    while stack:
        blocks, indent = stack[-1]
        block_id = next(blocks, None)
        if block_id is None:
            stack.pop()
            if stack:
                lines.append(stack[-1][1] + "}")
            continue
        lines.extend(_cluster_lines(model.info(block_id), indent, _block_kind(tree, block_id)))
        inner = indent + "\t" if len(indent) < _MAX_INDENT else indent  # deep nesting: text stays linear
        emit_members(block_id, inner)
        stack.append((iter(child_blocks.get(block_id, ())), inner))
    for source, target in layout.edges():
        edge_id = _q(_escape(f"e{source}_{target}"))
        lines.append(f'{_id(source)} -> {_id(target)} [id={edge_id} class="fg-edge"]')
    return lines


def _collapsed_sizes(tree: BlockTree, layout: Layout) -> dict[str, int]:
    sizes = dict.fromkeys(layout.collapsed, 0)
    for drawn_as in layout.rep.values():
        if drawn_as in sizes:
            sizes[drawn_as] += 1
    return sizes


def to_dot(
    source: FlowGraph | Run,
    *,
    collapse_depth: int | None = None,
    collapsed: Iterable[str] = (),
    hide_bodies: bool = False,
    root: str | None = None,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    rankdir: str = "TB",
    analysis: StatusSource | None = None,
) -> graphviz.Digraph:
    """The node graph of a run (or bare graph) as a :class:`graphviz.Digraph` (see module doc).

    Raises
    ------
    NodeNotFoundError
        ``root`` or a ``collapsed`` id names no node.
    RenderError
        ``root`` or a ``collapsed`` id is not a block start.
    """
    model = RunModel(source, analysis)
    options = DotOptions(collapse_depth, frozenset(collapsed), hide_bodies, root, max_nodes, rankdir)
    tree = BlockTree(model.graph)
    for block_id in (*options.collapsed, *((root,) if root is not None else ())):
        _check_block(tree, model, block_id)
    layout = Layout(tree, options)
    name = model.run.name or "flowgraph"
    digraph = graphviz.Digraph(name=_q(_escape(str(name))), strict=False)
    digraph.body.extend(f"\t{line}\n" for line in dot_text(model, tree, layout, rankdir))
    return digraph


def _check_block(tree: BlockTree, model: RunModel, block_id: str) -> None:
    from flowgraph.errors import RenderError

    node = model.graph.node(block_id)  # NodeNotFoundError names a missing id
    if block_id not in tree.parent_block:
        raise RenderError(
            f"node {block_id} ({node.display_name}) is not a block start, so it cannot be collapsed or drawn alone"
        )


def to_svg(source: FlowGraph | Run, *, engine: Engine | str | None = None, **options: Any) -> str:
    """The node graph as SVG text, laid out by the chosen Graphviz engine (see :mod:`render.engine`).

    ``options`` are those of :func:`to_dot`.
    """
    digraph = to_dot(source, **options)
    return render_dot(digraph.source, "svg", engine=engine).decode("utf-8")
