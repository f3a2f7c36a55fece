"""Console output of a run and of each node, streamed from Jenkins' log files.

Modern runs keep all output in one ``log`` file; ``log-index`` says which byte ranges belong to
which node (a line ``OFFSET ID`` starts a node's range, a line ``OFFSET`` alone starts run-level
output). Legacy runs kept one ``<id>.log`` per node. Jenkins hides serialized console notes in
the text as ``ESC[8mha:<base64>ESC[0m``; they are removed here, also when one straddles two
read chunks. Logs can be gigabytes, so everything is read in bounded chunks.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "log").write_bytes(b"Started\\n\\x1b[8mha:////AAAA\\x1b[0m[Pipeline] sh\\n+ make\\n")
>>> _ = (d / "log-index").write_bytes(b"8 3\\n")
>>> "".join(iter_node_log(d, "3"))
'[Pipeline] sh\\n+ make\\n'
>>> strip_console_notes(b"a\\x1b[8mha:xyz\\x1b[0mb")
b'ab'
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Iterator
from pathlib import Path

from flowgraph.errors import FormatError, StorageError
from flowgraph.node import FlowNode
from flowgraph.run import Run
from flowgraph.storage.files import open_regular

__all__ = [
    "LogIndex",
    "iter_node_log",
    "node_log",
    "log_text",
    "iter_log",
    "strip_console_notes",
    "node_ranges",
    "CHUNK_SIZE",
]

_NO_LIMIT = 1 << 62  # logs are streamed, never read whole: only the file type is checked

CHUNK_SIZE = 1 << 16
_NOTE_RE = re.compile(rb"\x1b\[8mha:[^\x1b]*\x1b\[0m")
_NOTE_START = b"\x1b[8mha:"
_MAX_NOTE = 1 << 20  # a console note longer than this is not one: pass the bytes through


def strip_console_notes(data: bytes) -> bytes:
    """Remove Jenkins' hidden console notes (``ESC[8mha:…ESC[0m``) from a complete byte string."""
    return _NOTE_RE.sub(b"", data)


