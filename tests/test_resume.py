"""resume(): TaskFlow's scenarios with defined behaviour, and every refusal typed with nothing overwritten.

Crashes are simulated in process by a step that raises a BaseException after its side effect
(the recorder does not record it: the step stays "in flight"); a fresh store object then reads
only what was committed. Real kill -9 runs are in test_crash.py.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from flowgraph import FlowGraph, Result
from flowgraph.errors import FactoryError, NotResumableError, SchemaVersionError, StepChangedError
from flowgraph.recorder import open_store, record, resume
from flowgraph.stepdetail import StepRecordAction, StepState
from flowgraph.storage.base import Durability
from tests import recorder_pipelines as rp


def _crash(monkeypatch: pytest.MonkeyPatch, factory: object, url: str, at: str, **kwargs: object) -> None:
    monkeypatch.setenv("FLOWGRAPH_TEST_CRASH_AT", at)
    with pytest.raises(rp.SimulatedCrash):
        record(factory, kwargs=kwargs, store=url)  # type: ignore[arg-type]
    monkeypatch.delenv("FLOWGRAPH_TEST_CRASH_AT")


def _relayout(url: str, layout: str) -> None:
    """Change the factory arguments stored in the record: stands for a code change between runs."""
    store = open_store(url)
    ex = store.load_execution()
    assert ex is not None
    ex.factory_kwargs["layout"] = layout
    store.save_execution(ex)
    store.close()


def _runs(side: Path) -> Counter[str]:
    return Counter(side.read_text().split())


@pytest.fixture
def crashed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    """s0, s1, s2 (stage A) and s3 (stage B) completed; s4 crashed in flight."""
    side = tmp_path / "side"
    url = f"sqlite:///{tmp_path}/runs.db#run"
    _crash(monkeypatch, rp.scenario_pipeline, url, "s4", side_log=str(side))
    return url, side


def test_same_steps(crashed: tuple[str, Path]) -> None:
    url, side = crashed
    done = resume(url)
    assert done.result is Result.SUCCESS
    assert (done.restored, done.executed, done.interrupted) == (["s0", "s1", "s2", "s3"], ["s4"], [])
    assert _runs(side) == Counter({"s0": 1, "s1": 1, "s2": 1, "s3": 1, "s4": 2})
    assert done.results["s2"] == "s2:1" and done.results["s3"] == "s3:0"  # restored from the record
    labels = [n.label for n in done.graph if n.label]
    assert labels == ["A", "B"]  # stage B was re-entered, not opened again
    done.graph.validate()
    assert done.execution.done and done.execution.persisted_clean


def test_in_flight_node_flushed_by_another_branch_is_marked_interrupted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    side = tmp_path / "side"
    url = f"sqlite:///{tmp_path}/runs.db#run"
    _crash(monkeypatch, rp.parallel_pipeline, url, "b1", side_log=str(side))
    done = resume(url)
    counts = _runs(side)
    assert done.result is Result.SUCCESS and counts["p0"] == 1 and counts["z0"] == 1 and counts["b1"] == 2
    finished = set(done.restored)
    assert all(counts[name] == 1 for name in finished)
    states = [(r.name, r.state) for n in done.graph if (r := n.get_action(StepRecordAction)) is not None]
    assert states.count(("b1", StepState.SUCCESS)) == 1
    assert [n.label for n in done.graph if n.label] == ["prep", "Branch: a", "Branch: b"]
    done.graph.validate()
    ends = [n for n in done.graph if n.is_block_end and n.function_name == "parallel" and len(n.parent_ids) == 2]
    assert len(ends) == 1


def test_step_added(crashed: tuple[str, Path]) -> None:
    url, side = crashed
    _relayout(url, "added")
    done = resume(url)
    assert sorted(done.executed) == ["new0", "new1", "s4"] and _runs(side)["s0"] == 1


def test_step_removed(crashed: tuple[str, Path]) -> None:
    url, _ = crashed
    _relayout(url, "removed")
    done = resume(url)
    assert done.orphaned == {"s1": "s1:0"} and done.executed == ["s4"]
    assert "s1" not in done.results


def test_step_changed_is_refused_by_default_and_nothing_is_written(crashed: tuple[str, Path]) -> None:
    url, _ = crashed
    _relayout(url, "changed")
    db = Path(url.split("///", 1)[1].split("#")[0])
    before = _dump(db)
    with pytest.raises(StepChangedError, match=r"s1 \(1 -> 2\)") as info:
        resume(url)
    assert info.value.changes == {"s1": ("1", "2")}
    assert _dump(db) == before


def test_step_changed_rerun_reruns_its_dependents(crashed: tuple[str, Path]) -> None:
    url, side = crashed
    _relayout(url, "changed")
    done = resume(url, on_version_change="rerun")
    assert done.executed == ["s1", "s2", "s4"] and done.changed == {"s1": ("1", "2")}
    counts = _runs(side)
    assert counts["s1"] == 2 and counts["s2"] == 2 and counts["s0"] == 1 and counts["s3"] == 1


def test_step_changed_keep_reuses_the_recorded_result(crashed: tuple[str, Path]) -> None:
    url, side = crashed
    _relayout(url, "changed")
    done = resume(url, on_version_change="keep")
    assert done.executed == ["s4"] and done.results["s1"] == "s1:0" and _runs(side)["s1"] == 1


def test_step_split(crashed: tuple[str, Path]) -> None:
    url, side = crashed
    _relayout(url, "split")
    done = resume(url)
    assert done.executed == ["s4"] and done.results["s1a"] == done.results["s1b"] == "s1:0"
    assert "s1a" not in _runs(side)


def test_steps_merged(crashed: tuple[str, Path]) -> None:
    url, _ = crashed
    _relayout(url, "merged")
    done = resume(url)
    assert done.results["s01"] == {"s0": "s0:0", "s1": "s1:0"} and done.executed == ["s4"]


def test_mapping_argument_maps_new_names_to_old(crashed: tuple[str, Path]) -> None:
    url, _ = crashed
    _relayout(url, "removed")  # s1 is gone; map s2 (completed) to itself and claim s0 took s1's work
    done = resume(url, mapping={"s0": ["s0", "s1"]})
    assert done.results["s0"] == {"s0": "s0:0", "s1": "s1:0"} and done.orphaned == {}


def test_structure_changed_moves_completed_steps_without_rerunning(crashed: tuple[str, Path]) -> None:
    url, side = crashed
    _relayout(url, "moved")
    done = resume(url)
    counts = _runs(side)
    assert done.executed == ["s4"] and counts["s3"] == 1 and counts["s1"] == 1
    graph = done.graph
    graph.validate()
    labels = [n.label for n in graph if n.label]
    assert labels == ["A", "B", "Branch: x", "Branch: y"]  # old B closed; the parallel is new; C never opened
    s4 = next(n for n in graph if n.function_name == "s4" and n.get_action(StepRecordAction).state is StepState.SUCCESS)  # type: ignore[union-attr]
    assert [b.label for b in graph.enclosing_blocks(s4)][:1] == ["Branch: y"]


def test_retry_resumes_inside_its_attempt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path}/runs.db#run"
    side = tmp_path / "side"
    _crash(monkeypatch, rp.retry_pipeline, url, "setup", side_log=str(side), key="resume-retry", fail_times=0)
    done = resume(url)
    assert done.result is Result.SUCCESS and done.executed == ["setup", "flaky"]
    attempts = [n for n in done.graph if n.is_block_start and n.is_body and n.function_name == "retry"]
    assert len(attempts) == 1  # the open attempt was re-entered


def test_refusals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    finished = record(rp.shapes_pipeline, store=f"sqlite:///{tmp_path}/a.db#run")
    finished.store.close()
    with pytest.raises(NotResumableError, match="done"):
        resume(f"sqlite:///{tmp_path}/a.db#run")
    for durability in (Durability.SURVIVABLE_NONATOMIC, Durability.PERFORMANCE_OPTIMIZED):
        url = f"sqlite:///{tmp_path}/{durability.name}.db#run"
        monkeypatch.setenv("FLOWGRAPH_TEST_CRASH_AT", "s1")
        with pytest.raises(rp.SimulatedCrash):
            record(rp.scenario_pipeline, kwargs={"side_log": str(tmp_path / "side")}, store=url, durability=durability)
        monkeypatch.delenv("FLOWGRAPH_TEST_CRASH_AT")
        with pytest.raises(NotResumableError, match="persisted_clean is False"):
            resume(url)
    with pytest.raises(NotResumableError, match="no execution record"):
        resume(f"sqlite:///{tmp_path}/empty.db#nothing")


def test_missing_or_broken_factory_is_typed_and_overwrites_nothing(
    crashed: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = crashed
    (tmp_path / "broken_factory_module.py").write_text('raise RuntimeError("broken on purpose")\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    db = Path(url.split("///", 1)[1].split("#")[0])
    store = open_store(url)
    ex = store.load_execution()
    assert ex is not None
    for name, message in [("no_such_package_xyz.make", "cannot be imported"),
                          ("broken_factory_module.make", "raised RuntimeError"),
                          ("tests.recorder_pipelines.renamed_away", "no longer exists")]:  # fmt: skip
        ex.factory = name
        store.save_execution(ex)
        before = _dump(db)
        with pytest.raises(FactoryError, match=message):
            resume(url)
        assert _dump(db) == before
    ex.factory = None
    store.save_execution(ex)
    with pytest.raises(FactoryError, match="names no factory"):
        resume(url)
    store.close()


def test_newer_schema_refuses_resume(crashed: tuple[str, Path]) -> None:
    url, _ = crashed
    db = Path(url.split("///", 1)[1].split("#")[0])
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE flowgraph_schema SET version = version + 1")
    before = _dump(db)
    with pytest.raises(SchemaVersionError):
        resume(url)
    assert _dump(db) == before


def test_resume_on_postgresql(postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    side = tmp_path / "side"
    url = f"{postgres_url}#run"
    _crash(monkeypatch, rp.scenario_pipeline, url, "s2", side_log=str(side))
    done = resume(url)
    assert done.result is Result.SUCCESS and done.restored == ["s0", "s1"] and _runs(side)["s2"] == 2
    done.store.close()


def test_resume_on_per_node_xml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    side = tmp_path / "side"
    build = tmp_path / "build"
    _crash(monkeypatch, rp.scenario_pipeline, str(build), "s3", side_log=str(side))
    done = resume(str(build))
    assert done.result is Result.SUCCESS and done.restored == ["s0", "s1", "s2"] and _runs(side)["s3"] == 2
    reloaded = open_store(str(build))
    assert len(FlowGraph(reloaded.storage)) == len(done.graph)


def _dump(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        rows: list[tuple[object, ...]] = []
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"):
            rows.extend(conn.execute(f"SELECT * FROM {table}"))
        return rows


def test_resume_work_is_linear_in_the_number_of_nodes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flowgraph.recorder.stores import SqlRunStore

    reads = {}
    for n in (200, 800):
        url = f"sqlite:///{tmp_path}/lin{n}.db#run"
        side = tmp_path / f"side{n}"
        _crash(monkeypatch, rp.side_effect_pipeline, url, f"s{n - 1}", side_log=str(side), n=n)
        store = SqlRunStore(url, durability=Durability.MAX_SURVIVABILITY)
        done = resume(store)
        assert done.executed == [f"s{n - 1}"] and len(done.restored) == n - 1
        reads[n] = store.storage.reads
        store.close()
    assert reads[800] <= 4.4 * reads[200], reads  # 4x the nodes: about 4x the reads, never quadratic
