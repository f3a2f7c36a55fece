"""The SQL schema of flowgraph's records, its version, and engines tuned per durability.

The tables follow the shape of OpenStack TaskFlow's logbook schema, with Jenkins' model in place of atoms:

* ``flowgraph_executions`` — one row per run: the :class:`~flowgraph.FlowExecution` record
  (heads, starts, scripts, persisted_clean, done, durability, factory and its arguments,
  metadata, created/updated times), TaskFlow's *flow detail*;
* ``flowgraph_nodes`` — the flow nodes of every run, actions as JSON, in creation order (``seq``);
* ``flowgraph_steps`` — one row per recorded step (TaskFlow's *atom detail*): state, version,
  result, failure, the node that ran it, timestamps; written in the same transaction as its node;
* ``flowgraph_schema`` — the schema version. A database written by a newer schema is refused
  with :class:`~flowgraph.errors.SchemaVersionError` before anything is written.

The schema is created on first use, inside one transaction, so concurrent first users are safe.
SQLite runs in WAL mode with ``synchronous`` set by the durability (FULL for
``MAX_SURVIVABILITY``: every commit is fsynced; NORMAL for ``SURVIVABLE_NONATOMIC``; OFF for
``PERFORMANCE_OPTIMIZED``) and takes its write lock when a transaction begins (``BEGIN
IMMEDIATE``), so many writers queue up instead of failing. PostgreSQL turns
``synchronous_commit`` off in the two lower modes.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    inspect,
    select,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from flowgraph.errors import SchemaVersionError, StorageError
from flowgraph.storage.base import Durability

__all__ = [
    "SCHEMA_VERSION",
    "metadata",
    "executions",
    "nodes",
    "steps",
    "leases",
    "schema",
    "make_engine",
    "ensure_schema",
    "ensure_leases",
    "sql_error_text",
]

SCHEMA_VERSION = 1
"""The version of the tables below; bump it (and add a migration) when they change."""

metadata = MetaData()

schema = Table(
    "flowgraph_schema",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("written_by", String(64)),
)

executions = Table(
    "flowgraph_executions",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("name", String(255)),
    Column("created_ms", BigInteger),
    Column("updated_ms", BigInteger),
    Column("persisted_clean", Boolean, nullable=True),
    Column("done", Boolean, nullable=False),
    Column("durability", String(32)),
    Column("factory", String(512)),
    Column("factory_args", Text),
    Column("factory_kwargs", Text),
    Column("heads", Text),
    Column("starts", Text),
    Column("scripts", Text),
    Column("metadata", Text),
    Column("result", String(16)),
    Column("iota", BigInteger),
    Column("record", Text, nullable=False),
)

nodes = Table(
    "flowgraph_nodes",
    metadata,
    Column("execution_id", String(128), primary_key=True),
    Column("node_id", String(64), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("parent_ids", Text, nullable=False),
    Column("start_id", String(64)),
    Column("descriptor_id", String(512)),
    Column("display_name", Text),
    Column("result", String(16)),
    Column("actions", Text, nullable=False),
    Column("updated_ms", BigInteger),
    Index("flowgraph_nodes_seq", "execution_id", "seq"),
)

steps = Table(
    "flowgraph_steps",
    metadata,
    Column("execution_id", String(128), primary_key=True),
    Column("name", String(255), primary_key=True),
    Column("node_id", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("version", String(64)),
    Column("result", Text),
    Column("failure", Text),
    Column("attempt", Integer),
    Column("started_ms", BigInteger),
    Column("finished_ms", BigInteger),
    Column("updated_ms", BigInteger),
)

_SQLITE_SYNC = {
    Durability.MAX_SURVIVABILITY: "FULL",
    Durability.SURVIVABLE_NONATOMIC: "NORMAL",
    Durability.PERFORMANCE_OPTIMIZED: "OFF",
}


def normalize_url(url: str | Path) -> URL:
    """A SQLAlchemy URL: a plain path means a SQLite file; ``postgresql://`` uses psycopg 3 if installed.

    Examples
    --------
    >>> str(normalize_url("/tmp/runs.db"))
    'sqlite:////tmp/runs.db'
    """
    text = str(url)
    if "://" not in text:
        return URL.create("sqlite", database=str(Path(text).resolve()))
    try:
        parsed = make_url(text)
    except ArgumentError as exc:
        raise StorageError(f"not a database URL: {text!r} ({exc})", path=text) from exc
    if parsed.drivername == "postgresql" and importlib.util.find_spec("psycopg") is not None:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str | Path | URL, durability: Durability) -> Engine:
    """An engine for ``url`` whose connections commit as durably as ``durability`` asks."""
    parsed = url if isinstance(url, URL) else normalize_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            engine = create_engine(parsed, connect_args={"timeout": 60.0, "check_same_thread": False})
            _tune_sqlite(engine, _SQLITE_SYNC[durability])
        else:
            engine = create_engine(parsed, pool_pre_ping=False)
            if parsed.get_backend_name() == "postgresql" and durability is not Durability.MAX_SURVIVABILITY:
                _tune_postgres(engine)
    except (SQLAlchemyError, ImportError) as exc:
        where = parsed.render_as_string(hide_password=True)
        raise StorageError(f"cannot open database {where}: {sql_error_text(exc)}", path=where) from exc
    return engine


_BACKGROUND = re.compile(r"\(Background on this error at: [^)]*\)")


def sql_error_text(exc: BaseException) -> str:
    """A database error in the driver's own words: no echoed SQL, parameters or web link.

    SQLAlchemy's text for a failed statement repeats the statement, its parameters (which may
    be large or private) and a link to its documentation; users need the driver's reason.

    Examples
    --------
    >>> from sqlalchemy.exc import OperationalError
    >>> sql_error_text(OperationalError("SELECT 1", {}, Exception("database is locked")))
    'database is locked'
    """
    orig = getattr(exc, "orig", None)
    text = str(orig) if orig is not None else str(exc)
    text = _BACKGROUND.sub("", text).split("[SQL:", 1)[0]
    return " ".join(text.split()) or type(exc).__name__


def _tune_sqlite(engine: Engine, synchronous: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 60000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute(f"PRAGMA synchronous = {synchronous}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _tune_postgres(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("SET synchronous_commit TO off")
        cursor.close()
        dbapi_connection.commit()


leases = Table(
    "flowgraph_leases",
    metadata,
    Column("execution_id", String(128), primary_key=True),
    Column("owner", Text, nullable=False),
)
"""One row per run being recorded or resumed: its owner (host, pid, token), as JSON.

