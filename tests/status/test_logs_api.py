"""scanners.logs and RunAnalysis.log_of: step and stage logs for notebook users (issue 13).

Expected texts are read off the fixtures' log files by hand.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flowgraph import GraphBuilder, StorageError
from flowgraph.jenkins.runs import load_run
from scanners import analyze, has_logs, step_log, tail_lines
from tests.conftest import FIXTURES

LEGACY = "legacy-declarative-parallel-completed/jobs/ptest1/builds/1"
DANISH = "danish-completed-timeout/jobs/pipeline/builds/4"


def test_legacy_per_node_log_of_a_step_and_of_a_stage() -> None:
    run = load_run(FIXTURES / LEGACY)
    analysis = analyze(run)
    assert has_logs(run)
    # 20.log and 22.log are the echo steps of branch-one and branch-two
    assert step_log(run, "20") == "In branch-one\n"
    assert analysis.log_of("22") == "In branch-two\n"
    parent = next(s for s in analysis.iter_stages() if s.name == "parent")
    text = analysis.log_of(parent)
    assert "In branch-one\n" in text and "In branch-two\n" in text
    assert text.index("In branch-one") < text.index("In branch-two")


def test_log_index_step_log_has_console_notes_stripped_and_tail() -> None:
    # builds/4 log-index: node 14 (sh 'sleep 5' under timeout) prints "+ sleep 5", the interrupt
    # notice, "Terminated" and "script returned exit code 143".
    run = load_run(FIXTURES / DANISH)
    analysis = analyze(run)
    text = analysis.log_of("14")
    assert text.startswith("+ sleep 5\n") and "script returned exit code 143" in text
    assert "\x1b[8mha:" not in text
    assert analysis.log_of("14", tail=1) == "script returned exit code 143\n"
    step = next(s for s in analysis.iter_steps() if s.id == "14")
    assert analysis.log_of(step) == text


def test_run_without_build_directory_says_it_has_no_logs() -> None:
    b = GraphBuilder()
    b.step("echo", message="hi")
    run = b.build()
    assert not has_logs(run)
    with pytest.raises(StorageError, match="no log files"):
        analyze(run).log_of("3")


@given(st.lists(st.text(alphabet="ab\n", max_size=12), max_size=8), st.integers(min_value=0, max_value=5))
def test_tail_lines_matches_splitting_the_whole_text(chunks: list[str], count: int) -> None:
    whole = "".join(chunks)
    lines = whole.splitlines(keepends=True)
    tail = tail_lines(iter(chunks), count)
    expected = lines[max(0, len(lines) - count) :] if count else []
    assert list(tail.lines) == expected
    assert tail.skipped == len(lines) - len(expected)


def test_an_unfinished_run_from_files_is_measured_to_its_last_recorded_event() -> None:
    # inprogress-stage-sleep-pernode: build.xml startTime 1714512387076, not completed; node 4 (stage
    # body) starts at ...546 and node 5 (sleep, the last event) at ...626.
    from flowgraph.run import FixedClock
    from scanners import run_warnings

    where = FIXTURES / "inprogress-stage-sleep-pernode" / "jobs" / "test0" / "builds" / "1"
    analysis = analyze(load_run(where))
    assert analysis.run.metadata["clock"] == "last recorded event"
    assert [(s.name, s.duration_ms) for s in analysis.stages] == [("test", 80)]
    assert analysis.timing.total_ms == 550
    assert any("measured to its last recorded event (2024-04-30" in w for w in run_warnings(analysis))
    live = analyze(load_run(where, clock=FixedClock(1714512387626 + 1000)))
    assert [(s.name, s.duration_ms) for s in live.stages] == [("test", 1080)]
    assert "clock" not in live.run.metadata
