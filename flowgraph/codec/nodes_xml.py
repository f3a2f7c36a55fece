"""Flow nodes to and from Jenkins' ``Tag`` element (one per-node file, one bulk-file entry).

A ``Tag`` holds a ``<node class=...>`` (parent ids, id, descriptor or start id, the flow end's
result) and an optional ``<actions>`` list. Decoding checks the schema strictly, because a node
file that parses as XML but is not a node (wrong root, no id, an id that is not the file's) is
the commonest form of damage and must be reported, not half-read.

Unchanged nodes are never re-serialised: :class:`Original` remembers what was read, and
:func:`encode_tag` reuses the source text of the whole node when it is unchanged, and of each
action that is unchanged when only some are new. That is what makes a read-then-write
byte-identical even for details the typed model does not hold (plugin versions per element,
redaction whitespace, ``<int>`` versus ``<long>``, XStream references, comments).

Examples
--------
>>> from flowgraph.codec.names import XmlFormat
>>> from flowgraph import FlowNode, NodeKind, TimingAction
>>> text = encode_tag(FlowNode("2", NodeKind.FLOW_START, actions=[TimingAction(7)]), XmlFormat(), depth=0)
>>> print(text)  # doctest: +ELLIPSIS
<Tag plugin="workflow-support@1015.v785e5a_b_b_8b_22">
  <node class="org.jenkinsci.plugins.workflow.graph.FlowStartNode" plugin="workflow-api@...">
    <parentIds/>
    <id>2</id>
  </node>
  <actions>
    <wf.a.TimingAction plugin="workflow-api@...">
      <startTime>7</startTime>
    </wf.a.TimingAction>
  </actions>
</Tag>
>>> node = decode_tag(SourceDoc(parse_xml(text.encode(), "2.xml")), expected_id="2")
>>> node.kind, node.start_ms
(FLOW_START, 7)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from lxml import etree

from flowgraph.actions import Action, UnknownAction
from flowgraph.codec.actions_xml import decode_action, encode_action, read_result, reindent, write_result
from flowgraph.codec.names import LEGACY_TAG, TAG_CLASS, XmlFormat, element_name, full_class_name, owner_of
from flowgraph.codec.xstream import ParsedXml, XmlWriter, element_spans, parse_xml, text_of
from flowgraph.errors import FormatError
from flowgraph.node import FlowNode, NodeKind

__all__ = [
    "NODE_CLASSES",
    "CLASS_OF_KIND",
    "SourceDoc",
    "Original",
    "decode_tag",
    "encode_tag",
    "decode_node_file",
    "with_end_descriptor",
]

_GRAPH = "org.jenkinsci.plugins.workflow.graph."
_NODES = "org.jenkinsci.plugins.workflow.cps.nodes."
NODE_CLASSES: dict[str, NodeKind] = {
    _GRAPH + "FlowStartNode": NodeKind.FLOW_START,
    _GRAPH + "FlowEndNode": NodeKind.FLOW_END,
    _NODES + "StepStartNode": NodeKind.BLOCK_START,
    _NODES + "StepEndNode": NodeKind.BLOCK_END,
    _NODES + "StepAtomNode": NodeKind.ATOM,
}
CLASS_OF_KIND = {kind: name for name, kind in NODE_CLASSES.items()}
_TAG_NAMES = (TAG_CLASS, LEGACY_TAG)


class SourceDoc:
    """A parsed document plus, on demand, the exact source text of any of its elements."""

    __slots__ = ("_elements", "_spans", "_text", "data", "parsed")

    def __init__(self, parsed: ParsedXml, data: bytes | None = None) -> None:
        self.parsed = parsed
        self.data = data
        self._text: str | None = None
        self._spans: list[tuple[int, int]] | None = None
        self._elements: dict[etree._Element, int] | None = None

    @property
    def path(self) -> str:
        return self.parsed.path

    def source_of(self, element: etree._Element) -> str:
        """The element exactly as it is written in the file."""
        if self._spans is None:
            if self.data is None:
                raise FormatError(f"{self.path}: source bytes are not available")
            self._text = self.data.decode("utf-8")
            self._spans = element_spans(self._text)
            self._elements = {e: i for i, e in enumerate(self.parsed.element.iter(etree.Element))}
        assert self._elements is not None and self._text is not None
        index = self._elements.get(element)
        if index is None or index >= len(self._spans):
            raise FormatError(f"{self.path}: cannot locate the source of <{element.tag}>")
        start, end = self._spans[index]
        return self._text[start:end]


def decode_tag(
    doc: SourceDoc,
    tag: etree._Element | None = None,
    *,
    expected_id: str | None = None,
    raw_actions: list[str | None] | None = None,
) -> FlowNode:
    """The FlowNode in a ``Tag`` element (the document root by default).

    ``raw_actions``, when given, is filled with each action's source text (in action order).
    """
    path = doc.path
    tag = doc.parsed.element if tag is None else tag
    where = f"{path}: node {expected_id}" if expected_id is not None else path
    if tag.tag not in _TAG_NAMES:
        raise FormatError(f"{where}: root element is <{tag.tag}>, expected <Tag> (not a flow-node file)", path=path)
    node_el = actions_el = None
    for child in tag:
        name = child.tag
        if name == "node":
            node_el = child
        elif name == "actions":
            actions_el = child
        elif isinstance(name, str):
            raise FormatError(f"{where}: unexpected <{name}> in <Tag>", path=path, node_id=expected_id)
    if node_el is None:
        raise FormatError(f"{where}: <Tag> has no <node>", path=path, node_id=expected_id)
    class_attr = node_el.get("class")
    kind = NODE_CLASSES.get(full_class_name(class_attr)) if class_attr else None
    if kind is None:
        raise FormatError(f"{where}: unknown flow-node class {class_attr!r}", path=path, node_id=expected_id)
    node_id = descriptor = start_id = None
    parents: list[str] = []
    result = None
    for child in node_el:
        name = child.tag
        if name == "id":
            node_id = text_of(child)
        elif name == "parentIds":
            for parent in child:
                if parent.tag == "string":
                    parents.append(text_of(parent))
                elif isinstance(parent.tag, str):
                    raise FormatError(f"{where}: <parentIds> holds <{parent.tag}>", path=path, node_id=expected_id)
        elif name == "descriptorId":
            descriptor = text_of(child)
        elif name == "startId":
            start_id = text_of(child)
        elif name == "result":
            result = read_result(child, where)
        elif isinstance(name, str):
            raise FormatError(f"{where}: unexpected <{name}> in <node>", path=path, node_id=expected_id)
    if not node_id:
        raise FormatError(f"{where}: <node> has no <id>", path=path, node_id=expected_id)
    if expected_id is not None and node_id != expected_id:
        raise FormatError(
            f"{where}: the file holds node {node_id}, not node {expected_id}", path=path, node_id=expected_id
        )
    where = f"{path}: node {node_id}"
    actions: list[Action] = []
    if actions_el is not None:
        for element in actions_el:
            name = element.tag
            if not isinstance(name, str):
                continue
            class_name = full_class_name(name)
            action = decode_action(element, class_name, where)
            raw = None
            if action is None:
                raw = doc.source_of(element)
                action = UnknownAction(class_name, raw)
            elif raw_actions is not None:
                raw = doc.source_of(element)
            actions.append(action)
            if raw_actions is not None:
                raw_actions.append(raw)
    try:
        return FlowNode(
            node_id,
            kind,
            tuple(parents),
            start_id=start_id,
            descriptor_id=descriptor,
            actions=actions,
            result=result,
        )
    except ValueError as exc:
        raise FormatError(f"{where}: {exc}", path=path, node_id=node_id) from None


def with_end_descriptor(node: FlowNode, start: FlowNode | None) -> FlowNode:
    """A block end takes its step's descriptor from its start node, as Jenkins' StepEndNode does.

    Only a real block step start lends it (never another end), so this is one hop, not a walk.
    """
    if (
        start is None
        or node.kind is not NodeKind.BLOCK_END
        or node.descriptor_id is not None
        or start.kind is not NodeKind.BLOCK_START
        or start.descriptor_id is None
    ):
        return node
    return FlowNode(
        node.id,
        node.kind,
        node.parent_ids,
        start_id=node.start_id,
        descriptor_id=start.descriptor_id,
        actions=node.actions,
        result=node.result,
    )


def decode_node_file(data: bytes, path: str, expected_id: str | None = None) -> FlowNode:
    """Decode one per-node file (``workflow/<id>.xml``)."""
    return decode_tag(SourceDoc(parse_xml(data, path), data), expected_id=expected_id)


class Original:
    """What a node looked like when it was read, and how to get its source text back.

    ``text`` returns the ``Tag`` element's source and the depth it was written at.
    """

    __slots__ = ("actions", "node", "text")

    def __init__(
        self, node: FlowNode, text: Callable[[], tuple[str, int]], *, actions: tuple[Action, ...] | None = None
    ) -> None:
        self.node = node
        self.actions = node.actions if actions is None else actions
        self.text = text

    def unchanged(self, node: FlowNode) -> bool:
        """True when ``node`` is what was read (same structure, same actions)."""
        if node is self.node:
            return node.actions is self.actions or node.actions == self.actions
        orig = self.node
        return (
            node.id == orig.id
            and node.kind is orig.kind
            and node.parent_ids == orig.parent_ids
            and node.start_id == orig.start_id
            and node.descriptor_id == orig.descriptor_id
            and node.result == orig.result
            and node.actions == self.actions
        )


def _reusable_actions(node: FlowNode, original: Original, fmt: XmlFormat) -> list[str | None]:
    """Source text for each of the node's actions that was there before, else None."""
    text, _depth = original.text()
    raws: list[str | None] = []
    data = text.encode("utf-8")
    old = decode_tag(SourceDoc(parse_xml(data, "original"), data), raw_actions=raws)
    reuse: list[str | None] = []
    prefix = True
    for index, action in enumerate(node.actions):
        if prefix and index < len(old.actions) and old.actions[index] == action:
            reuse.append(raws[index])
            continue
        prefix = False
        found = None
        for old_action, raw in zip(old.actions, raws, strict=True):
            if raw is not None and old_action == action and 'reference="' not in raw:
                found = raw
                break
        reuse.append(found)
    return reuse


