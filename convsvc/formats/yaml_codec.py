"""YAML codec: YAML 1.2 core-schema streams <-> plain Python values, on rapidyaml and libyaml (C/C++).

Why these two, and how their gaps are covered: docs/yaml-library.md. In short, rapidyaml (the most
conformant parser with a usable binding) parses into its C++ tree by default; libyaml's event
stream (PyYAML's C binding) reads what rapidyaml gets wrong or would cost too much (payloads with
tabs, collection keys, large dense payloads). One rule set serves both: an iterative loop folds the
tree or the events into plain values and applies the YAML 1.2 core schema, the tag policy, the key
rules and every limit as it goes — alias expansions are counted from anchored node sizes (nothing
is expanded), recursion and depth are refused before anything large is built. Encoding walks the
values and feeds events to libyaml's C emitter, quoting every string that a YAML 1.1 or 1.2 reader
would resolve to a non-string.
"""

from __future__ import annotations

import base64
import binascii
import ctypes
import datetime
import decimal
import functools
import io
import math
import re
import urllib.parse
import uuid
from typing import Any

import ryml
from yaml import YAMLError
from yaml._yaml import CEmitter, CParser
from yaml.events import (
    AliasEvent, DocumentEndEvent, DocumentStartEvent, MappingEndEvent, MappingStartEvent, ScalarEvent,
    SequenceEndEvent, SequenceStartEvent, StreamEndEvent, StreamStartEvent,
)

from convsvc.formats.codec import Encoding
from convsvc.model import Code, Context, Mode
from convsvc.model.positions import child_pointer

NAME = "yaml"
DESCRIPTION = "YAML 1.2 (core schema): a stream of zero or more documents; anchors and aliases, core tags only."
SCHEMA_TYPES = ("json",)  # JSON Schema validates YAML documents as it does JSON ones (in the engine)
ENCODINGS = {
    "yaml": Encoding(
        name="yaml",
        description="A YAML stream; each document is one value. Records of the stream form are "
                    "documents separated by `---` / `...` markers at column 0.",
        multi_document=True,
    ),
}

CORE = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (CORE + name for name in ("str", "int", "float", "bool", "null"))
_BINARY, _SEQ, _MAP = CORE + "binary", CORE + "seq", CORE + "map"
_BOM = "\ufeff"

# -- YAML 1.2 core schema ------------------------------------------------------------------------

_CORE_WORDS: dict[str, Any] = {
    "": None, "~": None, "null": None, "Null": None, "NULL": None,
    "true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False,
    ".inf": math.inf, ".Inf": math.inf, ".INF": math.inf,
    "+.inf": math.inf, "+.Inf": math.inf, "+.INF": math.inf,
    "-.inf": -math.inf, "-.Inf": -math.inf, "-.INF": -math.inf,
    ".nan": math.nan, ".NaN": math.nan, ".NAN": math.nan,
}
# first characters of every plain scalar the core schema does not resolve to a string
_NOT_STR_FIRST = frozenset("0123456789+-.~nNtTfF")
_NUMBER = re.compile(r"(?P<int>[-+]?[0-9]+)|0o(?P<oct>[0-7]+)|0x(?P<hex>[0-9a-fA-F]+)"
                     r"|(?P<float>[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)")
_BASES = {"int": 10, "oct": 8, "hex": 16}


class ScalarRefused(Exception):
    """A scalar the core schema cannot hold: (code or limit name, message). Turned into a
    ConversionError with path and position by the decoder."""

    def __init__(self, what: Code | str, message: str) -> None:
        super().__init__(message)
        self.what = what
        self.message = message


def _number(text: str, max_chars: int) -> Any:
    """A core-schema int or float from text, or text itself when it is neither."""
    match = _NUMBER.fullmatch(text)
    if match is None:
        return text
    if len(text) > max_chars:
        raise ScalarRefused("max_number_chars", f"a {len(text)}-character number")
    kind = match.lastgroup
    if kind == "float":
        value = float(text)
        if value in (math.inf, -math.inf):
            raise ScalarRefused(Code.NUMBER_OUT_OF_RANGE, f"{text} does not fit a double")
        return value
    try:
        return int(match.group(kind), _BASES[kind])
    except ValueError:  # past Python's int_max_str_digits: only when max_number_chars is set that high
        raise ScalarRefused("max_number_chars", f"a {len(text)}-character integer") from None


def resolve_plain(text: str, max_number_chars: int = 1000) -> Any:
    """The value of an untagged plain scalar under the YAML 1.2 core schema: null (~, null, Null,
    NULL, empty), bool (true/True/TRUE, false/...), int (decimal with optional sign, 0o octal,
    0x hex), float (decimal/exponent, [-+].inf, .nan in three spellings); anything else is a string.
    yes/no/on/off/y/n, 1:20, 1_000 and dates stay strings; 017 is 17."""
    if text[:1] not in _NOT_STR_FIRST and text:
        return text
    word = _CORE_WORDS.get(text, text)
    if word is not text:
        return word
    if text[0] in "0123456789+-.":
        return _number(text, max_number_chars)
    return text


def _tagged_scalar(tag: str, text: str, max_number_chars: int) -> Any:
    """A scalar with an explicit core tag (the tag already checked to be one of ours)."""
    if tag == _STR:
        return text
    if tag == _BINARY:
        try:
            return base64.b64decode("".join(text.split()), validate=True)
        except (binascii.Error, ValueError):
            raise ScalarRefused(Code.SYNTAX_ERROR, "!!binary content is not valid base64") from None
    value = _CORE_WORDS.get(text, text)
    if value is text and text[:1] in "0123456789+-.":
        value = _number(text, max_number_chars)
    if tag == _INT and value.__class__ is int:
        return value
    if tag == _FLOAT and value.__class__ in (int, float):
        return float(value)
    if tag == _BOOL and value.__class__ is bool:
        return value
    if tag == _NULL and value is None:
        return None
    raise ScalarRefused(Code.SYNTAX_ERROR, f"{_short_tag(tag)} {text!r} is not a valid {_short_tag(tag)[2:]}")


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(CORE):] if tag.startswith(CORE) else tag


# -- keys as text (ROBUST) and flow text ----------------------------------------------------------

def _float_text(value: float) -> str:
    """A float as YAML 1.1 and 1.2 readers both read it back: repr precision, a '.' before any
    exponent, .inf/-.inf/.nan."""
    if value != value:
        return ".nan"
    if value in (math.inf, -math.inf):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    if "e" in text and "." not in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}.0e{exponent}"
    return text


def key_text(key: Any) -> str:
    """The text a non-string mapping key becomes in ROBUST mode: its canonical YAML 1.2 flow text.
    1 -> "1", 2.5 -> "2.5", true -> "true", null -> "null", inf -> ".inf", !!binary -> base64 text,
    [1, a] -> "[1, a]", {a: 1} -> "{a: 1}" (strings inside collections quoted when they need it)."""
    if key.__class__ is str:
        return key
    if key.__class__ is bytes:
        return base64.b64encode(key).decode("ascii")
    return _flow_text(key)


