"""The bundled example pipeline, and a family of its runs for analyses over many builds.

:func:`example_run` builds (with :class:`flowgraph.GraphBuilder`, node for node as Jenkins would
record it) a typical CI pipeline: checkout, a build on an agent, tests in three parallel
branches (one flaky, caught as unstable; one retried after a failure), packaging, and a deploy
stage that is skipped. It is what ``flowgraph demo`` shows, and what the notebooks and the
benchmark draw. :func:`example_runs` makes a reproducible history of such builds with varying
durations and occasional failures, for stage views and "slowest stage" analyses.

The pipeline, as a Jenkinsfile would say it::

    stage('Checkout') { checkout scm }
    stage('Build') { node('linux') { sh 'make -j4'; archiveArtifacts 'dist/*' } }
    stage('Test') {
        parallel unit: { sh 'pytest -q tests/unit' },
                 integration: { retry(2) { sh './run-integration.sh' } },
                 lint: { catchError(buildResult: 'UNSTABLE', stageResult: 'UNSTABLE') { sh 'ruff check .' } }
    }
    stage('Package') { sh 'python -m build'; junit 'reports/*.xml' }
    stage('Deploy') { when { branch 'main' } ... }   // skipped on this branch

Examples
--------
>>> run = example_run()
>>> run.result.name, run.name, run.number, len(run.graph)
('UNSTABLE', 'example/pipeline', 1, 53)
>>> [len(example_runs(5, seed=1)), example_runs(3, seed=1)[2].number]
[5, 3]
"""

from __future__ import annotations

import random

from flowgraph.builder import GraphBuilder
from flowgraph.result import Result
from flowgraph.run import Run

__all__ = ["example_run", "example_runs", "EXAMPLE_START_MS"]

EXAMPLE_START_MS = 1_700_000_000_000
"""When the example run starts (2023-11-14 22:13:20 UTC), so every rendering is reproducible."""


def example_run(
    *,
    start_ms: int = EXAMPLE_START_MS,
    number: int = 1,
    scale: float = 1.0,
    fail_unit: bool = False,
    lint_unstable: bool = True,
    integration_attempts: int = 2,
) -> Run:
    """The example pipeline's run (see the module docstring); knobs vary it for :func:`example_runs`.

    ``scale`` stretches every duration; ``fail_unit`` makes the unit tests fail (the run fails);
    ``lint_unstable`` lets the lint branch find problems (the run is unstable);
    ``integration_attempts`` is how many tries the retried integration tests need (1 or 2).
    """

    def ms(seconds: float) -> int:
        return max(1, int(seconds * 1000 * scale))

    b = GraphBuilder(start_ms=start_ms, step_ms=ms(0.2))
    with b.stage("Checkout"):
        b.step("checkout", duration_ms=ms(4), scm="git https://example.invalid/app.git")
    with b.stage("Build"), b.node("linux", agent="agent-7", workspace="/var/lib/jenkins/workspace/app"):
        b.step("sh", duration_ms=ms(62), script="make -j4")
        b.step("archiveArtifacts", duration_ms=ms(1.5), artifacts="dist/*")
    with b.stage("Test"), b.parallel("unit", "integration", "lint") as par:
        # Branches run at the same time: each starts at the fork (the builder's clock is put back),
        # and the parallel ends when the slowest branch does.
        fork = b.clock()
        ends = []
        with par.branch("unit"):
            if fail_unit:
                b.step("sh", duration_ms=ms(38), script="pytest -q tests/unit", error="script returned exit code 1")
            else:
                b.step("sh", duration_ms=ms(41), script="pytest -q tests/unit")
        ends.append(b.clock())
        b.clock.ms = fork + 3
        with par.branch("integration"), b.retry(2) as retry:
            for attempt in range(integration_attempts):
                with retry.attempt():
                    if attempt + 1 < integration_attempts:
                        b.step("sh", duration_ms=ms(12), script="./run-integration.sh", error="exit code 2")
                    else:
                        b.step("sh", duration_ms=ms(55), script="./run-integration.sh")
        ends.append(b.clock())
        b.clock.ms = fork + 5
        with par.branch("lint"), b.catch_error(build_result=Result.UNSTABLE, stage_result=Result.UNSTABLE):
            if lint_unstable:
                b.step("sh", duration_ms=ms(9), script="ruff check .", error="script returned exit code 1")
            else:
                b.step("sh", duration_ms=ms(9), script="ruff check .")
        ends.append(b.clock())
        b.clock.ms = max(ends)
    if not fail_unit:
        with b.stage("Package"):
            b.step("sh", duration_ms=ms(17), script="python -m build")
            b.step("junit", duration_ms=ms(2), testResults="reports/*.xml")
        with b.stage("Deploy", skipped="SKIPPED_FOR_CONDITIONAL"):
            pass
    run = b.build()
    run.name = "example/pipeline"
    run.number = number
    return run


def example_runs(count: int = 20, *, seed: int = 7, start_ms: int = EXAMPLE_START_MS) -> list[Run]:
    """``count`` builds of the example pipeline, oldest first, one a day, reproducible for a ``seed``.

    Durations vary by up to ±35 %; about one build in eight fails its unit tests, one in three
    needs a second integration attempt, and lint finds problems in about one in four.
    """
    rng = random.Random(seed)
    runs = []
    for index in range(count):
        runs.append(
            example_run(
                start_ms=start_ms + index * 86_400_000,
                number=index + 1,
                scale=rng.uniform(0.65, 1.35),
                fail_unit=rng.random() < 0.125,
                lint_unstable=rng.random() < 0.25,
                integration_attempts=2 if rng.random() < 0.33 else 1,
            )
        )
    return runs
