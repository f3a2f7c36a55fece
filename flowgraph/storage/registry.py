"""The one way in: :func:`open_store` turns a URL or a path into a :class:`RunStore`.

Every caller that names a run by a string - :func:`flowgraph.load`, the recorder's ``record``
and ``resume``, the command line - goes through this registry, so each accepts the same names:

* ``memory:`` (a fresh store) or ``memory://name`` (a store shared within the process);
* ``sqlite:///runs.db#<run id>``, ``postgresql://user@host/db#<run id>``, or a ``.db``,
  ``.sqlite``, ``.sqlite3`` path (``#<run id>`` may be left out when the database holds one run);
* a plain path: a Jenkins build directory, a bulk ``flowNodeStore.xml``, a per-node directory;
* whatever other packages register: by calling :func:`register_store`, or by an entry point in
  the ``flowgraph.stores`` group whose name is a URL scheme (``s3``) or a file suffix (``.json``)
  and whose value is a factory ``(target: str, options: StoreOptions) -> RunStore``.

A URL with any other scheme is an :class:`~flowgraph.errors.UnknownSchemeError` listing the
known ones: it is never taken for a relative path. Backends are imported on first use, so
naming a store costs nothing until it is opened.

Examples
--------
>>> scheme_of("sqlite:///runs.db#7"), scheme_of("runs.sqlite"), scheme_of("jobs/app/builds/7")
('sqlite', '.sqlite', 'file')
>>> scheme_of("s3://bucket/run")
Traceback (most recent call last):
...
flowgraph.errors.UnknownSchemeError: s3://bucket/run: no run store is registered for URL scheme 's3'; ...
>>> store = open_store("memory://registry-example", create=True)
>>> open_store("memory://registry-example") is store
True
"""

from __future__ import annotations

import importlib
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING

from flowgraph.errors import StorageError, UnknownSchemeError
from flowgraph.storage.base import Durability

if TYPE_CHECKING:
    from flowgraph.storage.run_store import RunStore

__all__ = ["StoreOptions", "StoreFactory", "open_store", "register_store", "scheme_of", "known_schemes", "ENTRY_POINTS"]

ENTRY_POINTS = "flowgraph.stores"
"""The entry-point group other distributions register store backends in."""


@dataclass(frozen=True, slots=True)
class StoreOptions:
    """What the caller of :func:`open_store` asks of the store besides its name.

    ``create`` is true for writers (the recorder); readers never create a file or a database.
    ``durability`` None means "as the run was recorded" (or ``MAX_SURVIVABILITY`` for a new one).
    """

    durability: Durability | None = None
    execution_id: str | None = None
    create: bool = False


StoreFactory = Callable[[str, StoreOptions], "RunStore"]

_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")
_BUILTIN: dict[str, str] = {
    "memory": "flowgraph.storage.registry:open_memory_store",
    "sqlite": "flowgraph.storage.registry:open_sql_store",
    "postgresql": "flowgraph.storage.registry:open_sql_store",
    "postgres": "flowgraph.storage.registry:open_sql_store",
    "file": "flowgraph.jenkins.run_store:open_path_store",
    ".db": "flowgraph.storage.registry:open_sql_store",
    ".sqlite": "flowgraph.storage.registry:open_sql_store",
    ".sqlite3": "flowgraph.storage.registry:open_sql_store",
}
_registered: dict[str, StoreFactory | str] = {}
_lock = threading.Lock()
_loaded_entry_points = False


def register_store(name: str, factory: StoreFactory | str) -> None:
    """Make :func:`open_store` open ``name`` (a URL scheme, or a file suffix starting with ``.``) with ``factory``.

    ``factory`` is a callable or a ``"module:attribute"`` string imported on first use.
    """
    with _lock:
        _registered[name.lower()] = factory


def _table() -> dict[str, StoreFactory | str]:
    global _loaded_entry_points
    with _lock:
        if not _loaded_entry_points:
            _loaded_entry_points = True
            for point in entry_points(group=ENTRY_POINTS):
                _registered.setdefault(point.name.lower(), point.value)
        return {**_BUILTIN, **_registered}


def known_schemes() -> list[str]:
    """Every URL scheme and file suffix a store is registered for."""
    return sorted(name for name in _table() if name != "file")


def scheme_of(target: str) -> str:
    """The registry key that opens ``target``: its URL scheme, its file suffix, or ``"file"``.

    Raises
    ------
    UnknownSchemeError
        ``target`` is a URL whose scheme no backend is registered for.
    """
    table = _table()
    if target.startswith("memory:"):
        return "memory"
    match = _URL.match(target)
    if match is not None:
        scheme = match.group(1).lower()
        for key in (scheme, scheme.split("+", 1)[0]):
            if key in table:
                return key
        if not Path(target).exists():
            raise UnknownSchemeError(target, scheme, (s for s in table if not s.startswith(".") and s != "file"))
        return "file"
    suffix = Path(target.split("#", 1)[0]).suffix.lower()
    return suffix if suffix and suffix in table else "file"


def _resolve(key: str) -> StoreFactory:
    factory = _table()[key]
    if isinstance(factory, str):
        module, _, attribute = factory.partition(":")
        try:
            loaded = getattr(importlib.import_module(module), attribute)
        except (ImportError, AttributeError) as exc:
            raise StorageError(f"the store backend for {key!r} ({factory}) cannot be loaded: {exc}") from exc
        if not callable(loaded):
            raise StorageError(f"the store backend for {key!r} ({factory}) is not callable")
        return loaded  # type: ignore[no-any-return]
    return factory


def open_store(
    target: str | os.PathLike[str] | RunStore | None,
    *,
    durability: Durability | None = None,
    execution_id: str | None = None,
    create: bool = False,
) -> RunStore:
    """The run store a URL or a path names (``None``: a fresh store in memory).

    Examples
    --------
    >>> import os, tempfile
    >>> db = os.path.join(tempfile.mkdtemp(), "runs.db")
    >>> open_store(f"sqlite:///{db}#typo")   # reading never creates the database
    Traceback (most recent call last):
    ...
    flowgraph.errors.RunNotFoundError: ...runs.db: no run 'typo' here (no such database file; nothing was created)
    >>> open_store(f"sqlite:///{db}#build-1", create=True).execution_id
    'build-1'
    """
    from flowgraph.storage.run_store import MemoryRunStore, RunStore

    if isinstance(target, RunStore):
        return target
    if target is None:
        return MemoryRunStore()
    text = os.fspath(target)
    options = StoreOptions(durability=durability, execution_id=execution_id, create=create)
    return _resolve(scheme_of(text))(text, options)


def open_memory_store(target: str, options: StoreOptions) -> RunStore:
    """``memory:`` (fresh) or ``memory://name`` (shared within this process; made only when creating)."""
    from flowgraph.storage.run_store import MemoryRunStore

    name = target[len("memory:") :].lstrip("/") or (options.execution_id or "")
    return MemoryRunStore.named(name, create=options.create) if name else MemoryRunStore()


def open_sql_store(target: str, options: StoreOptions) -> RunStore:
    """A SQL URL or a SQLite file path, ``#<run id>`` optional when the database holds one run."""
    from flowgraph.storage.sql_store import SqlRunStore

    return SqlRunStore(target, options.execution_id, durability=options.durability, create=options.create)
