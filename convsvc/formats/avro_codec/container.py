"""Avro Object Container Files: header and blocks, read with bounded decompression, written deterministically.

fastavro's own reader inflates a whole block without a limit (a deflate bomb takes all memory), so
the container is parsed here and each block inflated with a budget; the records inside a block are
then read by fastavro's C reader like any binary datum.
"""

from __future__ import annotations

import dataclasses
import hashlib
import zlib
from typing import Iterator

from convsvc.formats.avro_codec.scan import Malformed, Truncated, read_long

MAGIC = b"Obj\x01"
SYNC_SIZE = 16
CODECS = ("null", "deflate", "snappy", "zstandard")
BLOCK_BYTES = 64 * 1024  # uncompressed bytes per block when writing (fastavro's and Java's default order)


class Inflated(Exception):
    """A block inflates past the budget: (offset)."""

    def __init__(self, offset: int) -> None:
        super().__init__(offset)
        self.offset = offset


class UnknownCodec(Exception):
    pass


@dataclasses.dataclass(slots=True)
class Header:
    schema_text: str
    codec: str
    sync: bytes
    metadata: dict[str, bytes]
    end: int  # offset of the first block


@dataclasses.dataclass(slots=True)
class Block:
    count: int
    data: bytes  # inflated
    offset: int  # of the block in the file
    data_offset: int  # of the (compressed) data in the file


def read_header(data: bytes, max_string: int) -> Header:
    if data[:4] != MAGIC[:len(data)]:
        raise Malformed("not an Avro Object Container File (magic Obj\\x01 missing)", 0)
    pos = 4
    metadata: dict[str, bytes] = {}
    while True:
        start = pos
        count, pos = read_long(data, pos)
        if count == 0:
            break
        if count < 0:
            count = -count
            _, pos = read_long(data, pos)
        if count > len(data) - pos:
            raise Truncated(f"the header declares {count} metadata entries", start)
        for _ in range(count):
            key, pos = _read_bytes(data, pos, max_string)
            value, pos = _read_bytes(data, pos, max_string)
            try:
                metadata[key.decode("utf-8")] = value
            except UnicodeDecodeError:
                raise Malformed("a metadata key is not UTF-8", pos) from None
    sync = data[pos:pos + SYNC_SIZE]
    if len(sync) != SYNC_SIZE:
        raise Truncated("unexpected end of data in the header's sync marker", len(data))
    if "avro.schema" not in metadata:
        raise Malformed("the header has no avro.schema", 4)
    try:
        schema_text = metadata["avro.schema"].decode("utf-8")
        codec = metadata.get("avro.codec", b"null").decode("utf-8") or "null"
    except UnicodeDecodeError:
        raise Malformed("header metadata is not UTF-8", 4) from None
    if codec not in CODECS:
        raise UnknownCodec(codec)
    return Header(schema_text, codec, sync, metadata, pos + SYNC_SIZE)


def _read_bytes(data: bytes, pos: int, max_string: int) -> tuple[bytes, int]:
    start = pos
    size, pos = read_long(data, pos)
    if size < 0 or size > max_string:
        raise Malformed(f"a header length of {size} is negative or past the string limit", start)
    if pos + size > len(data):
        raise Truncated(f"a header length of {size} runs past the end of data", start)
    return data[pos:pos + size], pos + size


def iter_blocks(data: bytes, header: Header, budget: int, max_documents: int) -> Iterator[Block]:
    """Blocks in order, each inflated; `budget` bounds the inflated bytes of the whole file."""
    pos = header.end
    documents = 0
    while pos < len(data):
        start = pos
        count, pos = read_long(data, pos)
        size, pos = read_long(data, pos)
        if count < 0 or size < 0:
            raise Malformed(f"a block declares {count} records of {size} bytes", start)
        if pos + size + SYNC_SIZE > len(data):
            raise Truncated(f"a block of {size} bytes runs past the end of data", start)
        documents += count
        if documents > max_documents:
            raise TooManyRecords(start, documents)
        payload = data[pos:pos + size]
        inflated = inflate(header.codec, payload, budget, pos)
        budget -= len(inflated)
        pos += size
        if data[pos:pos + SYNC_SIZE] != header.sync:
            raise Malformed("the block's sync marker does not match the header's", pos)
        pos += SYNC_SIZE
        yield Block(count, inflated, start, pos - SYNC_SIZE - size)


class TooManyRecords(Exception):
    def __init__(self, offset: int, count: int) -> None:
        super().__init__(offset)
        self.offset = offset
        self.count = count


# Inflated bytes held while a block inflates. A block that grows past this is measured first (inflated
# in chunks that are thrown away) and inflated for real only when it fits the budget: a bomb then costs
# CPU up to the budget but never memory (tests/hostile/test_bombs.py: under 50 MB at the 64 MiB default).
_HOLD = 8 * 1024 * 1024
_CHUNK = 1024 * 1024


def inflate(codec: str, payload: bytes, budget: int, offset: int) -> bytes:
    """A block's data decompressed, never more than `budget` bytes (Inflated past it)."""
    if codec == "null":
        return payload
    if codec == "deflate":
        return _bounded(_Deflate, payload, budget, offset)
    if codec == "snappy":
        from cramjam import snappy

        if len(payload) < 4:
            raise Malformed("a snappy block needs a 4-byte CRC", offset)
        compressed, crc = payload[:-4], payload[-4:]
        declared, _ = read_long_unsigned(compressed)
        if declared > budget:  # snappy states its inflated size up front (and never writes past it)
            raise Inflated(offset)
        try:
            out = bytes(snappy.decompress_raw(compressed))
        except Exception as error:  # cramjam raises its own DecompressionError
            raise Malformed(f"snappy data is corrupt: {error}", offset) from None
        if zlib.crc32(out).to_bytes(4, "big") != crc:
            raise Malformed("a snappy block's CRC-32 does not match its data", offset + len(payload) - 4)
        return out
    return _bounded(_Zstandard, payload, budget, offset)


