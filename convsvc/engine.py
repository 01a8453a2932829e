"""The conversion pipeline: bytes -> decode -> canonical documents -> policy -> encode -> bytes.

Used alike by the gRPC server, the CLI and the corpus runner; knows nothing of gRPC.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import ModuleType
from typing import Any, Protocol

from convsvc.formats import FORMATS
from convsvc.model import (
    CancelToken, Code, Context, InvalidInput, InvalidRequest, Issue, Limits, Mode, NotFound, Report, Severity,
    Unimplemented,
)
from convsvc.model.values import json_form
from convsvc.schemas import CompiledSchema, SchemaError, SchemaSource, compile_schema


class SchemaResolver(Protocol):
    """Where schema references by id or subject are looked up (the registry); LookupError if absent."""

    def source_by_id(self, schema_id: int, message_type: str = "") -> SchemaSource: ...

    def source_by_subject(self, subject: str, version: int = 0, message_type: str = "") -> SchemaSource: ...


@dataclasses.dataclass(frozen=True, slots=True)
class SchemaRef:
    """A schema by inline text, registry id, or subject (+version, 0 = latest); exactly one is set."""

    inline_text: str | None = None
    inline_type: str = ""  # avro | protobuf | json
    id: int | None = None
    subject: str | None = None
    version: int = 0

    @property
    def kind(self) -> str:
        if self.id is not None:
            return "id"
        if self.subject is not None:
            return "subject"
        return "inline"


@dataclasses.dataclass(frozen=True, slots=True)
class FormatSpec:
    """One side of a conversion: a format, one of its encodings (empty = default) and options."""

    format: str
    encoding: str = ""
    options: Mapping[str, str] = dataclasses.field(default_factory=dict)
    schema: SchemaRef | None = None
    message_type: str = ""
    reader_schema: SchemaRef | None = None  # Avro, source side: resolve the data to this schema


@dataclasses.dataclass(frozen=True, slots=True)
class ConvertRequest:
    source: FormatSpec
    target: FormatSpec
    payload: bytes
    mode: Mode = Mode.FRAGILE
    max_changes: int | None = None  # ROBUST: the most repairs, coercions and losses accepted (capped by the limit)


@dataclasses.dataclass(frozen=True, slots=True)
class ConvertResult:
    payload: bytes
    report: Report


@dataclasses.dataclass(frozen=True, slots=True)
class _Side:
    """A FormatSpec resolved against the table of formats."""

    codec: ModuleType
    encoding: str
    options: Mapping[str, str]
    schema: CompiledSchema | None = None
    reader_schema: CompiledSchema | None = None
    schema_id: int | None = None  # the registry id of `schema`, when named by id or subject

    @property
    def multi_document(self) -> bool:
        return self.codec.ENCODINGS[self.encoding].multi_document


class Engine:
    """Converts payloads under one set of limits."""

    def __init__(self, limits: Limits | None = None, schemas: SchemaResolver | None = None) -> None:
        self.limits = limits or Limits()
        self.schemas = schemas

    def convert(self, request: ConvertRequest, cancel: CancelToken | None = None) -> ConvertResult:
        """Convert one payload; `cancel` (set by the caller) stops the work between records (Cancelled)."""
        source = self._resolve(request.source, "source")
        target = self._resolve(request.target, "target")
        report = self.new_report(request.mode, request.max_changes)
        decode_ctx = self._context(request.mode, report, source, source_format=source.codec.NAME, cancel=cancel,
                                   target=target)
        if len(request.payload) > self.limits.max_message_bytes:
            raise decode_ctx.over_limit("max_message_bytes", f"payload of {len(request.payload)} bytes")
        decode_ctx.checkpoint()  # the call may have waited for a worker thread until past its deadline
        documents = source.codec.decode(request.payload, decode_ctx)
        decode_ctx.checkpoint()
        documents = _checked(documents, source, "source")
        _refuse_losses(request.mode, report)
        encode_ctx = self._context(request.mode, report, target, source_format=source.codec.NAME, cancel=cancel)
        documents = _checked(_fit_document_count(documents, target, encode_ctx), target, "target")
        payload = target.codec.encode(documents, encode_ctx)
        _refuse_losses(request.mode, report)
        return ConvertResult(payload=payload, report=report)

    def open_stream(self, source: FormatSpec, target: FormatSpec, mode: Mode, cancel: CancelToken | None = None,
                    max_changes: int | None = None) -> "StreamConversion":
        """A record-by-record conversion; `max_changes` caps each record's changes (ROBUST)."""
        return StreamConversion(self, self._resolve(source, "source"), self._resolve(target, "target"), mode,
                                cancel, max_changes)

    def new_report(self, mode: Mode, max_changes: int | None = None) -> Report:
        """A report bounded by the limit max_changes: ROBUST also by the caller's own smaller cap (refused
        as LIMIT_EXCEEDED); FRAGILE refuses its first change anyway, listing at most that many."""
        cap = self.limits.max_changes
        if mode is Mode.ROBUST and max_changes is not None:
            cap = min(cap, max_changes)
        return Report(max_changes=cap, cap_is_limit=mode is Mode.ROBUST)

    def _context(self, mode: Mode, report: Report, side: _Side, source_format: str,
                 cancel: CancelToken | None = None, target: _Side | None = None) -> Context:
        return Context(mode=mode, limits=self.limits, report=report, encoding=side.encoding,
                       options=side.options, source_format=source_format, schema=side.schema,
                       reader_schema=side.reader_schema, schema_id=side.schema_id, schema_by_id=self.schema_by_id,
                       cancel=cancel,
                       target_format=target.codec.NAME if target is not None else "",
                       target_encoding=target.encoding if target is not None else "")

    def _resolve(self, spec: FormatSpec, field: str) -> _Side:
        name = (spec.format or "").lower()
        codec = FORMATS.get(name)
        if codec is None:
            known = ", ".join(FORMATS)
            raise InvalidRequest(Issue(Code.INVALID_REQUEST, f"{field}.format",
                                       f"unknown format {spec.format!r}; known: {known}"))
        encoding = spec.encoding or next(iter(codec.ENCODINGS))
        if encoding not in codec.ENCODINGS:
            known = ", ".join(codec.ENCODINGS)
            raise InvalidRequest(Issue(Code.INVALID_REQUEST, f"{field}.encoding",
                                       f"format {name} has no encoding {encoding!r}; known: {known}"))
        allowed = codec.ENCODINGS[encoding].options
        for option in spec.options:
            if option not in allowed:
                known = ", ".join(allowed) or "none"
                raise InvalidRequest(Issue(Code.INVALID_REQUEST, f"{field}.options",
                                           f"{name}/{encoding} has no option {option!r}; known: {known}"))
        schema, schema_id = (self._schema(spec.schema, spec, codec, f"{field}.schema") if spec.schema is not None
                             else (None, None))
        reader = (self._schema(spec.reader_schema, spec, codec, f"{field}.reader_schema")[0]
                  if spec.reader_schema is not None else None)
        return _Side(codec=codec, encoding=encoding, options=dict(spec.options), schema=schema,
                     reader_schema=reader, schema_id=schema_id)

    def schema_by_id(self, schema_id: int) -> CompiledSchema:
        """A registry schema by id, compiled (Confluent-framed payloads name their writer schema so)."""
        if self.schemas is None:
            raise Unimplemented(Issue(Code.UNIMPLEMENTED, "payload", "the payload names its schema by registry "
                                      f"id {schema_id}, and this engine has no schema registry"))
        try:
            source = self.schemas.source_by_id(schema_id)
        except LookupError as error:
            raise NotFound(Issue(Code.SCHEMA_NOT_FOUND, "payload", str(error).strip("'\""))) from None
        try:
            return compile_schema(source)
        except SchemaError as error:
            raise InvalidRequest(Issue(Code.INVALID_SCHEMA, "payload", f"schema {schema_id}: {error}")) from None

    def _schema(self, ref: SchemaRef, spec: FormatSpec, codec: ModuleType,
                field: str) -> tuple[CompiledSchema, int | None]:
        """Compile (once per process: cached by content) the schema a reference names; with its
        registry id when it came from the registry."""
        accepted = getattr(codec, "SCHEMA_TYPES", ())
        if ref.kind == "inline":
            source = SchemaSource(type=ref.inline_type or (accepted[0] if accepted else ""),
                                  text=ref.inline_text or "", message_type=spec.message_type)
        else:
            source = self._look_up(ref, spec, field)
        if source.type not in accepted:
            raise InvalidRequest(Issue(Code.INVALID_SCHEMA, field,
                                       f"{codec.NAME} uses {' or '.join(accepted) or 'no'} schemas, "
                                       f"not {source.type or 'untyped'} ones"))
        try:
            return compile_schema(source), source.registry_id
        except SchemaError as error:
            raise InvalidRequest(Issue(Code.INVALID_SCHEMA, f"{field}{error.path}", str(error))) from None

    def _look_up(self, ref: SchemaRef, spec: FormatSpec, field: str) -> SchemaSource:
        """A registry reference: by global id, or by subject and version (0 = latest)."""
        if self.schemas is None:
            raise Unimplemented(Issue(Code.UNIMPLEMENTED, field, f"this engine has no schema registry to look "
                                      f"the schema up by {ref.kind}; pass the schema inline"))
        try:
            if ref.kind == "id":
                return self.schemas.source_by_id(ref.id, spec.message_type)
            return self.schemas.source_by_subject(ref.subject, ref.version, spec.message_type)
        except LookupError as error:
            raise NotFound(Issue(Code.SCHEMA_NOT_FOUND, field, str(error).strip("'\""))) from None


