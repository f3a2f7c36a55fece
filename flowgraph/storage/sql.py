"""SQL node storage and execution records, through SQLAlchemy Core (SQLite file or PostgreSQL).

One database holds many runs; a :class:`SqlNodeStorage` is the node storage of one of them
(``execution_id``), with its execution record beside it. Nodes follow the storage contract:
``store_node(delay=True)`` keeps a node in the write cache, :meth:`SqlNodeStorage.flush` writes
every cached node in **one transaction**, and :meth:`SqlNodeStorage.save_execution` writes the
cached nodes *and* the record in one transaction — so the nodes a record names are always
durable no later than the record and a step costs one commit (one fsync
under ``MAX_SURVIVABILITY``). Nodes carrying a :class:`~flowgraph.stepdetail.StepRecordAction`
also update the step-details table in that same transaction.

Choose it for many runs in one place, for concurrent writers (each transaction takes the write
lock and waits its turn; nothing is lost), and for queries over step details.

Examples
--------
>>> import tempfile, os
>>> from flowgraph import FlowExecution, FlowNode, NodeKind
>>> db = os.path.join(tempfile.mkdtemp(), "runs.db")
>>> with SqlNodeStorage(db, "run-1") as store:
...     store.store_node(FlowNode("2", NodeKind.FLOW_START), delay=True)
...     store.save_execution(FlowExecution(heads={1: "2"}, persisted_clean=True))
>>> again = open_sql(f"sqlite:///{db}#run-1")
>>> [n.id for n in again.iter_nodes()], again.load_execution().heads
(['2'], {1: '2'})
>>> again.close()
"""

from __future__ import annotations

import contextlib
import json
import threading
import weakref
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import Connection, Engine, Table, delete, func, select
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from flowgraph.actions import ErrorAction, TimingAction
from flowgraph.clock import system_clock
from flowgraph.errors import FormatError, StorageError
from flowgraph.execution import FlowExecution
from flowgraph.gcpause import gc_paused
from flowgraph.node import FlowNode, NodeKind, _from_storage
from flowgraph.result import Result
from flowgraph.stepdetail import StepRecordAction
from flowgraph.storage.base import Durability, NodeStorage
from flowgraph.storage.sql_codec import (
    decode_actions,
    decode_parents,
    dumps,
    encode_actions,
    encode_parents,
    intern_text,
)
from flowgraph.storage.sql_schema import (
    ensure_schema,
    executions,
    make_engine,
    nodes,
    normalize_url,
    sql_error_text,
    steps,
)

if TYPE_CHECKING:
    from flowgraph.run import Run

__all__ = ["SqlNodeStorage", "StepRow", "open_sql", "load_sql_run", "list_executions", "split_url"]


class StepRow(NamedTuple):
    """One row of the step-details table (TaskFlow's atom detail)."""

    name: str
    node_id: str
    state: str
    version: str | None
    result: Any
    failure: dict[str, Any] | None
    attempt: int | None
    finished_ms: int | None
    updated_ms: int | None


def split_url(url: str | Path) -> tuple[str, str | None]:
    """Split ``url#execution`` into the database URL and the execution id (None when absent).

    Examples
    --------
    >>> split_url("sqlite:///runs.db#build-7")
    ('sqlite:///runs.db', 'build-7')
    """
    text = str(url)
    base, sep, fragment = text.partition("#")
    return base, (fragment if sep and fragment else None)


_UPSERTS: dict[tuple[str, str], str] = {}
_NODE_COLUMNS = (
    "node_id", "seq", "kind", "parent_ids", "start_id", "descriptor_id", "display_name", "result", "actions",
)  # fmt: skip


def _placeholder(conn: Connection) -> str:
    return "?" if conn.dialect.name == "sqlite" else "%s"  # sqlite3 qmark / psycopg positional


def _upsert_sql(dialect: str, table: Table, keys: Sequence[str]) -> str:
    """``INSERT … ON CONFLICT … DO UPDATE`` for ``table`` (the same in SQLite and PostgreSQL), cached."""
    sql = _UPSERTS.get((dialect, table.name))
    if sql is None:
        columns = [c.name for c in table.columns]
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in keys and c != "seq")
        mark = "?" if dialect == "sqlite" else "%s"
        values = ", ".join(mark for _ in columns)
        sql = (
            f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({values}) "
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
        )
        _UPSERTS[(dialect, table.name)] = sql
    return sql


