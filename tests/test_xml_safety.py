"""DTDs are refused by the parser itself, whatever the document's encoding (issue 11, defect 3).

A byte search for ``<!DOCTYPE`` cannot see a UTF-16 or UTF-32 document, and libxml2 then opens
the external DTD it names. The DTD here is a real FIFO: opening it for reading would block
forever, so a watcher thread keeps trying to open its writing end without blocking. That only
succeeds while someone holds the reading end open, which is exactly the bug; the watcher then
closes its end (so the reader gets end-of-file and the test finishes) and records it.
"""

from __future__ import annotations

import errno
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from flowgraph import FormatError, load
from flowgraph.codec.compact import parse_compact, parse_compact_many
from flowgraph.codec.xstream import parse_xml
from flowgraph.jenkins.build_xml import read_build_xml

ENCODINGS = ["utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"]


class FifoWatch:
    """Records whether anything opened ``fifo`` for reading while the watch ran."""

    def __init__(self, fifo: Path) -> None:
        self.fifo = fifo
        self.opened = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.wait(0.01):
            try:
                fd = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as exc:
                assert exc.errno == errno.ENXIO  # no reader: the good case
                continue
            self.opened = True
            os.close(fd)

    def __enter__(self) -> FifoWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "evil.dtd"
    os.mkfifo(path)
    yield path


def document(root: str, body: str, fifo: Path, encoding: str) -> bytes:
    declared = encoding.upper().replace("-LE", "LE").replace("-BE", "BE")
    text = f'<?xml version="1.0" encoding="{declared}"?>\n<!DOCTYPE {root} SYSTEM "{fifo}">\n<{root}>{body}</{root}>'
    return text.encode(encoding)


NODE_BODY = (
    "<node class='cps.n.StepAtomNode'><parentIds><string>2</string></parentIds><id>3</id>"
    "<descriptorId>x</descriptorId></node><actions/>"
)


@pytest.mark.timeout(30)  # were the FIFO opened and never written, the parse would block here
@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize(
    "parse",
    [
        lambda data: parse_xml(data, "x.xml"),
        lambda data: parse_compact(data, "x.xml") or parse_xml(data, "x.xml"),
        lambda data: parse_compact_many([data])[0] or parse_xml(data, "x.xml"),
    ],
    ids=["parse_xml", "parse_compact", "parse_compact_many"],
)
def test_every_parser_refuses_an_external_dtd_without_opening_it(
    fifo: Path, encoding: str, parse: Callable[[bytes], object]
) -> None:
    data = document("Tag", NODE_BODY, fifo, encoding)
    with FifoWatch(fifo) as watch, pytest.raises(FormatError, match="DOCTYPE"):
        parse(data)
    assert not watch.opened


@pytest.mark.timeout(30)
@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
def test_loading_a_node_file_or_build_xml_never_opens_the_dtd(tmp_path: Path, fifo: Path, encoding: str) -> None:
    nodes = tmp_path / "workflow"
    nodes.mkdir()
    (nodes / "3.xml").write_bytes(document("Tag", NODE_BODY, fifo, encoding))
    (tmp_path / "build.xml").write_bytes(document("flow-build", "<result>SUCCESS</result>", fifo, encoding))
    with FifoWatch(fifo) as watch:
        with pytest.raises(FormatError, match="DOCTYPE"):
            load(nodes).graph.storage.get_node("3")
        with pytest.raises(FormatError, match="DOCTYPE"):
            read_build_xml(tmp_path / "build.xml")
    assert not watch.opened


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_internal_entities_are_refused_in_any_encoding(encoding: str) -> None:
    declared = encoding.upper().replace("-LE", "LE").replace("-BE", "BE")
    text = f'<?xml version="1.0" encoding="{declared}"?><!DOCTYPE a [<!ENTITY x "xx"><!ENTITY y "&x;&x;">]><a>&y;</a>'
    with pytest.raises(FormatError, match="DOCTYPE"):
        parse_xml(text.encode(encoding), "laughs.xml")
    with pytest.raises(FormatError):  # without a declaration or BOM libxml2 cannot tell UTF-16 at all
        parse_xml(text.split("?>", 1)[1].encode(encoding), "laughs.xml")
