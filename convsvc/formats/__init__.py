"""The table of formats: one codec module per format, looked up by name."""

from __future__ import annotations

from types import ModuleType

from convsvc.formats import avro_codec, json_codec, protobuf_codec, xml_codec, yaml_codec

FORMATS: dict[str, ModuleType] = {
    json_codec.NAME: json_codec,
    yaml_codec.NAME: yaml_codec,
    avro_codec.NAME: avro_codec,
    protobuf_codec.NAME: protobuf_codec,
    xml_codec.NAME: xml_codec,
}
