"""The flow-node codec: Jenkins' node and action XML, below every storage.

* :mod:`~flowgraph.codec.xstream` - safe parsing, XStream's exact layout and escaping.
* :mod:`~flowgraph.codec.names` - class aliases, plugin attributes, :class:`XmlFormat`.
* :mod:`~flowgraph.codec.actions_xml` and :mod:`~flowgraph.codec.nodes_xml` - one action or
  node to and from XML; :mod:`~flowgraph.codec.compact` and :mod:`~flowgraph.codec.fast_nodes`
  decode the same bytes faster.
* :mod:`~flowgraph.codec.placeholders` - stand-ins for nodes that are missing or unreadable.

This package knows nothing of runs, ``build.xml`` or storages: the node storages
(:mod:`flowgraph.storage`) use it, and run-level I/O (:mod:`flowgraph.jenkins`) sits above both.
"""

from __future__ import annotations

from flowgraph.codec.names import XmlFormat
from flowgraph.codec.placeholders import PlaceholderAction, is_placeholder, placeholder_node
from flowgraph.codec.xstream import parse_xml

__all__ = ["XmlFormat", "parse_xml", "PlaceholderAction", "placeholder_node", "is_placeholder"]