def _send(cursor: Any, sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
    if len(rows) == 1:
        cursor.execute(sql, rows[0])
    elif rows:
        cursor.executemany(sql, rows)


def _upsert(conn: Connection, table: Table, rows: Sequence[tuple[Any, ...]], keys: Sequence[str]) -> None:
    """Insert ``rows`` (tuples in the table's column order) or update the existing ones (matched on
    ``keys``); ``seq`` is never changed.

    The statement is plain SQL (``INSERT … ON CONFLICT … DO UPDATE``, the same in SQLite and
    PostgreSQL) sent straight to the driver's cursor with positional parameters: compiling
    parameters through SQLAlchemy (or even binding them by name) for every row of a bulk save
    costs more than the database does.
    """
    if not rows:
        return
    name = conn.dialect.name
    if name not in ("sqlite", "postgresql"):  # any other database: delete then insert, in one transaction
        columns = [c.name for c in table.columns]
        dicts = [dict(zip(columns, row, strict=True)) for row in rows]
        for row in dicts:
            conn.execute(delete(table).where(*(table.c[k] == row[k] for k in keys)))
        conn.execute(table.insert(), dicts)
        return
    cursor = conn.connection.cursor()
    try:
        _send(cursor, _upsert_sql(name, table, keys), rows)
    finally:
        cursor.close()


def _select_nodes(conn: Connection, one: bool) -> str:
    mark = _placeholder(conn)
    where = f"execution_id = {mark}" + (f" AND node_id = {mark}" if one else "")
    return f"SELECT {', '.join(_NODE_COLUMNS)} FROM flowgraph_nodes WHERE {where} ORDER BY seq"


def _fetch(conn: Connection, sql: str, params: tuple[Any, ...]) -> list[Any]:
    """All rows of a query through the driver's cursor (SQLAlchemy's row objects cost more than the rows)."""
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql, params)
        return list(cursor.fetchall())
    finally:
        cursor.close()


_KINDS = {k.value: k for k in NodeKind}
_RESULTS = {r.name: r for r in Result}


