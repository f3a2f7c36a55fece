"""One entry point for every place a run can live: :func:`load`.

``load(path)`` recognises a Jenkins build directory (``build.xml``), a bulk node file
(``flowNodeStore.xml``), a directory holding one, and a per-node directory (``<id>.xml``
files). Storages reached by URL (``sqlite:///runs.db?run=7``) plug in through :data:`OPENERS`:
register a function for the URL scheme with :func:`register_opener` and ``load`` hands it the
URL.

Examples
--------
>>> import tempfile
>>> from flowgraph import GraphBuilder
>>> from flowgraph.jenkins.runs import save_run
>>> d = tempfile.mkdtemp()
>>> save_run(GraphBuilder(start_ms=0).build(), d)
>>> load(d).graph.head_ids, len(load(d + "/workflow").graph)
(('3',), 2)
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flowgraph.errors import NotRecognizedError, StorageError
from flowgraph.graph import FlowGraph
from flowgraph.node import NodeKind
from flowgraph.run import Run
from flowgraph.storage.base import NodeStorage
from flowgraph.storage.files import MAX_FILE_BYTES, open_regular

__all__ = ["load", "register_opener", "OPENERS"]

Opener = Callable[..., Run]
OPENERS: dict[str, Opener] = {}
"""URL scheme (``"sqlite"``, ``"postgresql"``…) → function ``(url, **options) -> Run``."""

_URL_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")
_BULK_MAP_ROOT = re.compile(rb"\s*(?:<\?xml[^>]*\?>)?\s*<map[\s/>]")  # an older HashMap bulk store


def register_opener(scheme: str, opener: Opener) -> None:
    """Make ``load("<scheme>://...")`` call ``opener(url, **options)``."""
    OPENERS[scheme.lower()] = opener


def _run_over(storage: NodeStorage) -> Run:
    graph = FlowGraph(storage)
    graph.validate()
    finished = bool(graph.head_ids) and all(h.kind is NodeKind.FLOW_END for h in graph.heads)
    result = graph.heads[0].result if finished else None
    return Run(graph, result=result, running=not finished, metadata={"storage": type(storage).__name__})


def load(path: str | os.PathLike[str], **options: Any) -> Run:
    """Load a run from a build directory, a bulk file, a per-node directory or a registered URL.

    Raises
    ------
    StorageError
        Nothing at ``path`` looks like flow-graph storage, or the URL scheme is not registered.
    """
    text = os.fspath(path)
    match = _URL_RE.match(text)
    if match is not None and not Path(text).exists():
        scheme = match.group(1).lower()
        opener = OPENERS.get(scheme) or OPENERS.get(scheme.split("+")[0])
        if opener is None:
            known = ", ".join(sorted(OPENERS)) or "none registered"
            raise NotRecognizedError(f"{text}: no storage registered for URL scheme {scheme!r} ({known})", path=text)
        return opener(text, **options)
    from flowgraph.jenkins.runs import load_run
    from flowgraph.storage.bulk_xml import BULK_FILE_NAME, BulkXmlNodeStorage
    from flowgraph.storage.xml_dir import XmlDirNodeStorage

    target = Path(text)
    if target.is_dir():
        if (target / "build.xml").exists():  # a build.xml that is no file is reported as such by load_run
            return load_run(target, **options)
        if (target / BULK_FILE_NAME).is_file():
            return _run_over(BulkXmlNodeStorage(target / BULK_FILE_NAME))
        with os.scandir(target) as entries:
            has_nodes = any(e.name.endswith(".xml") for e in entries)
        if has_nodes:
            return _run_over(XmlDirNodeStorage(target))
        raise NotRecognizedError(f"{target}: no build.xml, {BULK_FILE_NAME} or node files here", path=text)
    if target.exists():
        if target.name == "build.xml":
            return load_run(target.parent, **options)
        head = _head_of(text)
        if b"<linked-hash-map" in head or _BULK_MAP_ROOT.match(head):
            return _run_over(BulkXmlNodeStorage(target))
        if b"<Tag" in head or b"SimpleXStreamFlowNodeStorage_-Tag" in head:
            return _run_over(XmlDirNodeStorage(target.parent))
        raise NotRecognizedError(f"{target}: not a build.xml, bulk node store or flow-node file", path=text)
    raise NotRecognizedError(f"{target}: no such file or directory", path=text)


def _head_of(path: str) -> bytes:
    """The first bytes of a file, after checking it is a regular file (a FIFO must not hang ``load``)."""
    try:
        fd = open_regular(path, MAX_FILE_BYTES)
    except OSError as exc:
        raise StorageError(f"{path}: cannot read: {exc.strerror or exc}", path=path) from exc
    try:
        return os.read(fd, 4096)
    finally:
        os.close(fd)


def _open_sql(url: str, **options: Any) -> Run:
    """SQL runs (issue 8): ``sqlite:///runs.db#<execution id>``, ``postgresql://…#<execution id>``."""
    from flowgraph.storage.sql import load_sql_run

    return load_sql_run(url, **options)


for _scheme in ("sqlite", "postgresql", "postgres"):
    register_opener(_scheme, _open_sql)
