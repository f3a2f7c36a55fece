"""Whole Jenkins runs: a build directory in, a :class:`~flowgraph.Run` out, and back.

:func:`load_run` reads ``build.xml``, opens the node storage the directory really has (per-node
``workflow/``, bulk ``workflow/flowNodeStore.xml``, migrated ``workflow-completed/``, whatever
``storageDir`` names), checks the graph (every parent and start exists, no cycle) and returns a
run whose ``graph`` reads nodes lazily. :func:`save_run` writes a run back in the same layout.
:func:`iter_runs` finds every Pipeline run under a ``JENKINS_HOME``, a job, or a folder tree.

Damage is reported, never skipped: with ``on_corrupt="raise"`` (the default) the first problem
raises a typed error naming the run (``job#number``), its build directory, the file and node;
with ``on_corrupt="placeholder"`` missing and unreadable nodes are replaced by marked placeholder
nodes, a cycle is broken at its impossible link (one pointing at a later node), the problems are
listed in ``run.metadata["corruption"]``, and ``execution.storage_corrupt`` makes the run
non-resumable. A ``build.xml`` without ``<execution>`` (the run failed before its script ran) is
a run with a result, a duration and no flow nodes; its ``execution`` is None.

Examples
--------
>>> import tempfile
>>> from flowgraph import GraphBuilder
>>> b = GraphBuilder(start_ms=1000, step_ms=10)
>>> with b.stage("Build"):
...     _ = b.step("sh", script="make")
>>> build_dir = tempfile.mkdtemp()
>>> save_run(b.build(), build_dir)
>>> run = load_run(build_dir)
>>> run.result, len(run.graph), run.graph.head_ids, run.execution.done
(<Result.SUCCESS: 0>, 7, ('8',), True)
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from flowgraph.codec.placeholders import placeholder_node
from flowgraph.errors import (
    CorruptGraphError,
    FlowGraphError,
    FormatError,
    GraphCycleError,
    NodeNotFoundError,
    StorageError,
)
from flowgraph.execution import FlowExecution
from flowgraph.graph import FlowGraph
from flowgraph.jenkins.build_xml import BuildRecord, read_build_xml, write_build_xml
from flowgraph.node import FlowNode, NodeKind
from flowgraph.result import Result
from flowgraph.run import Clock, FixedClock, Run
from flowgraph.storage.base import Durability, NodeStorage
from flowgraph.storage.bulk_xml import BULK_FILE_NAME, BulkXmlNodeStorage
from flowgraph.storage.memory import MemoryNodeStorage
from flowgraph.storage.xml_dir import XmlDirNodeStorage, node_sort_key

__all__ = ["load_run", "save_run", "iter_runs", "RunRef", "open_storage", "OnCorrupt"]

OnCorrupt = Literal["raise", "placeholder"]
_MAX_HOME_DEPTH = 2
_ROOT_TAG = re.compile(rb"<([A-Za-z_][\w.\-]*)")  # the first element of a (possibly damaged) build.xml


def open_storage(build_dir: Path, execution: FlowExecution) -> NodeStorage:
    """The node storage a build directory actually has, as ``build.xml`` describes it."""
    storage_dir = execution.storage_dir or "workflow"
    directory = build_dir / storage_dir
    bulk = directory / BULK_FILE_NAME
    durability = execution.durability or Durability.MAX_SURVIVABILITY
    if bulk.is_file() or (storage_dir.endswith("-completed") and not directory.is_dir()):
        if not bulk.is_file():
            raise StorageError(
                f"{build_dir / 'build.xml'}: names storage {storage_dir!r} but {bulk} is not there", path=str(bulk)
            )
        return BulkXmlNodeStorage(bulk, durability=durability)
    if not directory.is_dir():
        raise StorageError(
            f"{build_dir / 'build.xml'}: names storage {storage_dir!r} but {directory} is not there",
            path=str(directory),
        )
    return XmlDirNodeStorage(directory, durability=durability)


def load_run(
    build_dir: str | os.PathLike[str],
    *,
    on_corrupt: OnCorrupt = "raise",
    name: str | None = None,
    number: int | None = None,
    clock: Clock | None = None,
) -> Run:
    """Load one Jenkins build directory (``.../builds/<n>``) as a :class:`~flowgraph.Run`.

    A run whose files say it has not finished may be live, or a copy of a run that died or was
    archived long ago: files cannot tell. Unless a ``clock`` is given (pass
    :func:`~flowgraph.run.system_clock` for a run you know is live), such a run is measured to
    its last recorded event (the latest node start time), not to "now": a copied in-progress
    build then shows the durations it had, not years. ``run.metadata["clock"]`` says which.

    Raises
    ------
    FormatError
        ``build.xml`` or a node file is damaged, empty, not XML or not the expected schema.
    StorageError
        ``build.xml`` names a node storage that is not there.
    NodeNotFoundError
        A head, parent or block start names a node that does not exist.
    GraphCycleError
        Parent or start links form a cycle (the error names the cycle's nodes).
    """
    if on_corrupt not in ("raise", "placeholder"):
        raise ValueError(f"on_corrupt must be 'raise' or 'placeholder', not {on_corrupt!r}")
    path = Path(build_dir)
    if number is None and path.name.isdigit():
        number = int(path.name)
    if name is None:
        name = _job_name(path)
    try:
        return _load_run(path, on_corrupt, name, number, clock)
    except FlowGraphError as exc:
        raise _naming_the_run(exc, path, name, number) from None


def _load_run(path: Path, on_corrupt: OnCorrupt, name: str | None, number: int | None, clock: Clock | None) -> Run:
    record = read_build_xml(path / "build.xml")
    execution = record.execution
    if not record.has_execution:
        return _run_without_execution(path, record, name, number)
    problems: list[str] = []
    try:
        storage = open_storage(path, execution)
    except StorageError as exc:
        if on_corrupt == "raise":
            raise
        problems.append(str(exc))
        storage = XmlDirNodeStorage(
            path / (execution.storage_dir or "workflow"), durability=Durability.MAX_SURVIVABILITY
        )
    if isinstance(storage, BulkXmlNodeStorage) and on_corrupt == "placeholder":
        try:
            len(storage)
        except FormatError as exc:
            problems.append(str(exc))
            storage.mark_broken()
    graph = FlowGraph(storage, heads=execution.head_ids)
    if on_corrupt == "placeholder":
        problems.extend(_patch_with_placeholders(graph, execution))
    try:
        graph.validate()
    except GraphCycleError:
        if on_corrupt == "raise":
            raise
        problems.extend(_break_cycles(graph))
        graph.validate()
    if problems:
        execution.storage_corrupt = True
    metadata: dict[str, Any] = {
        "build_dir": str(path),
        "timestamp_ms": record.timestamp_ms,
        "corruption": problems,
        "storage": type(storage).__name__,
    }
    if clock is None and not record.completed:
        clock = FixedClock(_last_event_ms(graph, record.start_ms))
        metadata["clock"] = "last recorded event"
    return Run(
        graph,
        clock=clock,
        result=record.result,
        start_ms=record.start_ms,
        duration_ms=record.duration_ms,
        running=not record.completed,
        pending_input=record.pending_input,
        name=name,
        number=number,
        execution=execution,
        metadata=metadata,
    )


def _run_without_execution(path: Path, record: BuildRecord, name: str | None, number: int | None) -> Run:
    """A run whose ``build.xml`` has no ``<execution>``: its facts, no nodes, no execution record."""
    metadata: dict[str, Any] = {
        "build_dir": str(path),
        "timestamp_ms": record.timestamp_ms,
        "corruption": [],
        "storage": None,
        "no_execution": True,
        "build_record": record.execution,  # carries the original build.xml, to write it back as it was
    }
    return Run(
        FlowGraph(MemoryNodeStorage()),
        result=record.result,
        start_ms=record.start_ms,
        duration_ms=record.duration_ms,
        running=not record.completed,
        pending_input=record.pending_input,
        name=name,
        number=number,
        execution=None,
        metadata=metadata,
    )


def _naming_the_run(exc: FlowGraphError, path: Path, name: str | None, number: int | None) -> FlowGraphError:
    """The same typed error, its message led by the run (``job#number``) and its build directory.

    A node missing from a per-node ``workflow/`` directory also names the file that is not there.
    The run is kept as attributes too: ``exc.run`` (``"job#7"``) and ``exc.build_dir``.
    """
    label = f"{name or path.parent.parent.name}#{number if number is not None else path.name}"
    if getattr(exc, "run", None) is not None:
        return exc
    message = str(exc)
    if isinstance(exc, NodeNotFoundError) and exc.path is None:
        missing = _missing_file(path, exc.node_id or "")
        if missing is not None:
            message = f"{message}; {missing} is not there"
            exc.path = missing
    where = "" if str(path) in message else f" ({path})"
    exc.args = (f"{label}{where}: {message}",)
    exc.run = label  # type: ignore[attr-defined]
    exc.build_dir = str(path)  # type: ignore[attr-defined]
    return exc


def _missing_file(path: Path, node_id: str) -> str | None:
    """The per-node file a missing node would live in, when the run stores nodes one per file."""
    for directory in (path / "workflow", path / "workflow-completed"):
        if directory.is_dir() and not (directory / BULK_FILE_NAME).is_file() and node_id.isdigit():
            return str(directory / f"{node_id}.xml")
    return None


def _break_cycles(graph: FlowGraph) -> list[str]:
    """Cut every link that points at a later node, the only way a Jenkins graph can loop.

    Jenkins numbers nodes as it creates them, and a node's parents and block start exist before
    it, so a parent or start id not smaller than the node's own can only come from an edited or
    damaged file. Each such node is replaced by a marked placeholder keeping its other parents
    (one O(n) pass, whatever the number of cycles).
    """
    storage = graph.storage
    problems: list[str] = []
    flow_start = next((n.id for n in storage.iter_nodes() if n.kind is NodeKind.FLOW_START), None)
    for node in list(storage.iter_nodes()):
        if not node.id.isdigit():
            continue
        own = int(node.id)
        forward = [p for p in node.parent_ids if p.isdigit() and int(p) >= own]
        bad_start = node.start_id is not None and node.start_id.isdigit() and int(node.start_id) >= own
        if not forward and not bad_start:
            continue
        links = [f"parent {p}" for p in forward] + ([f"start {node.start_id}"] if bad_start else [])
        reason = f"node {node.id} names later node(s) ({', '.join(links)}): a cycle, broken here"
        problems.append(reason)
        parents = tuple(p for p in node.parent_ids if p not in forward)
        if not parents and flow_start is not None and node.kind is not NodeKind.FLOW_START:
            parents = (flow_start,)
        kind = NodeKind.FLOW_START if node.kind is NodeKind.FLOW_START else NodeKind.ATOM
        storage.store_node(placeholder_node(node.id, parents=parents, reason=reason, kind=kind), delay=True)
    if not problems:
        raise CorruptGraphError("flow graph has a cycle, but no link points at a later node to break it")
    return problems


def _last_event_ms(graph: FlowGraph, start_ms: int | None) -> int:
    """The latest time the files record: the newest node start, or the run's start (one pass)."""
    latest = start_ms if start_ms is not None else 0
    for node in graph:
        started = node.start_ms
        if started is not None and started > latest:
            latest = started
    return latest


def _patch_with_placeholders(graph: FlowGraph, execution: FlowExecution) -> list[str]:
    """Read every node; stand placeholders in for unreadable and missing ones. One pass each way."""
    storage = graph.storage
    problems: list[str] = []
    good: dict[str, FlowNode] = {}
    broken: list[str] = []
    for node_id in list(storage.node_ids()):
        try:
            node = storage.get_node(node_id)
        except FormatError as exc:
            problems.append(str(exc))
            broken.append(node_id)
            continue
        if node is not None:
            good[node_id] = node
    wanted: dict[str, NodeKind] = {node_id: NodeKind.ATOM for node_id in broken}
    for node in good.values():
        for parent in node.parent_ids:
            if parent not in good:
                wanted.setdefault(parent, NodeKind.ATOM)
        if node.start_id is not None and node.start_id not in good:
            wanted[node.start_id] = NodeKind.FLOW_START if node.kind is NodeKind.FLOW_END else NodeKind.BLOCK_START
    for head in execution.head_ids:
        if head not in good:
            wanted.setdefault(head, NodeKind.ATOM)
    if not wanted:
        return problems
    flow_start = next((n.id for n in good.values() if n.kind is NodeKind.FLOW_START), None)
    for node_id in sorted(wanted, key=node_sort_key):
        if node_id not in broken:
            problems.append(f"node {node_id} is missing from {storage!r}")
        kind = wanted[node_id]
        if flow_start is None:
            kind, flow_start = NodeKind.FLOW_START, node_id
        parents = () if kind is NodeKind.FLOW_START else (flow_start,)
        if node_id == flow_start and kind is not NodeKind.FLOW_START:
            kind, parents = NodeKind.FLOW_START, ()
        reason = next((p for p in problems if f"node {node_id}" in p), f"node {node_id} is missing")
        storage.store_node(placeholder_node(node_id, parents=parents, reason=reason, kind=kind), delay=True)
    return problems


def _job_name(build_dir: Path) -> str | None:
    """``jobs/a/jobs/b/builds/3`` → ``a/b`` (multibranch ``branches/<b>`` counts as a job level)."""
    parts = build_dir.resolve().parts
    if len(parts) < 3 or parts[-2] != "builds":
        return None
    names: list[str] = []
    index = len(parts) - 3
    while index >= 1 and parts[index - 1] in ("jobs", "branches"):
        names.append(parts[index])
        index -= 2
    return "/".join(reversed(names)) or None


def _execution_for(run: Run) -> FlowExecution:
    execution = run.execution
    if isinstance(execution, FlowExecution):
        return execution
    graph = run.graph
    ids = [i for i in graph.storage.node_ids() if i.isdigit()]
    done = not run.running
    starts: list[str] = []
    if not done:
        starts = [n.id for n in graph.storage.iter_nodes() if n.is_block_start and graph.end_of(n) is None]
    return FlowExecution(
        heads={index + 1: head for index, head in enumerate(graph.head_ids)},
        starts=starts,
        iota=max((int(i) for i in ids), default=0),
        done=done,
        persisted_clean=True if done else None,
        durability=Durability.MAX_SURVIVABILITY,
        result=run.result or Result.SUCCESS,
    )


def save_run(run: Run, build_dir: str | os.PathLike[str]) -> None:
    """Write a run as a Jenkins build directory: ``build.xml`` plus its node storage.

    A run loaded from Jenkins keeps its storage kind and layout, and nodes that were not changed
    are written byte for byte as they were read. Other runs get per-node files in ``workflow/``
    (bulk ``workflow/flowNodeStore.xml`` under ``PERFORMANCE_OPTIMIZED``).
    """
    path = Path(build_dir)
    if run.execution is None and not len(run.graph) and isinstance(run.metadata.get("build_record"), FlowExecution):
        _save_run_without_execution(run, path, run.metadata["build_record"])
        return
    execution = _execution_for(run)
    source = run.graph.storage
    durability = execution.durability or Durability.MAX_SURVIVABILITY
    storage_dir = execution.storage_dir or "workflow"
    fmt = getattr(source, "format", None)
    target: XmlDirNodeStorage | BulkXmlNodeStorage
    bulk = isinstance(source, BulkXmlNodeStorage) or (
        not isinstance(source, XmlDirNodeStorage)
        and (durability is Durability.PERFORMANCE_OPTIMIZED or storage_dir.endswith("-completed"))
    )
    if bulk:
        target = BulkXmlNodeStorage(path / storage_dir / BULK_FILE_NAME, durability=durability, format=fmt)
        if isinstance(source, BulkXmlNodeStorage):
            target.copy_layout(source)
        if (path / storage_dir / BULK_FILE_NAME).exists() and source is not target:
            target.mark_broken()
    else:
        target = XmlDirNodeStorage(path / storage_dir, durability=durability, format=fmt)
    original_of = getattr(source, "original_of", None)
    same_place = _same_storage(source, target)
    for node in source.iter_nodes():
        original = original_of(node.id) if original_of is not None else None
        if same_place:
            source.store_node(node, delay=True)
        else:
            target.store_node(node, delay=True, original=original)
    (source if same_place else target).flush()
    record_facts = run.metadata if isinstance(run.metadata, dict) else {}
    write_build_xml(
        path / "build.xml",
        execution,
        result=run.result,
        timestamp_ms=record_facts.get("timestamp_ms", run.start_ms),
        start_ms=run.start_ms,
        duration_ms=run.duration_ms,
        completed=not run.running,
    )
    _copy_logs(record_facts.get("build_dir"), path)


def _save_run_without_execution(run: Run, path: Path, record: FlowExecution) -> None:
    """``build.xml`` alone (and the log): the run never started a flow, so there are no nodes."""
    write_build_xml(
        path / "build.xml",
        record,
        result=run.result,
        timestamp_ms=run.metadata.get("timestamp_ms", run.start_ms),
        start_ms=run.start_ms,
        duration_ms=run.duration_ms,
        completed=not run.running,
        has_execution=False,
    )
    _copy_logs(run.metadata.get("build_dir"), path)


def _same_storage(source: NodeStorage, target: NodeStorage) -> bool:
    if isinstance(source, XmlDirNodeStorage) and isinstance(target, XmlDirNodeStorage):
        return source.directory.resolve() == target.directory.resolve()
    if isinstance(source, BulkXmlNodeStorage) and isinstance(target, BulkXmlNodeStorage):
        return source.path.resolve() == target.path.resolve()
    return False


def _copy_logs(source_dir: object, target: Path) -> None:
    """Logs belong to the run: copy ``log``, ``log-index`` and legacy ``<id>.log`` files along."""
    if not isinstance(source_dir, str):
        return
    source = Path(source_dir)
    if not source.is_dir() or source.resolve() == target.resolve():
        return
    for entry in source.iterdir():
        if entry.is_file() and (entry.name in ("log", "log-index") or entry.name.endswith(".log")):
            shutil.copyfile(entry, target / entry.name)


# -- finding runs ------------------------------------------------------------------------


@dataclass(frozen=True)
class RunRef:
    """One run found on disk: the job's full name, the build number and where it lives."""

    job: str
    number: int
    build_dir: Path

    def load(self, *, on_corrupt: OnCorrupt = "raise") -> Run:
        """Load the run (see :func:`load_run`)."""
        return load_run(self.build_dir, on_corrupt=on_corrupt, name=self.job, number=self.number)

    def __str__(self) -> str:
        return f"{self.job}#{self.number}"


def _is_pipeline_build(build_dir: Path) -> bool:
    """A ``<flow-build>`` record, or one too damaged to tell (empty, truncated, not XML).

    Other job types (``<build>`` of a freestyle job, ``<matrix-run>``…) are not runs of ours; a
    build.xml that cannot be read is yielded anyway, so loading it reports the damage by name
    instead of the run vanishing from the walk.
    """
    try:
        with open(build_dir / "build.xml", "rb") as handle:
            head = handle.read(512)
    except FileNotFoundError:
        return False
    except OSError:
        return True
    if b"<flow-build" in head:
        return True
    root = _ROOT_TAG.search(head)
    return root is None


def _sorted_entries(directory: Path) -> list[os.DirEntry[str]]:
    with os.scandir(directory) as entries:
        return sorted(entries, key=lambda e: e.name)


def iter_runs(path: str | os.PathLike[str]) -> Iterator[RunRef]:
    """Every Pipeline run under ``path`` (a JENKINS_HOME, a folder, a job or a build dir), lazily.

    Folders nest as ``jobs/<a>/jobs/<b>``, multibranch branches as ``branches/<b>``; builds are
    the numeric directories of ``builds/`` whose ``build.xml`` is a ``<flow-build>``. The walk
    uses an explicit stack, so folder depth is no concern.
    """
    root = Path(path)
    if (root / "build.xml").is_file():
        if _is_pipeline_build(root):
            number = int(root.name) if root.name.isdigit() else 0
            yield RunRef(_job_name(root) or root.parent.parent.name, number, root)
        return
    stack: list[tuple[Path, str, int]] = [(root, "", 0)]
    while stack:
        directory, job, depth = stack.pop()
        builds = directory / "builds"
        if job and builds.is_dir():
            with os.scandir(builds) as entries:
                numbers = sorted(int(e.name) for e in entries if e.name.isdigit() and e.is_dir())
            for number in numbers:
                build_dir = builds / str(number)
                if _is_pipeline_build(build_dir):
                    yield RunRef(job, number, build_dir)
        children: list[tuple[Path, str, int]] = []
        for container in ("jobs", "branches"):
            folder = directory / container
            if folder.is_dir():
                for entry in _sorted_entries(folder):
                    if entry.is_dir():
                        children.append((Path(entry.path), f"{job}/{entry.name}" if job else entry.name, depth))
        if not job and not children:
            if builds.is_dir():
                stack.append((directory, directory.name, depth))
                continue
            if depth < _MAX_HOME_DEPTH:
                # Not a JENKINS_HOME itself: look for homes (e.g. several backups) one level down.
                for entry in reversed(_sorted_entries(directory)):
                    if entry.is_dir() and not entry.name.startswith("."):
                        stack.append((Path(entry.path), "", depth + 1))
            continue
        stack.extend(reversed(children))
