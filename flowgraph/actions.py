"""Typed actions: the facts attached to a flow node.

Jenkins stores almost everything interesting about a node (when it started, its label, the
error it raised, the arguments it ran with) as *actions*. Each action here is a small
immutable, slotted class; a node holds a tuple of them and is asked for them by type
(``node.get_action(TimingAction)``). Subclassing matters: :class:`ParallelLabelAction` is
both a :class:`LabelAction` and a :class:`ThreadNameAction`, exactly as in Jenkins, so a
lookup for either finds it.

Actions the library does not know are kept as :class:`UnknownAction` with their original
serialized form, and written back unchanged. Users define their own by subclassing
:class:`Action` and registering a name with :func:`register_action`, which gives them a
dict form that every storage can persist.

Examples
--------
>>> a = ArgumentsAction({"script": "make", "token": MaskedValue.MASKED_VALUE})
>>> a.arguments["script"]
'make'
>>> a.summary("sh")
'make'
>>> ParallelLabelAction("unit").display_name, ParallelLabelAction("unit").thread_name
('Branch: unit', 'unit')
"""

from __future__ import annotations

import copyreg
import dataclasses
from collections.abc import Mapping
from enum import Enum
from types import MappingProxyType
from typing import Any, ClassVar, TypeVar

from flowgraph.result import Result

__all__ = [
    "Action",
    "TimingAction",
    "LabelAction",
    "ThreadNameAction",
    "ParallelLabelAction",
    "StageAction",
    "ErrorAction",
    "MaskedValue",
    "ArgumentsAction",
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
    "action_to_dict",
    "action_from_dict",
    "registered_actions",
    "FLOW_INTERRUPTED_EXCEPTION",
]

FLOW_INTERRUPTED_EXCEPTION = "org.jenkinsci.plugins.workflow.steps.FlowInterruptedException"

_A = TypeVar("_A", bound="Action")


class Action:
    """Base of every action. Subclasses are immutable value objects with ``__slots__``.

    ``kind`` is the short, stable name under which an action is stored in non-Jenkins
    storages (SQL, JSON); built-in actions use their class name.
    """

    __slots__ = ()
    kind: ClassVar[str] = "Action"

    def to_dict(self) -> dict[str, Any]:
        """The action's fields as plain JSON-able data (dataclass actions get this for free)."""
        if dataclasses.is_dataclass(self):
            return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}
        return {}

    @classmethod
    def from_dict(cls: type[_A], data: Mapping[str, Any]) -> _A:
        """Rebuild the action from :meth:`to_dict` output."""
        return cls(**data)


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (frozenset, set)):
        return sorted(_plain(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


@dataclasses.dataclass(frozen=True, slots=True)
class TimingAction(Action):
    """When the node was created, in epoch milliseconds.

    Jenkins stores no duration: a node's duration is the next node's start minus its own.
    """

    kind: ClassVar[str] = "TimingAction"
    start_ms: int


class LabelAction(Action):
    """A human name attached to a node: a stage's name, a checkpoint, a parallel branch."""

    __slots__ = ("_display_name",)
    kind: ClassVar[str] = "LabelAction"
    _display_name: str | None

    def __init__(self, display_name: str | None) -> None:
        object.__setattr__(self, "_display_name", display_name)

    @property
    def display_name(self) -> str | None:
        return self._display_name

    def __setattr__(self, name: str, value: object) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LabelAction) and type(other) is type(self) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash((type(self), self.display_name))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.display_name!r})"

    def to_dict(self) -> dict[str, Any]:
        return {"display_name": self.display_name}

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickle by constructor: the default slot-state path would hit the read-only __setattr__.
        return (type(self), (self._display_name,))


class ThreadNameAction:
    """Names the thread (parallel branch) a node starts. Implemented by :class:`ParallelLabelAction`."""

    __slots__ = ()

    @property
    def thread_name(self) -> str:
        """The branch name."""
        raise NotImplementedError


class ParallelLabelAction(LabelAction, ThreadNameAction):
    """Marks the start node of one parallel branch with the branch's name.

    It is both a label and a thread name; its display name is ``Branch: <name>`` as in Jenkins.
    """

    __slots__ = ("_branch_name",)
    kind: ClassVar[str] = "ParallelLabelAction"
    _branch_name: str

    def __init__(self, branch_name: str) -> None:
        super().__init__(None)
        object.__setattr__(self, "_branch_name", branch_name)

    @property
    def branch_name(self) -> str:
        return self._branch_name

    @property
    def thread_name(self) -> str:
        return self.branch_name

    @property
    def display_name(self) -> str:
        return f"Branch: {self.branch_name}"

    def __hash__(self) -> int:
        return hash((type(self), self.branch_name))

    def __repr__(self) -> str:
        return f"ParallelLabelAction({self.branch_name!r})"

    def to_dict(self) -> dict[str, Any]:
        return {"branch_name": self.branch_name}

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._branch_name,))