def _flow_scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if value.__class__ is int:
        return str(value)
    if value.__class__ is float:
        return _float_text(value)
    if value.__class__ is bytes:
        return "!!binary " + base64.b64encode(value).decode("ascii")
    text = str(value)
    if text and not needs_quotes(text) and _FLOW_PLAIN.fullmatch(text):
        return text
    return _double_quoted(text)


_FLOW_PLAIN = re.compile(r"[^\s\-?:,\[\]{}#&*!|>'\"%@`](?:[^\s,\[\]{}:#]|:(?![\s,\[\]{}])| (?![\s#]))*")


def _double_quoted(text: str) -> str:
    out = ['"']
    for char in text:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif code < 0x20 or code == 0x7F or 0x80 <= code < 0xA0 or char in "\u2028\u2029\ufeff":
            out.append(f"\\u{code:04x}" if code > 0xFF else f"\\x{code:02x}")
        elif 0xD800 <= code < 0xE000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _flow_text(value: Any) -> str:
    """Flow-style YAML text of a value, built iteratively (keys can nest as deep as max_depth)."""
    out: list[str] = []
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if item.__class__ is _Raw:
            out.append(item.text)
        elif isinstance(item, list):
            stack.append(_Raw("]"))
            for index in range(len(item) - 1, -1, -1):
                stack.append(item[index])
                if index:
                    stack.append(_Raw(", "))
            out.append("[")
        elif isinstance(item, dict):
            stack.append(_Raw("}"))
            pairs = list(item.items())
            for index in range(len(pairs) - 1, -1, -1):
                stack.append(pairs[index][1])
                stack.append(_Raw(": "))
                stack.append(_Raw(_flow_scalar(pairs[index][0])))
                if index:
                    stack.append(_Raw(", "))
            out.append("{")
        else:
            out.append(_flow_scalar(item))
    return "".join(out)


class _Raw:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


# -- decode --------------------------------------------------------------------------------------

_NO_KEY = object()  # a mapping waiting for its next key


class _Refused(Exception):
    """Raised inside a parser route to hand its ConversionError to the router (which may try the
    other route on a syntax error)."""

    def __init__(self, error: Exception, syntax: bool) -> None:
        self.error = error
        self.syntax = syntax


def decode(data: bytes, ctx: Context) -> list[Any]:
    """Decode a YAML stream into its documents (plain values); see the module doc for the rules.

    Two parser routes, one rule set: rapidyaml (the most conformant; its C++ tree walked here) by
    default; libyaml's event stream where rapidyaml is known to go wrong or cost too much: payloads
    holding a tab (rapidyaml misreads tabs after indicators, e.g. `key:<TAB>value`, silently) or a
    `\\L` / `\\P` escape (it drops or folds the escapes before them: "\\r\\L\\L") — libyaml first,
    rapidyaml if libyaml finds a syntax error —, collection keys (which rapidyaml cannot hold), and
    payloads whose tree would pass _TREE_BUDGET.
    """
    data = bytes(data)
    limits = ctx.limits
    if len(data) > limits.max_message_bytes:
        raise ctx.over_limit("max_message_bytes", f"the payload is {len(data)} bytes")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ctx.refuse(Code.INVALID_UTF8, f"invalid UTF-8 byte 0x{data[exc.start]:02x}",
                         data=data, offset=exc.start) from None
    mark = len(ctx.report)
    try:
        over_budget = _tree_bytes_estimate(data) > _TREE_BUDGET
        unsafe = b"!" in data and _TAG_HAZARD.search(data) is not None  # rapidyaml may segfault: never it
        if over_budget or unsafe or b"\t" in data or b"\\L" in data or b"\\P" in data:
            try:
                return _EventFold(data, ctx).run()
            except _Refused as refused:
                # libyaml's syntax errors stand for large payloads, and where rapidyaml is known to be
                # lenient (a tab before a block collection) or to crash; otherwise rapidyaml has the last word
                if not refused.syntax or over_budget or unsafe or _TAB_BEFORE_BLOCK_COLLECTION.search(data):
                    raise
                first_refusal = refused
            del ctx.report.issues[mark:]  # notes of the abandoned route
            try:
                return _TreeFold(data, ctx).run()
            except _CollectionKeys:
                raise first_refusal from None
        try:
            return _TreeFold(data, ctx).run()
        except _CollectionKeys:
            del ctx.report.issues[mark:]
            return _EventFold(data, ctx).run()
        except _Refused as refused:
            if not refused.syntax or not _DOT_DASH_KEY.search(data):
                raise
            del ctx.report.issues[mark:]
            try:
                return _EventFold(data, ctx).run()
            except _Refused:
                raise refused from None  # rapidyaml's word stands
    except _Refused as refused:
        raise refused.error from None


# rapidyaml builds its whole tree first, ~300 bytes a node (measured; up to ~460 for deep nesting, whose
# parser keeps state per level): a payload dense with tiny nodes (`[[[[`, `- - - -`, `[],[],`) would cost
# 100-300 times its size before any limit is checked. Past this budget the libyaml route reads it
# instead: events, checked as they come, memory = the values. 24 MiB keeps the tree of any payload the
# rapidyaml route takes under ~40 MB, so 100 000-deep nesting is refused within the 50 MB bound
# (tests/hostile/test_bombs.py).
_TREE_BUDGET = 24 * 1024 * 1024
_NODE_BYTES = 300


def _tree_bytes_estimate(data: bytes) -> int:
    """An upper estimate of rapidyaml's tree size: every node follows one of these marks."""
    if len(data) * 2 * _NODE_BYTES <= _TREE_BUDGET:  # at most one node per 2 bytes: small enough
        return 0
    marks = len(data) - len(data.translate(None, b"\n,[{-:"))  # one C pass; `-`/`:` over-count `- `/`: `
    return marks * _NODE_BYTES


# rapidyaml 0.15.2 segfaults (it does not raise) when a node collects more than three tags: its "too many
# tags" error path crashes the process, after a tag that ends its line (`!a\n!b\n!c\n!d\nx`) or in flow
# context (`{! ! ! !`); both found by fuzz/fuzz_yaml.py. A node has at most one tag, so a payload where a
# tag ends its line (maybe after an anchor or a comment) or is followed by another tag (maybe past an
# anchor) goes to libyaml only, which refuses a second tag as a syntax error. The pattern starts with a
# literal (fast scan) and is possessive throughout (no backtracking): under 1 s per 10 MB of nothing but tags.
_TAG_HAZARD = re.compile(rb"!(?<![^ \t\r\n\[{,]!)[^ \t\r\n]*+(?:[ \t]++&[^ \t\r\n]*+)?+[ \t]*+"
                         rb"(?:(?:#[^\r\n]*+)?+[\r\n]|!)")


# a block indicator, a tab, then a block collection (`-<TAB>-`, `?<TAB>key:`): YAML requires spaces there
# (a block collection's indentation), libyaml refuses it and rapidyaml wrongly accepts it
_TAB_BEFORE_BLOCK_COLLECTION = re.compile(
    rb"^[ ]*[-?:][ ]*\t[ \t]*(?:[-?:](?:[ \t\r\n]|\Z)|[^\s#'\"\[{][^\r\n]*?:(?:[ \t\r\n]|\Z))", re.M)


