"""XStream's XML dialect, as Jenkins writes it: safe parsing, exact escaping and exact layout.

Jenkins serializes with XStream's ``PrettyPrintWriter``: two-space indentation, ``\\n`` line ends,
one element per line, ``<x/>`` for an element with nothing in it and ``<x></x>`` for an empty
string, no newline after the root, and XML 1.1 escaping (``&apos;`` too, control characters as
numeric references). Reproducing that byte for byte is what lets a file be read and written back
unchanged, so the writer here is small and literal.

Parsing goes through lxml with every dangerous feature off (no DTD, no entity expansion, no
network, no huge trees) and refuses any document with a DOCTYPE outright, which blocks XXE,
external DTDs and billion-laughs files before the parser sees them. XML 1.1 lets control
characters appear as ``&#x1b;``; libxml2 only speaks 1.0, so such references are swapped for
private-use stand-ins before parsing and swapped back in the text the library hands out.

Examples
--------
>>> w = XmlWriter()
>>> w.open("a", (("plugin", "x@1"),)); w.leaf("b", "it's <ok>"); w.leaf("c", ""); w.empty("d"); w.close("a")
>>> print(w.getvalue())
<a plugin="x@1">
  <b>it&apos;s &lt;ok&gt;</b>
  <c></c>
  <d/>
</a>
>>> root = parse_xml(b"<?xml version='1.1' encoding='UTF-8'?>\\n<a>x&#x1b;y</a>", "mem.xml")
>>> text_of(root.element)
'x\\x1by'
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from lxml import etree

from flowgraph.errors import FormatError

__all__ = [
    "ParsedXml",
    "XmlWriter",
    "parse_xml",
    "compact_parser",
    "needs_standin_at",
    "CompactMiss",
    "escape_text",
    "text_of",
    "resolve_reference",
    "element_spans",
    "decl_line",
    "MAX_XML_BYTES",
    "MAX_XML_TAGS",
    "size_problem",
    "refuse_doctype",
]

MAX_XML_BYTES = 512 * 1024 * 1024
"""Files larger than this are refused (a flow-node file is normally a few kB)."""

MAX_XML_TAGS = MAX_XML_BYTES // 32
"""Documents with more ``<`` than this are refused before parsing.

libxml2 spends some 100-200 bytes per element, so a file of tiny elements (``<a/>``, 4 bytes
each) would take 30-50 times its size; XStream's indented files spend about 40 bytes per tag.
Counting ``<`` (one pass, no allocation) bounds the elements, and with them the memory a parse
may take, to a small multiple of :data:`MAX_XML_BYTES`.
"""

_PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
    "remove_comments": False,
    "remove_pis": False,
}

# XML 1.0 forbids these characters even as numeric references; XStream (XML 1.1 mode) writes them.
_BAD_REF = re.compile(rb"&#(?:x([0-9a-fA-F]+)|([0-9]+));")
_STANDIN_BASE = 0x10FF00  # plane-16 private use: U+10FF01..U+10FF1F stand for U+0001..U+001F
_STANDIN_RE = re.compile("[\U0010ff01-\U0010ff1f]")
_DOCTYPE_RE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


class _RefuseExternal(etree.Resolver):
    """Refuses every external DTD or entity libxml2 asks for, before anything is opened.

    ``load_dtd=False`` is not enough: some parser settings (dropping blank text, for one)
    make libxml2 read the external DTD a DOCTYPE names anyway, and a byte search for the
    DOCTYPE misses it in UTF-16 or UTF-32. Every parser here carries this resolver, so a
    DTD is never opened, whatever the encoding; the raised error ends the parse.
    """

    def resolve(self, system_url: str, public_id: str, *context: object) -> Any:
        raise _DtdRefused(system_url)


class _DtdRefused(ValueError):
    """Internal: the parser met an external DTD or entity (see :class:`_RefuseExternal`)."""


def _hardened(parser: etree.XMLParser) -> etree.XMLParser:
    parser.resolvers.add(_RefuseExternal())
    return parser


_REFUSED = "refused: a DOCTYPE or ENTITY declaration (DTDs and entities are not allowed)"


class _StandinsParser(etree.XMLParser):
    """The hardened parser, for documents whose text holds control-character stand-ins.

    A tree remembers its parser (``tree.parser``), so the parser's class marks the tree: text
    is restored only in the documents that really used stand-ins.
    """


class _CompactParser(etree.XMLParser):
    """The hardened parser dropping XStream's indentation; its class marks compact trees."""


