"""A call's outcome as stored for replay: status code, details, trailers (with the google.rpc details
of an error) and the serialized response. Stores hold it as opaque bytes."""

from __future__ import annotations

import base64
import dataclasses

import orjson


@dataclasses.dataclass(frozen=True, slots=True)
class Outcome:
    code: int  # grpc.StatusCode number; 0 = OK
    details: str = ""
    trailers: tuple[tuple[str, str | bytes], ...] = ()
    response: bytes = b""  # the serialized response message, when OK

    def to_bytes(self) -> bytes:
        """A JSON header line, then the response bytes as they are (no base64 for the big part)."""
        trailers = [[key, base64.b64encode(value).decode() if isinstance(value, bytes) else value,
                     isinstance(value, bytes)] for key, value in self.trailers]
        header = orjson.dumps({"code": self.code, "details": self.details, "trailers": trailers})
        return header + b"\n" + self.response

    @classmethod
    def from_bytes(cls, data: bytes) -> "Outcome":
        header, _, response = data.partition(b"\n")
        fields = orjson.loads(header)
        trailers = tuple((key, base64.b64decode(value) if binary else value)
                         for key, value, binary in fields["trailers"])
        return cls(code=fields["code"], details=fields["details"], trailers=trailers, response=response)