def _bounded(kind, payload: bytes, budget: int, offset: int) -> bytes:
    """Inflate in chunks, holding at most _HOLD bytes; past that, count the rest against the budget
    without keeping it, and inflate once more in one go if the block fits."""
    stream = kind(payload, offset)
    parts: list[bytes] | None = []
    total = 0
    while not stream.finished():
        chunk = stream.next(_CHUNK)
        total += len(chunk)
        if total > budget:
            raise Inflated(offset)
        if parts is not None:
            parts.append(chunk)
            if total > _HOLD:
                parts = None  # large: measure the rest, then inflate again
    if parts is not None:
        return b"".join(parts)
    again = kind(payload, offset)
    out = again.next(total + 1)
    if len(out) != total or not again.finished():
        raise Malformed(f"{kind.NAME} data inflated differently twice", offset)
    return out


class _Deflate:
    NAME = "deflate"

    def __init__(self, payload: bytes, offset: int) -> None:
        self.inflater, self.pending, self.offset = zlib.decompressobj(-15), payload, offset

    def next(self, most: int) -> bytes:
        try:
            out = self.inflater.decompress(self.pending, most)
        except zlib.error as error:
            raise Malformed(f"deflate data is corrupt: {error}", self.offset) from None
        self.pending = self.inflater.unconsumed_tail
        if not out and not self.inflater.eof:  # all input taken, no output, no end: it stops short
            raise Malformed("deflate data is truncated", self.offset)
        return out

    def finished(self) -> bool:
        return self.inflater.eof


class _Zstandard:
    NAME = "zstandard"

    def __init__(self, payload: bytes, offset: int) -> None:
        self.zstd = _zstd()
        self.inflater, self.pending, self.offset = self.zstd.ZstdDecompressor(), payload, offset

    def next(self, most: int) -> bytes:
        try:
            out = self.inflater.decompress(self.pending, most)
        except self.zstd.ZstdError as error:
            raise Malformed(f"zstandard data is corrupt: {error}", self.offset) from None
        self.pending = b""
        if not out and not self.inflater.eof:  # all input taken, no output, no end: it stops short
            raise Malformed("zstandard data is truncated", self.offset)
        return out

    def finished(self) -> bool:
        return self.inflater.eof


def read_long_unsigned(data: bytes) -> tuple[int, int]:
    """Snappy's uncompressed-length preamble: a plain (not zigzag) varint."""
    result = shift = pos = 0
    while pos < len(data) and pos < 10:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
    return result, pos


def deflate(codec: str, data: bytes) -> bytes:
    if codec == "null":
        return data
    if codec == "deflate":
        compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        return compressor.compress(data) + compressor.flush()
    if codec == "snappy":
        from cramjam import snappy

        return bytes(snappy.compress_raw(data)) + zlib.crc32(data).to_bytes(4, "big")
    return _zstd().compress(data)


def _zstd():
    """compression.zstd (Python 3.14+) or its backport, the module fastavro uses too."""
    try:
        from compression import zstd  # type: ignore[import-not-found]
    except ImportError:
        from backports import zstd  # type: ignore[import-not-found,no-redef]
    return zstd


def long_bytes(value: int) -> bytes:
    """Zigzag varint of an Avro long."""
    value = (value << 1) ^ (value >> 63)
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def write_file(schema_json: str, codec: str, datums: list[bytes]) -> bytes:
    """A whole container: header (schema, codec, a sync marker derived from the content, so equal
    input gives equal bytes) and blocks of about BLOCK_BYTES uncompressed bytes."""
    blocks: list[list[bytes]] = [[]]
    size = 0
    for datum in datums:
        if size >= BLOCK_BYTES:
            blocks.append([])
            size = 0
        blocks[-1].append(datum)
        size += len(datum)
    digest = hashlib.sha256(schema_json.encode("utf-8"))
    for datum in datums:
        digest.update(datum)
    sync = digest.digest()[:SYNC_SIZE]
    out = bytearray(header_bytes(schema_json, codec, sync))
    for block in blocks:
        if block:
            out += block_bytes(codec, block, sync)
    return bytes(out)


def header_bytes(schema_json: str, codec: str, sync: bytes) -> bytes:
    """Magic, the metadata map (schema and codec) and the sync marker."""
    out = bytearray(MAGIC)
    metadata = {"avro.schema": schema_json.encode("utf-8"), "avro.codec": codec.encode("ascii")}
    out += long_bytes(len(metadata))
    for key, value in metadata.items():
        out += long_bytes(len(key)) + key.encode("ascii") + long_bytes(len(value)) + value
    out += b"\x00" + sync
    return bytes(out)


def block_bytes(codec: str, datums: list[bytes], sync: bytes) -> bytes:
    """One block: its record count, its (compressed) size, the data and the sync marker."""
    body = deflate(codec, b"".join(datums))
    return long_bytes(len(datums)) + long_bytes(len(body)) + body + sync
