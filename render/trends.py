"""Pictures of run history: a duration trend with its regression marked, failure-rate bars, a flaky list.

They take the DataFrames of the run-history warehouse (:mod:`scanners.history`, issue 15), by
their pinned columns, so they draw any frame with those columns, whatever made it:

* :func:`duration_trend` — ``h.stages`` or ``h.steps`` (``job, number, path, duration``) and,
  optionally, ``h.regressions(...)`` (``job, path, first_slow_number, before_median,
  after_median``): the duration of one stage or step per run, the slow period's first run marked
  and the medians before and after drawn as steps;
* :func:`failure_rate_bars` — ``h.failure_rates(...)`` (``job, path, runs, failures, rate``);
* :func:`flaky_list` — ``h.flaky(...)`` (``job, path, runs, flaky_runs, evidence``) as a table.

Durations may be timedeltas or milliseconds. The figures are matplotlib
:class:`~matplotlib.figure.Figure` objects on an Agg canvas (no pyplot state), which Jupyter
shows inline; :class:`FlakyList` has ``_repr_html_``. Artists that tests and users look for carry
a ``gid``: ``"durations"``, ``"regression"``, ``"median-before"``, ``"median-after"``.

Examples
--------
>>> import pandas as pd
>>> stages = pd.DataFrame({"job": "app", "number": range(1, 7), "path": "Test",
...                        "duration": pd.to_timedelta([10, 11, 10, 30, 31, 30], unit="s")})
>>> figure = duration_trend(stages, "Test")
>>> [line.get_gid() for line in figure.axes[0].lines]
['durations']
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from render.style import STATES, humanize_ms

__all__ = ["duration_trend", "failure_rate_bars", "flaky_list", "FlakyList", "seconds_of"]

_LINE = "#0b6aa2"
_MARK = STATES["failure"].fill
_MEDIAN = "#57606a"


def seconds_of(values: pd.Series) -> pd.Series:
    """Durations as float seconds: timedeltas as they are, numbers taken as milliseconds.

    >>> seconds_of(pd.Series([1500, None])).tolist()
    [1.5, nan]
    """
    if pd.api.types.is_timedelta64_dtype(values.dtype):
        seconds: pd.Series = values.dt.total_seconds()
        return seconds
    if values.dtype == object:  # Timedelta objects mixed with None
        converted = pd.to_timedelta(values, errors="coerce")
        if converted.notna().any():
            seconds = converted.dt.total_seconds()
            return seconds
    numbers: pd.Series = pd.to_numeric(values, errors="coerce").astype("float64") / 1000.0
    return numbers


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} needs the columns {list(columns)}; this frame lacks {missing}")


def _new_figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def duration_trend(
    frame: pd.DataFrame,
    path: str,
    *,
    job: str | None = None,
    regressions: pd.DataFrame | None = None,
    title: str | None = None,
    width: float = 9.0,
) -> Figure:
    """The duration of the stage or step ``path`` in each run, with its regression marked.

    Parameters
    ----------
    frame
        Rows with ``number``, ``path``, ``duration`` (and ``job`` when several jobs are in it):
        ``h.stages`` or ``h.steps``. Runs where the item did not run (no duration) are left out.
    path
        The stage or step path (``"Test / unit"``, ``"Test / sh ./run-tests.sh"``).
    job
        Only this job; without it, one line per job found for ``path``.
    regressions
        ``h.regressions(...)``: its rows for this job and path add a marker on the first slow
        run, a dashed line there, and the medians before and after as horizontal segments.
    """
    _require(frame, ("number", "path", "duration"), "duration_trend()")
    rows = frame[frame["path"] == path]
    if job is not None:
        if "job" not in frame.columns:
            raise ValueError("duration_trend(job=...) needs a 'job' column")
        rows = rows[rows["job"] == job]
    rows = rows.assign(seconds=seconds_of(rows["duration"])).dropna(subset=["seconds"])
    figure = _new_figure(width, 3.6)
    axes = figure.add_subplot()
    jobs: list[Any] = sorted(rows["job"].unique()) if "job" in rows.columns else [None]
    for name in jobs:
        part = rows if name is None else rows[rows["job"] == name]
        part = part.sort_values("number")
        (line,) = axes.plot(
            part["number"],
            part["seconds"],
            marker="o",
            markersize=3,
            linewidth=1.2,
            color=_LINE if len(jobs) == 1 else None,
            label=str(name) if name is not None else path,
        )
        line.set_gid("durations")
        if regressions is not None and len(regressions):
            _mark_regressions(axes, part, regressions, name, path)
    if len(jobs) > 1:
        axes.legend(fontsize=8, frameon=False)
    axes.set_xlabel("run number")
    axes.set_ylabel("duration (s)")
    axes.set_ylim(bottom=0)
    axes.grid(color="#eaeef2")
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    caption = title or (f"{job}: {path}" if job is not None else path)
    if rows.empty:
        caption += " (no runs with a duration)"
    axes.set_title(caption, loc="left", fontsize=11)
    return figure


def _mark_regressions(axes: Any, part: pd.DataFrame, regressions: pd.DataFrame, job: Any, path: str) -> None:
    _require(regressions, ("path", "first_slow_number"), "regressions")
    found = regressions[regressions["path"] == path]
    if job is not None and "job" in found.columns:
        found = found[found["job"] == job]
    numbers = part["number"].tolist()
    for record in found.to_dict("records"):
        first = record["first_slow_number"]
        axes.axvline(first, color=_MARK, linestyle="--", linewidth=1, gid="regression-line")
        at = part[part["number"] == first]
        if not at.empty:
            (marker,) = axes.plot(
                at["number"],
                at["seconds"],
                linestyle="none",
                marker="v",
                markersize=10,
                color=_MARK,
                label=f"slower from #{first}",
            )
            marker.set_gid("regression")
        ratio = record.get("ratio")
        note = f"#{first}" + (f" \u00d7{ratio:.1f}" if isinstance(ratio, (int, float)) and ratio == ratio else "")
        axes.annotate(note, (first, 0), xytext=(3, 3), textcoords="offset points", color=_MARK, fontsize=8)
        for key, side, gid in (("before_median", "before", "median-before"), ("after_median", "after", "median-after")):
            value = record.get(key)
            if value is None or (isinstance(value, float) and value != value):
                continue
            seconds = float(seconds_of(pd.Series([value])).iloc[0])
            span = [n for n in numbers if (n < first if side == "before" else n >= first)]
            if span:
                axes.hlines(seconds, min(span), max(span), colors=_MEDIAN, linestyles=":", linewidth=1.5, gid=gid)


def failure_rate_bars(rates: pd.DataFrame, *, top: int = 20, title: str | None = None, width: float = 9.0) -> Figure:
    """Horizontal bars of the failure rate of the ``top`` worst stages or steps (worst on top).

    ``rates`` is ``h.failure_rates(...)``: ``path``, ``rate`` and ``runs``/``failures`` (shown
    next to each bar), plus ``job`` (kept in the label when several jobs are shown).

    >>> rates = pd.DataFrame({"job": "app", "path": ["Test", "Build"], "runs": [10, 10],
    ...                       "failures": [4, 1], "rate": [0.4, 0.1]})
    >>> [float(bar.get_width()) for bar in failure_rate_bars(rates).axes[0].patches]
    [0.4, 0.1]
    """
    _require(rates, ("path", "rate"), "failure_rate_bars()")
    shown = rates.sort_values("rate", ascending=False, kind="stable").head(top)
    several_jobs = "job" in shown.columns and shown["job"].nunique() > 1
    job_names = shown["job"].tolist() if "job" in shown.columns else [None] * len(shown)
    labels = [
        (f"{job}: {path}" if several_jobs else str(path)) for job, path in zip(job_names, shown["path"], strict=True)
    ]
    figure = _new_figure(width, 1.0 + 0.32 * max(len(shown), 1))
    axes = figure.add_subplot()
    positions = list(range(len(shown)))
    rate_values = shown["rate"].astype("float64").tolist()
    bars = axes.barh(positions, rate_values, height=0.6, color=STATES["failure"].light, edgecolor=_MARK)
    for bar in bars:
        bar.set_gid("failure-rate")
    for position, record, rate in zip(positions, shown.to_dict("records"), rate_values, strict=True):
        text = f"{rate:.0%}"
        if "failures" in record and "runs" in record:
            text += f"  ({record['failures']}/{record['runs']} runs)"
        axes.text(rate + 0.01, position, text, va="center", fontsize=8, color="#57606a")
    axes.set_yticks(positions, labels, fontsize=9)
    axes.invert_yaxis()
    axes.set_xlim(0, 1.15)
    axes.set_xlabel("failure rate")
    axes.grid(axis="x", color="#eaeef2")
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.set_title(title or "Failure rate", loc="left", fontsize=11)
    return figure


class FlakyList:
    """The flaky stages or steps as a table: HTML in Jupyter, aligned text in a terminal.

    Attributes
    ----------
    frame
        The ``h.flaky(...)`` rows shown, worst first.
    """

    __slots__ = ("frame", "title")

    def __init__(self, frame: pd.DataFrame, title: str = "Flaky") -> None:
        self.frame = frame
        self.title = title

    def __len__(self) -> int:
        return len(self.frame)

    def _repr_html_(self) -> str:
        if self.frame.empty:
            return f"<p><b>{html.escape(self.title)}</b>: nothing flaky.</p>"
        columns = [c for c in ("job", "path", "flaky_runs", "runs", "evidence") if c in self.frame.columns]
        head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(_cell(record[c]))}</td>" for c in columns) + "</tr>"
            for record in self.frame.to_dict("records")
        )
        return (
            f'<div class="flowgraph-flaky"><b>{html.escape(self.title)}</b>'
            f'<table class="fg-flaky"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'
        )

    def __str__(self) -> str:
        if self.frame.empty:
            return f"{self.title}: nothing flaky."
        return f"{self.title}:\n" + self.frame.to_string(index=False)

    def __repr__(self) -> str:
        return f"FlakyList({len(self.frame)} rows)"


def _cell(value: Any) -> str:
    if isinstance(value, pd.Timedelta):
        return humanize_ms(value / pd.Timedelta(milliseconds=1))
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    return "" if value is None else str(value)


def flaky_list(flaky: pd.DataFrame, *, top: int | None = None, title: str = "Flaky") -> FlakyList:
    """``h.flaky(...)`` as a :class:`FlakyList`, most flaky runs first.

    >>> flaky = pd.DataFrame({"job": "app", "path": ["Test / sh ./it.sh"], "runs": [20], "flaky_runs": [3],
    ...                       "evidence": ["retry passed in #4, #9, #12"]})
    >>> "retry passed" in flaky_list(flaky)._repr_html_()
    True
    """
    _require(flaky, ("path", "flaky_runs"), "flaky_list()")
    ordered = flaky.sort_values("flaky_runs", ascending=False, kind="stable")
    if top is not None:
        ordered = ordered.head(top)
    return FlakyList(ordered.reset_index(drop=True), title)
