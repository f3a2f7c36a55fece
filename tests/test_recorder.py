"""The recorder: Jenkins node shapes (checked against GraphBuilder), results, logs, durability, bad input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from flowgraph import (
    ErrorAction,
    FlowGraph,
    GraphBuilder,
    LogStorageAction,
    Result,
    TimingAction,
)
from flowgraph.errors import DuplicateStepError, FactoryError, PipelineDefinitionError, ResumeError
from flowgraph.recorder import Pipeline, Stage, Step, factory_name, load_factory, record
from flowgraph.recorder.stores import MemoryRunStore, SqlRunStore, XmlRunStore, open_store
from flowgraph.stepdetail import BlockKeyAction, StepRecordAction, StepState
from flowgraph.storage.base import Durability
from tests import recorder_pipelines as rp


def _shape(graph: FlowGraph) -> list[tuple[Any, ...]]:
    """Structure and action types, without the recorder's own actions and the clock's values."""
    drop = (StepRecordAction, BlockKeyAction, TimingAction)
    return [
        (
            n.id,
            n.kind,
            n.parent_ids,
            n.start_id,
            n.function_name,
            [type(a).__name__ for a in n.actions if not isinstance(a, drop)],
        )
        for n in graph
    ]


@pytest.mark.parametrize("fail", [False, True])
def test_node_shapes_are_those_jenkins_writes(fail: bool, tmp_path: Path) -> None:
    recorded = record(rp.shapes_pipeline, kwargs={"fail_lint": fail}, log_dir=tmp_path)
    b = GraphBuilder()
    with b.stage("Build"):
        b.step("compile", x="make")
    with b.parallel("unit", "lint") as par:
        with par.branch("unit"):
            b.step("unit", x=2)
        with par.branch("lint"):
            b.step("lint", error="boom") if fail else b.step("lint", x=1)
    if not fail:
        with b.retry(2) as retry, retry.attempt():
            b.step("deploy", x=3)
    expected = b.build()
    assert _shape(recorded.graph) == _shape(expected.graph)
    assert recorded.result is expected.result is (Result.FAILURE if fail else Result.SUCCESS)
    assert recorded.execution.done and recorded.execution.persisted_clean
    assert [n.id for n in recorded.graph.heads] == [expected.graph.head_ids[0]]
    every_timing = [n.get_action(TimingAction) for n in recorded.graph]
    assert all(t is not None for t in every_timing)
    starts = [t.start_ms for t in every_timing if t is not None]
    assert starts == sorted(starts) or fail is False  # parallel branches may interleave; serial runs are ordered


def test_failure_records_error_on_step_and_every_enclosing_end() -> None:
    recorded = record(rp.shapes_pipeline, kwargs={"fail_lint": True})
    graph = recorded.graph
    lint = next(n for n in graph if n.function_name == "lint")
    error = lint.get_action(ErrorAction)
    assert error is not None and error.error_type == "builtins.RuntimeError" and error.message == "boom"
    assert "fail_step" in error.stack
    rec = lint.get_action(StepRecordAction)
    assert rec is not None and rec.state is StepState.FAILURE
    erroring_ends = [n.id for n in graph if n.is_block_end and n.get_action(ErrorAction) == error]
    assert erroring_ends == ["15", "16", "17"]  # branch end, parallel end, flow end
    assert "deploy" not in recorded.executed


def test_results_flow_to_later_steps_and_logs_are_indexed(tmp_path: Path) -> None:
    side = tmp_path / "side"
    recorded = record(rp.scenario_pipeline, kwargs={"side_log": str(side)}, store=f"sqlite:///{tmp_path}/r.db#run")
    assert recorded.results["s2"] == "s2:1"  # s2 received s1's result as "up"
    log_dir = Path(recorded.execution.metadata["log_dir"])
    index = (log_dir / "log-index").read_text().split("\n")
    text = (log_dir / "log").read_bytes()
    s3 = next(n for n in recorded.graph if n.function_name == "s3")
    assert s3.get_action(LogStorageAction) is not None
    start = next(int(line.split()[0]) for line in index if line.endswith(f" {s3.id}"))
    assert text[start:].startswith(b"ran s3\n")
    recorded.store.close()


def test_retry_records_one_body_per_attempt_and_reruns_the_body() -> None:
    recorded = record(rp.retry_pipeline, kwargs={"side_log": "/dev/null", "key": "retry-shape", "fail_times": 2})
    assert recorded.result is Result.SUCCESS and recorded.results["flaky"] == "retry-shape ok"
    graph = recorded.graph
    attempts = [n for n in graph if n.is_block_start and n.is_body and n.function_name == "retry"]
    assert [a.get_action(BlockKeyAction).key for a in attempts] == ["/retry:r#1", "/retry:r#2", "/retry:r#3"]  # type: ignore[union-attr]
    failed_ends = [n for n in graph if n.is_block_end and n.is_body and n.get_action(ErrorAction) is not None]
    assert len(failed_ends) == 2
    records = [n.get_action(StepRecordAction) for n in graph if n.function_name == "setup"]
    assert [r.attempt for r in records if r is not None] == [1, 2, 3]
    outer_end = graph.node(graph.head_ids[0]).parent_ids[0]
    assert graph.node(outer_end).get_action(ErrorAction) is None


def test_retry_exhausted_fails_the_run() -> None:
    recorded = record(rp.retry_pipeline, kwargs={"side_log": "/dev/null", "key": "retry-out", "fail_times": 5})
    assert recorded.result is Result.FAILURE
    flow_end = recorded.graph.heads[0]
    assert flow_end.get_action(ErrorAction) is not None and flow_end.result is Result.FAILURE


def test_parallel_branches_in_processes() -> None:
    recorded = record(rp.process_pipeline)
    assert recorded.results == {"pa": 1, "pb": 2} and recorded.result is Result.SUCCESS


@pytest.mark.parametrize("durability", list(Durability))
@pytest.mark.parametrize("kind", ["memory", "sqlite", "xml"])
def test_every_store_and_durability_records_the_same_graph(kind: str, durability: Durability, tmp_path: Path) -> None:
    target = {"memory": None, "sqlite": f"sqlite:///{tmp_path}/r.db#x", "xml": str(tmp_path / "build")}[kind]
    recorded = record(rp.shapes_pipeline, store=target, durability=durability)
    recorded.store.close()
    reopened = open_store(recorded.store if kind == "memory" else str(target), durability=durability)
    ex = reopened.load_execution()
    assert ex is not None and ex.done and ex.persisted_clean and ex.durability is durability
    assert ex.factory == "tests.recorder_pipelines.shapes_pipeline"
    assert _shape(FlowGraph(reopened.storage)) == _shape(recorded.graph)
    reopened.close()


def test_rule_3_low_durability_saves_unclean_record_before_any_node(tmp_path: Path) -> None:
    seen: list[tuple[bool | None, int]] = []

    class Spy(MemoryRunStore):
        def save_execution(self, execution: Any) -> None:
            seen.append((execution.persisted_clean, len(self.storage)))
            super().save_execution(execution)

    record(rp.shapes_pipeline, store=Spy(), durability=Durability.SURVIVABLE_NONATOMIC)
    assert seen[0] == (False, 0) and seen[-1][0] is True and len(seen) == 2
    seen.clear()
    record(rp.shapes_pipeline, store=Spy(), durability=Durability.MAX_SURVIVABILITY)
    assert seen[0] == (True, 1) and all(clean for clean, _ in seen) and len(seen) == 6  # start + 4 steps + end


def test_max_survivability_commits_once_per_step(tmp_path: Path) -> None:
    store = SqlRunStore(tmp_path / "r.db", "x", durability=Durability.MAX_SURVIVABILITY)
    record(rp.scenario_pipeline, kwargs={"side_log": str(tmp_path / "side")}, store=store)
    assert store.storage.commits == 1 + 5 + 1  # the first record, one per step, the last record
    store.close()


def test_factories_must_be_reimportable() -> None:
    def nested() -> Pipeline:
        return Pipeline([])

    for bad in (lambda: Pipeline([]), nested):
        with pytest.raises(FactoryError, match="re-importable"):
            record(bad)
    assert factory_name(rp.shapes_pipeline) == "tests.recorder_pipelines.shapes_pipeline"
    with pytest.raises(FactoryError, match="cannot be imported"):
        load_factory("no_such_module_xyz.make")
    with pytest.raises(FactoryError, match="no longer exists"):
        load_factory("tests.recorder_pipelines.gone_factory")
    with pytest.raises(FactoryError, match="JSON"):
        record(rp.shapes_pipeline, kwargs={"fail_lint": {1, 2}})
    with pytest.raises(PipelineDefinitionError, match="not a Pipeline"):
        record(rp.not_a_pipeline)


def test_bad_pipelines_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(DuplicateStepError, match="duplicated: a"):
        Pipeline([Stage("x", [Step("a", rp.value)]), Step("a", rp.value)])
    with pytest.raises(PipelineDefinitionError, match="does not run before it"):
        Pipeline([Step("a", rp.value, requires=["b"]), Step("b", rp.value)])
    with pytest.raises(PipelineDefinitionError, match="not in the pipeline"):
        Pipeline([Step("a", rp.value, requires=["zz"])])
    from flowgraph.recorder import Parallel

    with pytest.raises(PipelineDefinitionError, match="does not run before it"):
        Pipeline([Parallel({"l": [Step("a", rp.value)], "r": [Step("b", rp.value, requires=["a"])]})])
    Pipeline([Parallel({"l": [Step("a", rp.value)]}), Step("b", rp.value, requires=["a"])])  # after the join: fine


def test_a_step_result_that_is_not_json_fails_the_step() -> None:
    recorded = record(rp.not_json_pipeline)
    node = next(n for n in recorded.graph if n.function_name == "bad")
    error = node.get_action(ErrorAction)
    assert recorded.result is Result.FAILURE and error is not None and "not JSON" in (error.message or "")


def test_recording_into_a_used_store_overwrites_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/r.db#run"
    first = record(rp.shapes_pipeline, store=url)
    first.store.close()
    with pytest.raises(ResumeError, match="already holds a run"):
        record(rp.shapes_pipeline, kwargs={"fail_lint": True}, store=url)
    again = open_store(url)
    ex = again.load_execution()
    assert ex is not None and ex.result is Result.SUCCESS and len(again.storage) == len(first.graph)
    again.close()


def test_xml_store_writes_a_jenkins_build_directory(tmp_path: Path) -> None:
    build = tmp_path / "build"
    recorded = record(rp.scenario_pipeline, kwargs={"side_log": str(tmp_path / "side")}, store=str(build))
    assert isinstance(recorded.store, XmlRunStore)
    names = sorted(p.name for p in build.iterdir())
    assert names == ["build.xml", "flowgraph-execution.json", "log", "log-index", "workflow"]
    first = (build / "workflow" / "2.xml").read_bytes()
    assert first.startswith(b"<?xml version='1.1' encoding='UTF-8'?>\n<Tag plugin=")
    from flowgraph.jenkins.build_xml import read_build_xml

    rec = read_build_xml(build / "build.xml")
    assert rec.result is Result.SUCCESS and rec.execution.done and rec.execution.persisted_clean


def test_a_deeply_nested_pipeline_records_without_recursion() -> None:
    depth = 3_000
    body: list[Any] = [Step("leaf", rp.value, args={"x": 1})]
    for i in range(depth):
        body = [Stage(f"s{i}", body)]
    holder = _DeepFactory.pipeline = Pipeline(body)
    recorded = record(_DeepFactory.make)
    assert holder is _DeepFactory.pipeline
    assert len(recorded.graph) == 4 * depth + 3 and recorded.results == {"leaf": 1}
    leaf = next(n for n in recorded.graph if n.function_name == "leaf")
    assert len(recorded.graph.all_enclosing_ids(leaf)) == 2 * depth + 1
    _DeepFactory.pipeline = None


class _DeepFactory:
    pipeline: Pipeline | None = None

    @staticmethod
    def make() -> Pipeline:
        assert _DeepFactory.pipeline is not None
        return _DeepFactory.pipeline


def test_a_recorded_build_directory_loads_with_flowgraph_load(tmp_path: Path) -> None:
    import flowgraph

    build = tmp_path / "build"
    recorded = record(rp.scenario_pipeline, kwargs={"side_log": str(tmp_path / "side")}, store=str(build))
    run = flowgraph.load(build)
    assert run.result is Result.SUCCESS
    assert _shape(run.graph) == _shape(recorded.graph)
    records = [n.get_action(StepRecordAction) for n in run.graph if n.get_action(StepRecordAction) is not None]
    assert [(r.name, r.state, r.result) for r in records if r is not None] == [
        (f"s{i}", StepState.SUCCESS, f"s{i}:{1 if i == 2 else 0}") for i in range(5)
    ]
