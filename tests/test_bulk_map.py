"""Bulk stores written as a plain ``<map>`` (older workflow-support's HashMap, entries in hash order).

The ``<map>`` files here are made by the tests themselves from real ``<linked-hash-map>`` files:
entries are moved into ``java.util.HashMap`` order (computed here from ``String.hashCode`` as the
JDK documents it) and XStream's positional ``entry[N]`` references are renumbered to follow.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from programs import build_program, programs

from flowgraph import BulkXmlNodeStorage, FlowNode, NodeKind, XmlDirNodeStorage, load
from flowgraph.jenkins import load_run, save_run
from flowgraph.storage.java_order import hashmap_order, java_string_hash

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DANISH = SHARED / "fixtures" / "jenkins" / "danish-completed-timeout" / "jobs" / "pipeline" / "builds"
_ENTRY = re.compile(rb"\n  <entry>\n    <string>([^<]*)</string>\n[\s\S]*?\n  </entry>")
_REF = re.compile(rb"entry\[(\d+)\]")


def as_map(data: bytes, order: list[str]) -> bytes:
    """A ``<linked-hash-map>`` store's bytes rewritten as a ``<map>`` with entries in ``order``."""
    entries = {m.group(1).decode(): m.group(0) for m in _ENTRY.finditer(data)}
    old_position = {node_id: index + 1 for index, node_id in enumerate(entries)}  # XPath counts from 1
    new_position = {node_id: index + 1 for index, node_id in enumerate(order)}
    renumber = {old_position[i]: new_position[i] for i in entries}
    assert sorted(order) == sorted(entries)
    head = data[: data.index(b"<linked-hash-map>")]
    body = b"".join(_REF.sub(lambda m: b"entry[%d]" % renumber[int(m.group(1))], entries[node_id]) for node_id in order)
    return head + b"<map>" + body + b"\n</map>"


def java_hashmap_order(keys: list[str]) -> list[str]:
    """Iteration order of a HashMap filled with ``keys`` in this order (JDK 8+: bucket, then insertion)."""

    def string_hash(s: str) -> int:  # String.hashCode for these ASCII ids: s[0]*31^(n-1) + ... + s[n-1]
        return sum(ord(c) * 31 ** (len(s) - 1 - i) for i, c in enumerate(s)) % 2**32

    capacity = 16
    while len(keys) > capacity * 3 // 4:
        capacity *= 2
    spread = [(h ^ (h >> 16)) & (capacity - 1) for h in map(string_hash, keys)]
    return [k for _, _, k in sorted(zip(spread, range(len(keys)), keys, strict=True))]


def test_java_string_hash_matches_the_jdk() -> None:
    # values of String.hashCode() from the JDK: "2" is '2' = 50; the last one wraps to Integer.MIN_VALUE
    assert java_string_hash("2") == 50 and java_string_hash("22") == 50 * 31 + 50
    assert java_string_hash("hello") == 99162322
    assert java_string_hash("polygenelubricants") == -(2**31)
    ids = [str(i) for i in range(2, 30)]
    assert hashmap_order(ids) == java_hashmap_order(ids)
    # 28 keys need a 64-bucket table: "22" (1600) lands in bucket 0, "10" (1567) in 31, "2" (50) in 50
    assert hashmap_order(ids)[:2] == ["22", "23"] and hashmap_order(ids).index("10") < hashmap_order(ids).index("2")
    # 21 keys fit 32 buckets: "11" (1568) and "22" (1600) share bucket 0, in insertion order
    assert hashmap_order([str(i) for i in range(2, 23)])[:3] == ["11", "22", "12"]