# rapidyaml refuses a plain key starting with `.`, `-` or `:` (`.b: 1`, `-b: 1`, `:=b: 1`) that follows a
# block sequence written at its mapping's indentation (`a:\n- 1\n.b: 1`, as PyYAML writes it; `:` only in
# a nested mapping, found by fuzz/fuzz_roundtrip.py): when such a line is present, a rapidyaml syntax
# error gets a second opinion from libyaml
_DOT_DASH_KEY = re.compile(rb"^[ ]*(?:\.|-(?=[^ \t\r\n-])|:(?=[^ \t\r\n]))[^\r\n]*:", re.M)


class _CollectionKeys(Exception):
    """rapidyaml cannot hold a collection as a mapping key: the libyaml route reads those."""


class _Fold:
    """What both parser routes share: paths, keys, and how refusals are raised. Subclasses keep
    `stack` frames with the frame's path token at index 3, `cur` (the open collection), `is_map`
    and `key` (the pending key of the open mapping, or _NO_KEY)."""

    def __init__(self, data: bytes, ctx: Context) -> None:
        self.data = data
        self.ctx = ctx
        self.robust = ctx.mode is Mode.ROBUST
        self.stack: list[tuple] = []
        self.cur: Any = None
        self.is_map = False
        self.key: Any = _NO_KEY

    # positions and paths, computed only when something is reported
    def container_path(self) -> str:
        """JSON Pointer of the open collection (a frame's token names its collection in the parent)."""
        path = ""
        for frame in self.stack:
            token = frame[3]
            if token is not None:
                path = child_pointer(path, "(key)" if token is _NO_KEY else token)
        return path

    def node_path(self) -> str:
        """JSON Pointer of the node being read: the next child of the open collection (a key is
        reported at its mapping)."""
        if self.cur is None:
            return ""
        path = self.container_path()
        if not self.is_map:
            return child_pointer(path, len(self.cur))
        return path if self.key is _NO_KEY else child_pointer(path, self.key)

    def refuse(self, code: Code, message: str, offset: int | None, path: str | None = None) -> _Refused:
        error = self.ctx.refuse(code, message, path=self.node_path() if path is None else path,
                                data=self.data, offset=offset)
        return _Refused(error, syntax=code is Code.SYNTAX_ERROR)

    def over(self, limit: str, message: str, offset: int | None, path: str | None = None) -> _Refused:
        error = self.ctx.over_limit(limit, message, path=self.node_path() if path is None else path,
                                    data=self.data, offset=offset)
        return _Refused(error, syntax=False)

    def scalar_refused(self, refusal: ScalarRefused, offset: int | None) -> _Refused:
        if isinstance(refusal.what, str):
            return self.over(refusal.what, refusal.message, offset)
        return self.refuse(refusal.what, refusal.message, offset)

    def text_key(self, key: Any, offset: int | None) -> str:
        """A non-string key: FRAGILE refuses it, ROBUST turns it into text and notes it."""
        path = self.container_path()
        if not self.robust:
            raise self.refuse(Code.NON_STRING_KEY, f"mapping key {_flow_text(key)} is not a string",
                              offset, path)
        text = key_text(key)
        self.ctx.note(Code.NON_STRING_KEY, f"mapping key {_flow_text(key)} became the string {text!r}",
                      path=path, data=self.data, offset=offset)
        if text in self.cur:
            self.duplicate(text, offset)
        return text

    def duplicate(self, key: str, offset: int | None) -> None:
        path = child_pointer(self.container_path(), key)  # FRAGILE refuses after the stage, listing every one
        self.ctx.note(Code.DUPLICATE_KEY, f"duplicate key {key!r}: the last value is kept",
                      path=path, data=self.data, offset=offset)

    def tag_refused(self, tag: str, kind: str, offset: int | None) -> _Refused:
        """A tag that is not ours, or one of ours on the wrong kind of node."""
        if tag in _SCALAR_TAGS or tag in (_SEQ, _MAP):
            return self.refuse(Code.SYNTAX_ERROR, f"tag {_short_tag(tag)} on {kind}", offset)
        return self.refuse(Code.UNSUPPORTED_TAG, f"tag {_short_tag(tag)} is outside the YAML 1.2 core schema",
                           offset)


_SCALAR_TAGS = frozenset((_STR, _INT, _FLOAT, _BOOL, _NULL, _BINARY))


# -- route 1: rapidyaml's tree -------------------------------------------------------------------

class _PyBuffer(ctypes.Structure):
    _fields_ = [("buf", ctypes.c_void_p), ("obj", ctypes.c_void_p), ("len", ctypes.c_ssize_t),
                ("itemsize", ctypes.c_ssize_t), ("readonly", ctypes.c_int), ("ndim", ctypes.c_int),
                ("format", ctypes.c_char_p), ("shape", ctypes.c_void_p), ("strides", ctypes.c_void_p),
                ("suboffsets", ctypes.c_void_p), ("internal", ctypes.c_void_p)]


_get_buffer = ctypes.pythonapi.PyObject_GetBuffer
_get_buffer.argtypes = (ctypes.py_object, ctypes.POINTER(_PyBuffer), ctypes.c_int)
_get_buffer.restype = ctypes.c_int
_release_buffer = ctypes.pythonapi.PyBuffer_Release
_release_buffer.argtypes = (ctypes.POINTER(_PyBuffer),)
_release_buffer.restype = None


def _address(view: Any) -> int | None:
    """Memory address of a buffer (rapidyaml's scalar views point into the parsed buffer, so
    address - buffer start = byte offset: the Python API has no node positions otherwise)."""
    if view is None:
        return None
    buffer = _PyBuffer()
    if _get_buffer(view, ctypes.byref(buffer), 0) != 0:
        return None
    try:
        return buffer.buf
    finally:
        _release_buffer(ctypes.byref(buffer))


_T_MAP = ryml.MAP
_T_KEYREF, _T_VALREF, _T_KEYANCH, _T_VALANCH = ryml.KEYREF, ryml.VALREF, ryml.KEYANCH, ryml.VALANCH
_T_KEYTAG, _T_VALTAG, _T_KEYQUO, _T_VALQUO = ryml.KEYTAG, ryml.VALTAG, ryml.KEYQUO, ryml.VALQUO
_T_CONTAINER = ryml.MAP | ryml.SEQ
_T_KEY_SPECIAL = ryml.KEYREF | ryml.KEYANCH | ryml.KEYTAG
_T_VAL_SPECIAL = ryml.VALREF | ryml.VALANCH | ryml.VALTAG
_RYML_NONE = ryml.NONE
_TAG_LINE = re.compile(rb"^%TAG[ \t]+(\S+)[ \t]+(\S+)", re.M)
_DOC_START = re.compile(rb"^---(?=[ \t\r\n]|\Z)", re.M)


def _tree_calls(tree: Any) -> tuple:
    """type, key, val, first_child, next_sibling of a tree, bound to the SWIG functions themselves
    (skipping ryml.Tree's Python wrapper methods halves their cost on the hot loop)."""
    raw = getattr(ryml, "_ryml", None)
    names = ("Tree_type", "Tree_key", "Tree_val", "Tree_first_child", "Tree_next_sibling")
    if raw is not None and all(hasattr(raw, name) for name in names):
        return tuple(functools.partial(getattr(raw, name), tree) for name in names)
    return tree.type, tree.key, tree.val, tree.first_child, tree.next_sibling


