"""File type and size are checked before reading, reads are bounded (issue 11, defect 4).

A node file, ``build.xml``, bulk store, log or ``.json`` run that is ``/dev/zero``, a FIFO, a
directory or a huge sparse file must give a typed error at once: never a hang, never a
``MemoryError``. A document of many tiny elements is refused before libxml2 builds them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from flowgraph import FlowGraphError, FormatError, GraphBuilder, load
from flowgraph.codec import xstream
from flowgraph.jenkins.build_xml import read_build_xml
from flowgraph.jenkins.logs import log_text
from flowgraph.jenkins.runs import iter_runs, save_run
from flowgraph.storage import BulkXmlNodeStorage, XmlDirNodeStorage
from flowgraph.storage.files import MAX_FILE_BYTES, read_file
from render.networkx_io import load_run_json, save_run_json

HUGE = 3 * 1024**3  # sparse: costs no disk, but reading it whole would take 3 GB


def make_bad(kind: str, path: Path) -> None:
    """Put something that is not a small regular file at ``path``."""
    if path.exists() or path.is_symlink():
        if path.is_dir():
            path.rmdir()
        else:
            path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "huge":
        with open(path, "wb") as handle:
            handle.truncate(HUGE)
    elif kind == "directory":
        path.mkdir()
    else:  # pragma: no cover
        raise AssertionError(kind)


KINDS = ["fifo", "dev-zero", "huge", "directory"]
WHY = {"fifo": "FIFO", "dev-zero": "character device", "huge": "larger than", "directory": "directory"}


@pytest.fixture
def build(tmp_path: Path) -> Path:
    b = GraphBuilder(start_ms=0)
    b.step("echo", message="hi")
    target = tmp_path / "jobs" / "j" / "builds" / "1"
    save_run(b.build(), target)
    return target


@pytest.mark.timeout(20)
@pytest.mark.parametrize("kind", KINDS)
def test_a_bad_node_file_is_refused_before_reading(build: Path, kind: str) -> None:
    make_bad(kind, build / "workflow" / "3.xml")
    storage = XmlDirNodeStorage(build / "workflow")
    if kind == "directory":  # not listed as a node at all, so it is missing: a typed error too
        with pytest.raises(FlowGraphError):
            load(build)
        return
    with pytest.raises(FormatError, match=WHY[kind]):
        storage.get_node("3")
    with pytest.raises(FormatError, match=WHY[kind]):
        load(build)


@pytest.mark.timeout(20)
@pytest.mark.parametrize("kind", KINDS)
def test_a_bad_build_xml_is_refused_before_reading(build: Path, kind: str) -> None:
    make_bad(kind, build / "build.xml")
    with pytest.raises(FormatError, match=WHY[kind]):
        read_build_xml(build / "build.xml")
    (ref,) = iter_runs(build.parents[2])  # a home walk lists it (without reading it: no hang) ...
    with pytest.raises(FormatError, match=WHY[kind]):
        ref.load()  # ... and loading it reports what it is


@pytest.mark.timeout(20)
@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "huge"])
def test_a_bad_bulk_store_or_json_run_is_refused_before_reading(tmp_path: Path, kind: str) -> None:
    bulk = tmp_path / "flowNodeStore.xml"
    make_bad(kind, bulk)
    with pytest.raises(FormatError, match=WHY[kind]):
        BulkXmlNodeStorage(bulk).node_ids()
    run_json = tmp_path / "run.json"
    make_bad(kind, run_json)
    with pytest.raises(FormatError, match=WHY[kind]):
        load_run_json(run_json)


@pytest.mark.timeout(20)
@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
@pytest.mark.parametrize("name", ["log-index", "log"])
def test_a_bad_log_is_refused_not_streamed_forever(build: Path, kind: str, name: str) -> None:
    run = load(build)
    (build / "log").write_bytes(b"hello\n")
    (build / "log-index").write_bytes(b"0 3\n")
    make_bad(kind, build / name)
    with pytest.raises(FormatError, match=WHY[kind]):
        log_text(run, "3")
    if name == "log":  # the whole log reads "log" only
        with pytest.raises(FormatError, match=WHY[kind]):
            log_text(run)


@pytest.mark.timeout(20)
@pytest.mark.parametrize("target", ["/dev/null", "/dev/zero", "fifo"])
def test_load_names_what_a_special_file_is_instead_of_calling_it_missing(tmp_path: Path, target: str) -> None:
    if target == "fifo":
        target = str(tmp_path / "fifo")
        os.mkfifo(target)
    with pytest.raises(FormatError, match="not a regular file") as caught:
        load(target)
    assert "no such file" not in str(caught.value)


def test_read_file_stops_at_the_limit(tmp_path: Path) -> None:
    name = tmp_path / "a"
    name.write_bytes(b"x" * 5000)
    assert read_file(str(name), limit=5000) == b"x" * 5000
    with pytest.raises(FormatError, match="5000 bytes is larger than the 4999-byte limit"):
        read_file(str(name), limit=4999)
    assert MAX_FILE_BYTES >= xstream.MAX_XML_BYTES  # every document the parser takes can be read


TINY = b"<a/>"


@pytest.mark.parametrize(
    "parse",
    [
        lambda path: XmlDirNodeStorage(path.parent).get_node("3"),
        lambda path: BulkXmlNodeStorage(path).node_ids(),
        lambda path: read_build_xml(path),
    ],
    ids=["node-file", "bulk-store", "build.xml"],
)
def test_a_file_of_many_tiny_elements_is_refused_before_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parse: Callable[[Path], object]
) -> None:
    monkeypatch.setattr(xstream, "MAX_XML_TAGS", 1000)
    path = tmp_path / "3.xml"
    path.write_bytes(b"<Tag>" + TINY * 1000 + b"</Tag>")  # 1002 tags: just over the limit
    with pytest.raises(FormatError, match="more than 1000 tags"):
        parse(path)
    path.write_bytes(b"<Tag>" + TINY * 997 + b"</Tag>")  # 999 tags: parsed (and refused for its content)
    with pytest.raises(FormatError) as caught:
        parse(path)
    assert "tags" not in str(caught.value)


def test_deeply_nested_json_run_is_a_typed_error(tmp_path: Path) -> None:
    b = GraphBuilder(start_ms=0)
    path = tmp_path / "run.json"
    save_run_json(b.build(), path)
    data = json.loads(path.read_text())
    assert isinstance(data, dict)
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(FormatError, match="nested too deeply"):
        load_run_json(path)
