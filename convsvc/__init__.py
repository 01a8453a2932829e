"""convsvc: convert payloads between JSON, YAML, Avro, Protobuf and XML through one canonical form.

`convsvc.convert(...)` mirrors the Convert RPC one to one, in process:

    >>> convsvc.convert(b'{"a": 1}', source="json", target="yaml").payload
    b'a: 1\\n'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    from convsvc.engine import ConvertResult, FormatSpec
    from convsvc.model import Limits, Mode


def convert(payload: bytes, *, source: "str | FormatSpec", target: "str | FormatSpec",
            mode: "str | Mode" = "fragile", limits: "Limits | None" = None) -> "ConvertResult":
    """Convert `payload`; raises a convsvc.model.ConversionError subclass when refused."""
    from convsvc.engine import ConvertRequest, Engine, FormatSpec
    from convsvc.model import Mode

    source_spec = FormatSpec(source) if isinstance(source, str) else source
    target_spec = FormatSpec(target) if isinstance(target, str) else target
    return Engine(limits).convert(ConvertRequest(source=source_spec, target=target_spec, payload=payload,
                                                 mode=Mode(mode)))
