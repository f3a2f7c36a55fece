"""``flowgraph info`` and ``flowgraph stages`` open with what failed (issue 13), through the entry point.

Read off the files by hand: the 482-node run's build.xml says SUCCESS while its flow end node
488 records ABORTED; its nodes are stamped in May 2020, before build.xml's startTime
(2020-06-03); node 230 (the end of retry 221) is the first node with an ErrorAction, a
FlowInterruptedException. danish #3: retry(3) of sh in stage 'Timeout', attempts 9, 12, 15.
"""

from __future__ import annotations

from test_cli_log import BIG, RETRIED, flowgraph


def test_info_of_the_482_node_run_names_the_first_failure_and_prints_no_none() -> None:
    done = flowgraph("info", str(BIG))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "None" not in out
    assert "First failure: Parallel / redacted \u203a retry (node 230) was aborted: FlowInterruptedException" in out
    assert "IOException: cannot start writing logs to a finished node StepAtomNode[id=432" in out
    assert "build.xml says the run's result is SUCCESS, but its flow end node 488 records ABORTED" in out
    assert "stamped before the run's start (2020-06-03 18:34:26 UTC)" in out
    assert "Head node ids  488" in out
    assert "1591209266442" not in out  # times as dates, never raw epoch ms
    assert out.index("What failed") < out.index("Flow nodes")


def test_stages_opens_with_the_failure_and_counts_the_caught_attempts() -> None:
    done = flowgraph("stages", str(RETRIED), "--steps")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "What failed (1):"
    expected = "  Failure: Timeout \u203a sh I am not going to work :c (node 15) failed: AbortException"
    assert lines[1].startswith(expected)
    assert "2 error(s) were caught (retry) and are not failures." in done.stdout
    assert "None" not in done.stdout
