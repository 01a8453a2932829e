"""The table of formats: one codec module per format, looked up by name."""

from __future__ import annotations

from types import ModuleType

from convsvc.formats import json_codec

FORMATS: dict[str, ModuleType] = {
    json_codec.NAME: json_codec,
}
try:  # TEMPORARY
    from convsvc.formats import yaml_codec
    FORMATS[yaml_codec.NAME] = yaml_codec
except ImportError:
    pass

# Formats of the wire contract that have no codec in this build yet (the formats issue adds them).
PLANNED_FORMATS = ("avro", "protobuf", "xml")
