"""Per-node and bulk XML storages: format details, write cache, durability, safety, big graphs."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowgraph import (
    ArgumentsAction,
    BulkXmlNodeStorage,
    Durability,
    FlowExecution,
    FlowNode,
    FormatError,
    GraphBuilder,
    LabelAction,
    MaskedValue,
    NodeKind,
    Result,
    TagsAction,
    TimingAction,
    WarningAction,
    XmlDirNodeStorage,
)
from flowgraph.codec.xstream import escape_text
from flowgraph.jenkins import load_run, save_run


def sample_run():  # type: ignore[no-untyped-def]
    b = GraphBuilder(start_ms=1_000, step_ms=5)
    with b.stage("Build"):
        b.step("sh", script="make 'all' && echo <done> \"ok\"")
    with b.parallel("a", "b") as par:
        with par.branch("a"):
            b.unstable("flaky")
        with par.branch("b"):
            b.step("echo", message="x")
    return b.build()


def test_per_node_files_use_jenkins_declarations_and_no_trailing_newline(tmp_path: Path) -> None:
    run = sample_run()
    atomic = XmlDirNodeStorage(tmp_path / "a")
    plain = XmlDirNodeStorage(tmp_path / "b", durability=Durability.SURVIVABLE_NONATOMIC)
    for node in run.graph:
        atomic.store_node(node)
        plain.store_node(node)
    first = (tmp_path / "a" / "2.xml").read_bytes()
    assert first.startswith(b"<?xml version='1.1' encoding='UTF-8'?>\n<Tag plugin=\"workflow-support@")
    assert (tmp_path / "b" / "2.xml").read_bytes().startswith(b'<?xml version="1.1" encoding="UTF-8"?>\n')
    assert not first.endswith(b"\n") and first.endswith(b"</Tag>")
    assert not list((tmp_path / "a").glob("*.tmp"))  # temporary files were renamed into place
    sh = (tmp_path / "a" / "5.xml").read_text()
    assert "make &apos;all&apos; &amp;&amp; echo &lt;done&gt; &quot;ok&quot;" in sh
    assert all(XmlDirNodeStorage(tmp_path / "a").get_node(n.id) == n for n in run.graph)


def test_write_cache_and_flush(tmp_path: Path) -> None:
    store = XmlDirNodeStorage(tmp_path)
    node = FlowNode("2", NodeKind.FLOW_START, actions=[TimingAction(1)])
    store.store_node(node, delay=True)
    assert not (tmp_path / "2.xml").exists() and not store.is_persisted_fully()
    assert store.get_node("2") is node and "2" in store and len(store) == 1
    store.flush()
    assert (tmp_path / "2.xml").exists() and store.is_persisted_fully()


def test_reads_are_lazy_and_the_cache_is_bounded(tmp_path: Path) -> None:
    run = sample_run()
    store = XmlDirNodeStorage(tmp_path)
    for node in run.graph:
        store.store_node(node)
    reader = XmlDirNodeStorage(tmp_path, cache_size=3)
    assert reader.reads == 0 and len(reader) == len(run.graph)
    reader.get_node("2")
    reader.get_node("2")
    assert reader.reads == 1
    for node_id in reader.node_ids():
        reader.get_node(node_id)
    assert len(reader._cache) <= 3
    reader.get_node("2")  # evicted: read again
    assert reader.reads >= len(run.graph) + 1


def test_unchanged_node_is_not_rewritten(tmp_path: Path) -> None:
    run = sample_run()
    store = XmlDirNodeStorage(tmp_path)
    for node in run.graph:
        store.store_node(node)
    again = XmlDirNodeStorage(tmp_path)
    node = again.get_node("5")
    again.store_node(node)
    assert again.writes == 0
    node.add_action(LabelAction("changed"))
    again.store_node(node)
    assert again.writes == 1 and XmlDirNodeStorage(tmp_path).get_node("5").label == "changed"


def test_bulk_file_layout(tmp_path: Path) -> None:
    store = BulkXmlNodeStorage(tmp_path / "flowNodeStore.xml")
    for node_id in ("10", "2", "9"):
        kind = NodeKind.FLOW_START if node_id == "2" else NodeKind.ATOM
        store.store_node(FlowNode(node_id, kind, () if node_id == "2" else ("2",), actions=[TimingAction(3)]))
    store.flush()
    data = (tmp_path / "flowNodeStore.xml").read_bytes()
    assert data.startswith(b'<?xml version="1.1" encoding="UTF-8"?>\n<linked-hash-map>\n  <entry>\n')
    assert data.endswith(b"</linked-hash-map>")
    assert [line.strip() for line in data.split(b"\n") if line.startswith(b"    <string>")] == [
        b"<string>2</string>", b"<string>9</string>", b"<string>10</string>",
    ]  # fmt: skip
    assert [n.id for n in BulkXmlNodeStorage(tmp_path / "flowNodeStore.xml").iter_nodes()] == ["2", "9", "10"]


def test_bulk_and_per_node_round_trip_a_builder_run(tmp_path: Path) -> None:
    run = sample_run()
    bulk = BulkXmlNodeStorage(tmp_path / "bulk.xml")
    for node in run.graph:
        bulk.store_node(node)
    bulk.flush()
    loaded = BulkXmlNodeStorage(tmp_path / "bulk.xml")
    assert list(loaded.iter_nodes()) == list(run.graph)
    assert loaded.get_node("6") is not None and loaded.get_node("nope") is None
    assert any(n.has_action(WarningAction) for n in loaded.iter_nodes())


texts = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(label=texts, value=texts, number=st.integers(-(2**63), 2**63 - 1), flag=st.booleans(), tag=texts)
def test_any_text_survives_both_storages(
    tmp_path: Path, label: str, value: str, number: int, flag: bool, tag: str
) -> None:
    node = FlowNode(
        "3",
        NodeKind.ATOM,
        ("2",),
        descriptor_id="org.jenkinsci.plugins.workflow.steps.EchoStep",
        actions=[
            LabelAction(label),
            ArgumentsAction({"message": value, "n": number, "f": flag, "s": MaskedValue.MASKED_VALUE, "z": None}),
            TagsAction({"STAGE_STATUS": tag}),
            WarningAction(Result.UNSTABLE, value),
        ],
    )
    per_node = XmlDirNodeStorage(tmp_path / "d", durability=Durability.SURVIVABLE_NONATOMIC)
    per_node.store_node(node)
    assert XmlDirNodeStorage(tmp_path / "d").get_node("3") == node
    bulk = BulkXmlNodeStorage(tmp_path / "b.xml")
    bulk.store_node(node)
    bulk.flush()
    assert BulkXmlNodeStorage(tmp_path / "b.xml").get_node("3") == node


def test_escaping_matches_xstream() -> None:
    assert (
        escape_text("<a href='x'>&\"\r\t\n\x1b\x85") == "&lt;a href=&apos;x&apos;&gt;&amp;&quot;&#xd;\t\n&#x1b;&#x85;"
    )


EVIL = {
    "xxe": b'<?xml version="1.0"?><!DOCTYPE Tag [<!ENTITY x SYSTEM "file:///etc/passwd">]><Tag>&x;</Tag>',
    "laughs": b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><Tag>&b;</Tag>',
    "dtd": b'<?xml version="1.0"?><!DOCTYPE Tag SYSTEM "http://example.invalid/x.dtd"><Tag/>',
}
BROKEN = {
    "empty": b"",
    "truncated": b"<?xml version='1.1' encoding='UTF-8'?>\n<Tag>\n  <node class=\"cps.n.StepAtomNode\">",
    "not-xml": b"\x89PNG\r\n\x1a\n",
    "wrong-root": b"<?xml version='1.1'?>\n<flow-build/>",
    "no-id": b"<Tag><node class='cps.n.StepAtomNode'><parentIds/></node></Tag>",
    "bad-class": b"<Tag><node class='java.lang.Object'><id>7</id></node></Tag>",
    "other-id": b"<Tag><node class='cps.n.StepAtomNode'><parentIds><string>2</string></parentIds>"
    b"<id>8</id></node></Tag>",
    "bad-number": b"<Tag><node class='cps.n.StepAtomNode'><parentIds><string>2</string></parentIds><id>7</id></node>"
    b"<actions><wf.a.TimingAction><startTime>soon</startTime></wf.a.TimingAction></actions></Tag>",
}


@pytest.mark.parametrize("name", sorted(EVIL) + sorted(BROKEN))
def test_bad_node_files_raise_format_error_naming_file_and_node(tmp_path: Path, name: str) -> None:
    (tmp_path / "7.xml").write_bytes({**EVIL, **BROKEN}[name])
    with pytest.raises(FormatError) as info:
        XmlDirNodeStorage(tmp_path).get_node("7")
    assert "7.xml" in str(info.value)
    if name in EVIL:
        assert "refused" in str(info.value)


def test_deep_nesting_round_trips_without_recursion(tmp_path: Path) -> None:
    depth = 1_500
    b = GraphBuilder(start_ms=0, step_ms=1)
    for index in range(depth):
        b.begin_block("dir", arguments={"path": f"d{index}"})
    b.step("echo", message="deep")
    for _ in range(depth):
        b.end_block()
    run = b.build()
    last = max(int(n.id) for n in run.graph)
    run.execution = FlowExecution(  # no fsync per file: this test is about depth, not durability
        heads={1: str(last)}, iota=last, done=True, durability=Durability.SURVIVABLE_NONATOMIC
    )
    save_run(run, tmp_path)
    loaded = load_run(tmp_path)
    assert len(loaded.graph) == len(run.graph)
    leaf = next(n for n in loaded.graph if n.function_name == "echo")
    assert len(loaded.graph.all_enclosing_ids(leaf)) == 2 * depth + 1
    storage = loaded.graph.storage
    assert isinstance(storage, XmlDirNodeStorage)
    assert storage.reads <= 2 * len(run.graph)  # validate() reads each file about once: linear


def test_deep_nesting_in_a_bulk_file(tmp_path: Path) -> None:
    depth = 10_000
    b = GraphBuilder(start_ms=0, step_ms=1)
    for _ in range(depth):
        b.begin_block("timeout", arguments={"time": 1})
    for _ in range(depth):
        b.end_block()
    run = b.build()
    store = BulkXmlNodeStorage(tmp_path / "flowNodeStore.xml")
    for node in run.graph:
        store.store_node(node)
    store.flush()
    loaded = BulkXmlNodeStorage(tmp_path / "flowNodeStore.xml")
    assert len(loaded) == len(run.graph) == 4 * depth + 2
    assert loaded.reads == 1