def _strip_stream(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Strip notes from a byte stream, holding back a note that a chunk boundary cuts in two."""
    carry = b""
    for chunk in chunks:
        data = carry + chunk
        carry = b""
        cut = data.rfind(_NOTE_START)
        if cut != -1 and data.find(b"\x1b[0m", cut) == -1 and len(data) - cut < _MAX_NOTE:
            carry, data = data[cut:], data[:cut]
        else:
            for size in range(min(len(_NOTE_START) - 1, len(data)), 0, -1):
                if _NOTE_START.startswith(data[-size:]):
                    carry, data = data[-size:], data[:-size]
                    break
        if data:
            yield strip_console_notes(data)
    if carry:
        yield strip_console_notes(carry)


def _build_dir(run_or_dir: Run | str | os.PathLike[str]) -> Path:
    if isinstance(run_or_dir, Run):
        where = run_or_dir.metadata.get("build_dir")
        if where is None:
            raise StorageError("this run was not loaded from a Jenkins build directory; it has no log files")
        return Path(where)
    return Path(run_or_dir)


def node_ranges(build_dir: Path, node_id: str) -> Iterator[tuple[int, int | None]]:
    """Byte ranges ``[start, end)`` of ``log`` that belong to ``node_id`` (``end`` None: to EOF)."""
    for owner, start, end in _index_segments(build_dir / "log-index"):
        if owner == node_id:
            yield start, end


def _index_segments(index: Path) -> Iterator[tuple[str, int, int | None]]:
    """``(node id, start, end)`` for each owned stretch of ``log``, read from ``log-index`` once.

    Each line is ``OFFSET [NODE]``: from that offset on, the log belongs to NODE (or to no node).
    The file type is checked before reading (a FIFO must not hang); no index means no segments.
    """
    current: str | None = None
    start = 0
    try:
        handle = os.fdopen(open_regular(str(index), _NO_LIMIT), "rb")
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StorageError(f"{index}: cannot read: {exc}", path=str(index)) from exc
    with handle:
        for number, raw in enumerate(handle, 1):
            line = raw.strip()
            if not line:
                continue
            offset_text, _, owner = line.partition(b" ")
            try:
                offset = int(offset_text)
            except ValueError:
                raise FormatError(
                    f"{index}: line {number} is not 'OFFSET [NODE]': {line[:60]!r}", path=str(index)
                ) from None
            if current is not None and offset > start:
                yield current, start, offset
            current = owner.decode("utf-8", "replace") if owner else None
            start = offset
    if current is not None:
        yield current, start, None


def _read_ranges(path: Path, ranges: Iterator[tuple[int, int | None]], chunk: int) -> Iterator[bytes]:
    try:
        handle = os.fdopen(open_regular(str(path), _NO_LIMIT), "rb")
    except FileNotFoundError:
        return
    with handle:
        for start, end in ranges:
            handle.seek(start)
            remaining = None if end is None else end - start
            while remaining is None or remaining > 0:
                data = handle.read(chunk if remaining is None else min(chunk, remaining))
                if not data:
                    break
                if remaining is not None:
                    remaining -= len(data)
                yield data


def _decode(chunks: Iterator[bytes]) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    for chunk in chunks:
        text = decoder.decode(chunk)
        if text:
            yield text
    tail = decoder.decode(b"", final=True)
    if tail:
        yield tail


def iter_node_log(
    run_or_dir: Run | str | os.PathLike[str],
    node: FlowNode | str,
    *,
    chunk_size: int = CHUNK_SIZE,
    strip_notes: bool = True,
) -> Iterator[str]:
    """A node's console output as text chunks, read ``chunk_size`` bytes at a time.

    Uses ``log`` + ``log-index`` when the build has an index, else the legacy ``<id>.log``.
    """
    build_dir = _build_dir(run_or_dir)
    node_id = node if isinstance(node, str) else node.id
    if (build_dir / "log-index").exists():  # whatever it is: a FIFO or device there is refused, not skipped
        chunks = _read_ranges(build_dir / "log", node_ranges(build_dir, node_id), chunk_size)
    else:
        chunks = _read_ranges(build_dir / f"{node_id}.log", iter([(0, None)]), chunk_size)
    yield from _decode(_strip_stream(chunks) if strip_notes else chunks)


def node_log(run_or_dir: Run | str | os.PathLike[str], node: FlowNode | str) -> str:
    """A node's whole console output (use :func:`iter_node_log` for very large logs)."""
    return "".join(iter_node_log(run_or_dir, node))


def iter_log(run_or_dir: Run | str | os.PathLike[str], *, chunk_size: int = CHUNK_SIZE) -> Iterator[str]:
    """The run's whole console log, notes removed, in chunks."""
    build_dir = _build_dir(run_or_dir)
    chunks = _read_ranges(build_dir / "log", iter([(0, None)]), chunk_size)
    yield from _decode(_strip_stream(chunks))


def log_text(run_or_dir: Run | str | os.PathLike[str], node: FlowNode | str | None = None) -> str:
    """Convenience: the run's console text, or one node's when ``node`` is given."""
    if node is not None:
        return node_log(run_or_dir, node)
    return "".join(iter_log(run_or_dir))


class LogIndex:
    """Every node's byte ranges of a build's ``log``, from one read of ``log-index``.

    :func:`iter_node_log` reads ``log-index`` again for each node, which is right for one node
    but quadratic for all of them; a page showing every step's log reads the index once here.
    Legacy builds (no ``log-index``) read ``<id>.log`` per node.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "log").write_bytes(b"Started\\nhello\\nbye\\n")
    >>> _ = (d / "log-index").write_bytes(b"8 3\\n14\\n14 4\\n")
    >>> index = LogIndex(d)
    >>> "".join(index.iter_node("3")), "".join(index.iter_node("4")), "".join(index.iter_node("9"))
    ('hello\\n', 'bye\\n', '')
    """

    __slots__ = ("_build_dir", "_ranges")

    def __init__(self, run_or_dir: Run | str | os.PathLike[str]) -> None:
        self._build_dir = _build_dir(run_or_dir)
        self._ranges: dict[str, list[tuple[int, int | None]]] | None = None
        index = self._build_dir / "log-index"
        if index.is_file():
            self._ranges = _all_ranges(index)

    def iter_node(self, node_id: str, *, chunk_size: int = CHUNK_SIZE) -> Iterator[str]:
        """The node's output as text chunks, console notes removed ('' when it printed nothing)."""
        if self._ranges is None:
            chunks = _read_ranges(self._build_dir / f"{node_id}.log", iter([(0, None)]), chunk_size)
        else:
            chunks = _read_ranges(self._build_dir / "log", iter(self._ranges.get(node_id, ())), chunk_size)
        return _decode(_strip_stream(chunks))


def _all_ranges(index: Path) -> dict[str, list[tuple[int, int | None]]]:
    ranges: dict[str, list[tuple[int, int | None]]] = {}
    for owner, start, end in _index_segments(index):
        ranges.setdefault(owner, []).append((start, end))
    return ranges
