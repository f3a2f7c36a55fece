"""``flowgraph export otel WAREHOUSE``: only runs the warehouse has not exported yet, remembered in it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURES
from otlp_receiver import OtlpReceiver

from flowgraph import GraphBuilder, Run
from flowgraph.errors import FlowGraphError
from flowgraph.jenkins import iter_runs, save_run
from render.cli import main
from render.otel import run_spans
from render.otel.warehouse import LEDGER_FILE, ExportLedger, is_warehouse, pending_runs
from scanners.history import History


def _run(n: int, fail: bool = False) -> Run:
    b = GraphBuilder(start_ms=1_700_000_000_000 + n * 60_000, step_ms=100)
    with b.stage("Test"):
        b.step("sh", script="pytest", error="exit 1" if fail else None)
    return b.build()


def _roots(rx: OtlpReceiver) -> set[str]:
    out = set()
    for _, span in rx.spans():
        if not span.parent_span_id:
            a = {kv.key: kv.value for kv in span.attributes}
            out.add(f"{a['cicd.pipeline.name'].string_value}#{a['cicd.pipeline.run.id'].string_value}")
    return out


def test_only_runs_not_yet_exported_are_sent(tmp_path: Path) -> None:
    home, store = tmp_path / "home", tmp_path / "warehouse"
    for n in (1, 2):
        save_run(_run(n, fail=n == 2), home / "jobs" / "app" / "builds" / str(n))
    History.build(home, store)
    assert is_warehouse(store) and not is_warehouse(home)
    with OtlpReceiver() as rx:
        result = CliRunner().invoke(main, ["export", "otel", str(store), "--endpoint", rx.endpoint])
        assert result.exit_code == 0, result.output
        assert _roots(rx) == {"app#1", "app#2"}
    ledger = json.loads((store / LEDGER_FILE).read_text())["exported"]
    assert set(ledger) == {"app#1", "app#2"} and all(len(t) == 32 for t in ledger.values())
    save_run(_run(3), home / "jobs" / "app" / "builds" / "3")
    History.build(home, store)  # the warehouse learns of build 3
    with OtlpReceiver() as rx:
        result = CliRunner().invoke(main, ["export", "otel", str(store), "--endpoint", rx.endpoint])
        assert result.exit_code == 0 and "Exported 1 run(s)" in result.output
        assert _roots(rx) == {"app#3"}
    with OtlpReceiver() as rx:  # nothing left: nothing sent
        result = CliRunner().invoke(main, ["export", "otel", str(store), "--endpoint", rx.endpoint])
        assert "Exported 0 run(s)" in result.output and rx.request_count == 0
    assert len(ExportLedger(store)) == 3


def test_a_refused_export_records_nothing(tmp_path: Path) -> None:
    home, store = tmp_path / "home", tmp_path / "warehouse"
    save_run(_run(1), home / "jobs" / "app" / "builds" / "1")
    History.build(home, store)
    with OtlpReceiver(status=400) as rx:  # refused, not retried
        result = CliRunner().invoke(main, ["export", "otel", str(store), "--endpoint", rx.endpoint])
    assert result.exit_code == 1 and not (store / LEDGER_FILE).exists()
    assert [name for name, _ in pending_runs(store)] == ["app#1"]


def test_fixture_warehouse_exports_the_finished_runs_with_their_own_ids(tmp_path: Path) -> None:
    store = tmp_path / "warehouse"
    History.build(FIXTURES, store)
    finished = []
    for ref in iter_runs(FIXTURES):
        try:
            run = ref.load()
        except FlowGraphError:
            continue
        if not run.running:
            finished.append(run)
    loaders = pending_runs(store)
    assert sorted(name for name, _ in loaders) == sorted(f"{r.name}#{r.number}" for r in finished)
    with OtlpReceiver() as rx:
        result = CliRunner().invoke(main, ["export", "otel", str(store), "--endpoint", rx.endpoint])
        assert result.exit_code == 0, result.output
        got = {(s.trace_id, s.span_id) for _, s in rx.spans()}
    want = {(s.trace_id.to_bytes(16, "big"), s.span_id.to_bytes(8, "big")) for r in finished for s in run_spans(r)}
    assert got == want


def test_a_damaged_ledger_is_a_typed_error(tmp_path: Path) -> None:
    (tmp_path / LEDGER_FILE).write_text("{not json")
    with pytest.raises(FlowGraphError, match=LEDGER_FILE):
        ExportLedger(tmp_path)
