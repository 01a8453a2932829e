"""The natural XML mapping: elements to members, @attributes, #text, repeated elements to arrays.

Decoding walks the lxml tree once; what it had to decide without a schema (a single element that is
repeated elsewhere, text that looks typed) or could not keep (comments, mixed content, interleaved
order) is reported once per element path, not once per node. Encoding writes the XML text directly
(convsvc/formats/xml/write.py). Every rule, with examples: docs/xml-mapping.md.
"""

from __future__ import annotations

import base64
import datetime
import math
import re
from decimal import Decimal
from typing import Any

import orjson
from lxml import etree

from convsvc.formats.xml import write
from convsvc.formats.xml.parse import element_offset, parse_document
from convsvc.model import Code, Context, InvalidRequest, Issue
from convsvc.model.positions import pointer_token
from convsvc.model.shape import INTEGER_KINDS, Kind, Shape

ATTRIBUTE_PREFIX = "@"
TEXT_KEY = "#text"
ITEM = "item"  # the element name of items of an array that has no member name
DEFAULT_ROOT = "root"
_LOCATED_ISSUES = 16  # issues after these carry a path but no line:column (locating one is O(document))
_LOOKS_TYPED = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false")
_TYPED_FIRST = frozenset("-0123456789tf")


def root_option(ctx: Context) -> str | None:
    """The `root` option: an XML name (NCName or {uri}local), or None when not given."""
    root = ctx.options.get("root")
    if root is not None and write.split_name(root) is None:
        raise InvalidRequest(Issue(Code.INVALID_REQUEST, "options.root",
                                   f"root {root!r} is not an XML name (an NCName or {{uri}}local)"))
    return root


# -- decoding ------------------------------------------------------------------------------------

def decode(data: bytes, ctx: Context) -> Any:
    unwrap = root_option(ctx) is not None
    data, root = parse_document(data, ctx)
    reader = _Reader(data, root, ctx, unwrap)
    value = reader.element(root, "", 1, reader.shape)
    if not unwrap:
        value = {_key(root.tag): value}
    if 2 * reader.deepest + 1 > reader.max_depth:  # repeated elements become arrays: a level each
        too_deep = _too_deep(value, reader.max_depth)
        if too_deep is not None:
            raise ctx.over_limit("max_depth", "elements nest too deep once repeated elements are arrays",
                                 path=too_deep)
    reader.drop_outside(root)
    reader.report()
    return value


def _too_deep(value: Any, max_depth: int) -> str | None:
    """The JSON Pointer of the first object or array nested deeper than max_depth, or None."""
    stack = [(value, 1, "")]
    while stack:
        item, depth, path = stack.pop()
        children = item.items() if type(item) is dict else enumerate(item)
        if depth > max_depth:
            return path
        for key, child in children:
            if type(child) in (dict, list):
                stack.append((child, depth + 1, f"{path}/{pointer_token(str(key))}"))
    return None


def _key(tag: str) -> str:
    """A member name from an element or attribute name: Clark notation, xml: for the xml namespace."""
    if tag[0] == "{" and tag.startswith(write.XML_CLARK):
        return "xml:" + tag[len(write.XML_CLARK):]
    return tag