Added after version 1 without changing the other tables: :func:`ensure_leases` creates it in
databases written before it existed, so the schema version stays 1.
"""


def ensure_leases(engine: Engine, where: str) -> None:
    """Create the leases table if this (older) database has none; concurrent callers are safe."""
    for attempt in range(3):
        try:
            with engine.begin() as conn:
                leases.create(conn, checkfirst=True)
            return
        except DBAPIError as exc:
            if attempt == 2:
                raise StorageError(f"cannot create the leases table in {where}: {exc}", path=where) from exc
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot create the leases table in {where}: {exc}", path=where) from exc


def ensure_schema(engine: Engine, where: str) -> int:
    """Create the tables on first use, or check the stored version; return the version found.

    Raises
    ------
    SchemaVersionError
        The database was written by a newer schema; nothing was written.
    StorageError
        The database cannot be reached or read.
    """
    for attempt in range(3):
        try:
            with engine.begin() as conn:
                if inspect(conn).has_table(schema.name):
                    found = conn.execute(select(schema.c.version).where(schema.c.id == 1)).scalar()
                    if found is not None and int(found) > SCHEMA_VERSION:
                        raise SchemaVersionError(int(found), SCHEMA_VERSION, path=where)
                    if found is not None:
                        return int(found)
                metadata.create_all(conn, checkfirst=True)
                conn.execute(schema.insert().values(id=1, version=SCHEMA_VERSION, written_by="flowgraph"))
                return SCHEMA_VERSION
        except SchemaVersionError:
            raise
        except DBAPIError as exc:
            # Two first users racing to create the tables: the loser retries and finds them.
            if attempt == 2:
                raise StorageError(
                    f"cannot create or read the flowgraph schema in {where}: {sql_error_text(exc)}", path=where
                ) from exc
        except SQLAlchemyError as exc:
            raise StorageError(
                f"cannot create or read the flowgraph schema in {where}: {sql_error_text(exc)}", path=where
            ) from exc
    raise AssertionError("unreachable")  # pragma: no cover
