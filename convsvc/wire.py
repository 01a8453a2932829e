"""The wire contract <-> the model: format specs, modes, issues and reports as protobuf messages.

Shared by the server and by clients of it (the CLI's --target mode), so both read the same way.
"""

from __future__ import annotations

from convsvc.engine import FormatSpec, SchemaRef
from convsvc.model import Code, InvalidRequest, Issue, Mode, Report, Severity
from convsvc.v1 import conversion_pb2 as pb

_MODES = {pb.MODE_UNSPECIFIED: Mode.FRAGILE, pb.MODE_FRAGILE: Mode.FRAGILE, pb.MODE_ROBUST: Mode.ROBUST}
_MODE_VALUES = {Mode.FRAGILE: pb.MODE_FRAGILE, Mode.ROBUST: pb.MODE_ROBUST}
_SCHEMA_TYPES = {pb.SCHEMA_TYPE_AVRO: "avro", pb.SCHEMA_TYPE_PROTOBUF: "protobuf", pb.SCHEMA_TYPE_JSON: "json"}


def format_name(value: int) -> str:
    """FORMAT_JSON -> "json"; a number this server's contract does not know -> "" (refused later)."""
    try:
        return pb.Format.Name(value).removeprefix("FORMAT_").lower()
    except ValueError:
        return ""


def format_value(name: str) -> int:
    """"json" -> FORMAT_JSON."""
    return pb.Format.Value("FORMAT_" + name.upper())


def mode_from_proto(value: int) -> Mode:
    return _MODES.get(value, Mode.FRAGILE)


def mode_to_proto(mode: Mode) -> int:
    return _MODE_VALUES[mode]


def format_spec_from_proto(spec: pb.FormatSpec, field: str) -> FormatSpec:
    if spec.format == pb.FORMAT_UNSPECIFIED:
        raise InvalidRequest(Issue(Code.INVALID_REQUEST, f"{field}.format", f"{field}.format is required"))
    if not format_name(spec.format):
        raise InvalidRequest(Issue(Code.INVALID_REQUEST, f"{field}.format",
                                   f"{field}.format {spec.format} is not a format this server knows"))
    return FormatSpec(format=format_name(spec.format), encoding=spec.encoding, options=dict(spec.options),
                      schema=_schema_ref(spec.schema) if spec.HasField("schema") else None,
                      message_type=spec.message_type,
                      reader_schema=_schema_ref(spec.reader_schema) if spec.HasField("reader_schema") else None)


def _schema_ref(ref: pb.SchemaRef) -> SchemaRef | None:
    which = ref.WhichOneof("ref")
    if which == "inline":
        return SchemaRef(inline_text=ref.inline.text, inline_type=_SCHEMA_TYPES.get(ref.inline.type, ""))
    if which == "id":
        return SchemaRef(id=ref.id)
    if which == "subject":
        return SchemaRef(subject=ref.subject.subject, version=ref.subject.version)
    return None


def format_spec_to_proto(spec: FormatSpec) -> pb.FormatSpec:
    message = pb.FormatSpec(format=format_value(spec.format), encoding=spec.encoding, options=dict(spec.options),
                            message_type=spec.message_type)
    if spec.schema is not None:
        message.schema.CopyFrom(_schema_ref_to_proto(spec.schema))
    if spec.reader_schema is not None:
        message.reader_schema.CopyFrom(_schema_ref_to_proto(spec.reader_schema))
    return message


def _schema_ref_to_proto(ref: SchemaRef) -> pb.SchemaRef:
    if ref.kind == "id":
        return pb.SchemaRef(id=ref.id)
    if ref.kind == "subject":
        return pb.SchemaRef(subject=pb.SubjectVersion(subject=ref.subject, version=ref.version))
    types = {name: number for number, name in _SCHEMA_TYPES.items()}
    return pb.SchemaRef(inline=pb.InlineSchema(type=types.get(ref.inline_type, pb.SCHEMA_TYPE_UNSPECIFIED),
                                               text=ref.inline_text or ""))


def issue_to_proto(issue: Issue) -> pb.Issue:
    message = pb.Issue(code=issue.code.value, path=issue.path, message=issue.message,
                       severity=issue.level.value)
    if issue.offset is not None:
        message.offset = issue.offset
    if issue.line is not None:
        message.line = issue.line
        message.column = issue.column
    return message


def issue_from_proto(message: pb.Issue) -> Issue:
    return Issue(code=Code(message.code), path=message.path, message=message.message,
                 severity=Severity(message.severity) if message.severity else None,
                 offset=message.offset if message.HasField("offset") else None,
                 line=message.line if message.HasField("line") else None,
                 column=message.column if message.HasField("column") else None)


def report_to_proto(report: Report) -> pb.Report:
    return pb.Report(issues=[issue_to_proto(issue) for issue in report])


def report_from_proto(message: pb.Report) -> Report:
    return Report(issue_from_proto(issue) for issue in message.issues)