@dataclasses.dataclass(frozen=True, slots=True)
class StageAction(Action):
    """A legacy (atom, bodiless) ``stage 'x'`` marker; modern stages use a block and a LabelAction."""

    kind: ClassVar[str] = "StageAction"
    stage_name: str


@dataclasses.dataclass(frozen=True, slots=True)
class ErrorAction(Action):
    """An error raised in the node, or (on a block end) raised in the block and not caught.

    ``error_type`` is the Java (or Python) class name of the throwable, ``message`` its message,
    ``stack`` the stack trace as text (one frame per line), ``error_id`` Jenkins' error UUID when
    recorded, and ``result`` the interruption result for a ``FlowInterruptedException``.
    """

    kind: ClassVar[str] = "ErrorAction"
    error_type: str
    message: str | None = None
    stack: str = ""
    error_id: str | None = None
    result: Result | None = None

    @property
    def is_interruption(self) -> bool:
        """True for an abort or timeout (Jenkins' ``FlowInterruptedException``)."""
        return self.error_type == FLOW_INTERRUPTED_EXCEPTION

    def to_dict(self) -> dict[str, Any]:
        return {
            "error_type": self.error_type,
            "message": self.message,
            "stack": self.stack,
            "error_id": self.error_id,
            "result": self.result.name if self.result is not None else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ErrorAction:
        fields = dict(data)
        if fields.get("result") is not None:
            fields["result"] = Result.parse(fields["result"])
        return cls(**fields)


class MaskedValue(Enum):
    """Why an argument value was not stored (Jenkins' ``ArgumentsAction.NotStoredReason``)."""

    MASKED_VALUE = "MASKED_VALUE"
    OVERSIZE_VALUE = "OVERSIZE_VALUE"
    UNSERIALIZABLE = "UNSERIALIZABLE"

    def __str__(self) -> str:
        return "****" if self is MaskedValue.MASKED_VALUE else f"<{self.value.lower()}>"


# Which argument Jenkins shows as the one-line summary of a step (argumentsToString).
_SUMMARY_ARGUMENT = {
    "sh": "script",
    "bat": "script",
    "powershell": "script",
    "pwsh": "script",
    "echo": "message",
    "error": "message",
    "unstable": "message",
    "input": "message",
    "stage": "name",
    "node": "label",
    "sleep": "time",
    "timeout": "time",
    "retry": "count",
    "dir": "path",
    "git": "url",
    "build": "job",
    "archiveArtifacts": "artifacts",
    "junit": "testResults",
}


class ArgumentsAction(Action):
    """The arguments a step was called with, after Jenkins' sanitization.

    Masked or unstorable values are :class:`MaskedValue` members and stay masked: nothing here
    can unmask them. ``sensitive_variables`` names the secrets that were masked, and
    ``unmodified`` is False when sanitization changed anything.
    """

    __slots__ = ("_arguments", "_sensitive", "_unmodified")
    kind: ClassVar[str] = "ArgumentsAction"
    _arguments: Mapping[str, Any]
    _sensitive: frozenset[str]
    _unmodified: bool

    def __init__(
        self,
        arguments: Mapping[str, Any],
        sensitive_variables: frozenset[str] | set[str] | tuple[str, ...] = frozenset(),
        unmodified: bool = True,
    ) -> None:
        object.__setattr__(self, "_arguments", MappingProxyType(dict(arguments)))
        object.__setattr__(self, "_sensitive", frozenset(sensitive_variables))
        object.__setattr__(self, "_unmodified", unmodified)

    def __setattr__(self, name: str, value: object) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

    @property
    def arguments(self) -> Mapping[str, Any]:
        """Read-only mapping of argument name to value."""
        return self._arguments

    @property
    def sensitive_variables(self) -> frozenset[str]:
        return self._sensitive

    @property
    def unmodified(self) -> bool:
        """Jenkins' ``isUnmodifiedBySanitization``."""
        return self._unmodified

    def summary(self, function_name: str | None = None) -> str | None:
        """The one-line argument text Jenkins shows next to a step (e.g. the shell script).

        A single argument is shown as is; otherwise the step's main argument when it is known.
        """
        args = self.arguments
        if not args:
            return None
        key = _SUMMARY_ARGUMENT.get(function_name or "")
        if key is not None and key in args:
            value = args[key]
        elif len(args) == 1:
            value = next(iter(args.values()))
        else:
            return None
        if value is None or isinstance(value, (dict, list, tuple)):  # a <null/> argument has no text
            return None
        text = str(value).strip()
        return text.splitlines()[0] if text else text

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ArgumentsAction)
            and dict(self.arguments) == dict(other.arguments)
            and self.sensitive_variables == other.sensitive_variables
            and self.unmodified == other.unmodified
        )

    def __hash__(self) -> int:
        return hash((tuple(self.arguments), self.sensitive_variables))

    def __repr__(self) -> str:
        return f"ArgumentsAction({dict(self.arguments)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # A mappingproxy cannot be pickled; runs travel between processes (the bulk loader).
        return (type(self), (dict(self._arguments), self._sensitive, self._unmodified))

    def to_dict(self) -> dict[str, Any]:
        return {
            "arguments": {k: _encode_argument(v) for k, v in self.arguments.items()},
            "sensitive_variables": sorted(self.sensitive_variables),
            "unmodified": self.unmodified,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ArgumentsAction:
        return cls(
            {k: _decode_argument(v) for k, v in data["arguments"].items()},
            frozenset(data.get("sensitive_variables", ())),
            bool(data.get("unmodified", True)),
        )


def _encode_argument(value: Any) -> Any:
    if isinstance(value, MaskedValue):
        return {"$masked": value.value}
    if isinstance(value, Mapping):
        return {str(k): _encode_argument(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode_argument(v) for v in value]
    return value


def _decode_argument(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$masked"}:
            return MaskedValue(value["$masked"])
        return {k: _decode_argument(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode_argument(v) for v in value]
    return value


@dataclasses.dataclass(frozen=True, slots=True)
class BodyInvocationAction(Action):
    """Marks the start and end of the *inner* block that runs a block step's body."""

    kind: ClassVar[str] = "BodyInvocationAction"


class LogAction(Action):
    """Says where a node's console output lives. Subclasses name the two Jenkins layouts."""

    __slots__ = ()
    kind: ClassVar[str] = "LogAction"


@dataclasses.dataclass(frozen=True, slots=True)
class LogStorageAction(LogAction):
    """The node's output is in the run's shared ``log`` file, located through ``log-index``."""

    kind: ClassVar[str] = "LogStorageAction"


@dataclasses.dataclass(frozen=True, slots=True)
class LogFileAction(LogAction):
    """Legacy layout: the node's output is in its own ``<id>.log`` file in the build directory."""

    kind: ClassVar[str] = "LogFileAction"
    charset: str = "UTF-8"


@dataclasses.dataclass(frozen=True, slots=True)
class NotExecutedNodeAction(Action):
    """The node was re-created when a run restarted from a checkpoint and did not run this time."""

    kind: ClassVar[str] = "NotExecutedNodeAction"


@dataclasses.dataclass(frozen=True, slots=True)
class WorkspaceAction(Action):
    """The agent (``node``), workspace path and agent labels a ``node {}`` block obtained."""

    kind: ClassVar[str] = "WorkspaceAction"
    node: str
    path: str
    labels: frozenset[str] = frozenset()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WorkspaceAction:
        return cls(data["node"], data["path"], frozenset(data.get("labels", ())))


@dataclasses.dataclass(frozen=True, slots=True)
class WarningAction(Action):
    """A non-fatal problem with a result, written by ``unstable``, ``warnError``, ``catchError``."""

    kind: ClassVar[str] = "WarningAction"
    result: Result
    message: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"result": self.result.name, "message": self.message}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WarningAction:
        return cls(Result.parse(data["result"]), data.get("message"))


class TagsAction(Action):
    """Free-form string tags; declarative writes ``STAGE_STATUS`` (e.g. ``SKIPPED_FOR_CONDITIONAL``)."""

    __slots__ = ("_tags",)
    kind: ClassVar[str] = "TagsAction"
    _tags: Mapping[str, str]

    def __init__(self, tags: Mapping[str, str]) -> None:
        object.__setattr__(self, "_tags", MappingProxyType(dict(tags)))

    def __setattr__(self, name: str, value: object) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

    @property
    def tags(self) -> Mapping[str, str]:
        return self._tags

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TagsAction) and dict(self.tags) == dict(other.tags)

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.tags.items())))

    def __repr__(self) -> str:
        return f"TagsAction({dict(self.tags)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (dict(self._tags),))

    def to_dict(self) -> dict[str, Any]:
        return {"tags": dict(self.tags)}


