"""The two fixture sets taken from real JENKINS_HOME backups (issue 12): values read by hand from
their XML, and every run written back byte for byte."""

from __future__ import annotations

import filecmp
import os
from pathlib import Path

import pytest

from flowgraph import BulkXmlNodeStorage, QueueItemAction, Result
from flowgraph.jenkins import load_run, save_run
from scanners import Status, analyze

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FIXTURES = SHARED / "fixtures" / "jenkins"
DANISH = FIXTURES / "danish-completed-timeout" / "jobs" / "pipeline" / "builds"
SURESH = FIXTURES / "suresh-legacy-aborted" / "jobs"
FLOW_INTERRUPTED = "org.jenkinsci.plugins.workflow.steps.FlowInterruptedException"


def test_danish_3_retry_fails_three_times() -> None:
    run = load_run(DANISH / "3")
    assert isinstance(run.graph.storage, BulkXmlNodeStorage)  # workflow-completed/flowNodeStore.xml
    # build.xml: startTime 1756720814821, result FAILURE, duration 5397, head 1:22
    assert (run.start_ms, run.result, run.duration_ms, run.graph.head_ids) == (
        1756720814821,
        Result.FAILURE,
        5397,
        ("22",),
    )
    analysis = analyze(run)
    (stage,) = analysis.stages
    # 6: stage body, LabelAction "Timeout", startTime 1756720815901; its end 18 is followed by 19 (1756720819705)
    assert (stage.id, stage.name, stage.status) == ("6", "Timeout", Status.FAILURE)
    assert (stage.start_ms, stage.duration_ms) == (1756720815901, 1756720819705 - 1756720815901)
    # three attempts: sh atoms 9, 12, 15 (each with an ErrorAction), inside retry bodies 8, 11, 14
    assert [(s.id, s.function_name, s.status) for s in stage.steps] == [
        ("9", "sh", Status.FAILURE),
        ("12", "sh", Status.FAILURE),
        ("15", "sh", Status.FAILURE),
    ]
    assert [run.graph.node(i).function_name for i in ("10", "13", "16", "17")] == ["retry"] * 4
    assert stage.steps[0].duration_ms == 1756720817042 - 1756720816389  # 9 -> 10


def test_danish_4_timeout_aborts() -> None:
    run = load_run(DANISH / "4")
    assert (run.start_ms, run.result, run.duration_ms) == (1756720883176, Result.ABORTED, 6276)
    analysis = analyze(run)
    (stage,) = analysis.stages
    # 6: "Deploy" at 1756720884095; end 17 is followed by 18 at 1756720889113
    assert (stage.name, stage.status, stage.start_ms) == ("Deploy", Status.ABORTED, 1756720884095)
    assert stage.duration_ms == 1756720889113 - 1756720884095
    # sh 9 passes (9 -> 10: 1756720884410 .. 1756720884755); sh 14 is cut by the timeout (14 -> 15)
    assert [(s.id, s.status, s.duration_ms) for s in stage.steps] == [
        ("9", Status.SUCCESS, 1756720884755 - 1756720884410),
        ("14", Status.ABORTED, 1756720888765 - 1756720885070),
    ]
    error = run.graph.node("14").error
    assert error is not None and error.error_type == FLOW_INTERRUPTED and error.result is Result.ABORTED
    assert run.graph.node("12").function_name == "timeout"


def test_jnlp_pipeline_17_aborted_while_queued_for_an_agent() -> None:
    run = load_run(SURESH / "jnlp-pipeline" / "builds" / "17")
    # build.xml: startTime 1645764129616, ABORTED, duration 359841; 4 nodes, head 1:5
    assert (run.start_ms, run.result, run.duration_ms) == (1645764129616, Result.ABORTED, 359841)
    assert [n.id for n in run.graph] == ["2", "3", "4", "5"]
    node_start = run.graph.node("3")  # node('docker-jnlp') start: only a queue item (id 82), no body
    assert node_start.function_name == "node" and node_start.get_action(QueueItemAction).queue_id == 82  # type: ignore[union-attr]
    assert run.graph.node("4").error is not None and run.graph.node("4").error.error_type == FLOW_INTERRUPTED  # type: ignore[union-attr]
    analysis = analyze(run)
    assert analysis.status is Status.ABORTED and analysis.stages == [] and analysis.loose_steps == []
    # waited in the queue from 3 (1645764130162) until the flow end 5 (1645764489341) followed its end
    timing = analysis.timing_of("3")
    assert timing is not None and (timing.start_ms, timing.total_ms) == (1645764130162, 1645764489341 - 1645764130162)
    assert analysis.status_of("3") is Status.ABORTED


def test_declarative_runs_of_the_suresh_home() -> None:
    docker = analyze(load_run(SURESH / "docker" / "builds" / "7"))
    assert [(s.name, s.status) for s in docker.stages] == [("Back-end", Status.SUCCESS), ("Front-end", Status.SUCCESS)]
    failing = analyze(load_run(SURESH / "test-pipeline" / "builds" / "19"))
    assert failing.run.result is Result.FAILURE
    assert [(s.name, s.status, s.skipped) for s in failing.stages] == [
        ("Declarative: Tool Install", Status.SUCCESS, False),
        ("git-clone", Status.FAILURE, False),
        ("directory", Status.NOT_EXECUTED, True),  # skipped for failure
        ("build", Status.NOT_EXECUTED, True),
    ]


NEW_RUNS = sorted(DANISH.glob("*")) + sorted(SURESH.glob("*/builds/*"))


@pytest.mark.parametrize("source", NEW_RUNS, ids=lambda p: f"{p.parts[-3]}#{p.name}")
def test_every_new_run_is_written_back_byte_for_byte(source: Path, tmp_path: Path) -> None:
    run = load_run(source)
    save_run(run, tmp_path)
    for root, _, files in os.walk(source):
        for file in files:
            original = Path(root) / file
            copy = tmp_path / original.relative_to(source)
            assert copy.is_file(), copy
            assert filecmp.cmp(original, copy, shallow=False), f"{copy} differs from {original}"
    again = load_run(tmp_path)
    assert list(again.graph) == list(run.graph) and again.result == run.result