class _Reader:
    """One decode: the walk and what it found along the way."""

    def __init__(self, data: bytes, root: etree._Element, ctx: Context, unwrap: bool) -> None:
        self.data = data
        self.root = root
        self.ctx = ctx
        self.unwrap = unwrap
        self.max_depth = ctx.limits.max_depth
        self.max_string = ctx.limits.max_string_bytes
        self.quick_string = ctx.limits.max_string_bytes // 4  # shorter is never too long: UTF-8 <= 4 bytes/char
        self.shape = ctx.schema.shape if ctx.schema is not None else None  # describes the root's content
        self.single: dict[str, etree._Element] = {}  # element path -> first element read as a single value
        self.repeated: dict[str, etree._Element] = {}  # element path -> first element of a repeated group
        self.findings: dict[tuple, list] = {}  # (code, element path) -> [element, suffix, count, detail]
        self.typed = 0
        self.typed_first: tuple | None = None  # (element, suffix, text)
        self.deepest = 0  # the deepest element read

    def element(self, el: etree._Element, path: str, depth: int, shape: Shape | None) -> Any:
        """The value of one element; `path` is its element path (names, no indices); `shape` is
        what the schema says of it (None without a schema)."""
        if depth > self.max_depth:
            raise self.ctx.over_limit("max_depth", "elements nest too deep", path=self.pointer(el),
                                      data=self.data, offset=element_offset(self.data, el))
        if depth > self.deepest:
            self.deepest = depth
        attributes = el.items()
        text = el.text
        if not len(el):
            if not attributes:  # the common leaf: text only
                if text is None:
                    text = ""
                if shape is not None:
                    self.check_text(text, el, "", typed=False)
                    return typed_text(text, shape)
                self.check_text(text, el, "")
                return text
            if text is None and len(attributes) == 1 and attributes[0][0] == write.XSI_NIL \
                    and attributes[0][1].strip(write.WHITESPACE) in ("true", "1"):
                return None
        out: dict[str, Any] = {}
        for name, value in attributes:
            key = ATTRIBUTE_PREFIX + _key(name)
            field = member_shape(shape, key, attribute=True)
            if field is not None:
                key, field_shape = field
                self.check_text(value, el, "/" + pointer_token(key), typed=False)
                out[key] = typed_text(value, field_shape)
                continue
            self.check_text(value, el, "/" + pointer_token(key))
            out[key] = value
        texts = [text] if text else []
        has_elements = False
        if len(el):
            first: dict[str, etree._Element] = {}
            shapes: dict[str, Shape | None] = {}  # member -> the shape of each of its elements
            fields: dict[str, tuple[str, Shape | None, bool]] = {}  # element key -> (member, shape, is array)
            previous = None
            for child in el:
                tag = child.tag
                if type(tag) is str:
                    has_elements = True
                    key = _key(tag)
                    schema_array = False
                    if shape is not None:
                        field = fields.get(key)
                        if field is None:
                            field = fields[key] = _field(shape, key)
                        key, item_shape, schema_array = field
                    if key in first:
                        child_path = path + "/" + key
                        existing = out[key]
                        if key != previous:
                            self.find(Code.XML_SIBLING_ORDER_LOST, el, path, "/" + pointer_token(key), key, child)
                        item = self.element(child, child_path, depth + 1, shapes[key])
                        if type(existing) is list:
                            existing.append(item)
                        else:
                            out[key] = [existing, item]
                    else:
                        first[key] = child
                        if shape is None:
                            item_shape = shapes[key] = None
                        else:
                            shapes[key] = item_shape
                        item = self.element(child, path + "/" + key, depth + 1, item_shape)
                        out[key] = [item] if schema_array else item
                    previous = key
                elif tag is etree.Comment:
                    self.find(Code.XML_COMMENT_DROPPED, el, path, "", None)
                else:
                    self.find(Code.XML_PI_DROPPED, el, path, "", None)
                tail = child.tail
                if tail:
                    texts.append(tail)
            for key, child in first.items():
                group = self.repeated if type(out[key]) is list else self.single
                group.setdefault(path + "/" + key, child)
        if not has_elements:  # text only (comments and PIs aside)
            joined = "".join(texts)
            if not attributes:
                if shape is not None:
                    self.check_text(joined, el, "", typed=False)
                    return typed_text(joined, shape)
                self.check_text(joined, el, "")
                return joined
            if joined:
                self.check_text(joined, el, "/" + TEXT_KEY)
                out[TEXT_KEY] = joined
        elif texts:
            joined = "".join(texts)
            if joined.strip(write.WHITESPACE):  # whitespace between elements is layout, not content
                self.find(Code.XML_MIXED_CONTENT, el, path, "/" + TEXT_KEY, None)
                self.check_text(joined, el, "/" + TEXT_KEY)
                out[TEXT_KEY] = joined
        if shape is not None:
            out = _with_empty_arrays(out, shape)
        return out

    def check_text(self, text: str, el: etree._Element, suffix: str, typed: bool = True) -> None:
        """The string limit; and, without a schema, count text a reader might take for a number."""
        if len(text) > self.quick_string and len(text.encode("utf-8")) > self.max_string:
            raise self.ctx.over_limit("max_string_bytes", "text or attribute value too long",
                                      path=self.pointer(el) + suffix, data=self.data,
                                      offset=element_offset(self.data, el))
        if typed and text[:1] in _TYPED_FIRST and _LOOKS_TYPED.fullmatch(text):
            self.typed += 1
            if self.typed_first is None:
                self.typed_first = (el, suffix, text)

    def find(self, code, el: etree._Element, path: str, suffix: str, detail: str | None,
             where: etree._Element | None = None) -> None:
        """Count a finding about element `el` (placed at `where`, default `el`); one issue per
        (code, element path) is reported at the end."""
        finding = self.findings.get((code, path, suffix))
        if finding is None:
            self.findings[(code, path, suffix)] = [el, suffix, 1, detail, where]
        else:
            finding[2] += 1

    def drop_outside(self, root: etree._Element) -> None:
        """Comments and processing instructions before or after the root element."""
        for sibling in (*root.itersiblings(preceding=True), *root.itersiblings()):
            code = Code.XML_COMMENT_DROPPED if sibling.tag is etree.Comment else Code.XML_PI_DROPPED
            self.find(code, root, "<outside>", "", None)

    def report(self) -> None:
        located = 0
        for single_path, el in self.single.items():
            other = self.repeated.get(single_path)
            if other is not None:
                located += 1
                self.note(Code.XML_ARRAY_GUESSED, el, "", located,
                          f"element {_key(el.tag)!r} is single here but repeated at {self.pointer(other)}; read as "
                          "a single value (no schema says it is an array)")
        for (code, path, _), (el, suffix, count, detail, where) in self.findings.items():
            located += 1
            times = f" ({count} times under this element path)" if count > 1 else ""
            if code is Code.XML_SIBLING_ORDER_LOST:
                message = (f"elements {detail!r} are separated by other elements; gathered into one array, "
                           f"their order among the others is lost{times}")
            elif code is Code.XML_MIXED_CONTENT:
                message = f"text beside child elements kept as one #text; its position among them is lost{times}"
            elif path == "<outside>":
                kind = "comment" if code is Code.XML_COMMENT_DROPPED else "processing instruction"
                message = f"{kind} outside the root element dropped" + (f" ({count} of them)" if count > 1 else "")
            else:
                kind = "comment" if code is Code.XML_COMMENT_DROPPED else "processing instruction"
                message = f"{kind} dropped{times}"
            self.note(code, el, suffix, located, message, where)
        if self.typed:
            el, suffix, text = self.typed_first
            located += 1
            self.note(Code.XML_TEXT_NOT_TYPED, el, suffix, located,
                      f"{self.typed} text or attribute value(s) look like JSON numbers or booleans (first: {text[:40]!r}) "
                      "and were kept as strings: XML has no types without a schema")

    def note(self, code, el: etree._Element, suffix: str, located: int, message: str,
             where: etree._Element | None = None) -> None:
        offset = element_offset(self.data, where if where is not None else el) if located <= _LOCATED_ISSUES else None
        self.ctx.note(code, message, path=self.pointer(el) + suffix, data=self.data, offset=offset)

    def pointer(self, el: etree._Element) -> str:
        """The JSON Pointer of an element's value (computed only when an issue needs it)."""
        tokens = []
        while True:
            parent = el.getparent()
            if parent is None:
                if not self.unwrap:
                    tokens.append(_key(el.tag))
                break
            same = list(parent.iterchildren(el.tag))
            if len(same) > 1:
                tokens.append(str(same.index(el)))
            tokens.append(_key(el.tag))
            el = parent
        return "".join("/" + pointer_token(token) for token in reversed(tokens))


