"""The closed table of issue codes: every repair, coercion, loss and refusal the service can report.

This table is the single source: the proto enum `convsvc.v1.IssueCode` and docs/issue-codes.md are
checked against it by tests/test_issue_codes.py (regenerate the doc with `python -m convsvc.model.codes`).
"""

from __future__ import annotations

import enum


class Severity(enum.IntEnum):
    """How much an issue matters. FRAGILE mode refuses anything at WARNING or above."""

    INFO = 1  # a note; never changes the value
    WARNING = 2  # the value was repaired, coerced or lost something; ROBUST goes on, FRAGILE refuses
    ERROR = 3  # the conversion cannot proceed in any mode


class Code(enum.Enum):
    """An issue code: (stable number, default severity, one-line meaning)."""

    def __new__(cls, number: int, severity: Severity, summary: str):
        member = object.__new__(cls)
        member._value_ = number
        member.severity = severity
        member.summary = summary
        return member

    # -- refusals: the input or request cannot be converted --------------------------------------
    SYNTAX_ERROR = 1, Severity.ERROR, "The payload is not well-formed in its source format."
    INVALID_UTF8 = 2, Severity.ERROR, "The payload is not valid UTF-8."
    LONE_SURROGATE = 3, Severity.ERROR, "A string escapes a UTF-16 surrogate without its pair."
    NUMBER_OUT_OF_RANGE = 4, Severity.ERROR, "A number does not fit a double (e.g. 1e400)."
    LIMIT_EXCEEDED = 5, Severity.ERROR, "A configured limit (size, depth, length, count) was exceeded."
    UNSUPPORTED_TAG = 6, Severity.ERROR, "A YAML tag outside the core schema (e.g. !!python/object)."
    NO_DOCUMENT = 7, Severity.ERROR, "The payload holds no document where one is required."
    INVALID_REQUEST = 8, Severity.ERROR, "The request itself is invalid (unknown format, encoding or option)."
    UNIMPLEMENTED = 9, Severity.ERROR, "The request asks for something this server does not do yet."
    SCHEMA_VIOLATION = 10, Severity.ERROR, "The value does not match the schema."
    INVALID_SCHEMA = 11, Severity.ERROR, "The schema itself is invalid or of a type this format cannot use."
    VALUE_OUT_OF_RANGE = 12, Severity.ERROR, "A value does not fit its target type (e.g. 2^70 into int64)."
    SCHEMA_NOT_FOUND = 13, Severity.ERROR, "No schema has the id or subject and version the request names."
    # -- losses and coercions: ROBUST reports them, FRAGILE refuses -----------------------------
    DUPLICATE_KEY = 20, Severity.WARNING, "A mapping repeats a key; the last value is kept."
    NON_STRING_KEY = 21, Severity.WARNING, "A mapping key is not a string; it was converted to text."
    NON_FINITE_NUMBER = 22, Severity.WARNING, "NaN or Infinity where the target has no such number."
    MULTIPLE_DOCUMENTS = 23, Severity.WARNING, "Several documents into a single-document encoding."
    BINARY_AS_BASE64 = 24, Severity.INFO, "Binary data written as base64 text (the documented JSON form)."
    UNKNOWN_FIELD_DROPPED = 25, Severity.WARNING, "A field the schema does not define was dropped."
    DEFAULT_FILLED = 26, Severity.WARNING, "A missing field was filled with the schema's default."
    PRECISION_LOST = 27, Severity.WARNING, "A number lost precision (e.g. a decimal rounded to its scale)."
    COERCED_STRING_TO_NUMBER = 28, Severity.WARNING, "A numeric string was read as the number the schema asks for."
    COERCED_NUMBER_TO_STRING = 29, Severity.WARNING, "A number was written as the string the schema asks for."
    COERCED_STRING_TO_BOOL = 30, Severity.WARNING, "The string true/false was read as a boolean."
    COERCED_ENUM_CASE = 31, Severity.WARNING, "An enum symbol matched only when ignoring case."
    COERCED_TO_ARRAY = 32, Severity.WARNING, "A single value was wrapped in a one-element array."
    COERCED_FLOAT_TO_INT = 33, Severity.WARNING, "A float with an integral value was read as an integer."
    TIMEZONE_ASSUMED = 34, Severity.WARNING, "A timestamp without an offset was taken as UTC."
    # -- JSON repairs (ROBUST mode on JSON input) -----------------------------------------------
    JSON_TRAILING_COMMA = 40, Severity.WARNING, "A trailing comma was removed."
    JSON_MISSING_COMMA = 41, Severity.WARNING, "A missing comma between members or elements was added."
    JSON_SINGLE_QUOTES = 42, Severity.WARNING, "A single-quoted key or string was requoted."
    JSON_UNQUOTED_KEY = 43, Severity.WARNING, "An unquoted object key was quoted."
    JSON_UNQUOTED_STRING = 44, Severity.WARNING, "An unquoted string value was quoted."
    JSON_COMMENT = 45, Severity.WARNING, "A // , /* */ or # comment was removed."
    JSON_PYTHON_LITERAL = 46, Severity.WARNING, "A Python/JavaScript literal (True, None, undefined) was replaced."
    JSON_NON_FINITE_LITERAL = 47, Severity.WARNING, "NaN or Infinity was replaced by null."
    JSON_CONTROL_CHARACTER = 48, Severity.WARNING, "An unescaped control character in a string was escaped."
    JSON_INVALID_ESCAPE = 49, Severity.WARNING, "An invalid escape sequence was replaced by its literal text."
    JSON_SMART_QUOTES = 50, Severity.WARNING, "Typographic quotes were used as string delimiters."
    JSON_TRUNCATED = 51, Severity.WARNING, "Missing closing quotes, brackets or braces were added."
    JSON_CODE_FENCE = 52, Severity.WARNING, "A Markdown code fence around the value was removed."
    JSON_JSONP_WRAPPER = 53, Severity.WARNING, "A JSONP callback wrapper around the value was removed."
    JSON_CONCATENATED_VALUES = 54, Severity.WARNING, "Several concatenated values were gathered into an array."
    JSON_BOM = 55, Severity.WARNING, "A UTF-8 byte order mark was removed."
    JSON_GARBAGE = 56, Severity.WARNING, "Leading or trailing text that is not JSON was removed."
    JSON_MISSING_VALUE = 57, Severity.WARNING, "A missing value was replaced by null."
    JSON_MISSING_COLON = 58, Severity.WARNING, "A missing colon between key and value was added."

    # -- XML (natural and XPath 3.1 mappings) ----------------------------------------------------
    XML_DTD_FORBIDDEN = 70, Severity.ERROR, "A DOCTYPE (DTD, entity declarations, external subset) is refused: none is ever processed."
    XML_JSON_INVALID = 71, Severity.ERROR, "XML in the XPath 3.1 JSON vocabulary breaks its schema or escaping rules (FOJS0006/FOJS0007)."
    XML_MIXED_CONTENT = 72, Severity.WARNING, "Text mixed with child elements; its position among them is lost (joined under #text)."
    XML_COMMENT_DROPPED = 73, Severity.WARNING, "An XML comment was dropped."
    XML_PI_DROPPED = 74, Severity.WARNING, "An XML processing instruction was dropped."
    XML_SIBLING_ORDER_LOST = 75, Severity.WARNING, "Same-named elements apart from each other were gathered into one array; their order among the others is lost."
    XML_ARRAY_GUESSED = 76, Severity.INFO, "Without a schema, an element single here but repeated elsewhere was read as a single value."
    XML_TEXT_NOT_TYPED = 77, Severity.INFO, "XML text that looks like a number or boolean was kept as a string (XML has no types without a schema)."
    XML_TYPE_AS_TEXT = 78, Severity.INFO, "Numbers, booleans or dates were written as XML text; without a schema they read back as strings."
    XML_ARRAY_OF_ONE = 79, Severity.WARNING, "A one-item array was written as one element, which reads back as a single value without a schema."
    XML_EMPTY_CONTAINER = 80, Severity.WARNING, "An empty array (no element) or empty object (an empty element, read back as \"\") cannot round-trip."
    XML_ANONYMOUS_ARRAY = 81, Severity.WARNING, "An array with no member name (top level, or inside an array) was written as <item> elements."
    XML_NAME_ESCAPED = 82, Severity.WARNING, "A key that is not a valid XML name was escaped as _xHHHH_ (ISO/IEC 9075-14 style)."
    XML_VALUE_DROPPED = 83, Severity.WARNING, "An @attribute or #text member holding null, an array or an object was left out: they hold text only."
    XML_ROOT_ADDED = 84, Severity.WARNING, "The value is not an object with one member and no root option was given: wrapped in <root>."
    XML_CHARACTER_REPLACED = 85, Severity.WARNING, "A character XML 1.0 cannot hold (control character, U+FFFE/U+FFFF, lone surrogate) became U+FFFD."
    # -- Protobuf --------------------------------------------------------------------------------
    UNKNOWN_FIELDS_DROPPED = 90, Severity.WARNING, "Protobuf fields the schema does not define (unknown field numbers) were dropped: the target cannot carry them."
    UNKNOWN_FIELDS_KEPT = 91, Severity.INFO, "Protobuf fields the schema does not define were carried through to the Protobuf output unchanged."
    UNKNOWN_ENUM_NUMBER = 92, Severity.INFO, "An enum number the schema does not define (an open enum's unknown value) was kept as the number."

def markdown_table() -> str:
    """Render the table as the Markdown of docs/issue-codes.md."""
    lines = [
        "# Issue codes",
        "",
        "Generated from `convsvc/model/codes.py` by `python -m convsvc.model.codes`; do not edit by hand.",
        "The proto enum `convsvc.v1.IssueCode` carries the same names (prefixed `ISSUE_CODE_`) and numbers.",
        "",
        "Severity: `ERROR` refuses in every mode; `WARNING` is refused in FRAGILE and reported in ROBUST;",
        "`INFO` is only reported.",
        "",
        "| number | code | severity | meaning |",
        "|---:|---|---|---|",
    ]
    for code in Code:
        lines.append(f"| {code.value} | `{code.name}` | {code.severity.name} | {code.summary} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import pathlib

    target = pathlib.Path(__file__).resolve().parents[2] / "docs" / "issue-codes.md"
    target.write_text(markdown_table(), encoding="utf-8")
    print(f"wrote {target}")
