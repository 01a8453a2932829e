"""Hardened XML parsing shared by both mappings: no DTD ever, no entities, no network, bounded size.

Order of defences: the size limit; transcoding to UTF-8 when the payload declares another encoding;
a possessive-regex scan of the prolog that refuses any DOCTYPE *before* libxml2 sees it (billion
laughs, XXE over file:// and http://, external DTDs and parameter entities all need one); then lxml
with resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False (so libxml2 itself caps
nesting at 256 and a text node at 10,000,000 bytes). Errors carry a byte offset computed from
libxml2's line:column, so Issue.line/column come out right.
"""

from __future__ import annotations

import codecs
import re
import threading

from lxml import etree


from convsvc.model import Code, Context

_LIBXML_MAX_DEPTH = 256  # libxml2's nesting cap without XML_PARSE_HUGE

# The prolog up to a DOCTYPE: BOM, whitespace, the XML declaration, PIs and comments. Possessive
# quantifiers: linear time, no backtracking, whatever the input.
_PROLOG_THEN_DOCTYPE = re.compile(
    rb"(?:\xef\xbb\xbf)?(?:[ \t\r\n]++|<\?(?:[^?]++|\?(?!>))*+\?>|<!--(?:[^-]++|-(?!->))*+-->)*+<!DOCTYPE")
_DECLARED_ENCODING = re.compile(
    rb"(?:\xef\xbb\xbf)?<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*([\"'])[^\"']*\1"
    rb"[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*([\"'])([A-Za-z][A-Za-z0-9._-]*)\2")
_DECLARED_ENCODING_TEXT = re.compile(
    r"<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*([\"'])[^\"']*\1"
    r"[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*([\"'])([A-Za-z][A-Za-z0-9._-]*)\2")
_UTF8_NAMES = {"utf-8", "utf8", "us-ascii", "ascii"}
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY[ \t\r\n]+(%[ \t\r\n]+)?([^ \t\r\n>]+)[ \t\r\n]+(SYSTEM|PUBLIC)?([^>]{0,2000})")
_EXTERNAL_SUBSET = re.compile(rb"<!DOCTYPE[ \t\r\n]+[^ \t\r\n>\[]+[ \t\r\n]+(SYSTEM|PUBLIC)([^>\[]{0,2000})")
_QUOTED = re.compile(rb"[\"']([^\"']*)[\"']")
_POSITION_SUFFIX = re.compile(r", line \d+, column \d+\s*$")

_local = threading.local()


def _parser() -> etree.XMLParser:
    """One parser per thread: lxml parsers may be reused, never shared between threads."""
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
            huge_tree=False, collect_ids=False, remove_comments=False, remove_pis=False, strip_cdata=True)
    return parser


def parse_document(data: bytes, ctx: Context) -> tuple[bytes, etree._Element]:
    """The root element of one XML payload, and the UTF-8 bytes that positions in issues refer to."""
    limit = ctx.limits.max_message_bytes
    if len(data) > limit:
        raise ctx.over_limit("max_message_bytes", f"payload of {len(data)} bytes")
    data = _as_utf8(data, ctx)
    if len(data) > limit:
        raise ctx.over_limit("max_message_bytes", f"payload of {len(data)} bytes once transcoded to UTF-8")
    doctype = _PROLOG_THEN_DOCTYPE.match(data)
    if doctype is not None:
        raise _doctype_refusal(data, doctype.end() - len(b"<!DOCTYPE"), ctx)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as error:
        raise _syntax_refusal(data, error, ctx) from None
    if root.getroottree().docinfo.doctype:  # defence in depth: the scan above should have caught it
        raise ctx.refuse(Code.XML_DTD_FORBIDDEN, "a DOCTYPE declaration is refused", data=data, offset=0)
    return data, root


def _as_utf8(data: bytes, ctx: Context) -> bytes:
    """UTF-8 payloads pass untouched; a BOM or a declared encoding other than UTF-8 is transcoded.
    The declaration is rewritten to say UTF-8 (padded with spaces so columns on line 1 hold)."""
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        encoding = "utf-32"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        declared = _DECLARED_ENCODING.match(data)
        if declared is None:
            return data
        encoding = declared.group(3).decode("ascii").lower()
        if encoding.replace("_", "-") in _UTF8_NAMES:
            return data
    try:
        codecs.lookup(encoding)
        text = data.decode(encoding)  # bytes.decode accepts text encodings only (no zlib, no rot13)
    except LookupError:
        raise ctx.refuse(Code.SYNTAX_ERROR, f"the payload declares encoding {encoding!r}, which is not known",
                         offset=0) from None
    except UnicodeDecodeError as bad:
        raise ctx.refuse(Code.SYNTAX_ERROR, f"the payload is not valid {encoding} (byte {bad.start})",
                         offset=bad.start) from None
    text = text.removeprefix("\ufeff")
    declared = _DECLARED_ENCODING_TEXT.match(text)
    if declared is not None:
        name_start, name_end = declared.span(3)
        padding = " " * max(0, (name_end - name_start) - len("UTF-8"))
        text = text[:name_start] + "UTF-8" + text[name_end:name_end + 1] + padding + text[name_end + 1:]
    return text.encode("utf-8", "surrogatepass")


