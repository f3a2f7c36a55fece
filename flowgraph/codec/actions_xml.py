"""Flow-node actions to and from Jenkins' XML, one small codec per action class.

Reading maps every spelling of a known Jenkins action class (aliased ``wf.a.*``, legacy full
names) to the typed actions of :mod:`flowgraph.actions`. Anything else, including a known class
whose content uses a shape the typed action cannot hold, becomes an
:class:`~flowgraph.actions.UnknownAction` whose payload is the element's exact source text, so it
is written back byte for byte. Writing produces what XStream would write for the typed action.

Examples
--------
>>> from flowgraph.actions import TimingAction
>>> from flowgraph.codec.names import XmlFormat
>>> print(encode_action(TimingAction(5), XmlFormat(), depth=2, enclosing="workflow-support"))
    <wf.a.TimingAction plugin="workflow-api@1398.v67030756d3fb_">
      <startTime>5</startTime>
    </wf.a.TimingAction>
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from lxml import etree

from flowgraph.actions import (
    FLOW_INTERRUPTED_EXCEPTION,
    Action,
    ArgumentsAction,
    BodyInvocationAction,
    ErrorAction,
    LabelAction,
    LogFileAction,
    LogStorageAction,
    MaskedValue,
    NotExecutedNodeAction,
    ParallelLabelAction,
    PauseAction,
    QueueItemAction,
    StageAction,
    TagsAction,
    TimingAction,
    UnknownAction,
    WarningAction,
    WorkspaceAction,
    action_from_dict,
    action_to_dict,
)
from flowgraph.codec.names import XmlFormat, element_name, owner_of
from flowgraph.codec.xstream import XmlWriter, iter_children, resolve_reference, text_of
from flowgraph.errors import FormatError
from flowgraph.result import Result

__all__ = [
    "decode_action",
    "encode_action",
    "write_result",
    "read_result",
    "reindent",
    "CLASS_OF",
    "USER_ACTION_ELEMENT",
    "Unrepresentable",
]

_WF_A = "org.jenkinsci.plugins.workflow.actions."
_S_A = "org.jenkinsci.plugins.workflow.support.actions."
TIMING = _WF_A + "TimingAction"
LABEL = _WF_A + "LabelAction"
BODY = _WF_A + "BodyInvocationAction"
ERROR = _WF_A + "ErrorAction"
WARNING = _WF_A + "WarningAction"
TAGS = _WF_A + "TagsAction"
NOT_EXECUTED = _WF_A + "NotExecutedNodeAction"
ARGUMENTS = "org.jenkinsci.plugins.workflow.cps.actions.ArgumentsActionImpl"
PARALLEL_LABEL = "org.jenkinsci.plugins.workflow.cps.steps.ParallelStepExecution$ParallelLabelAction"
LOG_STORAGE = _S_A + "LogStorageAction"
LOG_FILE = _S_A + "LogActionImpl"
WORKSPACE = _S_A + "WorkspaceActionImpl"
PAUSE = _S_A + "PauseAction"
QUEUE_ITEM = "org.jenkinsci.plugins.workflow.support.steps.ExecutorStepExecution$QueueItemActionImpl"
STAGE = "org.jenkinsci.plugins.workflow.support.steps.StageStepExecution$StageActionImpl"
NOT_STORED = "org.jenkinsci.plugins.workflow.actions.ArgumentsAction$NotStoredReason"
ERROR_ID = "org.jenkinsci.plugins.workflow.actions.ErrorAction$ErrorId"
USER_ACTION_ELEMENT = "flowgraph.Action"
LABEL_ATOM = "hudson.model.labels.LabelAtom"
_EMPTY_LIST_CLASS = "java.util.Collections$UnmodifiableRandomAccessList"
_EMPTY_LIST_RESOLVES = "java.util.Collections$UnmodifiableList"

CLASS_OF: dict[type[Action], str] = {
    TimingAction: TIMING,
    LabelAction: LABEL,
    ParallelLabelAction: PARALLEL_LABEL,
    BodyInvocationAction: BODY,
    ErrorAction: ERROR,
    WarningAction: WARNING,
    TagsAction: TAGS,
    NotExecutedNodeAction: NOT_EXECUTED,
    ArgumentsAction: ARGUMENTS,
    LogStorageAction: LOG_STORAGE,
    LogFileAction: LOG_FILE,
    WorkspaceAction: WORKSPACE,
    PauseAction: PAUSE,
    QueueItemAction: QUEUE_ITEM,
    StageAction: STAGE,
}


class Unrepresentable(Exception):
    """Internal: the element is a known class, but holds something the typed action cannot."""


# -- small readers ----------------------------------------------------------------------


def _child(element: etree._Element, name: str) -> etree._Element | None:
    for child in element:
        if child.tag == name:
            return child
    return None


def _text(element: etree._Element, name: str) -> str | None:
    child = _child(element, name)
    return None if child is None else text_of(child)


def _int(element: etree._Element, name: str, where: str) -> int:
    text = _text(element, name)
    if text is None:
        raise FormatError(f"{where}: <{element.tag}> has no <{name}>")
    try:
        return int(text.strip())
    except ValueError:
        raise FormatError(f"{where}: <{element.tag}>/<{name}> is not a number: {text[:40]!r}") from None


def read_result(element: etree._Element, where: str) -> Result:
    """A Result written by reflection (``<name>`` … ``<completeBuild>``) or by name only."""
    name = _text(element, "name") if len(element) else text_of(element)
    try:
        return Result.parse(name or "")
    except ValueError:
        raise FormatError(f"{where}: <{element.tag}> is not a Jenkins result: {name!r}") from None


def write_result(w: XmlWriter, name: str, result: Result) -> None:
    """The reflected 4-field Result used inside flow-node files."""
    w.open(name)
    w.leaf("name", result.name)
    w.leaf("ordinal", str(result.ordinal))
    w.leaf("color", result.color)
    w.leaf("completeBuild", "true" if result.complete_build else "false")
    w.close(name)


# -- argument values --------------------------------------------------------------------

_INTS = {"int", "long", "short", "byte"}
_FLOATS = {"double", "float"}
_MAPS = {"map", "linked-hash-map", "tree-map"}
_LISTS = {"list", "linked-list"}


def _value(element: etree._Element) -> Any:
    """One argument value; anything the typed ArgumentsAction cannot carry raises Unrepresentable."""
    if element.get("reference") is not None or (element.get("class") is not None and element.tag not in _MAPS):
        raise Unrepresentable(element.tag)
    tag = element.tag
    if tag == "string":
        return text_of(element)
    if tag in _INTS:
        return int(text_of(element).strip())
    if tag == "boolean":
        return text_of(element).strip() == "true"
    if tag in _FLOATS:
        return float(text_of(element).strip())
    if tag == "null":
        return None
    if tag == element_name(NOT_STORED, True):
        return MaskedValue(text_of(element).strip())
    if tag in _MAPS:
        if tag == "tree-map" and _child(element, "comparator") is not None:
            raise Unrepresentable(tag)
        return _map(element)
    if tag in _LISTS:
        return [_value(c) for c in iter_children(element)]
    raise Unrepresentable(tag)


def _map(element: etree._Element) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for entry in iter_children(element):
        parts = list(iter_children(entry))
        if entry.tag != "entry" or len(parts) != 2 or parts[0].tag != "string":
            raise Unrepresentable(entry.tag)
        result[text_of(parts[0])] = _value(parts[1])
    return result


def _write_value(w: XmlWriter, value: Any) -> None:
    if value is None:
        w.empty("null")
    elif isinstance(value, MaskedValue):
        w.leaf(element_name(NOT_STORED, True), value.value)
    elif isinstance(value, bool):
        w.leaf("boolean", "true" if value else "false")
    elif isinstance(value, int):
        w.leaf("long", str(value))
    elif isinstance(value, float):
        w.leaf("double", repr(value))
    elif isinstance(value, str):
        w.leaf("string", value)
    elif isinstance(value, Mapping):
        _write_map(w, "linked-hash-map", value)
    elif isinstance(value, (list, tuple)):
        if not value:
            w.empty("list")
        else:
            w.open("list")
            for item in value:
                _write_value(w, item)
            w.close("list")
    else:
        w.leaf("string", str(value))


def _write_map(w: XmlWriter, name: str, mapping: Mapping[str, Any], attrs: tuple[tuple[str, str], ...] = ()) -> None:
    if not mapping:
        w.empty(name, attrs)
        return
    w.open(name, attrs)
    for key, value in mapping.items():
        w.open("entry")
        w.leaf("string", str(key))
        _write_value(w, value)
        w.close("entry")
    w.close(name)


# -- decoding ---------------------------------------------------------------------------


def _decode_error(element: etree._Element, where: str) -> ErrorAction:
    error = _child(element, "error")
    if error is None:
        raise FormatError(f"{where}: ErrorAction without <error>")
    if error.get("reference") is not None:
        error = resolve_reference(error, error.get("reference", ""), where=where)
    error_type = error.get("class") or error.tag
    traces = _child(error, "stackTrace")
    stack = "\n".join(text_of(t) for t in traces if t.tag == "trace") if traces is not None else ""
    error_id = None
    suppressed = _child(error, "suppressedExceptions")
    if suppressed is not None:
        for item in suppressed:
            if item.tag == element_name(ERROR_ID, True):
                error_id = _text(item, "uuid")
    result_el = _child(error, "result")
    result = read_result(result_el, where) if result_el is not None else None
    return ErrorAction(error_type, _text(error, "detailMessage"), stack, error_id, result)


def _decode_arguments(element: etree._Element, where: str) -> ArgumentsAction:
    arguments = _child(element, "arguments")
    values = _map(arguments) if arguments is not None else {}
    sensitive = _child(element, "sensitiveVariables")
    names = frozenset(text_of(s) for s in sensitive if s.tag == "string") if sensitive is not None else frozenset()
    unmodified = (_text(element, "isUnmodifiedBySanitization") or "true").strip() == "true"
    return ArgumentsAction(values, names, unmodified)


def _decode_workspace(element: etree._Element, where: str) -> WorkspaceAction:
    labels_el = _child(element, "labels")
    labels: list[str] = []
    if labels_el is not None:
        for atom in iter_children(labels_el):
            name = _text(atom, "name") if len(atom) else text_of(atom)
            labels.append(name or "")
    return WorkspaceAction(_text(element, "node") or "", _text(element, "path") or "", frozenset(labels))


def _decode_user(element: etree._Element, where: str) -> Action:
    kind = _text(element, "kind")
    data = _text(element, "data")
    if kind is None or data is None:
        raise FormatError(f"{where}: <{USER_ACTION_ELEMENT}> needs <kind> and <data>")
    try:
        return action_from_dict({"kind": kind, "data": json.loads(data)})
    except (ValueError, TypeError, KeyError, RecursionError, FormatError) as exc:
        raise FormatError(f"{where}: cannot rebuild action {kind!r}: {exc}") from None


_DECODERS: dict[str, Callable[[etree._Element, str], Action]] = {
    TIMING: lambda e, w: TimingAction(_int(e, "startTime", w)),
    LABEL: lambda e, w: LabelAction(_text(e, "displayName")),
    PARALLEL_LABEL: lambda e, w: ParallelLabelAction(_text(e, "branchName") or ""),
    BODY: lambda e, w: BodyInvocationAction(),
    ERROR: _decode_error,
    WARNING: lambda e, w: WarningAction(
        read_result(_required(e, "result", w), w),
        _text(e, "message"),
    ),
    TAGS: lambda e, w: TagsAction(_map(_required(e, "tags", w))),
    NOT_EXECUTED: lambda e, w: NotExecutedNodeAction(),
    ARGUMENTS: _decode_arguments,
    LOG_STORAGE: lambda e, w: LogStorageAction(),
    LOG_FILE: lambda e, w: LogFileAction(_text(e, "charset") or "UTF-8"),
    WORKSPACE: _decode_workspace,
    PAUSE: lambda e, w: PauseAction(_text(e, "cause") or "", _int(e, "startTime", w), _int(e, "endTime", w)),
    QUEUE_ITEM: lambda e, w: QueueItemAction(_int(e, "id", w)),
    STAGE: lambda e, w: StageAction(_text(e, "stageName") or ""),
    USER_ACTION_ELEMENT: _decode_user,
}


def _required(element: etree._Element, name: str, where: str) -> etree._Element:
    child = _child(element, name)
    if child is None:
        raise FormatError(f"{where}: <{element.tag}> has no <{name}>")
    return child


def decode_action(element: etree._Element, class_name: str, where: str) -> Action | None:
    """The typed action for a known class, or None when the element must stay an UnknownAction."""
    decoder = _DECODERS.get(class_name)
    if decoder is None:
        return None
    try:
        return decoder(element, where)
    except Unrepresentable:
        return None
    except (ValueError, TypeError) as exc:
        raise FormatError(f"{where}: bad <{element.tag}>: {exc}") from None


# -- encoding ---------------------------------------------------------------------------


def reindent(payload: str, depth: int) -> str:
    """Move a source element to ``depth`` (two spaces a level), touching only markup lines.

    Lines that continue multi-line text are left alone, because in XStream output a line whose
    first non-blank character is ``<`` is always markup (``<`` in text is escaped).
    """
    if "\n" not in payload:
        return "  " * depth + payload.lstrip(" ")
    lines = payload.split("\n")
    last = lines[-1]
    stripped = last.lstrip(" ")
    if not stripped.startswith("</"):
        return "  " * depth + lines[0].lstrip(" ") + "\n" + "\n".join(lines[1:])
    shift = 2 * depth - (len(last) - len(stripped))
    out = ["  " * depth + lines[0].lstrip(" ")]
    for line in lines[1:]:
        body = line.lstrip(" ")
        if body.startswith("<"):
            out.append(" " * max(0, len(line) - len(body) + shift) + body)
        else:
            out.append(line)
    return "\n".join(out)


def _write_error(w: XmlWriter, action: ErrorAction, fmt: XmlFormat, owner: str | None) -> None:
    error_owner = owner_of(action.error_type)
    attrs = (("class", action.error_type),) + fmt.plugin_attr(error_owner, enclosing=owner)
    inner_owner = fmt.effective_owner(error_owner, owner)
    w.open("error", attrs)
    if action.message is not None:
        w.leaf("detailMessage", action.message)
    frames = [f for f in action.stack.split("\n") if f] if action.stack else []
    if frames:
        w.open("stackTrace")
        for frame in frames:
            w.leaf("trace", frame)
        w.close("stackTrace")
    else:
        w.empty("stackTrace")
    if action.error_id is not None:
        w.open("suppressedExceptions")
        id_name = element_name(ERROR_ID, True)
        w.open(id_name, fmt.plugin_attr("workflow-api", enclosing=inner_owner))
        w.empty("stackTrace")
        _write_empty_suppressed(w)
        w.leaf("uuid", action.error_id)
        w.close(id_name)
        w.close("suppressedExceptions")
    else:
        _write_empty_suppressed(w)
    if action.error_type == FLOW_INTERRUPTED_EXCEPTION:
        write_result(w, "result", action.result or Result.ABORTED)
        w.open("causes", (("class", "java.util.Arrays$ArrayList"),))
        w.empty("a", (("class", "jenkins.model.CauseOfInterruption-array"),))
        w.close("causes")
        w.leaf("actualInterruption", "true")
    w.close("error")


def _write_empty_suppressed(w: XmlWriter) -> None:
    w.open("suppressedExceptions", (("class", _EMPTY_LIST_CLASS), ("resolves-to", _EMPTY_LIST_RESOLVES)))
    w.empty("c", (("class", "list"),))
    w.empty("list", (("reference", "../c"),))
    w.close("suppressedExceptions")


def encode_action(action: Action, fmt: XmlFormat, *, depth: int, enclosing: str | None) -> str:
    """The XML XStream writes for ``action`` inside ``<actions>`` at ``depth``."""
    if isinstance(action, UnknownAction):
        if action.payload.lstrip().startswith("<"):
            return reindent(action.payload, depth)
        w = XmlWriter(depth)
        w.open(USER_ACTION_ELEMENT)
        w.leaf("kind", action.class_name)
        w.leaf("data", action.payload)
        w.close(USER_ACTION_ELEMENT)
        return w.getvalue()
    class_name = CLASS_OF.get(type(action))
    w = XmlWriter(depth)
    if class_name is None:
        data = action_to_dict(action)
        w.open(USER_ACTION_ELEMENT)
        w.leaf("kind", str(data["kind"]))
        w.leaf("data", json.dumps(data["data"], sort_keys=True))
        w.close(USER_ACTION_ELEMENT)
        return w.getvalue()
    name = element_name(class_name, fmt.aliases)
    owner = owner_of(class_name)
    attrs = fmt.plugin_attr(owner, enclosing=enclosing)
    inner = fmt.effective_owner(owner, enclosing)
    if isinstance(action, (BodyInvocationAction, NotExecutedNodeAction, LogStorageAction)):
        w.empty(name, attrs)
        return w.getvalue()
    w.open(name, attrs)
    if isinstance(action, TimingAction):
        w.leaf("startTime", str(action.start_ms))
    elif isinstance(action, ParallelLabelAction):
        w.leaf("branchName", action.branch_name)
    elif isinstance(action, LabelAction):
        if action.display_name is not None:
            w.leaf("displayName", action.display_name)
    elif isinstance(action, ErrorAction):
        _write_error(w, action, fmt, inner)
    elif isinstance(action, WarningAction):
        write_result(w, "result", action.result)
        if action.message is not None:
            w.leaf("message", action.message)
    elif isinstance(action, TagsAction):
        _write_map(w, "tags", action.tags)
    elif isinstance(action, ArgumentsAction):
        _write_arguments(w, action, fmt)
    elif isinstance(action, LogFileAction):
        w.leaf("charset", action.charset)
    elif isinstance(action, WorkspaceAction):
        w.leaf("node", action.node)
        w.leaf("path", action.path)
        if action.labels:
            w.open("labels", (("class", "sorted-set"),))
            for label in sorted(action.labels):
                w.leaf(LABEL_ATOM, label)
            w.close("labels")
        else:
            w.empty("labels", (("class", "sorted-set"),))
    elif isinstance(action, PauseAction):
        w.leaf("cause", action.cause)
        w.leaf("startTime", str(action.start_ms))
        w.leaf("endTime", str(action.end_ms))
    elif isinstance(action, QueueItemAction):
        w.leaf("id", str(action.queue_id))
    elif isinstance(action, StageAction):
        w.leaf("stageName", action.stage_name)
    w.close(name)
    return w.getvalue()


def _write_arguments(w: XmlWriter, action: ArgumentsAction, fmt: XmlFormat) -> None:
    legacy = not fmt.aliases
    _write_map(w, "arguments", action.arguments, (("class", "linked-hash-map"),) if legacy else ())
    if not legacy:
        if action.sensitive_variables:
            w.open("sensitiveVariables")
            for name in sorted(action.sensitive_variables):
                w.leaf("string", name)
            w.close("sensitiveVariables")
        else:
            w.empty("sensitiveVariables")
    w.leaf("isUnmodifiedBySanitization", "true" if action.unmodified else "false")
