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
from scanners.run_rows import run_rows, step_path

__all__ = ["TableBatch", "run_facts"]

_SCM_REVISION_ACTION = "jenkins.scm.api.SCMRevisionAction"
_BUILD_DATA = "hudson.plugins.git.util.BuildData"
_CAUSE_ACTION = "hudson.model.CauseAction"


def _enclosed_by_retry(graph: FlowGraph, node_id: str, memo: dict[str, bool]) -> bool:
    """True when a ``retry`` block encloses the node.

    Walks up the enclosing blocks without recursion; ``memo`` (one per run) remembers each block's
    answer, so all the failed steps of a run cost one walk over its blocks, whatever the nesting.
    """
    try:
        chain: list[str] = []
        current = graph.enclosing_id(graph.node(node_id))
        found = False
        while current is not None:
            if current in memo:
                found = memo[current]
                break
            chain.append(current)
            if graph.node(current).function_name == "retry":
                found = True
                break
            current = graph.enclosing_id(graph.node(current))
    except FlowGraphError:
        return False
    for block in chain:
        memo[block] = found
    return found


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
        """Append the run's rows (analysing it unless ``analysis`` is given).

        Stage and step rows, and their paths, are :mod:`scanners.run_rows`' (one definition of a
        path for the warehouse, diffs and plots); this adds the run's job and number, each row's
        occurrence, and for each step that threw an error its type, signature and retry flag.
        """
        analysis = analysis if analysis is not None else analyze(run)
        job = run.name or ""
        number = run.number if run.number is not None else 0
        graph = run.graph
        rows = run_rows(analysis)
        st = self.columns["stages"]
        seen: dict[str, int] = {}
        for path, name, type_, status, start, duration, pause in rows.stages:
            occurrence = seen.get(path, 0) + 1
            seen[path] = occurrence
            st["job"].append(job)
            st["number"].append(number)
            st["path"].append(path)
            st["name"].append(name)
            st["type"].append(type_)
            st["status"].append(status)
            st["start"].append(start)
            st["duration"].append(duration)
            st["pause"].append(pause)
            st["occurrence"].append(occurrence)
        sp = self.columns["steps"]
        seen.clear()
        retry_memo: dict[str, bool] = {}
        for node_id, stage_path, function_name, summary, status, start, duration, error, path in rows.steps:
            base = step_path(stage_path, function_name, summary)
            occurrence = seen.get(base, 0) + 1
            seen[base] = occurrence
            sp["job"].append(job)
            sp["number"].append(number)
            sp["node_id"].append(node_id)
            sp["stage_path"].append(stage_path)
            sp["function_name"].append(function_name)
            sp["summary"].append(summary)
            sp["status"].append(status)
            sp["start"].append(start)
            sp["duration"].append(duration)
            sp["error"].append(error)
            sp["path"].append(path)
            sp["occurrence"].append(occurrence)
            thrown = graph.node(node_id).error if error is not None else None
            sp["error_type"].append(thrown.error_type if thrown is not None else None)
            sp["signature"].append(signature(thrown.error_type, error) if thrown is not None else None)
            sp["in_retry"].append(_enclosed_by_retry(graph, node_id, retry_memo) if thrown is not None else False)
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
