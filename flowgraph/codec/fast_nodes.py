"""The storages' fast path for decoding flow nodes: same nodes as :mod:`nodes_xml`, a few times sooner.

Loading a run is dominated by turning lxml elements into nodes and actions, not by libxml2
(which parses a 10,000-node bulk file in well under 100 ms). The general decoder in
:mod:`~flowgraph.codec.nodes_xml` looks children up by name, builds error-location strings
up front and goes through a class-name translation per action; that is what costs. This
module decodes the shapes XStream really writes with direct child indexing, dispatch tables
keyed by the element name as written, shared instances of the field-less actions, and interned
descriptor ids and argument names.

The contract is strict: :func:`decode_tag_fast` either returns exactly the node that
:func:`~flowgraph.codec.nodes_xml.decode_tag` returns for the same bytes, or raises
:class:`~flowgraph.codec.xstream.CompactMiss` (or the library's own error), and the caller
then runs the general decoder on a standard parse. Anything this module does not vouch for
(an unexpected child, a repeated field, a leaf that has children, a value that needs
converting) is a miss, never a guess, so every error message still comes from the general path.
Actions it has no fast decoder for go through the general action codec on the same tree.

Examples
--------
>>> data = (b"<Tag><node class='cps.n.StepAtomNode'><parentIds><string>2</string></parentIds>"
...         b"<id>3</id><descriptorId>org.jenkinsci.plugins.workflow.steps.EchoStep</descriptorId></node>"
...         b"<actions><wf.a.TimingAction><startTime>7</startTime></wf.a.TimingAction></actions></Tag>")
>>> node = decode_node_bytes(data, "3.xml", "3")
>>> node.kind, node.parent_ids, node.function_name, node.start_ms
(ATOM, ('2',), 'echo', 7)
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from operator import itemgetter
from types import MappingProxyType

from lxml import etree

from flowgraph.actions import (
    Action,
    ArgumentsAction,
    BodyInvocationAction,
    LabelAction,
    LogStorageAction,
    NotExecutedNodeAction,
    ParallelLabelAction,
    TimingAction,
    UnknownAction,
)
from flowgraph.codec.actions_xml import (
    ARGUMENTS,
    BODY,
    LABEL,
    LOG_STORAGE,
    NOT_EXECUTED,
    PARALLEL_LABEL,
    TIMING,
    decode_action,
    read_result,
)
from flowgraph.codec.compact import parse_compact
from flowgraph.codec.names import LEGACY_TAG, TAG_CLASS, full_class_name
from flowgraph.codec.nodes_xml import NODE_CLASSES, SourceDoc, decode_tag
from flowgraph.codec.xstream import CompactMiss, parse_xml
from flowgraph.errors import FlowGraphError
from flowgraph.gcpause import gc_paused
from flowgraph.node import FlowNode, NodeKind, _fill_slots

__all__ = ["decode_tag_fast", "decode_node_bytes", "decode_bulk_fast", "gc_paused"]

_FLOW_START = NodeKind.FLOW_START
_FLOW_END = NodeKind.FLOW_END
_BLOCK_START = NodeKind.BLOCK_START
_BLOCK_END = NodeKind.BLOCK_END
_intern = sys.intern
# ``element[:]``: all children in one C call, several times cheaper than iterating them.
_children: Callable[[etree._Element], list[etree._Element]] = itemgetter(slice(None))
_EMPTY: frozenset[str] = frozenset()
_CACHE_LIMIT = 4096  # distinct element spellings remembered (real files use a few dozen)


class _Slow(Exception):
    """This action element needs the general action codec (still on the same tree)."""


def _text(element: etree._Element) -> str:
    """What :func:`~flowgraph.codec.xstream.text_of` gives for an element of a compact tree.

    Its text is exactly the standard parse's whenever it is not None; None with children means
    blank text may have been dropped, which only the general path can settle. (The hottest
    callers inline the first test and call :func:`_no_text` for the None case.)
    """
    text = element.text
    if text is None:
        return _no_text(element)
    return text


def _no_text(element: etree._Element) -> str:
    if len(element):
        raise CompactMiss(f"<{element.tag}> has children")
    return ""


# -- actions ----------------------------------------------------------------------------

# Field-less actions are immutable and equal to each other: one shared instance each.
_BODY = BodyInvocationAction()
_LOG_STORAGE = LogStorageAction()
_NOT_EXECUTED = NotExecutedNodeAction()

# The slotted actions built most often are filled in through their slot descriptors, as their
# own constructors would fill them (tests compare the results with the general decoder's).
_new = object.__new__
_set_start_ms = TimingAction.__dict__["start_ms"].__set__
_set_arguments = ArgumentsAction.__dict__["_arguments"].__set__
_set_sensitive = ArgumentsAction.__dict__["_sensitive"].__set__
_set_unmodified = ArgumentsAction.__dict__["_unmodified"].__set__


def _timing(element: etree._Element) -> Action:
    children = _children(element)
    if len(children) == 1:
        child = children[0]
        if child.tag == "startTime":
            text = child.text
            if text is not None:
                try:
                    start_ms = int(text.strip())
                except ValueError:
                    raise _Slow from None
                action = _new(TimingAction)
                _set_start_ms(action, start_ms)
                return action
    raise _Slow


def _label(element: etree._Element) -> Action:
    children = _children(element)
    if not children:
        return LabelAction(None)
    if len(children) == 1:
        child = children[0]
        if child.tag == "displayName":
            return LabelAction(_text(child))
    raise _Slow


def _parallel_label(element: etree._Element) -> Action:
    children = _children(element)
    if len(children) == 1:
        child = children[0]
        if child.tag == "branchName":
            return ParallelLabelAction(_text(child))
    raise _Slow


def _arguments(element: etree._Element) -> Action:
    """``ArgumentsActionImpl`` holding plain string arguments (anything else: the general codec)."""
    values: dict[str, str] = {}
    names = _EMPTY
    unmodified = True
    seen = 0
    for child in _children(element):
        tag = child.tag
        if tag == "arguments":
            if seen & 1:
                raise _Slow
            seen |= 1
            for entry in _children(child):
                pair = _children(entry)
                if entry.tag != "entry" or len(pair) != 2:
                    raise _Slow
                key, value = pair
                if key.tag != "string" or value.tag != "string" or value.attrib:
                    raise _Slow
                text = key.text
                name = _intern(text) if text is not None else _no_text(key)
                text = value.text
                values[name] = text if text is not None else _no_text(value)
        elif tag == "sensitiveVariables":
            if seen & 2:
                raise _Slow
            seen |= 2
            items = _children(child)
            if items:
                found = []
                for item in items:
                    if item.tag == "string":
                        found.append(_text(item))
                names = frozenset(found)
        elif tag == "isUnmodifiedBySanitization":
            if seen & 4:
                raise _Slow
            seen |= 4
            unmodified = (_text(child) or "true").strip() == "true"
    action = _new(ArgumentsAction)
    _set_arguments(action, MappingProxyType(values))
    _set_sensitive(action, names)
    _set_unmodified(action, unmodified)
    return action


_FAST_BY_CLASS: dict[str, Callable[[etree._Element], Action]] = {
    TIMING: _timing,
    LABEL: _label,
    PARALLEL_LABEL: _parallel_label,
    ARGUMENTS: _arguments,
    BODY: lambda element: _BODY,
    LOG_STORAGE: lambda element: _LOG_STORAGE,
    NOT_EXECUTED: lambda element: _NOT_EXECUTED,
}

# Element name as written -> (full class name, fast decoder or None).
_PLANS: dict[str, tuple[str, Callable[[etree._Element], Action] | None]] = {}


def _plan(tag: object) -> tuple[str, Callable[[etree._Element], Action] | None]:
    if type(tag) is not str:
        raise CompactMiss("a comment or processing instruction among the actions")
    class_name = full_class_name(tag)
    plan = (class_name, _FAST_BY_CLASS.get(class_name))
    if len(_PLANS) < _CACHE_LIMIT:
        _PLANS[tag] = plan
    return plan


def _decode_actions(doc: SourceDoc, actions_el: etree._Element, node_id: str) -> tuple[Action, ...]:
    decoded: list[Action] = []
    plans = _PLANS
    for element in _children(actions_el):
        plan = plans.get(element.tag)
        class_name, fast = plan if plan is not None else _plan(element.tag)
        if fast is not None:
            try:
                decoded.append(fast(element))
                continue
            except _Slow:
                pass
        action = decode_action(element, class_name, f"{doc.path}: node {node_id}")
        if action is None:
            action = UnknownAction(class_name, doc.source_of(element))
        decoded.append(action)
    return tuple(decoded)


# -- nodes ------------------------------------------------------------------------------

_KINDS: dict[str, NodeKind] = {}
_TAG_NAMES = frozenset((TAG_CLASS, LEGACY_TAG))


def _kind(class_attr: str | None) -> NodeKind:
    kind = NODE_CLASSES.get(full_class_name(class_attr)) if class_attr else None
    if kind is None:
        raise CompactMiss(f"unknown flow-node class {class_attr!r}")
    if len(_KINDS) < _CACHE_LIMIT:
        _KINDS[class_attr] = kind  # type: ignore[index]
    return kind


def decode_tag_fast(
    doc: SourceDoc,
    tag: etree._Element,
    expected_id: str | None,
    starts: Mapping[str, FlowNode] | None = None,
) -> FlowNode:
    """The node in a ``Tag`` element, or :class:`CompactMiss` when the general decoder must decide.

    ``starts`` holds nodes already read; a block end whose start is among them gets the start's
    descriptor at once (what :func:`~flowgraph.codec.nodes_xml.with_end_descriptor` does later
    otherwise), saving a second node object.
    """
    parts = _children(tag)
    count = len(parts)
    if not 0 < count < 3 or tag.tag not in _TAG_NAMES:
        raise CompactMiss("not a Tag")
    node_el = parts[0]
    if node_el.tag != "node":
        raise CompactMiss("not <node> then <actions>")
    actions_el = None
    if count == 2:
        actions_el = parts[1]
        if actions_el.tag != "actions":
            raise CompactMiss("not <node> then <actions>")
    class_attr = node_el.get("class")
    kind = _KINDS.get(class_attr) if class_attr else None
    if kind is None:
        kind = _kind(class_attr)
    node_id = descriptor = start_id = None
    parents: tuple[str, ...] | None = None
    result = None
    for child in _children(node_el):
        name = child.tag
        if name == "parentIds":
            if parents is not None:
                raise CompactMiss("two <parentIds>")
            items = _children(child)
            if len(items) == 1:
                parent = items[0]
                if parent.tag != "string":
                    raise CompactMiss("<parentIds> holds something else")
                text = parent.text
                parents = (text if text is not None else _no_text(parent),)
            else:
                found = []
                for parent in items:
                    if parent.tag != "string":
                        raise CompactMiss("<parentIds> holds something else")
                    found.append(_text(parent))
                parents = tuple(found)
        elif name == "id":  # a repeated <id>, <descriptorId> or <startId>: the last wins, as there
            node_id = child.text
            if node_id is None:
                node_id = _no_text(child)
        elif name == "descriptorId":
            text = child.text
            descriptor = _intern(text) if text is not None else _no_text(child)
        elif name == "startId":
            start_id = child.text
            if start_id is None:
                start_id = _no_text(child)
        elif name == "result" and result is None:
            result = read_result(child, doc.path)
        else:
            raise CompactMiss(f"<{name}> in <node>")
    if not node_id or (expected_id is not None and node_id != expected_id):
        raise CompactMiss("no id, or not the expected one")
    if start_id is not None:
        if kind is not _BLOCK_END and kind is not _FLOW_END:
            raise CompactMiss("a start id on a node that is not a block end")
        if descriptor is None and kind is _BLOCK_END and starts is not None:
            start = starts.get(start_id)
            if start is not None and start.kind is _BLOCK_START:
                descriptor = start.descriptor_id
    elif kind is _BLOCK_END or kind is _FLOW_END:
        raise CompactMiss("a block end without a start id")
    if parents is None:
        parents = ()
    elif parents and kind is _FLOW_START:
        raise CompactMiss("a flow start with parents")
    actions: tuple[Action, ...] = ()
    if actions_el is not None:
        actions = _decode_actions(doc, actions_el, node_id)
    # FlowNode's own checks were made above; fill the slots as its constructor would.
    node = _new(FlowNode)
    _fill_slots(node, node_id, kind, parents, start_id, descriptor, actions, None, result)
    return node


def decode_node_bytes(
    data: bytes, path: str, expected_id: str | None = None, starts: Mapping[str, FlowNode] | None = None
) -> FlowNode:
    """Decode one per-node file: the fast path when it vouches for the file, else the general one.

    Same result and same errors as ``decode_tag(SourceDoc(parse_xml(data, path), data), ...)``.
    """
    parsed = parse_compact(data, path)
    if parsed is not None:
        try:
            return decode_tag_fast(SourceDoc(parsed, data), parsed.element, expected_id, starts)
        except (CompactMiss, FlowGraphError):
            pass  # the general path below gives the answer, or the exact error
    return decode_tag(SourceDoc(parse_xml(data, path), data), expected_id=expected_id)


def decode_bulk_fast(doc: SourceDoc) -> dict[str, FlowNode]:
    """Every entry of a bulk ``<linked-hash-map>`` (or older ``<map>``), else :class:`CompactMiss`."""
    root = doc.parsed.element
    if root.tag not in ("linked-hash-map", "map"):
        raise CompactMiss("not a node map")
    nodes: dict[str, FlowNode] = {}
    for entry in root:
        pair = _children(entry)
        if entry.tag != "entry" or len(pair) != 2:
            raise CompactMiss("not an entry of two")
        key_el, tag_el = pair
        if key_el.tag != "string":
            raise CompactMiss("entry without a <string> key")
        node_id = key_el.text
        if node_id is None:
            node_id = _no_text(key_el)
        if node_id in nodes:
            raise CompactMiss("a node appears twice")
        nodes[node_id] = decode_tag_fast(doc, tag_el, node_id, nodes)
    return nodes
