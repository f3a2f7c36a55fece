"""``build.xml``: the run record (``<flow-build>``) with its ``CpsFlowExecution`` block.

Reading fills a :class:`~flowgraph.FlowExecution` (heads, open starts, scripts, iota,
durability hint, persisted-clean, done, storage dir) and the run facts around it (result,
timestamps, duration, completed) in a :class:`BuildRecord`. Everything else in the file (run
actions, timings, checkouts, …) is kept as source text in ``execution.extra`` so that writing
the record back reproduces the file: byte for byte when nothing changed, and element for element
(known fields regenerated, the rest copied) when something did.

Examples
--------
>>> import tempfile, os
>>> from flowgraph import FlowExecution, Result
>>> from flowgraph.storage.base import Durability
>>> ex = FlowExecution(heads={1: "5"}, iota=5, script="echo 'hi'", done=True, result=Result.SUCCESS,
...                    durability=Durability.MAX_SURVIVABILITY)
>>> path = os.path.join(tempfile.mkdtemp(), "build.xml")
>>> write_build_xml(path, ex, result=Result.SUCCESS, start_ms=10, duration_ms=5, completed=True)
>>> rec = read_build_xml(path)
>>> rec.result, rec.duration_ms, rec.execution.heads, rec.execution.script
(<Result.SUCCESS: 0>, 5, {1: '5'}, "echo 'hi'")
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from flowgraph.codec.actions_xml import read_result
from flowgraph.codec.names import DEFAULT_PLUGINS
from flowgraph.codec.nodes_xml import SourceDoc
from flowgraph.codec.xstream import XmlWriter, decl_line, iter_children, parse_xml, text_of
from flowgraph.errors import FormatError
from flowgraph.execution import FlowExecution
from flowgraph.result import Result
from flowgraph.storage.base import Durability

__all__ = ["BuildRecord", "read_build_xml", "write_build_xml", "build_xml_text", "INPUT_ACTION"]

CPS_EXECUTION = "org.jenkinsci.plugins.workflow.cps.CpsFlowExecution"
INPUT_ACTION = "org.jenkinsci.plugins.workflow.support.steps.input.InputAction"
_RUN_ORDER = ("actions", "queueId", "timestamp", "startTime", "result", "duration", "charset", "keepLog",
              "execution", "completed", "checkouts")  # fmt: skip
_EXEC_ORDER = ("result", "script", "loadedScripts", "persistedClean", "durabilityHint", "timings", "internalCalls",
               "sandbox", "user", "iota", "head", "start", "done", "resumeBlocked", "storageDir")  # fmt: skip
_RUN_MODELLED = {"timestamp", "startTime", "result", "duration", "completed", "execution"}
_EXEC_MODELLED = {"result", "script", "loadedScripts", "persistedClean", "durabilityHint", "iota", "head", "start",
                  "done", "storageDir"}  # fmt: skip
_KEY = "build.xml"


@dataclass
class BuildRecord:
    """What ``build.xml`` says about a run; ``execution`` is the flow-execution record."""

    execution: FlowExecution
    result: Result | None = None
    timestamp_ms: int | None = None
    start_ms: int | None = None
    duration_ms: int | None = None
    completed: bool | None = None
    pending_input: bool = False
    run_actions: list[str] = field(default_factory=list)
    path: str | None = None
    has_execution: bool = True
    """False for a run that never started a flow (no ``<execution>``: e.g. no Jenkinsfile found)."""


def _int(element: etree._Element, where: str) -> int:
    try:
        return int(text_of(element).strip())
    except ValueError:
        raise FormatError(f"{where}: <{element.tag}> is not a number: {text_of(element)[:40]!r}", path=where) from None


def _bool(element: etree._Element) -> bool:
    return text_of(element).strip() == "true"


def _facts(record: BuildRecord) -> dict[str, Any]:
    ex = record.execution
    return {
        "result": record.result,
        "timestamp": record.timestamp_ms,
        "start": record.start_ms,
        "duration": record.duration_ms,
        "completed": record.completed,
        "has_execution": record.has_execution,
        "ex": (
            ex.result,
            ex.script,
            dict(ex.loaded_scripts),
            ex.persisted_clean,
            ex.durability,
            ex.iota,
            dict(ex.heads),
            list(ex.starts),
            ex.done,
            ex.storage_dir,
        ),
    }


def read_build_xml(path: str | os.PathLike[str]) -> BuildRecord:
    """Read a ``build.xml``; a damaged or foreign file raises :class:`FormatError` naming it."""
    where = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise FormatError(f"{where}: cannot read build record: {exc}", path=where) from exc
    doc = SourceDoc(parse_xml(data, where), data)
    root = doc.parsed.element
    if root.tag != "flow-build":
        raise FormatError(f"{where}: root element is <{root.tag}>, expected <flow-build>", path=where)
    ex = FlowExecution()
    record = BuildRecord(ex, path=where)
    run_children: list[tuple[str, str]] = []
    exec_children: list[tuple[str, str]] = []
    execution_el = None
    for child in iter_children(root):
        tag = child.tag
        run_children.append((tag, "" if tag in _RUN_MODELLED else "  " + doc.source_of(child)))
        if tag == "timestamp":
            record.timestamp_ms = _int(child, where)
        elif tag == "startTime":
            record.start_ms = _int(child, where)
        elif tag == "duration":
            record.duration_ms = _int(child, where)
        elif tag == "result":
            record.result = read_result(child, where)
        elif tag == "completed":
            record.completed = _bool(child)
        elif tag == "execution":
            execution_el = child
        elif tag == "actions":
            for action in iter_children(child):
                record.run_actions.append(action.tag)
                if action.tag == INPUT_ACTION and len(child):
                    record.pending_input = _input_pending(action)
    if execution_el is None:
        # A Pipeline run that failed before its script ran ("Unable to find Jenkinsfile", a failed
        # checkout): a result and a duration, no flow nodes.
        record.has_execution = False
    elif execution_el.get("class") not in (None, CPS_EXECUTION):
        raise FormatError(f"{where}: unsupported execution class {execution_el.get('class')!r}", path=where)
    for child in iter_children(execution_el) if execution_el is not None else ():
        tag = child.tag
        exec_children.append((tag, "" if tag in _EXEC_MODELLED else "    " + doc.source_of(child)))
        if tag == "result":
            ex.result = read_result(child, where)
        elif tag == "script":
            ex.script = text_of(child)
        elif tag == "loadedScripts":
            for entry in iter_children(child):
                parts = list(iter_children(entry))
                if len(parts) == 2:
                    ex.loaded_scripts[text_of(parts[0])] = text_of(parts[1])
            ex.extra["loadedScripts.class"] = child.get("class")
        elif tag == "persistedClean":
            ex.persisted_clean = _bool(child)
        elif tag == "durabilityHint":
            try:
                ex.durability = Durability(text_of(child).strip())
            except ValueError:
                raise FormatError(f"{where}: unknown durabilityHint {text_of(child)!r}", path=where) from None
        elif tag == "iota":
            ex.iota = _int(child, where)
        elif tag == "head":
            head_id, sep, node_id = text_of(child).strip().partition(":")
            if not sep or not head_id.isdigit() or not node_id:
                raise FormatError(f"{where}: bad <head> {text_of(child)!r}; expected 'thread:node'", path=where)
            ex.heads[int(head_id)] = node_id
        elif tag == "start":
            ex.starts.append(text_of(child).strip())
        elif tag == "done":
            ex.done = _bool(child)
        elif tag == "storageDir":
            ex.storage_dir = text_of(child).strip()
    if record.completed is None:
        record.completed = record.result is not None
    ex.extra[_KEY] = {
        "raw": data,
        "facts": _facts(record),
        "run": run_children,
        "exec": exec_children,
        "root_attrs": dict(root.attrib),
    }
    return record


def _input_pending(action: etree._Element) -> bool:
    ids = action.find("ids")
    return ids is not None and len(ids) > 0


def _merge(original: list[tuple[str, str]], present: dict[str, list[str]], order: tuple[str, ...]) -> list[str]:
    """Original element order with modelled elements regenerated, new ones at their canonical place."""
    out: list[tuple[str, str]] = []
    done: set[str] = set()
    for tag, raw in original:
        if tag in present:
            if tag not in done:
                out.extend((tag, text) for text in present[tag])
                done.add(tag)
        elif raw:
            out.append((tag, raw))
    for tag in order:
        if tag in present and tag not in done:
            rank = order.index(tag)
            position = 0
            for index, (other, _) in enumerate(out):
                if other in order and order.index(other) < rank:
                    position = index + 1
            out[position:position] = [(tag, text) for text in present[tag]]
            done.add(tag)
    return [text for _, text in out]


def _leaf(depth: int, name: str, text: str, attrs: tuple[tuple[str, str], ...] = ()) -> str:
    w = XmlWriter(depth)
    w.leaf(name, text, attrs)
    return w.getvalue()


def build_xml_text(record: BuildRecord, *, atomic: bool = True) -> str:
    """The ``build.xml`` text for a record (original bytes reused when nothing changed)."""
    ex = record.execution
    kept = ex.extra.get(_KEY)
    if kept is not None and kept["facts"] == _facts(record):
        return bytes(kept["raw"]).decode("utf-8")
    run_original: list[tuple[str, str]] = kept["run"] if kept else _default_run()
    exec_original: list[tuple[str, str]] = kept["exec"] if kept else _default_exec()
    e: dict[str, list[str]] = {}
    e["result"] = [_leaf(2, "result", (ex.result or Result.SUCCESS).name)]
    if ex.script is not None:
        e["script"] = [_leaf(2, "script", ex.script)]
    scripts_class = (kept and ex.extra.get("loadedScripts.class")) or "map"
    w = XmlWriter(2)
    if ex.loaded_scripts:
        w.open("loadedScripts", (("class", scripts_class),))
        for name, text in ex.loaded_scripts.items():
            w.open("entry")
            w.leaf("string", name)
            w.leaf("string", text)
            w.close("entry")
        w.close("loadedScripts")
    else:
        w.empty("loadedScripts", (("class", scripts_class),))
    e["loadedScripts"] = [w.getvalue()]
    if ex.persisted_clean is not None:
        e["persistedClean"] = [_leaf(2, "persistedClean", "true" if ex.persisted_clean else "false")]
    if ex.durability is not None:
        e["durabilityHint"] = [_leaf(2, "durabilityHint", ex.durability.value)]
    e["iota"] = [_leaf(2, "iota", str(ex.iota))]
    e["head"] = [_leaf(2, "head", f"{k}:{ex.heads[k]}") for k in sorted(ex.heads)]
    if ex.starts and not ex.done:
        e["start"] = [_leaf(2, "start", s) for s in ex.starts]
    e["done"] = [_leaf(2, "done", "true" if ex.done else "false")]
    if ex.storage_dir is not None and ex.storage_dir != "workflow":
        e["storageDir"] = [_leaf(2, "storageDir", ex.storage_dir)]
    body = _merge(exec_original, e, _EXEC_ORDER)
    execution = "\n".join([f'  <execution class="{CPS_EXECUTION}">', *body, "  </execution>"])
    r: dict[str, list[str]] = {"execution": [execution]} if record.has_execution else {}
    if record.timestamp_ms is not None:
        r["timestamp"] = [_leaf(1, "timestamp", str(record.timestamp_ms))]
    if record.start_ms is not None:
        r["startTime"] = [_leaf(1, "startTime", str(record.start_ms))]
    if record.result is not None:
        r["result"] = [_leaf(1, "result", record.result.name)]
    r["duration"] = [_leaf(1, "duration", str(record.duration_ms or 0))]
    completed = record.completed if record.completed is not None else record.result is not None
    r["completed"] = [_leaf(1, "completed", "true" if completed else "false")]
    children = _merge(run_original, r, _RUN_ORDER)
    attrs = kept["root_attrs"] if kept else {"plugin": f"workflow-job@{DEFAULT_PLUGINS['workflow-job']}"}
    head = "<flow-build" + "".join(f' {k}="{v}"' for k, v in attrs.items()) + ">"
    version = "1.1"
    if kept and bytes(kept["raw"]).startswith((b"<?xml version='1.0'", b'<?xml version="1.0"')):
        version = "1.0"
    return decl_line(version, not atomic) + "\n".join([head, *children, "</flow-build>"])


def _default_run() -> list[tuple[str, str]]:
    return [
        ("actions", "  <actions/>"),
        ("queueId", "  <queueId>1</queueId>"),
        ("charset", "  <charset>UTF-8</charset>"),
        ("keepLog", "  <keepLog>false</keepLog>"),
        ("checkouts", '  <checkouts class="hudson.util.PersistedList"/>'),
    ]


def _default_exec() -> list[tuple[str, str]]:
    return [
        ("timings", '    <timings class="map"/>'),
        ("internalCalls", '    <internalCalls class="sorted-set"/>'),
        ("sandbox", "    <sandbox>true</sandbox>"),
        ("resumeBlocked", "    <resumeBlocked>false</resumeBlocked>"),
    ]


def write_build_xml(
    path: str | os.PathLike[str],
    execution: FlowExecution,
    *,
    result: Result | None = None,
    timestamp_ms: int | None = None,
    start_ms: int | None = None,
    duration_ms: int | None = None,
    completed: bool | None = None,
    durability: Durability | None = None,
    has_execution: bool = True,
) -> None:
    """Write ``build.xml`` for an execution and the run facts around it.

    ``has_execution=False`` writes a run that never started a flow (no ``<execution>`` element).

    The write is atomic (temporary file, fsync, rename, single-quoted declaration) unless the
    durability (``durability`` or the execution's) is a non-atomic one, as in Jenkins.
    """
    from flowgraph.storage.xml_dir import write_bytes

    record = BuildRecord(
        execution,
        result=result,
        timestamp_ms=timestamp_ms if timestamp_ms is not None else start_ms,
        start_ms=start_ms,
        duration_ms=duration_ms,
        completed=completed,
        has_execution=has_execution,
    )
    mode = durability or execution.durability or Durability.MAX_SURVIVABILITY
    text = build_xml_text(record, atomic=mode.atomic_writes)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_bytes(target, text.encode("utf-8"), atomic=mode.atomic_writes)
