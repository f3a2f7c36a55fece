"""The NodeStorage write-cache contract (seed 001): a stored node is not durable until flushed."""

from __future__ import annotations

import pytest

from flowgraph import FlowGraph, FlowNode, MemoryNodeStorage, NodeKind, NodeStorage, TimingAction, WarningAction
from flowgraph.result import Result

STORAGES = [MemoryNodeStorage]


@pytest.mark.parametrize("make", STORAGES)
def test_delayed_writes_are_pending_until_flush(make: type[NodeStorage]) -> None:
    store = make()
    store.store_node(FlowNode("2", NodeKind.FLOW_START), delay=False)
    assert store.is_persisted_fully()
    node = FlowNode("3", NodeKind.ATOM, ["2"], actions=[TimingAction(1)])
    store.store_node(node, delay=True)
    assert not store.is_persisted_fully()
    assert store.get_node("3") == node  # readable before it is durable
    store.flush_node(node)
    assert store.is_persisted_fully()
    store.store_node(FlowNode("4", NodeKind.ATOM, ["3"]), delay=True)
    store.flush()
    assert store.is_persisted_fully() and len(store) == 3 and list(store.node_ids()) == ["2", "3", "4"]


@pytest.mark.parametrize("make", STORAGES)
def test_a_node_stored_again_after_an_action_was_added_keeps_it(make: type[NodeStorage]) -> None:
    g = FlowGraph(make())
    g.add_node(FlowNode("2", NodeKind.FLOW_START))
    g.add_node(FlowNode("3", NodeKind.ATOM, ["2"]))
    node = g.node("3")
    node.add_action(WarningAction(Result.UNSTABLE, "flaky"))
    g.save_node(node, delay=True)
    g.storage.flush()
    assert g.node("3").get_action(WarningAction) == WarningAction(Result.UNSTABLE, "flaky")


def test_storage_is_a_context_manager_that_flushes() -> None:
    with MemoryNodeStorage() as store:
        store.store_node(FlowNode("2", NodeKind.FLOW_START), delay=True)
    assert store.is_persisted_fully()
