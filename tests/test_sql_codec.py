"""The SQL row codec's fast paths mean exactly what the generic action form means.

The expectations come from the storage-neutral form (``action_to_dict`` / ``action_from_dict``,
parsed by the standard ``json`` module), never from the codec itself.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowgraph import FlowNode, NodeKind
from flowgraph.actions import (
    Action,
    ArgumentsAction,
    BodyInvocationAction,
    ErrorAction,
    LogStorageAction,
    TimingAction,
    UnknownAction,
    action_from_dict,
    action_to_dict,
)
from flowgraph.errors import FormatError
from flowgraph.stepdetail import StepRecordAction, StepState
from flowgraph.storage.sql import SqlNodeStorage
from flowgraph.storage.sql_codec import decode_actions, decode_parents, encode_actions, encode_parents

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**80), max_value=2**80) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
)
actions = st.one_of(
    st.integers(min_value=0, max_value=2**62).map(TimingAction),
    st.just(LogStorageAction()),
    st.just(BodyInvocationAction()),
    st.builds(
        StepRecordAction,
        st.text(min_size=1, max_size=10),
        st.sampled_from(list(StepState)),
        st.text(max_size=4),
        json_values,
        st.integers(min_value=1, max_value=5),
        st.none() | st.integers(min_value=0, max_value=2**62),
    ),
    st.builds(ErrorAction, st.text(min_size=1, max_size=10), st.none() | st.text(max_size=10)),
    st.dictionaries(st.text(min_size=1, max_size=5), st.text(max_size=5), max_size=3).map(ArgumentsAction),
)


def _generic(text: str) -> tuple[Action, ...]:
    return tuple(action_from_dict(item) for item in json.loads(text))


@settings(max_examples=300, deadline=None)
@given(st.lists(actions, max_size=6))
def test_actions_round_trip_and_match_the_generic_form(items: list[Action]) -> None:
    text = encode_actions(tuple(items), "7")
    assert json.loads(text) == [action_to_dict(a) for a in items]  # the stored form is unchanged
    decoded = decode_actions(text)
    assert decoded == tuple(items)
    assert decoded == _generic(text)
    assert [type(a) for a in decoded] == [type(a) for a in items]


@given(st.lists(st.text(min_size=1, max_size=6) | st.integers(0, 10**6).map(str), min_size=1, max_size=4))
def test_parents_round_trip(parents: list[str]) -> None:
    node = FlowNode("99", NodeKind.ATOM, tuple(parents))
    text = encode_parents(node)
    assert json.loads(text) == parents
    assert decode_parents(text) == tuple(parents)


def test_unknown_kinds_and_padded_lists_take_the_generic_path() -> None:
    text = ' [ {"kind": "some.Plugin", "data": {"x": 1}}, {"kind":"TimingAction","data":{"start_ms":5}} ] '
    assert decode_actions(text) == (UnknownAction("some.Plugin", '{"x": 1}'), TimingAction(5))


@pytest.mark.parametrize(
    "bad",
    ['{"kind":"TimingAction"}', '[{"kind":"TimingAction","data":{}}', '[{"data":{"start_ms":1}}]', "[1]", ""],
)
def test_damaged_actions_are_a_format_error_naming_the_node(tmp_path: Path, bad: str) -> None:
    db = tmp_path / "runs.db"
    with SqlNodeStorage(db, "run") as store:
        store.store_node(FlowNode("2", NodeKind.FLOW_START, actions=[TimingAction(1)]))
        store.store_node(FlowNode("3", NodeKind.ATOM, ("2",), actions=[TimingAction(2)]))
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE flowgraph_nodes SET actions = ? WHERE node_id = '3'", (bad,))
    conn.close()
    again = SqlNodeStorage(db, "run")
    try:
        with pytest.raises(FormatError, match="node 3"):
            list(again.iter_nodes())
    finally:
        again.close()
