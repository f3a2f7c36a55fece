"""The run-store contract, run against every backend: memory, per-node XML, bulk XML, SQLite, PostgreSQL.

Each backend faces the same tests (as TaskFlow's persistence backends do): the write cache and
flush, every durability mode, records that never name unflushed nodes, the lease (one owner,
a typed error naming the other, takeover only when the owner is provably gone), missing ids,
and round trips through ``open_store`` / ``flowgraph.load``. PostgreSQL is a real server
started by ``tests/conftest.py``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import flowgraph
from flowgraph import (
    Durability,
    FlowExecution,
    FlowNode,
    NodeKind,
    NodeStorage,
    Result,
    RunLeaseError,
    RunNotFoundError,
    RunStore,
    StorageError,
    TimingAction,
    UnknownSchemeError,
    WarningAction,
    load,
    open_store,
)
from flowgraph.errors import NotResumableError
from flowgraph.recorder import record, resume
from flowgraph.recorder.examples import noop_pipeline
from flowgraph.storage.lease import LeaseOwner
from flowgraph.storage.registry import known_schemes, register_store, scheme_of

ROOT = Path(__file__).resolve().parents[1]
RUN_STORES = ["memory", "xml", "sqlite", "postgresql"]
NODE_STORAGES = ["memory", "xml", "bulk", "sqlite", "postgresql"]


@pytest.fixture
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str, str], str]:
    """``target(kind, run_id)``: a URL or path naming run ``run_id`` in a fresh store of that kind."""
    counter = iter(range(10**6))

    def make(kind: str, run_id: str = "run-1") -> str:
        if kind == "memory":
            return f"memory://{request.node.name}-{run_id}-{next(counter)}"
        if kind == "xml":
            return str(tmp_path / "jobs" / run_id / "builds" / "1")
        if kind == "sqlite":
            return f"sqlite:///{tmp_path}/runs.db#{run_id}"
        if kind == "postgresql":
            return f"{request.getfixturevalue('postgres_url')}#{run_id}"
        raise AssertionError(kind)

    return make


def _node_storage(kind: str, request: pytest.FixtureRequest, tmp_path: Path, durability: Durability) -> NodeStorage:
    from flowgraph.storage import BulkXmlNodeStorage, MemoryNodeStorage, SqlNodeStorage, XmlDirNodeStorage

    if kind == "memory":
        return MemoryNodeStorage()
    if kind == "xml":
        return XmlDirNodeStorage(tmp_path / "workflow", durability=durability)
    if kind == "bulk":
        return BulkXmlNodeStorage(tmp_path / "flowNodeStore.xml", durability=durability)
    if kind == "sqlite":
        return SqlNodeStorage(f"sqlite:///{tmp_path}/nodes.db", "run", durability=durability)
    return SqlNodeStorage(request.getfixturevalue("postgres_url"), "run", durability=durability)


def _reopen(kind: str, storage: NodeStorage, tmp_path: Path) -> NodeStorage:
    """A second storage over the same place, as another process would open it."""
    from flowgraph.storage import BulkXmlNodeStorage, SqlNodeStorage, XmlDirNodeStorage

    if isinstance(storage, XmlDirNodeStorage):
        return XmlDirNodeStorage(storage.directory)
    if isinstance(storage, BulkXmlNodeStorage):
        return BulkXmlNodeStorage(tmp_path / "flowNodeStore.xml")
    if isinstance(storage, SqlNodeStorage):
        return SqlNodeStorage(storage.engine.url, "run")
    return storage


# -- node storages: write cache, flush, durability modes ------------------------------------


@pytest.mark.parametrize("durability", list(Durability))
@pytest.mark.parametrize("kind", NODE_STORAGES)
def test_delayed_writes_are_pending_until_flush_and_then_durable(
    kind: str, durability: Durability, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    store = _node_storage(kind, request, tmp_path, durability)
    store.store_node(FlowNode("2", NodeKind.FLOW_START, actions=[TimingAction(5)]), delay=True)
    node = FlowNode("3", NodeKind.ATOM, ["2"], actions=[TimingAction(7)])
    store.store_node(node, delay=True)
    assert not store.is_persisted_fully()
    assert store.get_node("3") == node  # readable before it is durable
    store.flush()
    assert store.is_persisted_fully()
    node.add_action(WarningAction(Result.UNSTABLE, "flaky"))
    store.store_node(node, delay=False)  # stored again after an action was added
    store.store_node(FlowNode("4", NodeKind.ATOM, ["3"]), delay=True)
    store.flush()
    again = _reopen(kind, store, tmp_path)
    assert list(again.node_ids()) == ["2", "3", "4"] and len(again) == 3
    assert again.get_node("3") == node
    assert again.get_node("3").get_action(WarningAction) == WarningAction(Result.UNSTABLE, "flaky")  # type: ignore[union-attr]
    assert again.get_node("9") is None and "9" not in again
    store.close()
    again.close()


# -- run stores: records, atomicity, round trips --------------------------------------------


@pytest.mark.parametrize("kind", RUN_STORES)
def test_a_record_never_names_a_node_that_was_not_flushed(kind: str, target: Callable[[str, str], str]) -> None:
    url = target(kind, "atomic")
    store = open_store(url, create=True)
    store.acquire_lease()
    store.storage.store_node(FlowNode("2", NodeKind.FLOW_START, actions=[TimingAction(1)]), delay=True)
    store.storage.store_node(FlowNode("3", NodeKind.ATOM, ["2"], actions=[TimingAction(2)]), delay=True)
    ex = FlowExecution(heads={1: "3"}, persisted_clean=True, durability=Durability.MAX_SURVIVABILITY, id="atomic")
    store.save_execution(ex)
    assert store.storage.is_persisted_fully()  # saving the record flushed the nodes first
    store.release_lease()
    again = open_store(url) if kind != "memory" else store
    found = again.load_execution()
    assert found is not None and found.head_ids == ["3"]
    assert {n.id for n in again.storage.iter_nodes()} == {"2", "3"}
    store.close()
    again.close()


@pytest.mark.parametrize("kind", RUN_STORES)
def test_a_recorded_run_round_trips_through_open_store_and_load(kind: str, target: Callable[[str, str], str]) -> None:
    url = target(kind, "trip")
    done = record(noop_pipeline, kwargs={"n": 4}, store=url)
    done.store.close()
    assert done.result is Result.SUCCESS
    run = load(url)
    assert run.result is Result.SUCCESS and not run.running
    assert [n.id for n in run.graph] == [n.id for n in done.graph]
    assert [n.display_name for n in run.graph] == [n.display_name for n in done.graph]
    with pytest.raises(NotResumableError, match="done"):
        resume(url)


def test_bulk_xml_round_trips_and_is_read_only(tmp_path: Path) -> None:
    from flowgraph.jenkins.runs import save_run
    from flowgraph.storage.run_store import NodesRunStore

    done = record(noop_pipeline, kwargs={"n": 3})
    bulk_dir = tmp_path / "bulk"
    bulk_dir.mkdir()
    from flowgraph.storage import BulkXmlNodeStorage

    storage = BulkXmlNodeStorage(bulk_dir / "flowNodeStore.xml")
    for node in done.graph:
        storage.store_node(node, delay=True)
    storage.close()
    store = open_store(str(bulk_dir / "flowNodeStore.xml"))
    assert isinstance(store, NodesRunStore)
    assert [n.id for n in store.load_run().graph] == [n.id for n in done.graph]
    for refused in (store.acquire_lease, store.discard_nodes):
        with pytest.raises(StorageError, match="read-only"):
            refused()
    save_run(done.run, tmp_path / "build")  # the build-directory form of the same run
    assert [n.id for n in load(tmp_path / "build").graph] == [n.id for n in done.graph]


# -- the lease ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", RUN_STORES)
def test_one_owner_at_a_time_and_the_loser_is_told_who(kind: str, target: Callable[[str, str], str]) -> None:
    url = target(kind, "leased")
    first = open_store(url, create=True)
    second = open_store(url, create=True)  # memory: the same named store, asked a second time
    first.acquire_lease()
    with pytest.raises(RunLeaseError) as caught:
        second.acquire_lease()
    assert f"pid {os.getpid()} on host {socket.gethostname()}" in str(caught.value)
    with pytest.raises(RunLeaseError):  # recording into an id another owner holds: the same
        record(noop_pipeline, kwargs={"n": 1}, store=url)
    first.release_lease()
    second.acquire_lease()  # free again once released
    second.close()
    first.close()


def _dead_owner() -> LeaseOwner:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return LeaseOwner(socket.gethostname(), proc.pid, "dead", 0)


@pytest.mark.parametrize("kind", ["xml", "sqlite", "postgresql"])
def test_a_lease_left_by_a_killed_owner_is_taken_over(kind: str, target: Callable[[str, str], str]) -> None:
    url = target(kind, "stale")
    first = open_store(url, create=True)
    first.save_execution(FlowExecution(id="stale"))
    first.close()
    code = (
        "import os, signal, sys; from flowgraph import open_store; s = open_store(sys.argv[1], create=True); "
        "s.acquire_lease(); print('held', flush=True); os.kill(os.getpid(), signal.SIGKILL)"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", code, url], env=env, capture_output=True, text=True, check=False)
    assert proc.stdout.strip() == "held" and proc.returncode == -signal.SIGKILL
    store = open_store(url, create=True)
    store.acquire_lease()  # its owner is provably gone (this host, process dead)
    store.close()


@pytest.mark.parametrize("kind", ["xml", "sqlite", "postgresql"])
def test_a_lease_naming_another_host_is_never_taken_over(kind: str, target: Callable[[str, str], str]) -> None:
    url = target(kind, "foreign")
    store = open_store(url, create=True)
    store.save_execution(FlowExecution(id="foreign"))
    foreign = LeaseOwner("build-agent-elsewhere", 1, "x", 0)
    if kind == "xml":
        Path(url, "flowgraph.lock").write_text(foreign.to_json())
    else:
        from flowgraph.storage.sql_schema import ensure_leases, leases

        engine = store.storage.engine  # type: ignore[attr-defined]
        ensure_leases(engine, url)
        with engine.begin() as conn:
            conn.execute(leases.insert().values(execution_id="foreign", owner=foreign.to_json()))
    with pytest.raises(RunLeaseError, match="pid 1 on host build-agent-elsewhere"):
        store.acquire_lease()
    store.close()


def test_a_dead_owner_on_this_host_is_gone_and_a_live_one_is_not() -> None:
    assert _dead_owner().is_gone()
    assert not LeaseOwner.mine().is_gone()
    assert not LeaseOwner("elsewhere", _dead_owner().pid, "t", 0).is_gone()


# -- missing ids, unknown schemes, reads that create nothing --------------------------------


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_missing_run_id_is_a_typed_error_listing_the_nearest(kind: str, target: Callable[[str, str], str]) -> None:
    for run_id in ("build-17", "deploy-3"):
        record(noop_pipeline, kwargs={"n": 1}, store=target(kind, run_id)).store.close()
    with pytest.raises(RunNotFoundError) as caught:
        load(target(kind, "biuld-17"))
    assert caught.value.nearest[0] == "build-17" and "build-17" in str(caught.value)
    assert isinstance(caught.value, StorageError) and isinstance(caught.value, LookupError)


def test_reads_never_create_a_database_file_or_directory(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    with pytest.raises(RunNotFoundError, match="no such database file"):
        load(f"sqlite:///{db}#typo")
    with pytest.raises(RunNotFoundError):
        load(str(db))
    with pytest.raises(StorageError, match="no such file"):
        load(tmp_path / "no-build")
    with pytest.raises(NotResumableError, match="no execution record"):
        resume(f"sqlite:///{db}#typo")
    with pytest.raises(RunNotFoundError):
        load("memory://never-made")
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_scheme_is_an_error_listing_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(UnknownSchemeError) as caught:
        open_store("s3://bucket/x", create=True)
    assert caught.value.scheme == "s3"
    for scheme in ("memory", "sqlite", "postgresql"):
        assert scheme in caught.value.known and scheme in str(caught.value)
    with pytest.raises(UnknownSchemeError):
        record(noop_pipeline, store="s3://bucket/x")
    assert {"memory", "sqlite", "postgresql", ".db"} <= set(known_schemes())


def test_cli_import_into_an_unknown_scheme_fails_and_writes_nothing(tmp_path: Path) -> None:
    from flowgraph.jenkins.runs import save_run

    save_run(record(noop_pipeline, kwargs={"n": 1}).run, tmp_path / "src")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for args in (["import", str(tmp_path / "src"), "s3://bucket/x"], ["info", f"sqlite:///{tmp_path}/r.db#typo"]):
        done = subprocess.run([sys.executable, "-m", "render", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, check=False)  # fmt: skip
        assert done.returncode == 1, (args, done.stdout, done.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]  # no ./s3:/bucket, no r.db


def test_backends_register_by_name_and_by_entry_point(tmp_path: Path) -> None:
    from flowgraph.storage.run_store import MemoryRunStore

    made: list[str] = []

    def factory(url: str, options: object) -> RunStore:
        made.append(url)
        return MemoryRunStore()

    register_store("demo", factory)
    assert scheme_of("demo://x") == "demo" and isinstance(open_store("demo://x"), MemoryRunStore)
    assert made == ["demo://x"]
    # render's .json store comes in by the 'flowgraph.stores' entry point declared in pyproject.toml
    from importlib.metadata import entry_points

    assert ".json" in {p.name for p in entry_points(group="flowgraph.stores")}


# -- an early kill (after the first node file, before build.xml) is no dead end -------------


@pytest.mark.parametrize("kind", RUN_STORES)
def test_record_starts_over_a_run_killed_before_its_first_record(kind: str, target: Callable[[str, str], str]) -> None:
    url = target(kind, "early")
    store = open_store(url, create=True)
    store.storage.store_node(FlowNode("2", NodeKind.FLOW_START, actions=[TimingAction(1)]))  # then "killed"
    store.close()
    if kind != "memory":
        with pytest.raises(NotResumableError, match="record it again"):
            resume(url)
    done = record(noop_pipeline, kwargs={"n": 2}, store=url)
    done.store.close()
    assert done.result is Result.SUCCESS and load(url).result is Result.SUCCESS


def test_the_lease_record_is_json_naming_host_and_pid(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "b"), create=True)
    store.acquire_lease()
    data = json.loads((tmp_path / "b" / "flowgraph.lock").read_text())
    assert data["pid"] == os.getpid() and data["host"] == socket.gethostname()
    store.release_lease()
    assert not (tmp_path / "b" / "flowgraph.lock").exists()
    assert flowgraph.RunLeaseError is RunLeaseError


def test_a_finished_sqlite_recording_leaves_no_connection_open(tmp_path: Path) -> None:
    """SQLite removes ``-wal``/``-shm`` when its last connection closes; giving up the lease after
    the storage closed must not leave a pooled connection (and an unmerged WAL) behind."""
    record(noop_pipeline, kwargs={"n": 3}, store=f"sqlite:///{tmp_path}/runs.db#r1")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("runs.db")) == ["runs.db", "runs.db.logs"]
