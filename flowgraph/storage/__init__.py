"""Storages: where a flow graph's nodes (and a run's record and owner) live.

Node storages, choose by need:

* :class:`MemoryNodeStorage` — in process, fastest; the reference for the contract.
* :class:`XmlDirNodeStorage` — Jenkins' per-node files (``workflow/<id>.xml``), lazy reads,
  atomic durable writes.
* :class:`BulkXmlNodeStorage` — Jenkins' single ``flowNodeStore.xml``, one streamed write.
* :class:`SqlNodeStorage` — many runs in one SQLite file or PostgreSQL database (SQLAlchemy
  Core), execution records and step details beside the nodes, one transaction per flush;
  :func:`open_sql` opens ``<url>#<execution id>``.

Run stores (:class:`RunStore`: nodes + execution record + lease) are the backend contract;
:func:`open_store` opens one from a URL or a path, and other packages add backends with
:func:`register_store` or an entry point (see :mod:`flowgraph.storage.registry`).

Everything that loads lxml or SQLAlchemy is imported on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from flowgraph.storage.base import Durability, NodeStorage
from flowgraph.storage.memory import MemoryNodeStorage

if TYPE_CHECKING:
    from flowgraph.storage.bulk_xml import BulkXmlNodeStorage
    from flowgraph.storage.registry import StoreOptions, known_schemes, open_store, register_store
    from flowgraph.storage.run_store import MemoryRunStore, RunStore
    from flowgraph.storage.sql import SqlNodeStorage, list_executions, load_sql_run, open_sql
    from flowgraph.storage.sql_store import SqlRunStore
    from flowgraph.storage.xml_dir import XmlDirNodeStorage

__all__ = [
    "NodeStorage",
    "Durability",
    "MemoryNodeStorage",
    "XmlDirNodeStorage",
    "BulkXmlNodeStorage",
    "SqlNodeStorage",
    "open_sql",
    "load_sql_run",
    "list_executions",
    "RunStore",
    "MemoryRunStore",
    "SqlRunStore",
    "StoreOptions",
    "open_store",
    "register_store",
    "known_schemes",
]

# Loaded on first use: the run stores import the execution record (which imports this package),
# SQLAlchemy is heavy, and the XML storages bring lxml.
_LAZY = {
    "RunStore": "flowgraph.storage.run_store",
    "MemoryRunStore": "flowgraph.storage.run_store",
    "StoreOptions": "flowgraph.storage.registry",
    "known_schemes": "flowgraph.storage.registry",
    "open_store": "flowgraph.storage.registry",
    "register_store": "flowgraph.storage.registry",
    "XmlDirNodeStorage": "flowgraph.storage.xml_dir",
    "BulkXmlNodeStorage": "flowgraph.storage.bulk_xml",
    "SqlNodeStorage": "flowgraph.storage.sql",
    "open_sql": "flowgraph.storage.sql",
    "load_sql_run": "flowgraph.storage.sql",
    "list_executions": "flowgraph.storage.sql",
    "SqlRunStore": "flowgraph.storage.sql_store",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'flowgraph.storage' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
