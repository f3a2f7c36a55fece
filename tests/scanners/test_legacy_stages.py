"""Legacy bodiless ``stage 'Name'`` markers are stages: from the marker to the next marker or the
end of the enclosing block (issue 12). Values are read off the fixture XML and the built graphs."""

from __future__ import annotations

from pathlib import Path

from flowgraph import GraphBuilder, Result
from flowgraph.jenkins import load_run
from scanners import Status, analyze

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
JNLP15 = SHARED / "fixtures" / "jenkins" / "suresh-legacy-aborted" / "jobs" / "jnlp-pipeline" / "builds" / "15"


def test_jnlp_pipeline_15_has_its_two_legacy_stages() -> None:
    run = load_run(JNLP15)
    analysis = analyze(run)
    # workflow/5.xml: StageStep atom, LabelAction "git-clone", startTime 1645724997627
    # workflow/7.xml: StageStep atom, LabelAction "install", startTime 1645724998842
    # workflow/8.xml: sh with ErrorAction (aborted); 9.xml: the node body's end, startTime 1645725069421
    assert [(s.id, s.name) for s in analysis.stages] == [("5", "git-clone"), ("7", "install")]
    clone, install = analysis.stages
    assert (clone.start_ms, clone.duration_ms) == (1645724997627, 1645724998842 - 1645724997627)
    assert (install.start_ms, install.duration_ms) == (1645724998842, 1645725069421 - 1645724998842)
    assert clone.status is Status.SUCCESS and install.status is Status.ABORTED
    assert [s.id for s in clone.steps] == ["6"] and [s.id for s in install.steps] == ["8"]
    assert all(step.stage_id == "7" for step in install.steps)
    assert analysis.loose_steps == [] and run.result is Result.ABORTED
    assert analysis.stage("7") is install


def test_builder_legacy_stages_run_to_the_next_marker_and_own_what_ran() -> None:
    b = GraphBuilder(start_ms=0, step_ms=10)
    checkout = b.legacy_stage("Checkout")
    b.step("sh", script="git clone")
    build = b.legacy_stage("Build")
    with b.node("linux"):
        make = b.step("sh", script="make")
        with b.stage("Inner"):
            b.step("echo", message="x")
    test = b.legacy_stage("Test")
    failing = b.step("sh", script="make test", error="exit 1")
    run = b.build()
    g = run.graph
    analysis = analyze(run)
    assert [s.name for s in analysis.stages] == ["Checkout", "Build", "Test"]
    first, second, third = analysis.stages
    assert first.duration_ms == g.node(build.id).start_ms - g.node(checkout.id).start_ms
    assert second.duration_ms == g.node(test.id).start_ms - g.node(build.id).start_ms
    assert first.status is Status.SUCCESS and second.status is Status.SUCCESS and third.status is Status.FAILURE
    assert [c.name for c in second.children] == ["Inner"] and second.children[0].depth == 1
    assert second.children[0].parent_id == build.id
    assert [s.id for s in second.steps] == [make.id] and [s.id for s in third.steps] == [failing.id]
    assert analysis.loose_steps == []


def test_a_legacy_stage_ends_with_its_enclosing_block() -> None:
    b = GraphBuilder(start_ms=0, step_ms=10)
    with b.node("linux"):
        marker = b.legacy_stage("Inside")
        b.step("sh", script="make")
    after = b.step("echo", message="outside")
    run = b.build()
    analysis = analyze(run)
    (stage,) = analysis.stages
    body_end = next(n for n in run.graph if n.start_id is not None and run.graph.node(n.start_id).is_body)
    assert stage.duration_ms == body_end.start_ms - run.graph.node(marker.id).start_ms
    assert [s.id for s in analysis.loose_steps] == [after.id]


def test_many_legacy_stages_analyse_in_one_pass() -> None:
    b = GraphBuilder(start_ms=0, step_ms=1)
    for index in range(3000):
        b.legacy_stage(f"s{index}")
        b.step("echo", message=str(index))
    analysis = analyze(b.build())
    assert len(analysis.stages) == 3000
    assert all(len(s.steps) == 1 and s.duration_ms == 2 for s in analysis.stages)


def test_a_warning_inside_a_legacy_stage_makes_it_unstable_and_no_other() -> None:
    b = GraphBuilder(start_ms=0, step_ms=10)
    b.legacy_stage("A")
    with b.node("linux"):
        b.unstable("flaky tests")  # a WarningAction(UNSTABLE) inside a nested block of A's range
    b.legacy_stage("B")
    b.step("sh", script="true")
    analysis = analyze(b.build())
    assert [(s.name, s.status) for s in analysis.stages] == [("A", Status.UNSTABLE), ("B", Status.SUCCESS)]
