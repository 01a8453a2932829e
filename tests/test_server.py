"""The gRPC contract seen by a real client against a real server process."""

from __future__ import annotations

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from grpc_status import rpc_status

from convsvc.v1 import conversion_pb2 as pb

JSON = pb.FormatSpec(format=pb.FORMAT_JSON)


def details(error: grpc.RpcError) -> dict:
    """The google.rpc details of a refusal, by type name."""
    status = rpc_status.from_call(error)
    found = {}
    for detail in status.details:
        for message in (error_details_pb2.BadRequest(), error_details_pb2.ErrorInfo(), pb.Report()):
            if detail.Is(message.DESCRIPTOR):
                detail.Unpack(message)
                found[type(message).__name__] = message
    return found


def refuse(stub, request) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        stub.Convert(request, timeout=10)
    return caught.value


def test_convert_returns_the_converted_payload_and_an_empty_report(stub):
    response = stub.Convert(pb.ConvertRequest(source=JSON, target=JSON, payload=b'{ "a": [1, 2] }'), timeout=10)
    assert response.payload == b'{"a":[1,2]}'
    assert list(response.report.issues) == []


def test_syntax_error_is_invalid_argument_with_bad_request_and_error_info(stub):
    error = refuse(stub, pb.ConvertRequest(source=JSON, target=JSON, payload=b'{"a": [1,, 2]}'))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    found = details(error)
    violation = found["BadRequest"].field_violations[0]
    assert (violation.field, violation.reason) == ("", "SYNTAX_ERROR")
    assert violation.description.startswith("line 1, column 10: ")
    info = found["ErrorInfo"]
    assert (info.reason, info.domain) == ("SYNTAX_ERROR", "convsvc")
    assert (info.metadata["line"], info.metadata["column"], info.metadata["offset"]) == ("1", "10", "9")
    issue = found["Report"].issues[0]
    assert (issue.code, issue.line, issue.column, issue.offset, issue.severity) == (
        pb.ISSUE_CODE_SYNTAX_ERROR, 1, 10, 9, pb.SEVERITY_ERROR)


def test_every_duplicate_key_is_a_field_violation_named_by_json_pointer(stub):
    error = refuse(stub, pb.ConvertRequest(source=JSON, target=JSON, payload=b'{"a":1,"a":2,"b":{"c":1,"c":2}}'))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    violations = details(error)["BadRequest"].field_violations
    assert [(v.field, v.reason) for v in violations] == [("/a", "DUPLICATE_KEY"), ("/b/c", "DUPLICATE_KEY")]


def test_robust_mode_reports_what_it_changed(stub):
    request = pb.ConvertRequest(source=JSON, target=JSON, payload=b'{"a":1,"a":2}', mode=pb.MODE_ROBUST)
    response = stub.Convert(request, timeout=10)
    assert response.payload == b'{"a":2}'
    assert [(i.code, i.path, i.severity) for i in response.report.issues] == [
        (pb.ISSUE_CODE_DUPLICATE_KEY, "/a", pb.SEVERITY_WARNING)]


def test_depth_limit_is_invalid_argument_naming_the_limit(stub):
    error = refuse(stub, pb.ConvertRequest(source=JSON, target=JSON, payload=b"[" * 100_000))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    info = details(error)["ErrorInfo"]
    assert (info.reason, info.metadata["limit"], info.metadata["maximum"]) == ("LIMIT_EXCEEDED", "max_depth", "200")


def test_payload_past_the_message_limit_is_resource_exhausted(stub):
    error = refuse(stub, pb.ConvertRequest(source=JSON, target=JSON, payload=b" " * (65 * 1024 * 1024)))
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_missing_format_is_invalid_argument_naming_the_request_field(stub):
    error = refuse(stub, pb.ConvertRequest(source=JSON, payload=b"1"))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert details(error)["BadRequest"].field_violations[0].field == "target.format"


def test_format_value_unknown_to_the_server_is_invalid_argument(stub):
    error = refuse(stub, pb.ConvertRequest(source=JSON, target=pb.FormatSpec(format=99), payload=b"1"))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert details(error)["BadRequest"].field_violations[0].field == "target.format"


def test_list_formats_names_json_and_yaml_with_their_encodings(stub):
    formats = {f.name: f for f in stub.ListFormats(pb.ListFormatsRequest(), timeout=10).formats}
    assert {"json", "yaml"} <= set(formats)
    json_encodings = {e.name: e for e in formats["json"].encodings}
    assert json_encodings["json"].is_default and not json_encodings["json"].multi_document
    assert json_encodings["jsonl"].multi_document
    assert formats["json"].format == pb.FORMAT_JSON


def test_health_service_answers_serving(channel):
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", "convsvc.v1.ConversionService"):
        response = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=10)
        assert response.status == health_pb2.HealthCheckResponse.SERVING