_LOCAL = threading.local()


def _parser() -> etree.XMLParser:
    """One hardened parser per thread (lxml parsers must not be shared between threads)."""
    parser: etree.XMLParser | None = getattr(_LOCAL, "parser", None)
    if parser is None:
        parser = _hardened(etree.XMLParser(**_PARSER_OPTIONS))  # type: ignore[arg-type]
        _LOCAL.parser = parser
    return parser


def _standins_parser() -> etree.XMLParser:
    parser: etree.XMLParser | None = getattr(_LOCAL, "standins", None)
    if parser is None:
        parser = _hardened(_StandinsParser(**_PARSER_OPTIONS))  # type: ignore[arg-type]
        _LOCAL.standins = parser
    return parser


def compact_parser() -> etree.XMLParser:
    """The hardened parser, dropping blank text; :func:`text_of` knows the trees it builds.

    See :mod:`flowgraph.codec.compact` for when such a tree stands for :func:`parse_xml`'s.
    """
    parser: etree.XMLParser | None = getattr(_LOCAL, "compact", None)
    if parser is None:
        parser = _hardened(_CompactParser(**_PARSER_OPTIONS, remove_blank_text=True, collect_ids=False))  # type: ignore[arg-type]
        _LOCAL.compact = parser
    return parser


class CompactMiss(Exception):
    """Internal: a compact tree cannot say what a reader asked for; parse with :func:`parse_xml`.

    (Compact trees come from :func:`compact_parser`, see :mod:`flowgraph.codec.compact`.)

    Raised by :func:`text_of` for the text of an element that has child elements (the blank
    text before them was dropped), and by the fast node decoder for any shape it does not vouch
    for. Callers catch it and redo the work on a standard parse, so it never reaches users.
    """


class ParsedXml:
    """A parsed document: its root element, and whether control-character stand-ins are in play."""

    __slots__ = ("element", "has_standins", "path")

    def __init__(self, element: etree._Element, has_standins: bool, path: str) -> None:
        self.element = element
        self.has_standins = has_standins
        self.path = path

    def text(self, element: etree._Element) -> str:
        """The element's text with stand-ins turned back into the original control characters."""
        text = element.text or ""
        return _restore(text) if self.has_standins else text


def _ref_code(match: re.Match[bytes]) -> int:
    hex_digits, dec_digits = match.group(1), match.group(2)
    try:
        return int(hex_digits, 16) if hex_digits is not None else int(dec_digits)
    except ValueError:  # pragma: no cover - the regex only matches digits
        return -1


def _needs_standin(code: int) -> bool:
    return 0 < code < 0x20 and code not in (0x9, 0xA, 0xD)


def needs_standin_at(data: bytes, at: int) -> bool:
    """True when a character reference at ``at`` names a control character XML 1.0 refuses."""
    match = _BAD_REF.match(data, at)
    return match is not None and _needs_standin(_ref_code(match))


def _swap_ref(match: re.Match[bytes]) -> bytes:
    code = _ref_code(match)
    if _needs_standin(code):
        return chr(_STANDIN_BASE + code).encode("utf-8")
    return match.group(0)


_SEEN_STANDINS = False  # set once any document needed stand-ins; until then text needs no restoring


def _restore(text: str) -> str:
    if not _SEEN_STANDINS or not _STANDIN_RE.search(text):
        return text
    return _STANDIN_RE.sub(lambda m: chr(ord(m.group(0)) - _STANDIN_BASE), text)


def size_problem(data: bytes) -> str | None:
    """Why ``data`` is too big to parse (bytes or tags over the limits), or None when it is not.

    Examples
    --------
    >>> size_problem(b"<a/>") is None
    True
    """
    if len(data) > MAX_XML_BYTES:
        return f"{len(data)} bytes is larger than the {MAX_XML_BYTES}-byte limit"
    if len(data) > MAX_XML_TAGS and data.count(b"<") > MAX_XML_TAGS:
        return f"more than {MAX_XML_TAGS} tags; refusing to parse (the limit bounds the memory a parse takes)"
    return None


