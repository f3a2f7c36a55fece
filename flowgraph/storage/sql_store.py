"""The SQL run store: one run of a SQLite file or PostgreSQL database, with a row lease.

Nodes, step details and the record of a run share one database (see
:mod:`flowgraph.storage.sql`); each save is one transaction. The lease is a row of
``flowgraph_leases`` inserted in a transaction of its own: SQLite serialises it with ``BEGIN
IMMEDIATE``, PostgreSQL with the primary key (the second insert fails and reads the first owner).

Opening for reading (``create=False``) never creates a database file, and a run id the database
does not hold is a :class:`~flowgraph.errors.RunNotFoundError` listing the nearest ids.

Examples
--------
>>> import os, tempfile
>>> db = os.path.join(tempfile.mkdtemp(), "runs.db")
>>> store = SqlRunStore(db, "build-1", create=True)
>>> store.acquire_lease(); store.load_execution() is None
True
>>> store.close()
>>> SqlRunStore(db, "biuld-1", create=False)
Traceback (most recent call last):
...
flowgraph.errors.RunNotFoundError: ...: no run 'biuld-1' here (0 runs stored)
"""

from __future__ import annotations

import difflib
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select, union
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from flowgraph.errors import RunLeaseError, RunNotFoundError, StorageError
from flowgraph.execution import FlowExecution
from flowgraph.storage.base import Durability
from flowgraph.storage.lease import LeaseOwner
from flowgraph.storage.paths import inside, is_plain_name
from flowgraph.storage.run_store import RunStore, run_from_store
from flowgraph.storage.sql import SqlNodeStorage, split_url
from flowgraph.storage.sql_schema import ensure_leases, executions, leases, nodes, normalize_url, steps

if TYPE_CHECKING:
    from flowgraph.run import Run

__all__ = ["SqlRunStore", "stored_run_ids"]


def stored_run_ids(storage: SqlNodeStorage) -> list[str]:
    """Every run id the storage's database holds (with a record or with nodes only)."""
    query = union(select(executions.c.id), select(nodes.c.execution_id).distinct())
    try:
        with storage.engine.connect() as conn:
            return sorted(str(row[0]) for row in conn.execute(query))
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot list the runs in {storage.url}: {exc}", path=storage.url) from exc


