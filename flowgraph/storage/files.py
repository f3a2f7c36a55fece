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
import stat
import tempfile
from pathlib import Path
from typing import NoReturn

from flowgraph.errors import FormatError

__all__ = ["read_file", "write_bytes", "open_regular", "MAX_FILE_BYTES"]

MAX_FILE_BYTES = 512 * 1024 * 1024
"""The largest file read whole (a node file is a few kB, a bulk store of a huge run some 100 MB)."""

_READ_CHUNK = 1 << 16
_S_ISREG = stat.S_ISREG
# O_NONBLOCK: opening a FIFO for reading must not wait for a writer (it is refused right after).
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def open_regular(path: str, limit: int = MAX_FILE_BYTES) -> int:
    """Open ``path`` for reading, checking BEFORE any read that it is a regular file of at most ``limit`` bytes.

    Returns the file descriptor (the caller closes it). A FIFO is opened without waiting for a
    writer, then refused; so are directories, devices (``/dev/zero``) and files larger than
    ``limit`` (a sparse 3 GB file costs one ``fstat``). Refusals are :class:`FormatError` naming
    the file; a missing or unreadable file raises ``OSError`` as ``open`` does.

    Examples
    --------
    >>> open_regular("/dev/zero")
    Traceback (most recent call last):
    ...
    flowgraph.errors.FormatError: /dev/zero: is a character device, not a regular file; refusing to read it
    """
    fd = os.open(path, _OPEN_FLAGS)
    try:
        info = os.fstat(fd)
        if not _S_ISREG(info.st_mode) or info.st_size > limit:
            _refuse(path, info, limit)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _refuse(path: str, info: os.stat_result, limit: int) -> NoReturn:
    if not _S_ISREG(info.st_mode):
        raise FormatError(f"{path}: is {_kind(info.st_mode)}, not a regular file; refusing to read it", path=path)
    raise FormatError(f"{path}: {info.st_size} bytes is larger than the {limit}-byte limit", path=path)


def read_file(path: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """A whole file's bytes, at most ``limit`` of them, with the fewest system calls.

    The file type and size are checked before reading (see :func:`open_regular`) and the read
    stops past ``limit`` bytes (a file that grows while read is refused too), so no input makes
    it allocate more than ``limit``. ``Path.read_bytes`` builds a buffered reader and asks the
    size first, which costs more than the read itself for the few-kB files of a per-node
    directory. Raises ``OSError`` (missing, unreadable) or :class:`FormatError` (not a regular
    file, too large).

    Examples
    --------
    >>> import tempfile
    >>> name = os.path.join(tempfile.mkdtemp(), "a")
    >>> Path(name).write_bytes(b"x" * 100_000)
    100000
    >>> len(read_file(name))
    100000
    >>> read_file(name, limit=1000)
    Traceback (most recent call last):
    ...
    flowgraph.errors.FormatError: ...: 100000 bytes is larger than the 1000-byte limit
    """
    fd = os.open(path, _OPEN_FLAGS)
    try:
        info = os.fstat(fd)  # inlined open_regular: this is the per-node hot path
        if not _S_ISREG(info.st_mode) or info.st_size > limit:
            _refuse(path, info, limit)
        chunk = os.read(fd, _READ_CHUNK)
        if not chunk:
            return chunk
        parts = [chunk]
        total = len(chunk)
        while chunk:  # short reads are allowed by POSIX: read until the end of the file
            chunk = os.read(fd, _READ_CHUNK if total + _READ_CHUNK <= limit else limit + 1 - total)
            total += len(chunk)
            if total > limit:
                raise FormatError(f"{path}: grew past the {limit}-byte limit while being read", path=path)
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
        # O_NOFOLLOW: a symlink planted where a node file goes is refused, never written through.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o644)
        with os.fdopen(fd, "wb") as handle:
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
