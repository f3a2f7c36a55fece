"""The recorder's run stores, by their historical import path.

The stores themselves are the storage layer's backend contract: :class:`RunStore`,
:class:`MemoryRunStore` and :class:`SqlRunStore` live in :mod:`flowgraph.storage`,
:class:`XmlRunStore` (a Jenkins build directory) in :mod:`flowgraph.jenkins.run_store`, and
:func:`open_store` is the one registry of :mod:`flowgraph.storage.registry`.

Examples
--------
>>> store = open_store("memory://doc-example", create=True)
>>> store.load_execution() is None, open_store("memory://doc-example") is store
(True, True)
"""

from __future__ import annotations

from flowgraph.jenkins.run_store import XmlRunStore
from flowgraph.storage.registry import open_store
from flowgraph.storage.run_store import MemoryRunStore, RunStore
from flowgraph.storage.sql_store import SqlRunStore

__all__ = ["RunStore", "MemoryRunStore", "SqlRunStore", "XmlRunStore", "open_store"]
