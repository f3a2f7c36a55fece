"""Jenkins' own files: flow-node XML, ``build.xml``, logs, and whole ``JENKINS_HOME`` trees.

* Codec (re-exported from :mod:`flowgraph.codec`, which sits below the storages):
  :class:`XmlFormat`, :func:`parse_xml`, placeholders.
* Runs: :func:`load_run`, :func:`save_run`, :func:`iter_runs`, :func:`load_runs` (all cores;
  damaged runs are skipped and listed in a :class:`LoadReport`),
  ``build.xml`` via :func:`read_build_xml` / :func:`write_build_xml`.
* Logs: :func:`node_log`, :func:`iter_node_log`, :func:`log_text`.

Run-level names are imported on first use (they load lxml and the storages).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from flowgraph.codec.names import XmlFormat
from flowgraph.codec.placeholders import PlaceholderAction, is_placeholder, placeholder_node
from flowgraph.codec.xstream import parse_xml

if TYPE_CHECKING:
    from flowgraph.jenkins.build_xml import BuildRecord, read_build_xml, write_build_xml
    from flowgraph.jenkins.bulk_load import load_runs
    from flowgraph.jenkins.load_report import LoadProblem, LoadReport
    from flowgraph.jenkins.logs import iter_node_log, log_text, node_log
    from flowgraph.jenkins.runs import RunRef, iter_runs, load_run, save_run

__all__ = [
    "XmlFormat",
    "parse_xml",
    "PlaceholderAction",
    "placeholder_node",
    "is_placeholder",
    "BuildRecord",
    "read_build_xml",
    "write_build_xml",
    "load_run",
    "save_run",
    "iter_runs",
    "RunRef",
    "load_runs",
    "LoadReport",
    "LoadProblem",
    "node_log",
    "iter_node_log",
    "log_text",
]

_LAZY = {
    "BuildRecord": "flowgraph.jenkins.build_xml",
    "read_build_xml": "flowgraph.jenkins.build_xml",
    "write_build_xml": "flowgraph.jenkins.build_xml",
    "load_run": "flowgraph.jenkins.runs",
    "save_run": "flowgraph.jenkins.runs",
    "iter_runs": "flowgraph.jenkins.runs",
    "RunRef": "flowgraph.jenkins.runs",
    "load_runs": "flowgraph.jenkins.bulk_load",
    "LoadReport": "flowgraph.jenkins.load_report",
    "LoadProblem": "flowgraph.jenkins.load_report",
    "node_log": "flowgraph.jenkins.logs",
    "iter_node_log": "flowgraph.jenkins.logs",
    "log_text": "flowgraph.jenkins.logs",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'flowgraph.jenkins' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
