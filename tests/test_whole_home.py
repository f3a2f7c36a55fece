"""Whole JENKINS_HOMEs: runs that never started a flow, damaged runs named by job and number,
multi-run paths that go on past damage and report it, folders and multibranch branches."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from flowgraph import FlowGraphError, FormatError, GraphBuilder, GraphCycleError, NodeNotFoundError, Result
from flowgraph.jenkins import LoadReport, is_placeholder, iter_runs, load_run, load_runs, save_run
from flowgraph.jenkins.bulk_load import node_count
from render.cli import EXIT_INPUT, main
from render.sources import import_runs, open_runs
from scanners import analyze

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FIXTURES = SHARED / "fixtures" / "jenkins"
CYCLE = FIXTURES / "inprogress-corrupt-cycle-edited" / "jobs" / "test0" / "builds" / "1"

# The shape Jenkins writes when a Pipeline run fails before its script runs ("Unable to find
# Jenkinsfile", a failed SCM checkout): the run's facts and no <execution> element.
NO_EXECUTION = """<?xml version='1.1' encoding='UTF-8'?>
<flow-build plugin="workflow-job@1145.v7f2433caa07f">
  <actions>
    <hudson.model.CauseAction>
      <causeBag class="linked-hash-map">
        <entry>
          <hudson.model.Cause_-UserIdCause>
            <userId>admin</userId>
          </hudson.model.Cause_-UserIdCause>
          <int>1</int>
        </entry>
      </causeBag>
    </hudson.model.CauseAction>
  </actions>
  <queueId>12</queueId>
  <timestamp>1650000000000</timestamp>
  <startTime>1650000000042</startTime>
  <result>FAILURE</result>
  <duration>523</duration>
  <charset>UTF-8</charset>
  <keepLog>false</keepLog>
  <completed>true</completed>
  <checkouts class="hudson.util.PersistedList"/>