def _checked(documents: list[Any], side: _Side, field: str) -> list[Any]:
    """The documents as one side's JSON Schema sees them, validated against it (no-op without one)."""
    documents = _in_schema_form(documents, side)
    _validate(documents, side, field)
    return documents


def _in_schema_form(documents: list[Any], side: _Side) -> list[Any]:
    """A JSON Schema describes the JSON form of a document: a side that has one gets typed values
    (timestamps, bytes, UUIDs from Avro or Protobuf) in their documented text forms."""
    if side.schema is None or side.schema.source.type != "json":
        return documents
    return [json_form(document) for document in documents]


def _validate(documents: list[Any], side: _Side, field: str) -> None:
    """JSON Schema validation of every document, in both modes: a value the schema refuses is no
    faithful conversion whatever the mode. Every violation is listed."""
    if side.schema is None or side.schema.source.type != "json":
        return
    from convsvc.schemas.json_schema import violations

    issues = []
    for index, document in enumerate(documents):
        prefix = f"document {index + 1}: " if len(documents) > 1 else ""
        for pointer, message in violations(side.schema.compiled, document):
            issues.append(Issue(Code.SCHEMA_VIOLATION, pointer, f"{prefix}{message} ({field} schema)"))
    if issues:
        raise InvalidInput(issues)


