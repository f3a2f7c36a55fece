"""The storages' fast load path gives exactly what the general decoder gives: same nodes, same errors.

The general path (``parse_xml`` + ``decode_tag``) is the reference; these tests feed both the
real fixtures, generated runs and damaged variants of them, and compare everything: node
equality (ids, kinds, links, descriptors, results, actions), action types and error messages.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
import re
import tempfile
from pathlib import Path
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from flowgraph import (
    ArgumentsAction,
    BodyInvocationAction,
    BulkXmlNodeStorage,
    ErrorAction,
    FlowGraphError,
    FlowNode,
    FormatError,
    GraphBuilder,
    LabelAction,
    LogFileAction,
    LogStorageAction,
    MaskedValue,
    NodeNotFoundError,
    NotExecutedNodeAction,
    ParallelLabelAction,
    PauseAction,
    QueueItemAction,
    QueueState,
    Result,
    StageAction,
    TagsAction,
    TimingAction,
    UnknownAction,
    WarningAction,
    WorkspaceAction,
    XmlDirNodeStorage,
)
from flowgraph.codec import fast_nodes
from flowgraph.codec.compact import parse_compact, parse_compact_many
from flowgraph.codec.names import XmlFormat
from flowgraph.codec.nodes_xml import SourceDoc, decode_tag, encode_tag
from flowgraph.codec.xstream import CompactMiss, parse_xml, text_of
from flowgraph.errors import GraphCycleError
from flowgraph.jenkins import load_run
from flowgraph.jenkins.bulk_load import load_runs, materialize
from flowgraph.jenkins.runs import iter_runs
from flowgraph.storage import xml_dir
from flowgraph.storage.xml_dir import node_sort_key, sort_node_ids

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "jenkins"

NODE_FILES = sorted(p for p in FIXTURES.rglob("workflow/*.xml") if p.name != "flowNodeStore.xml")
BULK_FILES = sorted(FIXTURES.rglob("flowNodeStore.xml"))


def general(data: bytes, path: str, node_id: str | None) -> FlowNode | str:
    """The reference decoder; an error becomes its type and message."""
    try:
        return decode_tag(SourceDoc(parse_xml(data, path), data), expected_id=node_id)
    except FlowGraphError as exc:
        return f"{type(exc).__name__}: {exc}"


def fast(data: bytes, path: str, node_id: str | None) -> FlowNode | str:
    try:
        return fast_nodes.decode_node_bytes(data, path, node_id)
    except FlowGraphError as exc:
        return f"{type(exc).__name__}: {exc}"


def same(a: FlowNode | str, b: FlowNode | str) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return a == b and [type(x) for x in a.actions] == [type(x) for x in b.actions]


@pytest.mark.parametrize("path", NODE_FILES, ids=lambda p: f"{p.parts[-6]}/{p.name}")
def test_every_fixture_node_file_decodes_as_the_general_decoder_does(path: Path) -> None:
    data = path.read_bytes()
    node_id = path.name[:-4]
    reference = general(data, str(path), node_id)
    assert same(fast(data, str(path), node_id), reference)


def test_fixtures_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real Jenkins files need no fallback (only the hand-edited file with a comment does)."""
    fallbacks: list[str] = []

    def counting(doc: SourceDoc, *args: object, **kwargs: object) -> FlowNode:
        fallbacks.append(doc.path)
        return decode_tag(doc, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(fast_nodes, "decode_tag", counting)
    general_bulk = BulkXmlNodeStorage._decode_general
    monkeypatch.setattr(
        BulkXmlNodeStorage,
        "_decode_general",
        lambda self, data, where: fallbacks.append(where) or general_bulk(self, data, where),  # type: ignore[func-returns-value]
    )
    for ref in iter_runs(FIXTURES):
        if "corrupt-cycle" in str(ref.build_dir):
            continue
        for node in load_run(ref.build_dir).graph:
            _ = node.actions
    assert fallbacks == []


@pytest.mark.parametrize("path", BULK_FILES, ids=lambda p: p.parts[-6])
def test_bulk_fixture_decodes_as_the_general_decoder_does(path: Path) -> None:
    data = path.read_bytes()
    fast_nodes_ = BulkXmlNodeStorage(path)._decode_fast(data, str(path))
    general_nodes = BulkXmlNodeStorage(path)._decode_general(data, str(path))
    assert fast_nodes_ is not None
    assert list(fast_nodes_.items()) == list(general_nodes.items())


def builder_run():  # type: ignore[no-untyped-def]
    b = GraphBuilder(start_ms=1_000, step_ms=3)
    with b.stage("Build"):
        b.step("sh", script="make  'all'\n  && echo <ok> ]]> &amp;")
        b.step("echo", message="   ")
        b.step("echo", message="")
    with b.stage("Skipped", skipped="SKIPPED_FOR_CONDITIONAL"):
        pass
    with b.node("linux"):
        b.step("sh", script="x", returnStdout=True, count=3, token=MaskedValue.MASKED_VALUE)
    with b.parallel("a", "b") as par:
        with par.branch("a"):
            b.unstable("flaky")
        with par.branch("b"):
            b.begin_block("timeout", arguments={"time": 5, "unit": "MINUTES"})
            b.step("echo", message="in time")
            b.end_block()
    with b.try_catch():
        b.fail("boom")
    b.input("Go?", answered_after_ms=5)
    return b.build()


def tag_texts() -> list[tuple[str, bytes]]:
    run = builder_run()
    texts = [(n.id, encode_tag(n, XmlFormat(), depth=0).encode()) for n in run.graph]
    texts += [(p.name[:-4], p.read_bytes()) for p in NODE_FILES[::7]]
    return texts


TAGS = tag_texts()
_BOUNDARY = re.compile(rb">\s*<")
MUTATIONS = ["dup", "drop", "move", "attr", "kid", "text", "comment", "pi", "cdata"]


@st.composite
def damaged_tag(draw: st.DrawFn) -> tuple[str, bytes]:
    """A node file with one to three changes to its element tree, anywhere in it."""
    node_id, data = draw(st.sampled_from(TAGS))
    root = etree.fromstring(data)
    for _ in range(draw(st.integers(1, 3))):
        element = draw(st.sampled_from(list(root.iter(etree.Element))))
        parent = element.getparent()
        how = draw(st.sampled_from(MUTATIONS))
        if how == "dup" and parent is not None:
            element.addnext(copy.deepcopy(element))
        elif how == "drop" and parent is not None:
            parent.remove(element)
        elif how == "move" and parent is not None:
            parent.remove(element)
            parent.insert(draw(st.integers(0, len(parent))), element)
        elif how == "attr":
            element.set(*draw(st.sampled_from([("reference", "../x"), ("class", "list"), ("plugin", "p@1")])))
        elif how == "kid":
            element.append(etree.Element("x"))
        elif how == "text":
            element.text = draw(st.sampled_from([None, "", "  ", "\n    ", "5", " 7 ", "x"]))
        elif how == "comment":
            element.addprevious(etree.Comment(" c "))
        elif how == "pi":
            element.append(etree.PI("pi", "x"))
        elif how == "cdata" and not len(element):
            element.text = etree.CDATA(" x ")
    return node_id, etree.tostring(root)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged_tag())
