"""The one way flowgraph pauses the cyclic garbage collector: :func:`gc_paused`.

Bulk reads (a bulk XML file, every node of a SQL run) build tens of thousands of small objects
that all stay alive; the collections those allocations trigger find nothing to free yet walk
every live object each time.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["gc_paused"]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Hold the cyclic garbage collector while one call builds a run's worth of nodes.

    Decoding creates tens of thousands of small objects and no reference cycles, so the
    collections those allocations trigger find nothing, yet walk every live object each time
    (about a tenth of a bulk load). The collector is switched back on afterwards, if it was on.

    Examples
    --------
    >>> with gc_paused():
    ...     gc.isenabled()
    False
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
