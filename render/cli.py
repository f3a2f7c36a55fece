"""The ``flowgraph`` command: demo, info, stages, render and import, with rich output.

Every command has ``--help``. Exit codes: 0 success; 1 the input is wrong or damaged (the
message names the file/node and what to fix); 2 the command line is wrong (click's usage
errors); 3 something optional is missing on this machine (e.g. no Graphviz engine writes the
format asked for; the message says what to install). ``python -m render`` is the same command.

Examples
--------
>>> from click.testing import CliRunner
>>> result = CliRunner().invoke(main, ["--help"])
>>> result.exit_code, "demo" in result.output and "import" in result.output
(0, True)
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from flowgraph.errors import EngineNotFoundError, FlowGraphError
from render.style import STATES, format_offsets, humanize_ms, state_name

if TYPE_CHECKING:  # rich's renderables and the model load when a command runs: `--help` stays fast
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from flowgraph.run import Run

__all__ = ["main", "LazyGroup", "stage_table", "EXIT_INPUT", "EXIT_MISSING"]

EXIT_INPUT = 1
"""Exit code: the input (a run, a file, an option value) is wrong or damaged."""
EXIT_MISSING = 3
"""Exit code: an optional tool or package this command needs is not installed."""

_RICH_COLOURS = {
    "success": "green",
    "failure": "red",
    "unstable": "yellow",
    "running": "blue",
    "queued": "blue",
    "paused": "blue",
    "aborted": "bright_black",
    "not_built": "bright_black",
    "skipped": "bright_black",
    "unknown": "bright_black",
}

_SOURCE_HELP = (
    "SOURCE is a run: a flowgraph .json file, a Jenkins build directory (.../builds/<n>), "
    "a flowNodeStore.xml or workflow directory, or a SQL URL/.db file (add #<run id> when it holds several)."
)


def _console() -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


def _err() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def _escape(text: str) -> str:
    """Text shown verbatim inside rich markup (rich loads on first use, keeping ``--help`` fast)."""
    from rich.markup import escape

    return escape(text)


@contextmanager
def _errors() -> Iterator[None]:
    """Turn library errors into one-line messages and exit codes (no tracebacks for users)."""
    try:
        yield
    except EngineNotFoundError as exc:
        _err().print(f"[bold red]error:[/] {exc}")
        sys.exit(EXIT_MISSING)
    except FlowGraphError as exc:
        _err().print(f"[bold red]error:[/] {exc}")
        sys.exit(EXIT_INPUT)
    except ModuleNotFoundError as exc:
        _err().print(f"[bold red]error:[/] this command needs the Python package {exc.name!r}: pip install {exc.name}")
        sys.exit(EXIT_MISSING)


def _styled(state: str) -> Text:
    from rich.text import Text

    style = STATES[state]
    return Text(f"{style.glyph} {style.label}", style=_RICH_COLOURS[state])


def stage_table(run: Run, *, depth: int | None = None, steps: bool = False, title: str | None = None) -> Table:
    """The run's stage tree as a rich table: name (indented), type, state, start offset, duration."""
    from rich.table import Table
    from rich.text import Text

    from render.stage_graph import stage_state
    from scanners import analyze

    analysis = analyze(run)
    origin = analysis.timing.start_ms
    caption = None if analysis.stages else "(no stages: this run has no stage or parallel steps)"
    table = Table(title=title, title_justify="left", header_style="bold", caption=caption)
    table.add_column("Stage")
    table.add_column("Type", style="bright_black")
    table.add_column("State")
    table.add_column("Starts at", justify="right")
    table.add_column("Duration", justify="right")
    table.add_column("Paused", justify="right", style="bright_black")
    rows: list[list[str | Text]] = []
    offsets: list[int | None] = []  # one per row: the column is formatted at the end, in one format
    stack = [(s, 0) for s in reversed(analysis.stages)]
    while stack:
        stage, level = stack.pop()
        state = stage_state(stage)
        offsets.append(stage.start_ms - origin if stage.start_ms is not None and origin is not None else None)
        kind = {"STAGE": "stage", "PARALLEL_BRANCH": "branch", "PARALLEL_BLOCK": "parallel"}[stage.type.name]
        rows.append(
            [
                "  " * level + stage.name,
                kind,
                _styled(state),
                "",
                humanize_ms(stage.duration_ms),
                humanize_ms(stage.pause_ms) if stage.pause_ms else "",
            ]
        )
        if steps:
            for step in stage.steps:
                text = f"{step.function_name or step.name} {step.arguments or ''}".strip()
                if step.error:
                    text += f"  ({step.error})"
                offsets.append(None)
                rows.append(
                    [
                        Text("  " * (level + 1) + text, style="bright_black"),
                        "step",
                        _styled(state_name(step.status)),
                        "",
                        humanize_ms(step.duration_ms),
                        "",
                    ]
                )
        if depth is None or level < depth:
            stack.extend((child, level + 1) for child in reversed(stage.children))
    for row, offset in zip(rows, format_offsets(offsets), strict=True):
        row[3] = offset
        table.add_row(*row)
    return table


