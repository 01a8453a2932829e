"""Limits on what one conversion may consume: one frozen object passed down, never globals."""

from __future__ import annotations

import dataclasses

MiB = 1024 * 1024


@dataclasses.dataclass(frozen=True, slots=True)
class Limits:
    """Safe defaults; a config file or flags may change each (see docs/operations.md)."""

    max_message_bytes: int = 64 * MiB  # one request payload (and gRPC's receive limit)
    max_depth: int = 200  # nesting of arrays/objects/sequences/mappings (at most 254)
    max_string_bytes: int = 8 * MiB  # one string or key, as encoded in the input
    max_number_chars: int = 1000  # one number literal, in characters
    max_documents: int = 100_000  # YAML documents or JSON Lines records in one payload
    max_alias_expansions: int = 100_000  # nodes produced by YAML aliases, counted with repetition
    max_changes: int = 100_000  # repairs, coercions and losses in one conversion (or stream record): a bounded report

    def __post_init__(self) -> None:
        if self.max_depth > 254:  # orjson's writer nests at most 254 containers
            raise ValueError("max_depth may be at most 254 (the JSON writer's nesting limit)")
        if self.max_number_chars > 4300:  # Python's own guard against quadratic int parsing
            raise ValueError("max_number_chars may be at most 4300 (sys.int_max_str_digits)")

    def replace(self, **changes: int) -> "Limits":
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_mapping(cls, values: dict) -> "Limits":
        """Build from a config table; unknown names are refused, not ignored."""
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown limit(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        for name, value in values.items():
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"limit {name} must be a positive integer, got {value!r}")
        return cls(**values)
