"""The registry's vocabulary: schema types, compatibility levels, modes, references and records."""

from __future__ import annotations

import dataclasses
import enum
import re


class SchemaType(enum.Enum):
    AVRO = "AVRO"  # the default when a request names none (as in Confluent)
    PROTOBUF = "PROTOBUF"
    JSON = "JSON"

    @classmethod
    def parse(cls, value: str | None) -> "SchemaType":
        """"avro", "AVRO", "" (= AVRO) -> SchemaType; anything else raises ValueError."""
        if not value:
            return cls.AVRO
        return cls(value.upper())


class Level(enum.Enum):
    """A compatibility level: which earlier versions a new one is checked against, and how."""

    NONE = "NONE"
    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"

    @property
    def backward(self) -> bool:
        """The new schema must read data written with the old one(s)."""
        return self in (Level.BACKWARD, Level.BACKWARD_TRANSITIVE, Level.FULL, Level.FULL_TRANSITIVE)

    @property
    def forward(self) -> bool:
        """The old schema(s) must read data written with the new one."""
        return self in (Level.FORWARD, Level.FORWARD_TRANSITIVE, Level.FULL, Level.FULL_TRANSITIVE)

    @property
    def transitive(self) -> bool:
        """Checked against every live version, not only the latest."""
        return self.name.endswith("_TRANSITIVE")


DEFAULT_LEVEL = Level.BACKWARD


class Mode(enum.Enum):
    READWRITE = "READWRITE"
    READONLY = "READONLY"  # every write refused (registration, deletion, config)
    IMPORT = "IMPORT"  # registrations must bring their id (and may bring their version); no compatibility checks


DEFAULT_MODE = Mode.READWRITE

# Confluent allows any printable name; control characters and the empty name are refused.
_SUBJECT = re.compile(r"^[^\x00-\x1f\x7f]{1,255}$")


def valid_subject(subject: str) -> bool:
    return bool(_SUBJECT.match(subject or ""))


@dataclasses.dataclass(frozen=True, slots=True, order=True)
class Reference:
    """A schema reference: the name the referring schema uses (an Avro full name, a .proto import
    path, a JSON Schema $ref URL) and the subject+version that holds the referenced schema."""

    name: str
    subject: str
    version: int

    def to_dict(self) -> dict:
        return {"name": self.name, "subject": self.subject, "version": self.version}


@dataclasses.dataclass(frozen=True, slots=True)
class SchemaInput:
    """A schema as a client sends it."""

    text: str
    type: SchemaType = SchemaType.AVRO
    references: tuple[Reference, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class StoredSchema:
    """A schema by its global id: immutable for as long as the id exists."""

    id: int
    type: SchemaType
    text: str
    references: tuple[Reference, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class SubjectVersion:
    """One version of a subject and the schema it holds."""

    subject: str
    version: int
    schema: StoredSchema
    deleted: bool = False

    @property
    def id(self) -> int:
        return self.schema.id

    def to_dict(self) -> dict:
        """Confluent's shape: schemaType and references only when they say something."""
        out: dict = {"subject": self.subject, "version": self.version, "id": self.schema.id}
        if self.schema.type is not SchemaType.AVRO:
            out["schemaType"] = self.schema.type.value
        if self.schema.references:
            out["references"] = [ref.to_dict() for ref in self.schema.references]
        out["schema"] = self.schema.text
        return out


@dataclasses.dataclass(frozen=True, slots=True)
class Reason:
    """Why a schema is incompatible: a stable code (Confluent's error type), a path in the schema
    (Avro: JSON Pointer into the schema; Protobuf and JSON Schema: Confluent's `#/...` paths) and a
    sentence. `old_version` names the version it was checked against, when known."""

    code: str
    path: str
    message: str
    old_version: int | None = None

    def with_version(self, version: int | None) -> "Reason":
        return dataclasses.replace(self, old_version=version)

    def describe(self) -> str:
        text = f"{self.code} at {self.path or '/'}: {self.message}"
        return text if self.old_version is None else f"{text} (version {self.old_version})"