class _TreeFold(_Fold):
    """rapidyaml parses the whole stream into its C++ tree; one loop with an explicit stack walks it
    in document order (anchors before their aliases), applying the rules as _EventFold does."""

    def run(self) -> list[Any]:
        try:
            # parsed in the tree's arena (in-place parsing returns garbage for escapes like "\N\N"),
            # where the payload's copy starts the arena: scalar views that point into the copy give
            # byte offsets (scalars that grew when unescaped live past it)
            tree = ryml.parse_in_arena(self.data)
        except ryml.ExceptionParse as exc:
            message = str(exc.msg).strip()
            offset = exc.errdata_parse.ymlloc.offset
            if "containers as keys" in message:
                raise _CollectionKeys() from None
            if "nest" in message and "deep" in message:
                raise self.over("max_depth", message, offset, "") from None
            raise self.refuse(Code.SYNTAX_ERROR, message or "not well-formed YAML", offset, "") from None
        except ryml.ExceptionBasic as exc:
            raise self.refuse(Code.SYNTAX_ERROR, str(exc.msg).strip() or "not well-formed YAML", None, "") from None
        self.tree = tree
        end = _address(tree._to_arena_buffer(b"")) if hasattr(tree, "_to_arena_buffer") else None
        self.base = None if end is None else end - tree.arena_size()
        self.has_tag_directives = b"%TAG" in self.data
        root = tree.root_id()
        kind = tree.type(root)
        if kind == 0:  # an empty stream (nothing, or only comments)
            return []
        if tree.is_stream(root):
            docs, child = [], tree.first_child(root)
            while child != _RYML_NONE:
                docs.append(child)
                child = tree.next_sibling(child)
        else:
            docs = [root]
        if len(docs) > self.ctx.limits.max_documents:
            raise self.over("max_documents", "too many documents in the stream", None, "")
        documents = []
        for doc in docs:
            self.ctx.checkpoint()  # the caller may have given up (deadline, cancel)
            documents.append(self.document(doc))
        return documents

    # positions
    def offset(self, view: Any) -> int | None:
        address = _address(view)
        if address is None or self.base is None:
            return None
        offset = address - self.base
        return offset if 0 <= offset < len(self.data) else None

    def node_offset(self, node: int, part: str = "val") -> int | None:
        """Best byte offset for a node: its tag, anchor or text (or its key's), else its first
        descendant's (iteratively: the node may nest deep)."""
        tree = self.tree
        while True:
            kind = tree.type(node)
            if part == "key":
                candidates = (kind & _T_KEYTAG and tree.key_tag(node), kind & _T_KEYANCH and tree.key_anchor(node),
                              tree.key(node) if tree.has_key(node) else None)
            else:
                candidates = (kind & _T_VALTAG and tree.val_tag(node), kind & _T_VALANCH and tree.val_anchor(node),
                              tree.val(node) if not kind & _T_CONTAINER else None,
                              tree.key(node) if tree.has_key(node) else None)
            for view in candidates:
                if view:
                    offset = self.offset(view)
                    if offset is not None:
                        while offset > 0 and self.data[offset - 1:offset] in (b"!", b"&", b"*", b"<"):
                            offset -= 1  # views of tags and anchors start after their indicator
                        return offset
            child = tree.first_child(node) if kind & _T_CONTAINER else _RYML_NONE
            if child == _RYML_NONE:
                return None
            node, part = child, "val"

    # tags as written -> full tags, with the document's %TAG directives
    def resolve_tag(self, view: Any, node: int, part: str) -> str:
        written = str(view, "utf-8")
        if written.startswith("<") and written.endswith(">"):
            return written[1:-1]  # verbatim !<...>
        if written == "!":
            return "!"
        if written.startswith("!!"):
            handle, suffix = "!!", written[2:]
        else:
            second = written.find("!", 1)
            handle, suffix = (written[:second + 1], written[second + 1:]) if second > 0 else ("!", written[1:])
        prefix = None
        if self.has_tag_directives:
            prefix = self.tag_directives(self.node_offset(node, part)).get(handle)
        if prefix is None:
            if handle == "!!":
                prefix = CORE
            elif handle == "!":
                prefix = "!"
            else:
                raise self.refuse(Code.SYNTAX_ERROR, f"tag handle {handle} has no %TAG directive in its document",
                                  self.node_offset(node, part))
        return prefix + urllib.parse.unquote(suffix)

    def tag_directives(self, offset: int | None) -> dict[str, str]:
        """The %TAG directives of the document holding `offset`: those just above its `---` line."""
        if offset is None:
            return {}
        starts = [match.start() for match in _DOC_START.finditer(self.data, 0, offset)]
        if not starts:
            return {}
        head_end = starts[-1]
        head_start = max(self.data.rfind(b"\n...", 0, head_end) + 1,
                         starts[-2] if len(starts) > 1 else 0)
        return {handle.decode(): prefix.decode() for handle, prefix
                in _TAG_LINE.findall(self.data, head_start, head_end)}

    def scalar(self, view: Any, kind: int, node: int, part: str, tagged: int, quoted: int) -> Any:
        """A key's or value's scalar (not an alias)."""
        text = "" if view is None else str(view, "utf-8")
        if kind & tagged:
            tag = self.resolve_tag(self.tree.key_tag(node) if part == "key" else self.tree.val_tag(node), node, part)
            if tag == "!":
                return text
            if tag not in _SCALAR_TAGS:
                raise self.tag_refused(tag, "a scalar", self.node_offset(node, part))
            try:
                return _tagged_scalar(tag, text, self.ctx.limits.max_number_chars)
            except ScalarRefused as refusal:
                raise self.scalar_refused(refusal, self.node_offset(node, part)) from None
        if kind & quoted or text[:1] not in _NOT_STR_FIRST and text:
            return text
        value = _CORE_WORDS.get(text, text)
        if value is text and text[0] in "0123456789+-.":
            try:
                value = _number(text, self.ctx.limits.max_number_chars)
            except ScalarRefused as refusal:
                raise self.scalar_refused(refusal, self.node_offset(node, part)) from None
        return value

    def document(self, doc: int) -> Any:
        tree, ctx = self.tree, self.ctx
        limits = ctx.limits
        max_depth, max_expansions = limits.max_depth, limits.max_alias_expansions
        quick_string = limits.max_string_bytes // 4 if len(self.data) > limits.max_string_bytes else len(self.data) + 1
        t_type, t_key, t_val, t_first, t_next = _tree_calls(tree)
        not_str_first, core_words, number_start, number = _NOT_STR_FIRST, _CORE_WORDS, "0123456789+-.", _number
        max_number_chars = limits.max_number_chars
        str_cls, none = str, _RYML_NONE
        container, key_special, val_special = _T_CONTAINER, _T_KEY_SPECIAL, _T_VAL_SPECIAL
        keyquo, valquo, t_map = _T_KEYQUO, _T_VALQUO, _T_MAP
        no_key = _NO_KEY
        stack = self.stack = []
        anchors: dict[str, tuple[Any, int, int]] = {}  # name -> (value, node count, height)
        open_anchors: set[str] = set()
        nodes = expanded = height = 0
        root: Any = None
        cur, is_map, key = None, False, no_key
        node = doc
        kind = t_type(node)
        while True:
            # -- `node` is the next child of `cur` (or the document root when cur is None)
            if is_map:
                # its key first
                if kind & key_special:
                    self.cur, self.is_map, self.key = cur, is_map, key
                    key, nodes, expanded = self.special_key(node, kind, anchors, open_anchors, nodes, expanded)
                else:
                    view = t_key(node)
                    key = "" if view is None else str(view, "utf-8")
                    if not kind & keyquo and (not key or key[0] in not_str_first):
                        key = core_words.get(key, key)
                        if key.__class__ is str_cls and key and key[0] in number_start:
                            try:
                                key = number(key, max_number_chars)
                            except ScalarRefused as refusal:
                                self.cur, self.is_map, self.key = cur, is_map, no_key
                                raise self.scalar_refused(refusal, self.node_offset(node, "key")) from None
                    nodes += 1
                if key.__class__ is not str_cls:
                    self.cur, self.is_map, self.key = cur, is_map, no_key
                    key = self.text_key(key, self.node_offset(node, "key"))
                elif key in cur:
                    self.cur, self.is_map, self.key = cur, is_map, no_key
                    self.duplicate(key, self.node_offset(node, "key"))
                if len(key) > quick_string:
                    self.cur, self.is_map, self.key = cur, is_map, no_key
                    self.check_string(key, node, "key")
            if kind & container:
                self.cur, self.is_map, self.key = cur, is_map, key
                if len(stack) >= max_depth:
                    raise self.over("max_depth", "the document nests deeper than allowed", self.node_offset(node))
                anchor = None
                if kind & val_special:
                    if kind & _T_VALTAG:
                        tag = self.resolve_tag(tree.val_tag(node), node, "val")
                        if tag != "!" and tag != (_MAP if kind & t_map else _SEQ):
                            raise self.tag_refused(tag, "a mapping" if kind & t_map else "a sequence",
                                                   self.node_offset(node))
                    if kind & _T_VALANCH:
                        anchor = str(tree.val_anchor(node), "utf-8")
                        open_anchors.add(anchor)
                new = {} if kind & t_map else []
                nodes += 1
                if cur is None:
                    token = None
                elif is_map:
                    token = key
                    cur[key] = new
                else:
                    token = len(cur)
                    cur.append(new)
                stack.append((cur, is_map, key, token, anchor, nodes, height, node))
                cur, is_map, key, height = new, bool(kind & t_map), no_key, 0
                child = t_first(node)
                if child != none:
                    node = child
                    kind = t_type(node)
                    continue
                value = None  # an empty collection: close it below
            else:
                if kind & val_special:
                    self.cur, self.is_map, self.key = cur, is_map, key
                    value, nodes, expanded, value_height = self.special_value(
                        node, kind, anchors, open_anchors, nodes, expanded)
                    if value_height:
                        if len(stack) + value_height > max_depth:
                            raise self.over("max_depth", "an alias nests deeper than allowed", self.node_offset(node))
                        if value_height > height:
                            height = value_height
                else:
                    view = t_val(node)
                    value = "" if view is None else str(view, "utf-8")
                    if not kind & valquo and (not value or value[0] in not_str_first):
                        value = core_words.get(value, value)
                        if value.__class__ is str_cls and value and value[0] in number_start:
                            try:
                                value = number(value, max_number_chars)
                            except ScalarRefused as refusal:
                                self.cur, self.is_map, self.key = cur, is_map, key
                                raise self.scalar_refused(refusal, self.node_offset(node)) from None
                    nodes += 1
                if value.__class__ is str_cls and len(value) > quick_string:
                    self.cur, self.is_map, self.key = cur, is_map, key
                    self.check_string(value, node, "val")
                if expanded > max_expansions:
                    self.cur, self.is_map, self.key = cur, is_map, key
                    raise self.over("max_alias_expansions", f"aliases expand to more than {max_expansions} nodes",
                                    self.node_offset(node))
                if cur is None:
                    return value
                if is_map:
                    cur[key] = value
                    key = no_key
                else:
                    cur.append(value)
            # -- move on: the next sibling, or close finished collections
            while True:
                sibling = t_next(node) if cur is not None and stack and node != stack[-1][7] else none
                if sibling != none:
                    node = sibling
                    kind = t_type(node)
                    break
                # `cur` is complete
                value = cur
                cur, is_map, key, _, anchor, first_node, parent_height, node = stack.pop()
                if anchor is not None:
                    anchors[anchor] = (value, nodes - first_node + 1, height + 1)
                    open_anchors.discard(anchor)
                height = max(parent_height, height + 1)
                if cur is None:
                    return value
                if is_map:
                    key = no_key
            continue

    def special_key(self, node: int, kind: int, anchors: dict, open_anchors: set, nodes: int,
                    expanded: int) -> tuple[Any, int, int]:
        tree = self.tree
        if kind & _T_KEYREF:
            value, size, _ = self.alias(str(tree.key_ref(node), "utf-8"), anchors, open_anchors,
                                        self.node_offset(node, "key"))
            return value, nodes + size, expanded + size
        value = self.scalar(tree.key(node), kind, node, "key", _T_KEYTAG, _T_KEYQUO)
        if kind & _T_KEYANCH:
            anchors[str(tree.key_anchor(node), "utf-8")] = (value, 1, 0)
        return value, nodes + 1, expanded

    def special_value(self, node: int, kind: int, anchors: dict, open_anchors: set, nodes: int,
                      expanded: int) -> tuple[Any, int, int, int]:
        tree = self.tree
        if kind & _T_VALREF:
            value, size, height = self.alias(str(tree.val_ref(node), "utf-8"), anchors, open_anchors,
                                             self.node_offset(node))
            return value, nodes + size, expanded + size, height
        value = self.scalar(tree.val(node), kind, node, "val", _T_VALTAG, _T_VALQUO)
        if kind & _T_VALANCH:
            anchors[str(tree.val_anchor(node), "utf-8")] = (value, 1, 0)
        return value, nodes + 1, expanded, 0

    def alias(self, name: str, anchors: dict, open_anchors: set, offset: int | None) -> tuple[Any, int, int]:
        if name in open_anchors:
            raise self.over("max_alias_expansions",
                            f"alias *{name} refers to a node that contains it: its expansion never ends", offset)
        if name not in anchors:
            raise self.refuse(Code.SYNTAX_ERROR, f"alias *{name} has no anchor before it", offset)
        return anchors[name]

    def check_string(self, value: str, node: int, part: str) -> None:
        size = len(value.encode("utf-8", "surrogatepass"))
        if size > self.ctx.limits.max_string_bytes:
            raise self.over("max_string_bytes", f"a {size}-byte string", self.node_offset(node, part))