def _doctype_refusal(data: bytes, offset: int, ctx: Context):
    """A refusal naming what the DOCTYPE would have brought in: external DTD, entities, parameter entities."""
    end = data.find(b"]>", offset)
    window = data[offset:end if 0 <= end - offset < 65536 else offset + 65536]
    found: list[str] = []
    subset = _EXTERNAL_SUBSET.match(window)
    if subset is not None:
        uris = _QUOTED.findall(subset.group(2))
        found.append(f"an external DTD {_text(uris[-1]) if uris else ''!r} ({subset.group(1).decode()})")
    internal = []
    for entity in _ENTITY_DECLARATION.finditer(window):
        parameter, name, kind, rest = entity.groups()
        label = ("parameter entity %" if parameter else "entity ") + _text(name)
        if kind:
            uris = _QUOTED.findall(rest)
            found.append(f"external {label} ({kind.decode()} {_text(uris[-1]) if uris else ''!r})")
        elif parameter:
            found.append(label)
        else:
            internal.append(_text(name))
    if internal:
        shown = ", ".join(internal[:5]) + (", ..." if len(internal) > 5 else "")
        found.append(f"{len(internal)} internal entit{'y' if len(internal) == 1 else 'ies'} ({shown}): "
                     "entity expansion such as 'billion laughs'")
    what = "; it declares " + ", ".join(found) if found else ""
    return ctx.refuse(Code.XML_DTD_FORBIDDEN,
                      "DOCTYPE declaration refused: DTDs are never processed (no entity expansion, no file or "
                      f"network loading){what}", data=data, offset=offset)


def _text(raw: bytes, limit: int = 200) -> str:
    text = raw.decode("utf-8", "replace")
    return text if len(text) <= limit else text[:limit] + "..."


def _syntax_refusal(data: bytes, error: etree.XMLSyntaxError, ctx: Context):
    line, column = error.position
    offset = byte_offset(data, line, column)
    message = _POSITION_SUFFIX.sub("", error.msg or "malformed XML").strip()
    if error.code == etree.ErrorTypes.ERR_RESOURCE_LIMIT:
        if "depth" in message:
            return ctx.over_limit("max_depth", f"elements nest more than {_LIBXML_MAX_DEPTH} deep "
                                  "(the XML parser's own cap)", data=data, offset=offset)
        return ctx.over_limit("max_string_bytes", "a text, attribute or name is longer than the XML parser's "
                              f"own cap of 10,000,000 bytes ({message})", data=data, offset=offset)
    if error.code == etree.ErrorTypes.ERR_DOCUMENT_EMPTY:
        return ctx.refuse(Code.NO_DOCUMENT, "the payload holds no XML element", data=data, offset=offset)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as bad:
        if bad.start <= offset + 4 or "encoding" in message:
            return ctx.refuse(Code.INVALID_UTF8, "payload is not valid UTF-8", data=data, offset=bad.start)
    return ctx.refuse(Code.SYNTAX_ERROR, message, data=data, offset=offset)


def line_start(data: bytes, line: int) -> int:
    """Byte offset where a 1-based line starts (the end of the payload if it has fewer lines)."""
    start = 0
    for _ in range(line - 1):
        newline = data.find(b"\n", start)
        if newline < 0:
            return len(data)
        start = newline + 1
    return start


def byte_offset(data: bytes, line: int, column: int) -> int:
    """libxml2 counts columns in characters: the byte offset of 1-based line:column."""
    start = line_start(data, line)
    if column <= 1:
        return start
    prefix = data[start:start + 4 * (column - 1)].decode("utf-8", "replace")[:column - 1]
    return min(len(data), start + len(prefix.encode("utf-8")))


def element_offset(data: bytes, element: etree._Element) -> int | None:
    """Best-effort byte offset of an element's start tag: its source line, then the n-th start tag of
    that name on the line (n counted among the elements before it). Used for issues found after
    parsing; the JSON Pointer path of such issues is exact, this only places them."""
    line = element.sourceline
    if not line:
        return None
    start = line_start(data, line)
    prefix = element.prefix
    local = etree.QName(element).localname
    needle = ("<" + (prefix + ":" if prefix else "") + local).encode("utf-8")
    before = 0
    for other in element.getroottree().getroot().iter(element.tag):
        if other is element:
            break
        if other.sourceline == line and other.prefix == prefix:
            before += 1
    position = start
    for _ in range(before + 1):
        found = _find_start_tag(data, needle, position)
        if found < 0:
            return start
        position = found + 1
    return position - 1


def _find_start_tag(data: bytes, needle: bytes, start: int) -> int:
    while True:
        found = data.find(needle, start)
        if found < 0 or data[found + len(needle):found + len(needle) + 1] in (b" ", b"\t", b"\r", b"\n", b"/", b">"):
            return found
        start = found + 1
