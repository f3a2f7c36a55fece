"""Paths taken from file contents stay inside their root, for reads and writes (issue 11, defect 2).

Every test lays out a real directory tree with a ``victim`` directory beside the root the
operation owns, and checks that nothing under ``victim`` was read, created or changed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from flowgraph import FormatError, GraphBuilder, Run, load
from flowgraph.execution import FlowExecution
from flowgraph.jenkins.runs import load_run, save_run
from flowgraph.recorder import record
from flowgraph.recorder.examples import greeting_pipeline
from flowgraph.storage.files import write_bytes
from flowgraph.storage.paths import inside
from flowgraph.storage.sql import SqlNodeStorage
from render.cli import main
from render.sources import import_runs


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def small_run() -> Run:
    b = GraphBuilder(start_ms=0)
    b.step("echo", message="x")
    return b.build()


def store_in_sql(run: Run, db: Path, key: str) -> None:
    """Put a run into a SQL store under ``key`` (its execution id and name), as any writer could."""
    storage = SqlNodeStorage(f"sqlite:///{db}", key)
    for node in run.graph:
        storage.store_node(node, delay=True)
    storage.save_execution(FlowExecution(heads={1: run.graph.head_ids[0]}, done=True, id=key, name=key))
    storage.close()


def with_storage_dir(build_dir: Path, storage_dir: str) -> None:
    """Put ``<storageDir>`` into a build.xml, as a crafted (or hand-edited) file would have it."""
    xml = build_dir / "build.xml"
    text = xml.read_text()
    xml.write_text(text.replace("  </execution>", f"    <storageDir>{storage_dir}</storageDir>\n  </execution>"))


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """A directory outside every root, holding valid node files a crafted storageDir could name."""
    place = tmp_path / "victim"
    save_run(small_run(), place)
    return place


@pytest.fixture
def home(tmp_path: Path) -> Path:
    root = tmp_path / "home"
    save_run(small_run(), root / "jobs" / "j" / "builds" / "1")
    return root


@pytest.mark.parametrize("storage_dir", ["../../../../victim/workflow", "/etc", "..", "a/../../x"])
def test_load_refuses_a_storage_dir_that_leaves_the_build(home: Path, victim: Path, storage_dir: str) -> None:
    build = home / "jobs" / "j" / "builds" / "1"
    with_storage_dir(build, storage_dir)
    with pytest.raises(FormatError, match="storageDir") as caught:
        load_run(build)
    assert "build.xml" in str(caught.value)
    placeholder = load_run(build, on_corrupt="placeholder")  # reads the build's own workflow/, never victim's
    assert placeholder.metadata["corruption"]
    assert placeholder.graph.storage.directory == build / "workflow"  # type: ignore[attr-defined]


def test_a_symlinked_storage_dir_that_leads_out_is_refused(home: Path, victim: Path) -> None:
    build = home / "jobs" / "j" / "builds" / "1"
    shutil.rmtree(build / "workflow")
    (build / "workflow").symlink_to(victim / "workflow")
    with pytest.raises(FormatError, match="leads out of"):
        load_run(build)


@pytest.mark.parametrize("storage_dir", ["../escape", "../../victim/workflow"])
def test_save_run_never_writes_outside_the_target(tmp_path: Path, victim: Path, storage_dir: str) -> None:
    run = small_run()
    run.execution = FlowExecution(heads={1: run.graph.head_ids[0]}, done=True, storage_dir=storage_dir)
    before = snapshot(tmp_path)
    with pytest.raises(FormatError, match="storageDir"):
        save_run(run, tmp_path / "target" / "builds" / "1")
    after = snapshot(tmp_path)
    assert after == before


def test_save_run_refuses_a_symlink_planted_in_the_target(tmp_path: Path, victim: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    (target / "workflow").symlink_to(victim / "workflow")
    before = snapshot(victim)
    with pytest.raises(FormatError, match="leads out of"):
        save_run(small_run(), target)
    (target / "workflow").unlink()
    (target / "build.xml").symlink_to(victim / "build.xml")
    with pytest.raises(FormatError, match="leads out of"):
        save_run(small_run(), target)
    assert snapshot(victim) == before


def test_plain_writes_do_not_follow_a_symlink(tmp_path: Path, victim: Path) -> None:
    (tmp_path / "5.xml").symlink_to(victim / "build.xml")
    before = (victim / "build.xml").read_bytes()
    with pytest.raises(OSError):
        write_bytes(tmp_path / "5.xml", b"<x/>", atomic=False)
    assert (victim / "build.xml").read_bytes() == before


def test_import_of_an_untrusted_home_writes_only_inside_the_target(tmp_path: Path, home: Path, victim: Path) -> None:
    with_storage_dir(home / "jobs" / "j" / "builds" / "1", "../../../../victim/workflow")
    save_run(small_run(), home / "jobs" / "good" / "builds" / "2")
    before = snapshot(tmp_path)
    result = CliRunner().invoke(main, ["import", "--strict", str(home), str(tmp_path / "out")])
    assert result.exit_code == 1, result.output  # --strict: any run that could not be imported fails
    assert "storageDir" in result.output
    outside = {k: v for k, v in snapshot(tmp_path).items() if not k.startswith("out/")}
    assert outside == before
    assert load(tmp_path / "out" / "jobs" / "good" / "builds" / "2").result is not None


@pytest.mark.parametrize("name", ["../../../victim", "a/../../..", "/abs"])
def test_import_refuses_job_names_that_leave_the_target(tmp_path: Path, victim: Path, name: str) -> None:
    db = tmp_path / "runs.db"
    run = small_run()
    run.name, run.number = name, 7
    store_in_sql(run, db, f"{name}#7")
    before = snapshot(tmp_path)
    report = import_runs(f"sqlite:///{db}", str(tmp_path / "out"))
    assert report.imported == []
    assert len(report.failed) == 1 and "job" in report.failed[0][1]
    after = {k: v for k, v in snapshot(tmp_path).items() if not k.startswith("out/")}
    assert after == before


def test_a_sql_execution_id_cannot_place_the_log_outside(tmp_path: Path) -> None:
    d = tmp_path / "d"
    d.mkdir()
    with pytest.raises(FormatError, match="execution id"):
        record(greeting_pipeline, kwargs={"who": "x"}, store=f"sqlite:///{d}/runs.db#../../X")
    assert not (tmp_path / "X").exists() and not (d / "X").exists()
    done = record(greeting_pipeline, kwargs={"who": "x"}, store=f"sqlite:///{d}/runs.db#team/app")
    assert done.result is not None
    assert (d / "runs.db.logs" / "team" / "app").is_dir()


def test_inside_accepts_plain_names_and_existing_symlinks_within_the_root(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "alias").symlink_to("real")
    assert inside(tmp_path, "alias", "x", what="dir") == tmp_path / "alias" / "x"
    os.symlink(tmp_path.parent, tmp_path / "up")
    with pytest.raises(FormatError, match="leads out of"):
        inside(tmp_path, "up", what="dir")


def test_node_ids_from_a_database_never_become_paths_outside_the_target(tmp_path: Path) -> None:
    from flowgraph import FlowGraph, FlowNode, NodeKind
    from flowgraph.storage import MemoryNodeStorage

    storage = MemoryNodeStorage()
    storage.store_node(FlowNode("2", NodeKind.FLOW_START))
    storage.store_node(FlowNode("../../../../evil", NodeKind.ATOM, ["2"]))
    run = Run(FlowGraph(storage, heads=["../../../../evil"]), name="j", number=1)
    db = tmp_path / "runs.db"
    store_in_sql(run, db, "j#1")
    before = snapshot(tmp_path)
    report = import_runs(f"sqlite:///{db}", str(tmp_path / "out"))
    assert report.imported == [] and "invalid node id" in report.failed[0][1]
    after = {k: v for k, v in snapshot(tmp_path).items() if not k.startswith("out/")}
    assert after == before and not list(tmp_path.parent.glob("evil*"))
