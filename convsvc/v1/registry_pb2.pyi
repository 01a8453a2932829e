from convsvc.v1 import conversion_pb2 as _conversion_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CompatibilityLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COMPATIBILITY_LEVEL_UNSPECIFIED: _ClassVar[CompatibilityLevel]
    COMPATIBILITY_LEVEL_NONE: _ClassVar[CompatibilityLevel]
    COMPATIBILITY_LEVEL_BACKWARD: _ClassVar[CompatibilityLevel]
    COMPATIBILITY_LEVEL_BACKWARD_TRANSITIVE: _ClassVar[CompatibilityLevel]
    COMPATIBILITY_LEVEL_FORWARD: _ClassVar[CompatibilityLevel]
    COMPATIBILITY_LEVEL_FORWARD_TRANSITIVE: _ClassVar[CompatibilityLevel]
    COMPATIBILITY_LEVEL_FULL: _ClassVar[CompatibilityLevel]
    COMPATIBILITY_LEVEL_FULL_TRANSITIVE: _ClassVar[CompatibilityLevel]

class RegistryMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REGISTRY_MODE_UNSPECIFIED: _ClassVar[RegistryMode]
    REGISTRY_MODE_READWRITE: _ClassVar[RegistryMode]
    REGISTRY_MODE_READONLY: _ClassVar[RegistryMode]
    REGISTRY_MODE_IMPORT: _ClassVar[RegistryMode]

class SchemaFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SCHEMA_FORMAT_UNSPECIFIED: _ClassVar[SchemaFormat]
    SCHEMA_FORMAT_SERIALIZED: _ClassVar[SchemaFormat]
COMPATIBILITY_LEVEL_UNSPECIFIED: CompatibilityLevel
COMPATIBILITY_LEVEL_NONE: CompatibilityLevel
COMPATIBILITY_LEVEL_BACKWARD: CompatibilityLevel
COMPATIBILITY_LEVEL_BACKWARD_TRANSITIVE: CompatibilityLevel
COMPATIBILITY_LEVEL_FORWARD: CompatibilityLevel
COMPATIBILITY_LEVEL_FORWARD_TRANSITIVE: CompatibilityLevel
COMPATIBILITY_LEVEL_FULL: CompatibilityLevel
COMPATIBILITY_LEVEL_FULL_TRANSITIVE: CompatibilityLevel
REGISTRY_MODE_UNSPECIFIED: RegistryMode
REGISTRY_MODE_READWRITE: RegistryMode
REGISTRY_MODE_READONLY: RegistryMode
REGISTRY_MODE_IMPORT: RegistryMode
SCHEMA_FORMAT_UNSPECIFIED: SchemaFormat
SCHEMA_FORMAT_SERIALIZED: SchemaFormat

class Schema(_message.Message):
    __slots__ = ("type", "text", "references")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    REFERENCES_FIELD_NUMBER: _ClassVar[int]
    type: _conversion_pb2.SchemaType
    text: str
    references: _containers.RepeatedCompositeFieldContainer[SchemaReference]
    def __init__(self, type: _Optional[_Union[_conversion_pb2.SchemaType, str]] = ..., text: _Optional[str] = ..., references: _Optional[_Iterable[_Union[SchemaReference, _Mapping]]] = ...) -> None: ...

