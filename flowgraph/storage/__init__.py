"""Node storages: where a flow graph's nodes live.

Choose by need:

* :class:`MemoryNodeStorage` — in process, fastest; the reference for the contract.
* Per-node and bulk XML storages (Jenkins' own formats) and SQL storage plug in behind the same
  :class:`NodeStorage` contract.
"""

from flowgraph.storage.base import Durability, NodeStorage
from flowgraph.storage.memory import MemoryNodeStorage

__all__ = ["NodeStorage", "Durability", "MemoryNodeStorage"]
