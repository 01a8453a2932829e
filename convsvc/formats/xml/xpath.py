"""The W3C XPath 3.1 JSON mapping (F&O 3.1 section 17.5.3, fn:json-to-xml / fn:xml-to-json).

Elements map, array, string, number, boolean and null in the namespace
http://www.w3.org/2005/xpath-functions; `key` (and `escaped-key`) on members of a map, `escaped` on
strings. Decoding validates as fn:xml-to-json does (the schema of F&O appendix C.2 plus its prose
rules: FOJS0006, FOJS0007) and refuses invalid structure with the JSON Pointer of the offending
value. One deliberate extension, documented in docs/xml-mapping.md: a number whose lexical form is
an integer decodes to that exact integer (the spec casts to xs:double), because the canonical model
holds integers of any size and the JSON codec keeps them too.
"""

from __future__ import annotations

import base64
import datetime
import json
import math
import re
import uuid
from decimal import Decimal
from typing import Any

import orjson
from lxml import etree

from convsvc.formats.xml import write
from convsvc.formats.xml.natural import indent_option
from convsvc.formats.xml.parse import element_offset, parse_document
from convsvc.model import Code, Context
from convsvc.model.positions import pointer_token

NAMESPACE = "http://www.w3.org/2005/xpath-functions"
_CLARK = "{" + NAMESPACE + "}"
_KINDS = {_CLARK + kind: kind for kind in ("map", "array", "string", "number", "boolean", "null")}
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}  # xs:boolean's lexical space
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DOUBLE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NOT_FINITE = frozenset({"INF", "+INF", "-INF", "NaN"})
# A JSON escape, a lone backslash (invalid), a raw quote or control character (to escape for json.loads).
_ESCAPE_TOKEN = re.compile(r'\\(?:["\\/bfnrt]|u[0-9A-Fa-f]{4})?|"|[\x00-\x1f]')
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# What fn:json-to-xml with escape=true() escapes: C0, DEL and C1 controls, non-XML characters, backslash.
_SPECIAL = re.compile("[\\\\\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_SHORT_ESCAPES = {"\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


class _Invalid(Exception):
    """Structure fn:xml-to-json refuses (FOJS0006 / FOJS0007), raised where found."""

    def __init__(self, element: etree._Element, message: str, code=None) -> None:
        super().__init__(message)
        self.element = element
        self.message = message
        self.code = code or Code.XML_JSON_INVALID


# -- decoding ------------------------------------------------------------------------------------

def decode(data: bytes, ctx: Context) -> Any:
    data, root = parse_document(data, ctx)
    reader = _Reader(data, ctx)
    try:
        return reader.value(root, None, 0)
    except _Invalid as invalid:
        raise ctx.refuse(invalid.code, invalid.message, path=_pointer(invalid.element), data=data,
                         offset=element_offset(data, invalid.element)) from None


class _Reader:
    def __init__(self, data: bytes, ctx: Context) -> None:
        self.data = data
        self.ctx = ctx
        self.max_depth = ctx.limits.max_depth
        self.max_string = ctx.limits.max_string_bytes
        self.quick_string = ctx.limits.max_string_bytes // 4
        self.max_number = ctx.limits.max_number_chars

    def value(self, el: etree._Element, parent: str | None, depth: int) -> Any:
        """The JSON value of one element; `parent` is the kind of its parent element (None at the top)."""
        kind = _KINDS.get(el.tag)
        if kind is None:
            raise _Invalid(el, f"element {_name(el)} is not map, array, string, number, boolean or null in "
                           f"namespace {NAMESPACE}")
        escaped = False
        for name, value in el.items():
            if name == "key" or name == "escaped-key":
                if parent == "array":
                    raise _Invalid(el, f"attribute {name} is allowed only on a member of a map")
            elif name == "escaped" and kind == "string":
                escaped = self.boolean_attribute(el, name, value)
            elif name[0] != "{" or name.startswith(_CLARK):
                raise _Invalid(el, f"attribute {_attribute_name(name)} is not allowed on {kind}")
            # attributes in other namespaces (xml:base, xsi:type, ...) are ignored, as the spec says
        if kind == "map":
            return self.map(el, depth)
        if kind == "array":
            return self.array(el, depth)
        text = self.scalar_text(el, kind)
        if kind == "string":
            if escaped:
                text = self.unescape(el, text)
            return text
        if kind == "number":
            return self.number(el, text)
        if kind == "boolean":
            flag = _BOOLEANS.get(text.strip(write.WHITESPACE))
            if flag is None:
                raise _Invalid(el, f"boolean content {text[:40]!r} is not an xs:boolean (true, false, 1 or 0)")
            return flag
        if text:
            raise _Invalid(el, "null must be empty")
        return None

    def map(self, el: etree._Element, depth: int) -> dict:
        if depth >= self.max_depth:
            raise self.ctx.over_limit("max_depth", "nesting too deep", path=_pointer(el), data=self.data,
                                      offset=element_offset(self.data, el))
        text = el.text
        if text and text.strip(write.WHITESPACE):
            raise _Invalid(el, f"text {text.strip()[:40]!r} is not allowed directly inside map")
        out: dict[str, Any] = {}
        for child in el:
            tail = child.tail
            if tail and tail.strip(write.WHITESPACE):
                raise _Invalid(el, f"text {tail.strip()[:40]!r} is not allowed directly inside map")
            if type(child.tag) is not str:
                continue  # comments and processing instructions are ignored
            key = child.get("key")
            if key is None:
                raise _Invalid(el, f"member {_name(child)} of a map has no key attribute")
            escaped_key = child.get("escaped-key")
            if escaped_key is not None and self.boolean_attribute(child, "escaped-key", escaped_key):
                key = self.unescape(child, key)
            elif len(key) > self.quick_string:
                self.check_length(child, key)
            if key in out:
                self.ctx.note(Code.DUPLICATE_KEY, f"key {key!r} repeated in a map (FOJS0006); the last value is kept",
                              path=_pointer(child), data=self.data, offset=element_offset(self.data, child))
                del out[key]
            out[key] = self.value(child, "map", depth + 1)
        return out

    def array(self, el: etree._Element, depth: int) -> list:
        if depth >= self.max_depth:
            raise self.ctx.over_limit("max_depth", "nesting too deep", path=_pointer(el), data=self.data,
                                      offset=element_offset(self.data, el))
        text = el.text
        if text and text.strip(write.WHITESPACE):
            raise _Invalid(el, f"text {text.strip()[:40]!r} is not allowed directly inside array")
        out = []
        for child in el:
            tail = child.tail
            if tail and tail.strip(write.WHITESPACE):
                raise _Invalid(el, f"text {tail.strip()[:40]!r} is not allowed directly inside array")
            if type(child.tag) is str:
                out.append(self.value(child, "array", depth + 1))
        return out

    def scalar_text(self, el: etree._Element, kind: str) -> str:
        """The string value of string/number/boolean/null: text, comments and PIs skipped, no element."""
        text = el.text or ""
        if len(el):
            texts = [text]
            for child in el:
                if type(child.tag) is str:
                    raise _Invalid(el, f"element {_name(child)} is not allowed inside {kind}")
                if child.tail:
                    texts.append(child.tail)
            text = "".join(texts)
        if len(text) > self.quick_string:
            self.check_length(el, text)
        return text

    def check_length(self, el: etree._Element, text: str) -> None:
        if len(text.encode("utf-8")) > self.max_string:
            raise self.ctx.over_limit("max_string_bytes", "string or key too long", path=_pointer(el),
                                      data=self.data, offset=element_offset(self.data, el))

    def boolean_attribute(self, el: etree._Element, name: str, value: str) -> bool:
        flag = _BOOLEANS.get(value.strip(write.WHITESPACE))
        if flag is None:
            raise _Invalid(el, f"attribute {name}={value[:40]!r} is not an xs:boolean (true, false, 1 or 0)")
        return flag

    def number(self, el: etree._Element, text: str) -> int | float:
        lexical = text.strip(write.WHITESPACE)
        if len(lexical) > self.max_number:
            raise self.ctx.over_limit("max_number_chars", "number too long", path=_pointer(el), data=self.data,
                                      offset=element_offset(self.data, el))
        if _INTEGER.fullmatch(lexical):
            return int(lexical)  # exact: see the module docstring
        if _DOUBLE.fullmatch(lexical):
            number = float(lexical)
            if math.isinf(number):
                raise _Invalid(el, f"number {lexical[:40]!r} is beyond a double's range", Code.NUMBER_OUT_OF_RANGE)
            return number
        if lexical in _NOT_FINITE:
            raise _Invalid(el, f"number {lexical!r}: INF, -INF and NaN have no JSON form (finiteNumberType)")
        raise _Invalid(el, f"number content {lexical[:40]!r} is not an xs:double")

    def unescape(self, el: etree._Element, text: str) -> str:
        """A string or key in escaped form (escaped="true" / escaped-key="true"): JSON escapes apply."""
        if "\\" not in text:
            return text

        def token(match: re.Match) -> str:
            found = match.group()
            if found == "\\":
                raise _Invalid(el, "invalid JSON escape sequence at character "
                               f"{match.start()} of an escaped string (FOJS0007)")
            if found == '"':
                return '\\"'
            if len(found) == 1:  # a raw control character
                return f"\\u{ord(found):04x}"
            return found

        result = json.loads('"' + _ESCAPE_TOKEN.sub(token, text) + '"')
        if _LONE_SURROGATE.search(result):
            raise _Invalid(el, "an escape sequence denotes a lone UTF-16 surrogate", Code.LONE_SURROGATE)
        if len(result) > self.quick_string:
            self.check_length(el, result)
        return result


def _name(el: etree._Element) -> str:
    qname = etree.QName(el)
    return f"<{qname.localname}>" if qname.namespace is None else f"<{{{qname.namespace}}}{qname.localname}>"


def _attribute_name(name: str) -> str:
    return name.replace(_CLARK, "fn:")


def _pointer(el: etree._Element) -> str:
    """The JSON Pointer of an element's value: keys of map members, indices of array members."""
    tokens = []
    while True:
        parent = el.getparent()
        if parent is None:
            break
        if parent.tag == _CLARK + "map":
            key = el.get("key", "")
            if _BOOLEANS.get((el.get("escaped-key") or "").strip(write.WHITESPACE)) and "\\" in key:
                try:
                    key = json.loads('"' + _ESCAPE_TOKEN.sub(lambda m: '\\"' if m.group() == '"' else m.group(), key)
                                     + '"')
                except ValueError:
                    pass
            tokens.append(key)
        else:
            tokens.append(str(sum(1 for sibling in el.itersiblings(preceding=True) if type(sibling.tag) is str)))
        el = parent
    return "".join("/" + pointer_token(token) for token in reversed(tokens))


# -- encoding ------------------------------------------------------------------------------------

def encode(value: Any, ctx: Context, one_line: bool) -> str:
    writer = _Writer(ctx, one_line)
    writer.value(value, f' xmlns="{NAMESPACE}"', (), 0, 0)
    return write.DECLARATION + ("" if one_line else "\n") + "".join(writer.parts)


def string_form(value: str) -> tuple[str, bool]:
    """(text, escaped): the string as is when XML can hold it, else its escaped form (escaped="true")
    with backslash and the characters fn:json-to-xml's escape option lists written as JSON escapes."""
    if write.ILLEGAL.search(value) is None:
        return value, False
    return _SPECIAL.sub(lambda m: _SHORT_ESCAPES.get(m.group()) or f"\\u{ord(m.group()):04X}", value), True


class _Writer:
    def __init__(self, ctx: Context, one_line: bool) -> None:
        self.ctx = ctx
        self.one_line = one_line
        self.indent = indent_option(ctx, one_line)
        self.max_depth = ctx.limits.max_depth
        self.parts: list[str] = []

    def value(self, value: Any, attributes: str, path: tuple, depth: int, level: int) -> None:
        """One element; `attributes` holds its key (and the namespace declaration at the top); `path`
        is a (parent, token) pair, made a JSON Pointer only when an issue needs one."""
        parts = self.parts
        if isinstance(value, str):
            text, escaped = string_form(value)
            if escaped:
                attributes += ' escaped="true"'
            content = write.text(text, self.one_line)
            parts.append(f"<string{attributes}>{content}</string>" if content else f"<string{attributes}/>")
        elif value is None:
            parts.append(f"<null{attributes}/>")
        elif value is True or value is False:
            parts.append(f"<boolean{attributes}>{'true' if value else 'false'}</boolean>")
        elif isinstance(value, int):
            parts.append(f"<number{attributes}>{int(value)}</number>")
        elif isinstance(value, float):
            if math.isfinite(value):
                parts.append(f"<number{attributes}>{orjson.dumps(value).decode('ascii')}</number>")
            else:
                self.ctx.note(Code.NON_FINITE_NUMBER, f"{value!r} has no JSON number form; written as null", path=_value_pointer(path))
                parts.append(f"<null{attributes}/>")
        elif isinstance(value, dict):
            if depth >= self.max_depth:
                raise self.ctx.over_limit("max_depth", "nesting too deep", path=_value_pointer(path))
            self.container("map", value.items(), attributes, path, depth, level)
        elif isinstance(value, (list, tuple)):
            if depth >= self.max_depth:
                raise self.ctx.over_limit("max_depth", "nesting too deep", path=_value_pointer(path))
            self.container("array", enumerate(value), attributes, path, depth, level)
        elif isinstance(value, Decimal):
            if value.is_finite():
                parts.append(f"<number{attributes}>{value}</number>")
            else:
                self.ctx.note(Code.NON_FINITE_NUMBER, f"decimal {value} has no JSON number form; written as null",
                              path=_value_pointer(path))
                parts.append(f"<null{attributes}/>")
        elif isinstance(value, (bytes, bytearray, memoryview)):
            self.ctx.note(Code.BINARY_AS_BASE64, "binary data written as base64 text", path=_value_pointer(path))
            self.value(base64.b64encode(bytes(value)).decode("ascii"), attributes, path, depth, level)
        elif isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
            self.value(value.isoformat(), attributes, path, depth, level)
        elif isinstance(value, uuid.UUID):
            self.value(str(value), attributes, path, depth, level)
        else:
            self.value(str(value), attributes, path, depth, level)

    def container(self, kind: str, members, attributes: str, path: tuple, depth: int, level: int) -> None:
        parts = self.parts
        start = len(parts)
        parts.append(f"<{kind}{attributes}>")
        pad = "\n" + self.indent * (level + 1) if self.indent else ""
        in_map = kind == "map"
        for key, item in members:
            if in_map:
                if not isinstance(key, str):
                    self.ctx.note(Code.NON_STRING_KEY, f"key {key!r} written as text", path=_value_pointer(path))
                    key = "null" if key is None else ("true" if key is True else "false" if key is False else str(key))
                text, escaped = string_form(key)
                member = f' key="{write.attribute(text)}"' + (' escaped-key="true"' if escaped else "")
            else:
                member = ""
            if pad:
                parts.append(pad)
            self.value(item, member, (path, key), depth + 1, level + 1)
        if len(parts) == start + 1:
            parts[start] = f"<{kind}{attributes}/>"
            return
        if pad:
            parts.append("\n" + self.indent * level)
        parts.append(f"</{kind}>")


def _value_pointer(path: tuple) -> str:
    tokens = []
    while path:
        path, token = path
        tokens.append(token)
    return "".join("/" + pointer_token(token) for token in reversed(tokens))
