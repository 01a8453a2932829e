"""Tolerant JSON repair (ROBUST mode): parse broken JSON into plain values and note every repair.

`repair(data, ctx)` returns the repaired value and records each change in `ctx.report` with a closed
issue code, the byte offset, line:column and the JSON Pointer of the value it touched. Input that
strict RFC 8259 parsing accepts comes back unchanged with nothing noted, except duplicate keys (the
last value is kept and DUPLICATE_KEY noted). The rules and the ambiguous choices are in docs/repair.md.

Design: compiled regular expressions are the tokenizer (whitespace runs, string bodies and numbers
are scanned at C speed, one `match` per token on the hot path); an explicit stack of open containers
replaces recursion, so nesting is bounded only by `ctx.limits.max_depth`; time is linear in the input
and memory proportional to the input and the result.
"""

from __future__ import annotations

import re
from json.decoder import scanstring as _scanstring
from typing import Any

from convsvc.model import Code, Context, Issue
from convsvc.model.positions import line_column

__all__ = ["MAX_ISSUES_PER_CODE", "repair"]

# A broken 64 MB document can hold millions of identical repairs; past this many issues of one code,
# one summary issue (with the count and the first unlisted position) stands for the rest.
MAX_ISSUES_PER_CODE = 1000

_INF = float("inf")
_CHECKPOINT_CHARS = 1 << 20  # ctx.checkpoint() about once per MiB of input
_INT_DIGITS_SAFE = 4000  # int(str) refuses more than 4300 digits (CPython's int_max_str_digits)

# Parser states of the open container (what the next token may be).
_A_FIRST, _A_SEP, _A_NEXT, _O_FIRST, _O_COLON, _O_VALUE, _O_SEP, _O_NEXT, _TOP = range(9)
_KEY_STATES = (_O_FIRST, _O_NEXT, _O_SEP)

# Token kinds.
_P, _STR, _NUM, _LIT, _WORD, _EOF, _SKIP = range(7)

# The hot path: optional JSON whitespace, then one strict token. A string, number or literal only
# matches when a valid follower comes next, so anything unusual falls through to the slow path.
_FAST = re.compile(
    r'[ \t\n\r]*(?:'
    r'"([^"\\\x00-\x1f]*)"(?=[ \t\n\r]*[,:\]}])'
    r'|(-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)(?=[ \t\n\r]*[,\]}])'
    r'|([{}\[\],:])'
    r'|(true|false|null)(?=[ \t\n\r]*[,\]}])'
    r')'
)
_PLAIN_STRING = re.compile(r'"([^"\\\x00-\x1f]*)"')
_STRICT_STRING = re.compile(r'"[^"\\\x00-\x1f]*(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\x00-\x1f]*)*"')
_PLAIN_SINGLE = re.compile(r"'([^'\\\x00-\x1f]*)'")
_FLOATY = re.compile(r"[.eE]").search
_SURROGATE = re.compile("[\ud800-\udfff]")

