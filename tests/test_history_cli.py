"""``flowgraph history build / report / sql`` on a JENKINS_HOME in Jenkins' file format."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from render.cli import main
from tests.history_homes import write_home

pytest.importorskip("duckdb", reason="run history needs the history extra")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = write_home(tmp_path_factory.mktemp("home"))
    store = tmp_path_factory.mktemp("wh")
    result = CliRunner().invoke(main, ["history", "build", str(home), str(store)])
    assert result.exit_code == 0, result.output
    assert "37 imported, 0 unchanged, 1 failed" in result.output
    assert "team/app#31: FormatError" in result.output  # the damaged run is named
    again = CliRunner().invoke(main, ["history", "build", str(home), str(store)])
    assert "0 imported, 38 unchanged, 0 failed" in again.output
    return store


def test_report_tables(warehouse: Path) -> None:
    result = CliRunner().invoke(main, ["history", "report", str(warehouse), "--top", "2"], terminal_width=200)
    assert result.exit_code == 0, result.output
    for title in ("failure rates", "slowest", "regressions", "flaky", "failure signatures"):
        assert title in result.output
    assert "2 of 8 rows" in result.output and "Check" in result.output


def test_report_json_for_one_job(warehouse: Path) -> None:
    result = CliRunner().invoke(main, ["history", "report", str(warehouse), "--job", "team/app", "--json"])
    assert result.exit_code == 0, result.output
    answers = json.loads(result.output)
    unit = next(r for r in answers["failure_rates"] if r["path"] == "Test / unit")
    assert (unit["runs"], unit["failures"], unit["rate"]) == (30, 3, 0.1)
    assert answers["regressions"][0]["first_slow_number"] == 15
    assert {r["job"] for r in answers["slowest"]} == {"team/app"}
    assert [r["count"] for r in answers["failure_signatures"]] == [3, 2]


def test_report_csv_and_step_level(warehouse: Path, tmp_path: Path) -> None:
    args = ["history", "report", str(warehouse), "--level", "step", "--last", "10", "--csv", str(tmp_path)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "failure_rates.csv", "failure_signatures.csv", "flaky.csv", "regressions.csv", "slowest.csv",
    ]  # fmt: skip
    slowest = pd.read_csv(tmp_path / "slowest.csv").set_index("path")
    # deploy.sh over team/app's last 10 runs (21-30): 10 s each; durations are seconds in CSV.
    assert slowest.loc["Deploy / sh deploy.sh", ["runs", "median", "max"]].tolist() == [10, 10.0, 10.0]


def test_sql(warehouse: Path) -> None:
    query = "select job, count(*) as n from runs group by job order by job"
    result = CliRunner().invoke(main, ["history", "sql", str(warehouse), query, "--csv"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["job,n", "svc,7", "team/app,30"]
    bad = CliRunner().invoke(main, ["history", "sql", str(warehouse), "select nope from runs"])
    assert bad.exit_code == 1 and "nope" in bad.output


def test_not_a_warehouse(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["history", "report", str(tmp_path)], env={"COLUMNS": "300"})
    assert result.exit_code == 1 and "not a run-history warehouse" in result.output
    both = CliRunner().invoke(main, ["history", "build", str(tmp_path), str(tmp_path / "w"), "--workers", "2",
                                     "--scheduler", "tcp://127.0.0.1:1"])  # fmt: skip
    assert both.exit_code == 2
