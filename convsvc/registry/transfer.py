"""Export and import of a whole registry as JSON Lines (ids, versions, soft deletes, levels and modes
kept), for backup and for moving between stores. Works on anything with Registry's methods: the
Registry itself, or the CLI's gRPC client of a remote one.

Lines: a header, then `schema` lines (in id order), then `config` and `mode` lines ("" = global):
    {"type": "header", "format": "convsvc-registry-export", "version": 1}
    {"type": "schema", "subject": "s", "version": 1, "id": 7, "schemaType": "AVRO", "schema": "...",
     "references": [], "deleted": false}
    {"type": "config", "subject": "", "compatibility": "FULL"}
    {"type": "mode", "subject": "", "mode": "READWRITE"}
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator

from convsvc.registry.model import Mode, Reference, SchemaInput, SchemaType

FORMAT = "convsvc-registry-export"
FORMAT_VERSION = 1


def export_lines(registry) -> Iterator[str]:
    """Every subject version (soft-deleted ones too), then the levels and modes."""
    yield json.dumps({"type": "header", "format": FORMAT, "version": FORMAT_VERSION})
    entries = []
    for subject in registry.subjects("", True):
        for version in registry.versions(subject, True):
            found = registry.schema_by_subject(subject, version, True)
            entries.append({"type": "schema", "subject": subject, "version": found.version, "id": found.schema.id,
                            "schemaType": found.schema.type.value, "schema": found.schema.text,
                            "references": [ref.to_dict() for ref in found.schema.references],
                            "deleted": found.deleted})
    entries.sort(key=lambda entry: (entry["id"], entry["subject"], entry["version"]))
    for entry in entries:
        yield json.dumps(entry, ensure_ascii=False)
    settings = registry.settings()
    for subject, level in sorted(settings["config"].items()):
        yield json.dumps({"type": "config", "subject": subject, "compatibility": level})
    for subject, mode in sorted(settings["mode"].items()):
        yield json.dumps({"type": "mode", "subject": subject, "mode": mode})


@dataclasses.dataclass
class ImportSummary:
    schemas: int = 0
    deleted: int = 0
    settings: int = 0


def import_lines(registry, lines: Iterable[str], *, force: bool = False) -> ImportSummary:
    """Import an export into `registry` under IMPORT mode (ids and versions kept). The target must be
    empty unless `force`; the exported global mode (READWRITE if none) is restored at the end."""
    schemas, configs, modes = [], [], []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        entry = json.loads(line)
        kind = entry.get("type")
        if kind == "header":
            if entry.get("format") != FORMAT or entry.get("version") != FORMAT_VERSION:
                raise ValueError(f"line {number}: not a {FORMAT} version {FORMAT_VERSION} file")
        elif kind == "schema":
            schemas.append(entry)
        elif kind == "config":
            configs.append(entry)
        elif kind == "mode":
            modes.append(entry)
        else:
            raise ValueError(f"line {number}: unknown line type {kind!r}")
    summary = ImportSummary()
    registry.set_mode(Mode.IMPORT, None, force)
    try:
        done: set[tuple[str, int]] = set()
        pending = list(schemas)
        while pending:  # referenced versions first: each pass imports what its references allow
            ready = [entry for entry in pending
                     if all((ref["subject"], ref["version"]) in done for ref in entry.get("references", ()))]
            if not ready:
                missing = pending[0]
                raise ValueError(f"schema id {missing['id']} ({missing['subject']} version {missing['version']}) "
                                 "references a subject version that is not in the export")
            for entry in ready:
                schema = SchemaInput(text=entry["schema"], type=SchemaType(entry.get("schemaType") or "AVRO"),
                                     references=tuple(Reference(r["name"], r["subject"], int(r["version"]))
                                                      for r in entry.get("references", ())))
                registry.register(entry["subject"], schema, False, schema_id=int(entry["id"]),
                                  version=int(entry["version"]))
                done.add((entry["subject"], int(entry["version"])))
                summary.schemas += 1
            pending = [entry for entry in pending if entry not in ready]
        for entry in schemas:
            if entry.get("deleted"):
                registry.delete_version(entry["subject"], int(entry["version"]), False)
                summary.deleted += 1
        for entry in configs:
            registry.set_level(entry["compatibility"], entry["subject"] or None)
            summary.settings += 1
    finally:
        registry.delete_mode(None)  # back to the default; the exported modes follow
    for entry in modes:
        registry.set_mode(entry["mode"], entry["subject"] or None, True)
        summary.settings += 1
    return summary