_WS = re.compile(r"[ \t\n\r]*")
_WS_INLINE = re.compile(r"[ \t]*")
_ODD_WS = re.compile(r"(?:[^\S \t\n\r]|[\u200b-\u200d\u2060\ufeff])+")  # whitespace JSON does not allow
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_TERMINATOR = "[\\s,\\]}\\[{)\"'/#;\u201c\u201d\u2018\u2019]"
_NUMBER_END = re.compile(f"(?={_TERMINATOR}|:(?![0-9])|\\Z)")
_LITERAL = re.compile(
    r"(true|false|null|True|False|None|undefined|TRUE|FALSE|NULL|Null|[-+]?(?:NaN|Infinity|inf)|nan)"
    f"(?={_TERMINATOR}|:|\\Z)"
)
_WORD_CHAR = r"""(?:[^\s:,{}\[\]"'/=]|/(?![/*]))"""
_KEY_WORD = re.compile(f"{_WORD_CHAR}+(?:[ \\t]+{_WORD_CHAR}+)*(?=[ \\t]*:)|{_WORD_CHAR}+")
_UNQUOTED = re.compile(r"[^,\]}\r\n]*")
_WORD_CUT = re.compile(r"[ \t]+(?://|#|\")|/\*")  # a comment, or a quoted token after a space
_HAS_ALNUM = re.compile(r"\w").search
_TRUNCATED_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)?(?:\.[0-9]*)?(?:[eE][+-]?[0-9]*)?")
_HEX4 = re.compile(r"[0-9a-fA-F]{4}")
_FENCE_OPEN = re.compile(r"```[\w+.-]*[ \t]*(?:\r?\n)?")
_JSONP = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*[ \t]*\((?=\s*[\[{\"'])")
# After a top-level object: a comma and another member, so its closing brace came too early.
_REOPEN = re.compile(r"""[ \t\r\n]*,[ \t\r\n]*(?=(?:"[^"\n]*"|'[^'\n]*'|[A-Za-z_$][\w$]*)[ \t]*:)""")
# Where a value may start after leading prose: a code fence, or a bracket that looks like JSON.
_CANDIDATE = re.compile(
    "```"
    "|\\{(?=\\s*(?:[\"'\u201c\u2018}]|/[/*]|[\\w$-]+\\s*:))"
    "|\\[(?=\\s*(?:[\\[{\"'\u201c\u2018\\]0-9-]|/[/*]|(?:true|false|null|True|False|None|NaN|Infinity|undefined)\\b))"
)

_LITERAL_MODE_ESCAPES = frozenset('"\\/')
_STRUCTURE_TAIL = frozenset("}]`")
_SIMPLE_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_GOOD_FOLLOW = frozenset(",]}:\r\n\"'/#{[\u201c\u201d\u2018\u2019\f\v")
_CLOSERS = {'"': '"', "'": "'", "\u201c": "\u201d\u201c\"", "\u201d": "\u201d\u201c\"",
            "\u2018": "\u2019\u2018'", "\u2019": "\u2019\u2018'"}
_CHUNK = {q: re.compile("[^" + re.escape(c) + "\\\\\\x00-\\x1f]*") for q, c in _CLOSERS.items()}
# A quoted key and its colon: where a string that lacks its closing quote ran into the next member.
_KEY_AHEAD = {c: re.compile("[" + re.escape(c) + "][^" + re.escape(c) + "\\n]*[" + re.escape(c) + "][ \\t]*:")
              for c in set(_CLOSERS.values())}
# A closing quote that really ends a string: followed on its line by , ] } : or the end of the line.
_GOOD_CLOSE = {c: re.compile("[" + re.escape(c) + "][ \\t]*(?:[,\\]}:\\r]|\\Z)") for c in set(_CLOSERS.values())}

_LITERALS: dict[str, tuple[Any, Code | None]] = {
    "true": (True, None), "false": (False, None), "null": (None, None),
    "True": (True, Code.JSON_PYTHON_LITERAL), "False": (False, Code.JSON_PYTHON_LITERAL),
    "None": (None, Code.JSON_PYTHON_LITERAL), "undefined": (None, Code.JSON_PYTHON_LITERAL),
    "TRUE": (True, Code.JSON_PYTHON_LITERAL), "FALSE": (False, Code.JSON_PYTHON_LITERAL),
    "NULL": (None, Code.JSON_PYTHON_LITERAL), "Null": (None, Code.JSON_PYTHON_LITERAL),
}
for _word in ("NaN", "Infinity", "inf"):
    for _sign in ("", "-", "+"):
        _LITERALS[_sign + _word] = (None, Code.JSON_NON_FINITE_LITERAL)
_LITERALS["nan"] = (None, Code.JSON_NON_FINITE_LITERAL)
_LITERAL_PREFIXES = {word[:i]: value for word, value in (("true", True), ("false", False), ("null", None))
                     for i in range(1, len(word))}


def repair(data: bytes, ctx: Context) -> Any:
    """Parse possibly broken JSON `data` into a plain value, noting each repair in ctx.report.

    Raises InvalidInput: NO_DOCUMENT when the payload holds only whitespace and comments, SYNTAX_ERROR
    when it holds text but no JSON value, INVALID_UTF8 and LONE_SURROGATE (refused as in FRAGILE mode),
    NUMBER_OUT_OF_RANGE for a number beyond a double; LimitExceeded for max_message_bytes, max_depth,
    max_string_bytes and max_number_chars.
    """
    if len(data) > ctx.limits.max_message_bytes:
        raise ctx.over_limit("max_message_bytes", f"the payload has {len(data)} bytes")
    return _Repairer(data, ctx).run()


class _Repairer:
    """One repair run over one payload."""

    def __init__(self, data: bytes, ctx: Context) -> None:
        self.data = data
        self.ctx = ctx
        try:
            self.text = data.decode("utf-8")
        except UnicodeDecodeError as error:  # no repair guesses an encoding: refused as in FRAGILE
            raise ctx.refuse(Code.INVALID_UTF8, f"invalid UTF-8 byte 0x{data[error.start]:02x}", data=data,
                             offset=error.start) from None
        self.n = len(self.text)
        self.ascii = self.n == len(data)
        limits = ctx.limits
        self.max_depth = limits.max_depth
        self.max_number = limits.max_number_chars
        self.max_string = limits.max_string_bytes
        self.max_string_chars = limits.max_string_bytes // 4  # below this many chars no string can be over
        self.fast = _FAST.match
        self.notes: list[tuple] = []  # (code, message, path, char offset, top-level index)
        self.counts = [0] * (max(code._value_ for code in Code) + 1)
        report = ctx.report  # repairs past the report's cap end the run (most are counted, not listed)
        self.budget = -1 if report.max_changes is None else report.max_changes - report.changes
        self.total = 0
        self.overflow: dict[int, list] = {}  # code number -> [code, first unlisted offset, path, segment]
        self.segment: int | None = None  # index of the top-level value being parsed
        self.deepest = 0  # nesting reached by any top-level value (gathering several adds one level)
        self.frame: tuple | None = None  # (stack, container, is_object, key) for slow-path paths
        self.close_target = (None, -1, -1)  # closers, from, quote position: a good closing quote found
        self.close_missing = (None, -1, -1)  # closers, from, end of line: no good closing quote there

    # -- reporting -------------------------------------------------------------------------------

    def note(self, code: Code, message: str, path: str, offset: int) -> None:
        number = code._value_
        count = self.counts[number]
        self.counts[number] = count + 1
        if count < MAX_ISSUES_PER_CODE:
            self.notes.append((code, message, path, offset, self.segment))
        elif count == MAX_ISSUES_PER_CODE:
            self.overflow[number] = [code, offset, path, self.segment]
        self.total += 1
        if self.total == self.budget + 1:
            self.over_budget(code, message, path, offset)

    def note_in(self, code: Code, message: str, stack: list, child: Any, offset: int) -> None:
        """Note at the open container (child None) or its child; the path is built only if listed."""
        number = code._value_
        count = self.counts[number]
        self.counts[number] = count + 1
        if count < MAX_ISSUES_PER_CODE:
            self.notes.append((code, message, _path_of(stack, child), offset, self.segment))
        elif count == MAX_ISSUES_PER_CODE:
            self.overflow[number] = [code, offset, _path_of(stack, child), self.segment]
        self.total += 1
        if self.total == self.budget + 1:
            self.over_budget(code, message, _path_of(stack, child), offset)

    def over_budget(self, code: Code, message: str, path: str, offset: int) -> None:
        """One repair more than the report accepts: report those listed so far, then refuse."""
        self.flush(self.segment is not None and self.segment > 0)
        byte = self.byte_offset(offset)
        line, column = line_column(self.data, byte)
        raise self.ctx.report.over_cap(Issue(code=code, path=self.prefixed(path), message=message, offset=byte,
                                             line=line, column=column))

    def frame_stack(self) -> list:
        return self.frame[0] if self.frame is not None else []

    def container_path(self) -> str:
        if self.frame is None:
            return ""
        return _path_of(self.frame[0])

    def child_path(self) -> str:
        if self.frame is None:
            return ""
        stack, container, is_object, key = self.frame
        child = key if is_object else len(container)
        return _path_of(stack, child)

    def byte_offset(self, offset: int) -> int:
        return offset if self.ascii else len(self.text[:offset].encode("utf-8"))

    def refuse(self, code: Code, message: str, offset: int, path: str = ""):
        return self.ctx.refuse(code, message, path=self.prefixed(path), data=self.data,
                               offset=self.byte_offset(offset))

    def over_limit(self, limit: str, message: str, offset: int, path: str):
        return self.ctx.over_limit(limit, message, path=self.prefixed(path), data=self.data,
                                   offset=self.byte_offset(offset))

    def prefixed(self, path: str) -> str:
        return path if not self.segment else f"/{self.segment}{path}"

    def flush(self, concatenated: bool) -> None:
        """Turn char offsets into byte offsets and line:column in one forward pass, then report."""
        for number, (code, offset, path, segment) in self.overflow.items():
            count = self.counts[number] - MAX_ISSUES_PER_CODE
            self.notes.append((code, f"{count} more {code.name} issue(s) not listed", path, offset, segment))
        positions = {}
        text, ascii_only = self.text, self.ascii
        previous = byte = line_start = 0
        line = 1
        for offset in sorted({entry[3] for entry in self.notes}):
            if not ascii_only:
                byte += len(text[previous:offset].encode("utf-8"))
            else:
                byte = offset
            newlines = text.count("\n", previous, offset)
            if newlines:
                line += newlines
                line_start = text.rfind("\n", previous, offset) + 1
            positions[offset] = (byte, line, offset - line_start + 1)
            previous = offset
        add = self.ctx.report.add
        for code, message, path, offset, segment in self.notes:
            if concatenated and segment is not None:
                path = f"/{segment}{path}"
            byte, line, column = positions[offset]
            add(Issue(code=code, path=path, message=message, offset=byte, line=line,
                      column=column))

    # -- the top level ---------------------------------------------------------------------------

    def run(self) -> Any:
        text, n = self.text, self.n
        pos = 0
        if text.startswith("\ufeff"):
            self.note(Code.JSON_BOM, "UTF-8 byte order mark removed", "", 0)
            pos = 1
        values: list[Any] = []
        fence = jsonp = False
        comma = -1  # offset of a comma after the last top-level value
        next_checkpoint = _CHECKPOINT_CHARS
        while True:
            if pos > next_checkpoint:
                self.ctx.checkpoint()
                next_checkpoint = pos + _CHECKPOINT_CHARS
            pos = self.skip(pos)
            if pos >= n:
                break
            if text.startswith("```", pos):
                if not values and not fence:
                    self.note(Code.JSON_CODE_FENCE, "Markdown code fence removed", "", pos)
                    fence = True
                    pos = _FENCE_OPEN.match(text, pos).end()
                    continue
                if values and fence:
                    fence = False
                    pos += 3
                    continue
                if values:
                    self.note(Code.JSON_CODE_FENCE, "closing Markdown code fence removed", "", pos)
                    pos += 3
                    continue
            if not values and not jsonp:
                match = _JSONP.match(text, pos)
                if match:
                    self.note(Code.JSON_JSONP_WRAPPER, f"JSONP wrapper {match.group().rstrip('( ')}(...) removed", "", pos)
                    jsonp = True
                    pos = match.end()
                    continue
            self.frame = None
            kind, value, start, end, notes = self.token(pos, _TOP)
            if kind == _P and value in "{[" and not _CANDIDATE.match(text, pos):
                # A bracket that does not look like JSON ("[INFO] ..."): prefer a later one that does.
                later = _CANDIDATE.search(text, pos + 1)
                if later is not None or values:
                    kind = _WORD
            if kind in (_STR, _NUM, _LIT) or (kind == _P and value in "{["):
                if len(values) == 1:
                    self.note(Code.JSON_CONCATENATED_VALUES, "several top-level values gathered into an array",
                              "", start)
                    gathered_at = start
                self.segment = len(values)
                if kind == _P:
                    self.deepest = max(self.deepest, 1)
                    value, end = self.container(end, value == "{")
                    reopen = _REOPEN.match(text, end) if type(value) is dict else None
                    if reopen and text[end - 1] == "}":  # {"a": 1}, "b": 2}: the first } came too early
                        self.note(Code.JSON_GARBAGE, "early '}' removed", "", end - 1)
                        value, end = self.container(reopen.end(), True, value)
                elif notes:
                    for code, message, offset in notes:
                        self.note(code, message, "", offset)
                values.append(value)
                self.segment = None
                pos, comma = end, -1
                continue
            if kind == _SKIP:
                pos = end
                continue
            if values:
                if kind == _P and value == ",":
                    comma, pos = start, end
                    continue
                if jsonp and text[pos] == ")":
                    jsonp = False
                    pos = _WS_INLINE.match(text, pos + 1).end()
                    if text.startswith(";", pos):
                        pos += 1
                    continue
                self.note(Code.JSON_GARBAGE, "trailing text removed", "", pos)
                break
            match = _CANDIDATE.search(text, pos + 1)  # (nothing at pos itself is a value: always progress)
            if match is None:
                raise self.refuse(Code.SYNTAX_ERROR, "no JSON value found", pos)
            self.note(Code.JSON_GARBAGE, "leading text removed", "", pos)
            pos = match.start()
        if not values:
            if any(entry[0] is Code.JSON_GARBAGE for entry in self.notes):
                raise self.refuse(Code.SYNTAX_ERROR, "no JSON value found", n)
            raise self.refuse(Code.NO_DOCUMENT, "the payload holds no JSON value", n)
        if len(values) > 1 and self.deepest + 1 > self.max_depth:  # the gathering array is one level more
            raise self.over_limit("max_depth", f"nesting deeper than {self.max_depth} once the top-level values "
                                  "are gathered into an array", gathered_at, "")
        if comma >= 0:
            self.note(Code.JSON_TRAILING_COMMA, "trailing comma after the value removed", "", comma)
        self.flush(len(values) > 1)
        return values[0] if len(values) == 1 else values

    # -- whitespace, comments and tokens ---------------------------------------------------------

    def skip(self, pos: int) -> int:
        """Skip whitespace and comments from pos, noting comments and non-JSON whitespace."""
        text, n = self.text, self.n
        while True:
            pos = _WS.match(text, pos).end()
            if pos >= n:
                return pos
            char = text[pos]
            if char == "/" or char == "#":
                follower = text[pos + 1:pos + 2]
                if char == "#" or follower == "/":
                    end = text.find("\n", pos)
                    end = n if end < 0 else end
                elif follower == "*":
                    end = text.find("*/", pos + 2)
                    end = n if end < 0 else end + 2
                else:
                    return pos
                self.note_in(Code.JSON_COMMENT, "comment removed", self.frame_stack(), None, pos)
                pos = end
                continue
            match = _ODD_WS.match(text, pos)
            if match is None:
                return pos
            self.note_in(Code.JSON_GARBAGE, f"non-JSON whitespace {match.group()[:1]!a} removed",
                         self.frame_stack(), None, pos)
            pos = match.end()

    def token(self, pos: int, state: int) -> tuple:
        """The slow path: (kind, value, start, end, notes) of the next token in any form.

        notes are (code, message, offset) for the caller to report at the value's path.
        """
        text = self.text
        pos = self.skip(pos)
        if pos >= self.n:
            return _EOF, None, self.n, self.n, None
        char = text[pos]
        if char in "{}[],:":
            return _P, char, pos, pos + 1, None
        key_position = state in _KEY_STATES
        if char in _CLOSERS:
            value, end, notes = self.string(pos, not key_position and state != _TOP)
            return _STR, value, pos, end, notes
        if state == _O_COLON and char == "=":
            end = pos + 2 if text.startswith("=>", pos) else pos + 1
            self.note(Code.JSON_MISSING_COLON, f"{text[pos:end]!r} read as ':'", self.child_path(), pos)
            return _P, ":", pos, end, None
        if key_position:
            match = _KEY_WORD.match(text, pos)
            if match is None:
                self.note(Code.JSON_GARBAGE, f"{char!a} removed where a key was expected", self.container_path(), pos)
                return _SKIP, None, pos, pos + 1, None
            key = match.group()
            self.check_length(pos, match.end(), quoted=False)
            notes = [(Code.JSON_UNQUOTED_KEY, f"unquoted key {key!r} quoted", pos)]
            return _WORD, key, pos, match.end(), notes
        if char == "-" or "0" <= char <= "9":
            match = _NUMBER.match(text, pos)
            if match and _NUMBER_END.match(text, match.end()):
                return _NUM, self.number(match.group(), pos), pos, match.end(), None
        match = _LITERAL.match(text, pos)
        if match:
            word = match.group(1)
            value, code = _LITERALS[word]
            notes = None
            if code is Code.JSON_PYTHON_LITERAL:
                notes = [(code, f"{word} replaced by {_json_literal(value)}", pos)]
            elif code is not None:
                notes = [(code, f"{word} replaced by null", pos)]
            return _LIT, value, pos, match.end(), notes
        if state == _TOP:
            return _WORD, None, pos, pos, None
        return self.unquoted(pos)

    def unquoted(self, pos: int) -> tuple:
        """An unquoted value: text up to , ] } or the end of the line, less comments and spaces."""
        text = self.text
        raw = _UNQUOTED.match(text, pos).group()
        cut = _WORD_CUT.search(raw)
        if cut:
            raw = raw[:cut.start()]
        raw = raw.rstrip()
        end = pos + len(raw)
        if _WS.match(text, end).end() >= self.n:  # the input stops inside this value
            if raw in _LITERAL_PREFIXES:
                value = _LITERAL_PREFIXES[raw]
                return _LIT, value, pos, end, [(Code.JSON_TRUNCATED, f"{raw!r} completed to {_json_literal(value)}",
                                                 pos)]
            if _TRUNCATED_NUMBER.fullmatch(raw):
                match = _NUMBER.match(raw)
                value = self.number(match.group(), pos) if match else None
                read_as = match.group() if match else "null"
                return _NUM, value, pos, end, [(Code.JSON_TRUNCATED, f"truncated number {raw!r} read as {read_as}",
                                                 pos)]
        self.check_length(pos, end, quoted=False)
        if raw.endswith('"') and raw.count('"') == 1 and len(raw) > 1:
            raw = raw[:-1]
            notes = [(Code.JSON_UNQUOTED_STRING, f"missing opening quote of {_shorten(raw)!r} added", pos)]
        else:
            notes = [(Code.JSON_UNQUOTED_STRING, f"unquoted text {_shorten(raw)!r} quoted", pos)]
        return _WORD, raw, pos, end, notes

    def number(self, raw: str, pos: int) -> int | float:
        if len(raw) > self.max_number:
            raise self.over_limit("max_number_chars", f"a number of {len(raw)} characters", pos, self.child_path())
        if _FLOATY(raw):
            value = float(raw)
            if value == _INF or value == -_INF:
                raise self.refuse(Code.NUMBER_OUT_OF_RANGE, f"{_shorten(raw)} does not fit a double", pos,
                                  self.child_path())
            return value
        if len(raw) > _INT_DIGITS_SAFE:
            return _big_int(raw)
        return int(raw)

    def check_length(self, start: int, end: int, quoted: bool = True) -> None:
        """Refuse a string whose raw text (start..end, less the quotes) is over max_string_bytes."""
        where = start
        if quoted:
            start, end = start + 1, end - 1
        size = end - start
        if size > self.max_string_chars:
            if not self.ascii:
                size = len(self.text[start:end].encode("utf-8"))
            if size > self.max_string:
                raise self.over_limit("max_string_bytes", f"a string of {size} bytes", where, self.child_path())

    # -- strings ---------------------------------------------------------------------------------

    def good_follow(self, pos: int) -> bool:
        """Whether what follows a closing quote at pos-1 can follow a string (else it may be text)."""
        pos = _WS_INLINE.match(self.text, pos).end()
        return pos >= self.n or self.text[pos] in _GOOD_FOLLOW

    def better_close(self, pos: int, closers: str, search: bool) -> bool:
        """Whether a closing quote that is clearly the end of the string comes later on this line.

        Only a quote glued to the next word (`said "hi`) starts the search: one followed by a space
        (`"a" b"`) more likely closed the string, and the next value lacks its opening quote.
        """
        owner, start, target = self.close_target
        if owner == closers and start <= pos <= target:
            return True
        if not search:
            return False
        owner, start, eol = self.close_missing
        if owner == closers and start <= pos < eol:
            return False
        eol = self.text.find("\n", pos)
        eol = self.n if eol < 0 else eol
        match = _GOOD_CLOSE[closers].search(self.text, pos, eol)
        if match:
            self.close_target = (closers, pos, match.start())
            return True
        self.close_missing = (closers, pos, eol)
        return False

    def string(self, pos: int, in_value: bool) -> tuple[str, int, list | None]:
        """A quoted string at pos: (value, end, notes). in_value allows the unescaped-quote repair."""
        text = self.text
        if text[pos] == '"':
            match = _PLAIN_STRING.match(text, pos)
            if match:
                if not in_value or self.good_follow(match.end()):
                    self.check_length(pos, match.end())
                    return match.group(1), match.end(), None
            elif _STRICT_STRING.match(text, pos):  # valid escapes: decode them in C
                # (Checked first: scanstring's error path counts lines from the start, quadratic.)
                value, end = _scanstring(text, pos + 1, True)
                if not _SURROGATE.search(value) and (not in_value or self.good_follow(end)):
                    self.check_length(pos, end)
                    return value, end, None
        elif text[pos] == "'":  # Python and JavaScript: 'text' with no escapes is common
            match = _PLAIN_SINGLE.match(text, pos)
            if match and (not in_value or self.good_follow(match.end())):
                self.check_length(pos, match.end())
                return match.group(1), match.end(), [(Code.JSON_SINGLE_QUOTES, "single-quoted string requoted", pos)]
        return self.string_repaired(pos, in_value)

    def string_repaired(self, pos: int, in_value: bool) -> tuple[str, int, list]:
        """The careful string scan: escapes, raw control characters, stray quotes, missing quotes."""
        text, n = self.text, self.n
        quote = text[pos]
        closers = _CLOSERS[quote]
        chunk = _CHUNK[quote].match
        notes: list = []
        seen: list = []

        def once(key: Any, code: Code, message: str, offset: int) -> None:
            if key not in seen:
                seen.append(key)
                notes.append((code, message, offset))

        if quote == "'":
            notes.append((Code.JSON_SINGLE_QUOTES, "single-quoted string requoted", pos))
        elif quote != '"':
            notes.append((Code.JSON_SMART_QUOTES, "typographic quotes used as string delimiters", pos))
        base = len(notes)
        # A string holding an invalid escape (C:\Users, \d+, \alpha) was written without escaping its
        # backslashes: it is read again in literal mode, where only \\ \" \/ \' and \uXXXX are escapes.
        literal = False
        parts: list = []
        i = pos + 1
        while True:
            end = chunk(text, i).end()
            if end > i:
                parts.append(text[i:end])
            i = end
            if i >= n:
                i = self.structure_after_truncated_string(pos, parts)
                once(0, Code.JSON_TRUNCATED, "missing closing quote added", i)
                break
            char = text[i]
            if char in closers:
                if in_value and not self.good_follow(i + 1):
                    if _KEY_AHEAD[closers].match(text, i):  # "New York, "gender": ...: a quote was left out
                        i = self.cut_before_key(pos, i, parts)
                        once(0, Code.JSON_TRUNCATED, "missing closing quote added", i)
                        break
                    if self.better_close(i + 1, closers, not text[i + 1].isspace()):
                        once(1, Code.JSON_INVALID_ESCAPE, "unescaped quote inside the string kept as text", i)
                        parts.append(char)
                        i += 1
                        continue
                i += 1
                break
            if char != "\\":
                parts.append(char)
                once(2, Code.JSON_CONTROL_CHARACTER, f"raw control character {char!a} kept in the string", i)
                i += 1
                continue
            escape = text[i + 1:i + 2]
            if escape in _SIMPLE_ESCAPES and (not literal or escape in _LITERAL_MODE_ESCAPES):
                parts.append(_SIMPLE_ESCAPES[escape])
                i += 2
            elif escape == "u" and _HEX4.fullmatch(text, i + 2, i + 6):
                code_point = int(text[i + 2:i + 6], 16)
                i += 6
                if 0xD800 <= code_point < 0xDC00 and text.startswith("\\u", i) and _HEX4.fullmatch(text, i + 2, i + 6):
                    low = int(text[i + 2:i + 6], 16)
                    if 0xDC00 <= low < 0xE000:
                        parts.append(chr(0x10000 + ((code_point - 0xD800) << 10) + (low - 0xDC00)))
                        i += 6
                        continue
                if 0xD800 <= code_point < 0xE000:  # no text can hold half a pair: refused as in FRAGILE
                    raise self.refuse(Code.LONE_SURROGATE, f"unpaired surrogate escape \\u{code_point:04x}", i - 6,
                                      self.child_path() if in_value else self.container_path())
                else:
                    parts.append(chr(code_point))
            elif escape == "'":
                parts.append("'")
                if quote != "'":
                    once(4, Code.JSON_INVALID_ESCAPE, "\\' read as '", i)
                i += 2
            elif not escape:
                parts.append("\\")
                i += 1
            elif not literal:
                literal = True  # start again: every backslash of this string is text
                del parts[:], notes[base:], seen[:]
                i = pos + 1
            else:
                parts.append("\\" + escape)
                once(5, Code.JSON_INVALID_ESCAPE, f"invalid escape \\{escape}: the string's backslashes kept as text", i)
                i += 2
        self.check_length(pos, i)
        return "".join(parts), i, notes

    def structure_after_truncated_string(self, pos: int, parts: list) -> int:
        """Where an unterminated string ends: before trailing brackets and fences inside a container
        (`{"a": "xyz}` means "xyz" then }), else at the end of the input. Trims `parts` to match."""
        text, n = self.text, self.n
        if self.frame is None:
            return n
        j = n
        while j > pos + 1 and (text[j - 1] in _STRUCTURE_TAIL or text[j - 1].isspace()):
            j -= 1
        tail = text[j:n]
        if "}" not in tail and "]" not in tail and "```" not in tail:
            return n
        _drop_tail(parts, n - j)
        return j

    def cut_before_key(self, pos: int, quote: int, parts: list) -> int:
        """End a string that swallowed the next key: before the spaces and comma preceding `quote`."""
        text = self.text
        j = quote
        while j > pos + 1 and text[j - 1] in " \t\r\n":
            j -= 1
        if j > pos + 1 and text[j - 1] == ",":
            j -= 1
        _drop_tail(parts, quote - j)
        return j

    # -- containers ------------------------------------------------------------------------------

    def container(self, pos: int, is_object: bool, resume: dict | None = None) -> tuple[Any, int]:
        """Parse the array or object whose opening bracket ends at pos: (value, end). With `resume`,
        go on filling that object after a comma (its closing brace came too early)."""
        text, n = self.text, self.n
        fast = self.fast
        note = self.note
        max_depth = self.max_depth
        max_string_chars = self.max_string_chars
        short_number = min(15, self.max_number)  # int() of up to this many characters needs no checks
        stack: list[tuple] = []  # open parents: (container, is_object, key or index of the child)
        objects = 0  # how many of the parents are objects
        container: Any = ({} if is_object else []) if resume is None else resume
        root = container
        state = (_O_FIRST if is_object else _A_FIRST) if resume is None else _O_NEXT
        key: Any = None
        comma = -1
        if max_depth < 1:
            raise self.over_limit("max_depth", "nesting too deep", pos - 1, "")
        checkpoint = self.ctx.checkpoint
        next_checkpoint = pos + _CHECKPOINT_CHARS
        while True:
            if pos > next_checkpoint:  # stop early when the caller gave up (deadline, cancel)
                checkpoint()
                next_checkpoint = pos + _CHECKPOINT_CHARS
            match = fast(text, pos)
            notes = None
            if match is not None:
                group = match.lastindex
                end = match.end()
                # The common transitions of valid JSON finish here; the rest go through the general
                # state machine below.
                if group == 3:
                    kind, value, start = _P, text[end - 1], end - 1
                    if value == ",":
                        if state == _O_SEP:
                            state, comma, pos = _O_NEXT, start, end
                            continue
                        if state == _A_SEP:
                            state, comma, pos = _A_NEXT, start, end
                            continue
                    elif value == ":" and state == _O_COLON:
                        state, pos = _O_VALUE, end
                        continue
                else:
                    start = match.start(group)
                    if group == 1:
                        kind, value, start = _STR, match.group(1), start - 1
                        if len(value) > max_string_chars:
                            self.frame = (stack, container, is_object, key)
                            self.check_length(start, end)
                        if state == _O_NEXT or state == _O_FIRST:
                            if value in container:
                                self.note_in(Code.DUPLICATE_KEY, f"duplicate key {_shorten(value)!r}: the last "
                                             "value is kept", stack, value, start)
                            key, state, pos = value, _O_COLON, end
                            continue
                    elif group == 2:
                        kind, raw = _NUM, match.group(2)
                        if len(raw) > short_number or _FLOATY(raw):
                            self.frame = (stack, container, is_object, key)
                            value = self.number(raw, start)
                        else:
                            value = int(raw)
                    else:
                        kind, value = _LIT, _LITERALS[match.group(4)][0]
                    if state == _O_VALUE:
                        container[key] = value
                        state, pos = _O_SEP, end
                        continue
                    if state == _A_NEXT or state == _A_FIRST:
                        container.append(value)
                        state, pos = _A_SEP, end
                        continue
            else:
                self.frame = (stack, container, is_object, key)
                kind, value, start, end, notes = self.token(pos, state)
            pos = end

            if kind >= _EOF:
                if kind == _SKIP:
                    continue
                # The input ends inside this container: close everything still open.
                if state == _O_COLON or state == _O_VALUE:
                    container[key] = None
                self.frame = (stack, container, is_object, key)
                path = self.container_path()
                closers = "}" if is_object else "]"
                closers += "".join("}" if entry[1] else "]" for entry in reversed(stack))
                note(Code.JSON_TRUNCATED, f"input ends early: {closers!r} added", path, start)
                return root, pos

            if kind != _P:
                if kind == _WORD and not _HAS_ALNUM(value):  # "...", "*", "-": punctuation, not data
                    self.note_in(Code.JSON_GARBAGE, f"{_shorten(value)!r} removed", stack, None, start)
                    continue
                if is_object:
                    if state == _O_VALUE or state == _O_COLON:
                        if state == _O_COLON:
                            self.note_in(Code.JSON_MISSING_COLON, "missing ':' added", stack, key, start)
                        if notes:
                            for code, message, offset in notes:
                                self.note_in(code, message, stack, key, offset)
                        container[key] = value
                        state = _O_SEP
                        continue
                    if kind != _STR and kind != _WORD:  # a number or literal where a key belongs
                        value = text[start:end]
                        notes = [(Code.JSON_UNQUOTED_KEY, f"unquoted key {value!r} quoted", start)]
                    elif end >= n and (kind == _WORD or (notes and any(entry[0] is Code.JSON_TRUNCATED for entry in notes))):
                        # The input stops inside this key: it is likely cut short, and has no value.
                        self.note_in(Code.JSON_TRUNCATED, f"incomplete key {_shorten(value)!r} dropped", stack, None,
                                     start)
                        continue
                    if state == _O_SEP:
                        self.note_in(Code.JSON_MISSING_COMMA, "missing ',' added", stack, value, start)
                    if notes:
                        for code, message, offset in notes:
                            self.note_in(code, message, stack, value, offset)
                    if value in container:
                        self.note_in(Code.DUPLICATE_KEY, f"duplicate key {_shorten(value)!r}: the last value is kept",
                                     stack, value, start)
                    key = value
                    state = _O_COLON
                    continue
                if state == _A_SEP:
                    self.note_in(Code.JSON_MISSING_COMMA, "missing ',' added", stack, len(container), start)
                if notes:
                    for code, message, offset in notes:
                        self.note_in(code, message, stack, len(container), offset)
                container.append(value)
                state = _A_SEP
                continue

            # Punctuation.
            if value == ",":
                if state == _A_SEP or state == _O_SEP:
                    state = _A_NEXT if state == _A_SEP else _O_NEXT
                    comma = start
                elif state == _O_VALUE or state == _O_COLON:
                    container[key] = None
                    self.note_in(Code.JSON_MISSING_VALUE, "missing value replaced by null", stack, key, start)
                    state = _O_NEXT
                    comma = start
                else:
                    self.note_in(Code.JSON_TRAILING_COMMA, "extra comma removed", stack, None, start)
                continue
            if value == ":":
                if state == _O_COLON:
                    state = _O_VALUE
                else:
                    self.note_in(Code.JSON_GARBAGE, "stray ':' removed", stack, None, start)
                continue
            if value == "{" or value == "[":
                if state in _KEY_STATES:
                    self.note_in(Code.JSON_GARBAGE, f"{value!r} removed where a key was expected", stack, None, start)
                    continue
                child_key = key if is_object else len(container)
                if state == _A_SEP:
                    self.note_in(Code.JSON_MISSING_COMMA, "missing ',' added", stack, child_key, start)
                elif state == _O_COLON:
                    self.note_in(Code.JSON_MISSING_COLON, "missing ':' added", stack, child_key, start)
                if len(stack) + 2 > max_depth:
                    raise self.over_limit("max_depth", f"nesting deeper than {max_depth}", start,
                                          _path_of(stack, child_key))
                if len(stack) + 2 > self.deepest:
                    self.deepest = len(stack) + 2
                child: Any = {} if value == "{" else []
                if is_object:
                    container[key] = child
                    objects += 1
                else:
                    container.append(child)
                stack.append((container, is_object, child_key))
                container, is_object = child, value == "{"
                state = _O_FIRST if is_object else _A_FIRST
                continue

            # A closing bracket or brace.
            closes_object = value == "}"
            if closes_object != is_object:
                if (objects if closes_object else len(stack) - objects) == 0:
                    self.note_in(Code.JSON_GARBAGE, f"unmatched {value!r} removed", stack, None, start)
                    continue
                while closes_object != is_object:  # close the inner containers left open
                    if state == _O_COLON or state == _O_VALUE:
                        container[key] = None
                    self.note_in(Code.JSON_TRUNCATED, f"missing {'}' if is_object else ']'!r} added before {value!r}",
                                 stack, None, start)
                    container, is_object, key = stack.pop()
                    objects -= is_object
                    state = _O_SEP if is_object else _A_SEP
            if state == _A_NEXT or state == _O_NEXT:
                self.note_in(Code.JSON_TRAILING_COMMA, "trailing comma removed", stack, None, comma)
            elif state == _O_COLON or state == _O_VALUE:
                container[key] = None
                self.note_in(Code.JSON_MISSING_VALUE, "missing value replaced by null", stack, key, start)
            if not stack:
                return root, pos
            container, is_object, key = stack.pop()
            objects -= is_object
            state = _O_SEP if is_object else _A_SEP

def _pointer_token(key: Any) -> str:
    if type(key) is int:
        return str(key)
    return key.replace("~", "~0").replace("/", "~1") if ("~" in key or "/" in key) else key


def _path_of(stack: list, child: Any = None) -> str:
    """JSON Pointer of the open container whose parents are `stack` (and of its child, when given)."""
    path = "".join(["/" + _pointer_token(entry[2]) for entry in stack])
    return path if child is None else path + "/" + _pointer_token(child)


def _drop_tail(parts: list, count: int) -> None:
    """Remove the last `count` characters of the text held in `parts` (they held no escapes)."""
    while count > 0 and parts:
        last = parts.pop()
        if len(last) > count:
            parts.append(last[:-count])
            return
        count -= len(last)


def _json_literal(value: Any) -> str:
    return "null" if value is None else ("true" if value else "false")


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _big_int(digits: str) -> int:
    """int() of a decimal string longer than CPython's digit limit, by halves."""
    sign = -1 if digits.startswith("-") else 1
    digits = digits.lstrip("-")
    if len(digits) <= _INT_DIGITS_SAFE:
        return sign * int(digits)
    half = len(digits) // 2
    return sign * (_big_int(digits[:half]) * 10 ** (len(digits) - half) + _big_int(digits[half:]))