def encode_tag(node: FlowNode, fmt: XmlFormat, *, depth: int, original: Original | None = None) -> str:
    """The ``Tag`` element for ``node`` at ``depth`` (0 in a per-node file, 2 in a bulk file)."""
    if original is not None and original.unchanged(node):
        text, was = original.text()
        return text if was == depth else reindent(text, depth)
    raws = _reusable_actions(node, original, fmt) if original is not None else None
    class_name = CLASS_OF_KIND[node.kind]
    node_owner = owner_of(class_name)
    w = XmlWriter(depth)
    tag_name = TAG_CLASS if fmt.aliases else LEGACY_TAG
    w.open(tag_name, fmt.plugin_attr("workflow-support", enclosing=None))
    tag_owner = fmt.effective_owner("workflow-support", None)
    w.open(
        "node", (("class", element_name(class_name, fmt.aliases)),) + fmt.plugin_attr(node_owner, enclosing=tag_owner)
    )
    if node.parent_ids:
        w.open("parentIds")
        for parent in node.parent_ids:
            w.leaf("string", parent)
        w.close("parentIds")
    else:
        w.empty("parentIds")
    w.leaf("id", node.id)
    if node.descriptor_id is not None and node.kind in (NodeKind.ATOM, NodeKind.BLOCK_START):
        w.leaf("descriptorId", node.descriptor_id)
    if node.start_id is not None:
        w.leaf("startId", node.start_id)
    if node.result is not None and node.kind is NodeKind.FLOW_END:
        write_result(w, "result", node.result)
    w.close("node")
    if node.actions:
        w.open("actions")
        inner = w.depth
        for index, action in enumerate(node.actions):
            raw = raws[index] if raws is not None else None
            if raw is not None:
                w.raw(reindent(raw, inner))
            else:
                w.raw(encode_action(action, fmt, depth=inner, enclosing=tag_owner))
        w.close("actions")
    w.close(tag_name)
    return w.getvalue()


def tag_texts(nodes: Sequence[FlowNode], fmt: XmlFormat, depth: int) -> list[str]:
    """Encode several nodes (no reuse); a helper for writers that stream many nodes."""
    return [encode_tag(n, fmt, depth=depth) for n in nodes]
