"""Bad input gives a typed error, never a raw Python one (issue 11, defect 7)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from flowgraph import (
    FlowGraphError,
    FlowNode,
    FormatError,
    GraphBuilder,
    InvalidValueError,
    NodeKind,
    Result,
    StorageError,
    load,
)
from flowgraph.actions import TimingAction, action_from_dict
from flowgraph.execution import FlowExecution
from flowgraph.jenkins.runs import iter_runs
from flowgraph.storage.sql import open_sql
from scanners import Status, analyze
from tests.conftest import FIXTURES

BUILD = next((FIXTURES / "inprogress-node-sh").glob("jobs/*/builds/1"))


# -- a JENKINS_HOME with symlink loops ---------------------------------------------------


def home_with_one_build(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    shutil.copytree(BUILD, home / "jobs" / "a" / "builds" / "1")
    (home / "jobs" / "a" / "jobs").mkdir()
    return home


def test_a_symlink_cycle_lists_each_build_once(tmp_path: Path) -> None:
    home = home_with_one_build(tmp_path)
    (home / "jobs" / "a" / "jobs" / "b").symlink_to("..")  # jobs/a/jobs/b is jobs/a again, forever
    (home / "jobs" / "alias").symlink_to("a")
    refs = list(iter_runs(home))
    assert [(r.job, r.number) for r in refs] == [("a", 1)]


def test_a_self_referencing_symlink_is_a_typed_error_naming_it(tmp_path: Path) -> None:
    home = home_with_one_build(tmp_path)
    (home / "jobs" / "loop").symlink_to("loop")
    with pytest.raises(StorageError, match="jobs/loop: cannot be followed"):
        list(iter_runs(home))


# -- deeply nested JSON, records of the wrong shape --------------------------------------

DEEP = "[" * 200_000 + "]" * 200_000


@pytest.fixture
def sql_run(tmp_path: Path) -> tuple[str, str]:
    db = tmp_path / "runs.db"
    storage = open_sql(f"sqlite:///{db}#r1")
    b = GraphBuilder(start_ms=0)
    b.step("echo", message="hi")
    run = b.build()
    for node in run.graph.storage.iter_nodes():
        storage.store_node(node, delay=True)
    storage.flush()
    ex = FlowExecution(heads={1: run.graph.head_ids[0]}, done=True)
    storage.save_execution(ex)
    storage.close()
    return str(db), f"sqlite:///{db}#r1"


def sql(db: str, statement: str, **params: object) -> None:
    engine = create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(text(statement), params)
    engine.dispose()


def test_deeply_nested_json_in_an_action_row_is_a_format_error(sql_run: tuple[str, str]) -> None:
    db, url = sql_run
    sql(db, "UPDATE flowgraph_nodes SET actions = :a WHERE node_id = '3'", a=DEEP)
    with pytest.raises(FormatError, match="node 3"):
        load(url).graph.storage.get_node("3")


def test_deeply_nested_json_in_the_execution_record_is_a_format_error(sql_run: tuple[str, str]) -> None:
    db, url = sql_run
    sql(db, "UPDATE flowgraph_executions SET record = :r", r=DEEP)
    with pytest.raises(FormatError, match="r1"):
        load(url)


def test_heads_of_the_wrong_shape_are_a_format_error(sql_run: tuple[str, str]) -> None:
    db, url = sql_run
    sql(db, "UPDATE flowgraph_executions SET record = :r", r=json.dumps({"heads": "x", "done": True}))
    with pytest.raises(FormatError, match="'heads' must be a mapping"):
        load(url)


@pytest.mark.parametrize(
    "record",
    [{"heads": "x"}, {"heads": {"a": "1"}}, {"starts": 5}, {"durability": "FAST"}, {"result": 3}, ["heads"]],
)
def test_execution_records_of_the_wrong_shape_are_format_errors(record: object) -> None:
    with pytest.raises(FormatError, match="execution record"):
        FlowExecution.from_dict(record)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "record",
    [{}, {"kind": 5}, [], {"kind": "TimingAction", "data": "x"}, {"kind": "TimingAction", "data": {}}],
)
def test_action_records_of_the_wrong_shape_are_format_errors(record: object) -> None:
    with pytest.raises(FormatError, match="action record"):
        action_from_dict(record)  # type: ignore[arg-type]


def test_a_good_action_record_still_loads() -> None:
    assert action_from_dict({"kind": "TimingAction", "data": {"start_ms": 7}}) == TimingAction(7)


# -- misuse of the API -------------------------------------------------------------------


def test_analyze_accepts_a_bare_graph_and_refuses_anything_else() -> None:
    b = GraphBuilder(start_ms=0, step_ms=10)
    with b.stage("Build"):
        b.step("sh", script="make")
    run = b.build()
    from_graph = analyze(run.graph)
    from_run = analyze(run)
    assert [s.name for s in from_graph.stages] == [s.name for s in from_run.stages] == ["Build"]
    assert from_graph.run.result is Result.SUCCESS and not from_graph.run.running
    with pytest.raises(InvalidValueError, match="takes a Run or a FlowGraph, not str"):
        analyze("build")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("NOT_BUILT", Status.NOT_EXECUTED),
        ("not_built", Status.NOT_EXECUTED),
        ("FAILURE", Status.FAILURE),
        (" Unstable ", Status.UNSTABLE),
        (Result.ABORTED, Status.ABORTED),
        (None, Status.NOT_EXECUTED),
    ],
)
def test_status_from_result_accepts_result_names(given: object, expected: Status) -> None:
    assert Status.from_result(given) is expected  # type: ignore[arg-type]


@pytest.mark.parametrize("given", ["BROKEN", "", 3])
def test_status_from_result_refuses_unknown_names_with_a_typed_error(given: object) -> None:
    with pytest.raises(InvalidValueError, match="unknown Jenkins result"):
        Status.from_result(given)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (("2", "ATOM"), {}, "kind must be a NodeKind, not 'ATOM' \\(did you mean NodeKind.ATOM\\?\\)"),
        (("2", 1), {}, "kind must be a NodeKind"),
        ((2, NodeKind.ATOM), {}, "node id must be a non-empty string, not 2"),
        (("", NodeKind.ATOM), {}, "node id must be a non-empty string"),
        (("3", NodeKind.ATOM, [2]), {}, "parent ids must be strings"),
        (("3", NodeKind.BLOCK_END, ["2"]), {}, "needs a start_id"),
        (("3", NodeKind.BLOCK_END, ["2"]), {"start_id": 2}, "needs a start_id"),
        (("3", NodeKind.ATOM, ["2"]), {"start_id": "2"}, "cannot have start_id"),
        (("2", NodeKind.FLOW_START, ["1"]), {}, "cannot have parents"),
    ],
)
def test_flow_node_refuses_bad_values_at_construction(args: tuple, kwargs: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(InvalidValueError, match=message) as caught:
        FlowNode(*args, **kwargs)
    assert isinstance(caught.value, FlowGraphError) and isinstance(caught.value, ValueError)


@pytest.mark.parametrize("content", ['"just a string"', "[1, 2]", '{"factory_args": 5}', "[" * 100_000])
def test_a_damaged_recorder_record_is_a_format_error(tmp_path: Path, content: str) -> None:
    from flowgraph.recorder import open_store, record
    from flowgraph.recorder.examples import greeting_pipeline

    record(greeting_pipeline, kwargs={"who": "x"}, store=str(tmp_path / "run"))
    sidecar = next((tmp_path / "run").rglob("*.json"))
    sidecar.write_text(content)
    with pytest.raises(FormatError, match="cannot read the recorder's record"):
        open_store(str(tmp_path / "run")).load_execution()
