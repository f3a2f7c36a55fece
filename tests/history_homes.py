"""JENKINS_HOMEs written in Jenkins' own file format, with known truths for the run-history tests.

:func:`write_home` writes two jobs (every number below is by construction, see the comments):

``team/app`` (a job in folder ``team``), builds 1-30, plus build 31 which is damaged::

    stage('Build')  { sh 'make' }                  // 60-62 s before #15, 120-122 s from #15 on
    stage('Test')   { parallel unit:  { sh 'pytest tests/unit' },        // fails in #5, #12, #20
                               lint:  { sh 'ruff check .' },             // 20-39 s, noisy, stable
                               integration: { retry(2) { sh './it.sh' } } }  // 1st try fails in #3, #7
    stage('Deploy') { sh 'deploy.sh' }             // 10 s, 30 s in #16-#18 (a short spike); not
                                                   // reached when Test failed

``svc`` (top level), builds 1-7, each with an SCM revision in ``build.xml`` except #6 and #7::

    retry(2) { stage('Smoke') { sh 'smoke' } }     // the first attempt fails in #2
    stage('Check') { sh 'check' }                  // fails in #4 (revision abc) and #6 (no revision);
                                                   // #5 passes at revision abc too
"""

from __future__ import annotations

from pathlib import Path

from flowgraph import GraphBuilder
from flowgraph.jenkins import save_run

__all__ = [
    "write_home",
    "write_app_run",
    "write_svc_run",
    "set_revision",
    "APP_UNIT_FAILURES",
    "APP_IT_RETRIES",
    "SVC_REVISIONS",
    "DAY_MS",
]

DAY_MS = 86_400_000
BASE_MS = 1_700_000_000_000
APP_UNIT_FAILURES = {5: 3, 12: 7, 20: 12}  # build -> failures in the unit-test message
APP_IT_RETRIES = {
    3: "connection reset by 10.0.0.5:8080 after 1500ms",
    7: "connection reset by 10.0.0.9:8080 after 900ms",
}
SVC_REVISIONS = {1: "r1", 2: "r2", 3: "r3", 4: "abc1234", 5: "abc1234", 6: None, 7: None}
SVC_CHECK_FAILURES = {4: "error: 2 files would be reformatted", 6: "error: 5 files would be reformatted"}


def set_revision(build_dir: Path, revision: str | None, *, cause: str = "hudson.model.Cause_-UserIdCause") -> None:
    """Put a git ``BuildData`` (as the git plugin writes it) and a ``CauseAction`` into ``build.xml``."""
    path = build_dir / "build.xml"
    text = path.read_text()
    data = ""
    if revision is not None:
        data = (
            '<hudson.plugins.git.util.BuildData plugin="git@5.2.0"><buildsByBranchName><entry>'
            "<string>refs/remotes/origin/main</string><hudson.plugins.git.util.Build><marked>"
            f"<sha1>{revision}</sha1></marked><revision><SHA1>{revision}</SHA1></revision>"
            "<hudsonBuildNumber>1</hudsonBuildNumber></hudson.plugins.git.util.Build></entry></buildsByBranchName>"
            '<lastBuiltRevision reference="../buildsByBranchName/entry/hudson.plugins.git.util.Build/revision"/>'
            "<remoteUrls><string>https://git.example/svc.git</string></remoteUrls>"
            "</hudson.plugins.git.util.BuildData>"
        )
    actions = (
        f'<actions><hudson.model.CauseAction><causeBag class="linked-hash-map"><entry><{cause}><userId>bob</userId>'
        f"</{cause}><int>1</int></entry></causeBag></hudson.model.CauseAction>{data}</actions>"
    )
    path.write_text(text.replace("<actions/>", actions, 1))


def write_app_run(home: Path, n: int) -> None:
    """Build ``n`` of ``team/app`` (see the module docstring)."""
    b = GraphBuilder(start_ms=BASE_MS + n * DAY_MS)
    with b.stage("Build"):
        b.step("sh", script="make", duration_ms=(60_000 if n < 15 else 120_000) + (n % 3) * 1000)
    with b.stage("Test"), b.parallel("unit", "lint", "integration") as par:
        with par.branch("unit"):
            failures = APP_UNIT_FAILURES.get(n)
            error = f"{failures} failures in 41 tests" if failures else None
            b.step("sh", script="pytest tests/unit", duration_ms=30_000, error=error)
        with par.branch("lint"):
            b.step("sh", script="ruff check .", duration_ms=20_000 + ((n * 7919) % 20) * 1000)
        with par.branch("integration"), b.retry(2) as retry:
            if n in APP_IT_RETRIES:
                with retry.attempt():
                    b.step("sh", script="./it.sh", duration_ms=5_000, error=APP_IT_RETRIES[n])
            with retry.attempt():
                b.step("sh", script="./it.sh", duration_ms=5_000)
    if n not in APP_UNIT_FAILURES:
        with b.stage("Deploy"):
            b.step("sh", script="deploy.sh", duration_ms=30_000 if n in (16, 17, 18) else 10_000)
    save_run(b.build(), home / "jobs" / "team" / "jobs" / "app" / "builds" / str(n))


def write_svc_run(home: Path, n: int) -> None:
    """Build ``n`` of ``svc`` (see the module docstring)."""
    b = GraphBuilder(start_ms=BASE_MS + n * DAY_MS + 3_600_000)
    with b.retry(2) as retry:
        if n == 2:
            with retry.attempt(), b.stage("Smoke"):
                b.step("sh", script="smoke", duration_ms=2_000, error="smoke test timed out after 30s")
        with retry.attempt(), b.stage("Smoke"):
            b.step("sh", script="smoke", duration_ms=2_000)
    with b.stage("Check"):
        b.step("sh", script="check", duration_ms=4_000, error=SVC_CHECK_FAILURES.get(n))
    build_dir = home / "jobs" / "svc" / "builds" / str(n)
    save_run(b.build(), build_dir)
    set_revision(build_dir, SVC_REVISIONS[n])


def write_home(home: Path) -> Path:
    """Write the whole home (38 builds, one of them damaged); returns ``home``."""
    for n in range(1, 31):
        write_app_run(home, n)
    for n in range(1, 8):
        write_svc_run(home, n)
    write_app_run(home, 31)
    damaged = home / "jobs" / "team" / "jobs" / "app" / "builds" / "31" / "workflow" / "5.xml"
    damaged.write_text("<?xml version='1.1' encoding='UTF-8'?>\n<Tag plugin='workflow-support@1.0'><node")
    return home