def _refuse_losses(mode: Mode, report: Report) -> None:
    """FRAGILE: any repair, coercion or loss found so far refuses the conversion, listing them all."""
    if mode is Mode.FRAGILE:
        violations = report.at_least(Severity.WARNING)
        if violations:
            raise InvalidInput(violations)


def _fit_document_count(documents: list[Any], target: _Side, ctx: Context) -> list[Any]:
    """A single-document target takes exactly one: none is refused, several become one array
    in ROBUST (reported) and are refused in FRAGILE."""
    if target.multi_document or len(documents) == 1:
        return documents
    if not documents:
        raise ctx.refuse(Code.NO_DOCUMENT, f"the payload holds no document; {target.codec.NAME}/"
                         f"{target.encoding} needs exactly one")
    ctx.note(Code.MULTIPLE_DOCUMENTS, f"{len(documents)} documents written as one array "
             f"({target.codec.NAME}/{target.encoding} holds one document)")
    _refuse_losses(ctx.mode, ctx.report)
    return [documents]


@dataclasses.dataclass(frozen=True, slots=True)
class StreamRecord:
    """One record of a stream: its index and either the converted bytes or the refusal."""

    index: int
    payload: bytes | None
    report: Report
    error: Exception | None = None


class StreamConversion:
    """Converts a stream record by record; holds at most one unfinished record of input."""

    def __init__(self, engine: Engine, source: _Side, target: _Side, mode: Mode,
                 cancel: CancelToken | None = None, max_changes: int | None = None) -> None:
        self._engine = engine
        self._max_changes = max_changes
        self._source = source
        self._target = target
        self._mode = mode
        self._cancel = cancel
        self._splitter = source.codec.record_splitter(self._context(Report(), source))
        writer = getattr(target.codec, "stream_writer", None)  # a stream with a header (avro/ocf) has state
        self._writer = writer(self._context(Report(), target)) if writer is not None else None
        self._encode_record = self._writer.encode_record if self._writer is not None else target.codec.encode_record
        self._index = 0

    def feed_chunk(self, chunk: bytes) -> list[StreamRecord]:
        """Records completed by a chunk of the source's stream encoding."""
        return [self.convert_record(record) for record in self._splitter.feed(chunk)]

    def finish(self) -> list[StreamRecord]:
        return [self.convert_record(record) for record in self._splitter.finish()]

    def convert_record(self, data: bytes) -> StreamRecord:
        """One whole record. FRAGILE raises on a refused record; ROBUST returns it with its error."""
        if self._cancel is not None:
            self._cancel.check()
        index = self._index
        self._index += 1
        report = self._engine.new_report(self._mode, self._max_changes)
        try:
            payloads = []
            for value in self._source.codec.decode(data, self._context(report, self._source)):
                [value] = _checked(_checked([value], self._source, "source"), self._target, "target")
                _refuse_losses(self._mode, report)
                payloads.append(self._encode_record(value, self._context(report, self._target)))
                _refuse_losses(self._mode, report)
            return StreamRecord(index=index, payload=b"".join(payloads), report=report)
        except InvalidInput as error:  # only whole-record refusals; limits end the stream
            if self._mode is Mode.FRAGILE:
                raise
            return StreamRecord(index=index, payload=None, report=report, error=error)

    def _context(self, report: Report, side: _Side) -> Context:
        return self._engine._context(self._mode, report, side, source_format=self._source.codec.NAME,
                                     cancel=self._cancel, target=self._target if side is self._source else None)


def list_formats() -> list[dict]:
    """The ListFormats data: every format with its encodings (the first is the default)."""
    out = []
    for name, codec in FORMATS.items():
        encodings = [
            {"name": enc.name, "description": enc.description, "multi_document": enc.multi_document,
             "default": position == 0, "options": dict(enc.options)}
            for position, enc in enumerate(codec.ENCODINGS.values())
        ]
        out.append({"name": name, "description": codec.DESCRIPTION, "encodings": encodings})
    return out