@dataclasses.dataclass(frozen=True, slots=True)
class PauseAction(Action):
    """A pause (``cause`` is ``"Input"`` for the input step); ``end_ms`` is 0 while still paused."""

    kind: ClassVar[str] = "PauseAction"
    cause: str
    start_ms: int
    end_ms: int = 0

    @property
    def is_paused(self) -> bool:
        return self.end_ms == 0

    def duration_ms(self, now_ms: int) -> int:
        """How long the pause lasted (up to ``now_ms`` while it goes on)."""
        return (now_ms if self.is_paused else self.end_ms) - self.start_ms


class QueueState(Enum):
    """State of the queue item a ``node {}`` step waits on."""

    QUEUED = "QUEUED"
    LAUNCHED = "LAUNCHED"
    CANCELLED = "CANCELLED"
    UNKNOWN = "UNKNOWN"


@dataclasses.dataclass(frozen=True, slots=True)
class QueueItemAction(Action):
    """The queue item of a ``node {}`` step; ``state`` QUEUED means still waiting for an executor."""

    kind: ClassVar[str] = "QueueItemAction"
    queue_id: int
    state: QueueState = QueueState.UNKNOWN

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QueueItemAction:
        return cls(int(data["queue_id"]), QueueState(data.get("state", "UNKNOWN")))


