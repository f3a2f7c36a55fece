"""Node storages: where a flow graph's nodes live.

Choose by need:

* :class:`MemoryNodeStorage` — in process, fastest; the reference for the contract.
* :class:`XmlDirNodeStorage` — Jenkins' per-node files (``workflow/<id>.xml``), lazy reads,
  atomic durable writes.
* :class:`BulkXmlNodeStorage` — Jenkins' single ``flowNodeStore.xml``, one streamed write.
* :class:`SqlNodeStorage` — many runs in one SQLite file or PostgreSQL database (SQLAlchemy
  Core), execution records and step details beside the nodes, one transaction per flush;
  :func:`open_sql` opens ``<url>#<execution id>``. Imported on first use (SQLAlchemy is heavy).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from flowgraph.storage.base import Durability, NodeStorage
from flowgraph.storage.bulk_xml import BulkXmlNodeStorage
from flowgraph.storage.memory import MemoryNodeStorage
from flowgraph.storage.xml_dir import XmlDirNodeStorage

if TYPE_CHECKING:
    from flowgraph.storage.sql import SqlNodeStorage, list_executions, load_sql_run, open_sql

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
]

_LAZY = {"SqlNodeStorage", "open_sql", "load_sql_run", "list_executions"}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'flowgraph.storage' has no attribute {name!r}")
    value = getattr(importlib.import_module("flowgraph.storage.sql"), name)
    globals()[name] = value
    return value