# -- the schema Shape ----------------------------------------------------------------------------

_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")
_DOUBLE_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?INF|NaN")
_BOOLEAN_TEXT = {"true": True, "1": True, "false": False, "0": False}  # xs:boolean


def member_shape(shape: Shape | None, key: str, attribute: bool = False) -> tuple[str, Shape] | None:
    """(member name, Shape) of member `key` in a value of `shape`, or None when the schema says
    nothing. With a schema, an attribute names a record field directly (`id`, not `@id`), and a
    namespaced name matches a field by its local name."""
    if shape is None:
        return None
    shape = shape.without_null()
    if shape.kind is Kind.MAP:
        return (key, shape.items) if shape.items is not None else None
    if shape.kind is not Kind.RECORD:
        return None
    name = key[1:] if attribute else key
    field = shape.field(key) if attribute else None
    if field is None:
        field = shape.field(name)
        if field is None and name[:1] == "{":
            field = shape.field(name[name.index("}") + 1:])
    return (field.name, field.shape) if field is not None else None


def _field(shape: Shape, key: str) -> tuple[str, Shape | None, bool]:
    """(member name, shape of each element, whether the member is an array) for an element key."""
    found = member_shape(shape, key)
    if found is None:
        return key, None, False
    name, member = found
    declared = member.without_null()
    if declared.kind is Kind.ARRAY:
        return name, declared.items, True
    return name, member, False