@dataclasses.dataclass(frozen=True, slots=True)
class UnknownAction(Action):
    """An action this library does not understand, kept verbatim so it can be written back.

    ``class_name`` is the Jenkins class (or the stored kind), ``payload`` the original serialized
    form (the XML element text for Jenkins files, JSON text for other storages).
    """

    kind: ClassVar[str] = "UnknownAction"
    class_name: str
    payload: str


_REGISTRY: dict[str, type[Action]] = {}


def register_action(cls: type[_A]) -> type[_A]:
    """Class decorator: make a user-defined action storable under its ``kind`` name.

    Examples
    --------
    >>> import dataclasses
    >>> from typing import ClassVar
    >>> @register_action
    ... @dataclasses.dataclass(frozen=True, slots=True)
    ... class CoverageAction(Action):
    ...     kind: ClassVar[str] = "example.Coverage"
    ...     percent: float
    >>> action_from_dict(action_to_dict(CoverageAction(93.5)))
    CoverageAction(percent=93.5)
    """
    existing = _REGISTRY.get(cls.kind)
    if existing is not None and existing is not cls and existing.__qualname__ != cls.__qualname__:
        raise ValueError(f"action kind {cls.kind!r} is already registered by {existing.__qualname__}")
    _REGISTRY[cls.kind] = cls
    return cls


def registered_actions() -> Mapping[str, type[Action]]:
    """Every action kind a storage can rebuild, built-in and user-defined."""
    return MappingProxyType(_REGISTRY)


def action_to_dict(action: Action) -> dict[str, Any]:
    """``{"kind": ..., "data": {...}}``: the storage-neutral form of an action."""
    return {"kind": action.kind, "data": action.to_dict()}


def action_from_dict(data: Mapping[str, Any]) -> Action:
    """Rebuild an action from :func:`action_to_dict`; unknown kinds come back as UnknownAction."""
    cls = _REGISTRY.get(data["kind"])
    if cls is None:
        import json

        return UnknownAction(str(data["kind"]), json.dumps(data.get("data", {}), sort_keys=True))
    return cls.from_dict(data.get("data", {}))


def _reduce_by_fields(self: Action) -> tuple[Any, ...]:
    """Pickle a built-in dataclass action as a constructor call (4x quicker to load than the
    default slot-state path): runs cross process boundaries by the thousand in the bulk loader."""
    cls = type(self)
    names = _CONSTRUCTOR_FIELDS.get(cls)
    if names is None:  # a subclass: what pickle does by default
        return (copyreg.__newobj__, (cls,), self.__getstate__())  # type: ignore[attr-defined]
    return (cls, tuple([getattr(self, name) for name in names]))


_CONSTRUCTOR_FIELDS: dict[type, tuple[str, ...]] = {}
_fast_pickled: type[Action]
for _fast_pickled in (
    TimingAction,
    StageAction,
    ErrorAction,
    BodyInvocationAction,
    LogStorageAction,
    LogFileAction,
    NotExecutedNodeAction,
    WorkspaceAction,
    WarningAction,
    PauseAction,
    QueueItemAction,
    UnknownAction,
):
    _CONSTRUCTOR_FIELDS[_fast_pickled] = tuple(field.name for field in dataclasses.fields(_fast_pickled))
    _fast_pickled.__reduce__ = _reduce_by_fields  # type: ignore[assignment,method-assign]

for _cls in (
    TimingAction,
    LabelAction,
    ParallelLabelAction,
    StageAction,
    ErrorAction,
    ArgumentsAction,
    BodyInvocationAction,
    LogStorageAction,
    LogFileAction,
    NotExecutedNodeAction,
    WorkspaceAction,
    WarningAction,
    TagsAction,
    PauseAction,
    QueueItemAction,
    UnknownAction,
):
    register_action(_cls)
