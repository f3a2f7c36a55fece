"""Runs as OpenTelemetry traces, sent over real HTTP to an OTLP receiver on 127.0.0.1.

The receiver (tests/otlp_receiver.py) decodes ``ExportTraceServiceRequest`` with
opentelemetry-proto, so these tests see exactly what a collector would. Expectations come from
the issue (one trace per run, span tree = stage tree, CI/CD attributes), from numbers read off
the fixture files by hand (build.xml start times and durations) and from hand-computed builder
timings.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURES
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status
from otlp_receiver import OtlpReceiver

from flowgraph import GraphBuilder, MemoryNodeStorage, Run
from flowgraph.actions import MaskedValue
from flowgraph.errors import FlowGraphError, RenderError
from flowgraph.jenkins import iter_runs, save_run
from render.cli import main
from render.otel import export_traces, perfetto_trace, run_spans
from render.otel.sdk import OtlpExportError, OtlpJsonFileExporter
from render.otel.sources import run_loaders
from render.sources import import_runs
from scanners import analyze, walk_stages

MS = 1_000_000
ROOT_ATTRIBUTES = ("cicd.pipeline.name", "cicd.pipeline.run.id", "cicd.pipeline.result", "ci.pipeline.run.result")
TASK_ATTRIBUTES = (
    "cicd.pipeline.task.name",
    "cicd.pipeline.task.run.id",
    "cicd.pipeline.task.run.result",
    "jenkins.pipeline.step.id",
    "jenkins.pipeline.step.type",
)
RESULTS = {"success", "failure", "error", "timeout", "cancellation", "skip"}


def attrs(span: Span) -> dict[str, object]:
    out: dict[str, object] = {}
    for kv in span.attributes:
        kind = kv.value.WhichOneof("value")
        out[kv.key] = getattr(kv.value, kind) if kind else None
    return out


def fixture_runs() -> list[Run]:
    """Every finished, loadable run of the shared fixtures (the set of fixtures is not fixed)."""
    runs = []
    for ref in iter_runs(FIXTURES):
        try:
            run = ref.load()
        except FlowGraphError:
            continue
        if not run.running:
            runs.append(run)
    return runs


@pytest.fixture(scope="module")
def fixtures() -> list[Run]:
    runs = fixture_runs()
    assert len(runs) >= 5
    return runs


@pytest.fixture()
def receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as rx:
        yield rx


def by_trace(rx: OtlpReceiver) -> dict[bytes, list[Span]]:
    traces: dict[bytes, list[Span]] = {}
    for _, span in rx.spans():
        traces.setdefault(span.trace_id, []).append(span)
    return traces


def simple_run() -> Run:
    b = GraphBuilder(start_ms=1_000_000, step_ms=100)
    with b.stage("Build"):
        b.step("sh", script="make", duration_ms=500)
    run = b.build()
    run.name, run.number = "team/app", 12
    return run


def shaped_run() -> Run:
    """Stages, a skipped stage, a parallel of two branches (one fails) and a step outside stages."""
    b = GraphBuilder(start_ms=2_000_000, step_ms=50)
    b.step("echo", message="hello")
    with b.stage("Build"):
        b.step("sh", script="make")
    with b.stage("Docs", skipped="SKIPPED_FOR_CONDITIONAL"):
        pass
    with b.stage("Test"), b.parallel("unit", "lint") as par:
        with par.branch("unit"):
            b.step("sh", script="pytest")
        with par.branch("lint"):
            b.step("sh", script="ruff check .", error="script returned exit code 1")
    run = b.build()
    run.name, run.number = "app", 7
    return run


# -- one run, hand-computed ----------------------------------------------------------------


def test_simple_run_has_exact_times_ids_and_attributes(receiver: OtlpReceiver) -> None:
    # Builder clock: flow start 1_000_000, stage start +100, body start +200, sh +300 (lasts 500),
    # body end +800, stage end +900, flow end +1000; the run lasts until the clock's 1_001_100.
    report = export_traces([simple_run()], endpoint=receiver.endpoint)
    assert (report.runs, report.spans, report.failed) == (1, 3, [])
    spans = {s.name: s for _, s in receiver.spans()}
    assert set(spans) == {"BUILD team/app", "Stage: Build", "sh"}
    root, stage, step = spans["BUILD team/app"], spans["Stage: Build"], spans["sh"]
    assert (root.start_time_unix_nano, root.end_time_unix_nano) == (1_000_000 * MS, 1_001_100 * MS)
    assert (stage.start_time_unix_nano, stage.end_time_unix_nano) == (1_000_200 * MS, 1_000_900 * MS)
    assert (step.start_time_unix_nano, step.end_time_unix_nano) == (1_000_300 * MS, 1_000_800 * MS)
    assert root.kind == Span.SPAN_KIND_SERVER and stage.kind == step.kind == Span.SPAN_KIND_INTERNAL
    assert root.parent_span_id == b"" and stage.parent_span_id == root.span_id and step.parent_span_id == stage.span_id
    assert len({root.trace_id, stage.trace_id, step.trace_id}) == 1 and len(root.trace_id) == 16
    r = attrs(root)
    assert r["cicd.pipeline.name"] == "team/app" and r["cicd.pipeline.run.id"] == "12"
    assert r["cicd.pipeline.result"] == "success" and r["cicd.pipeline.action.name"] == "BUILD"
    assert r["ci.pipeline.run.number"] == 12 and r["ci.pipeline.run.result"] == "SUCCESS"
    assert r["ci.pipeline.run.completed"] is True
    assert "error.type" not in r and root.status.code == Status.STATUS_CODE_UNSET
    s = attrs(step)
    assert s["cicd.pipeline.task.run.id"] == s["jenkins.pipeline.step.id"] == "5"
    assert s["jenkins.pipeline.step.type"] == "sh" and s["cicd.pipeline.task.name"] == "Shell Script"
    assert s["flowgraph.step.arguments"] == "make" and s["cicd.pipeline.task.run.result"] == "success"
    assert attrs(stage)["cicd.pipeline.task.name"] == "Build" and attrs(stage)["jenkins.pipeline.step.type"] == "stage"
    resource = receiver.spans()[0][0]
    assert resource["service.name"] == "jenkins" and "service.instance.id" not in resource


def test_shaped_run_tree_errors_and_skips(receiver: OtlpReceiver) -> None:
    run = shaped_run()
    export_traces([run], endpoint=receiver.endpoint)
    spans = [s for _, s in receiver.spans()]
    by_id = {s.span_id: s for s in spans}
    parent = {
        s.name + (":" + attrs(s).get("flowgraph.step.arguments", "") if s.name == "sh" else ""): (
            by_id[s.parent_span_id].name if s.parent_span_id else None
        )
        for s in spans
    }
    assert parent == {
        "BUILD app": None,
        "echo": "BUILD app",
        "Stage: Build": "BUILD app",
        "sh:make": "Stage: Build",
        "Stage: Docs": "BUILD app",
        "Stage: Test": "BUILD app",
        "Parallel branch: unit": "Stage: Test",  # the parallel is Test's only child: merged into it
        "Parallel branch: lint": "Stage: Test",
        "sh:pytest": "Parallel branch: unit",
        "sh:ruff check .": "Parallel branch: lint",
    }
    named = {s.name: s for s in spans}
    docs = named["Stage: Docs"]
    assert docs.start_time_unix_nano == docs.end_time_unix_nano
    assert attrs(docs)["cicd.pipeline.task.run.result"] == "skip" and docs.status.code == Status.STATUS_CODE_UNSET
    failed = next(s for s in spans if attrs(s).get("flowgraph.step.arguments") == "ruff check .")
    assert failed.status.code == Status.STATUS_CODE_ERROR
    assert failed.status.message == "script returned exit code 1"
    assert attrs(failed)["cicd.pipeline.task.run.result"] == "failure"
    (event,) = failed.events
    assert event.name == "exception" and event.time_unix_nano == failed.end_time_unix_nano
    ev = attrs(event)  # type: ignore[arg-type]
    assert ev["exception.message"] == "script returned exit code 1" and ev["exception.type"] == "hudson.AbortException"
    assert "exception.stacktrace" in ev
    for name in ("Parallel branch: lint", "Stage: Test", "BUILD app"):
        assert named[name].status.code == Status.STATUS_CODE_ERROR, name
        assert attrs(named[name])["error.type"] == "hudson.AbortException"
    assert named["Parallel branch: unit"].status.code == Status.STATUS_CODE_UNSET
    assert attrs(named["BUILD app"])["cicd.pipeline.result"] == "failure"
    assert all(not s.events for s in spans if s is not failed)


def test_masked_arguments_stay_masked() -> None:
    b = GraphBuilder(start_ms=0, step_ms=10)
    b.step("sh", script=MaskedValue.MASKED_VALUE)
    spans = run_spans(b.build())
    step = next(s for s in spans if s.name == "sh")
    assert step.attributes["flowgraph.step.arguments"] == "****"


def test_running_runs_are_skipped_not_guessed(receiver: OtlpReceiver) -> None:
    b = GraphBuilder(start_ms=0, step_ms=10)
    with b.stage("Wait"):
        b.input("go?")
    running = b.build()
    assert running.running
    with pytest.raises(RenderError, match="still running"):
        run_spans(running)
    report = export_traces([running, simple_run()], endpoint=receiver.endpoint)
    assert report.runs == 1 and len(report.skipped) == 1 and report.skipped[0][1] == "still running"
    assert len(by_trace(receiver)) == 1


# -- the real fixtures ------------------------------------------------------------------


def test_fixtures_one_trace_per_run_and_span_tree_is_stage_tree(fixtures: list[Run], receiver: OtlpReceiver) -> None:
    report = export_traces(fixtures, endpoint=receiver.endpoint, batch_spans=64)
    assert report.runs == len(fixtures) and report.failed == []
    traces = by_trace(receiver)
    assert len(traces) == len(fixtures)
    assert sum(len(t) for t in traces.values()) == report.spans
    for run in fixtures:
        spans = run_spans(run)
        trace = traces[spans[0].trace_id.to_bytes(16, "big")]
        roots = [s for s in trace if not s.parent_span_id]
        assert len(roots) == 1
        (root,) = roots
        # The run's own times, from build.xml (never the export time).
        assert root.start_time_unix_nano == run.start_ms * MS  # type: ignore[operator]
        assert root.end_time_unix_nano == (run.start_ms + run.duration_ms) * MS  # type: ignore[operator]
        for key in ROOT_ATTRIBUTES:
            assert key in attrs(root), key
        assert attrs(root)["cicd.pipeline.result"] in RESULTS
        node_of = {s.span_id: attrs(s).get("cicd.pipeline.task.run.id") for s in trace}
        # Span tree == stage tree: the same (parent, child) pairs, branches as siblings.
        analysis = analyze(run)
        expected = set()
        for stage in walk_stages(analysis.stages):
            expected.add((stage.parent_id, stage.id))
            expected.update((stage.id, step.id) for step in stage.steps)
        expected.update((None, step.id) for step in analysis.loose_steps)
        got = {
            (node_of[s.parent_span_id] if s.parent_span_id != root.span_id else None, node_of[s.span_id])
            for s in trace
            if s is not root
        }
        assert got == expected, run
        starts = {stage.id: stage for stage in walk_stages(analysis.stages)}
        for span in trace:
            if span is root:
                continue
            a = attrs(span)
            for key in TASK_ATTRIBUTES:
                assert key in a, (run, span.name, key)
            assert a["cicd.pipeline.task.run.result"] in RESULTS
            assert span.end_time_unix_nano >= span.start_time_unix_nano
            stage = starts.get(str(a["cicd.pipeline.task.run.id"]))
            if stage is not None and a["cicd.pipeline.task.run.result"] != "skip":
                assert span.start_time_unix_nano == stage.start_ms * MS  # type: ignore[operator]
                assert span.end_time_unix_nano == stage.end_ms * MS  # type: ignore[operator]
        # Every step whose node carries an error: status ERROR and one exception event from it.
        for step in analysis.iter_steps():
            span = next(s for s in trace if node_of[s.span_id] == step.id)
            error = step.node.error
            if error is None:
                assert not span.events
                continue
            assert span.status.code == Status.STATUS_CODE_ERROR
            (event,) = span.events
            ev = {kv.key: kv.value.string_value for kv in event.attributes}
            assert ev["exception.type"] == error.error_type and ev["exception.stacktrace"] == error.stack
            assert ev.get("exception.message") == error.message


def test_fixture_facts_read_off_the_files(fixtures: list[Run]) -> None:
    runs = {(r.name, r.number): r for r in fixtures}
    # danish-completed-timeout #4: build.xml startTime 1756720883176, duration 6276, ABORTED by timeout(3 s).
    spans = run_spans(runs[("pipeline", 4)])
    root = spans[0]
    assert (root.start_ns, root.end_ns) == (1756720883176 * MS, (1756720883176 + 6276) * MS)
    assert root.attributes["cicd.pipeline.result"] == "timeout"
    assert root.attributes["ci.pipeline.run.completed"] is False  # ABORTED: completeBuild false in build.xml
    assert root.attributes["error.type"] == "org.jenkinsci.plugins.workflow.steps.FlowInterruptedException"
    # danish #3: FAILURE, sh "script returned exit code 127" three times inside retry(3).
    spans = run_spans(runs[("pipeline", 3)])
    assert spans[0].attributes["cicd.pipeline.result"] == "failure"
    failed = [s for s in spans if s.status == "ERROR" and s.name == "sh"]
    assert len(failed) == 3 and {s.status_message for s in failed} == {"script returned exit code 127"}
    # suresh test-pipeline #19: stages directory and build skipped after git-clone failed.
    spans = run_spans(runs[("test-pipeline", 19)])
    stages = {s.name: s for s in spans if s.name.startswith("Stage: ")}
    assert stages["Stage: git-clone"].attributes["cicd.pipeline.task.run.result"] == "failure"
    for name in ("Stage: directory", "Stage: build"):
        assert stages[name].attributes["cicd.pipeline.task.run.result"] == "skip"
        assert stages[name].start_ns == stages[name].end_ns
    assert spans[0].start_ns == 1646132099179 * MS and spans[0].end_ns == (1646132099179 + 2560) * MS
    # legacy declarative parallel: branch-one and branch-two are siblings under stage "parent".
    spans = run_spans(runs[("ptest1", 1)])
    names = {s.span_id: s.name for s in spans}
    branches = [s for s in spans if s.name.startswith("Parallel branch: ")]
    assert sorted(s.name for s in branches) == ["Parallel branch: branch-one", "Parallel branch: branch-two"]
    assert {names[s.parent_span_id] for s in branches} == {"Stage: parent"}  # type: ignore[index]


def test_ids_are_deterministic_across_exports_and_sources(fixtures: list[Run], tmp_path: Path) -> None:
    def ids(runs: list[Run]) -> set[tuple[bytes, bytes, bytes, str]]:
        with OtlpReceiver() as rx:
            export_traces(runs, endpoint=rx.endpoint)
            return {(s.trace_id, s.span_id, s.parent_span_id, s.name) for _, s in rx.spans()}

    first = ids(fixtures)
    again = ids(fixture_runs())  # loaded afresh from the files
    assert first == again and len(first) == sum(len(run_spans(r)) for r in fixtures)
    # The same runs imported into SQLite keep job and number, hence the same ids.
    small = [run for run in fixtures if len(run.graph) < 100]
    home = tmp_path / "home"
    for run in small:
        save_run(run, home / "jobs" / str(run.name) / "builds" / str(run.number))
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    assert not import_runs(str(home), db).failed
    from_sql = ids([load() for _, load in run_loaders(db)])
    assert from_sql == ids(small) and len({t for t, *_ in from_sql}) == len(small)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(1, 3)), min_size=1, max_size=8))
def test_span_tree_matches_stage_tree_for_generated_shapes(shape: list[tuple[int, int]]) -> None:
    b = GraphBuilder(start_ms=5_000, step_ms=7)
    for i, (depth, branches) in enumerate(shape):
        for d in range(depth):
            b.begin_stage(f"s{i}.{d}")
        if branches > 1:
            with b.parallel(*(f"b{k}" for k in range(branches))) as par:
                for k in range(branches):
                    with par.branch(f"b{k}"):
                        b.step("echo", message=str(k))
        else:
            b.step("sh", script=str(i))
        for _ in range(depth):
            b.end_block()
    run = b.build()
    spans = run_spans(run)
    ids = {s.span_id for s in spans}
    assert len(ids) == len(spans)
    assert all(s.parent_span_id in ids for s in spans[1:])
    node = {s.span_id: s.node_id for s in spans}
    got = Counter(
        (node.get(s.parent_span_id) if s.parent_span_id != spans[0].span_id else None, s.node_id) for s in spans[1:]
    )
    analysis = analyze(run)
    want: Counter[tuple[str | None, str]] = Counter()
    for stage in walk_stages(analysis.stages):
        want[(stage.parent_id, stage.id)] += 1
        want.update((stage.id, step.id) for step in stage.steps)
    want.update((None, step.id) for step in analysis.loose_steps)
    assert got == want
    for span in spans:  # children start no earlier than their parent
        if span.parent_span_id is not None:
            parent = next(p for p in spans if p.span_id == span.parent_span_id)
            assert span.start_ns >= parent.start_ns


def test_deep_nesting_exports_without_recursion() -> None:
    from render_support import deep_run

    run = deep_run(5_000)  # 5,000 nested stages = 10,000 nested blocks, far past the recursion limit
    storage = run.graph.storage
    assert isinstance(storage, MemoryNodeStorage)
    before = storage.reads
    spans = run_spans(run)
    assert storage.reads - before <= 1.1 * len(run.graph)  # linear: about one read per node
    assert len(spans) == 1 + 5_000 + 1
    depth = {spans[0].span_id: 0}
    for span in spans[1:]:
        depth[span.span_id] = depth[span.parent_span_id] + 1  # type: ignore[index]
    assert max(depth.values()) == 5_001
    events = perfetto_trace([run])["traceEvents"]
    assert sum(e["ph"] == "X" for e in events) == len(spans)


def test_a_run_bigger_than_a_batch_is_split_across_requests(receiver: OtlpReceiver) -> None:
    b = GraphBuilder(start_ms=0, step_ms=1)
    with b.stage("many"):
        for i in range(250):
            b.step("echo", message=str(i))
    run = b.build()
    report = export_traces([run, simple_run()], endpoint=receiver.endpoint, batch_spans=100)
    assert report.spans == 1 + 1 + 250 + 3
    sizes = [sum(len(ss.spans) for rs in r.resource_spans for ss in rs.scope_spans) for r in receiver.requests]
    assert sizes == [100, 100, 52, 3]  # the big run as soon as it is added, at most 100 a request; then the rest
    traces = by_trace(receiver)
    assert sorted(len(t) for t in traces.values()) == [3, 252]
    assert len({s.span_id for t in traces.values() for s in t}) == report.spans


# -- files ----------------------------------------------------------------------------


def test_otlp_json_file_matches_what_the_receiver_got(tmp_path: Path, receiver: OtlpReceiver) -> None:
    run = shaped_run()
    path = tmp_path / "traces.json"
    export_traces([run], exporter=OtlpJsonFileExporter(path))
    export_traces([run], endpoint=receiver.endpoint)
    (line,) = path.read_text().splitlines()
    request = json.loads(line)
    spans = [s for rs in request["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]
    got = {
        (s["traceId"], s["spanId"], s.get("parentSpanId", ""), s["name"], s["kind"], s["startTimeUnixNano"])
        for s in spans
    }
    want = {
        (s.trace_id.hex(), s.span_id.hex(), s.parent_span_id.hex(), s.name, s.kind, str(s.start_time_unix_nano))
        for _, s in receiver.spans()
    }
    assert got == want
    assert all(len(s["traceId"]) == 32 and len(s["spanId"]) == 16 for s in spans)


def test_perfetto_trace_follows_the_trace_event_format(fixtures: list[Run]) -> None:
    trace = perfetto_trace([shaped_run(), *fixtures])
    events = trace["traceEvents"]
    for event in events:
        for key in ("ph", "ts", "dur", "pid", "tid", "name"):
            assert key in event, (key, event)
        assert event["ph"] in ("X", "M", "i") and event["dur"] >= 0
        assert isinstance(event["ts"], int) and isinstance(event["pid"], int) and isinstance(event["tid"], int)
    json.dumps(trace)  # plain JSON
    # Complete events of one track nest (or follow one another); never partly overlap.
    tracks: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for e in events:
        if e["ph"] == "X":
            tracks.setdefault((e["pid"], e["tid"]), []).append((e["ts"], e["ts"] + e["dur"]))
    for intervals in tracks.values():
        open_ends: list[int] = []
        for start, end in sorted(intervals, key=lambda i: (i[0], -i[1])):
            while open_ends and open_ends[-1] <= start:
                open_ends.pop()
            assert not open_ends or end <= open_ends[-1]
            open_ends.append(end)
    # The two parallel branches of the shaped run are on tracks of their own.
    first = [e for e in events if e["pid"] == 1 and e["ph"] == "X"]
    tids = {e["name"]: e["tid"] for e in first}
    assert len({tids["Parallel branch: unit"], tids["Parallel branch: lint"], tids["BUILD app"]}) == 3
    assert sum(e["ph"] == "i" and e["pid"] == 1 for e in events) == 1  # the failed ruff step


# -- the command line -----------------------------------------------------------------


def test_cli_exports_a_home_reports_damaged_runs_and_sends_headers(receiver: OtlpReceiver) -> None:
    result = CliRunner().invoke(
        main, ["export", "otel", str(FIXTURES), "--endpoint", receiver.endpoint, "--header", "Authorization=Bearer t"]
    )
    finished = len(fixture_runs())
    assert f"Exported {finished} run(s)" in result.output
    assert "still running" in result.output
    damaged = [ref for ref in iter_runs(FIXTURES) if not _loads(ref)]
    assert result.exit_code == (1 if damaged else 0)
    for ref in damaged:
        assert str(ref) in result.output
    assert len(by_trace(receiver)) == finished
    assert {h.get("authorization") for h in receiver.headers} == {"Bearer t"}


def _loads(ref: object) -> bool:
    try:
        ref.load()  # type: ignore[attr-defined]
    except FlowGraphError:
        return False
    return True


def test_cli_filters_by_job_and_date(receiver: OtlpReceiver) -> None:
    result = CliRunner().invoke(
        main,
        ["export", "otel", str(FIXTURES), "--endpoint", receiver.endpoint, "--job", "pipeline"]
        + ["--jenkins-url", "https://ci.example.com/"],
    )
    assert result.exit_code == 0, result.output
    roots = {attrs(s)["cicd.pipeline.run.id"]: attrs(s) for _, s in receiver.spans() if not s.parent_span_id}
    assert set(roots) == {"3", "4"}  # danish-completed-timeout's job "pipeline" has builds 3 and 4
    assert roots["3"]["cicd.pipeline.run.url.full"] == "https://ci.example.com/job/pipeline/3/"
    assert roots["4"]["ci.pipeline.run.url"] == "https://ci.example.com/job/pipeline/4/"
    result = CliRunner().invoke(
        main, ["export", "otel", str(FIXTURES), "-o", "/dev/null", "--since", "2030-01-01", "--job", "pipeline"]
    )
    assert result.exit_code == 0 and "Exported 0 run(s)" in result.output
    result = CliRunner().invoke(  # builds 3 and 4 ran on 2025-09-01 (build.xml startTime 1756720814821, …883176)
        main, ["export", "otel", str(FIXTURES), "-o", "/dev/null", "--since", "2025-09-01", "--job", "pipeline"]
    )
    assert result.exit_code == 0 and "Exported 2 run(s)" in result.output


def test_cli_dry_run_prints_the_span_tree_and_sends_nothing() -> None:
    build = FIXTURES / "legacy-declarative-parallel-completed"
    result = CliRunner().invoke(main, ["export", "otel", str(build), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "BUILD ptest1" in result.output and "Parallel branch: branch-two" in result.output
    assert "10 spans" in result.output


def test_cli_usage_and_backend_errors(tmp_path: Path) -> None:
    build = FIXTURES / "legacy-declarative-parallel-completed"
    result = CliRunner().invoke(main, ["export", "otel", str(build)])
    assert result.exit_code == 2 and "--endpoint" in result.output
    with OtlpReceiver(status=400) as refusing:
        result = CliRunner().invoke(main, ["export", "otel", str(build), "--endpoint", refusing.endpoint])
        assert result.exit_code == 1 and refusing.endpoint in result.output
        with pytest.raises(OtlpExportError):
            export_traces([simple_run()], endpoint=refusing.endpoint)
    out = tmp_path / "run.trace.json"
    result = CliRunner().invoke(main, ["export", "otel", str(build), "-o", str(out)])
    assert result.exit_code == 0 and json.loads(out.read_text())["traceEvents"]
