"""The SchemaRegistryService servicer: proto <-> convsvc.registry, and RegistryError -> rich status.

Registry calls are synchronous (SQLite/psycopg, protoc): each runs on a worker thread so the event
loop keeps serving other calls. `add_registry_service` is what the server wiring calls. Every call
counts in convsvc_registry_operations_total{op, outcome} (`OPERATIONS`: the op names, shared with the
REST API, whose routes name the same operations).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from convsvc.registry import (
    Level, Mode, Reason, Reference, Registry, RegistryError, SchemaInput, SchemaType, StoredSchema, SubjectVersion,
    errors,
)
from convsvc.registry.core import LATEST
from convsvc.server import metrics
from convsvc.v1 import conversion_pb2 as cpb
from convsvc.v1 import registry_pb2 as pb
from convsvc.v1 import registry_pb2_grpc as pb_grpc

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["SchemaRegistryService"].full_name
DOMAIN = "convsvc"

_TYPES = {cpb.SCHEMA_TYPE_UNSPECIFIED: SchemaType.AVRO, cpb.SCHEMA_TYPE_AVRO: SchemaType.AVRO,
          cpb.SCHEMA_TYPE_PROTOBUF: SchemaType.PROTOBUF, cpb.SCHEMA_TYPE_JSON: SchemaType.JSON}
_TYPE_VALUES = {SchemaType.AVRO: cpb.SCHEMA_TYPE_AVRO, SchemaType.PROTOBUF: cpb.SCHEMA_TYPE_PROTOBUF,
                SchemaType.JSON: cpb.SCHEMA_TYPE_JSON}


# -- proto <-> model (shared with the CLI, which reads the same messages back) --------------------------

def level_to_proto(level: Level) -> int:
    return pb.CompatibilityLevel.Value(f"COMPATIBILITY_LEVEL_{level.value}")


def level_from_proto(value: int) -> Level:
    if value == pb.COMPATIBILITY_LEVEL_UNSPECIFIED:
        raise errors.InvalidCompatibilityLevel("COMPATIBILITY_LEVEL_UNSPECIFIED")
    return Level(pb.CompatibilityLevel.Name(value).removeprefix("COMPATIBILITY_LEVEL_"))


def mode_to_proto(mode: Mode) -> int:
    return pb.RegistryMode.Value(f"REGISTRY_MODE_{mode.value}")


def mode_from_proto(value: int) -> Mode:
    if value == pb.REGISTRY_MODE_UNSPECIFIED:
        raise errors.InvalidMode("REGISTRY_MODE_UNSPECIFIED")
    return Mode(pb.RegistryMode.Name(value).removeprefix("REGISTRY_MODE_"))


def schema_from_proto(schema: pb.Schema) -> SchemaInput:
    return SchemaInput(text=schema.text, type=_TYPES.get(schema.type, SchemaType.AVRO),
                       references=tuple(Reference(r.name, r.subject, r.version) for r in schema.references))


def schema_to_proto(schema: StoredSchema | SchemaInput, text: str | None = None) -> pb.Schema:
    return pb.Schema(type=_TYPE_VALUES[schema.type], text=schema.text if text is None else text,
                     references=[pb.SchemaReference(name=r.name, subject=r.subject, version=r.version)
                                 for r in schema.references])


def schema_type_from_proto(value: int) -> SchemaType:
    return _TYPES.get(value, SchemaType.AVRO)


def registered_to_proto(version: SubjectVersion, text: str | None = None) -> pb.RegisteredSchema:
    return pb.RegisteredSchema(subject=version.subject, version=version.version, id=version.schema.id,
                               schema=schema_to_proto(version.schema, text), deleted=version.deleted)


def reason_to_proto(reason: Reason) -> pb.CompatibilityReason:
    return pb.CompatibilityReason(code=reason.code, path=reason.path, message=reason.message,
                                  version=reason.old_version or 0)


# -- RegistryError -> gRPC status --------------------------------------------------------------------

_NOT_FOUND = (errors.SubjectNotFound, errors.VersionNotFound, errors.SchemaNotFound,
              errors.CompatibilityNotConfigured, errors.ModeNotConfigured)
_INVALID = (errors.InvalidSchema, errors.InvalidVersion, errors.InvalidCompatibilityLevel, errors.InvalidMode,
            errors.InvalidSubject, errors.InvalidRequest)
_FIELDS = {errors.InvalidVersion: "version", errors.InvalidCompatibilityLevel: "level",
           errors.InvalidMode: "mode", errors.InvalidSubject: "subject"}


def registry_status_code(error: RegistryError) -> grpc.StatusCode:
    """Chosen by what the caller can do next: fix the request (INVALID_ARGUMENT), create or name
    something else (NOT_FOUND), change state first (FAILED_PRECONDITION: compatibility level, mode,
    soft delete, references), pick another id (ALREADY_EXISTS), retry (UNAVAILABLE)."""
    if isinstance(error, _NOT_FOUND):
        return grpc.StatusCode.NOT_FOUND
    if isinstance(error, _INVALID):
        return grpc.StatusCode.INVALID_ARGUMENT
    if isinstance(error, errors.IdConflict):
        return grpc.StatusCode.ALREADY_EXISTS
    if isinstance(error, errors.StoreError):
        return grpc.StatusCode.UNAVAILABLE
    return grpc.StatusCode.FAILED_PRECONDITION


def registry_status(error: RegistryError) -> grpc.Status:
    """ErrorInfo (reason, domain convsvc, metadata error_code = Confluent's code and the error's facts),
    then BadRequest for invalid requests or PreconditionFailure for refusals that depend on state."""
    code = registry_status_code(error)
    metadata = {"error_code": str(error.error_code), **{key: str(value) for key, value in error.facts.items()}}
    details: list = [error_details_pb2.ErrorInfo(reason=error.reason, domain=DOMAIN, metadata=metadata)]
    if isinstance(error, errors.InvalidSchema):
        details.append(error_details_pb2.BadRequest(field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field="schema.text" + (path if path.startswith("/") else
                                                                               f"/{path}" if path else ""),
                                                        description=message, reason=error.reason)
            for path, message in error.problems]))
    elif code == grpc.StatusCode.INVALID_ARGUMENT:
        field = getattr(error, "field", "") or _FIELDS.get(type(error), "")
        details.append(error_details_pb2.BadRequest(field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field=field, description=error.message, reason=error.reason)]))
    elif isinstance(error, errors.IncompatibleSchema):
        subject = error.facts.get("subject", "")
        details.append(error_details_pb2.PreconditionFailure(violations=[
            error_details_pb2.PreconditionFailure.Violation(
                type=reason.code, subject=f"subjects/{subject}/versions/{reason.old_version or 'latest'}"
                f"#{reason.path}", description=reason.message)
            for reason in error.reasons]))
    elif code == grpc.StatusCode.FAILED_PRECONDITION:
        subject = error.facts.get("subject", "")
        resource = f"subjects/{subject}" + (f"/versions/{error.facts['version']}" if "version" in error.facts else "")
        details.append(error_details_pb2.PreconditionFailure(violations=[
            error_details_pb2.PreconditionFailure.Violation(type=error.reason, subject=resource,
                                                            description=error.message)]))
    packed = []
    for detail in details:
        item = any_pb2.Any()
        item.Pack(detail)
        packed.append(item)
    return rpc_status.to_status(status_pb2.Status(code=getattr(code_pb2, code.name), message=error.message,
                                                  details=packed))


# -- operations, as counted ------------------------------------------------------------------------------

# The registry's operations by gRPC method: the `op` label of convsvc_registry_operations_total, the same
# for the REST route doing the same thing (convsvc/server/rest/app.py ROUTES).
OPERATIONS = {
    "RegisterSchema": "register", "LookupSchema": "lookup", "GetSchema": "get_schema",
    "GetSchemaVersion": "get_version", "ListSubjects": "list_subjects", "ListVersions": "list_versions",
    "ListSchemaVersions": "list_schema_versions", "ListReferencedBy": "referenced_by",
    "CheckCompatibility": "check_compatibility", "GetCompatibility": "get_compatibility",
    "SetCompatibility": "set_compatibility", "DeleteCompatibility": "delete_compatibility",
    "GetMode": "get_mode", "SetMode": "set_mode", "DeleteMode": "delete_mode",
    "DeleteSubject": "delete_subject", "DeleteSchemaVersion": "delete_version",
}
OK = "ok"


def outcome_of(error: BaseException) -> str:
    """The `outcome` label of a failed operation: the gRPC status code name its refusal has (over REST
    too: the same RegistryError is the same outcome), CANCELLED when the caller went away, UNKNOWN for
    anything unexpected."""
    if isinstance(error, RegistryError):
        return registry_status_code(error).name
    if isinstance(error, asyncio.CancelledError):
        return grpc.StatusCode.CANCELLED.name
    return grpc.StatusCode.UNKNOWN.name


def _counted(method: Callable) -> Callable:
    """A servicer method that counts its operation with its outcome, however it ends."""
    op = OPERATIONS[method.__name__]

    @functools.wraps(method)
    async def counted(self, request, context):
        try:
            response = await method(self, request, context)
        except _Refused as refused:
            metrics.record_registry_operation(op, outcome_of(refused.error))
            await context.abort_with_status(registry_status(refused.error))
        except BaseException as error:
            metrics.record_registry_operation(op, outcome_of(error))
            raise
        metrics.record_registry_operation(op, OK)
        return response
    return counted


class _Refused(Exception):
    """A RegistryError on its way to becoming the call's status (counted first)."""

    def __init__(self, error: RegistryError) -> None:
        self.error = error


