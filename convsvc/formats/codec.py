"""What a format codec provides: its encodings, decode/encode, and a record-stream splitter.

A codec is a module (json_codec, yaml_codec, ...) exposing the names of `Codec` below; the table of
formats in convsvc/formats/__init__.py lists them. Codecs know nothing of gRPC or storage.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Protocol

from convsvc.model import Context


@dataclasses.dataclass(frozen=True, slots=True)
class Encoding:
    """One encoding of a format; `multi_document` encodings carry a stream of documents."""

    name: str
    description: str
    multi_document: bool = False
    options: Mapping[str, str] = dataclasses.field(default_factory=dict)  # name -> meaning


class RecordSplitter(Protocol):
    """Cuts a byte stream that arrives in arbitrary chunks into complete records.

    Memory is bounded by the largest record (never the stream): a record longer than
    ctx.limits.max_message_bytes raises LimitExceeded.
    """

    def feed(self, chunk: bytes) -> list[bytes]: ...  # records completed by this chunk

    def finish(self) -> list[bytes]: ...  # what remains at end of stream


class Codec(Protocol):
    NAME: str
    DESCRIPTION: str
    ENCODINGS: Mapping[str, Encoding]  # the first is the default
    SCHEMA_TYPES: tuple[str, ...]  # schema types the format can use (avro, protobuf, json); the first is assumed

    def decode(self, data: bytes, ctx: Context) -> list[Any]:
        """Decode a payload in ctx.encoding into its documents (one for single-document encodings)."""

    def encode(self, documents: list[Any], ctx: Context) -> bytes:
        """Encode documents in ctx.encoding; single-document encodings receive exactly one."""

    def record_splitter(self, ctx: Context) -> RecordSplitter:
        """A splitter for the stream form of ctx.encoding (each record is then decoded alone)."""

    def encode_record(self, value: Any, ctx: Context) -> bytes:
        """One record as it appears in the stream form of ctx.encoding, separator included."""
