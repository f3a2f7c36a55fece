"""Step details: what a recorded step's node says about the step (TaskFlow's *atom detail*).

TaskFlow keeps, for every atom, a detail record with its name, state, version, result and
failure, and matches atoms to details by unique name when a flow resumes. flowgraph keeps the
same facts *on the step's flow node*, as a :class:`StepRecordAction`, so the flow graph itself
is the logbook: whatever storage holds the nodes (memory, SQL, per-node XML) holds the step
details too, and the node and its detail become durable in the same flush. The failure is the
node's :class:`~flowgraph.actions.ErrorAction`, as Jenkins records it.

:class:`BlockKeyAction` marks a block the recorder opened (a stage, a parallel, a retry) with
the block's path in the pipeline definition, so a resumed run can re-enter the blocks that were
still open when the process stopped instead of opening them again.

Examples
--------
>>> from flowgraph.actions import action_from_dict, action_to_dict
>>> rec = StepRecordAction("compile", StepState.SUCCESS, version="2", result={"artifact": "app.whl"})
>>> action_from_dict(action_to_dict(rec)) == rec
True
>>> rec.completed, StepRecordAction("t1", StepState.RUNNING).completed
(True, False)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from enum import Enum
from typing import Any, ClassVar

from flowgraph.actions import Action, register_action

__all__ = ["StepState", "StepRecordAction", "BlockKeyAction"]


class StepState(Enum):
    """The life of one recorded step (a subset of TaskFlow's atom states, plus INTERRUPTED).

    ``INTERRUPTED`` marks a step that was running when its process died; on resume it ran again
    as a new node, and the old node keeps this state so the record stays truthful.
    """

    RUNNING = "RUNNING"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    INTERRUPTED = "INTERRUPTED"


_STATES = {state.value: state for state in StepState}


@register_action
@dataclasses.dataclass(frozen=True, slots=True)
class StepRecordAction(Action):
    """The detail of the recorded step this node ran: name, state, version, result.

    ``result`` is the step's JSON-able return value (None until it succeeds); ``attempt`` counts
    the step's runs inside a ``retry`` (1 for the first); ``finished_ms`` is when it completed.
    """

    kind: ClassVar[str] = "flowgraph.StepRecord"
    name: str
    state: StepState
    version: str = "1"
    result: Any = None
    attempt: int = 1
    finished_ms: int | None = None

    @property
    def completed(self) -> bool:
        """True when the step's success was recorded: resumption never runs it again."""
        return self.state is StepState.SUCCESS

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "state": self.state.value,
            "version": self.version,
            "result": self.result,
            "attempt": self.attempt,
            "finished_ms": self.finished_ms,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StepRecordAction:
        return cls(
            str(data["name"]),
            _STATES[data["state"]],
            str(data.get("version", "1")),
            data.get("result"),
            int(data.get("attempt", 1)),
            data.get("finished_ms"),
        )


@register_action
@dataclasses.dataclass(frozen=True, slots=True)
class BlockKeyAction(Action):
    """The path of a recorder block in its pipeline definition, e.g. ``stage:Build/parallel:tests``."""

    kind: ClassVar[str] = "flowgraph.BlockKey"
    key: str
