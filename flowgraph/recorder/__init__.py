"""The recorder: run Python pipelines, record them live as Jenkins flow graphs, resume after a crash.

Jenkins' flow graph is the record, TaskFlow's rules do the resuming:

* define a pipeline with :class:`Step`, :class:`Stage`, :class:`Parallel`, :class:`Retry` in a
  :class:`Pipeline`, built by a module-level *factory*;
* :func:`record` runs it into a store (memory, SQLite/PostgreSQL via
  :class:`~flowgraph.storage.sql.SqlNodeStorage`, or a Jenkins build directory of per-node XML);
* :func:`resume` re-imports the factory and continues a run whose process died, never running a
  step whose completion was recorded again;
* inside a step, :func:`log` writes to the step's log (Jenkins' ``log`` + ``log-index``).

Examples
--------
>>> from flowgraph.recorder.examples import greeting_pipeline
>>> run = record(greeting_pipeline, kwargs={"who": "docs"})
>>> run.results["shout"], [n.display_name for n in run.graph][:3]
('HELLO DOCS', ['Start of Pipeline', 'Stage : Start', 'Greet'])
"""

from typing import TYPE_CHECKING, Any

from flowgraph.recorder.api import RecordedRun, VersionPolicy, record, resume
from flowgraph.recorder.factory import factory_name, load_factory
from flowgraph.recorder.logs import LogWriter, log
from flowgraph.recorder.pipeline import Parallel, Pipeline, Retry, Stage, Step
from flowgraph.storage.registry import open_store
from flowgraph.storage.run_store import MemoryRunStore, RunStore

if TYPE_CHECKING:
    from flowgraph.jenkins.run_store import XmlRunStore
    from flowgraph.storage.sql_store import SqlRunStore

__all__ = [
    "Pipeline",
    "Step",
    "Stage",
    "Parallel",
    "Retry",
    "record",
    "resume",
    "RecordedRun",
    "VersionPolicy",
    "log",
    "LogWriter",
    "factory_name",
    "load_factory",
    "RunStore",
    "MemoryRunStore",
    "SqlRunStore",
    "XmlRunStore",
    "open_store",
]


def __getattr__(name: str) -> Any:
    """The XML and SQL stores load lxml and SQLAlchemy: imported on first use."""
    modules = {"XmlRunStore": "flowgraph.jenkins.run_store", "SqlRunStore": "flowgraph.storage.sql_store"}
    if name not in modules:
        raise AttributeError(f"module 'flowgraph.recorder' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(modules[name]), name)
    globals()[name] = value
    return value
