"""Server configuration: defaults that work alone, a TOML file, and command-line overrides."""

from __future__ import annotations

import dataclasses
import pathlib
import tomllib
from typing import Any

from convsvc.model import Limits


@dataclasses.dataclass(frozen=True, slots=True)
class Config:
    host: str = "127.0.0.1"
    port: int = 50051
    data_dir: pathlib.Path = pathlib.Path("data")
    grace_seconds: float = 10.0  # in-flight calls may finish for this long after SIGTERM
    limits: Limits = dataclasses.field(default_factory=Limits)

    @classmethod
    def load(cls, path: str | pathlib.Path | None = None, **overrides: Any) -> "Config":
        """Defaults, then the file's [server] and [limits] tables, then non-None overrides."""
        values: dict[str, Any] = {}
        if path is not None:
            with open(path, "rb") as handle:
                document = tomllib.load(handle)
            unknown = sorted(set(document) - {"server", "limits"})
            if unknown:
                raise ValueError(f"{path}: unknown table(s) {', '.join(unknown)}; known: server, limits")
            values.update(document.get("server", {}))
            if "limits" in document:
                values["limits"] = Limits.from_mapping(document["limits"])
        values.update({key: value for key, value in overrides.items() if value is not None})
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        if "data_dir" in values:
            values["data_dir"] = pathlib.Path(values["data_dir"])
        return cls(**values)