def test_damaged_node_files_give_the_same_node_or_the_same_error(case: tuple[str, bytes]) -> None:
    node_id, data = case
    assert same(fast(data, "n.xml", node_id), general(data, "n.xml", node_id))


BASE = """<?xml version='1.1' encoding='UTF-8'?>
<Tag plugin="workflow-support@1015.v785e5a_b_b_8b_22">
  <node class="cps.n.StepAtomNode" plugin="workflow-cps@4259.vf653c2b_8a_b_69">
    <parentIds>
      <string>4</string>
    </parentIds>
    <id>5</id>
    <descriptorId>org.jenkinsci.plugins.workflow.steps.durable_task.ShellStep</descriptorId>
  </node>
  <actions>
    <cps.a.ArgumentsActionImpl plugin="workflow-cps@4259.vf653c2b_8a_b_69">
      <arguments>
        <entry>
          <string>script</string>
          <string>make</string>
        </entry>
      </arguments>
      <sensitiveVariables/>
      <isUnmodifiedBySanitization>true</isUnmodifiedBySanitization>
    </cps.a.ArgumentsActionImpl>
    <wf.a.TimingAction plugin="workflow-api@1398.v67030756d3fb_">
      <startTime>1700000000014</startTime>
    </wf.a.TimingAction>
    <wf.a.LabelAction plugin="workflow-api@1398.v67030756d3fb_">
      <displayName>Build</displayName>
    </wf.a.LabelAction>
    <s.a.LogStorageAction/>
  </actions>
</Tag>"""
ARGS = BASE[BASE.index("<arguments>") : BASE.index("</arguments>") + len("</arguments>")]
VARIANTS = {
    "as written": [],
    "reference on a value": [("<string>make</string>", '<string reference="../string">make</string>')],
    "class on a value": [("<string>make</string>", '<string class="string">make</string>')],
    "other attribute on a value": [("<string>make</string>", '<string plugin="x@1">make</string>')],
    "child in a value": [("<string>make</string>", "<string>make<x/></string>")],
    "blank and child in a value": [("<string>make</string>", "<string>\n  <x/>\n</string>")],
    "child in a key": [("<string>script</string>", "<string>\n <x/></string>")],
    "long value": [("<string>make</string>", "<long>5</long>")],
    "null value": [("<string>make</string>", "<null/>")],
    "empty value": [("<string>make</string>", "<string/>")],
    "entry of three": [("<string>make</string>", "<string>make</string><string>more</string>")],
    "two arguments": [(ARGS, ARGS + ARGS.replace("make", "other"))],
    "two flags": [
        (
            "<isUnmodifiedBySanitization>true</isUnmodifiedBySanitization>",
            "<isUnmodifiedBySanitization>true</isUnmodifiedBySanitization>"
            "<isUnmodifiedBySanitization>false</isUnmodifiedBySanitization>",
        ),
    ],
    "flag with child": [("<isUnmodifiedBySanitization>true", "<isUnmodifiedBySanitization><x/>true")],
    "two sensitive lists": [
        ("<sensitiveVariables/>", "<sensitiveVariables/><sensitiveVariables><string>a</string></sensitiveVariables>")
    ],
    "sensitive with other": [
        ("<sensitiveVariables/>", "<sensitiveVariables><string>a</string><x>b</x></sensitiveVariables>")
    ],
    "sensitive with child": [
        ("<sensitiveVariables/>", "<sensitiveVariables><string>\n<x/></string></sensitiveVariables>")
    ],
    "two ids": [("<id>5</id>", "<id>5</id><id>6</id>")],
    "spaced id": [("<id>5</id>", "<id> 5 </id>")],
    "id with child": [("<id>5</id>", "<id>\n  <x/>\n</id>")],
    "two descriptors": [("</descriptorId>", "</descriptorId><descriptorId>b</descriptorId>")],
    "two start ids": [
        ("cps.n.StepAtomNode", "cps.n.StepEndNode"),
        ("<id>5</id>", "<id>5</id><startId>3</startId><startId>4</startId>"),
    ],
    "two ids, the last one right": [("<id>5</id>", "<id>6</id><id>5</id>")],
    "two parent lists": [("</parentIds>", "</parentIds><parentIds><string>3</string></parentIds>")],
    "parent not a string": [("<string>4</string>", "<long>4</long>")],
    "parent with child": [("<string>4</string>", "<string>\n<x/></string>")],
    "no parents": [("<parentIds>\n      <string>4</string>\n    </parentIds>", "<parentIds/>")],
    "unknown node child": [("<id>5</id>", "<id>5</id><extra/>")],
    "start id on an atom": [("<id>5</id>", "<id>5</id><startId>3</startId>")],
    "result on an atom": [("<id>5</id>", "<id>5</id><result>SUCCESS</result>")],
    "unknown node class": [("cps.n.StepAtomNode", "cps.n.Mystery")],
    "end without start": [("cps.n.StepAtomNode", "cps.n.StepEndNode")],
    "flow start with parents": [("cps.n.StepAtomNode", "org.jenkinsci.plugins.workflow.graph.FlowStartNode")],
    "actions first": [
        ("<Tag plugin", "<Tag plugin"),
        ("</actions>\n</Tag>", "</actions>\n<node class='cps.n.StepAtomNode'><id>5</id></node></Tag>"),
    ],
    "empty actions": [(BASE[BASE.index("<actions>") : BASE.index("</Tag>")], "<actions/>\n")],
    "no actions": [(BASE[BASE.index("<actions>") : BASE.index("</Tag>")], "")],
    "timing renamed": [("<startTime>1700000000014</startTime>", "<endTime>1700000000014</endTime>")],
    "timing spaced": [("<startTime>1700000000014", "<startTime> 1700000000014 ")],
    "timing underscored": [("<startTime>1700000000014", "<startTime>1_700")],
    "timing not a number": [("<startTime>1700000000014", "<startTime>soon")],
    "timing empty": [("<startTime>1700000000014</startTime>", "<startTime/>")],
    "timing twice": [("</startTime>", "</startTime><startTime>3</startTime>")],
    "label empty": [("<displayName>Build</displayName>", "")],
    "label renamed": [("<displayName>Build</displayName>", "<name>Build</name>")],
    "label with child": [("<displayName>Build</displayName>", "<displayName>\n<x/></displayName>")],
    "comment among actions": [("<s.a.LogStorageAction/>", "<!-- c --><s.a.LogStorageAction/>")],
    "pi in a value": [("<string>make</string>", "<string> <?pi x?></string>")],
    "cdata in a value": [("<string>make</string>", "<string> <![CDATA[make]]></string>")],
    "unknown action": [
        ("<s.a.LogStorageAction/>", "<s.a.LogStorageAction/><org.example.Thing><a>1</a></org.example.Thing>")
    ],
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_unusual_shapes_give_the_same_node_or_the_same_error(name: str) -> None:
    text = BASE
    for old, new in VARIANTS[name]:
        assert old in text, name
        text = text.replace(old, new, 1)
    data = text.encode()
    reference = general(data, "5.xml", "5")
    assert same(fast(data, "5.xml", "5"), reference)
    entry = (
        b"<linked-hash-map>\n  <entry>\n    <string>5</string>\n"
        + data.split(b"\n", 1)[1]
        + b"\n  </entry>\n</linked-hash-map>"
    )
    storage = BulkXmlNodeStorage("unused.xml")
    try:
        fast_bulk: object = storage._decode_fast(entry, "bulk.xml")
    except FlowGraphError as exc:
        fast_bulk = str(exc)
    try:
        general_bulk: object = list(BulkXmlNodeStorage("unused.xml")._decode_general(entry, "bulk.xml").items())
    except FlowGraphError as exc:
        general_bulk = str(exc)
    if fast_bulk is not None:
        assert list(fast_bulk.items()) == general_bulk if isinstance(fast_bulk, dict) else fast_bulk == general_bulk


def bulk_text() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "flowNodeStore.xml"
        store = BulkXmlNodeStorage(path)
        for node in builder_run().graph:
            store.store_node(node)
        store.flush()
        return path.read_bytes()


BULK_TEXT = bulk_text()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_damaged_bulk_files_give_the_same_nodes_or_the_same_error(tmp_path: Path, data: st.DataObject) -> None:
    path = tmp_path / "flowNodeStore.xml"
    text = BULK_TEXT
    for _ in range(data.draw(st.integers(1, 3))):
        spots = [m.start() + 1 for m in _BOUNDARY.finditer(text)]
        at = data.draw(st.sampled_from(spots))
        insert = data.draw(st.sampled_from([b"\n ", b"<x/>", b"<!-- c -->", b"<entry/>", b"z"]))
        text = text[:at] + insert + text[at:]

    def outcome(use_fast: bool) -> object:
        storage = BulkXmlNodeStorage(path)
        if not use_fast:
            storage._decode_fast = lambda data, where: None  # type: ignore[method-assign]
        try:
            return [(n, [type(a) for a in n.actions]) for n in storage.iter_nodes()]
        except FlowGraphError as exc:
            return f"{type(exc).__name__}: {exc}"

    path.write_bytes(text)
    assert outcome(True) == outcome(False)


# -- compact trees -----------------------------------------------------------------------

FRAGMENTS = [
    b"<a>",
    b"</a>",
    b"<b/>",
    b"<c k='v'>t</c>",
    b"x",
    b" ",
    b"\n",
    b"<?xml version='1.1' encoding='UTF-8'?>",
    b"<?xml version='1.0' encoding='ISO-8859-1'?>",
    b"<!-- c -->",
    b"<?pi?>",
    b"&amp;",
    b"&#x1b;",
    b"<![CDATA[ ]]>",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(FRAGMENTS), max_size=6).map(b"".join), min_size=1, max_size=5))