def parse_xml(data: bytes, path: str) -> ParsedXml:
    """Parse one XStream document safely; every problem becomes a :class:`FormatError` naming ``path``.

    Examples
    --------
    >>> parse_xml(b"<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>", "evil.xml")
    Traceback (most recent call last):
    ...
    flowgraph.errors.FormatError: evil.xml: refused: a DOCTYPE or ENTITY declaration (DTDs and entities are not allowed)
    """
    if not data.strip():
        raise FormatError(f"{path}: empty file (expected an XML document)", path=path)
    problem = size_problem(data)
    if problem is not None:
        raise FormatError(f"{path}: {problem}", path=path)
    if _DOCTYPE_RE.search(data):  # the quick way out for UTF-8; the parser refuses DTDs in any encoding
        raise FormatError(f"{path}: {_REFUSED}", path=path)
    standins = False
    if b"&#" in data:
        swapped = _BAD_REF.sub(_swap_ref, data)
        if swapped != data:
            if "\U0010ff00".encode()[:3] in data:
                raise FormatError(f"{path}: contains plane-16 private-use characters; cannot parse safely", path=path)
            data, standins = swapped, True
            global _SEEN_STANDINS
            _SEEN_STANDINS = True
    try:
        root = etree.fromstring(data, _standins_parser() if standins else _parser())
    except _DtdRefused as exc:
        raise FormatError(f"{path}: {_REFUSED}", path=path) from exc
    except etree.XMLSyntaxError as exc:
        raise FormatError(f"{path}: not well-formed XML: {exc}", path=path) from exc
    except (ValueError, etree.LxmlError) as exc:
        raise FormatError(f"{path}: cannot parse: {exc}", path=path) from exc
    if root is None:
        raise FormatError(f"{path}: no root element", path=path)
    refuse_doctype(root, path)
    return ParsedXml(root, standins, path)


def refuse_doctype(root: etree._Element, path: str) -> None:
    """Raise :class:`FormatError` when the parsed document has a DOCTYPE (any encoding).

    The byte search in :func:`parse_xml` only sees ASCII-compatible encodings; this looks at
    what the parser found, so a UTF-16 or UTF-32 DOCTYPE is refused too.
    """
    docinfo: Any = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise FormatError(f"{path}: {_REFUSED}", path=path)


def text_of(element: etree._Element) -> str:
    """The element's text (stand-ins restored); ``""`` when it has none.

    Stand-ins are restored only in the documents that used them, so a private-use character
    that really is in a file stays what it is.
    """
    text = element.text
    if text is None:
        if len(element) and type(element.getroottree().parser) is _CompactParser:
            raise CompactMiss(f"<{element.tag}> has child elements; its text is not kept in a compact tree")
        return ""
    if _SEEN_STANDINS and _STANDIN_RE.search(text) and type(element.getroottree().parser) is _StandinsParser:
        return _restore(text)
    return text


# -- escaping ---------------------------------------------------------------------------

_ESCAPES = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", ord('"'): "&quot;", ord("'"): "&apos;"}
_ESCAPES[ord("\r")] = "&#xd;"
for _code in list(range(0x00, 0x20)) + list(range(0x7F, 0xA0)):
    if _code not in (0x9, 0xA, 0xD):
        _ESCAPES[_code] = f"&#x{_code:x};"