class SqlNodeStorage(NodeStorage):
    """The nodes (and execution record) of one run in a SQL database.

    Parameters
    ----------
    url
        A SQLAlchemy URL (``sqlite:///path.db``, ``postgresql://user@host/db``) or a file path
        (a SQLite file). The schema is created on first use.
    execution_id
        Which run of the database this storage holds.
    durability
        How durably commits are made (SQLite ``synchronous``, PostgreSQL ``synchronous_commit``).
    engine
        An engine to share (it is not disposed by :meth:`close`).
    """

    def __init__(
        self,
        url: str | Path | URL,
        execution_id: str = "default",
        *,
        durability: Durability = Durability.MAX_SURVIVABILITY,
        engine: Engine | None = None,
    ) -> None:
        parsed = url if isinstance(url, URL) else normalize_url(url)
        self.url = parsed.render_as_string(hide_password=True)
        self.execution_id = execution_id
        self.durability = durability
        self._own_engine = engine is None
        self.engine = engine if engine is not None else make_engine(parsed, durability)
        self._dbapi_error: type[BaseException] = _dbapi_error(self.engine)
        self._dialect = self.engine.dialect.name
        self._writer: Any = None  # the driver connection this storage writes through (SQLite, PostgreSQL)
        self._writer_finalizer: weakref.finalize[Any, Any] | None = None
        self._lock = threading.RLock()
        self._pending: dict[str, FlowNode] = {}
        self._durable: set[str] = set()
        self._cache: dict[str, FlowNode] = {}
        self._seq_map: dict[str, int] | None = None  # node id -> creation order; read on first need
        self._next_seq = 1
        self.reads = 0
        self.commits = 0
        try:
            ensure_schema(self.engine, self.url)
        except BaseException:
            if self._own_engine:
                self.engine.dispose()
            raise

    @property
    def _seq(self) -> dict[str, int]:
        """Node id -> creation order of every node of the run (stored or cached).

        Read from the database on first need (one query of ids), or, when the first thing asked
        is every node, from that same query (:meth:`iter_nodes`): opening and reloading a run
        costs one pass over its rows, not two.
        """
        seqs = self._seq_map
        if seqs is None:
            with self._lock:
                if self._seq_map is None:
                    with self._guard("read the node ids of"), self.engine.connect() as conn:
                        mark = _placeholder(conn)
                        query = f"SELECT node_id, seq FROM flowgraph_nodes WHERE execution_id = {mark} ORDER BY seq"
                        self._set_seqs(_fetch(conn, query, (self.execution_id,)))
                seqs = self._seq_map
                assert seqs is not None
        return seqs

    def _set_seqs(self, rows: Sequence[Sequence[Any]]) -> None:
        seqs = {row[0]: row[1] for row in rows}  # TEXT ids and integer seqs, as written
        if self._dialect not in ("sqlite", "postgresql") and any(
            type(k) is not str or type(v) is not int for k, v in seqs.items()
        ):
            seqs = {str(k): int(v) for k, v in seqs.items()}
        self._durable.update(seqs)
        self._next_seq = max(seqs.values(), default=0) + 1
        self._seq_map = seqs

    # -- errors -------------------------------------------------------------------------

    def _guard(self, doing: str) -> _Guard:
        return _Guard(f"cannot {doing} execution {self.execution_id!r} in {self.url}", self.url, self._dbapi_error)

    # -- reading ------------------------------------------------------------------------

    def get_node(self, node_id: str) -> FlowNode | None:
        self.reads += 1
        with self._lock:
            node = self._pending.get(node_id) or self._cache.get(node_id)
            if node is not None or node_id not in self._seq:
                return node
            with self._guard(f"read node {node_id} of"), self.engine.connect() as conn:
                rows = _fetch(conn, _select_nodes(conn, True), (self.execution_id, node_id))
            if not rows:
                return None
            node = self._decode(rows[0])
            self._cache[node_id] = node
            return node

    def _decode(self, row: Any) -> FlowNode:
        """A node from a row of ``_NODE_COLUMNS``."""
        return self._decode_rows([row], {})[0]

    def _decode_rows(self, rows: list[Any], skip: Mapping[str, object]) -> list[FlowNode]:
        """Nodes from rows of ``_NODE_COLUMNS`` (those in ``skip`` left out), cached; one loop, no per-row calls
        beyond the codec's."""
        cache = self._cache
        kinds, results = _KINDS, _RESULTS
        out: list[FlowNode] = []
        node_id = ""
        try:
            for node_id, _seq, kind, parents, start_id, descriptor, display_name, result, actions in rows:
                if node_id in skip:
                    continue
                node = cache.get(node_id)
                if node is None:
                    node = _from_storage(
                        node_id if type(node_id) is str else str(node_id),
                        kinds[kind],
                        decode_parents(parents),
                        start_id,
                        intern_text(descriptor) if descriptor is not None else None,
                        decode_actions(actions),
                        display_name,
                        (results.get(result) or Result.parse(result)) if result else None,
                    )
                    cache[node_id] = node
                out.append(node)
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError, FormatError) as exc:
            raise FormatError(
                f"node {node_id} of execution {self.execution_id!r} in {self.url} cannot be read: {exc}",
                path=self.url,
                node_id=str(node_id),
            ) from exc
        return out

    def node_ids(self) -> Iterator[str]:
        with self._lock:
            return iter(sorted(self._seq, key=self._seq.__getitem__))

    def iter_nodes(self) -> Iterator[FlowNode]:
        """Every node in creation order: one query, streamed (pending nodes come from the cache)."""
        with self._lock:
            if self._seq_map is None:  # nothing read or written yet: one query gives the ids and the nodes
                with gc_paused(), self._guard("read the nodes of"), self.engine.connect() as conn:
                    rows = _fetch(conn, _select_nodes(conn, False), (self.execution_id,))
                    self._set_seqs(rows)
                    out = self._decode_rows(rows, {})
                self.reads += len(out)
                return iter(out)
            if len(self._cache) >= len(self._seq):  # everything already read or written here
                self.reads += len(self._seq)
                return iter([self._cache[i] for i in sorted(self._seq, key=self._seq.__getitem__)])
            pending = dict(self._pending)
            stored = [i for i in self._seq if i not in pending]
        if stored:
            with self._guard("read the nodes of"), self.engine.connect() as conn:
                rows = _fetch(conn, _select_nodes(conn, False), (self.execution_id,))
        else:
            rows = []
        with gc_paused():
            out = self._decode_rows(rows, pending)  # rows come in seq order
        self.reads += len(out)
        if not pending:
            return iter(out)
        seq = self._seq
        merged = [(seq[n.id], n) for n in out] + [(seq[i], n) for i, n in pending.items()]
        merged.sort(key=lambda item: item[0])
        return iter([node for _, node in merged])

    def __len__(self) -> int:
        return len(self._seq)

    def __contains__(self, node_id: object) -> bool:
        return isinstance(node_id, str) and node_id in self._seq

    def is_persisted_fully(self) -> bool:
        return not self._pending

    # -- writing ------------------------------------------------------------------------

    def store_node(self, node: FlowNode, *, delay: bool = False) -> None:
        """Keep the node in the write cache; it is encoded and written by the next flush."""
        with self._lock:
            if node.id not in self._seq:
                self._seq[node.id] = self._next_seq
                self._next_seq += 1
            self._pending[node.id] = node
            self._cache[node.id] = node
            if not delay:
                self._write(None)

    def flush(self) -> None:
        with self._lock:
            if self._pending:
                self._write(None)

    def save_execution(self, execution: FlowExecution) -> None:
        """Write the cached nodes and the execution record in one transaction (rule 2 for free)."""
        with self._lock:
            execution.id = self.execution_id
            self._write(execution)

    def _write(self, execution: FlowExecution | None) -> None:
        order = sorted(self._pending, key=self._seq.__getitem__)
        now = system_clock()
        node_rows: list[tuple[Any, ...]] = []
        step_rows: list[tuple[Any, ...]] = []
        for node_id in order:
            node = self._pending[node_id]
            try:
                node_rows.append(self._encode(node, now))
                step = self._step_row(node, now)
            except StorageError:
                # Refuse this node (never written), keep the others pending.
                del self._pending[node_id]
                if node_id not in self._durable:
                    del self._seq[node_id]
                    self._cache.pop(node_id, None)
                raise
            if step is not None:
                step_rows.append(step)
        record = None
        if execution is not None:
            row = self._execution_row(execution)
            record = tuple(row[c.name] for c in executions.columns)
        with self._guard("write"):
            if self._dialect in ("sqlite", "postgresql"):
                self._commit_direct(node_rows, step_rows, record)
            else:
                with self.engine.begin() as conn:
                    _upsert(conn, nodes, node_rows, ("execution_id", "node_id"))
                    _upsert(conn, steps, step_rows, ("execution_id", "name"))
                    if record is not None:
                        _upsert(conn, executions, [record], ("id",))
        self.commits += 1
        self._durable.update(order)
        self._pending.clear()

    def _commit_direct(
        self, node_rows: list[tuple[Any, ...]], step_rows: list[tuple[Any, ...]], record: tuple[Any, ...] | None
    ) -> None:
        """One transaction on this storage's own driver connection (SQLite, PostgreSQL).

        A step costs one commit; checking a connection out of the pool and through SQLAlchemy's
        transaction machinery for it cost more than the statements. The connection is kept for
        this storage's writes (under its lock), taken from the engine (so it has the engine's
        per-durability settings) and detached from the pool; :meth:`close` closes it.
        """
        raw = self._writer
        if raw is None:
            proxied = self.engine.raw_connection()
            raw = self._writer = proxied.driver_connection
            proxied.detach()  # ours alone: the pool neither reuses nor warns about it
            self._writer_finalizer = weakref.finalize(self, proxied.close)  # closes the driver connection
        dialect = self._dialect
        cursor = raw.cursor()
        try:
            if dialect == "sqlite":
                cursor.execute("BEGIN IMMEDIATE")  # take the write lock now: concurrent writers queue up
            _send(cursor, _upsert_sql(dialect, nodes, ("execution_id", "node_id")), node_rows)
            _send(cursor, _upsert_sql(dialect, steps, ("execution_id", "name")), step_rows)
            if record is not None:
                _send(cursor, _upsert_sql(dialect, executions, ("id",)), [record])
            raw.commit()
        except BaseException:
            try:
                raw.rollback()
            except Exception:  # a broken connection: drop it, the next write opens another
                self._drop_writer()
            raise
        finally:
            with contextlib.suppress(Exception):
                cursor.close()

    def _drop_writer(self) -> None:
        finalizer = self._writer_finalizer
        self._writer = self._writer_finalizer = None
        if finalizer is not None:
            with contextlib.suppress(Exception):
                finalizer()

    def _dumps(self, value: Any, node_id: str | None, what: str) -> str:
        try:
            return dumps(value)
        except (TypeError, ValueError) as exc:
            where = f"node {node_id}" if node_id is not None else f"execution {self.execution_id!r}"
            raise StorageError(
                f"{where}: its {what} cannot be stored as JSON ({exc}); use JSON values (str, numbers, lists, dicts)",
                path=self.url,
                node_id=node_id,
            ) from exc

    def _encode(self, node: FlowNode, now: int) -> tuple[Any, ...]:
        """The node's row, in the column order of the nodes table."""
        result = node.result
        return (
            self.execution_id,
            node.id,
            self._seq[node.id],
            node.kind.value,
            encode_parents(node),
            node.start_id,
            node.descriptor_id,
            node._display_name,
            result.name if result is not None else None,
            encode_actions(node.actions, node.id, self.url),
            now,
        )

    def _step_row(self, node: FlowNode, now: int) -> tuple[Any, ...] | None:
        """The step-details row of a recorded step's node (None for other nodes), in column order."""
        record: StepRecordAction | None = None
        start: TimingAction | None = None
        error: ErrorAction | None = None
        for action in node.actions:  # one pass for the three actions a step row needs (first of each)
            if isinstance(action, StepRecordAction):
                record = action if record is None else record
            elif isinstance(action, TimingAction):
                start = action if start is None else start
            elif isinstance(action, ErrorAction):
                error = action if error is None else error
        if record is None:
            return None
        return (
            self.execution_id,
            record.name,
            node.id,
            record.state.value,
            record.version,
            self._dumps(record.result, node.id, "step result"),
            self._dumps(error.to_dict(), node.id, "failure") if error is not None else None,
            record.attempt,
            start.start_ms if start is not None else None,
            record.finished_ms,
            now,
        )

    def _execution_row(self, ex: FlowExecution) -> dict[str, Any]:
        if ex.created_ms is None or ex.updated_ms is None:
            ex.touch()
        data = ex.to_dict()
        dumps = self._dumps
        return {
            "id": self.execution_id,
            "name": ex.name,
            "created_ms": ex.created_ms,
            "updated_ms": ex.updated_ms,
            "persisted_clean": ex.persisted_clean,
            "done": ex.done,
            "durability": data["durability"],
            "factory": ex.factory,
            "factory_args": dumps(data["factory_args"], None, "factory arguments"),
            "factory_kwargs": dumps(data["factory_kwargs"], None, "factory arguments"),
            "heads": dumps(data["heads"], None, "heads"),
            "starts": dumps(data["starts"], None, "starts"),
            "scripts": dumps(ex.scripts, None, "scripts"),
            "metadata": dumps(data["metadata"], None, "metadata"),
            "result": data["result"],
            "iota": ex.iota,
            "record": dumps(data, None, "record"),
        }

    # -- execution records and step details ---------------------------------------------

    def load_execution(self) -> FlowExecution | None:
        """The saved execution record of this run, or None when none was saved."""
        with self._guard("read the record of"), self.engine.connect() as conn:
            row = conn.execute(select(executions.c.record).where(executions.c.id == self.execution_id)).first()
        if row is None:
            return None
        try:
            return FlowExecution.from_dict(json.loads(row[0]))
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError, FormatError) as exc:
            raise FormatError(
                f"the record of execution {self.execution_id!r} in {self.url} cannot be read: {exc}", path=self.url
            ) from exc

    def step_rows(self) -> dict[str, StepRow]:
        """The step-details table for this run, by step name."""
        with self._guard("read the steps of"), self.engine.connect() as conn:
            rows = conn.execute(select(steps).where(steps.c.execution_id == self.execution_id)).mappings().all()
        out: dict[str, StepRow] = {}
        for r in rows:
            try:
                result = json.loads(r["result"]) if r["result"] is not None else None
                failure = json.loads(r["failure"]) if r["failure"] is not None else None
            except (ValueError, TypeError, RecursionError) as exc:
                raise FormatError(
                    f"step {r['name']!r} of execution {self.execution_id!r} in {self.url} cannot be read: {exc}",
                    path=self.url,
                ) from exc
            out[r["name"]] = StepRow(
                r["name"], r["node_id"], r["state"], r["version"], result, failure,
                r["attempt"], r["finished_ms"], r["updated_ms"],
            )  # fmt: skip
        return out

    def count_rows(self) -> int:
        """Nodes of this run actually in the database (not counting the write cache)."""
        with self._guard("count the nodes of"), self.engine.connect() as conn:
            query = select(func.count()).select_from(nodes).where(nodes.c.execution_id == self.execution_id)
            return int(conn.execute(query).scalar_one())

    def close(self) -> None:
        """Flush the write cache and release the engine (when this storage made it)."""
        try:
            self.flush()
        finally:
            self._drop_writer()
            if self._own_engine:
                self.engine.dispose()

    def __repr__(self) -> str:
        return f"SqlNodeStorage({self.url!r}, {self.execution_id!r}, {len(self)} nodes)"


