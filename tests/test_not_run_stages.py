"""A run restarted from a stage: the stages copied as not executed have no start and no duration
in any table, drawing or frame (issue 12), and a column of offsets uses one format."""

from __future__ import annotations

import re

from rich.console import Console

from flowgraph import GraphBuilder, NotExecutedNodeAction
from render.cli import stage_table
from render.style import format_offsets
from scanners import Status, analyze

START = 1_700_000_000_000  # the restarted run began here (epoch ms)


def restarted_run():  # type: ignore[no-untyped-def]
    """Declarative "restart from stage Deploy": Build and Test are copied as not executed."""
    b = GraphBuilder(start_ms=START, step_ms=1_000)
    with b.not_executed():
        with b.stage("Build"):
            b.step("sh", script="make")
        with b.stage("Test"):
            b.step("sh", script="make test")
    with b.stage("Deploy"):
        b.step("sh", script="deploy")
    return b.build()


def table_text(run) -> str:  # type: ignore[no-untyped-def]
    console = Console(width=140, record=True, color_system=None)
    console.print(stage_table(run, steps=True))
    return console.export_text()


def test_not_executed_stages_have_no_start_and_no_duration() -> None:
    run = restarted_run()
    assert run.graph.node("3").get_action(NotExecutedNodeAction) is not None
    analysis = analyze(run)
    build, test, deploy = analysis.stages
    for stage in (build, test):
        assert stage.status is Status.NOT_EXECUTED
        assert (stage.start_ms, stage.duration_ms, stage.end_ms) == (None, None, None)
        assert all(step.start_ms is None and step.duration_ms is None for step in stage.steps)
        assert analysis.timing_of(stage.id) is not None and analysis.timing_of(stage.id).start_ms is None
    # Deploy's body start is node 14 (2 + 2 stages x 5 nodes + outer start 13), stamped 12 s after the run began
    assert deploy.id == "14" and deploy.start_ms == run.graph.node("14").start_ms == START + 12_000
    frame = analysis.to_dataframe("stages").set_index("name")
    assert frame.loc[["Build", "Test"], "start_ms"].isna().all()
    assert frame.loc[["Build", "Test"], "duration_ms"].isna().all()


def test_the_stage_table_shows_blank_timing_for_not_run_stages_and_one_offset_format() -> None:
    text = table_text(restarted_run())
    rows = {
        line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:-1]]
        for line in text.splitlines()
        if "│" in line
    }
    assert rows["Build"][2:5] == ["", "", ""] and rows["Test"][2:5] == ["", "", ""]  # starts at, duration, paused
    assert rows["Deploy"][2] == "+0:12.00"
    assert re.search(r"\d+d \d+h", text) is None  # no "-20002d 13h" (a start of 0 read as the epoch)


def test_offsets_in_one_column_share_one_format() -> None:
    b = GraphBuilder(start_ms=0, step_ms=250)
    for name, pause in (("quick", 0), ("slow", 95_000), ("after", 0)):
        with b.stage(name):
            b.step("sh", script=name)
            b.wait(pause)
    text = table_text(b.build())
    offsets = re.findall(r"[+-]\d[\d:.]*", text)
    assert len(offsets) == 3 and all(re.fullmatch(r"\+\d+:\d\d\.\d\d", o) for o in offsets)
    assert format_offsets([500, 3_600_000, None]) == ["+0:00:00", "+1:00:00", ""]  # past an hour: h:mm:ss for all
