"""Jenkins' bulk storage: every node of a run in one ``flowNodeStore.xml``.

``BulkFlowNodeStorage`` keeps a run's nodes in a ``<linked-hash-map>`` of id → ``Tag`` (older
workflow-support, e.g. 865.x, wrote a plain ``<map>`` in hash order; both are read, and a store
is written back with the root and entry order it was read with). Jenkins
uses it while a ``PERFORMANCE_OPTIMIZED`` run is going (``workflow/flowNodeStore.xml``) and for
completed runs after migration (``workflow-completed/flowNodeStore.xml``). Like Jenkins, this
class reads the whole file in one pass on first use and writes it in one streamed sequential
write on :meth:`BulkXmlNodeStorage.flush`: entries in numeric id order, the double-quoted
declaration of Jenkins' non-atomic writer, no trailing newline. Entries of nodes that were read
and not changed are copied from the original text, so they stay byte-identical.

Examples
--------
>>> import tempfile, os
>>> from flowgraph import FlowNode, NodeKind, TimingAction
>>> path = os.path.join(tempfile.mkdtemp(), "flowNodeStore.xml")
>>> store = BulkXmlNodeStorage(path)
>>> store.store_node(FlowNode("2", NodeKind.FLOW_START, actions=[TimingAction(1)]))
>>> store.flush()
>>> BulkXmlNodeStorage(path).get_node("2").start_ms
1
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from flowgraph.actions import Action
from flowgraph.codec.compact import parse_compact
from flowgraph.codec.fast_nodes import decode_bulk_fast
from flowgraph.codec.names import XmlFormat
from flowgraph.codec.nodes_xml import Original, SourceDoc, decode_tag, encode_tag, with_end_descriptor
from flowgraph.codec.xstream import CompactMiss, decl_line, parse_xml, text_of
from flowgraph.errors import FlowGraphError, FormatError, StorageError
from flowgraph.gcpause import gc_paused
from flowgraph.node import FlowNode
from flowgraph.storage.base import Durability, NodeStorage
from flowgraph.storage.files import read_file
from flowgraph.storage.java_order import hashmap_order
from flowgraph.storage.xml_dir import check_node_id, sort_node_ids

__all__ = ["BulkXmlNodeStorage", "BULK_FILE_NAME"]

BULK_FILE_NAME = "flowNodeStore.xml"
_ROOTS = ("linked-hash-map", "map")  # LinkedHashMap (today), HashMap (older workflow-support)
_ENTRY_RE = re.compile(
    r"\n  <entry>\n    <string>([^<\n]*)</string>\n(    <(?:Tag|\S+_-Tag)[ >][\s\S]*?\n    </\S+>)\n  </entry>"
)
_WRITE_CHUNK = 1 << 20


class BulkXmlNodeStorage(NodeStorage):
    """All of a run's nodes in one XML file.

    Parameters
    ----------
    path
        The ``flowNodeStore.xml`` file (or a directory holding one).
    durability
        Recorded for the execution; the bulk file is always written in one non-atomic pass,
        as Jenkins does.
    format
        Plugin versions and spelling for new entries; learned from the file when not given.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        durability: Durability = Durability.PERFORMANCE_OPTIMIZED,
        format: XmlFormat | None = None,
    ) -> None:
        target = Path(path)
        self.path = target / BULK_FILE_NAME if target.is_dir() else target
        self.durability = durability
        self._format = format
        self._nodes: dict[str, FlowNode] | None = None
        self._order: list[str] | None = None  # the ids in node order, until the set of ids changes
        self._originals: dict[str, Original] = {}
        self._read: dict[str, tuple[FlowNode, tuple[Action, ...]]] = {}
        self._pending: set[str] = set()
        self._data: bytes | None = None
        self._entry_texts: dict[str, str] | None = None
        self._root = "linked-hash-map"
        self._file_order: list[str] | None = None  # the entry order of a <map> file, as read
        self.reads = 0
        self.writes = 0

    # -- loading ---------------------------------------------------------------------------

    def _load(self) -> dict[str, FlowNode]:
        if self._nodes is not None:
            return self._nodes
        where = str(self.path)
        try:
            data = read_file(where)
        except FileNotFoundError:
            self._nodes = {}
            return self._nodes
        except OSError as exc:
            raise StorageError(f"{where}: cannot read the bulk node store: {exc}", path=where) from exc
        self.reads += 1
        self._nodes = self._decode(data, where)
        return self._nodes

    def _decode(self, data: bytes, where: str) -> dict[str, FlowNode]:
        with gc_paused():
            nodes = self._decode_fast(data, where)
            if nodes is None:
                nodes = self._decode_general(data, where)
            read = self._read
            for node_id, node in nodes.items():
                read[node_id] = (node, node.actions)
        self._data = data
        if self._root == "map":
            self._file_order = list(nodes)
        return nodes

    def _decode_fast(self, data: bytes, where: str) -> dict[str, FlowNode] | None:
        """The usual case, in a fraction of the time; None when only the general decoder can say."""
        parsed = parse_compact(data, where)
        if parsed is None or parsed.element.tag not in _ROOTS:
            return None
        self._root = parsed.element.tag
        if self._format is None:
            self._format = XmlFormat.learn(parsed.element)
        try:
            return _lend_end_descriptors(decode_bulk_fast(SourceDoc(parsed, data)))
        except (CompactMiss, FlowGraphError):
            return None

    def _decode_general(self, data: bytes, where: str) -> dict[str, FlowNode]:
        doc = SourceDoc(parse_xml(data, where), data)
        root = doc.parsed.element
        if root.tag not in _ROOTS:
            raise FormatError(f"{where}: root element is <{root.tag}>, expected <linked-hash-map> or <map>", path=where)
        self._root = root.tag
        if self._format is None:
            self._format = XmlFormat.learn(root)
        nodes: dict[str, FlowNode] = {}
        for entry in root:
            if entry.tag != "entry":
                if isinstance(entry.tag, str):
                    raise FormatError(f"{where}: unexpected <{entry.tag}> in the node map", path=where)
                continue
            key_el = tag_el = None
            for child in entry:
                if child.tag == "string" and key_el is None:
                    key_el = child
                elif isinstance(child.tag, str) and tag_el is None and key_el is not None:
                    tag_el = child
                elif isinstance(child.tag, str):
                    raise FormatError(f"{where}: malformed <entry> (extra <{child.tag}>)", path=where)
            if key_el is None or tag_el is None:
                raise FormatError(f"{where}: malformed <entry> (needs <string> id and <Tag>)", path=where)
            node_id = text_of(key_el)
            if node_id in nodes:
                raise FormatError(f"{where}: node {node_id} appears twice", path=where, node_id=node_id)
            node = decode_tag(doc, tag_el, expected_id=node_id)
            nodes[node_id] = node
        return _lend_end_descriptors(nodes)

    def entry_text(self, node_id: str) -> str:
        """The original source of one entry's ``Tag`` (at its bulk-file depth)."""
        if self._entry_texts is None:
            texts: dict[str, str] = {}
            source = (self._data or b"").decode("utf-8")
            for match in _ENTRY_RE.finditer(source):
                texts[match.group(1)] = match.group(2)
            self._entry_texts = texts
        text = self._entry_texts.get(node_id)
        if text is None:
            text = self._slow_entry_text(node_id)
        return text

    def _slow_entry_text(self, node_id: str) -> str:
        """Hand-edited files may not follow XStream's layout: locate the entry with a real parser."""
        data = self._data or b""
        doc = SourceDoc(parse_xml(data, str(self.path)), data)
        for entry in doc.parsed.element.iter("entry"):
            parts = [c for c in entry if isinstance(c.tag, str)]
            if len(parts) == 2 and text_of(parts[0]) == node_id:
                return "    " + doc.source_of(parts[1])
        raise FormatError(f"{self.path}: cannot find the source of node {node_id}", path=str(self.path))

    @property
    def format(self) -> XmlFormat:
        self._load()
        if self._format is None:
            self._format = XmlFormat()
        return self._format

    @format.setter
    def format(self, value: XmlFormat) -> None:
        self._format = value

    def original_of(self, node_id: str) -> Original | None:
        """How the node looked when read (made on demand: most loads never need it)."""
        self._load()
        original = self._originals.get(node_id)
        if original is None:
            read = self._read.get(node_id)
            if read is None:
                return None
            original = Original(read[0], _BoundEntryText(self, node_id), actions=read[1])
            self._originals[node_id] = original
        return original

    def copy_layout(self, other: BulkXmlNodeStorage) -> None:
        """Write entries the way ``other`` was read: same root (``<map>`` or not), same order."""
        other._load()
        self._root = other._root
        self._file_order = None if other._file_order is None else list(other._file_order)

    def mark_broken(self) -> None:
        """Treat the file as holding nothing (used when loading with placeholders)."""
        self._nodes = {}
        self._order = None
        self._originals.clear()
        self._read.clear()

    # -- NodeStorage ---------------------------------------------------------------------

    def get_node(self, node_id: str) -> FlowNode | None:
        return self._load().get(node_id)

    def store_node(self, node: FlowNode, *, delay: bool = False, original: Original | None = None) -> None:
        check_node_id(node.id, f"{self.path}: ")
        nodes = self._load()
        if node.id not in nodes:
            self._order = None
        nodes[node.id] = node
        if original is not None:
            self._originals[node.id] = original
        self._pending.add(node.id)

    def flush(self) -> None:
        """Write the whole store in one sequential pass (Jenkins writes it non-atomically too)."""
        if not self._pending and self.path.exists():
            return
        nodes = self._load()
        fmt = self.format
        parts: list[str] = [decl_line(fmt.xml_version, True)]
        ids = self._written_order()
        root = self._root
        parts.append(f"<{root}>" if ids else f"<{root}/>")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "wb", buffering=_WRITE_CHUNK) as handle:
                size = 0
                for node_id in ids:
                    node = nodes[node_id]
                    tag = encode_tag(node, fmt, depth=2, original=self.original_of(node_id))
                    parts.append(f"\n  <entry>\n    <string>{node_id}</string>\n{tag}\n  </entry>")
                    size += len(tag)
                    if size > _WRITE_CHUNK:
                        handle.write("".join(parts).encode("utf-8"))
                        parts.clear()
                        size = 0
                if ids:
                    parts.append(f"\n</{root}>")
                handle.write("".join(parts).encode("utf-8"))
        except OSError as exc:
            raise StorageError(f"{self.path}: cannot write the bulk node store: {exc}", path=str(self.path)) from exc
        self.writes += 1
        self._pending.clear()

    def is_persisted_fully(self) -> bool:
        return not self._pending

    def _written_order(self) -> list[str]:
        """Entry order on disk: by id for a ``<linked-hash-map>``, hash order for a ``<map>``."""
        if self._root != "map":
            return self._sorted_ids()
        nodes = self._load()
        kept = self._file_order
        if kept is not None and len(kept) == len(nodes) and all(i in nodes for i in kept):
            return kept
        # Jenkins fills the completed store walking back from the head: newest ids go in first.
        return hashmap_order(self._sorted_ids()[::-1])

    def _sorted_ids(self) -> list[str]:
        nodes = self._load()
        order = self._order
        if order is None or len(order) != len(nodes):
            order = self._order = sort_node_ids(nodes)
        return order

    def node_ids(self) -> Iterator[str]:
        return iter(list(self._sorted_ids()))

    def iter_nodes(self) -> Iterator[FlowNode]:
        nodes = self._load()
        return iter([nodes[i] for i in self._sorted_ids()])

    def __len__(self) -> int:
        return len(self._load())

    def __contains__(self, node_id: object) -> bool:
        return isinstance(node_id, str) and node_id in self._load()

    def __repr__(self) -> str:
        return f"BulkXmlNodeStorage({str(self.path)!r})"


class _BoundEntryText:
    """Hands out the original text of an entry, reading the source only when a write needs it."""

    __slots__ = ("node_id", "storage")

    def __init__(self, storage: BulkXmlNodeStorage, node_id: str) -> None:
        self.storage = storage
        self.node_id = node_id

    def __call__(self) -> tuple[str, int]:
        return self.storage.entry_text(self.node_id), 2


def _lend_end_descriptors(nodes: dict[str, FlowNode]) -> dict[str, FlowNode]:
    """Give each block end its start's step, in place, whatever order the entries came in.

    Jenkins writes no ``descriptorId`` for a ``StepEndNode``: its ``getDescriptor()`` asks the
    start node. Both decoders finish with this pass, so they agree on every end (e.g. a
    ``retry`` block end reads as ``step='retry'`` from either).
    """
    for node_id, node in nodes.items():
        if node.start_id is not None and node.descriptor_id is None:
            fixed = with_end_descriptor(node, nodes.get(node.start_id))
            if fixed is not node:
                nodes[node_id] = fixed
    return nodes