class SchemaReference(_message.Message):
    __slots__ = ("name", "subject", "version")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    name: str
    subject: str
    version: int
    def __init__(self, name: _Optional[str] = ..., subject: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class RegisteredSchema(_message.Message):
    __slots__ = ("subject", "version", "id", "schema", "deleted")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    SCHEMA_FIELD_NUMBER: _ClassVar[int]
    DELETED_FIELD_NUMBER: _ClassVar[int]
    subject: str
    version: int
    id: int
    schema: Schema
    deleted: bool
    def __init__(self, subject: _Optional[str] = ..., version: _Optional[int] = ..., id: _Optional[int] = ..., schema: _Optional[_Union[Schema, _Mapping]] = ..., deleted: _Optional[bool] = ...) -> None: ...

class RegisterSchemaRequest(_message.Message):
    __slots__ = ("subject", "schema", "normalize", "id", "version")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    SCHEMA_FIELD_NUMBER: _ClassVar[int]
    NORMALIZE_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    subject: str
    schema: Schema
    normalize: bool
    id: int
    version: int
    def __init__(self, subject: _Optional[str] = ..., schema: _Optional[_Union[Schema, _Mapping]] = ..., normalize: _Optional[bool] = ..., id: _Optional[int] = ..., version: _Optional[int] = ...) -> None: ...

class RegisterSchemaResponse(_message.Message):
    __slots__ = ("schema",)
    SCHEMA_FIELD_NUMBER: _ClassVar[int]
    schema: RegisteredSchema
    def __init__(self, schema: _Optional[_Union[RegisteredSchema, _Mapping]] = ...) -> None: ...

class LookupSchemaRequest(_message.Message):
    __slots__ = ("subject", "schema", "normalize", "include_deleted")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    SCHEMA_FIELD_NUMBER: _ClassVar[int]
    NORMALIZE_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_DELETED_FIELD_NUMBER: _ClassVar[int]
    subject: str
    schema: Schema
    normalize: bool
    include_deleted: bool
    def __init__(self, subject: _Optional[str] = ..., schema: _Optional[_Union[Schema, _Mapping]] = ..., normalize: _Optional[bool] = ..., include_deleted: _Optional[bool] = ...) -> None: ...

class LookupSchemaResponse(_message.Message):
    __slots__ = ("schema",)
    SCHEMA_FIELD_NUMBER: _ClassVar[int]
    schema: RegisteredSchema
    def __init__(self, schema: _Optional[_Union[RegisteredSchema, _Mapping]] = ...) -> None: ...

class GetSchemaRequest(_message.Message):
    __slots__ = ("id", "format")
    ID_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    id: int
    format: SchemaFormat
    def __init__(self, id: _Optional[int] = ..., format: _Optional[_Union[SchemaFormat, str]] = ...) -> None: ...

class GetSchemaResponse(_message.Message):
    __slots__ = ("id", "schema")
    ID_FIELD_NUMBER: _ClassVar[int]
    SCHEMA_FIELD_NUMBER: _ClassVar[int]
    id: int
    schema: Schema
    def __init__(self, id: _Optional[int] = ..., schema: _Optional[_Union[Schema, _Mapping]] = ...) -> None: ...

class GetSchemaVersionRequest(_message.Message):
    __slots__ = ("subject", "version", "include_deleted", "format")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_DELETED_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    subject: str
    version: int
    include_deleted: bool
    format: SchemaFormat
    def __init__(self, subject: _Optional[str] = ..., version: _Optional[int] = ..., include_deleted: _Optional[bool] = ..., format: _Optional[_Union[SchemaFormat, str]] = ...) -> None: ...

class GetSchemaVersionResponse(_message.Message):
    __slots__ = ("schema",)
    SCHEMA_FIELD_NUMBER: _ClassVar[int]
    schema: RegisteredSchema
    def __init__(self, schema: _Optional[_Union[RegisteredSchema, _Mapping]] = ...) -> None: ...

class ListSubjectsRequest(_message.Message):
    __slots__ = ("prefix", "include_deleted")
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_DELETED_FIELD_NUMBER: _ClassVar[int]
    prefix: str
    include_deleted: bool
    def __init__(self, prefix: _Optional[str] = ..., include_deleted: _Optional[bool] = ...) -> None: ...

class ListSubjectsResponse(_message.Message):
    __slots__ = ("subjects",)
    SUBJECTS_FIELD_NUMBER: _ClassVar[int]
    subjects: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, subjects: _Optional[_Iterable[str]] = ...) -> None: ...

class ListVersionsRequest(_message.Message):
    __slots__ = ("subject", "include_deleted")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_DELETED_FIELD_NUMBER: _ClassVar[int]
    subject: str
    include_deleted: bool
    def __init__(self, subject: _Optional[str] = ..., include_deleted: _Optional[bool] = ...) -> None: ...

class ListVersionsResponse(_message.Message):
    __slots__ = ("versions",)
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    versions: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, versions: _Optional[_Iterable[int]] = ...) -> None: ...

class ListSchemaVersionsRequest(_message.Message):
    __slots__ = ("id", "include_deleted")
    ID_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_DELETED_FIELD_NUMBER: _ClassVar[int]
    id: int
    include_deleted: bool
    def __init__(self, id: _Optional[int] = ..., include_deleted: _Optional[bool] = ...) -> None: ...

class ListSchemaVersionsResponse(_message.Message):
    __slots__ = ("versions",)
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    versions: _containers.RepeatedCompositeFieldContainer[_conversion_pb2.SubjectVersion]
    def __init__(self, versions: _Optional[_Iterable[_Union[_conversion_pb2.SubjectVersion, _Mapping]]] = ...) -> None: ...

class ListReferencedByRequest(_message.Message):
    __slots__ = ("subject", "version")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    subject: str
    version: int
    def __init__(self, subject: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class ListReferencedByResponse(_message.Message):
    __slots__ = ("ids",)
    IDS_FIELD_NUMBER: _ClassVar[int]
    ids: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, ids: _Optional[_Iterable[int]] = ...) -> None: ...

class CheckCompatibilityRequest(_message.Message):
    __slots__ = ("subject", "schema", "version", "normalize")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    SCHEMA_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    NORMALIZE_FIELD_NUMBER: _ClassVar[int]
    subject: str
    schema: Schema
    version: int
    normalize: bool
    def __init__(self, subject: _Optional[str] = ..., schema: _Optional[_Union[Schema, _Mapping]] = ..., version: _Optional[int] = ..., normalize: _Optional[bool] = ...) -> None: ...