def _dbapi_error(engine: Engine) -> type[BaseException]:
    """The driver's base error class (statements sent to its cursor raise it, not SQLAlchemy's)."""
    dbapi = getattr(engine.dialect, "loaded_dbapi", None) or engine.dialect.dbapi
    error = getattr(dbapi, "Error", None)
    return error if isinstance(error, type) and issubclass(error, BaseException) else SQLAlchemyError


class _Guard:
    """Turns SQLAlchemy's (and the driver's) errors into StorageError naming the run and the database."""

    __slots__ = ("dbapi_error", "message", "path")

    def __init__(self, message: str, path: str, dbapi_error: type[BaseException] = SQLAlchemyError) -> None:
        self.message = message
        self.path = path
        self.dbapi_error = dbapi_error

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if isinstance(exc, (SQLAlchemyError, self.dbapi_error)):
            raise StorageError(f"{self.message}: {sql_error_text(exc)}", path=self.path) from exc


def list_executions(url: str | Path, *, engine: Engine | None = None) -> list[FlowExecution]:
    """Every execution record in a database, oldest first.

    Examples
    --------
    >>> import tempfile, os
    >>> db = os.path.join(tempfile.mkdtemp(), "runs.db")
    >>> list_executions(db)
    []
    """
    parsed = normalize_url(url)
    own = engine is None
    eng = engine if engine is not None else make_engine(parsed, Durability.MAX_SURVIVABILITY)
    where = parsed.render_as_string(hide_password=True)
    try:
        ensure_schema(eng, where)
        with _Guard(f"cannot list the executions in {where}", where), eng.connect() as conn:
            query = select(executions.c.record).order_by(executions.c.created_ms, executions.c.id)
            return [_execution_from_row(r[0], where) for r in conn.execute(query)]
    finally:
        if own:
            eng.dispose()