# -- route 2: libyaml's events -------------------------------------------------------------------

class _EventFold(_Fold):
    """libyaml (PyYAML's C parser) yields events; one loop folds them into values."""

    def offset(self, mark: Any) -> int | None:
        """libyaml marks count characters and skip a leading BOM: turn one into a byte offset."""
        if mark is None:
            return None
        text = self.data.decode("utf-8")
        skip = 1 if text.startswith(_BOM) else 0
        return len(text[:mark.index + skip].encode("utf-8"))

    def run(self) -> list[Any]:
        limits = self.ctx.limits
        robust = self.robust
        max_depth, max_docs = limits.max_depth, limits.max_documents
        max_expansions, max_number_chars = limits.max_alias_expansions, limits.max_number_chars
        # a string longer than max_string_bytes // 4 characters may exceed it in UTF-8: only then measure
        quick_string = limits.max_string_bytes // 4 if len(self.data) > limits.max_string_bytes else len(self.data) + 1
        not_str_first, core_words, number = _NOT_STR_FIRST, _CORE_WORDS, _number
        scalar_cls, map_start, seq_start = ScalarEvent, MappingStartEvent, SequenceStartEvent
        map_end, seq_end, alias_cls = MappingEndEvent, SequenceEndEvent, AliasEvent
        no_key, str_cls = _NO_KEY, str

        get_event = CParser(self.data).get_event
        stack = self.stack
        documents: list[Any] = []
        anchors: dict[str, tuple[Any, int, int]] = {}  # name -> (value, node count, height)
        open_anchors: set[str] = set()  # anchors of collections still being read
        nodes = 0  # nodes read in this document, alias expansions included
        expanded = 0  # nodes produced by aliases in this document
        height = 0  # height of the deepest child completed in the open collection
        root: Any = None
        cur, is_map, key = None, False, no_key
        event = None
        try:
            while True:
                event = get_event()
                cls = event.__class__
                if cls is scalar_cls:
                    value = event.value
                    tag = event.tag
                    if tag is None:
                        if not event.style and (not value or value[0] in not_str_first):
                            value = core_words.get(value, value)
                            if value.__class__ is str_cls and value and value[0] in "0123456789+-.":
                                value = number(value, max_number_chars)
                    elif tag != "!":
                        self.cur, self.is_map, self.key = cur, is_map, key
                        value = self.tagged(event)
                    if value.__class__ is str_cls and len(value) > quick_string:
                        self.cur, self.is_map, self.key = cur, is_map, key
                        self.check_string(value, event)
                    if event.anchor is not None:
                        anchors[event.anchor] = (value, 1, 0)
                    nodes += 1
                elif cls is map_start or cls is seq_start:
                    self.cur, self.is_map, self.key = cur, is_map, key
                    if len(stack) >= max_depth:
                        raise self.over("max_depth", "the document nests deeper than allowed",
                                        self.offset(event.start_mark))
                    if event.tag is not None and event.tag != "!":
                        if event.tag != (_MAP if cls is map_start else _SEQ):
                            raise self.tag_refused(event.tag, "a mapping" if cls is map_start else "a sequence",
                                                   self.offset(event.start_mark))
                    if is_map and key is no_key and not robust:
                        raise self.refuse(Code.NON_STRING_KEY, "a mapping key is a collection",
                                          self.offset(event.start_mark), self.container_path())
                    new = {} if cls is map_start else []
                    nodes += 1
                    if cur is None:
                        token = None
                    elif is_map:
                        token = key
                        if key is not no_key:
                            cur[key] = new
                    else:
                        token = len(cur)
                        cur.append(new)
                    if event.anchor is not None:
                        open_anchors.add(event.anchor)
                    stack.append((cur, is_map, key, token, event.anchor, nodes, height, event.start_mark))
                    cur, is_map, key, height = new, cls is map_start, no_key, 0
                    continue
                elif cls is map_end or cls is seq_end:
                    value = cur
                    cur, is_map, key, _, anchor, first_node, parent_height, mark = stack.pop()
                    if anchor is not None:
                        anchors[anchor] = (value, nodes - first_node + 1, height + 1)
                        open_anchors.discard(anchor)
                    height = max(parent_height, height + 1)
                    if cur is None:
                        root = value
                    elif is_map:
                        if key is no_key:  # the collection was a key (ROBUST: refused above otherwise)
                            self.cur, self.is_map, self.key = cur, is_map, key
                            key = self.text_key(value, self.offset(mark))
                        else:
                            key = no_key
                    continue
                elif cls is alias_cls:
                    self.cur, self.is_map, self.key = cur, is_map, key
                    name = event.anchor
                    if name in open_anchors:
                        raise self.over("max_alias_expansions",
                                        f"alias *{name} refers to a node that contains it: its expansion never ends",
                                        self.offset(event.start_mark))
                    if name not in anchors:
                        raise self.refuse(Code.SYNTAX_ERROR, f"alias *{name} has no anchor before it",
                                          self.offset(event.start_mark))
                    value, size, value_height = anchors[name]
                    nodes += size
                    expanded += size
                    if expanded > max_expansions:
                        raise self.over("max_alias_expansions", f"aliases expand to more than {max_expansions} nodes",
                                        self.offset(event.start_mark))
                    if value_height and len(stack) + value_height > max_depth:
                        raise self.over("max_depth", f"alias *{name} nests deeper than allowed",
                                        self.offset(event.start_mark))
                    if value_height > height:
                        height = value_height
                elif cls is DocumentStartEvent:
                    self.ctx.checkpoint()  # the caller may have given up (deadline, cancel)
                    if len(documents) >= max_docs:
                        raise self.over("max_documents", "too many documents in the stream",
                                        self.offset(event.start_mark), "")
                    anchors.clear()
                    nodes = expanded = height = 0
                    continue
                elif cls is DocumentEndEvent:
                    documents.append(root)
                    root = None
                    continue
                elif cls is StreamEndEvent:
                    return documents
                else:  # StreamStartEvent
                    continue

                # a scalar or an alias: put `value` in place
                if is_map:
                    if key is no_key:
                        if value.__class__ is not str_cls:
                            self.cur, self.is_map, self.key = cur, is_map, key
                            value = self.text_key(value, self.offset(event.start_mark))
                        elif value in cur:
                            self.cur, self.is_map, self.key = cur, is_map, key
                            self.duplicate(value, self.offset(event.start_mark))
                        key = value
                    else:
                        cur[key] = value
                        key = no_key
                elif cur is not None:
                    cur.append(value)
                else:
                    root = value
        except ScalarRefused as refusal:
            self.cur, self.is_map, self.key = cur, is_map, key
            raise self.scalar_refused(refusal, self.offset(event.start_mark)) from None
        except YAMLError as exc:  # scanner, parser and reader errors all carry a position
            raise self.syntax_error(exc) from None

    # the rare paths, out of the loop
    def tagged(self, event: Any) -> Any:
        tag = event.tag
        if tag in _SCALAR_TAGS:
            return _tagged_scalar(tag, event.value, self.ctx.limits.max_number_chars)
        raise self.tag_refused(tag, "a scalar", self.offset(event.start_mark))

    def check_string(self, value: str, event: Any) -> None:
        size = len(value.encode("utf-8", "surrogatepass"))
        if size > self.ctx.limits.max_string_bytes:
            raise self.over("max_string_bytes", f"a {size}-byte string", self.offset(event.start_mark))

    def syntax_error(self, exc: YAMLError) -> _Refused:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        message = f"{context}: {problem}" if context else str(problem)
        if "maximum nesting depth" in message:
            return self.over("max_depth", "the document nests deeper than allowed (libyaml stops at 1000 levels)",
                             self.offset(mark), "")
        if mark is None and hasattr(exc, "position"):  # ReaderError: a character offset
            text = self.data.decode("utf-8")
            skip = 1 if text.startswith(_BOM) else 0
            return self.refuse(Code.SYNTAX_ERROR, str(exc).split("\n")[0],
                               len(text[:exc.position + skip].encode("utf-8")), "")
        return self.refuse(Code.SYNTAX_ERROR, message, self.offset(mark), "")


