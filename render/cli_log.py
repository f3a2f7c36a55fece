"""``flowgraph log``: a run's, a step's, a stage's or every failed step's console output.

The text comes from the build directory's ``log`` + ``log-index`` (or the legacy per-node
``<id>.log`` files), with Jenkins' hidden console notes removed, and is streamed to stdout in
bounded chunks, so a gigabyte log prints without being held in memory. With several steps
(``--stage``, ``--failed``) each step's text is preceded by a header line naming the step,
its node id and stage; ``--tail N`` keeps the last N lines of each.

Examples
--------
>>> from click.testing import CliRunner
>>> result = CliRunner().invoke(log, ["--help"])
>>> result.exit_code, "--failed" in result.output
(0, True)
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from flowgraph.errors import FlowGraphError, StorageError

__all__ = ["log", "find_stage", "StageNotFoundError"]

_EXIT_INPUT = 1
_NOTHING = "(no console output recorded)"

if TYPE_CHECKING:  # the model and scanners load when the command runs, keeping `flowgraph --help` light
    from flowgraph.run import Run
    from scanners import RunAnalysis, StageNode, StepInfo


class StageNotFoundError(FlowGraphError, LookupError):
    """No stage or branch of the run matches a ``--stage`` path, or a bare name matches several."""


@contextmanager
def _input_errors() -> Iterator[None]:
    """Library errors as one-line messages with exit code 1; a closed pipe (``| head``) ends quietly."""
    try:
        yield
    except FlowGraphError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(_EXIT_INPUT)
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away: nothing more to say
        sys.exit(0)


def find_stage(analysis: RunAnalysis, path: str) -> StageNode:
    """The stage or branch named by ``path``: ``Test/unit`` (names from the top), a unique name, or an id.

    Raises :class:`StageNotFoundError` naming the stages there are when nothing
    matches, or the candidates when a bare name is ambiguous.

    Examples
    --------
    >>> from flowgraph import GraphBuilder
    >>> from scanners import analyze
    >>> b = GraphBuilder()
    >>> with b.stage("Test"):
    ...     with b.stage("unit"):
    ...         _ = b.step("sh", script="pytest")
    >>> find_stage(analyze(b.build()), "Test/unit").name
    'unit'
    """
    wanted = [part.strip() for part in path.strip("/").split("/") if part.strip()]
    stages = list(analysis.iter_stages())
    by_id = {stage.id: stage for stage in stages}
    names: dict[str, tuple[str, ...]] = {}
    for stage in stages:  # parents come first
        above = names.get(stage.parent_id, ()) if stage.parent_id is not None else ()
        names[stage.id] = (*above, stage.name)
    exact = [by_id[i] for i, full in names.items() if list(full) == wanted]
    if len(exact) == 1:
        return exact[0]
    if len(wanted) == 1:
        if path.strip() in by_id:
            return by_id[path.strip()]
        named = [by_id[i] for i, full in names.items() if full[-1] == wanted[0]]
        if len(named) == 1:
            return named[0]
        if named:
            options = ", ".join(f"{'/'.join(names[s.id])} (id {s.id})" for s in named[:10])
            raise StageNotFoundError(f"stage {path!r} is ambiguous: give its path or id, one of {options}")
    known = ", ".join(dict.fromkeys("/".join(full) for full in names.values()).keys()) or "none: the run has no stages"
    if len(known) > 600:
        known = known[:599] + "\u2026"
    raise StageNotFoundError(f"no stage {path!r} in this run (stages: {known})")


def _header(step: StepInfo | None, what: str, node_id: str, where: tuple[str, ...], extra: str = "") -> str:
    arguments = f" {step.arguments}" if step is not None and step.arguments else ""
    if len(arguments) > 80:
        arguments = arguments[:79] + "\u2026"
    place = f" in {'/'.join(where)}" if where else ""
    return f"=== {what}{arguments} (node {node_id}){place}{extra} ==="


def _emit(chunks: Iterable[str], tail: int | None) -> bool:
    """Stream the text to stdout (ending with a newline); False when there was none."""
    from scanners.logs import tail_lines

    out = sys.stdout
    if tail is not None:
        kept = tail_lines(chunks, tail)
        if kept.skipped:
            out.write(f"[\u2026 {kept.skipped} earlier line(s) not shown]\n")
        out.write(kept.text)
        out.flush()
        return bool(kept.lines)
    wrote = False
    ended = True
    for chunk in chunks:
        out.write(chunk)
        wrote = True
        ended = chunk.endswith("\n")
    if not ended:
        out.write("\n")
    out.flush()
    return wrote


def _check_logs(run: Run, source: str) -> None:
    from scanners.logs import has_logs

    if not has_logs(run):
        where = run.metadata.get("build_dir")
        reason = f"{where} holds no log file" if where else "it was not loaded from a Jenkins build directory"
        raise StorageError(f"{source}: no console output to show ({reason})")


@click.command(name="log")
@click.argument("source")
@click.option("--node", "node_id", metavar="ID", help="One node's (step's) output.")
@click.option(
    "--stage", "stage_path", metavar="PATH", help="Every step of a stage or branch: a name, Outer/inner or an id."
)
@click.option("--failed", is_flag=True, help="The output of every failing step (the first failure first).")
@click.option("--tail", type=click.IntRange(min=0), metavar="N", help="Only the last N lines (of each step).")
def log(source: str, node_id: str | None, stage_path: str | None, failed: bool, tail: int | None) -> None:
    """Print a run's console output, or that of one step, one stage or the failed steps.

    SOURCE is a Jenkins build directory (.../builds/<n>) or a path the other commands take that
    leads to one. Jenkins' hidden console notes are removed; the text is streamed.
    """
    chosen = [name for name, value in (("--node", node_id), ("--stage", stage_path), ("--failed", failed)) if value]
    if len(chosen) > 1:
        raise click.UsageError(f"give one of --node, --stage, --failed (got {' and '.join(chosen)})")
    from render.sources import open_run

    with _input_errors():
        run = open_run(source)
        _check_logs(run, source)
        if node_id is None and stage_path is None and not failed:
            from flowgraph.jenkins.logs import iter_log

            _emit(iter_log(run), tail)
            return
        from scanners import analyze
        from scanners.logs import iter_step_log

        analysis = analyze(run)
        if node_id is not None:
            node = run.graph.node(node_id)  # a typed error naming the id when it is not in the run
            printed = _emit(iter_step_log(run, node_id), tail)
            if not printed:
                error = node.error
                said = ""
                if error is not None:
                    said = f"; its error: {error.error_type}" + (f": {error.message}" if error.message else "")
                click.echo(f"(node {node_id} ({node.display_name}) recorded no console output{said})", err=True)
            return
        if stage_path is not None:
            stage = find_stage(analysis, stage_path)
            steps = 0
            for inner in stage.walk():
                for step in inner.steps:
                    click.echo(_header(step, step.function_name or step.name, step.id, _path(analysis, inner)))
                    if not _emit(iter_step_log(run, step), tail):
                        click.echo(_NOTHING)
                    steps += 1
            if not steps:
                click.echo(f"(stage {stage.name!r} has no steps)", err=True)
            return
        summary = analysis.failures(log_lines=0)
        if not summary.failures:
            click.echo("No failing step: nothing to show." + "".join(" " + n for n in summary.notes), err=True)
            return
        for failure in summary.failures:
            extra = f": {failure.short_type}" + (f": {failure.message}" if failure.message else "")
            what = failure.function_name or failure.node.display_name
            click.echo(_header(failure.step, what, failure.id, failure.stage_path, extra))
            if not _emit(iter_step_log(run, failure.node), tail):
                click.echo(_NOTHING)


def _path(analysis: RunAnalysis, stage: StageNode) -> tuple[str, ...]:
    names = [stage.name]
    parent = stage.parent_id
    while parent is not None:
        above = analysis.stage(parent)
        names.append(above.name)
        parent = above.parent_id
    return tuple(reversed(names))