def test_batch_parse_stands_only_for_what_each_document_parses_to_alone(documents: list[bytes]) -> None:
    for document, root in zip(documents, parse_compact_many(documents), strict=True):
        if root is None:
            continue
        alone = parse_compact(document, "doc")
        assert alone is not None
        assert etree.tostring(root) == etree.tostring(alone.element)
        parse_xml(document, "doc")  # the general parser accepts it too


def test_batch_parse_refuses_documents_that_are_only_well_formed_together() -> None:
    assert parse_compact_many([b"<Tag/><Tag>", b"</Tag>"]) == [None, None]
    assert parse_compact_many([b"<Tag>", b"</Tag><Tag/>"]) == [None, None]
    ok = parse_compact_many([b"<a/>", b"<b>1</b>", b"<c/>"])
    assert [r.tag if r is not None else None for r in ok] == ["a", "b", "c"]


@pytest.mark.parametrize("padding", [0, 100_000], ids=["node file", "big file"])
@pytest.mark.parametrize(
    ("inside", "compact"),
    [
        (b"<b>x</b>", True),
        (b"<b>a&#xd;b &amp; c!? #</b>", True),
        (b"<b> <!-- c --> </b>", False),
        (b"<b> <![CDATA[ x ]]></b>", False),
        (b"<b> <?pi x?></b>", False),
        (b"<b>&#x1b;</b>", False),
    ],
)
def test_compact_parse_is_used_only_where_it_stands_for_the_general_one(
    padding: int, inside: bytes, compact: bool
) -> None:
    data = b"<?xml version='1.1' encoding='UTF-8'?>\n<a>\n  <pad>" + b"p" * padding + b"</pad>\n  " + inside + b"\n</a>"
    parsed = parse_compact(data, "a.xml")
    assert (parsed is not None) is compact
    if parsed is not None:
        assert text_of(parsed.element[1]) == text_of(parse_xml(data, "a.xml").element[1])


