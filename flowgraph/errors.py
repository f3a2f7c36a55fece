"""The one exception hierarchy of flowgraph.

Every error the library raises on purpose derives from :class:`FlowGraphError`, so
``except FlowGraphError`` catches all of them and nothing foreign leaks out of the
storage boundary (foreign errors are translated with ``raise ... from exc``)::

    FlowGraphError
    ├── GraphBuildError            misuse of GraphBuilder (e.g. closing a block twice)
    ├── InvalidValueError          a value flowgraph cannot use (a node kind that is no NodeKind…)
    ├── StorageError               a node storage could not do what was asked
    │   ├── NodeNotFoundError      a node id that a head, parent link or caller names is absent
    │   ├── DuplicateNodeError     the same node id stored twice with different content
    │   ├── FormatError            a file or row that cannot be parsed (names file and node)
    │   ├── NotRecognizedError     nothing at a path or URL looks like a run (nothing is damaged)
    │   ├── UnknownSchemeError     a store URL whose scheme no backend handles (lists the known ones)
    │   ├── RunNotFoundError       a store without the run id asked for (lists the nearest ids)
    │   ├── RunLeaseError          another live process owns the run (names it)
    │   └── SchemaVersionError     a database written by a newer flowgraph schema (nothing is changed)
    ├── CorruptGraphError          the nodes exist but do not form a valid flow graph
    │   └── GraphCycleError        parent or start links form a cycle (names the nodes)
    ├── ScanError                  a scanner met a graph shape it cannot walk
    ├── ResumeError                a recorded run cannot be resumed (and why)
    │   ├── NotResumableError      Jenkins' rules refuse the run (done, persisted_clean False…)
    │   ├── FactoryError           the pipeline factory is missing, not importable or not re-importable
    │   ├── PipelineDefinitionError  a pipeline breaks the recorder's rules (e.g. duplicate step names)
    │   │   └── DuplicateStepError step names are not unique
    │   └── StepChangedError       a recorded step's version changed and the policy is "refuse"
    └── RenderError                a renderer could not produce its output
        └── EngineNotFoundError    no installed Graphviz engine can write the format asked for

Messages always name the node id (and the file, where there is one) and say what is wrong.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "FlowGraphError",
    "GraphBuildError",
    "InvalidValueError",
    "StorageError",
    "UnknownSchemeError",
    "RunNotFoundError",
    "RunLeaseError",
    "NodeNotFoundError",
    "DuplicateNodeError",
    "FormatError",
    "NotRecognizedError",
    "CorruptGraphError",
    "GraphCycleError",
    "ScanError",
    "ResumeError",
    "NotResumableError",
    "FactoryError",
    "PipelineDefinitionError",
    "DuplicateStepError",
    "StepChangedError",
    "SchemaVersionError",
    "RenderError",
    "EngineNotFoundError",
]


class FlowGraphError(Exception):
    """Root of every error raised by flowgraph.

    Errors pickle as themselves (same class, message and attributes), whatever their
    constructor takes: the bulk loader hands them from worker processes to the caller.

    Examples
    --------
    >>> import pickle
    >>> str(pickle.loads(pickle.dumps(NodeNotFoundError("5", referenced_by="6"))))
    'node 5 not found (named by node 6)'
    """

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_error, (type(self), self.args, dict(self.__dict__)))


def _rebuild_error(cls: type[FlowGraphError], args: tuple[object, ...], state: dict[str, object]) -> FlowGraphError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class GraphBuildError(FlowGraphError):
    """A :class:`~flowgraph.GraphBuilder` was used in a way Jenkins could not produce."""


class InvalidValueError(FlowGraphError, ValueError):
    """A caller passed a value flowgraph cannot use: a node kind that is not a ``NodeKind``, a
    node id that is not a string, an unknown result name, an argument of the wrong type.

    Raised where the value is given (the constructor, the function called), so the mistake
    does not surface later, far away. It is also a :class:`ValueError`.
    """


class StorageError(FlowGraphError):
    """A node storage failed; ``path`` names the file or URL involved, when there is one."""

    def __init__(self, message: str, *, path: str | None = None, node_id: str | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.node_id = node_id


class UnknownSchemeError(StorageError):
    """A store URL names a scheme no backend is registered for; ``known`` lists the ones that are."""

    def __init__(self, target: str, scheme: str, known: Iterable[str]) -> None:
        self.scheme = scheme
        self.known = sorted(known)
        super().__init__(
            f"{target}: no run store is registered for URL scheme {scheme!r}; known schemes: "
            f"{', '.join(self.known)} (or a plain path)",
            path=target,
        )


class RunNotFoundError(StorageError, LookupError):
    """A store holds no run with the requested id; ``nearest`` lists the closest ids it does hold."""

    def __init__(
        self, target: str, run_id: str, nearest: Iterable[str] = (), *, count: int = 0, detail: str = ""
    ) -> None:
        self.run_id = run_id
        self.nearest = list(nearest)
        hint = f"; nearest: {', '.join(self.nearest)}" if self.nearest else ""
        held = detail or f"{count} runs stored{hint}"
        named = f" {run_id!r}" if run_id else ""
        super().__init__(f"{target}: no run{named} here ({held})", path=target)


class RunLeaseError(StorageError):
    """Another owner holds the run (it is being recorded or resumed); ``owner`` says who.

    A run has one owner at a time: the lease is taken before a record or resume writes anything
    and taken over only when its owner is provably gone (same host, process dead).
    """

    def __init__(self, target: str, owner: str, why: str = "") -> None:
        self.owner = owner
        super().__init__(
            f"{target}: the run is owned by {owner}{why}; wait for it to finish or stop that process",
            path=target,
        )


class NodeNotFoundError(StorageError, LookupError):
    """A node id is named (by a caller, a head or a parent link) but no such node exists.

    It is also a :class:`LookupError`, so code written for mappings keeps working, but it is
    never a bare :class:`KeyError`.
    """

    def __init__(
        self,
        node_id: str,
        *,
        referenced_by: str | None = None,
        path: str | None = None,
    ) -> None:
        where = f" (named by node {referenced_by})" if referenced_by is not None else ""
        place = f" in {path}" if path is not None else ""
        super().__init__(f"node {node_id} not found{place}{where}", path=path, node_id=node_id)
        self.referenced_by = referenced_by


class DuplicateNodeError(StorageError):
    """A node id was added twice; flow-node ids are unique within one run."""

    def __init__(self, node_id: str, *, path: str | None = None) -> None:
        super().__init__(f"node {node_id} already exists; node ids must be unique", path=path, node_id=node_id)


class FormatError(StorageError):
    """Stored data cannot be parsed: truncated, not XML, the wrong schema, an unsafe construct."""


class NotRecognizedError(StorageError):
    """Nothing at the path or URL looks like a run flowgraph reads: wrong place, not damage.

    Kept apart from :class:`FormatError` (a run that was recognised but is damaged), so that
    callers can list what they accept for the first and report the damage plainly for the second.
    """


class SchemaVersionError(StorageError):
    """The database was written by a newer flowgraph schema than this one reads.

    Nothing is read further and nothing is written, so the newer data stays intact.
    """

    def __init__(self, found: int, supported: int, *, path: str | None = None) -> None:
        where = f" {path}" if path is not None else ""
        super().__init__(
            f"database{where} has flowgraph schema version {found}, but this flowgraph reads versions up to "
            f"{supported}; upgrade flowgraph (pip install -U flowgraph) to open it. Nothing was changed.",
            path=path,
        )
        self.found = found
        self.supported = supported


class CorruptGraphError(FlowGraphError):
    """Nodes that exist but break the flow-graph rules (e.g. a block end whose start is not a block start)."""

    def __init__(self, message: str, *, node_id: str | None = None) -> None:
        super().__init__(message)
        self.node_id = node_id


class GraphCycleError(CorruptGraphError):
    """Parent or start links loop back on themselves; ``node_ids`` lists the nodes of the cycle."""

    def __init__(self, node_ids: Iterable[str]) -> None:
        ids = list(node_ids)
        super().__init__(
            "flow graph has a cycle through nodes " + " -> ".join(ids),
            node_id=ids[0] if ids else None,
        )
        self.node_ids = ids


class ScanError(FlowGraphError):
    """A scanner cannot continue (e.g. several parents on a node that is not a parallel end)."""


class ResumeError(FlowGraphError):
    """A recorded run cannot be resumed; the message says why and what to do."""


class NotResumableError(ResumeError):
    """Jenkins' persistence rules refuse to resume the run; ``reason`` is the rule that said no."""

    def __init__(self, reason: str, *, where: str | None = None) -> None:
        place = f"{where}: " if where is not None else ""
        super().__init__(
            f"{place}the run cannot be resumed: {reason}. Its state may be stale or it has finished; "
            "start a new run instead."
        )
        self.reason = reason