_NEEDS_ESCAPE = re.compile("[&<>\"'\r\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def escape_text(text: str) -> str:
    """Escape text or an attribute value as XStream's PrettyPrintWriter does in XML 1.1 mode.

    Examples
    --------
    >>> escape_text("a & 'b'\\r\\x1b")
    'a &amp; &apos;b&apos;&#xd;&#x1b;'
    """
    if _NEEDS_ESCAPE.search(text) is None:
        return text
    if "\x00" in text:
        raise FormatError("text contains a NUL character, which XML cannot carry")
    return text.translate(_ESCAPES)


def decl_line(version: str, double_quoted: bool) -> str:
    """The XML declaration line XStream writes (single quotes for atomic writes, double otherwise)."""
    q = '"' if double_quoted else "'"
    return f"<?xml version={q}{version}{q} encoding={q}UTF-8{q}?>\n"


# -- writer -----------------------------------------------------------------------------

Attrs = Sequence[tuple[str, str]]


class XmlWriter:
    """Writes elements exactly as XStream's PrettyPrintWriter lays them out."""

    __slots__ = ("_depth", "_indent", "_out")

    def __init__(self, depth: int = 0) -> None:
        self._out: list[str] = []
        self._depth = depth
        self._indent = "  " * depth

    def _start(self, name: str, attrs: Attrs) -> str:
        if not attrs:
            return f"{self._indent}<{name}"
        return f"{self._indent}<{name}" + "".join(f' {k}="{escape_text(v)}"' for k, v in attrs)

    def _newline(self) -> None:
        if self._out:
            self._out.append("\n")

    def open(self, name: str, attrs: Attrs = ()) -> None:
        """Start an element that will have child elements."""
        self._newline()
        self._out.append(self._start(name, attrs) + ">")
        self._depth += 1
        self._indent = "  " * self._depth

    def close(self, name: str) -> None:
        """End the element opened last."""
        self._depth -= 1
        self._indent = "  " * self._depth
        self._out.append(f"\n{self._indent}</{name}>")

    def leaf(self, name: str, text: str, attrs: Attrs = ()) -> None:
        """An element holding only text (``""`` gives ``<x></x>``, as XStream writes an empty string)."""
        self._newline()
        self._out.append(f"{self._start(name, attrs)}>{escape_text(text)}</{name}>")

    def empty(self, name: str, attrs: Attrs = ()) -> None:
        """An element with nothing inside: ``<x/>``."""
        self._newline()
        self._out.append(self._start(name, attrs) + "/>")

    def raw(self, text: str) -> None:
        """Pre-rendered markup placed at the current position (it carries its own indentation)."""
        self._newline()
        self._out.append(text)

    @property
    def depth(self) -> int:
        return self._depth

    def getvalue(self) -> str:
        return "".join(self._out)


# -- XStream references ----------------------------------------------------------------

_STEP_RE = re.compile(r"^([^\[\]]+)(?:\[(\d+)\])?$")


def resolve_reference(element: etree._Element, path: str, *, where: str) -> etree._Element:
    """Follow an XStream relative-path ``reference`` attribute from ``element``.

    ``../../wf.a.ErrorAction/error`` goes up twice, then down to the first ``wf.a.ErrorAction``
    child and its first ``error`` child; ``name[2]`` is the second child of that name. The walk
    is a loop bounded by the path length, so a malicious path cannot make it run away.
    """
    current: etree._Element | None = element
    for step in path.split("/"):
        if current is None:
            break
        if step in ("", "."):
            continue
        if step == "..":
            current = current.getparent()
            continue
        match = _STEP_RE.match(step)
        if match is None:
            raise FormatError(f"{where}: bad XStream reference path {path!r}")
        name, index = match.group(1), int(match.group(2) or "1")
        found = [c for c in current if c.tag == name]
        current = found[index - 1] if 0 < index <= len(found) else None
    if current is None or current is element:
        raise FormatError(f"{where}: XStream reference {path!r} points at nothing")
    if current.get("reference") is not None:
        raise FormatError(f"{where}: XStream reference {path!r} points at another reference")
    return current


# -- source spans ----------------------------------------------------------------------

_TOKEN_RE = re.compile(
    r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>"
    r"|<(/?)([^\s/>!?]+)(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s*(/?)>",
    re.S,
)


def element_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` offsets in ``text`` of every element, in document order.

    The list lines up with ``root.iter(etree.Element)`` of the same (well-formed) document, so
    the exact source text of any element can be sliced out: that is how actions the library does
    not know keep their bytes.
    """
    spans: list[tuple[int, int]] = []
    stack: list[int] = []
    for match in _TOKEN_RE.finditer(text):
        name = match.group(2)
        if name is None:
            continue
        if match.group(1):
            index = stack.pop()
            spans[index] = (spans[index][0], match.end())
        elif match.group(3):
            spans.append((match.start(), match.end()))
        else:
            stack.append(len(spans))
            spans.append((match.start(), -1))
    return spans


def iter_children(element: etree._Element) -> Iterator[etree._Element]:
    """Child elements only (comments and processing instructions skipped)."""
    for child in element:
        if isinstance(child.tag, str):
            yield child


def children_named(element: etree._Element, names: Iterable[str]) -> list[etree._Element]:
    wanted = set(names)
    return [c for c in iter_children(element) if c.tag in wanted]