def test_danish_run_as_a_map_store_loads_the_same_and_writes_back_byte_for_byte(tmp_path: Path) -> None:
    source = DANISH / "3"
    original = load_run(source)
    copy = tmp_path / "jobs" / "pipeline" / "builds" / "3"
    shutil.copytree(source, copy)
    store = copy / "workflow-completed" / "flowNodeStore.xml"
    data = store.read_bytes()
    ids = [m.group(1).decode() for m in _ENTRY.finditer(data)]
    assert ids == [str(i) for i in range(2, 23)]  # 21 top-level entries, ids 2..22
    order = java_hashmap_order(ids[::-1])  # Jenkins puts them newest first (a walk back from the head)
    assert order[:3] == ["22", "11", "12"]  # the order the issue saw in a real 865.x <map> file
    map_bytes = as_map(data, order)
    store.write_bytes(map_bytes)

    run = load_run(copy)
    assert list(run.graph) == list(original.graph)
    assert run.graph.head_ids == original.graph.head_ids == ("22",)  # build.xml: <head>1:22</head>
    assert run.result == original.result
    # the retry's end refers to entry[8] (node 9's ErrorAction): the renumbered reference still resolves
    assert run.graph.node("10").error is not None and run.graph.node("10").error == original.graph.node("10").error
    assert run.graph.node("10").function_name == "retry"  # a StepEndNode's step is its start's
    assert len(load(store).graph) == 21  # a bare <map> file is recognised too
    fast = BulkXmlNodeStorage(store)._decode_fast(map_bytes, "map")
    assert fast is not None and list(fast.items()) == list(
        BulkXmlNodeStorage(store)._decode_general(map_bytes, "map").items()
    )

    again = tmp_path / "again"
    save_run(run, again)
    assert (again / "workflow-completed" / "flowNodeStore.xml").read_bytes() == map_bytes
    assert (again / "build.xml").read_bytes() == (source / "build.xml").read_bytes()


def test_a_map_store_that_gains_a_node_is_written_in_hash_order(tmp_path: Path) -> None:
    data = (DANISH / "4" / "workflow-completed" / "flowNodeStore.xml").read_bytes()
    path = tmp_path / "flowNodeStore.xml"
    ids = [m.group(1).decode() for m in _ENTRY.finditer(data)]
    assert ids == [str(i) for i in range(2, 22)]
    path.write_bytes(as_map(data, java_hashmap_order(ids[::-1])))
    store = BulkXmlNodeStorage(path)
    store.store_node(FlowNode("22", NodeKind.ATOM, ("21",)))  # a hand-added node, to force a rewrite
    store.flush()
    written = path.read_bytes()
    assert written.startswith(b'<?xml version="1.1" encoding="UTF-8"?>\n<map>\n') and written.endswith(b"</map>")
    assert [m.group(1).decode() for m in _ENTRY.finditer(written)] == java_hashmap_order(["22", *ids[::-1]])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(program=programs, seed=st.randoms(use_true_random=False))
def test_per_node_linked_hash_map_and_shuffled_map_stores_load_the_same(program, seed, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    run = build_program(program, start_ms=1_000, step_ms=7)
    root = tmp_path_factory.mktemp("stores")
    per_node = XmlDirNodeStorage(root / "workflow")
    bulk = BulkXmlNodeStorage(root / "bulk" / "flowNodeStore.xml")
    for node in run.graph:
        per_node.store_node(node, delay=True)
        bulk.store_node(node, delay=True)
    per_node.flush()
    bulk.flush()
    data = bulk.path.read_bytes()
    ids = [m.group(1).decode() for m in _ENTRY.finditer(data)]
    shuffled = list(ids)
    seed.shuffle(shuffled)
    map_path = root / "map" / "flowNodeStore.xml"
    map_path.parent.mkdir()
    map_bytes = as_map(data, shuffled)
    map_path.write_bytes(map_bytes)

    # (compared with each other: XML keeps no QueueItemAction state, so not with the builder's objects)
    expected = list(XmlDirNodeStorage(root / "workflow").iter_nodes())
    assert [n.id for n in expected] == [n.id for n in run.graph]
    for storage in (BulkXmlNodeStorage(bulk.path), BulkXmlNodeStorage(map_path)):
        assert list(storage.iter_nodes()) == expected
        assert [n.actions for n in storage.iter_nodes()] == [n.actions for n in expected]
    # and the shuffled map is written back as it was read
    reread = BulkXmlNodeStorage(map_path)
    copy = BulkXmlNodeStorage(root / "copy.xml")
    copy.copy_layout(reread)
    for node in reread.iter_nodes():
        copy.store_node(node, delay=True, original=reread.original_of(node.id))
    copy.flush()
    assert copy.path.read_bytes() == map_bytes
