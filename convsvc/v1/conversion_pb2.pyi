from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Format(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FORMAT_UNSPECIFIED: _ClassVar[Format]
    FORMAT_JSON: _ClassVar[Format]
    FORMAT_YAML: _ClassVar[Format]
    FORMAT_AVRO: _ClassVar[Format]
    FORMAT_PROTOBUF: _ClassVar[Format]
    FORMAT_XML: _ClassVar[Format]

class Mode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MODE_UNSPECIFIED: _ClassVar[Mode]
    MODE_FRAGILE: _ClassVar[Mode]
    MODE_ROBUST: _ClassVar[Mode]

class SchemaType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SCHEMA_TYPE_UNSPECIFIED: _ClassVar[SchemaType]
    SCHEMA_TYPE_AVRO: _ClassVar[SchemaType]
    SCHEMA_TYPE_PROTOBUF: _ClassVar[SchemaType]
    SCHEMA_TYPE_JSON: _ClassVar[SchemaType]

class Severity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SEVERITY_UNSPECIFIED: _ClassVar[Severity]
    SEVERITY_INFO: _ClassVar[Severity]
    SEVERITY_WARNING: _ClassVar[Severity]
    SEVERITY_ERROR: _ClassVar[Severity]

class IssueCode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ISSUE_CODE_UNSPECIFIED: _ClassVar[IssueCode]
    ISSUE_CODE_SYNTAX_ERROR: _ClassVar[IssueCode]
    ISSUE_CODE_INVALID_UTF8: _ClassVar[IssueCode]
    ISSUE_CODE_LONE_SURROGATE: _ClassVar[IssueCode]
    ISSUE_CODE_NUMBER_OUT_OF_RANGE: _ClassVar[IssueCode]
    ISSUE_CODE_LIMIT_EXCEEDED: _ClassVar[IssueCode]
    ISSUE_CODE_UNSUPPORTED_TAG: _ClassVar[IssueCode]
    ISSUE_CODE_NO_DOCUMENT: _ClassVar[IssueCode]
    ISSUE_CODE_INVALID_REQUEST: _ClassVar[IssueCode]
    ISSUE_CODE_UNIMPLEMENTED: _ClassVar[IssueCode]
    ISSUE_CODE_SCHEMA_VIOLATION: _ClassVar[IssueCode]
    ISSUE_CODE_INVALID_SCHEMA: _ClassVar[IssueCode]
    ISSUE_CODE_VALUE_OUT_OF_RANGE: _ClassVar[IssueCode]
    ISSUE_CODE_SCHEMA_NOT_FOUND: _ClassVar[IssueCode]
    ISSUE_CODE_DUPLICATE_KEY: _ClassVar[IssueCode]
    ISSUE_CODE_NON_STRING_KEY: _ClassVar[IssueCode]
    ISSUE_CODE_NON_FINITE_NUMBER: _ClassVar[IssueCode]
    ISSUE_CODE_MULTIPLE_DOCUMENTS: _ClassVar[IssueCode]
    ISSUE_CODE_BINARY_AS_BASE64: _ClassVar[IssueCode]
    ISSUE_CODE_UNKNOWN_FIELD_DROPPED: _ClassVar[IssueCode]
    ISSUE_CODE_DEFAULT_FILLED: _ClassVar[IssueCode]
    ISSUE_CODE_PRECISION_LOST: _ClassVar[IssueCode]
    ISSUE_CODE_COERCED_STRING_TO_NUMBER: _ClassVar[IssueCode]
    ISSUE_CODE_COERCED_NUMBER_TO_STRING: _ClassVar[IssueCode]
    ISSUE_CODE_COERCED_STRING_TO_BOOL: _ClassVar[IssueCode]
    ISSUE_CODE_COERCED_ENUM_CASE: _ClassVar[IssueCode]
    ISSUE_CODE_COERCED_TO_ARRAY: _ClassVar[IssueCode]
    ISSUE_CODE_COERCED_FLOAT_TO_INT: _ClassVar[IssueCode]
    ISSUE_CODE_TIMEZONE_ASSUMED: _ClassVar[IssueCode]
    ISSUE_CODE_JSON_TRAILING_COMMA: _ClassVar[IssueCode]
    ISSUE_CODE_JSON_MISSING_COMMA: _ClassVar[IssueCode]
    ISSUE_CODE_JSON_SINGLE_QUOTES: _ClassVar[IssueCode]
    ISSUE_CODE_JSON_UNQUOTED_KEY: _ClassVar[IssueCode]
    ISSUE_CODE_JSON_UNQUOTED_STRING: _ClassVar[IssueCode]
    ISSUE_CODE_JSON_COMMENT: _ClassVar[IssueCode]
    ISSUE_CODE_JSON_PYTHON_LITERAL: _ClassVar[IssueCode]
    ISSUE_CODE_JSON_NON_FINITE_LITERAL: _ClassVar[IssueCode]
    ISSUE_CODE_JSON_CONTROL_CHARACTER: _ClassVar[IssueCode]
    ISSUE_CODE_JSON_INVALID_ESCAPE: _ClassVar[IssueCode]
    ISSUE_CODE_JSON_SMART_QUOTES: _ClassVar[IssueCode]
    ISSUE_CODE_JSON_TRUNCATED: _ClassVar[IssueCode]
    ISSUE_CODE_JSON_CODE_FENCE: _ClassVar[IssueCode]
    ISSUE_CODE_JSON_JSONP_WRAPPER: _ClassVar[IssueCode]
    ISSUE_CODE_JSON_CONCATENATED_VALUES: _ClassVar[IssueCode]
    ISSUE_CODE_JSON_BOM: _ClassVar[IssueCode]
    ISSUE_CODE_JSON_GARBAGE: _ClassVar[IssueCode]
    ISSUE_CODE_JSON_MISSING_VALUE: _ClassVar[IssueCode]
    ISSUE_CODE_JSON_MISSING_COLON: _ClassVar[IssueCode]
    ISSUE_CODE_XML_DTD_FORBIDDEN: _ClassVar[IssueCode]
    ISSUE_CODE_XML_JSON_INVALID: _ClassVar[IssueCode]
    ISSUE_CODE_XML_MIXED_CONTENT: _ClassVar[IssueCode]
    ISSUE_CODE_XML_COMMENT_DROPPED: _ClassVar[IssueCode]
    ISSUE_CODE_XML_PI_DROPPED: _ClassVar[IssueCode]
    ISSUE_CODE_XML_SIBLING_ORDER_LOST: _ClassVar[IssueCode]
    ISSUE_CODE_XML_ARRAY_GUESSED: _ClassVar[IssueCode]
    ISSUE_CODE_XML_TEXT_NOT_TYPED: _ClassVar[IssueCode]
    ISSUE_CODE_XML_TYPE_AS_TEXT: _ClassVar[IssueCode]
    ISSUE_CODE_XML_ARRAY_OF_ONE: _ClassVar[IssueCode]
    ISSUE_CODE_XML_EMPTY_CONTAINER: _ClassVar[IssueCode]
    ISSUE_CODE_XML_ANONYMOUS_ARRAY: _ClassVar[IssueCode]
    ISSUE_CODE_XML_NAME_ESCAPED: _ClassVar[IssueCode]
    ISSUE_CODE_XML_VALUE_DROPPED: _ClassVar[IssueCode]
    ISSUE_CODE_XML_ROOT_ADDED: _ClassVar[IssueCode]
    ISSUE_CODE_XML_CHARACTER_REPLACED: _ClassVar[IssueCode]
    ISSUE_CODE_UNKNOWN_FIELDS_DROPPED: _ClassVar[IssueCode]
    ISSUE_CODE_UNKNOWN_FIELDS_KEPT: _ClassVar[IssueCode]
    ISSUE_CODE_UNKNOWN_ENUM_NUMBER: _ClassVar[IssueCode]
FORMAT_UNSPECIFIED: Format
FORMAT_JSON: Format
FORMAT_YAML: Format
FORMAT_AVRO: Format
FORMAT_PROTOBUF: Format
FORMAT_XML: Format
MODE_UNSPECIFIED: Mode
MODE_FRAGILE: Mode
MODE_ROBUST: Mode
SCHEMA_TYPE_UNSPECIFIED: SchemaType
SCHEMA_TYPE_AVRO: SchemaType
SCHEMA_TYPE_PROTOBUF: SchemaType
SCHEMA_TYPE_JSON: SchemaType
SEVERITY_UNSPECIFIED: Severity
SEVERITY_INFO: Severity
SEVERITY_WARNING: Severity
SEVERITY_ERROR: Severity
ISSUE_CODE_UNSPECIFIED: IssueCode
ISSUE_CODE_SYNTAX_ERROR: IssueCode
ISSUE_CODE_INVALID_UTF8: IssueCode
ISSUE_CODE_LONE_SURROGATE: IssueCode
ISSUE_CODE_NUMBER_OUT_OF_RANGE: IssueCode
ISSUE_CODE_LIMIT_EXCEEDED: IssueCode
ISSUE_CODE_UNSUPPORTED_TAG: IssueCode
ISSUE_CODE_NO_DOCUMENT: IssueCode
ISSUE_CODE_INVALID_REQUEST: IssueCode
ISSUE_CODE_UNIMPLEMENTED: IssueCode
ISSUE_CODE_SCHEMA_VIOLATION: IssueCode
ISSUE_CODE_INVALID_SCHEMA: IssueCode
ISSUE_CODE_VALUE_OUT_OF_RANGE: IssueCode
ISSUE_CODE_SCHEMA_NOT_FOUND: IssueCode
ISSUE_CODE_DUPLICATE_KEY: IssueCode
ISSUE_CODE_NON_STRING_KEY: IssueCode
ISSUE_CODE_NON_FINITE_NUMBER: IssueCode
ISSUE_CODE_MULTIPLE_DOCUMENTS: IssueCode
ISSUE_CODE_BINARY_AS_BASE64: IssueCode
ISSUE_CODE_UNKNOWN_FIELD_DROPPED: IssueCode
ISSUE_CODE_DEFAULT_FILLED: IssueCode
ISSUE_CODE_PRECISION_LOST: IssueCode
ISSUE_CODE_COERCED_STRING_TO_NUMBER: IssueCode
ISSUE_CODE_COERCED_NUMBER_TO_STRING: IssueCode
ISSUE_CODE_COERCED_STRING_TO_BOOL: IssueCode
ISSUE_CODE_COERCED_ENUM_CASE: IssueCode
ISSUE_CODE_COERCED_TO_ARRAY: IssueCode
ISSUE_CODE_COERCED_FLOAT_TO_INT: IssueCode
ISSUE_CODE_TIMEZONE_ASSUMED: IssueCode
ISSUE_CODE_JSON_TRAILING_COMMA: IssueCode
ISSUE_CODE_JSON_MISSING_COMMA: IssueCode
ISSUE_CODE_JSON_SINGLE_QUOTES: IssueCode
ISSUE_CODE_JSON_UNQUOTED_KEY: IssueCode
ISSUE_CODE_JSON_UNQUOTED_STRING: IssueCode
ISSUE_CODE_JSON_COMMENT: IssueCode
ISSUE_CODE_JSON_PYTHON_LITERAL: IssueCode
ISSUE_CODE_JSON_NON_FINITE_LITERAL: IssueCode
ISSUE_CODE_JSON_CONTROL_CHARACTER: IssueCode
ISSUE_CODE_JSON_INVALID_ESCAPE: IssueCode
ISSUE_CODE_JSON_SMART_QUOTES: IssueCode
ISSUE_CODE_JSON_TRUNCATED: IssueCode
ISSUE_CODE_JSON_CODE_FENCE: IssueCode
ISSUE_CODE_JSON_JSONP_WRAPPER: IssueCode
ISSUE_CODE_JSON_CONCATENATED_VALUES: IssueCode
ISSUE_CODE_JSON_BOM: IssueCode
ISSUE_CODE_JSON_GARBAGE: IssueCode
ISSUE_CODE_JSON_MISSING_VALUE: IssueCode
ISSUE_CODE_JSON_MISSING_COLON: IssueCode
ISSUE_CODE_XML_DTD_FORBIDDEN: IssueCode
ISSUE_CODE_XML_JSON_INVALID: IssueCode
ISSUE_CODE_XML_MIXED_CONTENT: IssueCode
ISSUE_CODE_XML_COMMENT_DROPPED: IssueCode
ISSUE_CODE_XML_PI_DROPPED: IssueCode
ISSUE_CODE_XML_SIBLING_ORDER_LOST: IssueCode
ISSUE_CODE_XML_ARRAY_GUESSED: IssueCode
ISSUE_CODE_XML_TEXT_NOT_TYPED: IssueCode
ISSUE_CODE_XML_TYPE_AS_TEXT: IssueCode
ISSUE_CODE_XML_ARRAY_OF_ONE: IssueCode
ISSUE_CODE_XML_EMPTY_CONTAINER: IssueCode
ISSUE_CODE_XML_ANONYMOUS_ARRAY: IssueCode
ISSUE_CODE_XML_NAME_ESCAPED: IssueCode
ISSUE_CODE_XML_VALUE_DROPPED: IssueCode
ISSUE_CODE_XML_ROOT_ADDED: IssueCode
ISSUE_CODE_XML_CHARACTER_REPLACED: IssueCode
ISSUE_CODE_UNKNOWN_FIELDS_DROPPED: IssueCode
ISSUE_CODE_UNKNOWN_FIELDS_KEPT: IssueCode
ISSUE_CODE_UNKNOWN_ENUM_NUMBER: IssueCode

class FormatSpec(_message.Message):
    __slots__ = ("format", "encoding", "options", "schema", "message_type", "reader_schema")
    class OptionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    ENCODING_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    SCHEMA_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_TYPE_FIELD_NUMBER: _ClassVar[int]
    READER_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    format: Format
    encoding: str
    options: _containers.ScalarMap[str, str]
    schema: SchemaRef
    message_type: str
    reader_schema: SchemaRef
    def __init__(self, format: _Optional[_Union[Format, str]] = ..., encoding: _Optional[str] = ..., options: _Optional[_Mapping[str, str]] = ..., schema: _Optional[_Union[SchemaRef, _Mapping]] = ..., message_type: _Optional[str] = ..., reader_schema: _Optional[_Union[SchemaRef, _Mapping]] = ...) -> None: ...

class SchemaRef(_message.Message):
    __slots__ = ("inline", "id", "subject")
    INLINE_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    inline: InlineSchema
    id: int
    subject: SubjectVersion
    def __init__(self, inline: _Optional[_Union[InlineSchema, _Mapping]] = ..., id: _Optional[int] = ..., subject: _Optional[_Union[SubjectVersion, _Mapping]] = ...) -> None: ...

class InlineSchema(_message.Message):
    __slots__ = ("type", "text", "descriptor_set")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTOR_SET_FIELD_NUMBER: _ClassVar[int]
    type: SchemaType
    text: str
    descriptor_set: bytes
    def __init__(self, type: _Optional[_Union[SchemaType, str]] = ..., text: _Optional[str] = ..., descriptor_set: _Optional[bytes] = ...) -> None: ...

class SubjectVersion(_message.Message):
    __slots__ = ("subject", "version")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    subject: str
    version: int
    def __init__(self, subject: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class ConvertRequest(_message.Message):
    __slots__ = ("source", "target", "payload", "mode", "max_changes")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    MAX_CHANGES_FIELD_NUMBER: _ClassVar[int]
    source: FormatSpec
    target: FormatSpec
    payload: bytes
    mode: Mode
    max_changes: int
    def __init__(self, source: _Optional[_Union[FormatSpec, _Mapping]] = ..., target: _Optional[_Union[FormatSpec, _Mapping]] = ..., payload: _Optional[bytes] = ..., mode: _Optional[_Union[Mode, str]] = ..., max_changes: _Optional[int] = ...) -> None: ...

class ConvertResponse(_message.Message):
    __slots__ = ("payload", "report")
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    REPORT_FIELD_NUMBER: _ClassVar[int]
    payload: bytes
    report: Report
    def __init__(self, payload: _Optional[bytes] = ..., report: _Optional[_Union[Report, _Mapping]] = ...) -> None: ...

class Report(_message.Message):
    __slots__ = ("issues",)
    ISSUES_FIELD_NUMBER: _ClassVar[int]
    issues: _containers.RepeatedCompositeFieldContainer[Issue]
    def __init__(self, issues: _Optional[_Iterable[_Union[Issue, _Mapping]]] = ...) -> None: ...

class Issue(_message.Message):
    __slots__ = ("code", "path", "message", "severity", "offset", "line", "column")
    CODE_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    LINE_FIELD_NUMBER: _ClassVar[int]
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    code: IssueCode
    path: str
    message: str
    severity: Severity
    offset: int
    line: int
    column: int
    def __init__(self, code: _Optional[_Union[IssueCode, str]] = ..., path: _Optional[str] = ..., message: _Optional[str] = ..., severity: _Optional[_Union[Severity, str]] = ..., offset: _Optional[int] = ..., line: _Optional[int] = ..., column: _Optional[int] = ...) -> None: ...

class ConvertStreamRequest(_message.Message):
    __slots__ = ("spec", "record", "chunk")
    SPEC_FIELD_NUMBER: _ClassVar[int]
    RECORD_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    spec: StreamSpec
    record: bytes
    chunk: bytes
    def __init__(self, spec: _Optional[_Union[StreamSpec, _Mapping]] = ..., record: _Optional[bytes] = ..., chunk: _Optional[bytes] = ...) -> None: ...

class StreamSpec(_message.Message):
    __slots__ = ("source", "target", "mode", "max_changes")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    MAX_CHANGES_FIELD_NUMBER: _ClassVar[int]
    source: FormatSpec
    target: FormatSpec
    mode: Mode
    max_changes: int
    def __init__(self, source: _Optional[_Union[FormatSpec, _Mapping]] = ..., target: _Optional[_Union[FormatSpec, _Mapping]] = ..., mode: _Optional[_Union[Mode, str]] = ..., max_changes: _Optional[int] = ...) -> None: ...

class ConvertStreamResponse(_message.Message):
    __slots__ = ("index", "record", "error", "report")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    RECORD_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    REPORT_FIELD_NUMBER: _ClassVar[int]
    index: int
    record: bytes
    error: RecordError
    report: Report
    def __init__(self, index: _Optional[int] = ..., record: _Optional[bytes] = ..., error: _Optional[_Union[RecordError, _Mapping]] = ..., report: _Optional[_Union[Report, _Mapping]] = ...) -> None: ...

class RecordError(_message.Message):
    __slots__ = ("code", "message", "issues")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ISSUES_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    issues: _containers.RepeatedCompositeFieldContainer[Issue]
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ..., issues: _Optional[_Iterable[_Union[Issue, _Mapping]]] = ...) -> None: ...

class ListFormatsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListFormatsResponse(_message.Message):
    __slots__ = ("formats",)
    FORMATS_FIELD_NUMBER: _ClassVar[int]
    formats: _containers.RepeatedCompositeFieldContainer[FormatInfo]
    def __init__(self, formats: _Optional[_Iterable[_Union[FormatInfo, _Mapping]]] = ...) -> None: ...

class FormatInfo(_message.Message):
    __slots__ = ("format", "name", "description", "encodings")
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ENCODINGS_FIELD_NUMBER: _ClassVar[int]
    format: Format
    name: str
    description: str
    encodings: _containers.RepeatedCompositeFieldContainer[EncodingInfo]
    def __init__(self, format: _Optional[_Union[Format, str]] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., encodings: _Optional[_Iterable[_Union[EncodingInfo, _Mapping]]] = ...) -> None: ...

class EncodingInfo(_message.Message):
    __slots__ = ("name", "description", "multi_document", "is_default", "options")
    class OptionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    MULTI_DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    IS_DEFAULT_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    multi_document: bool
    is_default: bool
    options: _containers.ScalarMap[str, str]
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., multi_document: _Optional[bool] = ..., is_default: _Optional[bool] = ..., options: _Optional[_Mapping[str, str]] = ...) -> None: ...
