"""Damaged copies of the real fixtures: only typed errors, never a hang, never silent loss."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowgraph import FlowGraphError, NodeNotFoundError, StorageError
from flowgraph.jenkins import is_placeholder, load_run

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


def load_everything(build: Path, mode: str) -> None:
    run = load_run(build, on_corrupt=mode)  # type: ignore[arg-type]
    for node in run.graph:
        _ = node.display_name, node.actions


settings_ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.timeout(300)
@settings_
@given(name=st.sampled_from(SMALL), data=st.data(), mode=st.sampled_from(["raise", "placeholder"]))
def test_truncation_and_byte_flips_raise_only_typed_errors(
    tmp_path: Path, name: str, data: st.DataObject, mode: str
) -> None:
    build = copy_build(name, tmp_path)
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
    try:
        load_everything(build, mode)
    except FlowGraphError:
        pass


@pytest.mark.timeout(300)
@settings_
@given(name=st.sampled_from(SMALL), data=st.data())
def test_deleted_and_swapped_node_files(tmp_path: Path, name: str, data: st.DataObject) -> None:
    build = copy_build(name, tmp_path)
    nodes = sorted((build / "workflow").glob("[0-9]*.xml"))
    if len(nodes) < 2:
        return
    a, b = data.draw(st.permutations(nodes))[:2]
    if data.draw(st.booleans()):
        a.unlink()
    else:
        swap = a.with_suffix(".swap")
        a.rename(swap)
        b.rename(a)
        swap.rename(b)
    try:
        load_everything(build, "raise")
    except FlowGraphError:
        pass


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
