"""SqlNodeStorage: the node-storage contract, records, step details, schema versions, concurrency.

Runs against SQLite always and against a real PostgreSQL server started by the session fixture.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from flowgraph import (
    ErrorAction,
    FlowExecution,
    FlowGraph,
    FlowNode,
    GraphBuilder,
    NodeKind,
    Result,
    TimingAction,
)
from flowgraph.errors import FormatError, SchemaVersionError, StorageError
from flowgraph.stepdetail import StepRecordAction, StepState
from flowgraph.storage.base import Durability
from flowgraph.storage.sql import SqlNodeStorage, list_executions, open_sql
from flowgraph.storage.sql_schema import SCHEMA_VERSION
from tests.sql_writers import write_run


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'runs.db'}"
    else:
        yield request.getfixturevalue("postgres_url")


def _chain(store: SqlNodeStorage, count: int, *, delay: bool) -> None:
    store.store_node(FlowNode("2", NodeKind.FLOW_START), delay=delay)
    for i in range(3, count + 2):
        store.store_node(FlowNode(str(i), NodeKind.ATOM, (str(i - 1),), actions=[TimingAction(i)]), delay=delay)


def test_write_cache_is_not_durable_until_flushed(db_url: str) -> None:
    writer = SqlNodeStorage(db_url, "run")
    reader = SqlNodeStorage(db_url, "run")
    try:
        _chain(writer, 3, delay=True)
        assert not writer.is_persisted_fully() and writer.count_rows() == 0
        assert [n.id for n in writer.iter_nodes()] == ["2", "3", "4"]  # visible to its writer
        writer.flush()
        assert writer.is_persisted_fully() and writer.count_rows() == 3
    finally:
        writer.close()
        reader.close()
    again = SqlNodeStorage(db_url, "run")
    try:
        assert [n.id for n in again.iter_nodes()] == ["2", "3", "4"] and len(again) == 3
        assert again.get_node("4") == FlowNode("4", NodeKind.ATOM, ("3",), actions=[TimingAction(4)])
        assert again.get_node("99") is None and "3" in again and "99" not in again
    finally:
        again.close()


def test_save_execution_commits_nodes_and_record_together(db_url: str) -> None:
    store = SqlNodeStorage(db_url, "run")
    _chain(store, 2, delay=True)
    ex = FlowExecution(heads={1: "3"}, persisted_clean=True, durability=Durability.MAX_SURVIVABILITY,
                       factory="pkg.make", factory_kwargs={"n": 2}, metadata={"who": "test"})  # fmt: skip
    store.save_execution(ex)
    assert store.commits == 1 and store.is_persisted_fully()
    store.close()
    again = open_sql(f"{db_url}#run")
    try:
        loaded = again.load_execution()
        assert loaded is not None
        assert (loaded.heads, loaded.factory_kwargs, loaded.metadata) == ({1: "3"}, {"n": 2}, {"who": "test"})
        assert loaded.can_resume(again)
        assert [e.id for e in list_executions(db_url)] == ["run"]
    finally:
        again.close()


def test_step_details_follow_the_step_nodes(db_url: str) -> None:
    store = SqlNodeStorage(db_url, "run")
    try:
        store.store_node(FlowNode("2", NodeKind.FLOW_START))
        running = FlowNode(
            "3", NodeKind.ATOM, ("2",), actions=[TimingAction(7), StepRecordAction("build", StepState.RUNNING)]
        )
        store.store_node(running)
        assert store.step_rows()["build"].state == "RUNNING"
        running.replace_action(StepRecordAction("build", StepState.FAILURE, "2", None, 1, 9))
        running.add_action(ErrorAction("builtins.RuntimeError", "boom"))
        store.store_node(running)
        row = store.step_rows()["build"]
        assert (row.state, row.version, row.node_id, row.finished_ms) == ("FAILURE", "2", "3", 9)
        assert row.failure is not None and row.failure["message"] == "boom"
    finally:
        store.close()


def test_values_that_are_not_json_are_refused_naming_the_node(db_url: str) -> None:
    store = SqlNodeStorage(db_url, "run")
    try:
        node = FlowNode("2", NodeKind.ATOM, ("1",), actions=[StepRecordAction("s", StepState.SUCCESS, result={1, 2})])
        with pytest.raises(StorageError, match="node 2"):
            store.store_node(node)
    finally:
        store.close()


def test_many_executions_and_processes_lose_nothing(db_url: str) -> None:
    with ProcessPoolExecutor(4, mp_context=get_context("spawn")) as pool:
        commits = list(pool.map(write_run, [db_url] * 6, [f"p{i}" for i in range(6)], [40] * 6))
    assert commits == [39] * 6
    threads = [threading.Thread(target=write_run, args=(db_url, f"t{i}", 30)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for i in range(6):
        store = SqlNodeStorage(db_url, f"p{i}")
        try:
            assert store.count_rows() == 40 and store.load_execution().heads == {1: "41"}  # type: ignore[union-attr]
        finally:
            store.close()
    for i in range(4):
        store = SqlNodeStorage(db_url, f"t{i}")
        try:
            assert [n.id for n in store.iter_nodes()] == [str(k) for k in range(2, 32)]
        finally:
            store.close()


def test_one_storage_shared_by_threads(db_url: str) -> None:
    store = SqlNodeStorage(db_url, "shared")
    store.store_node(FlowNode("2", NodeKind.FLOW_START))

    def add(offset: int) -> None:
        for i in range(25):
            node_id = str(100 + offset * 100 + i)
            store.store_node(FlowNode(node_id, NodeKind.ATOM, ("2",)), delay=True)
            store.save_execution(FlowExecution(heads={1: node_id}))

    threads = [threading.Thread(target=add, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store.close()
    again = SqlNodeStorage(db_url, "shared")
    try:
        assert again.count_rows() == 101
    finally:
        again.close()


def test_newer_schema_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    store = SqlNodeStorage(db, "run")
    _chain(store, 3, delay=False)
    store.close()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE flowgraph_schema SET version = ?", (SCHEMA_VERSION + 1,))
    before = _dump(db)
    with pytest.raises(SchemaVersionError, match=r"upgrade flowgraph.*Nothing was changed") as info:
        SqlNodeStorage(db, "run")
    assert info.value.found == SCHEMA_VERSION + 1 and str(db) in str(info.value)
    with pytest.raises(SchemaVersionError):
        list_executions(db)
    assert _dump(db) == before


def test_newer_schema_on_postgresql(postgres_url: str) -> None:
    SqlNodeStorage(postgres_url, "run").close()
    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE flowgraph_schema SET version = 99"))
    engine.dispose()
    with pytest.raises(SchemaVersionError, match="version 99"):
        SqlNodeStorage(postgres_url, "run")


def _dump(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        rows: list[tuple[object, ...]] = []
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"):
            rows.extend(conn.execute(f"SELECT * FROM {table}"))
        return rows


def test_damaged_rows_raise_format_errors_naming_the_node(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    store = SqlNodeStorage(db, "run")
    _chain(store, 2, delay=False)
    store.close()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE flowgraph_nodes SET actions = '[{\"kind\": ' WHERE node_id = '3'")
        conn.execute("UPDATE flowgraph_nodes SET kind = 'bogus' WHERE node_id = '2'")
    again = SqlNodeStorage(db, "run")
    try:
        with pytest.raises(FormatError, match="node 3") as info:
            again.get_node("3")
        assert info.value.node_id == "3"
        with pytest.raises(FormatError, match="node 2"):
            list(again.iter_nodes())
    finally:
        again.close()


def test_bad_urls_and_missing_executions_are_typed(tmp_path: Path) -> None:
    with pytest.raises(StorageError):
        SqlNodeStorage("nosuchdriver://x/y", "run")
    for name in ("one", "two"):
        store = SqlNodeStorage(tmp_path / "a.db", name)
        store.save_execution(FlowExecution())
        store.close()
    with pytest.raises(StorageError, match="2 executions"):
        open_sql(f"sqlite:///{tmp_path / 'a.db'}")


def test_a_deep_graph_round_trips_with_one_read_per_node(tmp_path: Path) -> None:
    depth = 10_000
    builder = GraphBuilder()
    for i in range(depth):
        builder.begin_stage(f"s{i}")
    builder.step("sh", script="true")
    for _ in range(depth):
        builder.end_block()
    run = builder.build()
    store = SqlNodeStorage(tmp_path / "deep.db", "deep", durability=Durability.PERFORMANCE_OPTIMIZED)
    for node in run.graph:
        store.store_node(node, delay=True)
    store.save_execution(FlowExecution(heads={1: run.graph.head_ids[0]}, done=True, result=Result.SUCCESS))
    store.close()
    again = SqlNodeStorage(tmp_path / "deep.db", "deep")
    try:
        nodes = list(again.iter_nodes())
        assert again.reads == len(nodes) == len(run.graph) == 4 * depth + 3
        graph = FlowGraph(again)
        graph.validate()
        leaf = next(n for n in nodes if n.function_name == "sh")
        assert len(graph.all_enclosing_ids(leaf)) == 2 * depth + 1
        assert json.loads(json.dumps([n.id for n in nodes]))[-1] == run.graph.head_ids[0]
    finally:
        again.close()


def test_flowgraph_load_opens_sql_urls(db_url: str) -> None:
    import flowgraph
    from flowgraph.recorder import record
    from flowgraph.recorder.examples import greeting_pipeline

    recorded = record(greeting_pipeline, store=f"{db_url}#hello")
    recorded.store.close()
    run = flowgraph.load(f"{db_url}#hello")
    assert run.result is Result.SUCCESS and not run.running
    assert [n.id for n in run.graph] == [n.id for n in recorded.graph]
    assert run.execution.factory == "flowgraph.recorder.examples.greeting_pipeline"
    assert run.graph.head_ids == recorded.graph.head_ids
