"""Helpers run in worker processes by the concurrency tests (module level, so they pickle)."""

from __future__ import annotations

from flowgraph import FlowExecution, FlowNode, NodeKind, TimingAction
from flowgraph.storage.sql import SqlNodeStorage


def write_run(url: str, execution_id: str, count: int) -> int:
    """Record ``count`` nodes, one committed transaction each (as MAX_SURVIVABILITY steps do)."""
    store = SqlNodeStorage(url, execution_id)
    try:
        store.store_node(FlowNode("2", NodeKind.FLOW_START, actions=[TimingAction(0)]), delay=True)
        for i in range(3, count + 2):
            store.store_node(FlowNode(str(i), NodeKind.ATOM, (str(i - 1),), actions=[TimingAction(i)]), delay=True)
            store.save_execution(FlowExecution(heads={1: str(i)}, persisted_clean=True))
        return store.commits
    finally:
        store.close()