# -- encode --------------------------------------------------------------------------------------

# Strings a YAML 1.1 or 1.2 reader could resolve to something else when written plain: the union of
# the 1.2 core schema, the 1.1 type repository (bool with y/n/yes/no/on/off, int with 0b/0/0x/_/
# sexagesimal, float, null, timestamp, merge `<<`, value `=`), and PyYAML's readings of them.
_RISKY_WORDS = frozenset(
    "y Y yes Yes YES n N no No NO true True TRUE false False FALSE on On ON off Off OFF "
    "null Null NULL ~ = <<".split()
) | {""}
_RISKY_FIRST = frozenset("0123456789+-.:")
_RISKY_NUMBER = re.compile(
    r"""[-+]?(?:
        [0-9][0-9_]*(?::[0-5]?[0-9])*(?:\.[0-9._]*)?(?:[eE][-+]?[0-9]+)?   # 1.1/1.2 ints, floats, sexagesimal
      | \.[0-9][0-9._]*(?:[eE][-+]?[0-9]+)?                              # .5, .5e3
      | \.[0-9.]*                                                        # 1.1 spec's loose float
      | 0b[0-1_]+ | 0o[0-7_]+ | 0x[0-9a-fA-F_]+                          # binary, octal, hex
      | \.(?:inf|Inf|INF|nan|NaN|NAN)
    )
    | [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?
      (?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?                   # 1.1 timestamp
    """,
    re.VERBOSE,
)
# characters that YAML 1.1 treats as line breaks and 1.2 does not (and CR, which readers normalise):
# strings holding them are written double-quoted, where libyaml escapes them
_AMBIGUOUS_BREAKS = re.compile("[\r\x85\u2028\u2029]")


