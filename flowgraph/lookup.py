"""Enclosing-block lookup with caching: Jenkins' ``StandardGraphLookupView`` without its recursion.

The enclosing block of a node is found by one rule (``reference/scanners.md`` §9): from the
node, if it is a block end jump to its start; otherwise look at its first parent — a block start
is the answer, anything else is stepped onto and the rule repeats. Every node on such a walk has
the *same* answer, so one walk answers (and caches) all of them: asking for every node of a
graph costs O(n) in total, whatever order the questions come in. Appending nodes never changes
an existing node's answer (it depends only on ancestors), so the cache stays valid while a run
grows; block ends learnt from appended nodes keep :meth:`EnclosingBlockLookup.end_of` current.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from flowgraph.errors import CorruptGraphError, GraphCycleError, NodeNotFoundError
from flowgraph.node import FlowNode

if TYPE_CHECKING:
    from flowgraph.graph import FlowGraph

__all__ = ["EnclosingBlockLookup"]

_TOP = ""  # cached answer meaning "no enclosing block" (flow start, flow end)


class EnclosingBlockLookup:
    """Cached enclosing-block and block-end queries over one :class:`~flowgraph.FlowGraph`.

    ``visits`` counts the nodes the lookup had to fetch, so tests can show the total work is
    linear in the graph's size.
    """

    __slots__ = ("_enclosing", "_ends", "_ends_complete", "_get", "_iter_nodes", "visits")

    def __init__(self, graph: FlowGraph, *, ends_complete: bool) -> None:
        self._get: Callable[[str], FlowNode | None] = graph.storage.get_node
        self._iter_nodes: Callable[[], Iterator[FlowNode]] = graph.storage.iter_nodes
        self._enclosing: dict[str, str] = {}
        self._ends: dict[str, str] = {}
        self._ends_complete = ends_complete
        self.visits = 0

    # -- feeding ------------------------------------------------------------------------

    def on_new_node(self, node: FlowNode) -> None:
        """Record what an appended node tells us (a block end closes its start)."""
        if node.start_id is not None:
            self._ends[node.start_id] = node.id

    # -- queries ------------------------------------------------------------------------

    def _fetch(self, node_id: str, referenced_by: str) -> FlowNode:
        self.visits += 1
        node = self._get(node_id)
        if node is None:
            raise NodeNotFoundError(node_id, referenced_by=referenced_by)
        return node

    def enclosing_id(self, node: FlowNode) -> str | None:
        """Id of the nearest block start enclosing ``node``; None for the flow start and end."""
        cache = self._enclosing
        answer = cache.get(node.id)
        if answer is not None:
            return answer or None
        path: list[str] = []
        on_path: set[str] = set()
        current = node
        while True:
            cached = cache.get(current.id)
            if cached is not None:
                answer = cached
                break
            if current.id in on_path:
                raise GraphCycleError(path[path.index(current.id) :] + [current.id])
            path.append(current.id)
            on_path.add(current.id)
            if current.start_id is not None:
                start = self._fetch(current.start_id, current.id)
                if not start.is_block_start:
                    raise CorruptGraphError(
                        f"block end {current.id} names start {start.id}, which is not a block start",
                        node_id=current.id,
                    )
                current = start
                continue
            if not current.parent_ids:
                answer = _TOP
                break
            parent = self._fetch(current.parent_ids[0], current.id)
            if parent.is_block_start:
                answer = parent.id
                break
            current = parent
        for node_id in path:
            cache[node_id] = answer
        return answer or None

    def iterate_enclosing_blocks(self, node: FlowNode) -> Iterator[FlowNode]:
        """Enclosing block starts, innermost first, fetched lazily."""
        current = node
        seen: set[str] = set()
        while True:
            enclosing = self.enclosing_id(current)
            if enclosing is None:
                return
            if enclosing in seen:
                raise GraphCycleError([*seen, enclosing])
            seen.add(enclosing)
            current = self._fetch(enclosing, current.id)
            yield current

    def end_of(self, start: FlowNode) -> FlowNode | None:
        """The block end closing ``start``, or None while the block is still open."""
        if not start.is_block_start:
            raise ValueError(f"node {start.id} is not a block start")
        end_id = self._ends.get(start.id)
        if end_id is None and not self._ends_complete:
            self._index_all_ends()
            end_id = self._ends.get(start.id)
        if end_id is None:
            return None
        return self._fetch(end_id, start.id)

    def _index_all_ends(self) -> None:
        """One pass over the storage records every start→end pair (Jenkins walks from the heads)."""
        ends = self._ends
        for node in self._iter_nodes():
            self.visits += 1
            if node.start_id is not None:
                ends.setdefault(node.start_id, node.id)
        self._ends_complete = True