class CheckCompatibilityResponse(_message.Message):
    __slots__ = ("compatible", "level", "reasons")
    COMPATIBLE_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    compatible: bool
    level: CompatibilityLevel
    reasons: _containers.RepeatedCompositeFieldContainer[CompatibilityReason]
    def __init__(self, compatible: _Optional[bool] = ..., level: _Optional[_Union[CompatibilityLevel, str]] = ..., reasons: _Optional[_Iterable[_Union[CompatibilityReason, _Mapping]]] = ...) -> None: ...

class CompatibilityReason(_message.Message):
    __slots__ = ("code", "path", "message", "version")
    CODE_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    code: str
    path: str
    message: str
    version: int
    def __init__(self, code: _Optional[str] = ..., path: _Optional[str] = ..., message: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class GetCompatibilityRequest(_message.Message):
    __slots__ = ("subject", "default_to_global")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_TO_GLOBAL_FIELD_NUMBER: _ClassVar[int]
    subject: str
    default_to_global: bool
    def __init__(self, subject: _Optional[str] = ..., default_to_global: _Optional[bool] = ...) -> None: ...

class GetCompatibilityResponse(_message.Message):
    __slots__ = ("level",)
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    level: CompatibilityLevel
    def __init__(self, level: _Optional[_Union[CompatibilityLevel, str]] = ...) -> None: ...

class SetCompatibilityRequest(_message.Message):
    __slots__ = ("subject", "level")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    subject: str
    level: CompatibilityLevel
    def __init__(self, subject: _Optional[str] = ..., level: _Optional[_Union[CompatibilityLevel, str]] = ...) -> None: ...

class SetCompatibilityResponse(_message.Message):
    __slots__ = ("level",)
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    level: CompatibilityLevel
    def __init__(self, level: _Optional[_Union[CompatibilityLevel, str]] = ...) -> None: ...

class DeleteCompatibilityRequest(_message.Message):
    __slots__ = ("subject",)
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    subject: str
    def __init__(self, subject: _Optional[str] = ...) -> None: ...

class DeleteCompatibilityResponse(_message.Message):
    __slots__ = ("level",)
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    level: CompatibilityLevel
    def __init__(self, level: _Optional[_Union[CompatibilityLevel, str]] = ...) -> None: ...

class GetModeRequest(_message.Message):
    __slots__ = ("subject", "default_to_global")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_TO_GLOBAL_FIELD_NUMBER: _ClassVar[int]
    subject: str
    default_to_global: bool
    def __init__(self, subject: _Optional[str] = ..., default_to_global: _Optional[bool] = ...) -> None: ...

class GetModeResponse(_message.Message):
    __slots__ = ("mode",)
    MODE_FIELD_NUMBER: _ClassVar[int]
    mode: RegistryMode
    def __init__(self, mode: _Optional[_Union[RegistryMode, str]] = ...) -> None: ...

class SetModeRequest(_message.Message):
    __slots__ = ("subject", "mode", "force")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    subject: str
    mode: RegistryMode
    force: bool
    def __init__(self, subject: _Optional[str] = ..., mode: _Optional[_Union[RegistryMode, str]] = ..., force: _Optional[bool] = ...) -> None: ...

class SetModeResponse(_message.Message):
    __slots__ = ("mode",)
    MODE_FIELD_NUMBER: _ClassVar[int]
    mode: RegistryMode
    def __init__(self, mode: _Optional[_Union[RegistryMode, str]] = ...) -> None: ...

class DeleteModeRequest(_message.Message):
    __slots__ = ("subject",)
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    subject: str
    def __init__(self, subject: _Optional[str] = ...) -> None: ...

class DeleteModeResponse(_message.Message):
    __slots__ = ("mode",)
    MODE_FIELD_NUMBER: _ClassVar[int]
    mode: RegistryMode
    def __init__(self, mode: _Optional[_Union[RegistryMode, str]] = ...) -> None: ...

class DeleteSubjectRequest(_message.Message):
    __slots__ = ("subject", "permanent")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    PERMANENT_FIELD_NUMBER: _ClassVar[int]
    subject: str
    permanent: bool
    def __init__(self, subject: _Optional[str] = ..., permanent: _Optional[bool] = ...) -> None: ...

class DeleteSubjectResponse(_message.Message):
    __slots__ = ("versions",)
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    versions: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, versions: _Optional[_Iterable[int]] = ...) -> None: ...

class DeleteSchemaVersionRequest(_message.Message):
    __slots__ = ("subject", "version", "permanent")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    PERMANENT_FIELD_NUMBER: _ClassVar[int]
    subject: str
    version: int
    permanent: bool
    def __init__(self, subject: _Optional[str] = ..., version: _Optional[int] = ..., permanent: _Optional[bool] = ...) -> None: ...

class DeleteSchemaVersionResponse(_message.Message):
    __slots__ = ("version",)
    VERSION_FIELD_NUMBER: _ClassVar[int]
    version: int
    def __init__(self, version: _Optional[int] = ...) -> None: ...
