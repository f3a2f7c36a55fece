"""One run in, its warehouse rows out: a run row, stage rows and step rows, column by column.

:class:`TableBatch` gathers the rows of many runs as Python column lists and turns them into
Arrow tables in one go (one table per part file), which is what makes the import fast: the
per-run cost is one pass over the analysis, no DataFrame per run.

Run facts that only ``build.xml`` knows are read from its run actions: the SCM revision (the
multibranch ``SCMRevisionAction`` hash, else the git plugin's ``BuildData`` last built SHA-1)
and the first cause (``UserIdCause``, ``SCMTriggerCause``…).

Examples
--------
>>> from flowgraph import GraphBuilder
>>> b = GraphBuilder(start_ms=0, step_ms=100)
>>> with b.stage("Build"):
...     _ = b.step("sh", script="make")
>>> run = b.build()
>>> run.name, run.number = "app", 1
>>> batch = TableBatch()
>>> batch.add_run(run)
>>> batch.columns["stages"]["path"], batch.columns["steps"]["path"]
(['Build'], ['Build / sh make'])
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from lxml import etree

from flowgraph.errors import FlowGraphError
from flowgraph.graph import FlowGraph
from flowgraph.run import Run
from scanners.analysis import RunAnalysis, analyze
from scanners.history.schema import TABLES
from scanners.history.signatures import signature
from scanners.stage_tree import StageType

__all__ = ["TableBatch", "run_facts", "STEP_SEPARATOR"]

STEP_SEPARATOR = " / "
_SCM_REVISION_ACTION = "jenkins.scm.api.SCMRevisionAction"
_BUILD_DATA = "hudson.plugins.git.util.BuildData"
_CAUSE_ACTION = "hudson.model.CauseAction"


def _enclosed_by_retry(graph: FlowGraph, node_id: str) -> bool:
    """True when a ``retry`` block encloses the node (a walk up its enclosing blocks, no recursion)."""
    try:
        node = graph.node(node_id)
        return any(graph.node(i).function_name == "retry" for i in graph.all_enclosing_ids(node))
    except FlowGraphError:
        return False


def _resolve(element: Any) -> Any:
    """Follow XStream's ``reference="../x/y"`` back-references (one hop at a time, bounded)."""
    for _ in range(8):
        ref = element.get("reference")
        if ref is None:
            return element
        found = element.xpath(ref)
        if not found:
            return element
        element = found[0]
    return element


def run_facts(run: Run) -> tuple[str | None, str | None]:
    """``(revision, cause)`` from the run actions of the run's ``build.xml`` (None when absent)."""
    execution = run.execution
    extra = getattr(execution, "extra", None)
    record = extra.get("build.xml") if isinstance(extra, dict) else None
    if not isinstance(record, dict):
        return None, None
    source = next((text for tag, text in record.get("run", ()) if tag == "actions"), "")
    if not source or ("Revision" not in source and "BuildData" not in source and "Cause" not in source):
        return None, None
    try:
        actions = etree.fromstring(
            source.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        )
    except etree.XMLSyntaxError:
        return None, None
    revision: str | None = None
    for action in actions.iter(_SCM_REVISION_ACTION):
        hashes = [h.text.strip() for h in action.iter("hash") if h.text and h.text.strip()]
        if hashes:
            revision = hashes[0]
            break
    if revision is None:
        for action in actions.iter(_BUILD_DATA):
            built = action.find("lastBuiltRevision")
            sha = _resolve(built).find("SHA1") if built is not None else None
            if sha is not None and (sha.text or "").strip():
                revision = sha.text.strip()
                break
    cause: str | None = None
    for action in actions.iter(_CAUSE_ACTION):
        entry = action.find("causeBag/entry")
        first = entry[0] if entry is not None and len(entry) else None
        if first is None:
            causes = action.find("causes")
            first = causes[0] if causes is not None and len(causes) else None
        if first is not None:
            cause = str(first.tag).rsplit("_-", 1)[-1].rsplit(".", 1)[-1]
            break
    return revision, cause


