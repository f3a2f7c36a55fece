"""The execution record: what besides the nodes must be saved for a run to be resumed.

Jenkins keeps it in ``build.xml`` (``CpsFlowExecution``): the heads (one per running branch),
the open block starts, the scripts, whether the state was persisted cleanly, whether the run is
done, and the durability it runs under. flowgraph's recorder adds TaskFlow's answer to
re-creating a pipeline: the importable name of the factory that builds it, and its arguments.

:meth:`FlowExecution.can_resume` applies Jenkins' rules to the letter:

1. corrupt, incomplete or un-persisted node storage → never (placeholder nodes mark corruption);
2. ``persisted_clean`` False → never (low-durability modes set it False *before* running on);
3. ``persisted_clean`` unknown (None) → only under ``MAX_SURVIVABILITY``;
4. ``done`` → no; not done → yes, unless its only head is the flow end.

Examples
--------
>>> from flowgraph.storage.base import Durability
>>> ex = FlowExecution(heads={1: "5"}, persisted_clean=True, durability=Durability.MAX_SURVIVABILITY)
>>> bool(ex.can_resume())
True
>>> ex.persisted_clean = None; ex.durability = Durability.PERFORMANCE_OPTIMIZED
>>> ex.can_resume().reason
'persisted_clean is unknown and the durability is not MAX_SURVIVABILITY'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from flowgraph.clock import system_clock
from flowgraph.errors import FormatError
from flowgraph.node import NodeKind
from flowgraph.result import Result
from flowgraph.storage.base import Durability, NodeStorage

__all__ = ["FlowExecution", "ResumeDecision"]

_MAPPING_FIELDS = ("heads", "loaded_scripts", "factory_kwargs", "metadata", "extra")
_LIST_FIELDS = ("starts", "factory_args")


class ResumeDecision(NamedTuple):
    """Whether a run may resume, and why (truthy when it may)."""

    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


@dataclass
class FlowExecution:
    """Jenkins' ``CpsFlowExecution`` record plus the recorder's factory reference.

    ``heads`` maps Jenkins' FlowHead ids to node ids (``<head>1:5</head>`` is ``{1: "5"}``);
    ``starts`` lists the open block starts, outermost first; ``storage_corrupt`` is set when the
    node storage was found damaged (placeholders were made) and makes resumption impossible.
    ``extra`` keeps format-specific fields (timings, sandbox, user…) so they round-trip.
    ``id`` names the execution inside a storage that holds many (a SQL database); ``name`` is a
    human label. ``factory`` is the importable name of the function that builds the pipeline and
    ``factory_args``/``factory_kwargs`` its JSON arguments (TaskFlow's ``load_from_factory``).
    """

    heads: dict[int, str] = field(default_factory=dict)
    starts: list[str] = field(default_factory=list)
    script: str | None = None
    loaded_scripts: dict[str, str] = field(default_factory=dict)
    persisted_clean: bool | None = None
    done: bool = False
    durability: Durability | None = None
    iota: int = 0
    result: Result | None = None
    storage_dir: str | None = None
    storage_corrupt: bool = False
    factory: str | None = None
    factory_args: list[Any] = field(default_factory=list)
    factory_kwargs: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    created_ms: int | None = None
    updated_ms: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    id: str | None = None
    name: str | None = None

    @property
    def scripts(self) -> dict[str, str]:
        """Every script of the run: the main one under ``"main"`` (when set), then the loaded ones."""
        scripts = {"main": self.script} if self.script is not None else {}
        scripts.update(self.loaded_scripts)
        return scripts

    def touch(self, now_ms: int | None = None) -> None:
        """Set ``updated_ms`` (and ``created_ms`` the first time) to now, in epoch milliseconds."""
        now = system_clock() if now_ms is None else now_ms
        if self.created_ms is None:
            self.created_ms = now
        self.updated_ms = now

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON-able data (the SQL storage keeps it in one row; build.xml has its own form).

        Examples
        --------
        >>> ex = FlowExecution(heads={1: "9"}, done=True, factory="pkg.mod.make", factory_kwargs={"n": 3})
        >>> FlowExecution.from_dict(ex.to_dict()) == ex
        True
        """
        return {
            "id": self.id,
            "name": self.name,
            "heads": {str(k): v for k, v in self.heads.items()},
            "starts": list(self.starts),
            "script": self.script,
            "loaded_scripts": dict(self.loaded_scripts),
            "persisted_clean": self.persisted_clean,
            "done": self.done,
            "durability": self.durability.value if self.durability is not None else None,
            "iota": self.iota,
            "result": self.result.name if self.result is not None else None,
            "storage_dir": self.storage_dir,
            "storage_corrupt": self.storage_corrupt,
            "factory": self.factory,
            "factory_args": list(self.factory_args),
            "factory_kwargs": dict(self.factory_kwargs),
            "metadata": dict(self.metadata),
            "created_ms": self.created_ms,
            "updated_ms": self.updated_ms,
            "extra": dict(self.extra),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FlowExecution:
        """Rebuild a record from :meth:`to_dict` output; unknown keys are kept in ``extra``.

        A field of the wrong shape (``"heads": "x"``) is a :class:`~flowgraph.FormatError`
        naming the field: records come from storage.

        Examples
        --------
        >>> FlowExecution.from_dict({"heads": {"1": "5"}}).head_ids
        ['5']
        >>> FlowExecution.from_dict({"heads": "x"})
        Traceback (most recent call last):
        ...
        flowgraph.errors.FormatError: execution record: 'heads' must be a mapping (JSON object), not 'x'
        """
        if not isinstance(data, Mapping):
            raise FormatError(f"execution record must be a mapping (JSON object), not {type(data).__name__}")
        for name in _MAPPING_FIELDS:
            value = data.get(name)
            if value is not None and not isinstance(value, Mapping):
                raise FormatError(f"execution record: {name!r} must be a mapping (JSON object), not {value!r:.60}")
        for name in _LIST_FIELDS:
            value = data.get(name)
            if value is not None and not isinstance(value, (list, tuple)):
                raise FormatError(f"execution record: {name!r} must be a list, not {value!r:.60}")
        try:
            return cls._from_checked_dict(data)
        except (ValueError, TypeError) as exc:
            raise FormatError(f"execution record cannot be read: {exc}") from exc

    @classmethod
    def _from_checked_dict(cls, data: Mapping[str, Any]) -> FlowExecution:
        known = set(cls.__dataclass_fields__)
        durability = data.get("durability")
        result = data.get("result")
        extra = dict(data.get("extra") or {})
        extra.update({k: v for k, v in data.items() if k not in known})
        return cls(
            heads={int(k): str(v) for k, v in (data.get("heads") or {}).items()},
            starts=[str(s) for s in data.get("starts") or ()],
            script=data.get("script"),
            loaded_scripts=dict(data.get("loaded_scripts") or {}),
            persisted_clean=data.get("persisted_clean"),
            done=bool(data.get("done", False)),
            durability=Durability(durability) if durability is not None else None,
            iota=int(data.get("iota") or 0),
            result=Result.parse(result) if result is not None else None,
            storage_dir=data.get("storage_dir"),
            storage_corrupt=bool(data.get("storage_corrupt", False)),
            factory=data.get("factory"),
            factory_args=list(data.get("factory_args") or ()),
            factory_kwargs=dict(data.get("factory_kwargs") or {}),
            metadata=dict(data.get("metadata") or {}),
            created_ms=data.get("created_ms"),
            updated_ms=data.get("updated_ms"),
            extra=extra,
            id=data.get("id"),
            name=data.get("name"),
        )

    @property
    def head_ids(self) -> list[str]:
        """Node ids of the heads, in FlowHead id order."""
        return [self.heads[k] for k in sorted(self.heads)]

    def can_resume(self, storage: NodeStorage | None = None) -> ResumeDecision:
        """Apply Jenkins' resumption rules; ``storage`` (when given) is checked too."""
        if self.storage_corrupt:
            return ResumeDecision(False, "the node storage is corrupt or incomplete (placeholder nodes were made)")
        if storage is not None and not storage.is_persisted_fully():
            return ResumeDecision(False, "the node storage has nodes that were never flushed")
        if self.persisted_clean is False:
            return ResumeDecision(False, "persisted_clean is False: the saved state may be stale")
        if self.persisted_clean is None and self.durability is not Durability.MAX_SURVIVABILITY:
            return ResumeDecision(False, "persisted_clean is unknown and the durability is not MAX_SURVIVABILITY")
        if self.done:
            return ResumeDecision(False, "the run is done")
        heads = self.head_ids
        if not heads:
            return ResumeDecision(False, "the record has no heads")
        if len(heads) == 1 and storage is not None:
            head = storage.get_node(heads[0])
            if head is None:
                return ResumeDecision(False, f"head node {heads[0]} is missing from the node storage")
            if head.kind is NodeKind.FLOW_END:
                return ResumeDecision(False, "the only head is the flow end: the run finished")
        return ResumeDecision(True, "the run is not done and its state was persisted")
