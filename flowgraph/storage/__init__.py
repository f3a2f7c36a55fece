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
from flowgraph.storage.memory import MemoryNodeStorage

if TYPE_CHECKING:
    from flowgraph.storage.bulk_xml import BulkXmlNodeStorage
    from flowgraph.storage.sql import SqlNodeStorage, list_executions, load_sql_run, open_sql
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
]

# Loaded on first use: SQLAlchemy is heavy, and the XML storages bring lxml.
_LAZY = {
    "SqlNodeStorage": "flowgraph.storage.sql",
    "open_sql": "flowgraph.storage.sql",
    "load_sql_run": "flowgraph.storage.sql",
    "list_executions": "flowgraph.storage.sql",
    "BulkXmlNodeStorage": "flowgraph.storage.bulk_xml",
    "XmlDirNodeStorage": "flowgraph.storage.xml_dir",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'flowgraph.storage' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value
