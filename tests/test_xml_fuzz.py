"""Damaged copies of the real fixtures: only typed errors, never a hang, never silent loss."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lxml import etree

from flowgraph import FlowGraphError, NodeNotFoundError, StorageError
from flowgraph.jenkins import is_placeholder, load_run
from flowgraph.storage import BulkXmlNodeStorage

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "jenkins"
SMALL = ["inprogress-stage-sleep-pernode", "inprogress-stage-sleep-bulk", "inprogress-node-sh",
         "legacy-declarative-stages-completed", "inprogress-input-pause"]  # fmt: skip


def copy_build(name: str, into: Path) -> Path:
    (source,) = list((FIXTURES / name).glob("jobs/*/builds/1"))
    target = into / name
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)
    for path in target.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return target


def storage_files(build: Path) -> list[Path]:
    return sorted(p for p in build.rglob("*.xml"))


def node_files_of(build: Path) -> Path:
    """The node storage the intact build uses: its per-node directory or its bulk file."""
    storage = load_run(build).graph.storage
    return storage.path if isinstance(storage, BulkXmlNodeStorage) else storage.directory  # type: ignore[attr-defined,no-any-return]


_PLAIN = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def ids_held(place: Path) -> set[str] | None:
    """The node ids the files hold, read with lxml alone (not the code under test).

    A per-node directory holds one node per ``<id>.xml`` file; a bulk file one per ``<entry>``
    whose first child is the id. None when the bulk file is not XML at all.
    """
    if place.is_dir():
        return {p.stem for p in place.glob("*.xml") if p.stem.isdigit()}
    try:
        root = etree.fromstring(place.read_bytes(), _PLAIN)
    except etree.XMLSyntaxError:
        return None
    return {entry[0].text or "" for entry in root if entry.tag == "entry" and len(entry)}


def check_loaded_exactly(build: Path, place: Path, mode: str) -> None:
    """Either a typed error, or exactly the nodes the files hold (placeholders only where reported)."""
    try:
        run = load_run(build, on_corrupt=mode)  # type: ignore[arg-type]
        nodes = list(run.graph)
        for node in nodes:
            _ = node.display_name, node.actions
    except FlowGraphError:
        return
    held = ids_held(place)
    loaded = {n.id for n in nodes}
    stand_ins = {n.id for n in nodes if is_placeholder(n)}
    problems = " ".join(run.metadata["corruption"])
    if mode == "raise":
        assert held is not None, "a bulk file that is not XML loaded without an error"
        assert not stand_ins and loaded == held
        return
    if place.is_file() and place.name in problems:
        # An unreadable bulk store is one reported unit (as in Jenkins): every node is a stand-in.
        assert loaded == stand_ins and run.execution.storage_corrupt
        return
    assert held is not None, "a bulk file that is not XML loaded without a report"
    assert held <= loaded, f"nodes silently dropped: {sorted(held - loaded)}"
    assert loaded - held <= stand_ins
    assert all(f"node {i}" in problems or f"{i}.xml" in problems for i in stand_ins), (stand_ins, problems)


settings_ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.timeout(300)
@settings_
@given(name=st.sampled_from(SMALL), data=st.data(), mode=st.sampled_from(["raise", "placeholder"]))
def test_truncation_and_byte_flips_give_a_typed_error_or_exactly_the_stored_nodes(
    tmp_path: Path, name: str, data: st.DataObject, mode: str
) -> None:
    build = copy_build(name, tmp_path)
    place = node_files_of(build)
    victim = data.draw(st.sampled_from(storage_files(build)))
    content = bytearray(victim.read_bytes())
    how = data.draw(st.sampled_from(["truncate", "flip", "both"]))
    if how in ("truncate", "both"):
        content = content[: data.draw(st.integers(0, len(content)))]
    if how in ("flip", "both") and content:
        for _ in range(data.draw(st.integers(1, 8))):
            index = data.draw(st.integers(0, len(content) - 1))
            content[index] = data.draw(st.integers(0, 255))
    victim.write_bytes(bytes(content))
    check_loaded_exactly(build, place, mode)


@pytest.mark.timeout(300)
@settings_
@given(name=st.sampled_from(SMALL), data=st.data(), mode=st.sampled_from(["raise", "placeholder"]))
def test_deleted_and_swapped_node_files(tmp_path: Path, name: str, data: st.DataObject, mode: str) -> None:
    build = copy_build(name, tmp_path)
    place = node_files_of(build)
    assume(place.is_dir())  # per-node storages only: a bulk store has no node files to delete
    nodes = sorted(place.glob("[0-9]*.xml"))
    a, b = data.draw(st.permutations(nodes))[:2]
    if data.draw(st.booleans()):
        a.unlink()
    else:
        swap = a.with_suffix(".swap")
        a.rename(swap)
        b.rename(a)
        swap.rename(b)
    check_loaded_exactly(build, place, mode)


def test_missing_node_raises_then_placeholder_loads_and_blocks_resume(tmp_path: Path) -> None:
    build = copy_build("inprogress-stage-sleep-pernode", tmp_path)
    (build / "workflow" / "4.xml").unlink()  # 5's parent, and an open block start
    with pytest.raises(NodeNotFoundError) as info:
        load_run(build)
    assert info.value.node_id == "4" and "5" in str(info.value)
    run = load_run(build, on_corrupt="placeholder")
    stand_in = run.graph.node("4")
    assert is_placeholder(stand_in) and run.execution.storage_corrupt
    assert not run.execution.can_resume(run.graph.storage)
    assert any("node 4" in problem for problem in run.metadata["corruption"])
    assert [n.id for n in run.graph] == ["2", "3", "4", "5"]


def test_broken_node_file_becomes_a_placeholder_naming_the_problem(tmp_path: Path) -> None:
    build = copy_build("inprogress-node-sh", tmp_path)
    (build / "workflow" / "3.xml").write_bytes(b"<?xml version='1.1' encoding='UTF-8'?>\n<Tag>\n  <node")
    run = load_run(build, on_corrupt="placeholder")
    assert is_placeholder(run.graph.node("3")) and "3.xml" in run.metadata["corruption"][0]


def test_build_xml_naming_an_absent_storage(tmp_path: Path) -> None:
    build = copy_build("inprogress-node-sh", tmp_path)
    text = (build / "build.xml").read_text()
    (build / "build.xml").write_text(text.replace("<done>", "<storageDir>workflow-completed</storageDir><done>"))
    with pytest.raises(StorageError, match="workflow-completed"):
        load_run(build)
    run = load_run(build, on_corrupt="placeholder")
    assert run.execution.storage_corrupt and is_placeholder(run.graph.node("5"))


def test_unreadable_bulk_file_with_placeholders(tmp_path: Path) -> None:
    build = copy_build("inprogress-stage-sleep-bulk", tmp_path)
    (build / "workflow" / "flowNodeStore.xml").write_bytes(b"<linked-hash-map><entry>")
    with pytest.raises(FlowGraphError, match=r"flowNodeStore\.xml"):
        load_run(build)
    run = load_run(build, on_corrupt="placeholder")
    assert run.execution.storage_corrupt and is_placeholder(run.graph.node("5"))