def _schema_says(shape: Shape | None, key: str, kind: Kind) -> bool:
    field = member_shape(shape, key)
    return field is not None and field[1] is not None and field[1].without_null().kind is kind


def _with_empty_arrays(out: dict, shape: Shape) -> dict:
    """An array field with no element at all is the empty array where the schema says array; it
    takes its place in the schema's field order."""
    shape = shape.without_null()
    if shape.kind is not Kind.RECORD or all(
            field.name in out or field.shape.without_null().kind is not Kind.ARRAY for field in shape.fields):
        return out
    ordered: dict = {}
    for field in shape.fields:
        if field.name in out:
            ordered[field.name] = out[field.name]
        elif field.shape.without_null().kind is Kind.ARRAY:
            ordered[field.name] = []
    for key, value in out.items():  # members the schema does not name keep their order, after the rest
        ordered.setdefault(key, value)
    return ordered


def typed_text(text: str, shape: Shape) -> Any:
    """Element or attribute text read as the type the schema gives it: the schema is what gives XML
    text a type. Text that does not parse as that type stays a string for conform() to refuse
    with the path; strings, bytes (base64), dates, decimals' other forms are left to conform()."""
    nullable = shape.nullable
    shape = shape.without_null()
    kind = shape.kind
    lexical = text.strip(write.WHITESPACE)
    if nullable and not lexical and kind is not Kind.STRING:
        return None
    if kind in INTEGER_KINDS:
        return int(lexical) if _INTEGER_TEXT.fullmatch(lexical) and len(lexical) <= 4300 else text
    if kind is Kind.DOUBLE or kind is Kind.FLOAT:
        if _DOUBLE_TEXT.fullmatch(lexical) and len(lexical) <= 4300:
            return float(lexical.replace("INF", "inf"))
        return text
    if kind is Kind.BOOL:
        flag = _BOOLEAN_TEXT.get(lexical)
        return text if flag is None else flag
    if kind is Kind.DECIMAL:
        return Decimal(lexical) if _DOUBLE_TEXT.fullmatch(lexical) and "N" not in lexical and len(lexical) <= 4300 else text
    if kind is Kind.NULL:
        return None if not lexical else text
    if (kind is Kind.MAP or kind is Kind.RECORD) and not lexical:
        return {}  # an empty element is the empty object where the schema says object
    return text


# -- encoding ------------------------------------------------------------------------------------

def encode(value: Any, ctx: Context, one_line: bool) -> str:
    return _Writer(ctx, one_line).document(value)


