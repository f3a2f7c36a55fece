"""The scanner contract shared by every walk: set up from heads, iterate, filter, visit.

Jenkins' graph-analysis library walks a flow graph backwards, from its newest nodes (the
*heads*) towards the flow start, with small stateful iterators called scanners
(``reference/scanners.md`` §1). :class:`FlowScanner` keeps that contract once, for every scanner:

* :meth:`FlowScanner.setup` takes heads (a list of nodes, one node, a :class:`~flowgraph.FlowGraph`
  or a :class:`~flowgraph.Run`, whose current heads are used) and a deny list, drops duplicate and
  denied heads, and returns False (leaving any previous walk untouched) when nothing is left.
* Iterating yields :class:`~flowgraph.FlowNode` objects; the first is the (first) head itself.
  The walk is computed one node ahead, as Jenkins does, so the scanner's state (``current``,
  ``next_node`` and, for :class:`~scanners.ForkScanner`, the parallel bookkeeping) already
  describes the *following* node when a node is handed out.
* Denied nodes are never returned and never walked through: the deny list is an exclusive
  lower bound.
* :meth:`FlowScanner.find_first_match`, :meth:`FlowScanner.filtered_nodes`,
  :meth:`FlowScanner.all_nodes` and :meth:`FlowScanner.visit_all` set up and run in one call.

Nodes only know their parents' ids, so a scanner reads parents through the graph's storage:
it needs the graph, either from the heads (a graph or a run) or from its constructor.

Every walk is a loop (a generator) with an explicit stack where one is needed: no recursion,
so graphs with a million nodes or a hundred thousand nested blocks are fine. Scanners are not
thread safe; use one per thread.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeAlias, TypeVar

from flowgraph.errors import CorruptGraphError, NodeNotFoundError, ScanError
from flowgraph.graph import FlowGraph
from flowgraph.node import FlowNode
from flowgraph.run import Run
from scanners.visitors import FlowNodeVisitor

__all__ = ["FlowScanner", "Filterator", "Heads", "NodeRefs", "Predicate"]

_T = TypeVar("_T")

Heads: TypeAlias = FlowGraph | Run | FlowNode | Iterable[FlowNode | str] | None
"""What a scanner can start from: nodes (or their ids), one node, a graph or a run (current heads)."""

NodeRefs: TypeAlias = FlowNode | Iterable[FlowNode | str] | None
"""A deny list: nodes or node ids (only membership matters)."""

Predicate: TypeAlias = Callable[[FlowNode], bool]
"""Any callable taking a node and answering True or False (see :mod:`scanners.predicates`)."""

_EMPTY_WALK: Iterator[FlowNode] = iter(())


class Filterator(Iterator[_T], Generic[_T]):
    """A lazy filtered view of an iterator that always stays one match ahead (Jenkins' Filterator).

    Creating it already consumes the wrapped iterator up to the first match; each ``next``
    hands out the pending match and looks for the following one. Filtering a scanner advances
    that same scanner.

    Examples
    --------
    >>> f = Filterator(iter(range(10)), lambda n: n % 3 == 0)
    >>> f.has_next(), list(f.filter(lambda n: n > 0))
    (True, [3, 6, 9])
    """

    __slots__ = ("_has_next", "_pending", "_predicate", "_source")

    def __init__(self, source: Iterator[_T], predicate: Callable[[_T], bool]) -> None:
        self._source = source
        self._predicate = predicate
        self._pending: _T | None = None
        self._has_next = False
        self._advance()

    def _advance(self) -> None:
        predicate = self._predicate
        for value in self._source:
            if predicate(value):
                self._pending = value
                self._has_next = True
                return
        self._pending = None
        self._has_next = False

    def has_next(self) -> bool:
        """True while a matching value is pending."""
        return self._has_next

    def __iter__(self) -> Filterator[_T]:
        return self

    def __next__(self) -> _T:
        if not self._has_next:
            raise StopIteration
        value = self._pending
        self._advance()
        return value  # type: ignore[return-value]

    def filter(self, predicate: Callable[[_T], bool]) -> Filterator[_T]:
        """Filter again: a new Filterator over this one."""
        return Filterator(self, predicate)


class FlowScanner(ABC):
    """Base of every scanner: Jenkins' ``AbstractFlowScanner`` contract in Python.

    Parameters
    ----------
    graph
        The graph (or run) whose nodes are walked. Optional when heads are given as a graph or a
        run; required when heads are given as nodes or ids.

    Notes
    -----
    A scanner is a single-use, resumable iterator: ``iter(scanner)`` returns its live walk (the
    same iterator until the next :meth:`setup`), so a loop broken off can be resumed with
    ``next(scanner)``. Subclasses supply :meth:`_reset` and :meth:`_set_heads`.
    """

    __slots__ = ("_current", "_deny", "_get", "_next", "_walk", "graph")

    def __init__(self, graph: FlowGraph | Run | None = None) -> None:
        self.graph: FlowGraph | None = _graph_of(graph) if graph is not None else None
        self._current: FlowNode | None = None
        self._next: FlowNode | None = None
        self._deny: frozenset[str] | set[str] = frozenset()
        self._walk: Iterator[FlowNode] = _EMPTY_WALK
        self._get: Callable[[str], FlowNode | None] = _no_storage

    # -- state -----------------------------------------------------------------------------

    @property
    def current(self) -> FlowNode | None:
        """The node most recently handed out (right after setup: the first head)."""
        return self._current

    @property
    def next_node(self) -> FlowNode | None:
        """The look-ahead: the node the next ``next()`` returns, or None at the end."""
        return self._next

    def has_next(self) -> bool:
        """True while the walk has another node."""
        return self._next is not None

    @property
    def denylist(self) -> frozenset[str]:
        """Ids of the denied nodes of the current walk."""
        return frozenset(self._deny)

    # -- setup -----------------------------------------------------------------------------

    def setup(self, heads: Heads, denylist: NodeRefs = ()) -> bool:
        """Start a new walk from ``heads``, never returning or passing through ``denylist``.

        Returns False, leaving the previous walk as it was, when there are no heads or every
        head is denied.

        Examples
        --------
        >>> from flowgraph import GraphBuilder
        >>> from scanners import LinearScanner
        >>> b = GraphBuilder()
        >>> _ = b.step("echo", message="hi")
        >>> graph = b.build().graph
        >>> s = LinearScanner()
        >>> s.setup(graph), [n.id for n in s], s.setup([])
        (True, ['4', '3', '2'], False)
        """
        graph, nodes = self._resolve_heads(heads)
        if not nodes:
            return False
        deny = _ids_of(denylist, graph)
        filtered: dict[str, FlowNode] = {}
        for node in nodes:
            if node.id not in deny and node.id not in filtered:
                filtered[node.id] = node
        if not filtered:
            return False
        assert graph is not None
        self.graph = graph
        self._get = graph.storage.get_node
        self._deny = deny
        self._current = None
        self._next = None
        self._walk = _EMPTY_WALK
        self._reset()
        return self._set_heads(list(filtered.values()))

    def _resolve_heads(self, heads: Heads) -> tuple[FlowGraph | None, list[FlowNode]]:
        if heads is None:
            return self.graph, []
        if isinstance(heads, (FlowGraph, Run)):
            source = _graph_of(heads)
            return source, list(source.heads)
        graph = self.graph
        items: Iterable[FlowNode | str] = (heads,) if isinstance(heads, FlowNode) else heads
        nodes: list[FlowNode] = []
        for item in items:
            if isinstance(item, FlowNode):
                nodes.append(item)
            elif isinstance(item, str):
                if graph is None:
                    raise ScanError(f"head id {item!r} given, but the scanner has no graph to look it up in")
                nodes.append(graph.node(item))
            else:
                raise TypeError(f"heads must be FlowNodes or node ids, not {type(item).__name__}")
        if nodes and graph is None:
            raise ScanError(
                f"{type(self).__name__} was given head node {nodes[0].id} but no graph to read parents from; "
                f"construct it as {type(self).__name__}(graph) or pass the graph itself as the heads"
            )
        return graph, nodes

    @abstractmethod
    def _reset(self) -> None:
        """Clear scanner-specific state before a new walk."""

    @abstractmethod
    def _set_heads(self, heads: list[FlowNode]) -> bool:
        """Start the walk from de-duplicated, non-denied heads; False if it yields nothing."""

    def _step_limit(self, head_count: int) -> int:
        """A bound no valid walk reaches: exceeding it means the parent links loop."""
        assert self.graph is not None
        return (len(self.graph.storage) + 2) * (head_count + 1)

    def _fetch(self, node_id: str, referenced_by: str) -> FlowNode:
        node = self._get(node_id)
        if node is None:
            raise NodeNotFoundError(node_id, referenced_by=referenced_by)
        return node

    def _stepwise(self, first: FlowNode, step: Callable[[FlowNode], FlowNode | None], limit: int) -> Iterator[FlowNode]:
        """The generic walk: hand out ``first``, then ``step(previous)`` until it returns None.

        The look-ahead is computed before a node is handed out (Jenkins' eager ``next``).
        """
        nxt: FlowNode | None = first
        cur = first
        for _ in range(limit):
            cur = nxt  # type: ignore[assignment]  # never None here: the loop returns first
            self._current = cur
            nxt = step(cur)
            self._next = nxt
            yield cur
            if nxt is None:
                return
        raise cycle_error(cur, limit)

    # -- iteration ---------------------------------------------------------------------------

    def __iter__(self) -> Iterator[FlowNode]:
        return self._walk

    def __next__(self) -> FlowNode:
        return next(self._walk)

    def filter(self, predicate: Predicate) -> Filterator[FlowNode]:
        """A lazy filtered iterator that advances this scanner (prefetching one match)."""
        return Filterator(self._walk, predicate)

    # -- one-call conveniences -----------------------------------------------------------------

    def find_first_match(self, heads: Heads, predicate: Predicate, denylist: NodeRefs = ()) -> FlowNode | None:
        """The first node of the walk that satisfies ``predicate``, or None.

        Examples
        --------
        >>> from flowgraph import GraphBuilder
        >>> from scanners import DepthFirstScanner, step_name
        >>> b = GraphBuilder()
        >>> _ = b.step("sh", script="make"); _ = b.step("echo", message="done")
        >>> DepthFirstScanner().find_first_match(b.build().graph, step_name("sh")).id
        '3'
        """
        if not self.setup(heads, denylist):
            return None
        for node in self._walk:
            if predicate(node):
                return node
        return None

    def filtered_nodes(self, heads: Heads, predicate: Predicate, denylist: NodeRefs = ()) -> list[FlowNode]:
        """Every node of the walk that satisfies ``predicate``, in walk order (empty if setup fails)."""
        if not self.setup(heads, denylist):
            return []
        return [node for node in self._walk if predicate(node)]

    def all_nodes(self, heads: Heads, denylist: NodeRefs = ()) -> list[FlowNode]:
        """Every node of the walk, in walk order (empty if setup fails)."""
        if not self.setup(heads, denylist):
            return []
        return list(self._walk)

    def visit_all(
        self,
        heads: Heads,
        visitor: FlowNodeVisitor | Callable[[FlowNode], bool | None],
        denylist: NodeRefs = (),
    ) -> None:
        """Call ``visitor.visit(node)`` (or ``visitor(node)``) for each node, in walk order.

        The walk stops right after the first call that returns False (that node was visited);
        None and True continue.
        """
        if not self.setup(heads, denylist):
            return
        visit: Callable[[FlowNode], bool | None] = visitor.visit if isinstance(visitor, FlowNodeVisitor) else visitor
        for node in self._walk:
            if visit(node) is False:
                return

    def __repr__(self) -> str:
        at = self._current.id if self._current is not None else None
        nxt = self._next.id if self._next is not None else None
        return f"{type(self).__name__}(current={at!r}, next={nxt!r})"


def _graph_of(source: FlowGraph | Run) -> FlowGraph:
    if isinstance(source, Run):
        return source.graph
    if isinstance(source, FlowGraph):
        return source
    raise TypeError(f"expected a FlowGraph or a Run, not {type(source).__name__}")


def _ids_of(nodes: NodeRefs, graph: FlowGraph | None) -> frozenset[str] | set[str]:
    if nodes is None:
        return frozenset()
    if isinstance(nodes, FlowNode):
        return frozenset((nodes.id,))
    ids: set[str] = set()
    for item in nodes:
        if isinstance(item, FlowNode):
            ids.add(item.id)
        elif isinstance(item, str):
            ids.add(item)
        else:
            raise TypeError(f"a deny list holds FlowNodes or node ids, not {type(item).__name__}")
    return ids if ids else frozenset()


def _no_storage(node_id: str) -> FlowNode | None:
    raise ScanError("the scanner was not set up; call setup(heads) first")


def cycle_error(node: FlowNode, limit: int) -> CorruptGraphError:
    """The error raised when a walk outlives every valid graph of this size."""
    return CorruptGraphError(
        f"walk did not end after {limit} steps (last node {node.id}): the parent links form a cycle",
        node_id=node.id,
    )
