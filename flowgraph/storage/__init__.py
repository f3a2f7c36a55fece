"""Node storages: where a flow graph's nodes live.

Choose by need:

* :class:`MemoryNodeStorage` — in process, fastest; the reference for the contract.
* :class:`XmlDirNodeStorage` — Jenkins' per-node files (``workflow/<id>.xml``), lazy reads,
  atomic durable writes.
* :class:`BulkXmlNodeStorage` — Jenkins' single ``flowNodeStore.xml``, one streamed write.
* SQL storage plugs in behind the same :class:`NodeStorage` contract.
"""

from flowgraph.storage.base import Durability, NodeStorage
from flowgraph.storage.bulk_xml import BulkXmlNodeStorage
from flowgraph.storage.memory import MemoryNodeStorage
from flowgraph.storage.xml_dir import XmlDirNodeStorage

__all__ = ["NodeStorage", "Durability", "MemoryNodeStorage", "XmlDirNodeStorage", "BulkXmlNodeStorage"]