def test_compact_tree_refuses_to_guess_the_text_of_an_element_with_children() -> None:
    data = b"<a>\n  <b>x</b>\n  <c/>\n</a>"
    compact = parse_compact(data, "a.xml")
    assert compact is not None
    with pytest.raises(CompactMiss):
        text_of(compact.element)
    assert text_of(compact.element[0]) == "x" and text_of(compact.element[1]) == ""
    assert text_of(parse_xml(data, "a.xml").element) == "\n  "


def test_stand_ins_are_restored_only_in_the_documents_that_used_them() -> None:
    assert text_of(parse_xml(b"<a>x&#x1b;y</a>", "one.xml").element) == "x\x1by"
    literal = "p\U0010ff1bq"  # a private-use character that is really in the file
    assert text_of(parse_xml(f"<a>{literal}</a>".encode(), "two.xml").element) == literal


# -- read-ahead in XmlDirNodeStorage.iter_nodes ------------------------------------------


def saved(tmp_path: Path) -> Path:
    run = builder_run()
    store = XmlDirNodeStorage(tmp_path / "workflow")
    for node in run.graph:
        store.store_node(node, delay=True)
    store.flush()
    return tmp_path / "workflow"


def one_by_one(store: XmlDirNodeStorage) -> list[FlowNode]:
    return [n for n in (store.get_node(i) for i in store.node_ids()) if n is not None]