</flow-build>"""


def small_run():  # type: ignore[no-untyped-def]
    b = GraphBuilder(start_ms=1_000, step_ms=10)
    with b.stage("Build"):
        b.step("sh", script="make")
    with b.stage("Test"):
        b.step("sh", script="make test")
    return b.build()


def no_execution_build(build_dir: Path) -> Path:
    build_dir.mkdir(parents=True)
    (build_dir / "build.xml").write_text(NO_EXECUTION, encoding="utf-8")
    (build_dir / "log").write_text("ERROR: Unable to find Jenkinsfile\nFinished: FAILURE\n")
    return build_dir


def test_a_run_that_never_started_a_flow_is_a_run_without_nodes(tmp_path: Path) -> None:
    build = no_execution_build(tmp_path / "jobs" / "app" / "builds" / "4")
    run = load_run(build)
    assert (run.name, run.number, run.result) == ("app", 4, Result.FAILURE)
    assert (run.start_ms, run.duration_ms, run.running, run.execution) == (1650000000042, 523, False, None)
    assert len(run.graph) == 0 and run.graph.head_ids == ()
    assert [str(r) for r in iter_runs(tmp_path)] == ["app#4"]
    analysis = analyze(run)
    assert analysis.status is not None and analysis.status.name == "FAILURE"
    assert analysis.stages == [] and analysis.timing.total_ms == 523
    # written back byte for byte, with its log, and no node storage invented
    copy = tmp_path / "copy"
    save_run(run, copy)
    assert (copy / "build.xml").read_text(encoding="utf-8") == NO_EXECUTION
    assert sorted(p.name for p in copy.iterdir()) == ["build.xml", "log"]
    # the CLI lists, shows and imports it
    runner = CliRunner()
    for command in (["info", str(build)], ["stages", str(build)]):
        shown = runner.invoke(main, command)
        assert shown.exit_code == 0, shown.output
        assert "FAILURE" in shown.output or "no stages" in shown.output
    imported = runner.invoke(main, ["import", str(tmp_path / "jobs"), str(tmp_path / "runs.db")])
    assert imported.exit_code == 0 and "Imported 1 run(s), 0 flow nodes" in imported.output


def test_the_builder_writes_a_run_without_execution_too(tmp_path: Path) -> None:
    from flowgraph import FlowExecution
    from flowgraph.jenkins import write_build_xml

    write_build_xml(
        tmp_path / "build.xml",
        FlowExecution(),
        result=Result.ABORTED,
        start_ms=5,
        duration_ms=7,
        completed=True,
        has_execution=False,
    )
    text = (tmp_path / "build.xml").read_text(encoding="utf-8")
    assert "<execution" not in text and "<result>ABORTED</result>" in text
    run = load_run(tmp_path)
    assert run.execution is None and run.result is Result.ABORTED and (run.start_ms, run.duration_ms) == (5, 7)


def damaged_home(root: Path) -> Path:
    """A home with good runs in a folder and a multibranch job, a truncated build.xml, a run missing a
    node file, a run that never started, and a copy of the hand-edited cycle fixture."""
    home = root / "home"
    save_run(small_run(), home / "jobs" / "app" / "builds" / "1")
    truncated = home / "jobs" / "app" / "builds" / "2"
    save_run(small_run(), truncated)
    (truncated / "build.xml").write_bytes((truncated / "build.xml").read_bytes()[:150])
    missing = home / "jobs" / "app" / "builds" / "3"
    save_run(small_run(), missing)
    (missing / "workflow" / "5.xml").unlink()
    no_execution_build(home / "jobs" / "app" / "builds" / "4")
    save_run(small_run(), home / "jobs" / "team" / "jobs" / "svc" / "branches" / "main" / "builds" / "7")
    shutil.copytree(CYCLE, home / "jobs" / "team" / "jobs" / "edited" / "builds" / "1")
    freestyle = home / "jobs" / "legacy" / "builds" / "1"
    freestyle.mkdir(parents=True)
    (freestyle / "build.xml").write_text("<?xml version='1.1' encoding='UTF-8'?>\n<build>\n</build>")
    return home


def test_load_runs_goes_on_past_damage_and_names_each_damaged_run(tmp_path: Path) -> None:
    home = damaged_home(tmp_path)
    report = LoadReport()
    results = {
        str(ref): result for ref, result in load_runs(home, fn=node_count, workers=1, progress=False, report=report)
    }
    # 12 nodes: start, 2 x (stage, body, sh, body end, stage end), end. The freestyle <build> is no
    # Pipeline run; the truncated build.xml is kept, to be reported
    assert sorted(results) == ["app#1", "app#2", "app#3", "app#4", "team/edited#1", "team/svc/main#7"]
    assert results["app#1"] == results["team/svc/main#7"] == 12 and results["app#4"] == 0
    assert sorted(report.read) == ["app#1", "app#4", "team/svc/main#7"] and not report.ok
    problems = {p.run: p for p in report.problems}
    assert sorted(problems) == ["app#2", "app#3", "team/edited#1"]
    assert isinstance(problems["app#2"].error, FormatError) and "build.xml" in str(problems["app#2"].error)
    lost = problems["app#3"].error
    assert isinstance(lost, NodeNotFoundError) and lost.node_id == "5"
    assert str(home / "jobs" / "app" / "builds" / "3" / "workflow" / "5.xml") in str(lost)
    cycle = problems["team/edited#1"].error
    assert isinstance(cycle, GraphCycleError) and cycle.node_ids == ["7", "8", "7"]
    assert str(cycle).startswith("team/edited#1 (") and cycle.run == "team/edited#1"  # type: ignore[attr-defined]
    assert str(problems["team/edited#1"]).startswith(f"team/edited#1 ({home}/jobs/team/jobs/edited/builds/1): Graph")


def test_open_runs_with_a_report_skips_damaged_runs_and_without_one_raises(tmp_path: Path) -> None:
    home = damaged_home(tmp_path)
    report = LoadReport()
    names = [f"{run.name}#{run.number}" for run in open_runs(home, report=report)]
    assert names == report.read == ["app#1", "app#4", "team/svc/main#7"]
    assert [p.run for p in report.problems] == ["app#2", "app#3", "team/edited#1"]
    with pytest.raises(FlowGraphError, match=r"^app#2: .*/jobs/app/builds/2/build\.xml: not well-formed"):
        list(open_runs(home))


def test_import_of_a_damaged_home_exits_0_and_names_the_damage(tmp_path: Path) -> None:
    home = damaged_home(tmp_path)
    report = import_runs(str(home), str(tmp_path / "out"))
    assert sorted(report.imported) == ["app#1", "app#4", "team/svc/main#7"]
    assert [p.run for p in report.problems] == ["app#2", "app#3", "team/edited#1"]
    assert (
        tmp_path / "out" / "jobs" / "team" / "jobs" / "svc" / "jobs" / "main" / "builds" / "7" / "build.xml"
    ).is_file()
    runner = CliRunner()
    done = runner.invoke(main, ["import", str(home), str(tmp_path / "runs.db")])
    assert done.exit_code == 0, done.output
    assert "Imported 3 run(s)" in done.output and "3 failed" in done.output
    assert "Imported 3 run(s), 24 flow nodes" in done.output  # 12 + 0 (never started) + 12
    assert "damaged: app#2: FormatError: " in done.output and "app/builds/2/build.xml: not well-formed" in done.output
    assert "damaged: app#3: NodeNotFoundError: node 5 not found" in done.output
    assert "damaged: team/edited#1 (" in done.output and "GraphCycleError" in done.output
    strict = runner.invoke(main, ["import", "--strict", str(home), str(tmp_path / "strict.db")])
    assert strict.exit_code == EXIT_INPUT


def test_a_cycle_is_broken_at_the_edited_link_with_placeholders(tmp_path: Path) -> None:
    with pytest.raises(GraphCycleError) as raised:
        load_run(CYCLE)
    assert str(raised.value).startswith(f"test0#1 ({CYCLE}): flow graph has a cycle through nodes 7 -> 8 -> 7")
    assert raised.value.build_dir == str(CYCLE)  # type: ignore[attr-defined]
    run = load_run(CYCLE, on_corrupt="placeholder")
    # 7.xml: a StepEndNode whose <startId> was edited to 8, a node created after it (8's parent is 7)
    seven = run.graph.node("7")
    assert is_placeholder(seven) and seven.parent_ids == ("6",) and seven.start_id is None
    assert [n.id for n in run.graph if is_placeholder(n)] == ["7"]
    assert run.metadata["corruption"] == ["node 7 names later node(s) (start 8): a cycle, broken here"]
    assert run.execution.storage_corrupt and not run.execution.can_resume()
    assert run.graph.node("8").parent_ids == ("7",) and run.graph.node("6").start_id == "4"
    assert [s.name for s in analyze(run).stages] == ["stage"]
    assert sorted(p.name for p in (CYCLE / "workflow").iterdir())[0] == "10.xml"  # nothing written to the fixture


def test_stage_view_of_a_damaged_home_draws_the_readable_runs_and_names_the_rest(tmp_path: Path) -> None:
    home = damaged_home(tmp_path)
    out = tmp_path / "view.svg"
    done = CliRunner().invoke(main, ["render", str(home), "--view", "stage-view", "--format", "svg", "-o", str(out)])
    assert done.exit_code == 0, done.output
    assert "skipped: app#2: FormatError" in done.output and "skipped: team/edited#1 (" in done.output
    svg = out.read_text()
    assert "Build" in svg and "Test" in svg  # the stages of the readable runs
