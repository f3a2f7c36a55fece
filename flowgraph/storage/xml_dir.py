"""Jenkins' per-node storage: one ``workflow/<id>.xml`` file per flow node.

This is ``SimpleXStreamFlowNodeStorage``'s layout, read and written byte-compatibly:

* **Reads are lazy**: a node file is parsed when the node is first asked for, and kept in a
  bounded LRU cache, so a 100,000-node run does not have to fit in memory as objects.
* **Writes go through a write cache**: ``store_node(node, delay=True)`` only remembers the node;
  :meth:`XmlDirNodeStorage.flush` writes everything pending. ``delay=False`` writes at once.
* **Durability decides how a file is written**: under ``MAX_SURVIVABILITY`` each file is written
  to a temporary file, fsynced and renamed into place (and the directory fsynced), with the
  single-quoted declaration Jenkins' atomic writer uses; under the other modes files are written
  in place with the double-quoted declaration of Jenkins' non-atomic writer.
* **Unchanged nodes stay byte-identical**: a node that was read and is stored again unchanged is
  not rewritten, and when copied to another storage its original text is reused.

Examples
--------
>>> import tempfile
>>> from flowgraph import FlowNode, NodeKind, TimingAction
>>> d = tempfile.mkdtemp()
>>> store = XmlDirNodeStorage(d)
>>> store.store_node(FlowNode("2", NodeKind.FLOW_START, actions=[TimingAction(1)]), delay=True)
>>> store.is_persisted_fully()
False
>>> store.flush()
>>> XmlDirNodeStorage(d).get_node("2").start_ms
1
>>> (Path(d) / "2.xml").read_bytes().split(b"\\n")[0]
b"<?xml version='1.1' encoding='UTF-8'?>"
"""

from __future__ import annotations

import os
import re
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from pathlib import Path

from lxml import etree

from flowgraph.codec.compact import parse_compact_many
from flowgraph.codec.fast_nodes import decode_node_bytes, decode_tag_fast
from flowgraph.codec.names import XmlFormat
from flowgraph.codec.nodes_xml import Original, SourceDoc, encode_tag, with_end_descriptor
from flowgraph.codec.xstream import CompactMiss, ParsedXml, decl_line, parse_xml
from flowgraph.errors import FlowGraphError, FormatError, StorageError
from flowgraph.node import FlowNode
from flowgraph.storage.base import Durability, NodeStorage
from flowgraph.storage.files import read_file, write_bytes

__all__ = [
    "XmlDirNodeStorage",
    "write_bytes",
    "read_file",
    "READ_AHEAD",
    "READ_AHEAD_BYTES",
    "node_sort_key",
    "sort_node_ids",
    "check_node_id",
]

_SAFE_ID = re.compile(r"^[A-Za-z0-9_\-][A-Za-z0-9_.\-]*$")
_BULK_NAME = "flowNodeStore.xml"


def check_node_id(node_id: str, where: str = "") -> str:
    """Node ids become file names: refuse anything that could escape the directory."""
    if not isinstance(node_id, str) or not _SAFE_ID.match(node_id) or ".." in node_id:
        raise StorageError(f"{where}invalid node id {node_id!r}: ids must be plain names like '12'", node_id=None)
    return node_id


def node_sort_key(node_id: str) -> tuple[int, int, str]:
    """Numeric ids in numeric order, then any others in string order (Jenkins' bulk-store order)."""
    return (0, int(node_id), "") if node_id.isdigit() else (1, 0, node_id)


def sort_node_ids(ids: Iterable[str]) -> list[str]:
    """``sorted(ids, key=node_sort_key)``, sooner when every id is a number (the usual case).

    Examples
    --------
    >>> sort_node_ids(["10", "9", "x", "2"])
    ['2', '9', '10', 'x']
    """
    ids = list(ids)
    if all(map(str.isdigit, ids)):
        ids.sort(key=int)  # the same order: a stable sort on the same numbers
    else:
        ids.sort(key=node_sort_key)
    return ids


READ_AHEAD = 64
"""How many node files :meth:`XmlDirNodeStorage.iter_nodes` reads and parses together."""
READ_AHEAD_BYTES = 8 << 20
"""...and at most about this many bytes of them."""


