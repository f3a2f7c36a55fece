"""Hand-built graphs with the exact node ids of reference/scanners.md, in (nearly) its notation.

``graph_from("2 start; 3 atom(2); 4 par(3); 6 branch:a(4); 7 end:6(3) ...")`` builds a
:class:`~flowgraph.FlowGraph` node by node:

* ``start`` flow start; ``flowend:S(P)`` flow end closing start S with parent P;
* ``atom(P)`` an ``echo`` step; ``legacy:NAME(P)`` a legacy ``stage 'NAME'`` marker atom;
* ``block(P)`` a ``timeout`` block start; ``stage:NAME(P)`` a labelled ``stage`` body start;
  ``stagestep(P)`` the outer ``stage`` step start;
* ``par(P)`` a parallel start (ParallelStep, no thread name); ``branch:NAME(P)`` a branch start
  (ParallelStep plus ParallelLabelAction);
* ``end:S(P1,P2,...)`` a block end closing S (its step copied from S).

Every node gets TimingAction(id * 1000) so "newest" means "highest id".
"""

from __future__ import annotations

import re

from flowgraph import FlowGraph, FlowNode, NodeKind, ParallelLabelAction, TimingAction
from flowgraph.actions import Action, ArgumentsAction, BodyInvocationAction, LabelAction, StageAction
from flowgraph.steps import PARALLEL_STEP, STAGE_STEP, descriptor_id

_TOKEN = re.compile(r"^(?P<id>\d+)\s+(?P<kind>[a-z]+)(?::(?P<arg>[^()\s]+))?(?:\((?P<parents>[\d,\s]*)\))?$")


def graph_from(spec: str, heads: list[str] | None = None) -> FlowGraph:
    graph = FlowGraph()
    for part in spec.split(";"):
        part = part.strip()
        if not part:
            continue
        m = _TOKEN.match(part)
        assert m is not None, f"bad node spec {part!r}"
        node_id, kind, arg = m["id"], m["kind"], m["arg"]
        parents = tuple(p.strip() for p in (m["parents"] or "").split(",") if p.strip())
        timing: list[Action] = [TimingAction(int(node_id) * 1000)]
        if kind == "start":
            node = FlowNode(node_id, NodeKind.FLOW_START, actions=timing)
        elif kind == "flowend":
            node = FlowNode(node_id, NodeKind.FLOW_END, parents, start_id=arg, actions=timing)
        elif kind == "atom":
            node = FlowNode(node_id, NodeKind.ATOM, parents, descriptor_id=descriptor_id("echo"), actions=timing)
        elif kind == "legacy":
            assert arg is not None
            node = FlowNode(
                node_id,
                NodeKind.ATOM,
                parents,
                descriptor_id=STAGE_STEP,
                actions=[ArgumentsAction({"name": arg}), *timing, LabelAction(arg), StageAction(arg)],
            )
        elif kind == "block":
            node = FlowNode(
                node_id, NodeKind.BLOCK_START, parents, descriptor_id=descriptor_id("timeout"), actions=timing
            )
        elif kind == "stagestep":
            node = FlowNode(node_id, NodeKind.BLOCK_START, parents, descriptor_id=STAGE_STEP, actions=timing)
        elif kind == "stage":
            assert arg is not None
            node = FlowNode(
                node_id,
                NodeKind.BLOCK_START,
                parents,
                descriptor_id=STAGE_STEP,
                actions=[BodyInvocationAction(), LabelAction(arg), *timing],
            )
        elif kind == "par":
            node = FlowNode(node_id, NodeKind.BLOCK_START, parents, descriptor_id=PARALLEL_STEP, actions=timing)
        elif kind == "branch":
            assert arg is not None
            node = FlowNode(
                node_id,
                NodeKind.BLOCK_START,
                parents,
                descriptor_id=PARALLEL_STEP,
                actions=[BodyInvocationAction(), ParallelLabelAction(arg), *timing],
            )
        elif kind == "end":
            assert arg is not None
            start = graph.node(arg)
            node = FlowNode(
                node_id, NodeKind.BLOCK_END, parents, start_id=arg, descriptor_id=start.descriptor_id, actions=timing
            )
        else:
            raise AssertionError(f"unknown node kind {kind!r} in {part!r}")
        graph.add_node(node)
    if heads is not None:
        graph.set_heads(heads)
    return graph


# reference/scanners.md §2: the simple parallel of the upstream tests
SIMPLE_PARALLEL = (
    "2 start; 3 atom(2); 4 par(3); 6 branch:1(4); 7 branch:2(4); 8 atom(6); 9 end:6(8); "
    "10 atom(7); 11 atom(10); 12 end:7(11); 13 end:4(9,12); 14 atom(13); 15 flowend:2(14)"
)

# §3: a straight line
LINEAR = "2 start; 3 atom(2); 4 atom(3); 5 atom(4); 6 flowend:2(5)"

# §4: a timeout block (outer step block 4, body block 5)
TIMEOUT = (
    "2 start; 3 atom(2); 4 block(3); 5 block(4); 6 atom(5); 7 atom(6); 8 end:5(7); 9 end:4(8); "
    "10 atom(9); 11 flowend:2(10)"
)

# §10: parallel 12 nested in branch "2" of parallel 4
NESTED_PARALLEL = (
    "2 start; 3 atom(2); 4 par(3); 6 branch:1(4); 7 branch:2(4); 8 atom(6); 9 end:6(8); "
    "10 atom(7); 11 atom(10); 12 par(11); 14 branch:2-1(12); 15 branch:2-2(12); 16 atom(14); "
    "17 end:14(16); 18 atom(15); 19 atom(18); 20 end:15(19); 21 end:12(17,20); 22 end:7(21); "
    "23 end:4(9,22); 24 atom(23); 25 flowend:2(24)"
)

# §10: three branches; the running-build view has heads 11, 12, 14
TRIPLE_PARALLEL = (
    "2 start; 3 atom(2); 4 par(3); 7 branch:a(4); 8 branch:b(4); 9 branch:c(4); 10 atom(7); "
    "11 end:7(10); 12 atom(8); 13 end:8(12); 14 atom(9); 15 end:9(14); 16 end:4(11,13,15); "
    "17 flowend:2(16)"
)


def ids(nodes: object) -> list[str]:
    return [n.id for n in nodes]  # type: ignore[attr-defined]
