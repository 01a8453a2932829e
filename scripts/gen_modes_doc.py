"""Writes docs/modes.md: the two modes, and every issue code with one example run through the Engine
in both modes — input, output and issue lines exactly as this checkout produces them.

The examples are data (EXAMPLES, one per Code); nothing in the page is typed by hand but the prose.
`python scripts/gen_modes_doc.py` rewrites the page; `--check` only says whether it is up to date.
tests/test_modes_doc.py checks that every code has an example, that each yields its code, that the
page is what this script writes now, and that the CLI prints the same lines.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import pathlib
import re
import shlex
import sys
from collections.abc import Callable, Iterator

import grpc
from google.protobuf import text_format
from google.rpc import error_details_pb2, status_pb2

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from convsvc.engine import ConvertRequest, Engine, FormatSpec, SchemaRef  # noqa: E402
from convsvc.formats import FORMATS  # noqa: E402
from convsvc.model import Code, ConversionError, Issue, Limits, Mode, Severity  # noqa: E402
from convsvc.server.status import rich_status, status_code_of  # noqa: E402
from convsvc.v1 import conversion_pb2 as pb  # noqa: E402
from convsvc.wire import report_to_proto  # noqa: E402

OUT = ROOT / "docs" / "modes.md"
CODES_SOURCE = ROOT / "convsvc" / "model" / "codes.py"


# -- the examples ----------------------------------------------------------------------------------

def _record(*fields: str) -> SchemaRef:
    """An inline Avro record R with these fields (each a JSON object text)."""
    return SchemaRef(inline_text='{"type": "record", "name": "R", "fields": [' + ", ".join(fields) + "]}",
                     inline_type="avro")


def _avro(*fields: str) -> FormatSpec:
    return FormatSpec("avro", schema=_record(*fields))


INT_N = '{"name": "n", "type": "int"}'
PROTO = ('syntax = "proto3"; package t; enum E { E_ZERO = 0; E_ONE = 1; } '
         'message M { int32 n = 1; E e = 2; }')
PROTOBUF = FormatSpec("protobuf", schema=SchemaRef(inline_text=PROTO, inline_type="protobuf"), message_type="t.M")
JSON, JSONL, YAML, XML = FormatSpec("json"), FormatSpec("json", "jsonl"), FormatSpec("yaml"), FormatSpec("xml")
XPATH = FormatSpec("xml", "xpath")


@contextlib.contextmanager
def _default_engine() -> Iterator[Engine]:
    yield Engine()


@contextlib.contextmanager
def _shallow_engine() -> Iterator[Engine]:
    yield Engine(Limits(max_depth=3))


@contextlib.contextmanager
def _empty_registry_engine() -> Iterator[Engine]:
    from convsvc.registry import open_registry
    from convsvc.registry.resolver import RegistrySchemas

    registry = open_registry(":memory:")
    try:
        yield Engine(schemas=RegistrySchemas(registry))
    finally:
        registry.close()


# name -> (what the page says about the engine, the engine). "" is the server's defaults, as the CLI uses.
SETUPS: dict[str, tuple[str, Callable[[], contextlib.AbstractContextManager[Engine]]]] = {
    "": ("", _default_engine),
    "max_depth=3": ("limit max_depth=3 ([limits] max_depth in the server's configuration; default 200)",
                    _shallow_engine),
    "empty registry": ("a schema registry holding no schema (the server's built-in registry, empty)",
                       _empty_registry_engine),
    "no registry": ("no schema registry (the CLI converting in process, without --target)", _default_engine),
}


@dataclasses.dataclass(frozen=True)
class Example:
    """One conversion that yields `code`; run in both modes as it stands."""

    code: Code
    source: FormatSpec
    target: FormatSpec
    payload: bytes
    setup: str = ""  # a key of SETUPS
    note: str = ""  # one sentence the page prints under the example


_STRICT_FIRST = "FRAGILE parses strictly and refuses the input as it is; repairs are ROBUST's."
_ROBUST_ONLY = "FRAGILE does not try this coercion: it refuses the value as it is."
_NEWER_FIELD = "Field 3 (`18 05`) is not in t.M: a newer writer's field."

EXAMPLES: list[Example] = [
    # refusals
    Example(Code.SYNTAX_ERROR, JSON, JSON, b"hello",
            note="No repair finds a JSON value in it, so ROBUST refuses too."),
    Example(Code.INVALID_UTF8, JSON, JSON, b'["\xff"]'),
    Example(Code.LONE_SURROGATE, JSON, JSON, b'["\\ud800"]'),
    Example(Code.NUMBER_OUT_OF_RANGE, JSON, JSON, b"[1e400]"),
    Example(Code.LIMIT_EXCEEDED, JSON, JSON, b"[[[[1]]]]", setup="max_depth=3",
            note="Also the refusal of a ROBUST conversion past its max_changes (see above)."),
    Example(Code.UNSUPPORTED_TAG, YAML, JSON, b"a: !!python/object:os.system x"),
    Example(Code.NO_DOCUMENT, YAML, JSON, b"# only a comment"),
    Example(Code.INVALID_REQUEST, JSON, FormatSpec("json", "csv"), b"1",
            note="The path names the request field; the CLI exits 2 (usage error)."),
    Example(Code.UNIMPLEMENTED, JSON, FormatSpec("avro", schema=SchemaRef(id=1)), b'{"n": 1}', setup="no registry",
            note="A server always has its registry; the in-process engine of the CLI has none."),
    Example(Code.SCHEMA_VIOLATION, JSON, _avro(INT_N), b'{"n": "seven"}'),
    Example(Code.INVALID_SCHEMA, JSON, FormatSpec("json", schema=SchemaRef(inline_text='{"type": "strng"}',
                                                                           inline_type="json")), b'"x"'),
    Example(Code.VALUE_OUT_OF_RANGE, JSON, _avro(INT_N), b'{"n": 4294967296}'),
    Example(Code.SCHEMA_NOT_FOUND, JSON, FormatSpec("avro", schema=SchemaRef(id=42)), b'{"n": 1}',
            setup="empty registry"),
    # losses and coercions
    Example(Code.DUPLICATE_KEY, JSON, YAML, b'{"id": 1, "id": 2}'),
    Example(Code.NON_STRING_KEY, YAML, JSON, b"1: one"),
    Example(Code.NON_FINITE_NUMBER, YAML, JSON, b"x: .nan"),
    Example(Code.MULTIPLE_DOCUMENTS, JSONL, JSON, b"1\n2\n"),
    Example(Code.BINARY_AS_BASE64, _avro('{"name": "b", "type": "bytes"}'), JSON, b"\x04\x00\x01"),
    Example(Code.UNKNOWN_FIELD_DROPPED, JSON, _avro(INT_N), b'{"n": 1, "x": 2}'),
    Example(Code.DEFAULT_FILLED, JSON, _avro('{"name": "n", "type": "int", "default": 7}'), b"{}"),
    Example(Code.PRECISION_LOST, JSON,
            _avro('{"name": "p", "type": {"type": "bytes", "logicalType": "decimal", "precision": 6, "scale": 2}}'),
            b'{"p": 12.345}'),
    Example(Code.COERCED_STRING_TO_NUMBER, JSON, _avro(INT_N), b'{"n": "42"}', note=_ROBUST_ONLY),
    Example(Code.COERCED_NUMBER_TO_STRING, JSON, _avro('{"name": "s", "type": "string"}'), b'{"s": 42}',
            note=_ROBUST_ONLY),
    Example(Code.COERCED_STRING_TO_BOOL, JSON, _avro('{"name": "b", "type": "boolean"}'), b'{"b": "true"}',
            note=_ROBUST_ONLY),
    Example(Code.COERCED_ENUM_CASE, JSON,
            _avro('{"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["NEW", "PAID"]}}'),
            b'{"e": "paid"}', note=_ROBUST_ONLY),
    Example(Code.COERCED_TO_ARRAY, JSON, _avro('{"name": "a", "type": {"type": "array", "items": "string"}}'),
            b'{"a": "x"}', note=_ROBUST_ONLY),
    Example(Code.COERCED_FLOAT_TO_INT, JSON, _avro(INT_N), b'{"n": 7.0}'),
    Example(Code.TIMEZONE_ASSUMED, JSON,
            _avro('{"name": "t", "type": {"type": "long", "logicalType": "timestamp-millis"}}'),
            b'{"t": "2024-05-01T10:00:00"}', note=_ROBUST_ONLY),
    # JSON repairs
    Example(Code.JSON_TRAILING_COMMA, JSON, JSON, b"[1, 2,]", note=_STRICT_FIRST),
    Example(Code.JSON_MISSING_COMMA, JSON, JSON, b"[1 2]"),
    Example(Code.JSON_SINGLE_QUOTES, JSON, JSON, b"{'a': 'x'}"),
    Example(Code.JSON_UNQUOTED_KEY, JSON, JSON, b"{a: 1}"),
    Example(Code.JSON_UNQUOTED_STRING, JSON, JSON, b'{"a": John Smith}'),
    Example(Code.JSON_COMMENT, JSON, JSON, b"[1, /* one */ 2]"),
    Example(Code.JSON_PYTHON_LITERAL, JSON, JSON, b"[True, None]"),
    Example(Code.JSON_NON_FINITE_LITERAL, JSON, JSON, b"[NaN]"),
    Example(Code.JSON_CONTROL_CHARACTER, JSON, JSON, b'["a\tb"]'),
    Example(Code.JSON_INVALID_ESCAPE, JSON, JSON, b'["C:\\Users\\me"]'),
    Example(Code.JSON_SMART_QUOTES, JSON, JSON, "{“a”: “b”}".encode()),
    Example(Code.JSON_TRUNCATED, JSON, JSON, b'{"a": [1, "x'),
    Example(Code.JSON_CODE_FENCE, JSON, JSON, b"```json\n[1]\n```"),
    Example(Code.JSON_JSONP_WRAPPER, JSON, JSON, b"cb([1]);"),
    Example(Code.JSON_CONCATENATED_VALUES, JSON, JSON, b'{"a": 1}{"b": 2}'),
    Example(Code.JSON_BOM, JSON, JSON, b"\xef\xbb\xbf[1]",
            note="The one repair FRAGILE names by its own code (RFC 8259 section 8.1)."),
    Example(Code.JSON_GARBAGE, JSON, JSON, b"Answer: [1] done"),
    Example(Code.JSON_MISSING_VALUE, JSON, JSON, b'{"a": , "b": 2}'),
    Example(Code.JSON_MISSING_COLON, JSON, JSON, b'{"a" 1}'),
    # XML
    Example(Code.XML_DTD_FORBIDDEN, XML, JSON, b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>'),
    Example(Code.XML_JSON_INVALID, XPATH, JSON, b'<number xmlns="http://www.w3.org/2005/xpath-functions">x</number>'),
    Example(Code.XML_MIXED_CONTENT, XML, JSON, b"<p>Hi <b>you</b>!</p>"),
    Example(Code.XML_COMMENT_DROPPED, XML, JSON, b"<a>x<!--c-->y</a>"),
    Example(Code.XML_PI_DROPPED, XML, JSON, b"<a>x<?pi data?></a>"),
    Example(Code.XML_SIBLING_ORDER_LOST, XML, JSON, b"<a><b>x</b><c/><b>y</b></a>"),
    Example(Code.XML_ARRAY_GUESSED, XML, JSON, b"<r><o><i>a</i><i>b</i></o><o><i>c</i></o></r>"),
    Example(Code.XML_TEXT_NOT_TYPED, XML, JSON, b"<n>42</n>"),
    Example(Code.XML_TYPE_AS_TEXT, JSON, XML, b'{"n": 42}'),
    Example(Code.XML_ARRAY_OF_ONE, JSON, XML, b'{"r": {"a": ["x"]}}'),
    Example(Code.XML_EMPTY_CONTAINER, JSON, XML, b'{"r": {"a": []}}'),
    Example(Code.XML_ANONYMOUS_ARRAY, JSON, XML, b'{"r": {"a": [["x", "y"], ["z"]]}}'),
    Example(Code.XML_NAME_ESCAPED, JSON, XML, b'{"a b": "x"}'),
    Example(Code.XML_VALUE_DROPPED, JSON, XML, b'{"a": {"@id": [1]}}'),
    Example(Code.XML_ROOT_ADDED, JSON, XML, b'{"a": "x", "b": "y"}'),
    Example(Code.XML_CHARACTER_REPLACED, JSON, XML, b'{"a": "x\\u0001"}'),
    # Protobuf
    Example(Code.UNKNOWN_FIELDS_DROPPED, PROTOBUF, JSON, b"\x08\x01\x18\x05", note=_NEWER_FIELD),
    Example(Code.UNKNOWN_FIELDS_KEPT, PROTOBUF, PROTOBUF, b"\x08\x01\x18\x05", note=_NEWER_FIELD),
    Example(Code.UNKNOWN_ENUM_NUMBER, PROTOBUF, JSON, b"\x10\x07", note="7 is no value of enum t.E."),
]

# The introduction's examples: the cap on changes, and what a gRPC caller receives.
CAPPED = Example(Code.LIMIT_EXCEEDED, JSON, JSON, b"{'a': 1, 'b': [1,2,], c: True,}")
CAP = 2
REFUSED_OVER_GRPC = Example(Code.XML_COMMENT_DROPPED, XML, JSON, b"<a>x<!--c--><?pi?>y</a>")
REPORTED_OVER_GRPC = Example(Code.JSON_TRAILING_COMMA, JSON, JSON, b'{"tags": ["x",],}')
CLI_EXAMPLE = Example(Code.DUPLICATE_KEY, JSON, YAML, b'{"id": 1,\n "id": 2}')


# -- running them ----------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Outcome:
    """One run: the output and its report, or the refusal and its issues."""

    mode: Mode
    payload: bytes | None  # None: refused
    issues: tuple[Issue, ...]
    error: ConversionError | None = None

    @property
    def status(self) -> grpc.StatusCode | None:
        return status_code_of(self.error) if self.error is not None else None

    def same_as(self, other: "Outcome") -> bool:
        return (self.payload, self.issues, self.status) == (other.payload, other.issues, other.status)


def run(example: Example, mode: Mode, max_changes: int | None = None) -> Outcome:
    """Convert the example in this mode with its engine, in process."""
    with SETUPS[example.setup][1]() as engine:
        try:
            result = engine.convert(ConvertRequest(source=example.source, target=example.target,
                                                   payload=example.payload, mode=mode, max_changes=max_changes))
        except ConversionError as error:
            return Outcome(mode, None, error.issues, error)
    return Outcome(mode, result.payload, tuple(result.report))


def yields_its_code(example: Example, robust: Outcome, fragile: Outcome) -> bool:
    """ERROR: refused with it in both modes. WARNING: ROBUST converts and reports it, FRAGILE refuses.
    INFO: both convert and report it."""
    def has(outcome: Outcome) -> bool:
        return example.code in {issue.code for issue in outcome.issues}

    severity = example.code.severity
    if severity is Severity.ERROR:
        return all(outcome.payload is None and outcome.issues[0].code is example.code for outcome in (robust, fragile))
    if severity is Severity.WARNING:
        return robust.payload is not None and has(robust) and fragile.payload is None
    return robust.payload is not None and fragile.payload is not None and has(robust) and has(fragile)


def code_groups() -> list[tuple[str, list[Code]]]:
    """The codes under the section comments of convsvc/model/codes.py (`# -- title ---`), in order."""
    groups: list[tuple[str, list[Code]]] = []
    for line in CODES_SOURCE.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"\s*# -- (.+?) -{3,}\s*$", line)
        member = re.match(r"    ([A-Z][A-Z0-9_]*) = \d+,", line)
        if heading:
            title = heading.group(1)
            groups.append((title[0].upper() + title[1:], []))
        elif member and groups:
            groups[-1][1].append(Code[member.group(1)])
    return groups


# -- rendering -------------------------------------------------------------------------------------

def _is_binary(spec: FormatSpec) -> bool:
    return spec.format in ("avro", "protobuf") and spec.encoding != "json"


def show_bytes(data: bytes, spec: FormatSpec) -> str:
    """Binary payloads in hex; text as it is when it is one printable line, else as a Python bytes literal."""
    if _is_binary(spec):
        return (" ".join(f"{byte:02x}" for byte in data) + " (hex)") if data else "(empty)"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return repr(data)
    if text and text.isprintable():  # no control character, line break or BOM: shown as it is
        return text
    return repr(data)


def issue_line(issue: Issue) -> str:
    """As the CLI prints it, without its `convsvc: ` prefix."""
    return f"{issue.level.name.lower()}: {issue.describe()}"


def side(spec: FormatSpec) -> str:
    """`format`, `format/encoding` when not the default, then any options."""
    default = next(iter(FORMATS[spec.format].ENCODINGS))
    text = spec.format if spec.encoding in ("", default) else f"{spec.format}/{spec.encoding}"
    if spec.options:
        text += " (" + ", ".join(f"{name}={value}" for name, value in spec.options.items()) + ")"
    return text


def _schema_lines(name: str, spec: FormatSpec) -> list[str]:
    lines = []
    ref = spec.schema
    if ref is not None:
        if ref.kind == "inline":
            lines.append(f"{name} schema ({ref.inline_type}): {ref.inline_text}")
        elif ref.kind == "id":
            lines.append(f"{name} schema: registry id {ref.id}")
        else:
            lines.append(f"{name} schema: registry subject {ref.subject}")
    if spec.message_type:
        lines.append(f"{name} message type: {spec.message_type}")
    return lines


def outcome_lines(outcome: Outcome, spec: FormatSpec) -> list[str]:
    """The output (or `refused, STATUS`) and then one line per issue."""
    head = (show_bytes(outcome.payload, spec) if outcome.payload is not None
            else f"refused, gRPC status {outcome.status.name}")
    return [head, *(issue_line(issue) for issue in outcome.issues)]


def example_block(example: Example, robust: Outcome, fragile: Outcome) -> list[str]:
    lines = [f"{side(example.source)} → {side(example.target)}"]
    lines += _schema_lines("source", example.source) + _schema_lines("target", example.target)
    if example.setup:
        lines.append(f"engine: {SETUPS[example.setup][0]}")
    lines.append(f"payload: {show_bytes(example.payload, example.source)}")
    width = len("FRAGILE: ")
    for name, outcome in (("ROBUST:", robust), ("FRAGILE:", fragile)):
        if outcome is fragile and fragile.same_as(robust):
            lines.append(f"{name:<{width}}the same")
            continue
        first, *rest = outcome_lines(outcome, example.target)
        lines.append(f"{name:<{width}}{first}")
        lines += [" " * width + line for line in rest]
    return ["```text", *lines, "```"]


def _summary(outcome: Outcome) -> str:
    if outcome.payload is not None:
        return "converted, reported" if outcome.issues else "converted"
    return f"refused: `{outcome.issues[0].code.name}`"


def _anchor(code: Code) -> str:
    return code.name.lower()


def _example_of(code: Code) -> Example:
    return next(example for example in EXAMPLES if example.code is code)


def _code_span(text: str) -> str:
    """A Markdown code span inside a table cell."""
    text = text.replace("|", "\\|")
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def status_details(error: ConversionError) -> tuple[grpc.StatusCode, status_pb2.Status]:
    """What the server aborts a call with for this refusal (convsvc/server/status.py), decoded."""
    status = rich_status(error)
    [packed] = [value for key, value in status.trailing_metadata if key == "grpc-status-details-bin"]
    return status.code, status_pb2.Status.FromString(packed)


_DETAIL_TYPES = {
    "google.rpc.BadRequest": error_details_pb2.BadRequest,
    "google.rpc.ErrorInfo": error_details_pb2.ErrorInfo,
    "convsvc.v1.Report": pb.Report,
}


def status_text(code: grpc.StatusCode, status: status_pb2.Status) -> list[str]:
    """The status and each detail in protobuf text format, as a client's rich-status helper sees them."""
    lines = [f"status: {code.name}", f"message: {status.message}"]
    for detail in status.details:
        name = detail.type_url.rsplit("/", 1)[-1]
        message = _DETAIL_TYPES[name]()
        detail.Unpack(message)
        lines.append(f"details {name} {{")
        lines += ["  " + line for line in text_format.MessageToString(message).splitlines()]
        lines.append("}")
    return lines


