"""What a walk over many runs could not read: one entry per damaged run, with its typed error.

A real ``JENKINS_HOME`` holds hundreds of runs written by many Jenkins versions, and some are
damaged (a truncated file, a hand-edited cycle, missing node files). Every multi-run path
(:func:`~flowgraph.jenkins.bulk_load.load_runs`, ``flowgraph import``, ``render.sources.open_runs``)
goes on past such a run and records it in a :class:`LoadReport`, so the caller can name each one
at the end (job and number, build directory, the error) and decide what the damage means:
``report.ok`` is False when anything was skipped (the CLI's ``--strict`` turns that into exit 1).

Examples
--------
>>> from pathlib import Path
>>> from flowgraph.errors import FormatError
>>> from flowgraph.jenkins.runs import RunRef
>>> report = LoadReport()
>>> report.loaded("app#1")
>>> report.failed(RunRef("app", 2, Path("jobs/app/builds/2")), FormatError("build.xml: truncated"))
>>> report.ok, report.read, [str(p) for p in report.problems]
(False, ['app#1'], ['app#2: FormatError: build.xml: truncated'])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from flowgraph.errors import FlowGraphError
from flowgraph.jenkins.runs import RunRef

__all__ = ["LoadProblem", "LoadReport"]


@dataclass(frozen=True)
class LoadProblem:
    """One run that could not be read: which (job, number, build directory) and the typed error."""

    job: str
    number: int
    build_dir: Path
    error: FlowGraphError

    @property
    def run(self) -> str:
        """``job#number``, as Jenkins names a build."""
        return f"{self.job}#{self.number}"

    def __str__(self) -> str:
        message = str(self.error)
        kind = type(self.error).__name__
        # errors from load_run already lead with "job#n (build dir): "; do not say the name twice
        if message.startswith(self.run):
            where, _, rest = message[len(self.run) :].partition(": ")
            return f"{self.run}{where}: {kind}: {rest}"
        return f"{self.run}: {kind}: {message}"


@dataclass
class LoadReport:
    """The runs a multi-run path read, and the damaged ones it went past (in the order met)."""

    read: list[str] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every run found was read."""
        return not self.problems

    def loaded(self, run: str) -> None:
        """Record a run (``job#number``) that was read."""
        self.read.append(run)

    def failed(self, ref: RunRef, error: FlowGraphError) -> LoadProblem:
        """Record a run that could not be read, with why."""
        problem = LoadProblem(ref.job, ref.number, ref.build_dir, error)
        self.problems.append(problem)
        return problem

    def summary(self) -> str:
        """One line: how many runs were read and how many were damaged."""
        text = f"{len(self.read)} run(s) read"
        if self.problems:
            text += f", {len(self.problems)} damaged: " + ", ".join(p.run for p in self.problems)
        return text