class XmlDirNodeStorage(NodeStorage):
    """One XML file per node in ``directory`` (Jenkins' ``workflow/`` directory).

    Parameters
    ----------
    directory
        The directory holding ``<id>.xml`` files; created on first write if missing.
    durability
        How files are written (see the module docstring); ``MAX_SURVIVABILITY`` by default.
    cache_size
        How many decoded nodes the read cache keeps.
    format
        Plugin versions and spelling for new files; by default learned from the first existing
        file read, else :class:`~flowgraph.codec.names.XmlFormat`'s defaults.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        durability: Durability = Durability.MAX_SURVIVABILITY,
        cache_size: int = 10_000,
        format: XmlFormat | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.durability = durability
        self.cache_size = max(1, cache_size)
        self._format = format
        self._learned = format is not None
        self._cache: OrderedDict[str, FlowNode] = OrderedDict()
        self._originals: dict[str, Original] = {}
        self._pending: dict[str, FlowNode] = {}
        self._pending_originals: dict[str, Original] = {}
        self._ids: set[str] | None = None
        self.reads = 0
        self.writes = 0

    # -- format ----------------------------------------------------------------------------

    @property
    def format(self) -> XmlFormat:
        """The spelling used for new files (learned from existing ones when not given)."""
        if not self._learned:
            self._learned = True
            for node_id in self._disk_ids():
                try:
                    data = read_file(str(self._path(node_id)))
                    self._format = XmlFormat.learn(parse_xml(data, str(self._path(node_id))).element)
                except (OSError, FormatError):
                    continue
                break
        if self._format is None:
            self._format = XmlFormat()
        return self._format

    @format.setter
    def format(self, value: XmlFormat) -> None:
        self._format = value
        self._learned = True

    # -- files -----------------------------------------------------------------------------

    def _path(self, node_id: str) -> Path:
        return self.directory / f"{node_id}.xml"

    def _file(self, node_id: str) -> str:
        """``str(self._path(node_id))`` without building a Path (ids are plain names)."""
        base = str(self.directory)
        if base == ".":
            return f"{node_id}.xml"
        return f"{base}{node_id}.xml" if base.endswith(os.sep) else f"{base}{os.sep}{node_id}.xml"

    def _disk_ids(self) -> set[str]:
        if self._ids is None:
            ids: set[str] = set()
            try:
                names = os.listdir(self.directory)
            except FileNotFoundError:
                names = []
            except OSError as exc:
                raise StorageError(
                    f"{self.directory}: cannot list node files: {exc}", path=str(self.directory)
                ) from exc
            for name in names:
                if name.endswith(".xml") and name != _BULK_NAME:
                    stem = name[:-4]
                    # ASCII digits (nearly every id) match _SAFE_ID; anything else is checked.
                    if (stem.isdigit() and stem.isascii()) or _SAFE_ID.match(stem):
                        ids.add(stem)
            self._ids = ids
        return self._ids

    def _read(self, node_id: str, *, resolve: bool = True) -> FlowNode | None:
        path = self._file(node_id)
        try:
            data = read_file(path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageError(f"{path}: cannot read node {node_id}: {exc}", path=path, node_id=node_id) from exc
        self.reads += 1
        node = decode_node_bytes(data, path, node_id, self._cache if resolve else None)
        return self._finish_read(node_id, path, node, resolve)

    def _read_prefetched(self, node_id: str, path: str, data: bytes, tag: etree._Element) -> FlowNode:
        """``_read`` for a file whose bytes and compact tree :meth:`iter_nodes` already has."""
        self.reads += 1
        try:
            node = decode_tag_fast(SourceDoc(ParsedXml(tag, False, path), data), tag, node_id, self._cache)
        except (CompactMiss, FlowGraphError):
            node = decode_node_bytes(data, path, node_id, self._cache)
        if node.start_id is not None and node.descriptor_id is None:
            return self._finish_read(node_id, path, node, True)
        self._originals[node_id] = Original(node, _FileText(path))
        return node

    def _finish_read(self, node_id: str, path: str, node: FlowNode, resolve: bool) -> FlowNode:
        if resolve and node.start_id is not None and node.descriptor_id is None:
            try:
                start = self._cache.get(node.start_id) or self._read(node.start_id, resolve=False)
            except StorageError:
                # The start's own read reports its damage; this end node's file is fine, and
                # losing it here would replace good data by a placeholder (its descriptor,
                # which Jenkins takes from the start, stays unknown).
                start = None
            node = with_end_descriptor(node, start)
        self._originals[node_id] = Original(node, _FileText(path))
        return node

    def original_of(self, node_id: str) -> Original | None:
        """How the node looked when read from this storage (for byte-exact copies elsewhere)."""
        return self._pending_originals.get(node_id) or self._originals.get(node_id)

    # -- NodeStorage ---------------------------------------------------------------------

    def get_node(self, node_id: str) -> FlowNode | None:
        pending = self._pending.get(node_id)
        if pending is not None:
            return pending
        cached = self._cache.get(node_id)
        if cached is not None:
            self._cache.move_to_end(node_id)
            return cached
        if not _SAFE_ID.match(node_id) or ".." in node_id:
            return None
        node = self._read(node_id)
        if node is not None:
            self._remember(node)
        return node

    def iter_nodes(self) -> Iterator[FlowNode]:
        """Every node in id order; what :meth:`get_node` gives for each id, read ahead in batches.

        Node files that are about to be needed are read a batch at a time and parsed as one
        document (see :func:`~flowgraph.codec.xstream.parse_compact_many`), which is what
        makes a whole-run load cheap. Nothing else changes: each node is decoded, counted in
        ``reads``, cached and checked exactly when ``get_node`` would do it, pending and cached
        nodes win, a batch read before a write to this storage is dropped, and any file the
        batch cannot vouch for is read by ``get_node`` itself (with its exact errors).
        """
        ids = list(self.node_ids())
        pending, cache = self._pending, self._cache
        for start in range(0, len(ids), READ_AHEAD):
            chunk = ids[start : start + READ_AHEAD]
            ready = self._prefetch(chunk)
            writes = self.writes
            for node_id in chunk:
                item = ready.pop(node_id, None) if ready else None
                if item is None or writes != self.writes or node_id in pending:
                    node = self.get_node(node_id)
                    if node is not None:
                        yield node
                    continue
                cached = cache.get(node_id)
                if cached is not None:
                    cache.move_to_end(node_id)
                    yield cached
                    continue
                node = self._read_prefetched(node_id, *item)
                cache[node_id] = node  # new, so already last: what _remember does
                if len(cache) > self.cache_size:
                    self._remember(node)
                yield node

    def _prefetch(self, chunk: list[str]) -> dict[str, tuple[str, bytes, etree._Element]]:
        """Bytes and compact trees of the chunk's files that ``get_node`` would read from disk.

        The ids come from :meth:`node_ids`, so they already passed the safe-name check.
        """
        wanted: list[tuple[str, str, bytes]] = []
        pending, cache = self._pending, self._cache
        prefix = self._file("")[:-4]
        budget = READ_AHEAD_BYTES  # a few huge files are read one by one, as get_node would
        for node_id in chunk:
            if node_id in pending or node_id in cache or ".." in node_id:
                continue
            path = f"{prefix}{node_id}.xml"
            try:
                data = read_file(path)
            except (OSError, FormatError):
                continue  # get_node will meet (and report) the same problem when it gets there
            wanted.append((node_id, path, data))
            budget -= len(data)
            if budget < 0:
                break
        if len(wanted) < 2:
            return {}
        trees = parse_compact_many([data for _, _, data in wanted])
        return {
            node_id: (path, data, tree)
            for (node_id, path, data), tree in zip(wanted, trees, strict=True)
            if tree is not None
        }

    def _remember(self, node: FlowNode) -> None:
        cache = self._cache
        cache[node.id] = node
        cache.move_to_end(node.id)
        while len(cache) > self.cache_size:
            old_id, _ = cache.popitem(last=False)
            self._originals.pop(old_id, None)

    def store_node(self, node: FlowNode, *, delay: bool = False, original: Original | None = None) -> None:
        """Store a node; ``original`` (from another XML storage) lets unchanged text be reused."""
        check_node_id(node.id, f"{self.directory}: ")
        if original is not None:
            self._pending_originals[node.id] = original
        self._pending[node.id] = node
        self._remember(node)
        if self._ids is not None:
            self._ids.add(node.id)
        else:
            self._disk_ids().add(node.id)
        if not delay:
            self.flush_node(node)

    def _write(self, node: FlowNode) -> None:
        original = self._pending_originals.pop(node.id, None) or self._originals.get(node.id)
        path = self._path(node.id)
        if original is not None and original.unchanged(node) and isinstance(original.text, _FileText):
            if original.text.file == str(path) or original.text.path == path:
                return  # the file on disk is already exactly this node
        fmt = self.format
        atomic = self.durability.atomic_writes
        text = decl_line(fmt.xml_version, not atomic) + encode_tag(node, fmt, depth=0, original=original)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            write_bytes(path, text.encode("utf-8"), atomic=atomic)
        except OSError as exc:
            raise StorageError(f"{path}: cannot write node {node.id}: {exc}", path=str(path), node_id=node.id) from exc
        self.writes += 1
        self._originals[node.id] = Original(node, _FileText(str(path)))

    def flush(self) -> None:
        for node_id in sorted(self._pending, key=node_sort_key):
            self._write(self._pending[node_id])
        self._pending.clear()

    def flush_node(self, node: FlowNode) -> None:
        pending = self._pending.pop(node.id, None)
        if pending is not None:
            self._write(pending)

    def is_persisted_fully(self) -> bool:
        return not self._pending

    def node_ids(self) -> Iterator[str]:
        return iter(sort_node_ids(self._disk_ids() | self._pending.keys()))

    def __len__(self) -> int:
        return len(self._disk_ids() | set(self._pending))

    def __contains__(self, node_id: object) -> bool:
        if not isinstance(node_id, str):
            return False
        return node_id in self._pending or node_id in self._disk_ids()

    def __repr__(self) -> str:
        return f"XmlDirNodeStorage({str(self.directory)!r}, {self.durability.name})"


class _FileText:
    """Lazily reads a node file's text after the declaration (its ``Tag`` element, depth 0)."""

    __slots__ = ("file",)

    def __init__(self, file: str) -> None:
        self.file = file

    @property
    def path(self) -> Path:
        return Path(self.file)

    def __call__(self) -> tuple[str, int]:
        try:
            text = read_file(self.file).decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise FormatError(f"{self.path}: cannot re-read original text: {exc}", path=str(self.path)) from exc
        if text.startswith("<?xml"):
            text = text.split("\n", 1)[1] if "\n" in text else ""
        return text, 0
