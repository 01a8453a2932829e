"""The Shape: a small schema-neutral type model translated from Avro, Protobuf and JSON Schema.

A codec that must decide something the bytes alone do not say (XML one element or an array, bytes or
base64 text, int64 as a JSON string, which union branch) asks the Shape, never guesses twice.
Records are mutable so recursive schemas (a tree node holding its children) can point to themselves.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any


class Kind(enum.Enum):
    NULL = "null"
    BOOL = "bool"
    INT32 = "int32"
    INT64 = "int64"
    UINT32 = "uint32"
    UINT64 = "uint64"
    FLOAT = "float"  # IEEE single precision
    DOUBLE = "double"
    DECIMAL = "decimal"  # precision, scale
    STRING = "string"
    BYTES = "bytes"
    FIXED = "fixed"  # bytes of a fixed size
    ENUM = "enum"  # symbols
    ARRAY = "array"  # items
    MAP = "map"  # items = the value shape; keys are strings
    RECORD = "record"  # fields
    UNION = "union"  # branches
    TIMESTAMP = "timestamp"  # an instant; unit millis | micros | nanos
    LOCAL_TIMESTAMP = "local-timestamp"  # a wall-clock date and time without zone
    DATE = "date"
    TIME = "time"  # time of day; unit millis | micros
    UUID = "uuid"
    DURATION = "duration"  # an exact span: seconds and nanoseconds (google.protobuf.Duration)
    CALENDAR_DURATION = "calendar-duration"  # months, days, milliseconds (Avro duration)
    ANY = "any"  # anything JSON can hold (google.protobuf.Value/Struct, an absent JSON Schema)


INTEGER_KINDS = frozenset({Kind.INT32, Kind.INT64, Kind.UINT32, Kind.UINT64})
INTEGER_RANGES = {
    Kind.INT32: (-(2**31), 2**31 - 1),
    Kind.INT64: (-(2**63), 2**63 - 1),
    Kind.UINT32: (0, 2**32 - 1),
    Kind.UINT64: (0, 2**64 - 1),
}


class _NoDefault:
    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT: Any = _NoDefault()


@dataclasses.dataclass(eq=False, slots=True)
class Field:
    name: str
    shape: "Shape"
    default: Any = NO_DEFAULT
    required: bool = False  # absent is an error unless a default is given (Avro fields, JSON Schema `required`)
    aliases: tuple[str, ...] = ()
    number: int = 0  # Protobuf field number
    json_name: str = ""  # ProtoJSON name, when it differs from `name`
    doc: str = ""


@dataclasses.dataclass(eq=False, slots=True)
class Shape:
    kind: Kind
    name: str = ""  # full name of a record, enum or fixed
    items: "Shape | None" = None  # ARRAY items, MAP values
    fields: list[Field] = dataclasses.field(default_factory=list)  # RECORD
    branches: tuple["Shape", ...] = ()  # UNION
    symbols: tuple[str, ...] = ()  # ENUM
    precision: int = 0  # DECIMAL
    scale: int = 0  # DECIMAL
    size: int = 0  # FIXED
    unit: str = ""  # TIMESTAMP, LOCAL_TIMESTAMP, TIME
    doc: str = ""
    # conform()'s fast path for this shape, compiled on first use (convsvc/model/conform.py); not copied
    # by dataclasses.replace. A Shape is finished before it is first conformed to.
    conformer: Any = dataclasses.field(default=None, init=False, repr=False, compare=False)

    def field(self, name: str) -> Field | None:
        """A record's field by name or alias."""
        for field in self.fields:
            if field.name == name or name in field.aliases:
                return field
        return None

    @property
    def nullable(self) -> bool:
        return self.kind is Kind.NULL or (self.kind is Kind.UNION and any(b.kind is Kind.NULL for b in self.branches))

    def without_null(self) -> "Shape":
        """The only non-null branch of an optional union (`["null", T]`), else the shape itself."""
        if self.kind is Kind.UNION:
            rest = [branch for branch in self.branches if branch.kind is not Kind.NULL]
            if len(rest) == 1:
                return rest[0]
        return self

    def describe(self) -> str:
        """Short text for messages: `record acme.Order`, `array<string>`, `union[null, long]`."""
        if self.kind in (Kind.RECORD, Kind.ENUM, Kind.FIXED) and self.name:
            return f"{self.kind.value} {self.name}"
        if self.kind is Kind.ARRAY and self.items is not None:
            return f"array<{self.items.describe()}>"
        if self.kind is Kind.MAP and self.items is not None:
            return f"map<{self.items.describe()}>"
        if self.kind is Kind.UNION:
            return "union[" + ", ".join(branch.describe() for branch in self.branches) + "]"
        if self.kind is Kind.DECIMAL:
            return f"decimal({self.precision},{self.scale})"
        return self.kind.value

    def __repr__(self) -> str:
        return f"Shape({self.describe()})"

    def __getstate__(self) -> dict:
        """Pickled and copied without its compiled conformer (code, rebuilt on first use)."""
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)
                if field.name != "conformer"}

    def __setstate__(self, state: dict) -> None:
        self.conformer = None
        for name, value in state.items():
            setattr(self, name, value)
