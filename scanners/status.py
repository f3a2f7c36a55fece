"""The status of a piece of a pipeline run, as Jenkins' pipeline-graph-analysis names it.

Jenkins answers "how did this stage/branch/step go?" with a ``GenericStatus``. Its eight
values are declared in increasing *priority*, and that order is the whole combination rule:
the status of several parallel branches together is simply the highest-priority one
(:meth:`Status.condense`). The order has consequences that are easy to get wrong, so they are
spelled out here (``reference/status-and-timing.md`` §1.1):

* FAILURE outranks IN_PROGRESS (one failed branch + one running branch → FAILURE);
* ABORTED outranks FAILURE (fail-fast parallels);
* PAUSED_PENDING_INPUT outranks everything;
* QUEUED sits between UNSTABLE and IN_PROGRESS;
* NOT_EXECUTED is the weakest (skipped + success → SUCCESS).

Examples
--------
>>> Status.condense([Status.SUCCESS, Status.FAILURE, Status.IN_PROGRESS])
<Status.FAILURE: 5>
>>> Status.condense([]) is None
True
>>> Status.from_result(None), Status.QUEUED.coerce_v1()
(<Status.NOT_EXECUTED: 0>, <Status.IN_PROGRESS: 4>)
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

from flowgraph.result import Result

__all__ = ["Status"]


class Status(Enum):
    """Jenkins' ``GenericStatus``; the value is the priority used to combine statuses.

    Members compare by priority (``Status.ABORTED > Status.FAILURE``), so ``max()`` over
    statuses is Jenkins' ``condenseStatus``.
    """

    NOT_EXECUTED = 0
    SUCCESS = 1
    UNSTABLE = 2
    QUEUED = 3
    IN_PROGRESS = 4
    FAILURE = 5
    ABORTED = 6
    PAUSED_PENDING_INPUT = 7

    @property
    def priority(self) -> int:
        """The enum ordinal Jenkins combines statuses by (higher wins)."""
        return int(self.value)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Status):
            return NotImplemented
        return self.value < other.value

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Status):
            return NotImplemented
        return self.value <= other.value

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Status):
            return NotImplemented
        return self.value > other.value

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Status):
            return NotImplemented
        return self.value >= other.value

    @property
    def is_running(self) -> bool:
        """True for the states that mean "not finished yet": queued, running, paused."""
        return self in _RUNNING

    @property
    def state(self) -> str:
        """The lower-case state name pipeline-graph-view shows (``success``, ``running``, ``paused``…)."""
        return _STATES[self]

    def coerce_v1(self) -> Status:
        """Map to the status API v1 values (no QUEUED): Jenkins' ``coerceStatusApi(…, API_V1)``."""
        return Status.IN_PROGRESS if self is Status.QUEUED else self

    @staticmethod
    def condense(statuses: Iterable[Status | None]) -> Status | None:
        """The combined status of several chunks: the highest priority; None when there are none.

        ``None`` entries (chunks without a status) are ignored, as Java's ``Collections.max``
        would never see them in Jenkins' maps of computed statuses.

        Examples
        --------
        >>> Status.condense([Status.FAILURE, Status.ABORTED])
        <Status.ABORTED: 6>
        >>> Status.condense([Status.QUEUED, Status.SUCCESS])
        <Status.QUEUED: 3>
        """
        best: Status | None = None
        for status in statuses:
            if status is not None and (best is None or status.value > best.value):
                best = status
        return best

    @staticmethod
    def from_result(result: Result | str | None) -> Status:
        """Jenkins' ``GenericStatus.fromResult``: NOT_BUILT and None (no result) are NOT_EXECUTED.

        A result name (``"FAILURE"``, any case) is read as :meth:`Result.parse` reads it; an
        unknown name or a value of another type is an :class:`~flowgraph.InvalidValueError`.

        Examples
        --------
        >>> Status.from_result(Result.UNSTABLE), Status.from_result(Result.NOT_BUILT)
        (<Status.UNSTABLE: 2>, <Status.NOT_EXECUTED: 0>)
        >>> Status.from_result("NOT_BUILT"), Status.from_result("failure")
        (<Status.NOT_EXECUTED: 0>, <Status.FAILURE: 5>)
        """
        if result is None:
            return Status.NOT_EXECUTED
        if isinstance(result, Result):
            return _FROM_RESULT[result]
        return _FROM_RESULT[Result.parse(result)]

    def __repr__(self) -> str:
        return f"<Status.{self.name}: {self.value}>"


_RUNNING = frozenset({Status.QUEUED, Status.IN_PROGRESS, Status.PAUSED_PENDING_INPUT})

_FROM_RESULT = {
    Result.SUCCESS: Status.SUCCESS,
    Result.UNSTABLE: Status.UNSTABLE,
    Result.FAILURE: Status.FAILURE,
    Result.NOT_BUILT: Status.NOT_EXECUTED,
    Result.ABORTED: Status.ABORTED,
}

_STATES = {
    Status.NOT_EXECUTED: "not_built",
    Status.SUCCESS: "success",
    Status.UNSTABLE: "unstable",
    Status.QUEUED: "queued",
    Status.IN_PROGRESS: "running",
    Status.FAILURE: "failure",
    Status.ABORTED: "aborted",
    Status.PAUSED_PENDING_INPUT: "paused",
}
