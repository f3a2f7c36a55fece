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

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # type checkers see the real names; at run time each loads on first use
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
        InvalidValueError,
        NodeNotFoundError,
        NotRecognizedError,
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
    from flowgraph.storage import BulkXmlNodeStorage, Durability, MemoryNodeStorage, NodeStorage, XmlDirNodeStorage
    from flowgraph.storage.registry import open_store, register_store
    from flowgraph.storage.run_store import RunStore

# Public name -> (module, attribute). Importing the package (or any of its modules: `flowgraph --help`
# imports flowgraph.errors) stays light; lxml, SQLAlchemy and friends load when a name needing them is used.
_LAZY: dict[str, tuple[str, str]] = {
    "Action": ("flowgraph.actions", "Action"),
    "ArgumentsAction": ("flowgraph.actions", "ArgumentsAction"),
    "BodyInvocationAction": ("flowgraph.actions", "BodyInvocationAction"),
    "ErrorAction": ("flowgraph.actions", "ErrorAction"),
    "LabelAction": ("flowgraph.actions", "LabelAction"),
    "LogAction": ("flowgraph.actions", "LogAction"),
    "LogFileAction": ("flowgraph.actions", "LogFileAction"),
    "LogStorageAction": ("flowgraph.actions", "LogStorageAction"),
    "MaskedValue": ("flowgraph.actions", "MaskedValue"),
    "NotExecutedNodeAction": ("flowgraph.actions", "NotExecutedNodeAction"),
    "ParallelLabelAction": ("flowgraph.actions", "ParallelLabelAction"),
    "PauseAction": ("flowgraph.actions", "PauseAction"),
    "QueueItemAction": ("flowgraph.actions", "QueueItemAction"),
    "QueueState": ("flowgraph.actions", "QueueState"),
    "StageAction": ("flowgraph.actions", "StageAction"),
    "TagsAction": ("flowgraph.actions", "TagsAction"),
    "ThreadNameAction": ("flowgraph.actions", "ThreadNameAction"),
    "TimingAction": ("flowgraph.actions", "TimingAction"),
    "UnknownAction": ("flowgraph.actions", "UnknownAction"),
    "WarningAction": ("flowgraph.actions", "WarningAction"),
    "WorkspaceAction": ("flowgraph.actions", "WorkspaceAction"),
    "action_from_dict": ("flowgraph.actions", "action_from_dict"),
    "action_to_dict": ("flowgraph.actions", "action_to_dict"),
    "register_action": ("flowgraph.actions", "register_action"),
    "registered_actions": ("flowgraph.actions", "registered_actions"),
    "GraphBuilder": ("flowgraph.builder", "GraphBuilder"),
    "abort_error": ("flowgraph.builder", "abort_error"),
    "CorruptGraphError": ("flowgraph.errors", "CorruptGraphError"),
    "DuplicateNodeError": ("flowgraph.errors", "DuplicateNodeError"),
    "DuplicateStepError": ("flowgraph.errors", "DuplicateStepError"),
    "EngineNotFoundError": ("flowgraph.errors", "EngineNotFoundError"),
    "FactoryError": ("flowgraph.errors", "FactoryError"),
    "FlowGraphError": ("flowgraph.errors", "FlowGraphError"),
    "FormatError": ("flowgraph.errors", "FormatError"),
    "GraphBuildError": ("flowgraph.errors", "GraphBuildError"),
    "GraphCycleError": ("flowgraph.errors", "GraphCycleError"),
    "InvalidValueError": ("flowgraph.errors", "InvalidValueError"),
    "NodeNotFoundError": ("flowgraph.errors", "NodeNotFoundError"),
    "NotRecognizedError": ("flowgraph.errors", "NotRecognizedError"),
    "NotResumableError": ("flowgraph.errors", "NotResumableError"),
    "PipelineDefinitionError": ("flowgraph.errors", "PipelineDefinitionError"),
    "RenderError": ("flowgraph.errors", "RenderError"),
    "ResumeError": ("flowgraph.errors", "ResumeError"),
    "ScanError": ("flowgraph.errors", "ScanError"),
    "SchemaVersionError": ("flowgraph.errors", "SchemaVersionError"),
    "StepChangedError": ("flowgraph.errors", "StepChangedError"),
    "StorageError": ("flowgraph.errors", "StorageError"),
    "FlowExecution": ("flowgraph.execution", "FlowExecution"),
    "ResumeDecision": ("flowgraph.execution", "ResumeDecision"),
    "FlowGraph": ("flowgraph.graph", "FlowGraph"),
    "GraphListener": ("flowgraph.graph", "GraphListener"),
    "load": ("flowgraph.loading", "load"),
    "open_store": ("flowgraph.storage.registry", "open_store"),
    "register_store": ("flowgraph.storage.registry", "register_store"),
    "RunStore": ("flowgraph.storage.run_store", "RunStore"),
    "UnknownSchemeError": ("flowgraph.errors", "UnknownSchemeError"),
    "RunNotFoundError": ("flowgraph.errors", "RunNotFoundError"),
    "RunLeaseError": ("flowgraph.errors", "RunLeaseError"),
    "EnclosingBlockLookup": ("flowgraph.lookup", "EnclosingBlockLookup"),
    "FlowNode": ("flowgraph.node", "FlowNode"),
    "NodeKind": ("flowgraph.node", "NodeKind"),
    "Result": ("flowgraph.result", "Result"),
    "Clock": ("flowgraph.run", "Clock"),
    "FixedClock": ("flowgraph.run", "FixedClock"),
    "ManualClock": ("flowgraph.run", "ManualClock"),
    "Run": ("flowgraph.run", "Run"),
    "system_clock": ("flowgraph.run", "system_clock"),
    "BlockKeyAction": ("flowgraph.stepdetail", "BlockKeyAction"),
    "StepRecordAction": ("flowgraph.stepdetail", "StepRecordAction"),
    "StepState": ("flowgraph.stepdetail", "StepState"),
    "descriptor_id": ("flowgraph.steps", "descriptor_id"),
    "function_name": ("flowgraph.steps", "function_name"),
    "BulkXmlNodeStorage": ("flowgraph.storage", "BulkXmlNodeStorage"),
    "Durability": ("flowgraph.storage", "Durability"),
    "MemoryNodeStorage": ("flowgraph.storage", "MemoryNodeStorage"),
    "NodeStorage": ("flowgraph.storage", "NodeStorage"),
    "XmlDirNodeStorage": ("flowgraph.storage", "XmlDirNodeStorage"),
}


def __getattr__(name: str) -> Any:
    where = _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(where[0]), where[1])
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


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
    "InvalidValueError",
    "StorageError",
    "NodeNotFoundError",
    "NotRecognizedError",
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
