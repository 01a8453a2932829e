"""The access log in the text format (`[log] format = "text"`): one line per call, naming its request id."""

from __future__ import annotations

import re
import time

import grpc

from convsvc.v1 import conversion_pb2 as pb
from convsvc.v1 import conversion_pb2_grpc
from tests.conftest import ServerProcess
from tests.serving import write_config

JSON = pb.FormatSpec(format=pb.FORMAT_JSON)


def test_a_text_access_line_names_the_call_its_request_id_and_code(tmp_path):
    config = write_config(tmp_path, '[log]\nformat = "text"\n')
    server = ServerProcess(tmp_path, "--config", str(config))
    try:
        with grpc.insecure_channel(server.address) as channel:
            conversion_pb2_grpc.ConversionServiceStub(channel).Convert(
                pb.ConvertRequest(source=JSON, target=JSON, payload=b"[1]"),
                metadata=[("x-request-id", "text-line-1")], timeout=10)
        pattern = r"INFO convsvc\.access \[text-line-1\]: /convsvc\.v1\.ConversionService/Convert OK [\d.]+\n"
        deadline = time.monotonic() + 10
        while not re.search(pattern, server.log()):
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.02)
    finally:
        server.stop()