def indent_option(ctx: Context, one_line: bool) -> str | None:
    indent = ctx.options.get("indent", "0")
    if indent not in ("0", "2"):
        raise InvalidRequest(Issue(Code.INVALID_REQUEST, "options.indent",
                                   f"indent must be 0 or 2, not {indent!r}"))
    return "  " if indent == "2" and not one_line else None


class _Writer:
    """One encode: XML text as a list of parts, the namespaces it used, what it had to report.

    Paths travel as (parent, token) pairs and become JSON Pointers only when an issue needs one."""

    def __init__(self, ctx: Context, one_line: bool) -> None:
        self.ctx = ctx
        self.one_line = one_line
        self.indent = indent_option(ctx, one_line)
        self.max_depth = ctx.limits.max_depth
        self.parts: list[str] = []
        self.prefixes: dict[str, str] = {}  # namespace URI -> prefix, declared on the root element
        self.names: dict[str, str] = {}  # key -> qualified name (escaped if it had to be)
        self.namespace_slot = -1
        self.typed = 0
        self.typed_first: tuple = ()
        self.shape = ctx.schema.shape if ctx.schema is not None else None  # describes the root's content

    def document(self, value: Any) -> str:
        root = root_option(self.ctx)
        if root is not None:
            self.element(self.name(root, ()), value, (), 0, 0, self.shape)
        elif isinstance(value, dict) and len(value) == 1 and _is_element_member(value):
            key, item = next(iter(value.items()))
            self.element(self.name(key, ((), key)), item, ((), key), 1, 0, self.shape)
        else:
            self.ctx.note(Code.XML_ROOT_ADDED, "an XML document has one root element: the value is not an object "
                          f"with one element member, so it was wrapped in <{DEFAULT_ROOT}> (give the root option "
                          "to name it)", path="")
            self.element(DEFAULT_ROOT, value, (), 0, 0, self.shape)
        self.parts[self.namespace_slot] = "".join(
            f' xmlns:{prefix}="{write.attribute(uri)}"' for uri, prefix in self.prefixes.items()
            if prefix != "xml")
        if self.typed and self.shape is None:  # with a schema, the reader gets the types back
            self.ctx.note(Code.XML_TYPE_AS_TEXT, f"{self.typed} number(s), boolean(s) or date(s) written as element "
                          "or attribute text: without a schema they read back as strings (the xpath encoding keeps "
                          "JSON types)", path=_pointer(self.typed_first))
        return write.DECLARATION + ("" if self.one_line else "\n") + "".join(self.parts)

    def note(self, code, message: str, path: tuple) -> None:
        self.ctx.note(code, message, path=_pointer(path))

    # names

    def name(self, key: str, path: tuple) -> str:
        qname = self.names.get(key)
        if qname is None:
            qname = self.names[key] = self.qualify(key, path)
        return qname

    def qualify(self, key: str, path: tuple) -> str:
        parts = write.split_name(key)
        if parts is None:
            escaped = write.escape_name(key)
            self.note(Code.XML_NAME_ESCAPED, f"key {key!r} is not an XML name; written as {escaped!r}", path)
            return escaped
        uri, local = parts
        return local if uri is None else self.prefix(uri) + ":" + local

    def prefix(self, uri: str) -> str:
        prefix = self.prefixes.get(uri)
        if prefix is None:
            if uri == write.XML_NAMESPACE:
                prefix = "xml"
            elif uri == write.XSI_NAMESPACE:
                prefix = "xsi"
            else:
                prefix = f"ns{sum(1 for p in self.prefixes.values() if p.startswith('ns'))}"
            self.prefixes[uri] = prefix
        return prefix

    # values

    def element(self, qname: str, value: Any, path: tuple, depth: int, level: int, shape: Shape | None) -> None:
        """One element named `qname` holding `value` (at `path`; `shape` is what the schema says of
        it, if any)."""
        parts = self.parts
        kind = type(value)
        if kind is str and level:  # the common leaf
            if value:
                if write.ILLEGAL.search(value) is not None:
                    value = self.replace_illegal(value, path)
                parts.append(f"<{qname}>{write.text(value, self.one_line)}</{qname}>")
            else:
                parts.append(f"<{qname}/>")
            return
        if (kind is int or kind is float or kind is bool) and level:  # numbers: no escaping needed
            parts.append(f"<{qname}>{self.typed_text(value, path)}</{qname}>")
            return
        if level:
            parts.append("<" + qname)
        else:  # the root: namespace declarations go into its start tag once all are known
            parts.append("<" + qname)
            self.namespace_slot = len(parts)
            parts.append("")
        if kind is dict or isinstance(value, dict):
            if depth >= self.max_depth:
                raise self.ctx.over_limit("max_depth", "nesting too deep", path=_pointer(path))
            self.complex(qname, value, path, depth, level, shape)
        elif kind is list or isinstance(value, (list, tuple)):
            if depth >= self.max_depth:
                raise self.ctx.over_limit("max_depth", "nesting too deep", path=_pointer(path))
            self.note(Code.XML_ANONYMOUS_ARRAY, "an array with no member name has no element name of its own; "
                      f"its items were written as <{ITEM}> elements", path)
            if not value:
                parts.append("/>")
                return
            parts.append(">")
            pad = "\n" + self.indent * (level + 1) if self.indent else ""
            for index, item in enumerate(value):
                if pad:
                    parts.append(pad)
                self.element(ITEM, item, (path, index), depth + 1, level + 1, None)
            if pad:
                parts.append("\n" + self.indent * level)
            parts.append(f"</{qname}>")
        elif value is None:
            parts.append(f" {self.prefix(write.XSI_NAMESPACE)}:nil=\"true\"/>")
        else:
            content = self.scalar(value, path)
            parts.append(f">{write.text(content, self.one_line)}</{qname}>" if content else "/>")

    def complex(self, qname: str, value: dict, path: tuple, depth: int, level: int, shape: Shape | None) -> None:
        parts = self.parts
        text = None
        members = []
        attributes: set[str] | None = None
        for key, item in value.items():
            if type(key) is not str:
                if not isinstance(key, str):
                    self.note(Code.NON_STRING_KEY, f"key {key!r} written as text", path)
                key = str(key)
            first = key[:1]
            if first == ATTRIBUTE_PREFIX:
                member_path = (path, key)
                content = None if item is None or isinstance(item, (dict, list, tuple)) else self.scalar(item, member_path)
                if content is None:
                    self.note(Code.XML_VALUE_DROPPED, "an attribute holds text only; this member holds "
                              f"{_kind(item)} and was left out", member_path)
                    continue
                name = self.name(key[1:], member_path)
                if attributes is None:
                    attributes = set()
                if name in attributes:
                    self.note(Code.XML_VALUE_DROPPED, f"attribute {name!r} is already written (two keys escape to "
                              "the same name); this one was left out", member_path)
                    continue
                attributes.add(name)
                parts.append(f' {name}="{write.attribute(content)}"')
            elif first == "#" and key == TEXT_KEY:
                if item is None or isinstance(item, (dict, list, tuple)):
                    self.note(Code.XML_VALUE_DROPPED, f"#text holds text only; this member holds {_kind(item)} "
                              "and was left out", (path, key))
                else:
                    text = self.scalar(item, (path, key))
            elif not item and isinstance(item, (list, tuple)):
                if not _schema_says(shape, key, Kind.ARRAY):  # with a schema the reader restores []
                    self.note(Code.XML_EMPTY_CONTAINER, "an empty array has no element to write; the member is "
                              "left out", (path, key))
            else:
                members.append((key, item))
        if not value and (shape is None or shape.without_null().kind not in (Kind.MAP, Kind.RECORD)):
            self.note(Code.XML_EMPTY_CONTAINER, 'an empty object is written as an empty element, which reads back '
                      'as ""', path)
        if not members and not text:
            parts.append("/>")
            return
        parts.append(">")
        if text:
            parts.append(write.text(text, self.one_line))
            if members:
                self.note(Code.XML_MIXED_CONTENT, "#text beside element members makes mixed content", (path, TEXT_KEY))
        pad = "\n" + self.indent * (level + 1) if self.indent and not text else ""
        level += 1
        depth += 1
        for key, item in members:
            item_shape = None
            if shape is not None:
                found = member_shape(shape, key)
                item_shape = found[1] if found is not None else None
            qname_of = self.names.get(key) or self.name(key, (path, key))
            if type(item) is list or isinstance(item, (list, tuple)):
                self.repeated(qname_of, item, (path, key), depth, level, pad, item_shape)
            else:
                if pad:
                    parts.append(pad)
                self.element(qname_of, item, (path, key), depth, level, item_shape)
        if pad:
            parts.append("\n" + self.indent * (level - 1))
        parts.append(f"</{qname}>")

    def repeated(self, qname: str, items: list, path: tuple, depth: int, level: int, pad: str,
                 shape: Shape | None) -> None:
        """An array member: one element per item."""
        if depth >= self.max_depth:
            raise self.ctx.over_limit("max_depth", "nesting too deep", path=_pointer(path))
        declared = shape.without_null() if shape is not None else None
        if declared is not None and declared.kind is Kind.ARRAY:  # a reader with the schema knows
            shape = declared.items
        else:
            shape = None
            if len(items) == 1:
                self.note(Code.XML_ARRAY_OF_ONE, f"a one-item array is written as one <{qname}>, which reads back "
                          "as a single value without a schema", path)
        parts = self.parts
        for index, entry in enumerate(items):
            if pad:
                parts.append(pad)
            self.element(qname, entry, (path, index), depth + 1, level, shape)

    def scalar(self, value: Any, path: tuple) -> str:
        """The text of a scalar; a string keeps its type, anything else is counted as typed-as-text."""
        text = value if type(value) is str else self.typed_text(value, path)
        if write.ILLEGAL.search(text) is not None:
            text = self.replace_illegal(text, path)
        return text

    def replace_illegal(self, text: str, path: tuple) -> str:
        self.note(Code.XML_CHARACTER_REPLACED, "a character XML 1.0 cannot hold (a control character, U+FFFE/U+FFFF "
                  "or a lone surrogate) was replaced by U+FFFD", path)
        return write.ILLEGAL.sub("\ufffd", text)

    def typed_text(self, value: Any, path: tuple) -> str:
        if isinstance(value, str):
            return str(value)
        if isinstance(value, (bytes, bytearray, memoryview)):
            self.note(Code.BINARY_AS_BASE64, "binary data written as base64 text", path)
            return base64.b64encode(bytes(value)).decode("ascii")
        if not self.typed:
            self.typed_first = path
        self.typed += 1
        if value is True or value is False:
            return "true" if value else "false"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            if math.isfinite(value):
                return orjson.dumps(value).decode("ascii")
            return _non_finite(value)
        if isinstance(value, Decimal):
            return str(value) if value.is_finite() else _non_finite(float(value))
        if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
            return value.isoformat()
        return str(value)  # UUID and anything else with a text form


def _pointer(path: tuple) -> str:
    """The JSON Pointer of a (parent, token) path."""
    tokens = []
    while path:
        path, token = path
        tokens.append(token)
    return "".join("/" + pointer_token(token) for token in reversed(tokens))


def _is_element_member(value: dict) -> bool:
    key, item = next(iter(value.items()))
    return (isinstance(key, str) and key[:1] != ATTRIBUTE_PREFIX and key != TEXT_KEY
            and not isinstance(item, (list, tuple)))


def _non_finite(value: float) -> str:
    """xs:double's lexical forms for the values JSON has no number for."""
    if math.isnan(value):
        return "NaN"
    return "INF" if value > 0 else "-INF"


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return "an array" if isinstance(value, (list, tuple)) else "an object"
