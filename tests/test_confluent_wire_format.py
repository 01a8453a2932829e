"""Kafka's Confluent wire format through Convert: what confluent-kafka's serializers write against this
server's REST registry converts to JSON by looking the id up, and back for its deserializers."""

from __future__ import annotations

import json
import re
import socket
import time

import grpc
import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from convsvc.v1 import conversion_pb2 as pb
from convsvc.v1 import conversion_pb2_grpc
from tests.conftest import ServerProcess

USER = ('{"type": "record", "name": "User", "namespace": "acme", "fields": ['
        '{"name": "name", "type": "string"}, {"name": "age", "type": "int"}]}')
JSON = pb.FormatSpec(format=pb.FORMAT_JSON)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    process = ServerProcess(tmp_path_factory.mktemp("confluent"), "--rest-port", str(free_port()))
    deadline = time.monotonic() + 20
    while not (match := re.search(r"REST schema registry on (http://[0-9.]+:[0-9]+)", process.log())):
        assert time.monotonic() < deadline, process.log()
        time.sleep(0.05)
    process.rest = match.group(1)
    yield process
    process.stop()


def test_a_kafka_serializers_message_converts_to_json_through_the_registry(server):
    client = SchemaRegistryClient({"url": server.rest})
    context = SerializationContext("users", MessageField.VALUE)
    message = AvroSerializer(client, USER)({"name": "ann", "age": 41}, context)
    assert message[:1] == b"\x00"
    with grpc.insecure_channel(server.address) as channel:
        stub = conversion_pb2_grpc.ConversionServiceStub(channel)
        response = stub.Convert(pb.ConvertRequest(
            source=pb.FormatSpec(format=pb.FORMAT_AVRO, encoding="confluent"), target=JSON, payload=message), timeout=10)
    assert json.loads(response.payload) == {"name": "ann", "age": 41}


def test_json_converts_to_a_message_the_kafka_deserializer_reads(server):
    client = SchemaRegistryClient({"url": server.rest})
    context = SerializationContext("users", MessageField.VALUE)
    AvroSerializer(client, USER)({"name": "seed", "age": 1}, context)  # registers users-value
    target = pb.FormatSpec(format=pb.FORMAT_AVRO, encoding="confluent",
                           schema=pb.SchemaRef(subject=pb.SubjectVersion(subject="users-value")))
    with grpc.insecure_channel(server.address) as channel:
        stub = conversion_pb2_grpc.ConversionServiceStub(channel)
        message = stub.Convert(pb.ConvertRequest(source=JSON, target=target, payload=b'{"name": "bo", "age": 7}'),
                               timeout=10).payload
    assert AvroDeserializer(client)(message, context) == {"name": "bo", "age": 7}


def test_an_unknown_id_in_the_frame_is_not_found(server):
    with grpc.insecure_channel(server.address) as channel:
        stub = conversion_pb2_grpc.ConversionServiceStub(channel)
        with pytest.raises(grpc.RpcError) as caught:
            stub.Convert(pb.ConvertRequest(source=pb.FormatSpec(format=pb.FORMAT_AVRO, encoding="confluent"),
                                           target=JSON, payload=b"\x00\x00\x01\x00\x00\x02"), timeout=10)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


def test_an_inline_schema_cannot_write_the_frame(server):
    target = pb.FormatSpec(format=pb.FORMAT_AVRO, encoding="confluent",
                           schema=pb.SchemaRef(inline=pb.InlineSchema(type=pb.SCHEMA_TYPE_AVRO, text=USER)))
    with grpc.insecure_channel(server.address) as channel:
        stub = conversion_pb2_grpc.ConversionServiceStub(channel)
        with pytest.raises(grpc.RpcError) as caught:
            stub.Convert(pb.ConvertRequest(source=JSON, target=target, payload=b'{"name": "x", "age": 1}'), timeout=10)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


# -- Protobuf: the frame also carries the message indexes ------------------------------------------

SHOP = '''syntax = "proto3";
package shop;
message Cart { string id = 1; }
message Order { string id = 1; int64 total = 2; message Line { string sku = 1; } repeated Line lines = 3; }
'''


def register_shop(server) -> int:
    from convsvc.v1 import registry_pb2 as rpb
    from convsvc.v1 import registry_pb2_grpc

    with grpc.insecure_channel(server.address) as channel:
        return registry_pb2_grpc.SchemaRegistryServiceStub(channel).RegisterSchema(rpb.RegisterSchemaRequest(
            subject="shop-value", schema=rpb.Schema(type=pb.SCHEMA_TYPE_PROTOBUF, text=SHOP)), timeout=10).schema.id


