"""Status: the priority order of Jenkins' GenericStatus and its combination rule (spec §1.1, §1.3)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flowgraph import Result
from scanners import Status

S = Status


def test_declared_in_increasing_priority() -> None:
    assert [s.name for s in sorted(Status)] == [
        "NOT_EXECUTED",
        "SUCCESS",
        "UNSTABLE",
        "QUEUED",
        "IN_PROGRESS",
        "FAILURE",
        "ABORTED",
        "PAUSED_PENDING_INPUT",
    ]
    assert [s.priority for s in Status] == list(range(8))


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([S.FAILURE, S.IN_PROGRESS], S.FAILURE),  # failed branch + running branch
        ([S.FAILURE, S.ABORTED], S.ABORTED),  # fail-fast parallel
        ([S.FAILURE, S.ABORTED, S.PAUSED_PENDING_INPUT], S.PAUSED_PENDING_INPUT),
        ([S.QUEUED, S.IN_PROGRESS], S.IN_PROGRESS),
        ([S.QUEUED, S.SUCCESS], S.QUEUED),
        ([S.UNSTABLE, S.QUEUED], S.QUEUED),
        ([S.NOT_EXECUTED, S.SUCCESS], S.SUCCESS),  # skipped + success
        ([S.NOT_EXECUTED], S.NOT_EXECUTED),
        ([S.SUCCESS, S.UNSTABLE, S.SUCCESS], S.UNSTABLE),
    ],
)
def test_condense_is_highest_priority(statuses: list[Status], expected: Status) -> None:
    assert Status.condense(statuses) is expected


def test_condense_of_nothing_is_none() -> None:
    assert Status.condense([]) is None
    assert Status.condense([None, None]) is None


@given(st.lists(st.sampled_from(list(Status)), min_size=1))
def test_condense_is_order_free_max(statuses: list[Status]) -> None:
    expected = max(statuses, key=lambda s: s.priority)
    assert Status.condense(statuses) is expected
    assert Status.condense(reversed(statuses)) is expected
    assert all(Status.condense(statuses) >= s for s in statuses)


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (Result.SUCCESS, S.SUCCESS),
        (Result.UNSTABLE, S.UNSTABLE),
        (Result.FAILURE, S.FAILURE),
        (Result.ABORTED, S.ABORTED),
        (Result.NOT_BUILT, S.NOT_EXECUTED),
        (None, S.NOT_EXECUTED),
    ],
)
def test_from_result(result: Result | None, expected: Status) -> None:
    assert Status.from_result(result) is expected


def test_api_v1_coercion_only_maps_queued() -> None:
    assert [s.coerce_v1() for s in Status] == [
        S.NOT_EXECUTED,
        S.SUCCESS,
        S.UNSTABLE,
        S.IN_PROGRESS,
        S.IN_PROGRESS,
        S.FAILURE,
        S.ABORTED,
        S.PAUSED_PENDING_INPUT,
    ]


def test_view_states_and_running_flag() -> None:
    assert {s for s in Status if s.is_running} == {S.QUEUED, S.IN_PROGRESS, S.PAUSED_PENDING_INPUT}
    assert S.NOT_EXECUTED.state == "not_built"
    assert S.IN_PROGRESS.state == "running"
    assert S.PAUSED_PENDING_INPUT.state == "paused"


def test_statuses_do_not_compare_with_other_types() -> None:
    with pytest.raises(TypeError):
        _ = S.SUCCESS < 3  # type: ignore[operator]
