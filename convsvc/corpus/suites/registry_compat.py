"""corpus/registry-compat/: schema changes and the compatibility verdict expected at each level.

One JSON file per schema type (avro.json, protobuf.json, json.json; docs/corpus.md has the format):
each case gives the old version(s) and the new schema, and per level the exact reasons expected, as
[code, path] or [code, path, old version] ([] = compatible). A case per level runs through the
registry: the old versions are registered under a fresh subject (level NONE), the level is set, and
the registry's check of the new schema must give exactly those reasons, in order.
"""

from __future__ import annotations

import json

from convsvc.corpus.model import FAILED, PASSED, Case, Judgement, Suite, SuiteUnavailable, Where
from convsvc.corpus.suites._judging import shorten

NAME = "registry-compat"
DESCRIPTION = "schema pairs with the compatibility verdict expected per level (Avro, Protobuf, JSON Schema)"
ORDER = 70

LEVELS = ("NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE")


def discover(suite: Suite, where: Where) -> list[Case]:
    files = sorted((where.corpus / "registry-compat").glob("*.json"))
    if not files:
        raise SuiteUnavailable(f"no cases in {where.corpus / 'registry-compat'}")
    module = __name__.rsplit(".", 1)[1]
    cases = []
    for path in files:
        document = json.loads(path.read_text(encoding="utf-8"))
        schema_type = document["type"]
        for entry in document["cases"]:
            versions = entry["versions"] if "versions" in entry else [entry["old"]]
            for level, reasons in entry["expect"].items():
                if level not in LEVELS:
                    raise ValueError(f"{path}: case {entry['name']}: unknown level {level!r}")
                cases.append(Case(
                    id=f"{NAME}/{path.stem}/{entry['name']}@{level}", suite=suite.name, module=module, pair=None,
                    data={"type": schema_type, "versions": [_text(v) for v in versions], "new": _text(entry["new"]),
                          "level": level, "reasons": reasons}, title=entry.get("rule", "")))
    return cases


def _text(schema) -> str:
    """Protobuf schemas are given as text; Avro and JSON Schema ones as JSON values (or as text)."""
    return schema if isinstance(schema, str) else json.dumps(schema)


def _show(reasons) -> str:
    if not reasons:
        return "compatible"
    return "incompatible:\n" + "\n".join(
        f"  {reason[0]} at {reason[1] or '(root)'}" + (f" (old version {reason[2]})" if len(reason) > 2 and
                                                        reason[2] is not None else "") for reason in reasons)


def judge(case: Case, target) -> Judgement:
    data = case.data
    expected = [tuple(reason) for reason in data["reasons"]]
    answer = target.check_compatibility(data["type"], data["versions"], data["new"], data["level"])
    if answer.refused is not None:
        return Judgement(FAILED, expected=_show(expected), got=shorten(f"the check was refused: {answer.refused}"),
                         detail="the registry refused the check")
    got = answer.reasons
    ok = len(got) == len(expected) and all(have[:len(want)] == want for have, want in zip(got, expected))
    return Judgement(PASSED if ok else FAILED, expected=_show(expected), got=_show(answer.reasons),
                     issues=tuple(reason[0] for reason in answer.reasons),
                     detail="" if ok else "the reasons differ")

