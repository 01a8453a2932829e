"""The Avro schemas the fuzz harnesses read with: every type and logical type, recursion, and an
evolved reader schema for resolution."""

import json

ALL = json.dumps({"type": "record", "name": "All", "namespace": "fuzz", "fields": [
    {"name": "b", "type": "boolean"},
    {"name": "i", "type": "int"},
    {"name": "l", "type": "long"},
    {"name": "f", "type": "float"},
    {"name": "d", "type": "double"},
    {"name": "s", "type": "string"},
    {"name": "by", "type": "bytes"},
    {"name": "fx", "type": {"type": "fixed", "name": "Four", "size": 4}},
    {"name": "e", "type": {"type": "enum", "name": "Color", "symbols": ["RED", "GREEN", "BLUE"], "default": "RED"}},
    {"name": "u", "type": ["null", "string", "long", {"type": "array", "items": "int"}]},
    {"name": "a", "type": {"type": "array", "items": "double"}},
    {"name": "m", "type": {"type": "map", "values": ["null", "float"]}},
    {"name": "dec", "type": {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 3}},
    {"name": "fdec", "type": {"type": "fixed", "name": "Dec8", "size": 8, "logicalType": "decimal",
                              "precision": 18, "scale": 2}},
    {"name": "uid", "type": {"type": "string", "logicalType": "uuid"}},
    {"name": "day", "type": {"type": "int", "logicalType": "date"}},
    {"name": "tms", "type": {"type": "int", "logicalType": "time-millis"}},
    {"name": "tus", "type": {"type": "long", "logicalType": "time-micros"}},
    {"name": "tsm", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    {"name": "tsu", "type": {"type": "long", "logicalType": "timestamp-micros"}},
    {"name": "lts", "type": {"type": "long", "logicalType": "local-timestamp-millis"}},
    {"name": "node", "type": {"type": "record", "name": "Node", "fields": [
        {"name": "name", "type": "string"},
        {"name": "next", "type": ["null", "Node"]},
        {"name": "kids", "type": {"type": "array", "items": "Node"}}]}},
]})

# ALL as a later version: a field dropped, one added with a default, int promoted to long and double,
# an enum symbol dropped (the default takes its place), a union widened.
READER = json.dumps({"type": "record", "name": "All", "namespace": "fuzz", "fields": [
    {"name": "b", "type": "boolean"},
    {"name": "i", "type": "long"},
    {"name": "l", "type": "double"},
    {"name": "s", "type": "string"},
    {"name": "e", "type": {"type": "enum", "name": "Color", "symbols": ["RED", "GREEN"], "default": "RED"}},
    {"name": "u", "type": ["null", "string", "long", {"type": "array", "items": "long"}, "boolean"]},
    {"name": "added", "type": "string", "default": "new"},
    {"name": "node", "type": {"type": "record", "name": "Node", "fields": [
        {"name": "name", "type": "string"},
        {"name": "next", "type": ["null", "Node"]},
        {"name": "kids", "type": {"type": "array", "items": "Node"}}]}},
]})

NODE = json.dumps({"type": "record", "name": "Node", "namespace": "fuzz", "fields": [
    {"name": "name", "type": "string"},
    {"name": "next", "type": ["null", "Node"]}]})

# Any JSON value, structure-aware: each node is {"v": branch} (the round-trip harness wraps values so).
JSON_VALUE = json.dumps({"type": "record", "name": "J", "namespace": "fuzz", "fields": [
    {"name": "v", "type": ["null", "boolean", "long", "double", "string",
                           {"type": "array", "items": "J"}, {"type": "map", "values": "J"}]}]})
