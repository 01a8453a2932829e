"""Canonical values seen as JSON sees them: the documented text forms of typed values."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from typing import Any


def json_form(value: Any) -> Any:
    """`value` with typed leaves in their JSON form (docs/formats.md): datetimes, dates and times as
    ISO 8601 text, UUIDs as text, bytes as base64. Plain values and decimals (JSON numbers, exact)
    pass unchanged. A JSON Schema describes this form of a document."""
    if isinstance(value, dict):
        return {key: json_form(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_form(item) for item in value]
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value