def cli_args(example: Example, mode: Mode, max_changes: int | None = None) -> list[str]:
    """`convsvc convert` arguments for an example whose sides need no schema."""
    args = ["convert", "--from", example.source.format, "--to", example.target.format]
    for flag, spec in (("--from", example.source), ("--to", example.target)):
        if spec.schema is not None or spec.message_type:
            raise ValueError("cli_args: schemas go in files; build those arguments in the caller")
        if spec.encoding:
            args += [f"{flag}-encoding", spec.encoding]
        for name, value in spec.options.items():
            args += [f"{flag}-option", f"{name}={value}"]
    if mode is Mode.ROBUST:
        args += ["--mode", "robust"]
    if max_changes is not None:
        args += ["--max-changes", str(max_changes)]
    return args


def _printf_argument(payload: bytes) -> str:
    """The payload as printf's format argument: quoted, newlines as \\n, nothing else to interpret."""
    text = payload.decode("ascii")
    if "\\" in text or "%" in text or not text.replace("\n", "").isprintable():
        raise ValueError(f"{payload!r} does not print as it is with printf")
    text = text.replace("\n", "\\n")
    if "'" not in text:
        return f"'{text}'"
    if not set(text) & set('"$`!'):
        return f'"{text}"'
    raise ValueError(f"{payload!r} needs more shell quoting than this page shows")


