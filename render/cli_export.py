"""``flowgraph export otel``: runs as OpenTelemetry traces, to an OTLP backend or to files.

Examples
--------
>>> from click.testing import CliRunner
>>> result = CliRunner().invoke(export, ["otel", "--help"])
>>> result.exit_code, "--endpoint" in result.output
(0, True)
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.tree import Tree

from flowgraph.errors import FlowGraphError
from flowgraph.run import Run

if TYPE_CHECKING:
    from render.otel.sources import RunLoader

__all__ = ["export", "otel"]


def _err() -> Console:
    return Console(stderr=True, highlight=False)


def _exit_input() -> None:
    """Exit with the CLI's "bad or damaged input" code (imported late: render.cli imports this module)."""
    from render.cli import EXIT_INPUT

    sys.exit(EXIT_INPUT)


@click.group()
def export() -> None:
    """Export runs to other tools' formats."""


def _headers(values: Sequence[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for value in values:
        name, sep, text = value.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{value!r} is not K=V", param_hint="--header")
        headers[name.strip()] = text.strip()
    return headers


def _span_tree(run: Run) -> Tree:
    from render.otel.spans import run_spans

    spans = run_spans(run)
    nodes: dict[int, Tree] = {}
    root = Tree("trace")
    for span in spans:
        duration = (span.end_ns - span.start_ns) / 1e9
        result = span.attributes.get("cicd.pipeline.task.run.result", span.attributes.get("cicd.pipeline.result"))
        label = f"[bold]{span.name}[/]  {duration:.3f}s  {result}" + (
            " [red]ERROR[/]" if span.status == "ERROR" else ""
        )
        parent = nodes.get(span.parent_span_id, root) if span.parent_span_id is not None else root
        nodes[span.span_id] = parent.add(label)
    root.label = f"trace {spans[0].trace_id:032x}: {len(spans)} spans"
    return root


@export.command()
@click.argument("source")
@click.option("--endpoint", envvar="OTEL_EXPORTER_OTLP_ENDPOINT", help="OTLP endpoint, e.g. http://localhost:4318.")
@click.option("--header", "header", multiple=True, metavar="K=V", help="HTTP/gRPC header (repeatable).")
@click.option(
    "--protocol",
    type=click.Choice(["http/protobuf", "grpc"]),
    default="http/protobuf",
    show_default=True,
    help="OTLP transport (gRPC needs opentelemetry-exporter-otlp-proto-grpc).",
)
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]),
    help="Only runs started at or after this date (UTC).",
)
@click.option("--job", "jobs", multiple=True, help="Only runs of this job or folder (repeatable).")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a file instead: *.trace.json = Perfetto/Chrome timeline, other *.json = OTLP JSON Lines.",
)
@click.option("--timeout", type=click.FloatRange(min=0.1), default=10.0, show_default=True, help="Seconds per request.")
@click.option("--jenkins-url", metavar="URL", help="The controller's URL: root spans link to each run's page.")
@click.option("--service-name", default="jenkins", show_default=True, help="The service.name resource attribute.")
@click.option("--dry-run", is_flag=True, help="Print the span tree of the first run and send nothing.")
def otel(
    source: str,
    endpoint: str | None,
    header: Sequence[str],
    protocol: str,
    since: dt.datetime | None,
    jobs: Sequence[str],
    output: Path | None,
    timeout: float,
    jenkins_url: str | None,
    service_name: str,
    dry_run: bool,
) -> None:
    """Export finished runs under SOURCE as OpenTelemetry traces (one trace per run).

    \b
    SOURCE is a build directory, a job, folder or whole JENKINS_HOME, a flowgraph .json
    file, a SQL store (sqlite:///runs.db, postgresql://...) or a history warehouse (then
    only runs it has not exported yet; it remembers them). Trace and span ids are derived
    from job, build number and node id, so exporting again is safe. Runs still running are
    skipped; a damaged run is reported and the export goes on (exit code 1 at the end).
    """
    headers = _headers(header)
    if not dry_run and output is None and not endpoint:
        raise click.UsageError("give --endpoint URL (or OTEL_EXPORTER_OTLP_ENDPOINT), -o FILE or --dry-run")
    since_ms = int(since.replace(tzinfo=dt.UTC).timestamp() * 1000) if since is not None else None
    from render.cli import command_errors

    with command_errors():
        _run(source, endpoint, headers, protocol, timeout, since_ms, jobs, output, jenkins_url, service_name, dry_run)


