"""The table of formats: one codec module per format, looked up by name."""

from __future__ import annotations

from types import ModuleType

from convsvc.formats import avro_codec, json_codec, xml_codec, yaml_codec

FORMATS: dict[str, ModuleType] = {
    json_codec.NAME: json_codec,
    yaml_codec.NAME: yaml_codec,
    avro_codec.NAME: avro_codec,
    xml_codec.NAME: xml_codec,
}

# Formats of the wire contract that have no codec in this build yet (the formats issue adds them).
PLANNED_FORMATS = ("protobuf",)