def cli_transcript(example: Example, mode: Mode, max_changes: int | None = None) -> list[str]:
    """A shell session: the command, then stderr lines, then stdout (the CLI prints the issues first)."""
    outcome = run(example, mode, max_changes)
    command = f"printf {_printf_argument(example.payload)} | convsvc {shlex.join(cli_args(example, mode, max_changes))}"
    lines = [f"$ {command}" + ('; echo "exit $?"' if outcome.payload is None else "")]
    lines += [f"convsvc: {issue_line(issue)}" for issue in outcome.issues]
    if outcome.payload is not None:
        lines += outcome.payload.decode("utf-8").splitlines()
    else:
        lines.append("exit 1")
    return lines


def render() -> str:
    """The whole page."""
    out: list[str] = []
    add = out.append
    ran = {example.code: (run(example, Mode.ROBUST), run(example, Mode.FRAGILE)) for example in EXAMPLES}
    wrong = [example.code.name for example in EXAMPLES if not yields_its_code(example, *ran[example.code])]
    if wrong:
        raise SystemExit(f"these examples no longer yield their code: {', '.join(wrong)}")

    add("# Modes: FRAGILE and ROBUST, and every issue code by example")
    add("")
    add("Generated by `scripts/gen_modes_doc.py` from the examples it holds, each run through the engine in both")
    add("modes when the page is written; do not edit by hand (`make docs` rewrites it, `tests/test_modes_doc.py`")
    add("fails when it is stale). The table of codes is [issue-codes.md](issue-codes.md); the repairs are")
    add("described in [repair.md](repair.md), the coercions and typed values in [formats.md](formats.md).")
    add("")
    add("## The two modes")
    add("")
    add("Every conversion runs in one of two modes (`ConvertRequest.mode`: `MODE_FRAGILE`, also the default")
    add("`MODE_UNSPECIFIED`, or `MODE_ROBUST`; on the CLI `--mode fragile`, the default, or `--mode robust`).")
    add("Whatever the mode, the service notes what it noticed as issues: a closed code, a severity, the JSON")
    add("Pointer of the value (or the request field), and where known the byte offset and line:column in the")
    add("input payload.")
    add("")
    add("* **FRAGILE** parses strictly (RFC 8259 JSON, YAML 1.2 core schema, well-formed XML, exact binary")
    add("  encodings), validates against the schema, and refuses the conversion as soon as anything would have")
    add("  to be repaired, coerced or lost — every issue of severity WARNING it found is listed in the refusal,")
    add("  not only the first. It never tries a repair or a ROBUST-only coercion: it refuses the input as it")
    add("  is, so its refusal may name another code than the change ROBUST makes (`SYNTAX_ERROR` for broken")
    add("  JSON, `SCHEMA_VIOLATION` for `\"42\"` into an int field).")
    add("* **ROBUST** repairs JSON ([repair.md](repair.md)), coerces where it is safe and lossless, fills")
    add("  schema defaults, drops unknown fields and writes lossy targets — and reports every one of those")
    add("  changes with its path. What cannot be converted faithfully is refused in ROBUST too.")
    add("")
    add("| severity | FRAGILE | ROBUST |")
    add("|---|---|---|")
    add("| `ERROR` | refused | refused |")
    add("| `WARNING` (a repair, coercion or loss) | refused, listing every one | converted, each one reported |")
    add("| `INFO` (a note; the value is unchanged) | converted, reported | converted, reported |")
    add("")
    add("## Capping the changes: `max_changes`")
    add("")
    add("A ROBUST caller can say how many changes (issues at WARNING) it accepts: `max_changes` in")
    add("`ConvertRequest` (and in `StreamSpec`, per record), `--max-changes N` on the CLI. One change more")
    add("refuses the conversion with `LIMIT_EXCEEDED` at the change that passed the cap, followed by the")
    add("changes found so far; over gRPC `ErrorInfo.metadata` then carries `limit: max_changes` and `maximum`.")
    default = f"{Limits().max_changes:,}".replace(",", " ")
    add("The server's own limit `max_changes` (`[limits] max_changes` in its configuration, or")
    add(f"`CONVSVC_LIMITS_MAX_CHANGES`; default {default}) caps every conversion whatever the request asks, so a")
    add("report stays bounded. FRAGILE refuses at its first change anyway and ignores the request's")
    add("`max_changes`; the server's limit only bounds how many changes its refusal lists. This payload needs")
    add(f"{len(run(CAPPED, Mode.ROBUST).issues)} repairs; with a cap of {CAP}:")
    add("")
    add("```console")
    out.extend(cli_transcript(CAPPED, Mode.ROBUST, CAP))
    add("```")
    add("")
    add("## What the caller gets back")
    add("")
    add("### A refusal over gRPC")
    add("")
    add("The call fails with a status chosen by what the caller can do next: `INVALID_ARGUMENT` for the")
    add("payload or the request (content limits included), `RESOURCE_EXHAUSTED` for a payload over")
    add("`max_message_bytes`, `NOT_FOUND` for `SCHEMA_NOT_FOUND`, `UNIMPLEMENTED` for `UNIMPLEMENTED`. The")
    add("status details (`grpc-status-details-bin`; read them with `grpc_status.rpc_status.from_call` in")
    add("Python, `status.FromError(err).Details()` in Go, `StatusProto.fromThrowable` in Java) hold:")
    add("")
    add("* `google.rpc.BadRequest`: one field violation per issue; `field` = the issue's JSON Pointer (`\"\"` is")
    add("  the whole document) or, for `INVALID_REQUEST`, the request field (`target.encoding`); `description`")
    add("  = the message, after `line L, column C: ` when the position is known; `reason` = the code;")
    add("* `google.rpc.ErrorInfo`: `reason` = the first issue's code, `domain` = `convsvc`, `metadata` =")
    add("  `issue_count`, and where known `line`, `column`, `offset` (and `limit`, `maximum` for a limit);")
    add("* `convsvc.v1.Report`: every issue with its structured fields.")
    add("")
    refused = run(REFUSED_OVER_GRPC, Mode.FRAGILE)
    add(f"FRAGILE, {side(REFUSED_OVER_GRPC.source)} → {side(REFUSED_OVER_GRPC.target)}, payload "
        f"`{show_bytes(REFUSED_OVER_GRPC.payload, REFUSED_OVER_GRPC.source)}` (a comment and a processing")
    add("instruction would be dropped):")
    add("")
    add("```text")
    out.extend(status_text(*status_details(refused.error)))
    add("```")
    add("")
    add("### A ROBUST report over gRPC")
    add("")
    add("`ConvertResponse.report.issues` lists every change (and every note), each with `code`, `path`,")
    add("`message`, `severity` and where known `offset`, `line`, `column`. ROBUST, "
        f"{side(REPORTED_OVER_GRPC.source)} → {side(REPORTED_OVER_GRPC.target)}, payload")
    add(f"`{show_bytes(REPORTED_OVER_GRPC.payload, REPORTED_OVER_GRPC.source)}`:")
    add("")
    reported = run(REPORTED_OVER_GRPC, Mode.ROBUST)
    response = pb.ConvertResponse(payload=reported.payload, report=report_to_proto(reported.issues))
    add("```text")
    out.extend(text_format.MessageToString(response).splitlines())
    add("```")
    add("")
    add("### On the CLI")
    add("")
    add("`convsvc convert` (in process, or against a server with `--target`) prints one line per issue on")
    add("stderr, `convsvc: <severity>: ` and the issue as below, then the output on stdout; `--report-json")
    add("FILE` writes the same issues as JSON. Exit codes: 0 converted, 1 refused, 2 an invalid request")
    add("(`INVALID_REQUEST`) or command line, 3 server unreachable.")
    add("")
    add("```console")
    out.extend(cli_transcript(CLI_EXAMPLE, Mode.FRAGILE))
    out.extend(cli_transcript(CLI_EXAMPLE, Mode.ROBUST))
    add("```")
    add("")
    add("## Every issue code")
    add("")
    add("One example per code, grouped as in `convsvc/model/codes.py`. Each block gives the conversion")
    add("(source → target; the encoding when it is not the default), the schema when one is used, the")
    add("payload, then what ROBUST and FRAGILE make of it: the output, or `refused` with the gRPC status,")
    add("followed by every issue as `Issue.describe()` writes it (after its severity, as the CLI prints it).")
    add("Payloads and outputs are shown as they are when they are one line of printable text, in hex for")
    add("Avro and Protobuf binary, and otherwise as a Python bytes literal (`b'1\\n2\\n'`).")
    add("")
    add("| code | severity | conversion | payload | ROBUST | FRAGILE |")
    add("|---|---|---|---|---|---|")
    for _, codes in code_groups():
        for code in codes:
            example = _example_of(code)
            robust, fragile = ran[code]
            payload = _code_span(show_bytes(example.payload, example.source))
            add(f"| [`{code.name}`](#{_anchor(code)}) | {code.severity.name} | {side(example.source)} → "
                f"{side(example.target)} | {payload} | {_summary(robust)} | {_summary(fragile)} |")
    for title, codes in code_groups():
        add("")
        add(f"### {title}")
        for code in codes:
            example = _example_of(code)
            add("")
            add(f"#### {code.name}")
            add("")
            add(f"{code.severity.name} ({code.value}): {code.summary}" + (f" {example.note}" if example.note else ""))
            add("")
            out.extend(example_block(example, *ran[code]))
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/modes.md is not what would be written")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if current != text:
            print(f"{OUT.relative_to(ROOT)} is stale: run `python scripts/gen_modes_doc.py`", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(EXAMPLES)} examples")
    return 0


if __name__ == "__main__":
    sys.exit(main())