def _label(run: Run, fallback: str) -> str:
    if run.name is not None:
        return f"{run.name} #{run.number}" if run.number is not None else run.name
    return fallback


def _open(source: str) -> Run:
    from render.sources import open_run

    return open_run(source)


# -- the command group ---------------------------------------------------------------------


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("flowgraph")
    except PackageNotFoundError:
        return "0.1.0 (from a source tree)"


def _print_version(ctx: click.Context) -> None:
    """``--version``: the installed version, looked up only when asked (importlib.metadata is slow)."""
    click.echo(f"flowgraph {_version()}")
    ctx.exit()


class LazyGroup(click.Group):
    """A command group whose commands in other modules are imported only when used.

    ``lazy_commands`` maps a command name to ``(module, attribute, short help)``: ``flowgraph
    --help`` lists the short help without importing the module (pandas, networkx, matplotlib
    stay unloaded); running the command, or asking for its own help, imports it.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands: dict[str, tuple[str, str, str]] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            import importlib

            module, attribute, _ = self.lazy_commands[cmd_name]
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        limit = formatter.width - 6 - max((len(name) for name in self.list_commands(ctx)), default=0)
        rows: list[tuple[str, str]] = []
        for name in self.list_commands(ctx):
            command = self.commands.get(name)
            if command is None:
                rows.append((name, self.lazy_commands[name][2]))
            elif not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Exit codes: 0 ok, 1 bad or damaged input, 2 bad command line, 3 missing optional tool.",
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=lambda ctx, _param, value: _print_version(ctx) if value else None,
    help="Show the version and exit.",
)
def main() -> None:
    """Inspect and draw Jenkins Pipeline flow graphs offline: from build directories, JSON or SQL."""


@main.command()
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("flowgraph-demo"),
    show_default=True,
    help="Directory for the saved run and the pictures.",
)
@click.option("--engine", type=click.Choice(["dot", "wasm", "cairo", "pure"]), help="Force a Graphviz engine.")
def demo(out: Path, engine: str | None) -> None:
    """Build the bundled example pipeline, save it, print its stages and draw it.

    Writes into OUT: a mini JENKINS_HOME with the run in Jenkins' own XML format
    (jenkins/jobs/example/jobs/pipeline/builds/1), the same run as run.json, and
    stages.svg, graph.svg, run.html, timeline.png and stage-view.html (20 builds).
    Needs no system Graphviz.
    """
    from flowgraph.jenkins.runs import save_run
    from render.dot import to_svg
    from render.example import example_run, example_runs
    from render.html import to_html
    from render.networkx_io import save_run_json
    from render.stage_graph import stage_graph_svg
    from render.stage_view import stage_view_html
    from render.timeline import timeline

    console = _console()
    with _errors():
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise click.ClickException(f"cannot create {out}: {exc.strerror or exc}") from exc
        run = example_run()
        build_dir = out / "jenkins" / "jobs" / "example" / "jobs" / "pipeline" / "builds" / "1"
        build_dir.mkdir(parents=True, exist_ok=True)
        save_run(run, build_dir)
        save_run_json(run, out / "run.json")
        console.print(f"Built the example pipeline: [bold]{_label(run, 'example')}[/], {len(run.graph)} flow nodes")
        console.print(f"Saved it as a Jenkins build directory: {build_dir}")
        console.print(stage_table(run, title="Stages"))
        written = {
            "stages.svg": stage_graph_svg(run, engine=engine),
            "graph.svg": to_svg(run, engine=engine, hide_bodies=True),
            "run.html": to_html(run, engine=engine),
            "stage-view.html": stage_view_html(example_runs(20), title="example/pipeline: last 20 builds"),
        }
        for name, text in written.items():
            (out / name).write_text(text, encoding="utf-8")
        timeline(run).savefig(out / "timeline.png", dpi=110)
        console.print("Wrote " + ", ".join(str(out / n) for n in (*written, "timeline.png")))
        console.print(f"Next: [bold]flowgraph stages {build_dir}[/] or open [bold]{out / 'run.html'}[/] in a browser.")


@main.command(help="Summarise one run: result, timing, size, heads, stages and failing steps.\n\n" + _SOURCE_HELP)
@click.argument("source")
def info(source: str) -> None:
    from rich.table import Table

    from render.blocks import BlockTree
    from scanners import analyze

    console = _console()
    with _errors():
        run = _open(source)
        analysis = analyze(run)
        state = state_name(analysis.status)
        timing = analysis.timing
        tree = BlockTree(run.graph)
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        table.add_row("Run", _label(run, source))
        table.add_row("State", _styled(state))
        table.add_row("Result", run.result.name if run.result is not None else "(none: still running)")
        from scanners.run_checks import format_time_ms

        if timing.start_ms is not None:
            table.add_row("Started", format_time_ms(timing.start_ms))
        table.add_row("Duration", humanize_ms(timing.total_ms) or "unknown")
        table.add_row("Flow nodes", str(len(run.graph)))
        table.add_row("Blocks", f"{len(tree.blocks)} (nested {tree.max_depth} deep)")
        table.add_row("Head node ids", ", ".join(run.graph.head_ids) or "(none)")
        stages = list(analysis.iter_stages())
        table.add_row("Stages", f"{len(analysis.stages)} top-level, {len(stages)} with branches and nested")
        from render.what_failed import failure_renderable

        console.print(failure_renderable(analysis))
        console.print(table)


@main.command(help="Print the stage tree of a run as a table, with states and durations.\n\n" + _SOURCE_HELP)
@click.argument("source")
@click.option("--depth", type=click.IntRange(min=0), help="Show nested stages down to this depth (0 = top level).")
@click.option("--steps", is_flag=True, help="List each stage's steps under it.")
def stages(source: str, depth: int | None, steps: bool) -> None:
    with _errors():
        run = _open(source)
        from render.what_failed import failure_renderable
        from scanners import analyze

        console = _console()
        console.print(failure_renderable(analyze(run), brief=True))
        console.print(stage_table(run, depth=depth, steps=steps, title=_label(run, source)))


_FORMATS = {
    "graph": ("svg", "png", "pdf", "dot", "html"),
    "stages": ("svg", "png", "pdf", "dot", "html"),
    "stage-view": ("svg", "html", "png", "pdf"),
    "timeline": ("png", "svg", "pdf"),
}


@main.command(
    help="Draw a run (or, for --view stage-view, many runs) as SVG, PNG, DOT or HTML.\n\n"
    + _SOURCE_HELP
    + " For --view stage-view, give several SOURCEs or a job / JENKINS_HOME directory."
)
@click.argument("sources", nargs=-1, required=True)
@click.option(
    "--view",
    type=click.Choice(list(_FORMATS)),
    default="graph",
    show_default=True,
    help="graph: every flow node; stages: the stage graph; stage-view: stages x runs grid; timeline: Gantt chart.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["svg", "png", "pdf", "dot", "html"]),
    help="Output format (default: from -o, else svg).",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Output file (default: stdout).")
@click.option("--collapse-depth", type=click.IntRange(min=0), help="graph: draw blocks deeper than this as one box.")
@click.option(
    "--hide-bodies/--show-bodies",
    default=True,
    show_default=True,
    help="graph: leave out (or draw) the inner body blocks of block steps, as the demo does.",
)
@click.option("--root", help="graph: draw only the block starting at this node id.")
@click.option(
    "--max-nodes",
    type=click.IntRange(min=10),
    default=400,
    show_default=True,
    help="graph: collapse automatically above this many drawn nodes.",
)
@click.option("--engine", type=click.Choice(["dot", "wasm", "cairo", "pure"]), help="Force a Graphviz engine.")
def render(
    sources: Sequence[str],
    view: str,
    fmt: str | None,
    output: Path | None,
    collapse_depth: int | None,
    hide_bodies: bool,
    root: str | None,
    max_nodes: int,
    engine: str | None,
) -> None:
    if fmt is None:
        suffix = output.suffix.lstrip(".").lower() if output is not None else ""
        fmt = suffix if suffix in ("svg", "png", "pdf", "dot", "html") else "svg"
    if fmt not in _FORMATS[view]:
        raise click.BadParameter(
            f"--view {view} can be written as {', '.join(_FORMATS[view])}, not {fmt}", param_hint="--format"
        )
    if fmt in ("png", "pdf") and output is None:
        raise click.BadParameter(f"{fmt.upper()} is binary: give an output file with -o", param_hint="--output")
    if view != "stage-view" and len(sources) > 1:
        raise click.BadParameter(f"--view {view} draws one run; got {len(sources)} sources", param_hint="SOURCES")
    with _errors():
        data = _render(sources, view, fmt, collapse_depth, hide_bodies, root, max_nodes, engine)
        if output is None:
            click.echo(data.decode("utf-8") if isinstance(data, bytes) else data, nl=False)
        else:
            try:
                output.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
            except OSError as exc:
                raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}") from exc
            _err().print(f"wrote {output}")


def _render(
    sources: Sequence[str],
    view: str,
    fmt: str,
    collapse_depth: int | None,
    hide_bodies: bool,
    root: str | None,
    max_nodes: int,
    engine: str | None,
) -> str | bytes:
    from render.engine import render_dot

    if view == "stage-view":
        from flowgraph.jenkins.load_report import LoadReport
        from render.sources import open_runs
        from render.stage_view import StageGrid, stage_view_html, stage_view_svg

        damage = LoadReport()
        runs: list[Run] = [run for source in sources for run in open_runs(source, report=damage)]
        for problem in damage.problems:  # drawn without the damaged runs, each named here
            _err().print(f"[bold yellow]skipped:[/] {_escape(str(problem))}", soft_wrap=True)
        if damage.problems and not runs:
            raise damage.problems[0].error
        runs.sort(key=lambda r: (r.name or "", r.number or 0))
        grid = StageGrid(runs)
        if fmt in ("png", "pdf"):
            from render.engine import convert_svg

            return convert_svg(stage_view_svg(grid), fmt)
        return stage_view_svg(grid) if fmt == "svg" else stage_view_html(grid)
    run = _open(sources[0])
    if view == "timeline":
        import io

        from render.timeline import timeline

        buffer = io.BytesIO()
        timeline(run).savefig(buffer, format=fmt, dpi=110, metadata={"Date": None} if fmt == "svg" else None)
        return buffer.getvalue()
    if view == "stages":
        from render.stage_graph import stage_graph_dot

        if fmt == "html":
            from render.html import svg_fragment

            svg = render_dot(stage_graph_dot(run).source, "svg", engine=engine).decode("utf-8")
            return _page(_label(run, sources[0]), svg_fragment(svg))
        dot = stage_graph_dot(run, title=_label(run, sources[0])).source
    else:
        options: dict[str, Any] = {
            "collapse_depth": collapse_depth,
            "hide_bodies": hide_bodies,
            "root": root,
            "max_nodes": max_nodes,
        }
        if fmt == "html":
            from render.html import to_html

            if root is not None:
                raise click.BadParameter("--root is not available with HTML output", param_hint="--root")
            return to_html(
                run, collapse_depth=collapse_depth, hide_bodies=hide_bodies, max_nodes=max_nodes, engine=engine
            )
        from render.dot import to_dot

        dot = to_dot(run, **options).source
    if fmt == "dot":
        return str(dot)
    return render_dot(dot, fmt, engine=engine)


def _page(title: str, body: str) -> str:
    import html

    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>\n"
    )


@main.command(name="import")
@click.argument("source")
@click.argument("target")
@click.option("--strict", is_flag=True, help="Exit 1 when any run could not be read (damage is reported either way).")
def import_(source: str, target: str, strict: bool) -> None:
    """Copy runs from SOURCE (a build directory, a job directory or a whole JENKINS_HOME) into TARGET.

    \b
    TARGET is a SQL database (sqlite:///runs.db, postgresql://user@host/db, or a .db/.sqlite
    file; each run becomes execution '<job>#<number>') or a directory, written in Jenkins' own
    XML format (jobs/<job>/builds/<n>). A damaged run is skipped and named at the end (job#number,
    build directory, error); the exit code is 0 when every run that could be read was imported,
    1 when none could be, or with --strict when any could not.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from render.sources import import_runs

    console = _err()
    with _errors():
        progress = Progress(
            TextColumn("[bold]importing[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[name]}"),
            console=console,
            transient=False,
        )
        with progress:
            task = progress.add_task("import", total=None, name="")

            def advance(done: int, total: int, name: str) -> None:
                progress.update(task, completed=done, total=total, name=name)

            report = import_runs(source, target, progress=advance)
        _console().print(
            f"Imported {len(report.imported)} run(s), {report.nodes} flow nodes, into {target}"
            + (f"; {len(report.failed)} failed" if report.failed else "")
        )
        named = {p.run for p in report.problems}
        for problem in report.problems:
            console.print(f"[bold red]damaged:[/] {_escape(str(problem))}", soft_wrap=True)
        for name, message in report.failed:
            if name not in named:
                console.print(f"[bold red]failed:[/] {_escape(name)}: {_escape(message)}", soft_wrap=True)
        if report.failed and (strict or not report.imported):
            sys.exit(EXIT_INPUT)


# Commands that live in their own modules (registered here; they import this module's public names).
command_errors = _errors
"""For command modules: library errors become one-line messages and this CLI's exit codes."""

main.lazy_commands.update(
    {  # name: (module, attribute, one-line help shown by `flowgraph --help` without importing it)
        "diff": ("render.cli_diff", "diff_command", "Show what changed from run RUN_A to run RUN_B."),
        "history": ("render.cli_history", "history", "Build and query a warehouse of many runs' history."),
        "export": ("render.cli_export", "export", "Export runs to other tools' formats."),
        "log": ("render.cli_log", "log", "Print the console output of a run, a step, a stage or the failed steps."),
    }
)
