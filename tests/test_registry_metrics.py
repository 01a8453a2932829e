"""convsvc_registry_operations_total: every registry call over gRPC and REST counted once, by operation
and outcome, in a scrape of a real server's /metrics."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request

import grpc

from convsvc.server.registry_service import OPERATIONS
from convsvc.server.rest.app import ROUTES
from convsvc.v1 import registry_pb2 as pb
from convsvc.v1 import registry_pb2_grpc as pb_grpc
from tests.serving import MetricsServer, free_port

USER = json.dumps({"type": "record", "name": "User", "fields": [{"name": "id", "type": "long"}]})
COUNTER = "convsvc_registry_operations_total"


def rest(url: str, method: str = "GET", body: bytes | None = None) -> int:
    request = urllib.request.Request(url, data=body, method=method,
                                     headers={"Content-Type": "application/vnd.schemaregistry.v1+json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def grpc_code(call, request) -> grpc.StatusCode:
    try:
        call(request, timeout=10)
    except grpc.RpcError as error:
        return error.code()
    return grpc.StatusCode.OK


def test_every_grpc_method_and_rest_route_names_an_operation_of_one_vocabulary():
    service = pb.DESCRIPTOR.services_by_name["SchemaRegistryService"]
    assert set(OPERATIONS) == {method.name for method in service.methods}
    assert {op for *_, op in ROUTES if op is not None} == set(OPERATIONS.values())


def test_registry_calls_over_grpc_and_rest_are_counted_exactly_by_operation_and_outcome(tmp_path):
    rest_port = free_port()
    server = MetricsServer(tmp_path, "--rest-port", str(rest_port))
    try:
        deadline = time.monotonic() + 20
        while not re.search(r"REST schema registry on", server.log()):
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.05)
        base = f"http://127.0.0.1:{rest_port}"
        with grpc.insecure_channel(server.address) as channel:
            stub = pb_grpc.SchemaRegistryServiceStub(channel)
            register = pb.RegisterSchemaRequest(subject="orders-value", schema=pb.Schema(text=USER))
            registered = stub.RegisterSchema(register, timeout=10)
            codes = [
                grpc_code(stub.RegisterSchema, register),  # the same schema again: its id
                grpc_code(stub.RegisterSchema, pb.RegisterSchemaRequest(subject="orders-value",
                                                                        schema=pb.Schema(text="{"))),
                grpc_code(stub.GetSchema, pb.GetSchemaRequest(id=registered.schema.id)),
                grpc_code(stub.GetSchema, pb.GetSchemaRequest(id=9999)),
                grpc_code(stub.SetCompatibility, pb.SetCompatibilityRequest(
                    level=pb.COMPATIBILITY_LEVEL_UNSPECIFIED)),
                grpc_code(stub.ListSubjects, pb.ListSubjectsRequest()),
            ]
        assert codes == [grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.OK,
                         grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.OK]
        statuses = [
            rest(f"{base}/subjects/rest-value/versions", "POST", json.dumps({"schema": USER}).encode()),
            rest(f"{base}/subjects/rest-value/versions", "POST", b"not json"),
            rest(f"{base}/schemas/ids/9999"),
            rest(f"{base}/subjects"),
            rest(f"{base}/config", "PUT", json.dumps({"compatibility": "SOMETIMES"}).encode()),
            rest(f"{base}/subjects/nobody", "DELETE"),
            rest(f"{base}/"),  # not an operation on the registry: not counted
            rest(f"{base}/schemas/types"),  # nor this
        ]
        assert statuses == [200, 422, 404, 200, 422, 404, 200, 200]
        counted = {(dict(labels)["op"], dict(labels)["outcome"]): value
                   for (name, labels), value in server.scrape().items() if name == COUNTER}
    finally:
        server.stop()
    assert counted == {
        ("register", "ok"): 3.0,  # two over gRPC, one over REST
        ("register", "INVALID_ARGUMENT"): 2.0,  # an unparsable schema (gRPC), a body that is not JSON (REST)
        ("get_schema", "ok"): 1.0,
        ("get_schema", "NOT_FOUND"): 2.0,
        ("set_compatibility", "INVALID_ARGUMENT"): 2.0,
        ("list_subjects", "ok"): 2.0,
        ("delete_subject", "NOT_FOUND"): 1.0,
    }