def _execution_from_row(text: str, where: str) -> FlowExecution:
    try:
        return FlowExecution.from_dict(json.loads(text))
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError, FormatError) as exc:
        raise FormatError(f"an execution record in {where} cannot be read: {exc}", path=where) from exc


def open_sql(url: str | Path, *, durability: Durability | None = None) -> SqlNodeStorage:
    """Open the storage of one run from ``<database url>#<execution id>``.

    Without a fragment, the database must hold exactly one execution (else a typed error lists
    them). ``durability`` defaults to the one the record was saved with.
    """
    base, execution_id = split_url(url)
    if execution_id is None:
        found = list_executions(base)
        if len(found) != 1:
            names = ", ".join(str(e.id) for e in found) or "none"
            raise StorageError(
                f"{base} holds {len(found)} executions ({names}); add #<execution id> to the URL", path=base
            )
        execution_id = str(found[0].id)
    store = SqlNodeStorage(base, execution_id, durability=durability or Durability.MAX_SURVIVABILITY)
    if durability is None:
        record = store.load_execution()
        if record is not None and record.durability is not None and record.durability is not store.durability:
            store.close()
            store = SqlNodeStorage(base, execution_id, durability=record.durability)
    return store


def load_sql_run(url: str | Path, **options: Any) -> Run:
    """The run at ``<database url>#<execution id>`` as a :class:`~flowgraph.Run` (what ``flowgraph.load`` returns).

    The nodes are read in one query and kept; the connection pool is released afterwards.
    """
    from flowgraph.graph import FlowGraph
    from flowgraph.run import Run

    store = open_sql(url, durability=options.get("durability"))
    try:
        ex = store.load_execution()
        store.iter_nodes()  # one query: every node cached
        graph = FlowGraph(store, heads=ex.head_ids if ex is not None and ex.heads else None)
        graph.validate()
    finally:
        store.engine.dispose()
    done = ex is not None and ex.done
    duration = (ex.updated_ms or 0) - (ex.created_ms or 0) if ex is not None and done else None
    return Run(
        graph,
        result=ex.result if ex is not None and done else None,
        start_ms=ex.created_ms if ex is not None else None,
        duration_ms=duration,
        running=not done,
        name=ex.name if ex is not None else None,
        execution=ex,
        metadata={"storage": "SqlNodeStorage", "url": store.url, "execution_id": store.execution_id},
    )
