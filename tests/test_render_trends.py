"""History pictures (render.trends) on frames with the warehouse's pinned columns.

The stages frame is made the way the warehouse makes it: run_rows of real builder runs, one per
build number, concatenated; the answer frames (regressions, failure rates, flaky) are written
out by hand with the issue's columns, so the drawings are checked against known numbers.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from flowgraph import GraphBuilder
from render.trends import FlakyList, duration_trend, failure_rate_bars, flaky_list, seconds_of
from scanners.run_rows import rows_frame, run_rows

# Test's sh takes 10 s in runs 1-5 and 30 s from run 6 on; run 8 skips the stage.
TEST_SECONDS = {1: 10, 2: 10, 3: 11, 4: 10, 5: 10, 6: 30, 7: 30, 8: None, 9: 31, 10: 30}


def _history_stages(job: str = "team/app") -> pd.DataFrame:
    frames = []
    for number, seconds in TEST_SECONDS.items():
        b = GraphBuilder(start_ms=number * 10**6, step_ms=100)
        with b.stage("Test", skipped="SKIPPED_FOR_CONDITIONAL" if seconds is None else None):
            if seconds is not None:
                b.step("sh", script="./run-tests.sh", duration_ms=seconds * 1000 - 200)
        frame = rows_frame(run_rows(b.build()).stages, "stages")
        frames.append(frame.assign(job=job, number=number))
    return pd.concat(frames, ignore_index=True)


def _regressions(job: str = "team/app") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "job": [job],
            "path": ["Test"],
            "first_slow_number": [6],
            "before_median": [pd.Timedelta(seconds=10)],
            "after_median": [pd.Timedelta(seconds=30)],
            "ratio": [3.0],
            "p_value": [0.001],
        }
    )


def _by_gid(figure: object, gid: str) -> list[object]:
    return [artist for artist in figure.axes[0].get_children() if artist.get_gid() == gid]  # type: ignore[attr-defined]


def test_duration_trend_marks_the_first_slow_run() -> None:
    stages = _history_stages()
    # A stage lasts 200 ms more than its step (body start to outer end, step_ms 100): whole seconds.
    assert seconds_of(stages["duration"]).tolist()[:3] == [10.0, 10.0, 11.0]
    figure = duration_trend(stages, "Test", job="team/app", regressions=_regressions())
    (line,) = _by_gid(figure, "durations")
    assert line.get_xdata().tolist() == [1, 2, 3, 4, 5, 6, 7, 9, 10]  # type: ignore[attr-defined]  # 8 did not run
    assert line.get_ydata().tolist() == [10, 10, 11, 10, 10, 30, 30, 31, 30]  # type: ignore[attr-defined]
    (marker,) = _by_gid(figure, "regression")
    assert (marker.get_xdata().tolist(), marker.get_ydata().tolist()) == ([6], [30.0])  # type: ignore[attr-defined]
    (rule,) = _by_gid(figure, "regression-line")
    assert list(rule.get_xdata()) == [6, 6]  # type: ignore[attr-defined]
    (before,) = _by_gid(figure, "median-before")
    (after,) = _by_gid(figure, "median-after")
    assert np.array(before.get_segments()[0]).tolist() == [[1.0, 10.0], [5.0, 10.0]]  # type: ignore[attr-defined]
    assert np.array(after.get_segments()[0]).tolist() == [[6.0, 30.0], [10.0, 30.0]]  # type: ignore[attr-defined]
    assert figure.axes[0].get_title(loc="left") == "team/app: Test"


def test_duration_trend_without_regressions_and_with_several_jobs() -> None:
    both = pd.concat([_history_stages("a"), _history_stages("b")], ignore_index=True)
    plain = duration_trend(both, "Test", regressions=_regressions("b"))
    assert len(_by_gid(plain, "durations")) == 2  # one line per job
    assert len(_by_gid(plain, "regression")) == 1  # only job b regressed
    assert plain.axes[0].get_legend() is not None
    quiet = duration_trend(_history_stages(), "Test")
    assert _by_gid(quiet, "regression") == [] and _by_gid(quiet, "regression-line") == []
    empty = duration_trend(_history_stages(), "Nope")
    assert "no runs" in empty.axes[0].get_title(loc="left")
    millis = pd.DataFrame({"number": [1, 2], "path": "X", "duration": [1500, 2500]})  # plain ms work too
    assert _by_gid(duration_trend(millis, "X"), "durations")[0].get_ydata().tolist() == [1.5, 2.5]  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="duration"):
        duration_trend(pd.DataFrame({"number": [1], "path": ["X"]}), "X")


def test_failure_rate_bars_worst_first() -> None:
    rates = pd.DataFrame(
        {
            "job": ["app", "app", "lib"],
            "path": ["Build", "Test", "Test"],
            "runs": [20, 20, 10],
            "failures": [1, 8, 5],
            "unstable": [0, 0, 0],
            "aborted": [0, 0, 0],
            "rate": [0.05, 0.4, 0.5],
        }
    )
    figure = failure_rate_bars(rates)
    bars = _by_gid(figure, "failure-rate")
    assert [round(float(bar.get_width()), 2) for bar in bars] == [0.5, 0.4, 0.05]  # type: ignore[attr-defined]
    labels = [tick.get_text() for tick in figure.axes[0].get_yticklabels()]
    assert labels == ["lib: Test", "app: Test", "app: Build"]
    texts = [text.get_text() for text in figure.axes[0].texts]
    assert texts[0] == "50%  (5/10 runs)"
    assert len(_by_gid(failure_rate_bars(rates, top=1), "failure-rate")) == 1


def test_flaky_list_shows_worst_first_inline() -> None:
    flaky = pd.DataFrame(
        {
            "job": ["app", "app"],
            "path": ["Test / sh ./it.sh", "Deploy"],
            "runs": [20, 20],
            "flaky_runs": [1, 4],
            "evidence": ["retry passed in #7", "same revision failed and passed: #3/#4"],
        }
    )
    shown = flaky_list(flaky)
    assert isinstance(shown, FlakyList) and len(shown) == 2
    page = shown._repr_html_()
    assert page.index("Deploy") < page.index("./it.sh") and page.count("<tr>") == 3
    assert "retry passed in #7" in str(shown)
    assert "nothing flaky" in flaky_list(flaky.iloc[0:0])._repr_html_()
    with pytest.raises(ValueError, match="flaky_runs"):
        flaky_list(flaky.drop(columns="flaky_runs"))


# -- on a real warehouse (scanners.history over a JENKINS_HOME in Jenkins' file format) --------


def test_pictures_of_a_real_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from scanners import diff_runs
    from scanners.history import History
    from tests.history_homes import APP_UNIT_FAILURES, write_app_run

    # A throwaway home: its files need no fsync (which is 95% of writing it on a busy disk).
    monkeypatch.setattr(os, "fsync", lambda fd: None)
    home = tmp_path / "home"
    for n in range(1, 31):  # team/app: make takes 60-62 s before #15, 120-122 s from #15 on
        write_app_run(home, n)
    h = History.build(home, tmp_path / "warehouse")
    figure = duration_trend(h.steps, "Build / sh make", job="team/app", regressions=h.regressions("step"))
    (line,) = _by_gid(figure, "durations")
    # make: 60 s (or 120 s) + (n % 3) s; the step ends where the next node starts.
    expected = [(60 if n < 15 else 120) + n % 3 for n in range(1, 31)]
    assert line.get_ydata().tolist() == expected  # type: ignore[attr-defined]
    (marker,) = _by_gid(figure, "regression")
    assert (marker.get_xdata().tolist(), marker.get_ydata().tolist()) == ([15], [120.0])  # type: ignore[attr-defined]
    rates = h.failure_rates("step")
    bars = failure_rate_bars(rates, top=1)
    (worst,) = _by_gid(bars, "failure-rate")
    # unit tests failed in 3 of the 30 runs; nothing else failed for good
    assert float(worst.get_width()) == pytest.approx(len(APP_UNIT_FAILURES) / 30)  # type: ignore[attr-defined]
    assert bars.axes[0].get_yticklabels()[0].get_text() == "Test / unit / sh pytest tests/unit"
    assert len(flaky_list(h.flaky("step"))) >= 1  # ./it.sh passed on a retry in #3 and #7
    # The two builds around the regression differ exactly in make's (and Build's) duration.
    builds = home / "jobs" / "team" / "jobs" / "app" / "builds"
    import flowgraph

    changes = diff_runs(flowgraph.load(builds / "14"), flowgraph.load(builds / "15")).changes
    assert changes[["path", "change"]].values.tolist() == [["Build", "duration"], ["Build / sh make", "duration"]]