# -- the servicer ----------------------------------------------------------------------------------------

class SchemaRegistryService(pb_grpc.SchemaRegistryServiceServicer):
    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    async def _call(self, context: grpc.aio.ServicerContext, function: Callable, *args, **kwargs):
        try:
            return await asyncio.to_thread(function, *args, **kwargs)
        except RegistryError as error:
            raise _Refused(error) from None

    def _serialized(self, schema: StoredSchema, format: int) -> str:
        """Confluent's format=serialized: Protobuf as base64 FileDescriptorProto; other types as stored."""
        if format == pb.SCHEMA_FORMAT_SERIALIZED and schema.type is SchemaType.PROTOBUF:
            return self._registry.compiled(schema.id).value.serialized()
        return schema.text

    @_counted
    async def RegisterSchema(self, request, context):
        registered = await self._call(
            context, self._registry.register, request.subject, schema_from_proto(request.schema), request.normalize,
            schema_id=request.id if request.HasField("id") else None,
            version=request.version if request.HasField("version") else None)
        return pb.RegisterSchemaResponse(schema=registered_to_proto(registered))

    @_counted
    async def LookupSchema(self, request, context):
        found = await self._call(context, self._registry.lookup, request.subject, schema_from_proto(request.schema),
                                 request.normalize, request.include_deleted)
        return pb.LookupSchemaResponse(schema=registered_to_proto(found))

    @_counted
    async def GetSchema(self, request, context):
        def get():
            schema = self._registry.schema_by_id(request.id)
            return schema, self._serialized(schema, request.format)

        schema, text = await self._call(context, get)
        return pb.GetSchemaResponse(id=schema.id, schema=schema_to_proto(schema, text))

    @_counted
    async def GetSchemaVersion(self, request, context):
        def get():
            found = self._registry.schema_by_subject(request.subject, request.version or LATEST,
                                                     request.include_deleted)
            return found, self._serialized(found.schema, request.format)

        found, text = await self._call(context, get)
        return pb.GetSchemaVersionResponse(schema=registered_to_proto(found, text))

    @_counted
    async def ListSubjects(self, request, context):
        subjects = await self._call(context, self._registry.subjects, request.prefix, request.include_deleted)
        return pb.ListSubjectsResponse(subjects=subjects)

    @_counted
    async def ListVersions(self, request, context):
        versions = await self._call(context, self._registry.versions, request.subject, request.include_deleted)
        return pb.ListVersionsResponse(versions=versions)

    @_counted
    async def ListSchemaVersions(self, request, context):
        usages = await self._call(context, self._registry.schema_usages, request.id, request.include_deleted)
        return pb.ListSchemaVersionsResponse(
            versions=[cpb.SubjectVersion(subject=subject, version=version) for subject, version in usages])

    @_counted
    async def ListReferencedBy(self, request, context):
        ids = await self._call(context, self._registry.referenced_by, request.subject, request.version or LATEST)
        return pb.ListReferencedByResponse(ids=ids)

    @_counted
    async def CheckCompatibility(self, request, context):
        level, reasons = await self._call(context, self._registry.check, request.subject,
                                          schema_from_proto(request.schema), request.version or None,
                                          request.normalize)
        return pb.CheckCompatibilityResponse(compatible=not reasons, level=level_to_proto(level),
                                             reasons=[reason_to_proto(reason) for reason in reasons])

    @_counted
    async def GetCompatibility(self, request, context):
        level = await self._call(context, self._registry.get_level, request.subject or None,
                                 request.default_to_global)
        return pb.GetCompatibilityResponse(level=level_to_proto(level))

    @_counted
    async def SetCompatibility(self, request, context):
        def set_level():
            return self._registry.set_level(level_from_proto(request.level), request.subject or None)

        return pb.SetCompatibilityResponse(level=level_to_proto(await self._call(context, set_level)))

    @_counted
    async def DeleteCompatibility(self, request, context):
        level = await self._call(context, self._registry.delete_level, request.subject or None)
        return pb.DeleteCompatibilityResponse(level=level_to_proto(level))

    @_counted
    async def GetMode(self, request, context):
        mode = await self._call(context, self._registry.get_mode, request.subject or None, request.default_to_global)
        return pb.GetModeResponse(mode=mode_to_proto(mode))

    @_counted
    async def SetMode(self, request, context):
        def set_mode():
            return self._registry.set_mode(mode_from_proto(request.mode), request.subject or None, request.force)

        return pb.SetModeResponse(mode=mode_to_proto(await self._call(context, set_mode)))

    @_counted
    async def DeleteMode(self, request, context):
        mode = await self._call(context, self._registry.delete_mode, request.subject or None)
        return pb.DeleteModeResponse(mode=mode_to_proto(mode))

    @_counted
    async def DeleteSubject(self, request, context):
        versions = await self._call(context, self._registry.delete_subject, request.subject, request.permanent)
        return pb.DeleteSubjectResponse(versions=versions)

    @_counted
    async def DeleteSchemaVersion(self, request, context):
        version = await self._call(context, self._registry.delete_version, request.subject,
                                   request.version or LATEST, request.permanent)
        return pb.DeleteSchemaVersionResponse(version=version)


def add_registry_service(server: grpc.aio.Server, registry: Registry) -> str:
    """Add the servicer to a server; returns the service name for health and reflection."""
    pb_grpc.add_SchemaRegistryServiceServicer_to_server(SchemaRegistryService(registry), server)
    return SERVICE_NAME


def open_registry_for(config) -> Registry:
    """The registry a server Config's [registry] table asks for: `store` ("sqlite", the default, or
    "postgres"), `sqlite_path` (default `<data_dir>/registry.db`), `postgres_dsn`."""
    from convsvc.registry import open_registry, store_url

    settings = config.registry
    return open_registry(store_url(settings.store, data_dir=config.data_dir,
                                   sqlite_path=settings.sqlite_path or None,
                                   postgres_dsn=settings.postgres_dsn or None))
