"""The real Jenkins fixtures: every one loads with what its files say, and round-trips byte for byte.

Expected values below were read off the XML files by hand (see each comment), not produced by
the code under test.
"""

from __future__ import annotations

import filecmp
import os
from pathlib import Path

import pytest

from flowgraph import (
    ErrorAction,
    FlowGraphError,
    GraphCycleError,
    LogFileAction,
    LogStorageAction,
    NodeKind,
    ParallelLabelAction,
    PauseAction,
    QueueItemAction,
    Result,
    UnknownAction,
    WorkspaceAction,
    load,
)
from flowgraph.actions import FLOW_INTERRUPTED_EXCEPTION
from flowgraph.jenkins import iter_runs, load_run, log_text, node_log, save_run

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FIXTURES = SHARED / "fixtures" / "jenkins"


def build(name: str) -> Path:
    (found,) = list((FIXTURES / name).glob("jobs/*/builds/1"))
    return found


def test_iter_runs_finds_every_pipeline_run_with_job_names() -> None:
    refs = sorted((str(r), r.build_dir.parts[-5]) for r in iter_runs(FIXTURES))
    # every fixture build dir holds a Pipeline run's build.xml (the README table); the list of sets grows
    build_xmls = sorted(FIXTURES.glob("*/jobs/*/builds/*/build.xml"))
    assert len(build_xmls) >= 14 and len(refs) == len(build_xmls)
    assert ("jnlp-pipeline#15", "suresh-legacy-aborted") in refs and ("pipeline#4", "danish-completed-timeout") in refs
    assert ("ptest1#1", "legacy-declarative-parallel-completed") in refs
    assert ("trackerPropertyUpgrade#1", "legacy-declarative-stages-completed") in refs
    assert [str(r) for r in iter_runs(FIXTURES / "inprogress-node-sh" / "jobs" / "p")] == ["p#1"]


def test_stage_sleep_per_node() -> None:
    run = load_run(build("inprogress-stage-sleep-pernode"))
    g = run.graph
    # build.xml: no <result>, duration 0, completed false, head 1:5, start 2, iota 5
    assert run.running and run.result is None and run.start_ms == 1714512387076
    assert g.head_ids == ("5",) and run.execution.starts == ["2"] and run.execution.iota == 5
    assert [n.kind for n in g] == [NodeKind.FLOW_START, NodeKind.BLOCK_START, NodeKind.BLOCK_START, NodeKind.ATOM]
    assert g.node("4").label == "test" and g.node("4").is_body
    assert g.node("3").arguments is not None and dict(g.node("3").arguments.arguments) == {"name": "test"}
    assert dict(g.node("5").arguments.arguments) == {"time": 120}  # <long>120</long>
    assert [g.node(i).start_ms for i in "2345"] == [1714512387423, 1714512387527, 1714512387546, 1714512387626]
    unknown = g.node("2").get_action(UnknownAction)
    assert unknown is not None and unknown.class_name.endswith("SimpleXStreamStorageTest$MyAction")
    assert "<value>42</value>" in unknown.payload
    assert g.node("5").function_name == "sleep" and g.node("5").has_action(LogStorageAction)
    assert run.execution.can_resume(g.storage)  # MAX_SURVIVABILITY, not done, persisted_clean unknown


def test_stage_sleep_bulk_matches_per_node() -> None:
    bulk = load_run(build("inprogress-stage-sleep-bulk"))
    assert bulk.metadata["storage"] == "BulkXmlNodeStorage"
    assert bulk.execution.durability.name == "PERFORMANCE_OPTIMIZED"
    assert [n.id for n in bulk.graph] == ["2", "3", "4", "5"]
    assert bulk.graph.node("2").start_ms == 1714512455074 and bulk.graph.node("4").label == "test"
    assert not bulk.execution.can_resume(bulk.graph.storage)  # persisted_clean unknown, not MAX_SURVIVABILITY


def test_node_sh_actions_and_log() -> None:
    run = load_run(build("inprogress-node-sh"))
    g = run.graph
    start = g.node("3")
    assert start.function_name == "node" and dict(start.arguments.arguments) == {"label": "remote"}
    assert start.get_action(QueueItemAction).queue_id == 2
    ws = start.get_action(WorkspaceAction)
    assert (ws.node, ws.path, ws.labels) == ("remote", "/home/jenkins/agent/workspace/p", frozenset())
    assert g.node("5").argument_summary() == "touch running; while [ -f running ]; do sleep 1; done"
    # log-index: 670 3 / 998 / 1595 5 / 1638 (then node 5 to the end)
    assert node_log(run, "3") == "Running on remote in /home/jenkins/agent/workspace/p\n"
    assert node_log(run, g.node("5")) == "+ touch running\n+ [ -f running ]\n+ sleep 1\n"
    assert node_log(run, "4") == ""
    assert "ha:////" not in log_text(run) and log_text(run).startswith("Started\n")


def test_input_pause_is_pending_input() -> None:
    run = load_run(build("inprogress-input-pause"))
    pause = run.graph.node("3").get_action(PauseAction)
    assert pause == PauseAction("Input", 1776981839747, 0) and pause.is_paused
    assert run.pending_input and run.graph.node("3").function_name == "input"
    assert run.execution.loaded_scripts == {} and run.execution.script == "input 'hangs forever'"


def test_hand_edited_cycle_raises_naming_the_cycle() -> None:
    with pytest.raises(GraphCycleError) as info:
        load_run(build("inprogress-corrupt-cycle-edited"))
    assert set(info.value.node_ids) == {"7", "8"}  # 7.xml startId 8; 8.xml parent 7
    assert str(info.value).startswith("test0#1 (")  # the run names itself (issue 12)
    # with placeholders the cycle is broken at 7's edited start link instead (tests/test_whole_home.py)
    assert load_run(build("inprogress-corrupt-cycle-edited"), on_corrupt="placeholder").metadata["corruption"]


