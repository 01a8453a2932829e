"""Writing XML text: names (validity, namespaces, escaping) and character data, without a tree.

The encoders build the document as a list of strings (one pass over the value, C-speed joins and
regex scans) rather than an lxml tree: no per-node wrapper objects, exact control of the bytes.
"""

from __future__ import annotations

import re

XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace"
XML_CLARK = "{" + XML_NAMESPACE + "}"
XSI_NAMESPACE = "http://www.w3.org/2001/XMLSchema-instance"
XSI_NIL = "{" + XSI_NAMESPACE + "}nil"
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
WHITESPACE = " \t\r\n"  # XML's S production; str.strip() would take more

# XML 1.0 (fifth edition) name characters, without ":" (namespaces make names NCNames).
_NAME_START = ("A-Z_a-z\xc0-\xd6\xd8-\xf6\xf8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c\u200d\u2070-\u218f"
               "\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff")
_NAME_REST = _NAME_START + "\\-.0-9\xb7\u0300-\u036f\u203f\u2040"
NCNAME = re.compile(f"[{_NAME_START}][{_NAME_REST}]*")
_NAME_START_CHAR = re.compile(f"[{_NAME_START}]")
_NAME_REST_CHAR = re.compile(f"[{_NAME_REST}]")

# Characters XML 1.0 cannot hold at all, not even as character references.
_NOT_XML = "\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff"
ILLEGAL = re.compile(f"[{_NOT_XML}]")
_TEXT_SPECIAL = re.compile(f"[&<>\r{_NOT_XML}]")
_TEXT_SPECIAL_ONE_LINE = re.compile(f"[&<>\r\n{_NOT_XML}]")
_ATTRIBUTE_SPECIAL = re.compile(f"[&<\"\t\n\r{_NOT_XML}]")


def text(value: str, one_line: bool = False) -> str:
    """Character data. CR is written as &#13; (the parser would turn a raw CR into LF); one_line
    also writes LF as &#10; so a record stays on one line. `value` holds only XML characters."""
    special = _TEXT_SPECIAL_ONE_LINE if one_line else _TEXT_SPECIAL
    if special.search(value) is None:
        return value
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    return value.replace("\n", "&#10;") if one_line else value


def attribute(value: str) -> str:
    """An attribute value for double quotes; TAB, LF and CR as references (attribute-value
    normalisation would otherwise turn them into spaces)."""
    if _ATTRIBUTE_SPECIAL.search(value) is None:
        return value
    return (value.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
            .replace("\t", "&#9;").replace("\n", "&#10;").replace("\r", "&#13;"))


def split_name(key: str) -> tuple[str | None, str] | None:
    """(namespace URI or None, local name) of a key in Clark notation `{uri}local`, `xml:local` or a
    plain NCName; None when the key is not a valid XML name."""
    if key[:1] == "{":
        close = key.find("}")
        uri, local = key[1:close], key[close + 1:]
        if close > 1 and "{" not in uri and ILLEGAL.search(uri) is None and NCNAME.fullmatch(local):
            return uri, local
        return None
    if key.startswith("xml:") and NCNAME.fullmatch(key, 4):
        return XML_NAMESPACE, key[4:]
    if NCNAME.fullmatch(key):
        return None, key
    return None


def escape_name(key: str) -> str:
    """An NCName for any key, escaping each character that may not stand where it is as _xHHHH_
    (_xHHHHHHHH_ past U+FFFF), and `_` before `x` as _x005F_ so the result can be read back; the
    ISO/IEC 9075-14 (SQL/XML) rule. The empty key becomes `_`."""
    if not key:
        return "_"
    out = []
    for index, char in enumerate(key):
        allowed = (_NAME_START_CHAR if index == 0 else _NAME_REST_CHAR).match(char)
        if allowed and not (char == "_" and key.startswith("x", index + 1)):
            out.append(char)
        else:
            code = ord(char)
            out.append(f"_x{code:04X}_" if code <= 0xFFFF else f"_x{code:08X}_")
    return "".join(out)
