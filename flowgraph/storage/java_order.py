"""The order a ``java.util.HashMap`` of string keys iterates in, for writing ``<map>`` bulk stores.

Older workflow-support (e.g. 865.x) kept a run's nodes in a plain ``HashMap`` and XStream wrote
it as ``<map>`` in the map's iteration order: by hash bucket, and within a bucket by insertion.
A store read from disk keeps the order it was read in; this module only orders a store that
gained or lost nodes. Real files show the nodes were put newest first (a walk back from the
head): a run with nodes 2..22 starts ``22, 11, 12, …`` ("11" and "22" share bucket 0).

Examples
--------
>>> java_string_hash("2"), java_string_hash("22")
(50, 1600)
>>> hashmap_order([str(i) for i in range(22, 1, -1)])[:3]
['22', '11', '12']
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["java_string_hash", "hashmap_order"]

_DEFAULT_CAPACITY = 16
_LOAD_FACTOR = 0.75


def java_string_hash(text: str) -> int:
    """``String.hashCode()``: ``s[0]*31^(n-1) + … + s[n-1]`` over UTF-16 units, as a signed 32-bit int."""
    value = 0
    data = text.encode("utf-16-be")
    for index in range(0, len(data), 2):
        value = (31 * value + (data[index] << 8 | data[index + 1])) & 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def _capacity(size: int) -> int:
    """The table size a HashMap grown by ``size`` puts ends with (it doubles past 3/4 full)."""
    capacity = _DEFAULT_CAPACITY
    while size > capacity * _LOAD_FACTOR:
        capacity *= 2
    return capacity


def hashmap_order(keys: Sequence[str]) -> list[str]:
    """``keys`` in the order a ``HashMap`` they were ``put`` into (in this order) iterates them.

    The bucket is ``(h ^ h >>> 16) & (capacity - 1)``; a resize splits buckets without
    reordering them, so keys of one bucket keep their insertion order.
    """
    mask = _capacity(len(keys)) - 1
    buckets: list[tuple[int, int, str]] = []
    for index, key in enumerate(keys):
        h = java_string_hash(key) & 0xFFFFFFFF
        buckets.append(((h ^ (h >> 16)) & mask, index, key))
    buckets.sort()
    return [key for _, _, key in buckets]
