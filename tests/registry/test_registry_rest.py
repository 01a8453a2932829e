"""The Confluent-compatible REST API: driven by confluent-kafka's own SchemaRegistryClient and its
Avro, Protobuf and JSON serializers/deserializers (unchanged), and by plain HTTP for the error bodies."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request

import pytest
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pool, message_factory

from convsvc.registry.model import SchemaType
from convsvc.registry.types import Dependency, parse

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
USER = json.dumps({"type": "record", "name": "User", "namespace": "acme",
                   "fields": [{"name": "name", "type": "string"}, {"name": "age", "type": "int"}]})


def http(method: str, url: str, body: dict | None = None) -> tuple[int, str, object]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": CONTENT_TYPE})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers["Content-Type"], json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], json.loads(error.read())


async def test_avro_serializer_round_trips_through_this_registry(servers):
    def work():
        client = SchemaRegistryClient({"url": servers["rest"]})
        context = SerializationContext("users", MessageField.VALUE)
        payload = AvroSerializer(client, USER)({"name": "ann", "age": 41}, context)
        assert payload[:5] == b"\x00\x00\x00\x00\x01"  # magic byte + id 1
        assert AvroDeserializer(client)(payload, context) == {"name": "ann", "age": 41}
        assert client.get_latest_version("users-value").schema_id == 1
        return client.get_subjects()

    assert await asyncio.to_thread(work) == ["users-value"]


async def test_protobuf_serializer_registers_references_and_round_trips(servers):
    common = 'syntax = "proto3";\npackage acme.common;\nmessage Money { string currency = 1; int64 units = 2; }\n'
    order = ('syntax = "proto3";\npackage acme.v1;\nimport "acme/common.proto";\n'
             'import "google/protobuf/timestamp.proto";\n'
             'message Order { string id = 1; acme.common.Money total = 2; google.protobuf.Timestamp at = 3; }\n')
    common_file = parse(SchemaType.PROTOBUF, common).value.file
    common_file.name = "acme/common.proto"
    order_file = parse(SchemaType.PROTOBUF, order, [Dependency("acme/common.proto", SchemaType.PROTOBUF,
                                                               common)]).value.file
    order_file.name = "acme/order.proto"
    from google.protobuf import timestamp_pb2

    pool = descriptor_pool.DescriptorPool()
    from google.protobuf import descriptor_pb2

    timestamp = descriptor_pb2.FileDescriptorProto()
    timestamp_pb2.DESCRIPTOR.CopyToProto(timestamp)
    for file in (timestamp, common_file, order_file):
        pool.Add(file)
    Order = message_factory.GetMessageClass(pool.FindMessageTypeByName("acme.v1.Order"))

    def work():
        client = SchemaRegistryClient({"url": servers["rest"]})
        context = SerializationContext("orders", MessageField.VALUE)
        message = Order(id="o-1")
        message.total.currency, message.total.units = "EUR", 125
        message.at.seconds = 1_700_000_000
        payload = ProtobufSerializer(Order, client, {"use.deprecated.format": False})(message, context)
        assert payload[:6] == b"\x00\x00\x00\x00\x02\x00"  # id 2 (the reference got 1), message index [0]
        back = ProtobufDeserializer(Order, {"use.deprecated.format": False})(payload, context)
        registered = client.get_latest_version("orders-value")
        return back, registered, client.get_subjects()

    back, registered, subjects = await asyncio.to_thread(work)
    assert (back.id, back.total.units, back.at.seconds) == ("o-1", 125, 1_700_000_000)
    assert subjects == ["acme/common.proto", "orders-value"]
    assert [(r.name, r.subject, r.version) for r in registered.schema.references] == \
        [("acme/common.proto", "acme/common.proto", 1)]
    assert "message Order {" in registered.schema.schema_str  # stored as .proto text


async def test_json_schema_serializer_round_trips_and_validates(servers):
    schema = json.dumps({"$schema": "http://json-schema.org/draft-07/schema#", "title": "Event", "type": "object",
                         "properties": {"kind": {"type": "string"}, "n": {"type": "integer"}},
                         "required": ["kind"]})

    def work():
        client = SchemaRegistryClient({"url": servers["rest"]})
        context = SerializationContext("events", MessageField.VALUE)
        payload = JSONSerializer(schema, client)({"kind": "click", "n": 3}, context)
        back = JSONDeserializer(schema, schema_registry_client=client)(payload, context)
        return back, client.get_latest_version("events-value").schema.schema_type

    assert await asyncio.to_thread(work) == ({"kind": "click", "n": 3}, "JSON")


async def test_client_sees_confluent_errors_and_compatibility(servers):
    def work():
        client = SchemaRegistryClient({"url": servers["rest"]})
        client.register_schema("users-value", Schema(USER, "AVRO"))
        incompatible = json.dumps({"type": "record", "name": "User", "namespace": "acme",
                                   "fields": [{"name": "name", "type": "int"}]})
        assert client.test_compatibility("users-value", Schema(incompatible, "AVRO")) is False
        with pytest.raises(SchemaRegistryError) as conflict:
            client.register_schema("users-value", Schema(incompatible, "AVRO"))
        with pytest.raises(SchemaRegistryError) as missing:
            client.get_version("users-value", 9)
        client.set_compatibility("users-value", "NONE")
        assert client.get_compatibility("users-value") == "NONE"
        return conflict.value, missing.value, client.delete_subject("users-value")

    conflict, missing, deleted = await asyncio.to_thread(work)
    assert (conflict.http_status_code, conflict.error_code) == (409, 409)
    assert (missing.http_status_code, missing.error_code) == (404, 40402)
    assert deleted == [1]


async def test_rest_error_bodies_and_content_type_are_confluents(servers):
    base = servers["rest"]

    def work():
        return [
            http("GET", f"{base}/subjects/nobody/versions"),
            http("GET", f"{base}/schemas/ids/77"),
            http("POST", f"{base}/subjects/s/versions", {"schema": "{not json"}),
            http("PUT", f"{base}/config", {"compatibility": "SOMETIMES"}),
            http("GET", f"{base}/subjects/s/versions/zero"),
            http("GET", f"{base}/schemas/types"),
        ]

    results = await asyncio.to_thread(work)
    codes = [(status, body.get("error_code") if isinstance(body, dict) else body) for status, _, body in results]
    assert codes == [(404, 40401), (404, 40403), (422, 42201), (422, 42203), (422, 42202),
                     (200, ["JSON", "PROTOBUF", "AVRO"])]
    assert all(content_type.startswith(CONTENT_TYPE) for _, content_type, _ in results)


async def test_verbose_compatibility_names_the_path(servers):
    base = servers["rest"]

    def work():
        http("POST", f"{base}/subjects/u/versions", {"schema": USER})
        added = json.dumps({"type": "record", "name": "User", "namespace": "acme", "fields": [
            {"name": "name", "type": "string"}, {"name": "age", "type": "int"}, {"name": "email", "type": "string"}]})
        return http("POST", f"{base}/compatibility/subjects/u/versions/latest?verbose=true", {"schema": added})

    status, _, body = await asyncio.to_thread(work)
    assert status == 200
    assert body == {"is_compatible": False, "messages": [
        "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'email' at path '/fields/2' in "
        "the new schema has no default value and is missing in the old schema', oldSchemaVersion:1}",
        "{compatibility: 'BACKWARD'}"]}


async def test_config_and_mode_endpoints(servers):
    base = servers["rest"]

    def work():
        return [
            http("GET", f"{base}/config")[2],
            http("PUT", f"{base}/config/s", {"compatibility": "full"})[2],
            http("GET", f"{base}/config/s")[2],
            http("GET", f"{base}/config/t"),
            http("GET", f"{base}/config/t?defaultToGlobal=true")[2],
            http("PUT", f"{base}/mode", {"mode": "READONLY"})[2],
            http("POST", f"{base}/subjects/s/versions", {"schema": USER}),
            http("GET", f"{base}/mode")[2],
        ]

    results = await asyncio.to_thread(work)
    assert results[0] == {"compatibilityLevel": "BACKWARD"}
    assert results[1] == {"compatibility": "FULL"}
    assert results[2] == {"compatibilityLevel": "FULL"}
    assert results[3][0] == 404 and results[3][2]["error_code"] == 40408
    assert results[4] == {"compatibilityLevel": "BACKWARD"}
    assert results[5] == {"mode": "READONLY"}
    assert results[6][0] == 422 and results[6][2]["error_code"] == 42205
    assert results[7] == {"mode": "READONLY"}
