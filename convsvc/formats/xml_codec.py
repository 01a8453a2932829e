"""XML: the natural element mapping and the lossless W3C XPath 3.1 JSON mapping, on hardened lxml.

Both encodings parse with convsvc/formats/xml/parse.py (no DTD, no entities, no network, bounded
depth and size) and walk the tree once; both write XML text directly. One document per payload; the
stream form is one document per line (json_codec.LineSplitter). Rules and issue codes:
docs/xml-mapping.md.
"""

from __future__ import annotations

from typing import Any

from convsvc.formats.codec import Encoding
from convsvc.formats.json_codec import LineSplitter
from convsvc.formats.xml import natural, xpath
from convsvc.model import Context

NAME = "xml"
DESCRIPTION = "XML: natural element mapping, or the lossless W3C XPath 3.1 json-to-xml mapping"
_INDENT = "0 (compact, default) or 2 (two-space indentation; never inside text)"
ENCODINGS = {
    "natural": Encoding(
        "natural",
        "elements to members, attributes as @name, text beside attributes or elements as #text, repeated "
        "elements to arrays; one document per payload, one per line as a stream",
        options={
            "root": "root element name (NCName or {uri}local): encode wraps the value in it, decode unwraps it "
                    "(default: the value's single member / the document's root element kept as a member)",
            "indent": _INDENT,
        }),
    "xpath": Encoding(
        "xpath",
        "the W3C XPath 3.1 fn:json-to-xml / fn:xml-to-json vocabulary (map, array, string, number, boolean, "
        "null in http://www.w3.org/2005/xpath-functions): lossless for JSON values",
        options={"indent": _INDENT}),
}
# A schema gives the natural mapping its arrays and its text types (docs/xml-mapping.md, "With a schema").
SCHEMA_TYPES = ("json", "avro", "protobuf")
_MAPPINGS = {"natural": natural, "xpath": xpath}


def _mapping(ctx: Context):
    return _MAPPINGS[ctx.encoding or "natural"]


def decode(data: bytes, ctx: Context) -> list[Any]:
    return [_mapping(ctx).decode(data, ctx)]


def encode(documents: list[Any], ctx: Context) -> bytes:
    (value,) = documents
    return _mapping(ctx).encode(value, ctx, one_line=False).encode("utf-8")


def encode_record(value: Any, ctx: Context) -> bytes:
    """One document on one line (line feeds in text written as &#10;), newline-terminated."""
    return _mapping(ctx).encode(value, ctx, one_line=True).encode("utf-8") + b"\n"


def record_splitter(ctx: Context) -> LineSplitter:
    """The stream form: one XML document per line (encode_record writes each on one line)."""
    return LineSplitter(ctx, "an XML record (one document per line)")
