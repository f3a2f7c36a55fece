"""flowgraph: pipeline flow graphs (Jenkins Pipeline's node graph) in Python.

The model, in one import::

    from flowgraph import FlowNode, NodeKind, TimingAction, LabelAction

* Model: :class:`FlowNode`, :class:`NodeKind`, the actions (:class:`TimingAction`,
  :class:`LabelAction`, :class:`ErrorAction`, …), :class:`Result`.
* Graph: :class:`FlowGraph` (heads, parents, children, cached enclosing-block lookups),
  :class:`GraphListener`, :class:`Run` (a graph plus result, timing and a clock).
* Storage: :class:`NodeStorage`, :class:`MemoryNodeStorage`, :class:`XmlDirNodeStorage`,
  :class:`BulkXmlNodeStorage` (Jenkins' own files), :class:`Durability`; :class:`RunStore`
  (nodes + execution record + lease) opened by :func:`open_store` from a URL or a path, and
  :func:`load`, which reads a run from any of them (see :mod:`flowgraph.storage.registry`).
* Building graphs in code: :class:`GraphBuilder`.
* Errors: :class:`FlowGraphError` and its subclasses.

Walking graphs lives in :mod:`scanners`; drawing them in :mod:`render`.
"""

from typing import TYPE_CHECKING, Any

from flowgraph.actions import (
    Action,
    ArgumentsAction,
    BodyInvocationAction,
    ErrorAction,
    LabelAction,
    LogAction,
    LogFileAction,
    LogStorageAction,
    MaskedValue,
    NotExecutedNodeAction,
    ParallelLabelAction,
    PauseAction,
    QueueItemAction,
    QueueState,
    StageAction,
    TagsAction,
    ThreadNameAction,
    TimingAction,
    UnknownAction,
    WarningAction,
    WorkspaceAction,
    action_from_dict,
    action_to_dict,
    register_action,
    registered_actions,
)
from flowgraph.builder import GraphBuilder, abort_error
from flowgraph.errors import (
    CorruptGraphError,
    DuplicateNodeError,
    DuplicateStepError,
    EngineNotFoundError,
    FactoryError,
    FlowGraphError,
    FormatError,
    GraphBuildError,
    GraphCycleError,
    NodeNotFoundError,
    NotResumableError,
    PipelineDefinitionError,
    RenderError,
    ResumeError,
    RunLeaseError,
    RunNotFoundError,
    ScanError,
    SchemaVersionError,
    StepChangedError,
    StorageError,
    UnknownSchemeError,
)
from flowgraph.execution import FlowExecution, ResumeDecision
from flowgraph.graph import FlowGraph, GraphListener
from flowgraph.loading import load
from flowgraph.lookup import EnclosingBlockLookup
from flowgraph.node import FlowNode, NodeKind
from flowgraph.result import Result
from flowgraph.run import Clock, FixedClock, ManualClock, Run, system_clock
from flowgraph.stepdetail import BlockKeyAction, StepRecordAction, StepState
from flowgraph.steps import descriptor_id, function_name
from flowgraph.storage import Durability, MemoryNodeStorage, NodeStorage, RunStore, open_store, register_store

if TYPE_CHECKING:
    from flowgraph.storage import BulkXmlNodeStorage, XmlDirNodeStorage

__all__ = [
    # model
    "FlowNode",
    "NodeKind",
    "Result",
    # actions
    "Action",
    "TimingAction",
    "LabelAction",
    "ThreadNameAction",
    "ParallelLabelAction",
    "StageAction",
    "ErrorAction",
    "ArgumentsAction",
    "MaskedValue",
    "BodyInvocationAction",
    "LogAction",
    "LogStorageAction",
    "LogFileAction",
    "NotExecutedNodeAction",
    "WorkspaceAction",
    "WarningAction",
    "TagsAction",
    "PauseAction",
    "QueueItemAction",
    "QueueState",
    "UnknownAction",
    "register_action",
    "registered_actions",
    "action_to_dict",
    "action_from_dict",
    # graph and run
    "FlowGraph",
    "GraphListener",
    "EnclosingBlockLookup",
    "Run",
    "Clock",
    "FixedClock",
    "ManualClock",
    "system_clock",
    "FlowExecution",
    "StepRecordAction",
    "StepState",
    "BlockKeyAction",
    "ResumeDecision",
    # storage
    "NodeStorage",
    "MemoryNodeStorage",
    "XmlDirNodeStorage",
    "BulkXmlNodeStorage",
    "Durability",
    # loading
    "load",
    "open_store",
    "register_store",
    "RunStore",
    # building
    "GraphBuilder",
    "abort_error",
    "descriptor_id",
    "function_name",
    # errors
    "FlowGraphError",
    "GraphBuildError",
    "StorageError",
    "NodeNotFoundError",
    "DuplicateNodeError",
    "FormatError",
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
    "UnknownSchemeError",
    "RunNotFoundError",
    "RunLeaseError",
    "RenderError",
    "EngineNotFoundError",
]


def __getattr__(name: str) -> Any:
    """The XML storages load lxml: they are imported on first use, like SQL's."""
    if name in ("BulkXmlNodeStorage", "XmlDirNodeStorage"):
        import flowgraph.storage

        value = getattr(flowgraph.storage, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'flowgraph' has no attribute {name!r}")
