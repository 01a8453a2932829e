"""Positions in a payload (byte offset to line:column) and JSON Pointer paths."""

from __future__ import annotations


def line_column(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of a byte offset; offsets past the end clamp to it."""
    offset = max(0, min(offset, len(data)))
    line_start = data.rfind(b"\n", 0, offset) + 1
    line = data.count(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return line, column


def pointer_token(key: object) -> str:
    """One JSON Pointer reference token (RFC 6901 escaping of ~ and /)."""
    return str(key).replace("~", "~0").replace("/", "~1")


def child_pointer(parent: str, key: object) -> str:
    return f"{parent}/{pointer_token(key)}"