class TableBatch:
    """Rows of many runs, kept as column lists, turned into Arrow tables by :meth:`tables`."""

    __slots__ = ("columns", "run_count")

    def __init__(self) -> None:
        self.columns: dict[str, dict[str, list[Any]]] = {
            name: {column: [] for column in schema.names} for name, schema in TABLES.items()
        }
        self.run_count = 0

    def add_error(self, job: str, number: int, path: str, error: BaseException) -> None:
        """Record a damaged run: the file at fault, the error's class and message."""
        columns = self.columns["errors"]
        columns["job"].append(job)
        columns["number"].append(number)
        columns["path"].append(getattr(error, "path", None) or path)
        columns["error_type"].append(type(error).__name__)
        columns["message"].append(str(error))

    def add_run(self, run: Run, analysis: RunAnalysis | None = None, *, build_dir: str | None = None) -> None:
        """Append the run's rows (analysing it unless ``analysis`` is given)."""
        analysis = analysis if analysis is not None else analyze(run)
        job = run.name or ""
        number = run.number if run.number is not None else 0
        graph = run.graph
        stage_paths: dict[str, str] = {}
        stage_seen: dict[str, int] = {}
        st = self.columns["stages"]
        for stage in analysis.iter_stages():
            parent = stage_paths.get(stage.parent_id or "", "") if stage.parent_id is not None else ""
            if stage.type is StageType.PARALLEL_BLOCK:
                stage_paths[stage.id] = parent
                continue
            base = f"{parent}{STEP_SEPARATOR}{stage.name}" if parent else stage.name
            seen = stage_seen.get(base, 0) + 1
            stage_seen[base] = seen
            path = base if seen == 1 else f"{base} #{seen}"
            stage_paths[stage.id] = path
            st["job"].append(job)
            st["number"].append(number)
            st["path"].append(path)
            st["name"].append(stage.name)
            st["type"].append(stage.type.name)
            st["status"].append(stage.status.name)
            st["start"].append(stage.start_ms)
            st["duration"].append(stage.duration_ms)
            st["pause"].append(stage.pause_ms)
            st["node_id"].append(stage.id)
            st["depth"].append(stage.depth)
            st["skipped"].append(stage.skipped)
        sp = self.columns["steps"]
        step_seen: dict[str, int] = {}
        for step in analysis.iter_steps():
            node = step.node
            stage_path = stage_paths.get(step.stage_id, "") if step.stage_id is not None else ""
            function = node.function_name
            summary = node.argument_summary()
            label = " ".join(part for part in (function, summary) if part)
            base = f"{stage_path}{STEP_SEPARATOR}{label}" if stage_path else label
            seen = step_seen.get(base, 0) + 1
            step_seen[base] = seen
            error = node.error
            message = None
            if error is not None:
                message = error.message if error.message is not None else error.error_type
            sp["job"].append(job)
            sp["number"].append(number)
            sp["node_id"].append(node.id)
            sp["stage_path"].append(stage_path)
            sp["function_name"].append(function)
            sp["summary"].append(summary)
            sp["status"].append(step.status.name)
            sp["start"].append(step.start_ms)
            sp["duration"].append(step.duration_ms)
            sp["error"].append(message)
            sp["path"].append(base if seen == 1 else f"{base} #{seen}")
            sp["error_type"].append(error.error_type if error is not None else None)
            sp["signature"].append(signature(error.error_type, error.message) if error is not None else None)
            sp["in_retry"].append(_enclosed_by_retry(graph, node.id) if error is not None else False)
        revision, cause = run_facts(run)
        execution = run.execution
        durability = getattr(execution, "durability", None)
        metadata = run.metadata if isinstance(run.metadata, dict) else {}
        rn = self.columns["runs"]
        rn["job"].append(job)
        rn["number"].append(number)
        rn["result"].append(run.result.name if run.result is not None else None)
        rn["start"].append(run.start_ms)
        rn["duration"].append(run.duration_ms)
        rn["running"].append(bool(run.running))
        rn["node_count"].append(len(graph))
        rn["cause"].append(cause)
        rn["revision"].append(revision)
        rn["durability"].append(durability.name if durability is not None else None)
        rn["build_dir"].append(build_dir if build_dir is not None else metadata.get("build_dir"))
        self.run_count += 1

    def tables(self) -> dict[str, pa.Table]:
        """The gathered rows as one Arrow table per warehouse table (empty tables included)."""
        return {name: pa.Table.from_pydict(self.columns[name], schema=schema) for name, schema in TABLES.items()}