@pytest.mark.parametrize("budget", [1, 2_000, 8 << 20], ids=["one file a batch", "a few files", "default"])
def test_read_ahead_gives_what_get_node_gives_and_counts_the_same_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, budget: int
) -> None:
    monkeypatch.setattr(xml_dir, "READ_AHEAD_BYTES", budget)
    directory = saved(tmp_path)
    for cache_size in (1, 3, 10_000):
        ahead = XmlDirNodeStorage(directory, cache_size=cache_size)
        plain = XmlDirNodeStorage(directory, cache_size=cache_size)
        assert list(ahead.iter_nodes()) == one_by_one(plain)
        assert ahead.reads == plain.reads
        assert all(ahead.original_of(n.id) is not None for n in list(ahead._cache.values()))


def test_read_ahead_reads_lazily(tmp_path: Path) -> None:
    store = XmlDirNodeStorage(saved(tmp_path), cache_size=2)
    next(iter(store.iter_nodes()))
    assert store.reads == 1


@pytest.mark.parametrize("how", ["pending", "rewritten"])
def test_read_ahead_lets_pending_and_rewritten_nodes_win(tmp_path: Path, how: str) -> None:
    """A node stored while the iteration runs is what the iteration yields, even out of the cache."""
    store = XmlDirNodeStorage(saved(tmp_path), cache_size=2)
    ids = list(store.node_ids())
    seen = []
    for index, node in enumerate(store.iter_nodes()):
        seen.append(node)
        if index == 0:
            changed = store.get_node(ids[5])
            assert changed is not None
            changed.add_action(LabelAction("changed"))
            store.store_node(changed, delay=how == "pending")
            for other in ids[6:9]:  # push it out of the tiny cache
                store.get_node(other)
            assert ids[5] not in store._cache
    assert seen[5].label == "changed"


