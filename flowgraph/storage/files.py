"""Reading and writing whole files the way the node storages need: few system calls, Jenkins' durability.

Examples
--------
>>> import tempfile
>>> name = Path(tempfile.mkdtemp()) / "a.xml"
>>> write_bytes(name, b"<a/>", atomic=True)
>>> read_file(str(name))
b'<a/>'
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["read_file", "write_bytes"]

_READ_CHUNK = 1 << 16
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def read_file(path: str) -> bytes:
    """A whole (small) file's bytes with the fewest system calls: open, read to the end, close.

    ``Path.read_bytes`` builds a buffered reader and asks the size first, which costs more
    than the read itself for the few-kB files of a per-node directory. Raises ``OSError``.

    Examples
    --------
    >>> import tempfile
    >>> name = os.path.join(tempfile.mkdtemp(), "a")
    >>> Path(name).write_bytes(b"x" * 100_000)
    100000
    >>> len(read_file(name))
    100000
    """
    fd = os.open(path, _OPEN_FLAGS)
    try:
        chunk = os.read(fd, _READ_CHUNK)
        if not chunk:
            return chunk
        parts = [chunk]
        while chunk:  # short reads are allowed by POSIX: read until the end of the file
            chunk = os.read(fd, _READ_CHUNK)
            parts.append(chunk)
        return parts[0] if len(parts) == 2 else b"".join(parts)
    finally:
        os.close(fd)


def write_bytes(path: Path, data: bytes, *, atomic: bool) -> None:
    """Write a file the way Jenkins does for the given durability.

    Atomic: a temporary file in the same directory, fsync, rename over the target, fsync the
    directory (so the rename itself survives a power cut). Otherwise a plain truncate-and-write.
    """
    if not atomic:
        with open(path, "wb") as handle:
            handle.write(data)
        return
    fd, tmp = tempfile.mkstemp(prefix="atomic", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:  # pragma: no cover - directories cannot be opened on some platforms
        return
    try:
        os.fsync(dir_fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(dir_fd)
