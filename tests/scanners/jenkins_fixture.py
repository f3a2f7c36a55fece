"""Read a real Jenkins per-node build directory (``workflow/N.xml``) into a FlowGraph, for scanner tests.

Deliberately minimal and test-only (the project's Jenkins storage is another module): it keeps
what scanners look at (node class, parents, start id, step descriptor, label, branch name, stage
marker, timing) and nothing else. A StepEndNode has no descriptor in its file; Jenkins gives it
its start's, and so does this reader.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from flowgraph import FlowGraph, FlowNode, LabelAction, NodeKind, ParallelLabelAction, StageAction, TimingAction
from flowgraph.actions import Action

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "jenkins"

_KINDS = {
    "FlowStartNode": NodeKind.FLOW_START,
    "FlowEndNode": NodeKind.FLOW_END,
    "StepStartNode": NodeKind.BLOCK_START,
    "StepEndNode": NodeKind.BLOCK_END,
    "StepAtomNode": NodeKind.ATOM,
}


def _actions(root: etree._Element) -> list[Action]:
    found: list[Action] = []
    for action in root.findall("actions/*"):
        name = action.tag.rsplit(".", 1)[-1]
        if name == "TimingAction":
            found.append(TimingAction(int(action.findtext("startTime") or 0)))
        elif name == "LabelAction":
            found.append(LabelAction(action.findtext("displayName")))
        elif name.endswith("ParallelLabelAction"):
            found.append(ParallelLabelAction(action.findtext("branchName") or ""))
        elif name == "StageActionImpl":
            found.append(StageAction(action.findtext("stageName") or ""))
    return found


def read_build(workflow_dir: Path) -> FlowGraph:
    """Every ``N.xml`` of a build's ``workflow`` directory, added in id order."""
    parsed = []
    for path in workflow_dir.glob("*.xml"):
        root = etree.parse(str(path)).getroot()
        node = root.find("node")
        assert node is not None, path
        parsed.append((int(node.findtext("id") or 0), node, root))
    graph = FlowGraph()
    for _, node, root in sorted(parsed, key=lambda item: item[0]):
        kind = _KINDS[node.get("class", "").rsplit(".", 1)[-1]]
        start_id = node.findtext("startId")
        descriptor = node.findtext("descriptorId")
        if descriptor is None and start_id is not None and kind is NodeKind.BLOCK_END:
            descriptor = graph.node(start_id).descriptor_id
        graph.add_node(
            FlowNode(
                node.findtext("id") or "",
                kind,
                tuple(s.text or "" for s in node.findall("parentIds/string")),
                start_id=start_id,
                descriptor_id=descriptor,
                actions=_actions(root),
            )
        )
    return graph
