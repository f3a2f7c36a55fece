"""The execution record: what besides the nodes must be saved for a run to be resumed.

Jenkins keeps it in ``build.xml`` (``CpsFlowExecution``): the heads (one per running branch),
the open block starts, the scripts, whether the state was persisted cleanly, whether the run is
done, and the durability it runs under. flowgraph's recorder adds TaskFlow's answer to
re-creating a pipeline: the importable name of the factory that builds it, and its arguments.

:meth:`FlowExecution.can_resume` applies Jenkins' rules (seed 000) to the letter:

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

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from flowgraph.node import NodeKind
from flowgraph.result import Result
from flowgraph.storage.base import Durability, NodeStorage

__all__ = ["FlowExecution", "ResumeDecision"]


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