def test_reflection_lists_the_services(channel):
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    responses = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]),
                                          timeout=10)
    names = {service.name for response in responses for service in response.list_services_response.service}
    assert {"convsvc.v1.ConversionService", "grpc.health.v1.Health"} <= names


# -- ConvertStream ------------------------------------------------------------------------------

def stream_requests(spec: pb.StreamSpec, items):
    yield pb.ConvertStreamRequest(spec=spec)
    for kind, data in items:
        yield pb.ConvertStreamRequest(**{kind: data})


JSONL = pb.FormatSpec(format=pb.FORMAT_JSON, encoding="jsonl")


def test_stream_of_chunks_cut_anywhere_gives_one_response_per_record(stub):
    text = b"".join(b'{"n": %d}\n' % i for i in range(50))
    chunks = [("chunk", text[i:i + 7]) for i in range(0, len(text), 7)]
    responses = list(stub.ConvertStream(stream_requests(pb.StreamSpec(source=JSONL, target=JSONL), chunks),
                                        timeout=10))
    assert [r.index for r in responses] == list(range(50))
    assert b"".join(r.record for r in responses) == b"".join(b'{"n":%d}\n' % i for i in range(50))


def test_stream_of_whole_records(stub):
    items = [("record", b'{"a": 1}'), ("record", b"[2]")]
    responses = list(stub.ConvertStream(stream_requests(pb.StreamSpec(source=JSON, target=JSONL), items), timeout=10))
    assert [r.record for r in responses] == [b'{"a":1}\n', b"[2]\n"]


def test_stream_in_fragile_mode_ends_with_the_refusal_of_the_bad_record(stub):
    items = [("record", b"1"), ("record", b"[1,"), ("record", b"3")]
    call = stub.ConvertStream(stream_requests(pb.StreamSpec(source=JSON, target=JSONL), items), timeout=10)
    received = []
    with pytest.raises(grpc.RpcError) as caught:
        for response in call:
            received.append(response.record)
    assert received == [b"1\n"]
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert details(caught.value)["ErrorInfo"].reason == "SYNTAX_ERROR"


def test_stream_in_robust_mode_reports_the_bad_record_and_goes_on(stub):
    items = [("record", b"1"), ("record", b'["\\ud800"]'), ("record", b"3")]  # a lone surrogate: no repair
    spec = pb.StreamSpec(source=JSON, target=JSONL, mode=pb.MODE_ROBUST)
    responses = list(stub.ConvertStream(stream_requests(spec, items), timeout=10))
    assert [r.WhichOneof("result") for r in responses] == ["record", "error", "record"]
    error = responses[1].error
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert error.issues[0].code == pb.ISSUE_CODE_LONE_SURROGATE


def test_stream_without_a_spec_first_is_invalid_argument(stub):
    def requests():
        yield pb.ConvertStreamRequest(record=b"1")

    with pytest.raises(grpc.RpcError) as caught:
        list(stub.ConvertStream(requests(), timeout=10))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


# -- schemas from the server's own registry ------------------------------------------------------

def test_convert_uses_a_schema_registered_in_the_servers_registry(channel, stub):
    from convsvc.v1 import registry_pb2 as rpb
    from convsvc.v1 import registry_pb2_grpc

    registry = registry_pb2_grpc.SchemaRegistryServiceStub(channel)
    schema = '{"type": "record", "name": "Point", "fields": [{"name": "x", "type": "int"}, {"name": "y", "type": "int"}]}'
    registered = registry.RegisterSchema(rpb.RegisterSchemaRequest(
        subject="points-value", schema=rpb.Schema(type=pb.SCHEMA_TYPE_AVRO, text=schema)), timeout=10).schema
    avro = pb.FormatSpec(format=pb.FORMAT_AVRO, schema=pb.SchemaRef(id=registered.id))
    response = stub.Convert(pb.ConvertRequest(source=JSON, target=avro, payload=b'{"x": 1, "y": -1}'), timeout=10)
    assert response.payload == b"\x02\x01"
    by_subject = pb.FormatSpec(format=pb.FORMAT_AVRO,
                               schema=pb.SchemaRef(subject=pb.SubjectVersion(subject="points-value")))
    back = stub.Convert(pb.ConvertRequest(source=by_subject, target=JSON, payload=response.payload), timeout=10)
    assert back.payload == b'{"x":1,"y":-1}'


def test_unknown_schema_id_is_not_found_naming_the_field(stub):
    avro = pb.FormatSpec(format=pb.FORMAT_AVRO, schema=pb.SchemaRef(id=424242))
    error = refuse(stub, pb.ConvertRequest(source=JSON, target=avro, payload=b"{}"))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    violation = details(error)["BadRequest"].field_violations[0]
    assert (violation.field, violation.reason) == ("target.schema", "SCHEMA_NOT_FOUND")
