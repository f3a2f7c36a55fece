"""FlowExecution: the record's fields, its JSON form, and can_resume() following seed 000 to the letter."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from flowgraph import FlowExecution, FlowNode, MemoryNodeStorage, NodeKind, Result
from flowgraph.storage.base import Durability


def _storage(last_kind: NodeKind = NodeKind.ATOM, *, flushed: bool = True) -> MemoryNodeStorage:
    store = MemoryNodeStorage()
    store.store_node(FlowNode("2", NodeKind.FLOW_START))
    if last_kind is NodeKind.FLOW_END:
        store.store_node(FlowNode("3", NodeKind.FLOW_END, ("2",), start_id="2"), delay=not flushed)
    else:
        store.store_node(FlowNode("3", NodeKind.ATOM, ("2",)), delay=not flushed)
    return store


def test_rule_1_corrupt_or_unflushed_storage_is_never_resumed() -> None:
    ex = FlowExecution(heads={1: "3"}, persisted_clean=True, durability=Durability.MAX_SURVIVABILITY)
    assert ex.can_resume(_storage())
    assert not ex.can_resume(_storage(flushed=False))
    ex.storage_corrupt = True
    decision = ex.can_resume(_storage())
    assert not decision and "corrupt" in decision.reason


def test_rule_3_persisted_clean_false_is_never_resumed_whatever_the_durability() -> None:
    for durability in Durability:
        ex = FlowExecution(heads={1: "3"}, persisted_clean=False, durability=durability)
        decision = ex.can_resume(_storage())
        assert not decision and "persisted_clean is False" in decision.reason


def test_unknown_persisted_clean_resumes_only_under_max_survivability() -> None:
    allowed = {d: bool(FlowExecution(heads={1: "3"}, durability=d).can_resume(_storage())) for d in Durability}
    assert allowed == {
        Durability.MAX_SURVIVABILITY: True,
        Durability.SURVIVABLE_NONATOMIC: False,
        Durability.PERFORMANCE_OPTIMIZED: False,
    }
    assert not FlowExecution(heads={1: "3"}, durability=None).can_resume(_storage())


def test_done_or_only_head_flow_end_is_not_resumed() -> None:
    ex = FlowExecution(heads={1: "3"}, persisted_clean=True, done=True)
    assert not ex.can_resume(_storage())
    ex.done = False  # legacy: done unset, but the only head is the flow end
    decision = ex.can_resume(_storage(NodeKind.FLOW_END))
    assert not decision and "flow end" in decision.reason


def test_scripts_and_touch() -> None:
    ex = FlowExecution(script="main()", loaded_scripts={"lib": "x()"})
    assert ex.scripts == {"main": "main()", "lib": "x()"}
    ex.touch(10)
    ex.touch(20)
    assert (ex.created_ms, ex.updated_ms) == (10, 20)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
)


@given(
    heads=st.dictionaries(st.integers(1, 9), st.integers(2, 99).map(str), max_size=3),
    clean=st.sampled_from([True, False, None]),
    durability=st.sampled_from([None, *Durability]),
    result=st.sampled_from([None, *Result]),
    args=st.lists(json_values, max_size=3),
    meta=st.dictionaries(st.text(max_size=5), json_values, max_size=3),
)
def test_json_form_round_trips(
    heads: dict[int, str], clean: bool | None, durability: Durability | None, result: Result | None,
    args: list[object], meta: dict[str, object],
) -> None:  # fmt: skip
    ex = FlowExecution(heads=heads, starts=["3"], persisted_clean=clean, durability=durability, result=result)
    ex.factory, ex.factory_args, ex.metadata, ex.id, ex.name, ex.created_ms = "pkg.make", args, meta, "r1", "n", 1
    assert FlowExecution.from_dict(ex.to_dict()) == ex