def _selected(run: Run, since_ms: int | None, jobs: Sequence[str]) -> bool:
    from render.otel.sources import job_matches

    if since_ms is not None and (run.start_ms is None or run.start_ms < since_ms):
        return False
    return job_matches(run.name or "", jobs)


def _run(
    source: str,
    endpoint: str | None,
    headers: dict[str, str],
    protocol: str,
    timeout: float,
    since_ms: int | None,
    jobs: Sequence[str],
    output: Path | None,
    jenkins_url: str | None,
    service_name: str,
    dry_run: bool,
) -> None:
    from render.otel.sources import run_loaders
    from render.otel.warehouse import ExportLedger, is_warehouse, pending_runs

    ledger = None
    if is_warehouse(source):  # only the runs this warehouse has not exported yet
        loaders = pending_runs(source, jobs=jobs)
        ledger = ExportLedger(source) if output is None and not dry_run else None
    else:
        loaders = list(run_loaders(source, jobs=jobs))
    console = _err()
    if dry_run:
        for name, load in loaders:
            run = load()
            if _selected(run, since_ms, jobs) and not run.running:
                Console(highlight=False).print(f"{name}:", _span_tree(run))
                return
        console.print("no finished run to show")
        return
    if output is not None and output.name.endswith(".trace.json"):
        _perfetto(loaders, output, since_ms, jobs)
        return
    from render.otel.sdk import OtlpExportError, OtlpJsonFileExporter, TraceExport, default_resource, otlp_exporter

    exporter = (
        OtlpJsonFileExporter(output)
        if output is not None
        else otlp_exporter(str(endpoint), headers=headers, protocol=protocol, timeout=timeout)
    )
    target = str(output) if output is not None else str(endpoint)
    export_run = TraceExport(exporter, resource=default_resource(service_name), jenkins_url=jenkins_url)
    progress = Progress(
        TextColumn("[bold]exporting[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[name]}"),
        console=console,
    )
    report = export_run.report
    with export_run, progress:
        task = progress.add_task("export", total=len(loaders), name="")
        for name, load in loaders:
            try:
                run = load()
                if _selected(run, since_ms, jobs):
                    export_run.add(run, name=name)
            except OtlpExportError:
                raise
            except FlowGraphError as exc:
                report.failed.append((name, str(exc)))
            progress.update(task, advance=1, name=name)
    if ledger is not None and report.exported:
        ledger.record(report.exported, report.trace_ids)
    click.echo(
        f"Exported {report.runs} run(s), {report.spans} spans, to {target}"
        + (f"; skipped {len(report.skipped)} still running" if report.skipped else "")
        + (f"; {len(report.failed)} failed" if report.failed else "")
    )
    for name, problem in report.failed:
        console.print(f"[bold red]failed:[/] {name}: {problem}")
    if report.failed:
        _exit_input()


def _perfetto(loaders: list[RunLoader], output: Path, since_ms: int | None, jobs: Sequence[str]) -> None:
    from render.otel.perfetto import write_perfetto

    runs: list[Run] = []
    failed: list[tuple[str, str]] = []
    for name, load in loaders:
        try:
            run = load()
        except FlowGraphError as exc:
            failed.append((name, str(exc)))
            continue
        if _selected(run, since_ms, jobs) and not run.running:
            runs.append(run)
    write_perfetto(runs, output)
    click.echo(f"Wrote {len(runs)} run(s) to {output} (open it in https://ui.perfetto.dev)")
    for name, problem in failed:
        _err().print(f"[bold red]failed:[/] {name}: {problem}")
    if failed:
        _exit_input()