@pytest.mark.parametrize("message, indexes, payload, expected", [
    ("shop.Cart", b"\x00", b'{"id": "c1"}', {"id": "c1"}),  # the first message: the short form [0]
    ("shop.Order", b"\x02\x02", b'{"id": "o1", "total": 5}', {"id": "o1", "total": 5}),  # [1]
    ("shop.Order.Line", b"\x04\x02\x00", b'{"sku": "s"}', {"sku": "s"}),  # [1, 0]
])
def test_protobuf_frames_name_the_message_by_its_indexes(server, message, indexes, payload, expected):
    schema_id = register_shop(server)
    target = pb.FormatSpec(format=pb.FORMAT_PROTOBUF, encoding="confluent", message_type=message,
                           schema=pb.SchemaRef(subject=pb.SubjectVersion(subject="shop-value")))
    with grpc.insecure_channel(server.address) as channel:
        stub = conversion_pb2_grpc.ConversionServiceStub(channel)
        framed = stub.Convert(pb.ConvertRequest(source=JSON, target=target, payload=payload), timeout=10).payload
        assert framed[:5 + len(indexes)] == b"\x00" + schema_id.to_bytes(4, "big") + indexes
        back = stub.Convert(pb.ConvertRequest(source=pb.FormatSpec(format=pb.FORMAT_PROTOBUF, encoding="confluent"),
                                              target=JSON, payload=framed), timeout=10)
    assert json.loads(back.payload) == expected


EVENT = json.dumps({"$schema": "http://json-schema.org/draft-07/schema#", "title": "Event", "type": "object",
                    "properties": {"kind": {"type": "string"}, "n": {"type": "integer"}}, "required": ["kind"]})


def test_a_json_schema_serializers_message_converts_through_the_registry_and_back(server):
    from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer

    client = SchemaRegistryClient({"url": server.rest})
    context = SerializationContext("events", MessageField.VALUE)
    message = JSONSerializer(EVENT, client)({"kind": "click", "n": 3}, context)
    schema_id = client.get_latest_version("events-value").schema_id
    assert message[:5] == b"\x00" + schema_id.to_bytes(4, "big")
    confluent = pb.FormatSpec(format=pb.FORMAT_JSON, encoding="confluent")
    with grpc.insecure_channel(server.address) as channel:
        stub = conversion_pb2_grpc.ConversionServiceStub(channel)
        yaml = stub.Convert(pb.ConvertRequest(source=confluent, target=pb.FormatSpec(format=pb.FORMAT_YAML),
                                              payload=message), timeout=10)
        assert yaml.payload == b"kind: click\n'n': 3\n"  # 'n' quoted: YAML 1.1 reads a bare n as false
        target = pb.FormatSpec(format=pb.FORMAT_JSON, encoding="confluent",
                               schema=pb.SchemaRef(subject=pb.SubjectVersion(subject="events-value")))
        framed = stub.Convert(pb.ConvertRequest(source=pb.FormatSpec(format=pb.FORMAT_YAML), target=target,
                                                payload=b"kind: view\nn: 9\n"), timeout=10).payload
        assert framed == b"\x00" + schema_id.to_bytes(4, "big") + b'{"kind":"view","n":9}'
        assert JSONDeserializer(EVENT, schema_registry_client=client)(framed, context) == {"kind": "view", "n": 9}

        with pytest.raises(grpc.RpcError) as refused:  # the id's schema is checked on the way in
            stub.Convert(pb.ConvertRequest(source=confluent, target=JSON,
                                           payload=message[:5] + b'{"n": "three"}'), timeout=10)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "SCHEMA_VIOLATION at (root)" in refused.value.details() and f"(schema {schema_id})" in \
            refused.value.details()
        with pytest.raises(grpc.RpcError) as refused:  # and on the way out, against the target schema
            stub.Convert(pb.ConvertRequest(source=JSON, target=target, payload=b'{"n": 1}'), timeout=10)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        with pytest.raises(grpc.RpcError) as refused:  # an inline schema has no id to frame with
            inline = pb.FormatSpec(format=pb.FORMAT_JSON, encoding="confluent", schema=pb.SchemaRef(
                inline=pb.InlineSchema(type=pb.SCHEMA_TYPE_JSON, text=EVENT)))
            stub.Convert(pb.ConvertRequest(source=JSON, target=inline, payload=b'{"kind": "x"}'), timeout=10)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "json/confluent writes the schema's registry id" in refused.value.details()


def test_json_confluent_streams_length_prefixed_messages(server):
    from confluent_kafka.schema_registry.json_schema import JSONSerializer

    client = SchemaRegistryClient({"url": server.rest})
    context = SerializationContext("events", MessageField.VALUE)
    messages = [JSONSerializer(EVENT, client)({"kind": "k", "n": n}, context) for n in (1, 2)]
    stream = b"".join(bytes([len(m) * 2]) + m for m in messages)  # each length as an Avro long (zigzag)
    with grpc.insecure_channel(server.address) as channel:
        stub = conversion_pb2_grpc.ConversionServiceStub(channel)

        def requests():
            yield pb.ConvertStreamRequest(spec=pb.StreamSpec(
                source=pb.FormatSpec(format=pb.FORMAT_JSON, encoding="confluent"),
                target=pb.FormatSpec(format=pb.FORMAT_JSON, encoding="jsonl")))
            yield pb.ConvertStreamRequest(chunk=stream[:7])
            yield pb.ConvertStreamRequest(chunk=stream[7:])

        assert [r.record for r in stub.ConvertStream(requests(), timeout=10)] == \
            [b'{"kind":"k","n":1}\n', b'{"kind":"k","n":2}\n']
