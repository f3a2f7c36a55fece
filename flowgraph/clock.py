"""The one clock of flowgraph: epoch milliseconds, from the system or held still for tests.

Every timestamp flowgraph writes (records, node timings, leases, SQL rows) comes from
:func:`system_clock` unless a caller passes another :data:`Clock`.

Examples
--------
>>> clock = ManualClock(1_000)
>>> clock(), clock.advance(250), clock()
(1000, 1250, 1250)
>>> system_clock() > 1_600_000_000_000
True
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["Clock", "FixedClock", "ManualClock", "system_clock"]

Clock = Callable[[], int]
"""A function returning the current time in epoch milliseconds."""


def system_clock() -> int:
    """Wall-clock time in epoch milliseconds."""
    return time.time_ns() // 1_000_000


class FixedClock:
    """A clock stopped at one instant (for deterministic analysis of running runs)."""

    __slots__ = ("ms",)

    def __init__(self, ms: int) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms

    def __repr__(self) -> str:
        return f"FixedClock({self.ms})"


class ManualClock(FixedClock):
    """A clock that moves only when told to (:meth:`advance`)."""

    __slots__ = ()

    def advance(self, ms: int) -> int:
        self.ms += ms
        return self.ms

    def __repr__(self) -> str:
        return f"ManualClock({self.ms})"
