"""Compact parses: lxml trees without XStream's indentation, for the storages' load paths.

XStream indents every element, so a standard parse of a node file builds a whitespace text
node next to almost every element, and libxml2 spends a third of its time on them. A parse
with blank text dropped is that much quicker, and equal to the standard one in everything a
decoder reads: element structure, attributes, and the text of leaf elements. The text of an
element that has children is the one thing it loses (``text_of`` raises
:class:`~flowgraph.codec.xstream.CompactMiss` rather than guess it).

That equality needs a document without comments, CDATA, processing instructions (past the
declaration) or control-character references, which change what libxml2 counts as blank;
such documents, and anything not well-formed, get None here, and the caller parses them with
:func:`~flowgraph.codec.xstream.parse_xml`, which also gives every error its exact message.

Examples
--------
>>> [root.tag for root in parse_compact_many([b"<a/>", b"<b>1</b>"])]
['a', 'b']
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from lxml import etree

from flowgraph.codec.xstream import ParsedXml, compact_parser, needs_standin_at, size_problem

__all__ = ["parse_compact", "parse_compact_many"]


def parse_compact(data: bytes, path: str) -> ParsedXml | None:
    """A faster parse for the storages' load paths, or None when only ``parse_xml`` will do.

    The tree drops the whitespace-only text XStream indents with, which makes libxml2 build a
    third fewer nodes. Element structure, attributes and the text of leaf elements are exactly
    those of :func:`~flowgraph.codec.xstream.parse_xml`; only the (meaningless) text of
    elements that have children is gone, and :func:`~flowgraph.codec.xstream.text_of`
    raises :class:`~flowgraph.codec.xstream.CompactMiss` rather than guess it. Anything unusual
    (empty, oversized, comments, CDATA, DOCTYPE, processing instructions, control-character
    references, not well-formed) returns None, so every error keeps coming from
    :func:`~flowgraph.codec.xstream.parse_xml`, with its exact message.

    Examples
    --------
    >>> parse_compact(b"<a>\\n  <b> x </b>\\n</a>", "a.xml").element[0].text
    ' x '
    >>> parse_compact(b"<a><!-- note --></a>", "a.xml") is None
    True
    """
    if not _compact_ok(data):
        return None
    try:
        root = etree.fromstring(data, compact_parser())
    except (ValueError, etree.LxmlError):
        return None
    if root is None:  # pragma: no cover - lxml raises for a document without a root
        return None
    docinfo: Any = root.getroottree().docinfo
    if docinfo.doctype:  # a DOCTYPE the byte check missed (UTF-16…): parse_xml refuses it
        return None
    return ParsedXml(root, False, path)


def _compact_ok(data: bytes) -> bool:
    """True when a compact parse of ``data`` can stand for ``parse_xml``'s (see the module)."""
    size = len(data)
    if not size or data.isspace() or size_problem(data) is not None:
        return False
    if size < _SMALL:  # a node file: plain searches are quickest
        if b"<!" in data or data.find(b"<?", 1) != -1:  # comment, CDATA, DOCTYPE; a PI after the start
            return False
        at = data.find(b"&#")
    else:
        # In a big file, searching for a rare byte and looking back is far quicker than
        # searching for "<!" in XML, where "<" is everywhere.
        if b"!" in data and _find_pair(data, 60, b"!", 1) != -1:
            return False
        if b"?" in data:
            first = _find_pair(data, 60, b"?", 1)
            if first > 0 or (first == 0 and _find_pair(data, 60, b"?", 2) != -1):
                return False
        at = _find_pair(data, 38, b"#", 1) if b"#" in data else -1
    while at != -1:  # "&#": a control-character reference needs the general parser's stand-ins
        if needs_standin_at(data, at):
            return False
        at = _find_pair(data, 38, b"#", at + 2)
    return True


_SMALL = 1 << 16


_DECLARATION_RE = re.compile(rb"<\?xml version=(['\"])1\.[01]\1 encoding=(['\"])UTF-8\2\?>")
_MARK = b"<?flowgraph-file?>"


def parse_compact_many(documents: Sequence[bytes]) -> list[etree._Element | None]:
    """The root elements of many small documents from one compact parse, where it stands for theirs.

    A per-node directory holds thousands of ~1 kB files, and for those libxml2's per-document
    setup costs as much as the parsing. The documents (each eligible for :func:`parse_compact`,
    with XStream's UTF-8 declaration or none) are parsed as one, separated by marker processing
    instructions no eligible document can contain. The result is trusted only if the top level
    comes back as exactly marker, element, marker, element, ..., marker with no text: then each
    element lies wholly inside its own document, and each document holds exactly one element
    and nothing else, so it is what that document parsed on its own would give. Otherwise, and
    for every document that is not eligible, the entry is None (parse that one alone).

    Examples
    --------
    >>> roots = parse_compact_many([b"<?xml version='1.1' encoding='UTF-8'?>\\n<a>1</a>", b"<a>", b"<b/>"])
    >>> [None if r is None else r.tag for r in roots]
    [None, None, None]
    >>> roots = parse_compact_many([b"<?xml version='1.1' encoding='UTF-8'?>\\n<a>1</a>", b"<b/>", b"<!-- c --><c/>"])
    >>> [None if r is None else (r.tag, r.text) for r in roots]
    [('a', '1'), ('b', None), None]
    """
    results: list[etree._Element | None] = [None] * len(documents)
    bodies: list[bytes] = []
    where: list[int] = []
    for index, data in enumerate(documents):
        if not _compact_ok(data):
            continue
        if data.startswith(b"<?"):
            match = _DECLARATION_RE.match(data)
            if match is None:
                continue
            data = data[match.end() :]
        bodies.append(data)
        where.append(index)
    if not bodies:
        return results
    text = b"".join((b"<files>", _MARK, _MARK.join(bodies), _MARK, b"</files>"))
    try:
        root = etree.fromstring(text, compact_parser())
    except (ValueError, etree.LxmlError):
        return results
    parts: list[etree._Element] = root[:]  # type: ignore[index,assignment]
    if len(parts) != 2 * len(bodies) + 1:
        return results
    mark: object = etree.PI
    for at, part in enumerate(parts):
        if part.tail is not None or (part.tag is mark) != (at % 2 == 0):
            return results
    for at, index in enumerate(where):
        results[index] = parts[2 * at + 1]
    return results


def _find_pair(data: bytes, lead: int, char: bytes, start: int) -> int:
    """Offset of the first ``lead`` byte followed by ``char`` with ``char`` at or after ``start``."""
    at = data.find(char, start)
    while at != -1 and data[at - 1] != lead:
        at = data.find(char, at + 1)
    return at - 1 if at != -1 else -1
