"""Who owns a run: the lease a recorder or a resume takes before writing anything.

A run has one owner at a time. The owner is a process, named by host and pid (plus a random
token, so that two stores opened by one process are still two owners). A lease is taken over
only when its owner is *provably* gone: it ran on this host and its process no longer exists.
An owner on another host is never presumed dead.

Examples
--------
>>> me = LeaseOwner.mine()
>>> me.is_gone(), LeaseOwner.from_json(me.to_json()) == me
(False, True)
>>> LeaseOwner(me.host, 2**22 + 12345, "t", 0).is_gone()   # no such process here
True
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from dataclasses import dataclass

from flowgraph.clock import system_clock
from flowgraph.errors import FormatError

__all__ = ["LeaseOwner", "process_is_gone"]


def process_is_gone(pid: int) -> bool:
    """True when no live process has this pid on this host (a zombie counts as gone)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, owned by another user
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            state = handle.read().rsplit(b")", 1)[-1].split()[:1]
    except OSError:
        return False
    return state == [b"Z"]


@dataclass(frozen=True, slots=True)
class LeaseOwner:
    """One owner of a run: ``host``, ``pid``, a per-lease ``token`` and when it took the lease."""

    host: str
    pid: int
    token: str
    since_ms: int

    @classmethod
    def mine(cls) -> LeaseOwner:
        """A fresh owner for this process."""
        return cls(socket.gethostname(), os.getpid(), uuid.uuid4().hex, system_clock())

    def is_gone(self) -> bool:
        """True only when the owner ran on this host and its process is dead."""
        return self.host == socket.gethostname() and process_is_gone(self.pid)

    def describe(self) -> str:
        """What an error message says about the owner: ``pid 42 on host build-1``."""
        return f"pid {self.pid} on host {self.host}"

    def to_json(self) -> str:
        return json.dumps({"host": self.host, "pid": self.pid, "token": self.token, "since_ms": self.since_ms})

    @classmethod
    def from_json(cls, text: str, *, where: str = "lease") -> LeaseOwner:
        """Read an owner back; a damaged record is a :class:`~flowgraph.errors.FormatError`."""
        try:
            data = json.loads(text)
            return cls(str(data["host"]), int(data["pid"]), str(data["token"]), int(data["since_ms"]))
        except (ValueError, TypeError, KeyError, RecursionError) as exc:
            raise FormatError(f"{where}: unreadable lease owner {text[:80]!r} ({exc})", path=where) from exc