class FactoryError(ResumeError):
    """The pipeline factory is missing from the record, cannot be imported, or is not re-importable."""


class PipelineDefinitionError(ResumeError):
    """A pipeline breaks the recorder's rules (names, requirements, structure); nothing was written."""


class DuplicateStepError(PipelineDefinitionError):
    """Two steps of one pipeline share a name; names are how resumption matches steps to records."""

    def __init__(self, names: Iterable[str]) -> None:
        dupes = sorted(set(names))
        super().__init__(
            f"step names must be unique in a pipeline (they match steps to their records on resume); "
            f"duplicated: {', '.join(dupes)}. Rename the steps."
        )
        self.names = dupes


class StepChangedError(ResumeError):
    """Recorded steps have a different version now and the policy is ``refuse``.

    ``changes`` maps each step name to ``(recorded version, current version)``.
    """

    def __init__(self, changes: dict[str, tuple[str, str]]) -> None:
        listed = ", ".join(f"{n} ({old} -> {new})" for n, (old, new) in sorted(changes.items()))
        super().__init__(
            f"steps changed version since they were recorded: {listed}. Resume with "
            'on_version_change="rerun" to run them again (and the steps that use their results), or '
            '"keep" to reuse the recorded results. Nothing was changed.'
        )
        self.changes = changes


class RenderError(FlowGraphError):
    """A renderer could not produce its output (e.g. no Graphviz engine available)."""


class EngineNotFoundError(RenderError):
    """No Graphviz engine that writes the requested format is installed; the message says what to install."""
