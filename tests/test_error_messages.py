"""Error messages say what is wrong, and only that (issue 11, defect 8)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from flowgraph import FormatError, GraphBuilder, NotRecognizedError, StorageError, load
from flowgraph.jenkins.runs import save_run
from render.cli import EXIT_INPUT, main
from render.sources import open_run


@pytest.fixture
def build(tmp_path: Path) -> Path:
    b = GraphBuilder(start_ms=0)
    b.step("echo", message="x")
    target = tmp_path / "build"
    save_run(b.build(), target)
    return target


def test_a_damaged_but_recognised_run_is_not_told_what_a_run_is(build: Path) -> None:
    (build / "workflow" / "3.xml").write_bytes(b"<Tag><node>")
    with pytest.raises(FormatError) as caught:
        open_run(str(build)).graph.validate()
    assert "3.xml" in str(caught.value)
    assert "Expected a run" not in str(caught.value)
    (build / "build.xml").write_bytes(b"<flow-build><oops")
    with pytest.raises(FormatError) as caught:
        open_run(str(build))
    assert "build.xml" in str(caught.value) and "Expected a run" not in str(caught.value)


def test_a_place_with_no_run_lists_what_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(NotRecognizedError, match=r"Expected a run: a flowgraph \.json file"):
        open_run(str(tmp_path / "notes.txt"))
    with pytest.raises(NotRecognizedError, match="no such file or directory"):
        open_run(str(tmp_path / "missing"))


def test_a_build_xml_that_is_a_directory_is_called_that(build: Path) -> None:
    (build / "build.xml").unlink()
    (build / "build.xml").mkdir()
    with pytest.raises(FormatError, match=r"build\.xml: is a directory, not a regular file") as caught:
        load(build)
    assert "cannot read node" not in str(caught.value)


def test_sql_errors_are_the_driver_s_words_without_sql_or_web_links(tmp_path: Path) -> None:
    garbage = tmp_path / "runs.db"
    garbage.write_bytes(b"this is not a database, not even close" * 100)
    with pytest.raises(StorageError) as caught:
        load(f"sqlite:///{garbage}#r1")
    message = str(caught.value)
    assert "file is not a database" in message
    assert "sqlalche.me" not in message and "[SQL:" not in message and "Background on this error" not in message


@pytest.mark.parametrize(("target", "kind"), [("/dev/null", "character device"), ("/dev/zero", "character device")])
def test_info_on_a_special_file_says_what_it_is(target: str, kind: str) -> None:
    result = CliRunner().invoke(main, ["info", target])
    assert result.exit_code == EXIT_INPUT
    assert kind in result.output
    assert "no such file" not in result.output