class SqlRunStore(RunStore):
    """One run of a SQL database: nodes, step details and record, each save one transaction."""

    execution_id: str

    def __init__(
        self,
        url: str | Path,
        execution_id: str | None = None,
        *,
        durability: Durability | None = None,
        create: bool = True,
    ) -> None:
        base, fragment = split_url(url)
        parsed = normalize_url(base)
        database = parsed.database
        is_sqlite = parsed.get_backend_name() == "sqlite"
        wanted = execution_id or fragment
        if is_sqlite and not create and database and database != ":memory:" and not Path(database).is_file():
            raise RunNotFoundError(database, wanted or "", detail="no such database file; nothing was created")
        if wanted is None and not create:
            wanted = self._only_run(base, durability)
        self.execution_id = wanted or uuid.uuid4().hex
        if is_sqlite and database:
            # The id becomes a directory: "team/app#5" nests; "../../x" is refused before anything is
            # opened when recording, and a run read under such an id simply has no log directory.
            parts = self.execution_id.split("/")
            if create:
                source = f"{base}#{self.execution_id}"
                self.log_dir = inside(Path(f"{database}.logs"), *parts, what="execution id", source=source)
            elif all(is_plain_name(part) for part in parts):
                self.log_dir = Path(f"{database}.logs").joinpath(*parts)
        self.storage: SqlNodeStorage = SqlNodeStorage(
            parsed, self.execution_id, durability=durability or Durability.MAX_SURVIVABILITY
        )
        self.url = f"{self.storage.url}#{self.execution_id}"
        self._mine: LeaseOwner | None = None
        self._leases_ready = False
        if create:
            return
        try:
            record = self.storage.load_execution()
            if record is None and self.storage.count_rows() == 0:
                ids = stored_run_ids(self.storage)
                nearest = difflib.get_close_matches(self.execution_id, ids, n=5, cutoff=0.5) or ids[:5]
                raise RunNotFoundError(self.storage.url, self.execution_id, nearest, count=len(ids))
            if durability is None and record is not None and record.durability not in (None, self.storage.durability):
                self.storage.close()
                self.storage = SqlNodeStorage(parsed, self.execution_id, durability=record.durability)
        except BaseException:
            self.storage.engine.dispose()
            raise

    @staticmethod
    def _only_run(base: str, durability: Durability | None) -> str:
        probe = SqlNodeStorage(base, "", durability=durability or Durability.MAX_SURVIVABILITY)
        try:
            ids = stored_run_ids(probe)
        finally:
            probe.engine.dispose()
        if len(ids) != 1:
            names = ", ".join(ids[:10]) or "none"
            raise StorageError(f"{probe.url} holds {len(ids)} runs ({names}); add #<run id> to the URL", path=base)
        return ids[0]

    def load_execution(self) -> FlowExecution | None:
        return self.storage.load_execution()

    def save_execution(self, execution: FlowExecution) -> None:
        self.storage.save_execution(execution)

    def load_run(self, **options: Any) -> Run:
        """The run, its nodes read in one query; the connection pool is released afterwards."""
        try:
            execution = self.storage.load_execution()
            self.storage.iter_nodes()  # one query: every node cached
            return run_from_store(self.storage, execution, url=self.storage.url, execution_id=self.execution_id)
        finally:
            self.storage.engine.dispose()

    # -- the lease ------------------------------------------------------------------------

    def _owner_row(self) -> str | None:
        with self.storage.engine.connect() as conn:
            row = conn.execute(select(leases.c.owner).where(leases.c.execution_id == self.execution_id)).first()
        return None if row is None else str(row[0])

    def acquire_lease(self) -> None:
        if self._mine is not None:
            return
        if not self._leases_ready:
            ensure_leases(self.storage.engine, self.storage.url)
            self._leases_ready = True
        me = LeaseOwner.mine()
        key = leases.c.execution_id == self.execution_id
        try:
            for _attempt in range(5):
                try:
                    with self.storage.engine.begin() as conn:
                        row = conn.execute(select(leases.c.owner).where(key)).first()
                        if row is not None:
                            other = LeaseOwner.from_json(str(row[0]), where=self.url)
                            if not other.is_gone():
                                raise RunLeaseError(self.url, other.describe())
                            conn.execute(delete(leases).where(key, leases.c.owner == row[0]))
                        conn.execute(insert(leases).values(execution_id=self.execution_id, owner=me.to_json()))
                    self._mine = me
                    return
                except IntegrityError:
                    continue  # another owner inserted first: read it on the next round
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot take the lease of {self.url}: {exc}", path=self.url) from exc
        found = self._owner_row()
        raise RunLeaseError(self.url, LeaseOwner.from_json(found).describe() if found else "another process")

    def release_lease(self) -> None:
        me, self._mine = self._mine, None
        if me is None:
            return
        try:
            with self.storage.engine.begin() as conn:
                conn.execute(
                    delete(leases).where(leases.c.execution_id == self.execution_id, leases.c.owner == me.to_json())
                )
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot release the lease of {self.url}: {exc}", path=self.url) from exc
        finally:
            # The lease is often given up after the storage closed: drop the connection this opened,
            # so no idle handle keeps SQLite's WAL unmerged (and the file open) after the run.
            self.storage.engine.dispose()

    def discard_nodes(self) -> None:
        try:
            with self.storage.engine.begin() as conn:
                conn.execute(delete(nodes).where(nodes.c.execution_id == self.execution_id))
                conn.execute(delete(steps).where(steps.c.execution_id == self.execution_id))
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot drop the unrecorded nodes of {self.url}: {exc}", path=self.url) from exc
        old = self.storage
        old.close()
        self.storage = SqlNodeStorage(old.engine.url, self.execution_id, durability=old.durability)

    def release(self) -> None:
        try:
            self.release_lease()
        finally:
            self.storage.engine.dispose()

    def close(self) -> None:
        try:
            self.storage.flush()
            self.release_lease()
        finally:
            self.storage.close()

    @property
    def record_every_step(self) -> bool:
        return True
