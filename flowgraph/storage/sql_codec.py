"""Row codec of :class:`~flowgraph.storage.sql.SqlNodeStorage`: flow nodes to and from SQL rows, fast.

A bulk save or a reload of a big run spends its time here, not in the database: a node is one
row whose ``actions`` column is a JSON list of ``{"kind": ..., "data": {...}}`` objects (the
storage-neutral form of :func:`~flowgraph.actions.action_to_dict`). The stored form is exactly
the one the generic path writes; only the work is cut down:

* the JSON list is parsed by the C scanner in one call (no ``json.loads`` wrapper);
* the actions every recorded node carries are rebuilt through a per-kind decoder (a timing
  action from its one number, a step record from its fields) instead of the generic
  ``action_from_dict`` lookup, and field-less actions (``LogStorageAction``, body markers) are
  values, so one shared instance serves every node;
* on the way in, the same actions are written by string templates, and everything else through
  the C encoder directly; descriptor ids are interned so a million nodes share a few strings.

Anything unusual (a kind registered by a user, a whitespace-padded list, a kind re-registered
under another class) goes through the generic path and means the same thing.

Examples
--------
>>> from flowgraph.actions import LogStorageAction, TimingAction
>>> text = encode_actions((TimingAction(5), LogStorageAction()), "3")
>>> text
'[{"kind":"TimingAction","data":{"start_ms":5}},{"kind":"LogStorageAction","data":{}}]'
>>> decode_actions(text)
(TimingAction(start_ms=5), LogStorageAction())
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from flowgraph.actions import Action, TimingAction, action_from_dict, action_to_dict, registered_actions
from flowgraph.errors import StorageError
from flowgraph.node import FlowNode
from flowgraph.stepdetail import StepRecordAction, StepState

__all__ = ["encode_actions", "encode_parents", "decode_actions", "decode_parents", "dumps", "intern_text"]

_scan_once = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # the C scanner: value and end index, no wrapper work
_encode_string = json.encoder.encode_basestring_ascii
_dumps = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode
_c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
_refuse = json.JSONEncoder().default  # raises the usual TypeError for a value JSON cannot hold
_REGISTRY = registered_actions()
_EMPTY: Mapping[str, Any] = {}


def dumps(value: Any) -> str:
    """Compact JSON for a column (``None`` is the commonest value and costs nothing).

    Examples
    --------
    >>> dumps({"a": [1, None]}), dumps(None)
    ('{"a":[1,null]}', 'null')
    """
    if value is None:
        return "null"
    if _c_make_encoder is None:  # pragma: no cover - CPython always has the C encoder
        return _dumps(value)
    encode = _c_make_encoder({}, _refuse, _encode_string, None, ":", ",", False, False, False)
    return "".join(encode(value, 0))  # JSONEncoder.encode without its Python layers (same output)


_INTERNED: dict[str, str] = {}


def intern_text(text: str | None) -> str | None:
    """One shared string per distinct value (descriptor ids repeat on every node of a step).

    Examples
    --------
    >>> intern_text("x") is intern_text("".join(["x"]))
    True
    """
    if text is None:
        return None
    return _INTERNED.setdefault(text, text) if len(_INTERNED) < 65_536 else text


# -- encoding ----------------------------------------------------------------------------------

_FIELDLESS_JSON: dict[type[Action], str] = {}


def _step_json(action: StepRecordAction) -> str:
    version = action.version
    attempt = action.attempt
    finished = action.finished_ms
    if type(version) is not str or type(attempt) is not int or (finished is not None and type(finished) is not int):
        return _dumps(action_to_dict(action))
    return (
        '{"kind":"flowgraph.StepRecord","data":{"name":' + _encode_string(action.name)
        + ',"state":"' + action.state.value + '","version":' + _encode_string(version)
        + ',"result":' + dumps(action.result) + ',"attempt":' + str(attempt)
        + ',"finished_ms":' + ("null" if finished is None else str(finished)) + "}}"
    )  # fmt: skip


def _action_json(action: Action) -> str:
    cls = type(action)
    if cls is TimingAction:
        start = action.start_ms  # type: ignore[attr-defined]
        return '{"kind":"TimingAction","data":{"start_ms":' + str(int(start)) + "}}"
    if cls is StepRecordAction and type(action.name) is str:  # type: ignore[attr-defined]
        return _step_json(action)  # type: ignore[arg-type]
    shared = _FIELDLESS_JSON.get(cls)
    if shared is not None:
        return shared
    text = _dumps(action_to_dict(action))
    if text.endswith(',"data":{}}') and getattr(cls, "__slots__", None) == ():
        _FIELDLESS_JSON[cls] = text
    return text


def encode_actions(actions: tuple[Action, ...], node_id: str, where: str | None = None) -> str:
    """The ``actions`` column of a node; a value JSON cannot hold is a typed StorageError."""
    try:
        return "[" + ",".join([_action_json(a) for a in actions]) + "]"
    except (TypeError, ValueError) as exc:
        raise StorageError(
            f"node {node_id}: its actions cannot be stored as JSON ({exc}); "
            "use JSON values (str, numbers, lists, dicts)",
            path=where,
            node_id=node_id,
        ) from exc


def encode_parents(node: FlowNode) -> str:
    """The ``parent_ids`` column: a JSON list of ids (the usual decimal ids need no escaping)."""
    parents = node.parent_ids
    if not parents:
        return "[]"
    if len(parents) == 1:
        only = parents[0]
        return '["' + only + '"]' if only.isdigit() else _dumps([only])
    if all(p.isdigit() for p in parents):
        return '["' + '","'.join(parents) + '"]'
    return _dumps(list(parents))


# -- decoding ----------------------------------------------------------------------------------


def decode_parents(text: str) -> tuple[str, ...]:
    """The parent ids from the ``parent_ids`` column.

    Examples
    --------
    >>> decode_parents('["4","7"]'), decode_parents("[]")
    (('4', '7'), ())
    """
    if text == "[]":
        return ()
    if text[:2] == '["' and text[-2:] == '"]':
        inner = text[2:-2]
        if inner.isdigit():
            return (inner,)
        if inner.replace('","', "").isdigit():
            return tuple(inner.split('","'))
    return tuple(str(p) for p in json.loads(text))


_new = object.__new__
_set_start = TimingAction.__dict__["start_ms"].__set__  # the slot itself: a frozen dataclass's __init__ goes
_STEP_SLOTS = tuple(StepRecordAction.__dict__[f].__set__ for f in ("name", "state", "version", "result", "attempt"))
_set_finished = StepRecordAction.__dict__["finished_ms"].__set__  # through object.__setattr__ field by field


def _timing(data: Mapping[str, Any]) -> Action:
    start = data["start_ms"]
    action = _new(TimingAction)
    _set_start(action, start if type(start) is int else int(start))
    return action


def _step(data: Mapping[str, Any]) -> Action:
    """StepRecordAction.from_dict, field for field, without the dataclass __init__."""
    name, state, version = data["name"], _STEP_STATES[data["state"]], data.get("version", "1")
    attempt = data.get("attempt", 1)
    action = _new(StepRecordAction)
    set_name, set_state, set_version, set_result, set_attempt = _STEP_SLOTS
    set_name(action, name if type(name) is str else str(name))
    set_state(action, state)
    set_version(action, version if type(version) is str else str(version))
    set_result(action, data.get("result"))
    set_attempt(action, attempt if type(attempt) is int else int(attempt))
    _set_finished(action, data.get("finished_ms"))
    return action


_STEP_STATES = {state.value: state for state in StepState}
_DECODERS: dict[str, tuple[type[Action], Callable[[Mapping[str, Any]], Action]]] = {
    "TimingAction": (TimingAction, _timing),
    StepRecordAction.kind: (StepRecordAction, _step),
}
_SHARED: dict[str, Action] = {}  # field-less actions are values: one instance serves every node


def _shared(item: Mapping[str, Any]) -> Action:
    kind = item["kind"]
    action = action_from_dict(item)
    if _REGISTRY.get(kind) is type(action) and getattr(type(action), "__slots__", None) == ():
        _SHARED[kind] = action
    return action


def _loads(text: str) -> Any:
    try:
        value, end = _scan_once(text, 0)
    except StopIteration:  # e.g. leading whitespace: let the full parser accept or explain it
        return json.loads(text)
    return value if end == len(text) else json.loads(text)


def decode_actions(text: str) -> tuple[Action, ...]:
    """The actions from the ``actions`` column, in order.

    Raises
    ------
    ValueError, KeyError, TypeError
        The text is not a JSON list of actions (the storage turns these into FormatError).
    """
    value = _loads(text)
    if type(value) is not list:
        raise ValueError(f"not a JSON list: {text[:60]!r}")
    registered = _REGISTRY.get
    out = []
    for item in value:
        kind = item["kind"]
        data = item.get("data")
        if not data:
            action = _SHARED.get(kind) or _shared(item)
        elif kind == "TimingAction" and registered(kind) is TimingAction:  # on every node: inlined
            start = data["start_ms"]
            action = _new(TimingAction)
            _set_start(action, start if type(start) is int else int(start))
        else:
            fast = _DECODERS.get(kind)
            action = fast[1](data) if fast is not None and registered(kind) is fast[0] else action_from_dict(item)
        out.append(action)
    return tuple(out)