def test_corrupt_parallel_production_graph() -> None:
    run = load_run(build("completed-parallel-errors-corrupt"))
    g = run.graph
    assert len(g) == 482 and run.result is Result.SUCCESS and run.duration_ms == 1371
    assert g.head_ids == ("488",) and g.node("488").kind is NodeKind.FLOW_END
    assert run.execution.done and not run.execution.can_resume(g.storage)
    errors = [n for n in g if n.error is not None]
    assert sum(len(n.get_actions(ErrorAction)) for n in g) == 65  # grep -c '<wf.a.ErrorAction' = 65
    assert len(errors) > 0
    # 487.xml: FlowInterruptedException, result ABORTED, second ErrorAction is an XStream reference to it
    first, second = g.node("487").get_actions(ErrorAction)
    assert first == second and first.error_type == FLOW_INTERRUPTED_EXCEPTION and first.result is Result.ABORTED
    assert first.message is None
    # 445.xml: ProxyException whose detailMessage is the original toString()
    err = g.node("445").error
    assert err.error_type == "hudson.remoting.ProxyException"
    assert err.message == "java.lang.IllegalArgumentException: Failed to prepare archiveArtifacts step"
    branches = [n.get_action(ParallelLabelAction).branch_name for n in g if n.has_action(ParallelLabelAction)]
    assert branches and set(branches) == {"redacted"}


def test_legacy_declarative_parallel() -> None:
    run = load_run(build("legacy-declarative-parallel-completed"))
    g = run.graph
    assert len(g) == 36 and "13" not in g and g.head_ids == ("38",)
    assert g.node("38").result is Result.SUCCESS and run.duration_ms == 2654
    assert [g.node(i).label for i in ("6", "11", "17", "19", "32")] == [
        "first-solo", "parent", "branch-one", "branch-two", "second-solo",
    ]  # fmt: skip
    assert g.node("14").thread_name == "branch-one" and g.node("28").parent_ids == ("26", "27")
    assert dict(g.node("3").arguments.arguments) == {"label": None}  # <null/>
    assert g.node("3").get_action(WorkspaceAction).node == ""  # <node></node>
    assert g.node("3").get_action(LogFileAction) == LogFileAction("UTF-8")
    assert node_log(run, "20") == "In branch-one\n" and node_log(run, "13") == ""
    assert run.execution.durability is None and not run.execution.done  # no durabilityHint, no <done>


def test_legacy_declarative_stage() -> None:
    run = load_run(build("legacy-declarative-stages-completed"))
    g = run.graph
    assert [n.id for n in g] == [str(i) for i in range(2, 9)]
    assert g.node("2").actions == ()  # the legacy 2.xml has no <actions>
    assert g.node("5").argument_summary() == "hello" and node_log(run, "5") == "hello\n"
    assert g.node("7").function_name == "stage"  # an end takes its step from its start (3)
    assert g.node("8").start_ms == 1497369397048 and run.start_ms == 1497369390925


ROUND_TRIP = [
    "inprogress-stage-sleep-pernode",
    "inprogress-stage-sleep-bulk",
    "inprogress-node-sh",
    "inprogress-input-pause",
    "completed-parallel-errors-corrupt",
    "legacy-declarative-parallel-completed",
    "legacy-declarative-stages-completed",
]


@pytest.mark.parametrize("name", ROUND_TRIP)
def test_save_run_reproduces_every_file_byte_for_byte(name: str, tmp_path: Path) -> None:
    source = build(name)
    run = load_run(source)
    save_run(run, tmp_path)
    for root, _, files in os.walk(source):
        for file in files:
            if file in ("program.dat",):
                continue
            original = Path(root) / file
            copy = tmp_path / original.relative_to(source)
            assert copy.is_file(), copy
            assert filecmp.cmp(original, copy, shallow=False), f"{copy} differs from {original}"
    again = load_run(tmp_path)
    assert [n for n in again.graph] == [n for n in run.graph]
    assert again.execution.heads == run.execution.heads and again.result == run.result


def test_modified_node_keeps_unchanged_actions_verbatim(tmp_path: Path) -> None:
    run = load_run(build("completed-parallel-errors-corrupt"))
    node = run.graph.node("445")
    node.add_action(ErrorAction("hudson.AbortException", "new", ""))
    save_run(run, tmp_path)
    text = (tmp_path / "workflow" / "445.xml").read_text()
    original = (build("completed-parallel-errors-corrupt") / "workflow" / "445.xml").read_text()
    # the ProxyException chain with its XStream references is kept exactly
    start = original.index("    <wf.a.ErrorAction")
    end = original.index("    </wf.a.ErrorAction>") + len("    </wf.a.ErrorAction>")
    assert original[start:end] in text
    assert "<detailMessage>new</detailMessage>" in text
    assert load_run(tmp_path).graph.node("445").get_actions(ErrorAction)[-1].message == "new"


def test_load_entry_point_recognises_each_layout() -> None:
    assert len(load(build("inprogress-node-sh")).graph) == 4
    assert len(load(build("inprogress-node-sh") / "workflow").graph) == 4
    bulk_file = build("inprogress-stage-sleep-bulk") / "workflow" / "flowNodeStore.xml"
    assert load(bulk_file).graph.head_ids == ("5",)
    assert load(bulk_file.parent).running
    with pytest.raises(FlowGraphError):
        load(FIXTURES / "README.md")
    with pytest.raises(FlowGraphError, match="no run store is registered"):
        load("nosuch://x")
