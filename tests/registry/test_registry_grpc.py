"""SchemaRegistryService over gRPC: the calls, and refusals as rich google.rpc statuses."""

from __future__ import annotations

import json

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from convsvc.v1 import conversion_pb2 as cpb
from convsvc.v1 import registry_pb2 as pb
from convsvc.v1 import registry_pb2_grpc as pb_grpc

USER = json.dumps({"type": "record", "name": "User", "fields": [{"name": "id", "type": "long"}]})
USER_EMAIL = json.dumps({"type": "record", "name": "User", "fields": [
    {"name": "id", "type": "long"}, {"name": "email", "type": "string"}]})


def details(error: grpc.aio.AioRpcError) -> dict:
    status = rpc_status.from_call(error)
    out = {}
    for any_detail in status.details:
        for kind in (error_details_pb2.ErrorInfo, error_details_pb2.BadRequest, error_details_pb2.PreconditionFailure):
            if any_detail.Is(kind.DESCRIPTOR):
                message = kind()
                any_detail.Unpack(message)
                out[kind.__name__] = message
    return out


@pytest.fixture
async def stub(servers):
    async with grpc.aio.insecure_channel(servers["grpc"]) as channel:
        yield pb_grpc.SchemaRegistryServiceStub(channel)


async def test_register_get_and_list_over_grpc(stub):
    registered = await stub.RegisterSchema(pb.RegisterSchemaRequest(subject="users-value", schema=pb.Schema(text=USER)))
    assert (registered.schema.id, registered.schema.version) == (1, 1)
    assert registered.schema.schema.type == cpb.SCHEMA_TYPE_AVRO
    by_id = await stub.GetSchema(pb.GetSchemaRequest(id=1))
    assert by_id.schema.text == '{"type":"record","name":"User","fields":[{"name":"id","type":"long"}]}'
    latest = await stub.GetSchemaVersion(pb.GetSchemaVersionRequest(subject="users-value"))
    assert (latest.schema.version, latest.schema.id) == (1, 1)
    assert (await stub.ListSubjects(pb.ListSubjectsRequest())).subjects == ["users-value"]
    assert (await stub.ListVersions(pb.ListVersionsRequest(subject="users-value"))).versions == [1]
    usages = await stub.ListSchemaVersions(pb.ListSchemaVersionsRequest(id=1))
    assert [(v.subject, v.version) for v in usages.versions] == [("users-value", 1)]


async def test_unknown_subject_is_not_found_with_confluents_error_code(stub):
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.ListVersions(pb.ListVersionsRequest(subject="nobody"))
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND
    info = details(refused.value)["ErrorInfo"]
    assert (info.reason, info.domain, info.metadata["error_code"], info.metadata["subject"]) == \
        ("SUBJECT_NOT_FOUND", "convsvc", "40401", "nobody")


async def test_incompatible_schema_is_failed_precondition_with_every_reason(stub):
    await stub.RegisterSchema(pb.RegisterSchemaRequest(subject="users-value", schema=pb.Schema(text=USER)))
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.RegisterSchema(pb.RegisterSchemaRequest(subject="users-value", schema=pb.Schema(text=USER_EMAIL)))
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    found = details(refused.value)
    assert found["ErrorInfo"].metadata["error_code"] == "409"
    [violation] = found["PreconditionFailure"].violations
    assert (violation.type, violation.subject) == ("READER_FIELD_MISSING_DEFAULT_VALUE",
                                                   "subjects/users-value/versions/1#/fields/1")


async def test_check_compatibility_returns_reasons_without_registering(stub):
    await stub.RegisterSchema(pb.RegisterSchemaRequest(subject="users-value", schema=pb.Schema(text=USER)))
    result = await stub.CheckCompatibility(pb.CheckCompatibilityRequest(subject="users-value",
                                                                        schema=pb.Schema(text=USER_EMAIL)))
    assert not result.compatible
    assert result.level == pb.COMPATIBILITY_LEVEL_BACKWARD
    assert [(r.code, r.path, r.version) for r in result.reasons] == \
        [("READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/1", 1)]


async def test_invalid_protobuf_is_invalid_argument_with_line_and_column(stub):
    schema = pb.Schema(type=cpb.SCHEMA_TYPE_PROTOBUF, text='syntax = "proto3";\nmessage X {\n  strin id = 1;\n}\n')
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.RegisterSchema(pb.RegisterSchemaRequest(subject="x", schema=schema))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    found = details(refused.value)
    assert (found["ErrorInfo"].metadata["error_code"], found["ErrorInfo"].metadata["line"]) == ("42201", "3")
    [violation] = found["BadRequest"].field_violations
    assert violation.field == "schema.text"
    assert violation.description == 'line 3, column 3: "strin" is not defined.'


async def test_levels_and_modes_over_grpc(stub):
    assert (await stub.GetCompatibility(pb.GetCompatibilityRequest())).level == pb.COMPATIBILITY_LEVEL_BACKWARD
    await stub.SetCompatibility(pb.SetCompatibilityRequest(subject="s", level=pb.COMPATIBILITY_LEVEL_FULL))
    got = await stub.GetCompatibility(pb.GetCompatibilityRequest(subject="s"))
    assert got.level == pb.COMPATIBILITY_LEVEL_FULL
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.SetCompatibility(pb.SetCompatibilityRequest(level=pb.COMPATIBILITY_LEVEL_UNSPECIFIED))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert details(refused.value)["ErrorInfo"].metadata["error_code"] == "42203"
    await stub.SetMode(pb.SetModeRequest(mode=pb.REGISTRY_MODE_READONLY))
    with pytest.raises(grpc.aio.AioRpcError) as readonly:
        await stub.RegisterSchema(pb.RegisterSchemaRequest(subject="s", schema=pb.Schema(text=USER)))
    assert readonly.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert details(readonly.value)["ErrorInfo"].reason == "OPERATION_NOT_PERMITTED"


async def test_soft_then_hard_delete_over_grpc(stub):
    await stub.RegisterSchema(pb.RegisterSchemaRequest(subject="s", schema=pb.Schema(text=USER)))
    assert (await stub.DeleteSchemaVersion(pb.DeleteSchemaVersionRequest(subject="s", version=1))).version == 1
    deleted = await stub.GetSchemaVersion(pb.GetSchemaVersionRequest(subject="s", version=1, include_deleted=True))
    assert deleted.schema.deleted
    assert (await stub.DeleteSubject(pb.DeleteSubjectRequest(subject="s", permanent=True))).versions == [1]
    with pytest.raises(grpc.aio.AioRpcError) as gone:
        await stub.GetSchema(pb.GetSchemaRequest(id=1))
    assert details(gone.value)["ErrorInfo"].metadata["error_code"] == "40403"
