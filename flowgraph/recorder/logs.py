"""Step output: :func:`log` inside a step, written to Jenkins' ``log`` + ``log-index`` files.

Jenkins keeps one console log per run and a ``log-index`` whose lines say which node the bytes
from an offset on belong to (``<offset> <node id>``; ``<offset>`` alone: no node). The recorder
writes the same two files, so a recorded run's output is read by the same code as a Jenkins
run's, and each step node carries a :class:`~flowgraph.actions.LogStorageAction` pointing there.

A step's output is buffered while it runs (steps of parallel branches run at once) and appended
as one block when it ends. Log files are written through to the OS, not fsynced: a killed
process loses none of it, and logs are not part of the resumable state.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> w = LogWriter(d)
>>> w.write("3", "hello\\n")
>>> (d / "log").read_text(), (d / "log-index").read_text()
('hello\\n', '0 3\\n6\\n')
"""

from __future__ import annotations

import contextvars
import os
import threading
from pathlib import Path

__all__ = ["LogWriter", "log", "capture"]

_BUFFER: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("flowgraph_step_log", default=None)


def log(*parts: object, sep: str = " ", end: str = "\n") -> None:
    """Write to the running step's log (like ``print``); outside a step it goes nowhere."""
    buffer = _BUFFER.get()
    if buffer is not None:
        buffer.append(sep.join(str(p) for p in parts) + end)


class capture:
    """Collect what :func:`log` writes while the block runs; ``text`` has it afterwards."""

    __slots__ = ("_buffer", "_token", "text")

    def __init__(self) -> None:
        self._buffer: list[str] = []
        self.text = ""

    def __enter__(self) -> capture:
        self._token = _BUFFER.set(self._buffer)
        return self

    def __exit__(self, *exc: object) -> None:
        _BUFFER.reset(self._token)
        self.text = "".join(self._buffer)


class LogWriter:
    """Appends node output to ``<directory>/log`` and its index to ``<directory>/log-index``."""

    __slots__ = ("_index", "_lock", "_log", "_offset", "directory")

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
        self._log = os.open(self.directory / "log", flags, 0o644)
        self._index = os.open(self.directory / "log-index", flags, 0o644)
        self._offset = os.fstat(self._log).st_size
        self._lock = threading.Lock()

    def write(self, node_id: str, text: str) -> None:
        """Append ``text`` as node ``node_id``'s output (nothing for empty text)."""
        if not text:
            return
        data = text.encode("utf-8")
        with self._lock:
            start = self._offset
            os.write(self._log, data)
            self._offset += len(data)
            os.write(self._index, f"{start} {node_id}\n{self._offset}\n".encode())

    def close(self) -> None:
        with self._lock:
            for fd in (self._log, self._index):
                try:
                    os.close(fd)
                except OSError:
                    pass