def test_read_ahead_meets_a_damaged_file_where_get_node_does(tmp_path: Path) -> None:
    directory = saved(tmp_path)
    victim = sorted(directory.glob("*.xml"), key=lambda p: node_sort_key(p.stem))[4]
    victim.write_bytes(victim.read_bytes()[:-20])

    def until_error(nodes: object) -> tuple[list[str], str]:
        got: list[str] = []
        try:
            for node in nodes:  # type: ignore[attr-defined]
                got.append(node.id)
        except FormatError as exc:
            return got, str(exc)
        return got, ""

    ahead = until_error(XmlDirNodeStorage(directory).iter_nodes())
    store = XmlDirNodeStorage(directory)
    plain = until_error(store.get_node(i) for i in store.node_ids())
    assert ahead == plain and ahead[1].startswith(str(victim))


# -- small pieces ------------------------------------------------------------------------


@given(st.lists(st.one_of(st.integers(0, 10**12).map(str), st.from_regex(r"[a-z0-9]{1,4}", fullmatch=True))))
def test_sort_node_ids_is_node_sort_key_order(ids: list[str]) -> None:
    assert sort_node_ids(ids) == sorted(ids, key=node_sort_key)


@dataclasses.dataclass(frozen=True, slots=True)
class LateTiming(TimingAction):
    """A user's subclass of a built-in action: it keeps pickling the default way."""

    kind: ClassVar[str] = "test.LateTiming"
    late_ms: int = 0


def test_actions_and_errors_survive_pickling() -> None:
    actions = [
        LabelAction("x"),
        LabelAction(None),
        ParallelLabelAction("b"),
        ArgumentsAction({"a": 1, "m": MaskedValue.MASKED_VALUE}, {"s"}, False),
        TagsAction({"k": "v"}),
        TimingAction(3),
        StageAction("s"),
        ErrorAction("java.io.IOException", "m", "at x\nat y", "id-1", Result.ABORTED),
        BodyInvocationAction(),
        LogStorageAction(),
        LogFileAction("ISO-8859-1"),
        NotExecutedNodeAction(),
        WorkspaceAction("agent", "/ws", frozenset({"linux"})),
        WarningAction(Result.UNSTABLE, "flaky"),
        PauseAction("Input", 1, 2),
        QueueItemAction(4, QueueState.QUEUED),
        UnknownAction("org.example.A", "<a/>"),
        LateTiming(1, 2),
    ]
    for action in actions:
        for protocol in (2, pickle.DEFAULT_PROTOCOL, pickle.HIGHEST_PROTOCOL):
            back = pickle.loads(pickle.dumps(action, protocol=protocol))
            assert back == action and type(back) is type(action) and repr(back) == repr(action)
    errors: list[FlowGraphError] = [
        NodeNotFoundError("5", referenced_by="6", path="p"),
        GraphCycleError(["7", "8"]),
        FormatError("f.xml: bad", path="f.xml", node_id="3"),
    ]
    for error in errors:
        back_error = pickle.loads(pickle.dumps(error))
        assert type(back_error) is type(error) and str(back_error) == str(error)
        assert vars(back_error) == vars(error)


def test_bulk_loader_returns_the_same_runs_and_errors_from_worker_processes() -> None:
    def summary(results: object) -> list[tuple[str, object]]:
        out: list[tuple[str, object]] = []
        for ref, result in results:  # type: ignore[attr-defined]
            if isinstance(result, FlowGraphError):
                out.append((str(ref), f"{type(result).__name__}: {result}"))
            else:
                out.append((str(ref), [(n, n.actions) for n in result.graph]))
        return out

    here = summary(load_runs(FIXTURES, fn=materialize, workers=1, progress=False, chunk_size=2))
    there = summary(load_runs(FIXTURES, fn=materialize, workers=2, progress=False, chunk_size=2))
    assert here == there
    assert any(
        str(r).startswith("GraphCycleError: test0#1 (") and "flow graph has a cycle through nodes" in str(r)
        for _, r in there
    )  # the error crossed the process boundary with the run's name (issue 12)