def needs_quotes(text: str) -> bool:
    """True when a YAML 1.1 or 1.2 reader would not read `text`, written plain, as this string."""
    if text in _RISKY_WORDS:
        return True
    return text[0] in _RISKY_FIRST and _RISKY_NUMBER.fullmatch(text) is not None


_PLAIN_OK, _QUOTE = (True, True), (False, True)  # ScalarEvent implicit flags: may it be plain?
_NOT_STR = (True, False)  # a non-string scalar: plain, untagged


def _complex_key(key: Any) -> bool:
    """Would libyaml write this key as an explicit `? key` (a line break, or over 128 bytes)?"""
    return key.__class__ is not str or len(key.encode("utf-8", "surrogatepass")) > 128 or \
        _AMBIGUOUS_BREAKS.search(key) is not None or "\n" in key


def _decimal_text(value: decimal.Decimal) -> str:
    if value.is_nan():
        return ".nan"
    if value.is_infinite():
        return "-.inf" if value < 0 else ".inf"
    text = str(value)
    if "E" in text:
        mantissa, exponent = text.split("E")
        if "." not in mantissa:
            mantissa += ".0"
        text = f"{mantissa}e{exponent}"
    return text


def _emit_document(emit, value: Any, ctx: Context, explicit: bool) -> None:
    """Emit one document's events: an iterative walk (no recursion limit) with a depth guard that
    also stops cycles."""
    max_depth = ctx.limits.max_depth
    str_cls, int_cls, float_cls, list_cls, dict_cls = str, int, float, list, dict
    scalar, needs, risky_first, risky_words = ScalarEvent, needs_quotes, _RISKY_FIRST, _RISKY_WORDS
    breaks = _AMBIGUOUS_BREAKS
    seq_end, map_end = SequenceEndEvent(), MappingEndEvent()
    emit(DocumentStartEvent(explicit=explicit))
    # each frame: (iterator over the collection's children, is_mapping, path token of the collection)
    stack: list[tuple[Any, bool, Any]] = []
    item: Any = value
    token: Any = None
    complex_key = False  # is `item` the value of a key that libyaml writes as `? key`?
    path_tokens: list[Any] = []
    try:
        while True:
            cls = item.__class__
            if cls is str_cls:
                if item.isascii():
                    style = '"' if "\r" in item else ("|" if "\n" in item else None)
                elif breaks.search(item):
                    style = '"'
                else:
                    style = "|" if "\n" in item else None
                plain = _QUOTE if (item in risky_words or item[0] in risky_first and needs(item)) else _PLAIN_OK
                emit(scalar(None, None, plain, item, style=style))
            elif cls is dict_cls or cls is list_cls:
                if len(stack) >= max_depth:
                    raise ctx.over_limit("max_depth", "the value nests deeper than allowed (or holds a cycle)",
                                         path=_pointer(path_tokens))
                if cls is dict_cls:
                    # libyaml writes the value of an explicit (`? `) key compactly after `: `; rapidyaml
                    # misreads `: ? key` there, so such a mapping is written in flow style instead
                    flow = not item or (complex_key and _complex_key(next(iter(item))))
                    emit(MappingStartEvent(None, None, True, flow_style=flow))
                    stack.append((iter(item.items()), True, token))
                else:
                    emit(SequenceStartEvent(None, None, True, flow_style=False if item else True))
                    stack.append((iter(enumerate(item)), False, token))
                path_tokens.append(token)
            elif cls is int_cls:
                emit(scalar(None, None, _NOT_STR, int.__repr__(item)))
            elif cls is float_cls:
                emit(scalar(None, None, _NOT_STR, _float_text(item)))
            elif item is None:
                emit(scalar(None, None, _NOT_STR, "null"))
            elif cls is bool:
                emit(scalar(None, None, _NOT_STR, "true" if item else "false"))
            else:
                _emit_other(emit, item, ctx, path_tokens)
            # advance to the next item, closing finished collections
            while stack:
                children, is_mapping, _ = stack[-1]
                child = next(children, None)
                if child is None:
                    stack.pop()
                    path_tokens.pop()
                    emit(map_end if is_mapping else seq_end)
                    continue
                token, item = child
                complex_key = False
                if is_mapping:
                    key = token
                    if key.__class__ is not str_cls:
                        key = key_text(key)
                        ctx.note(Code.NON_STRING_KEY, f"mapping key {token!r} written as the string {key!r}",
                                 path=_pointer(path_tokens))
                        token = key
                    style = '"' if "\n" in key or "\r" in key or not key.isascii() and breaks.search(key) else None
                    complex_key = style is not None or len(key) > 32 and _complex_key(key)
                    # `.b` / `-b` / `:b` keys are quoted: rapidyaml misreads them after an indentless sequence
                    plain_key = _PLAIN_OK if key[:1] not in "-.:" and not needs(key) else _QUOTE
                    emit(scalar(None, None, plain_key, key, style=style))
                break
            else:
                break
    except UnicodeEncodeError as exc:
        raise ctx.refuse(Code.LONE_SURROGATE, f"a string holds the lone surrogate U+{ord(exc.object[exc.start]):04X}",
                         path=_pointer(path_tokens + [token] if stack else path_tokens)) from None
    emit(DocumentEndEvent(explicit=False))


def _emit_other(emit, item: Any, ctx: Context, path_tokens: list) -> None:
    """The rarer canonical types: bytes (!!binary), Decimal (a float's text), date/time/UUID (text)."""
    if isinstance(item, (bytes, bytearray, memoryview)):
        emit(ScalarEvent(None, _BINARY, (False, False), base64.b64encode(bytes(item)).decode("ascii")))
    elif isinstance(item, decimal.Decimal):
        emit(ScalarEvent(None, None, _NOT_STR, _decimal_text(item)))
    elif isinstance(item, bool):
        emit(ScalarEvent(None, None, _NOT_STR, "true" if item else "false"))
    elif isinstance(item, int):
        emit(ScalarEvent(None, None, _NOT_STR, int.__repr__(item)))
    elif isinstance(item, float):
        emit(ScalarEvent(None, None, _NOT_STR, _float_text(item)))
    elif isinstance(item, (datetime.date, datetime.time, uuid.UUID, str)):
        text = item.isoformat() if not isinstance(item, (uuid.UUID, str)) else str(item)
        emit(ScalarEvent(None, None, _QUOTE if needs_quotes(text) else _PLAIN_OK, text))
    else:
        raise TypeError(f"yaml_codec cannot encode a {type(item).__name__} at {_pointer(path_tokens) or '(root)'}")


def _pointer(tokens: list) -> str:
    path = ""
    for token in tokens:
        if token is not None:
            path = child_pointer(path, token)
    return path


def _emit_stream(documents: list[Any], ctx: Context, explicit: bool) -> bytes:
    out = io.BytesIO()
    # width: never fold long lines (folding is correct but makes diffs and greps harder)
    emitter = CEmitter(out, allow_unicode=True, encoding="utf-8", width=2**30, indent=2)
    emit = emitter.emit
    emit(StreamStartEvent(encoding="utf-8"))
    for document in documents:
        ctx.checkpoint()
        _emit_document(emit, document, ctx, explicit)
    emit(StreamEndEvent())
    return out.getvalue()


def encode(documents: list[Any], ctx: Context) -> bytes:
    """A YAML stream: block style, keys in order, unicode as is; several documents each start with
    `---`. Zero documents give an empty stream."""
    if not documents:
        return b""
    return _emit_stream(documents, ctx, explicit=len(documents) > 1)


def encode_record(value: Any, ctx: Context) -> bytes:
    """One document starting with `---`, so records concatenate into a valid stream."""
    return _emit_stream([value], ctx, explicit=True)


# -- record stream -------------------------------------------------------------------------------

# a document marker line: `---` or `...` at column 0, then white space or the line's end
_MARKER = re.compile(rb"(?:(?<=\n)|(?<=\r)|\A)(?:---|\.\.\.)(?=[ \t\r\n])")
_LINE_END = re.compile(rb"\r\n|\r|\n")


class YamlRecordSplitter:
    """Cuts a YAML stream into one record per document, at `---` and `...` lines (which end a
    document wherever they stand, block and quoted scalars included). Directives, comments and
    blank lines between documents go with the next document; a stretch with no document (only
    comments, or a stray `...`) yields no record. Memory holds one document and the line in flight."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.limit = ctx.limits.max_message_bytes
        self.buf = bytearray()  # the current record, then bytes not yet looked at
        self.pos = 0  # where scanning resumes
        self.in_document = False  # the current record has begun a document
        self.has_directive = False  # ...or holds a directive waiting for its `---`
        self.first_line = True

    def feed(self, chunk: bytes) -> list[bytes]:
        self.buf += chunk
        records = self._scan(final=False)
        if len(self.buf) > self.limit:
            raise self.ctx.over_limit("max_message_bytes",
                                      f"a YAML document in the stream is over {self.limit} bytes")
        return records

    def finish(self) -> list[bytes]:
        records = self._scan(final=True)
        if self.buf and (self.in_document or self.has_directive):
            records.append(bytes(self.buf))
        self.buf.clear()
        self.pos, self.in_document, self.has_directive = 0, False, False
        return records

    def _cut(self, end: int, records: list[bytes], keep: bool) -> None:
        if keep:
            records.append(bytes(self.buf[:end]))
        del self.buf[:end]
        self.pos = 0
        self.has_directive = False

    def _scan(self, final: bool) -> list[bytes]:
        records: list[bytes] = []
        buf = self.buf
        while True:
            if self.in_document:
                # jump to the next marker line; a marker needs the character after it to be known
                match = _MARKER.search(buf, self.pos)
                if match is None and final and buf.endswith((b"---", b"...")) and (
                        len(buf) == 3 or buf[-4:-3] in (b"\n", b"\r")):
                    start = len(buf) - 3
                elif match is None:
                    # resume at the last line start, so a marker split across chunks is still found
                    self.pos = max(self.pos, buf.rfind(b"\n") + 1, buf.rfind(b"\r") + 1)
                    return records
                else:
                    start = match.start()
                if buf[start] == 0x2D:  # `---`: the document before it ends, a new one begins
                    if start:
                        self._cut(start, records, keep=True)
                    self.pos = 3
                    continue
                end = self._line_end(start, final)  # `...`: this document ends with the line
                if end is None:
                    self.pos = start
                    return records
                self._cut(end, records, keep=True)
                self.in_document = False
                continue
            # between documents: look at whole lines until a document begins
            end = self._line_end(self.pos, final)
            if end is None:
                return records
            line = bytes(buf[self.pos:end])
            if self.first_line:
                self.first_line = False
                if line.startswith(b"\xef\xbb\xbf"):
                    line = line[3:]
            stripped = line.strip()
            if not stripped or stripped.startswith(b"#"):
                self.pos = end
            elif line.startswith(b"%"):
                self.has_directive = True
                self.pos = end
            elif line[:3] in (b"---", b"...") and line[3:4] in (b"", b" ", b"\t", b"\r", b"\n"):
                if line[:3] == b"---":
                    self.in_document = True
                    self.pos = end - len(line) + 3
                else:  # a stray `...`: nothing to keep unless a directive waits (then let decode refuse it)
                    self._cut(end, records, keep=self.has_directive)
            else:
                self.in_document = True  # a bare document: its first line is content

    def _line_end(self, start: int, final: bool) -> int | None:
        """Index just past the line starting at `start`, or None while that line is incomplete."""
        match = _LINE_END.search(self.buf, start)
        if match is None:
            return len(self.buf) if final and start < len(self.buf) else None
        if match.group() == b"\r" and match.end() == len(self.buf) and not final:
            return None  # a CR at the end of the chunk may be the first half of CR LF
        return match.end()


def record_splitter(ctx: Context) -> YamlRecordSplitter:
    """A splitter cutting a YAML stream into single-document records."""
    return YamlRecordSplitter(ctx)
