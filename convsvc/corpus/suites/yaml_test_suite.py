"""The yaml-test-suite: every case's in.yaml converted YAML to JSON Lines (one line per document).

A valid stream passes when its documents equal in.json (type-strict: 1, 1.0 and true differ; a value
the service reports as binary, BINARY_AS_BASE64, equals the base64 text of the same bytes); an `error`
case passes when it is refused. A valid stream without in.json is not judged (skipped). Where an
out.yaml exists, a second case `ID:round-trip` converts in.yaml YAML to YAML and reads that output
back: it must hold the documents of in.json too. A tag outside the YAML 1.2 core schema is refused on
purpose (UNSUPPORTED_TAG): such cases fail with a `policy:` detail, so they can be counted apart.
corpus/yaml-test-suite-known-failures.txt names the failing cases and why (the `note` of each).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from pathlib import Path

from convsvc.corpus.model import ROOT, Case, Judgement, Suite, SuiteUnavailable, Where, skipped
from convsvc.corpus.suites._judging import request, show, show_bytes, show_value, verdict
from convsvc.engine import FormatSpec
from convsvc.model import Code

NAME = "yaml-test-suite"
DESCRIPTION = "yaml-test-suite: JSON match for valid streams, refusal for error cases, YAML round trips"
ORDER = 20

KNOWN_FAILURES = ROOT / "corpus" / "yaml-test-suite-known-failures.txt"
JSON_LINES = FormatSpec("json", "jsonl")
POLICY = "policy:"


def suite_root(where: Where) -> Path:
    return where.corpora / "yaml-test-suite"


def suite_cases(root: Path) -> list[Path]:
    """Case folders holding in.yaml; numbered subfolders (00, 01...) are cases of their own; the
    name/ and tags/ indexes are symlinks to the same folders."""
    cases = []
    for entry in sorted(root.iterdir()):
        if entry.is_symlink() or not entry.is_dir() or entry.name in ("name", "tags"):
            continue
        if (entry / "in.yaml").exists():
            cases.append(entry)
        else:
            cases.extend(sub for sub in sorted(entry.iterdir()) if (sub / "in.yaml").exists())
    return cases


def json_stream(text: str) -> list:
    """in.json holds zero or more JSON values concatenated, one per document."""
    decoder = json.JSONDecoder()
    values, pos = [], 0
    while True:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if pos >= len(text):
            return values
        value, pos = decoder.raw_decode(text, pos)
        values.append(value)


def same(got, expected, binary: frozenset[str] = frozenset(), path: str = "") -> bool:
    """Type-strict equality: bools are not numbers, None only None; at a path the service reported as
    binary (BINARY_AS_BASE64), two base64 texts of the same bytes are equal (in.json keeps the line
    breaks of the YAML source)."""
    if isinstance(expected, bool) or expected is None:
        return got is expected
    if isinstance(expected, (int, float)):
        return not isinstance(got, bool) and isinstance(got, (int, float)) and (
            got == expected or (math.isnan(got) and math.isnan(expected)))
    if isinstance(expected, str):
        if isinstance(got, bytes):
            return base64.b64decode(expected) == got
        if isinstance(got, str) and got != expected and path in binary:
            return _base64_bytes(got) is not None and _base64_bytes(got) == _base64_bytes(expected)
        return isinstance(got, str) and got == expected
    if isinstance(expected, list):
        return isinstance(got, list) and len(got) == len(expected) and all(
            same(item, want, binary, f"{path}/{index}") for index, (item, want) in enumerate(zip(got, expected)))
    if isinstance(expected, dict):
        return isinstance(got, dict) and got.keys() == expected.keys() and all(  # mappings are unordered
            same(got[key], expected[key], binary, f"{path}/{_token(key)}") for key in got)
    return False


def _token(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _base64_bytes(text: str) -> bytes | None:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def known_failures(path: Path = KNOWN_FAILURES) -> dict[str, str]:
    """Case id (as in the suite: 229Q, Y79Y/010) -> why it fails."""
    known = {}
    if not path.exists():
        return known
    for line in path.read_text(encoding="utf-8").splitlines():
        case, _, reason = line.partition("#")
        if case.strip():
            known[case.strip()] = reason.strip()
    return known


def discover(suite: Suite, where: Where) -> list[Case]:
    root = suite_root(where)
    if not root.is_dir():
        raise SuiteUnavailable(f"yaml-test-suite not found at {root} (set --corpora or $CONVSVC_CORPORA)")
    module = __name__.rsplit(".", 1)[1]
    known = known_failures(where.corpus / KNOWN_FAILURES.name)
    cases = []
    for folder in suite_cases(root):
        name = folder.relative_to(root).as_posix()
        title = (folder / "===").read_text(encoding="utf-8").strip() if (folder / "===").exists() else ""
        data = {"folder": str(folder), "name": name, "known": known.get(name, "")}
        cases.append(Case(id=f"{NAME}/{name}", suite=suite.name, module=module, pair=("yaml", "json"),
                          data={**data, "aspect": "json"}, title=title))
        if (folder / "out.yaml").exists() and not (folder / "error").exists():
            cases.append(Case(id=f"{NAME}/{name}:round-trip", suite=suite.name, module=module,
                              pair=("yaml", "yaml"), data={**data, "aspect": "round-trip"}, title=title))
    return cases


def judge(case: Case, target) -> Judgement:
    folder = Path(case.data["folder"])
    note = f"known failure: {case.data['known']}" if case.data["known"] else ""
    data = (folder / "in.yaml").read_bytes()
    must_fail = (folder / "error").exists()  # checked first: 3 error cases also hold a partial in.json
    has_json = (folder / "in.json").exists()
    if case.data["aspect"] == "round-trip":
        written = target.convert(request(data, "yaml", "yaml"))
        if not has_json:
            return skipped("a valid stream without in.json: nothing to compare with")
        if not written.converted:
            return _refused_valid_stream(written, folder, note, "YAML to YAML")
        outcome = target.convert(request(written.payload, "yaml", JSON_LINES))
        if not outcome.converted:
            return verdict(False, show_value(json_stream((folder / "in.json").read_text(encoding="utf-8"))),
                           f"the YAML written:\n{show_bytes(written.payload)}\nread back: {show(outcome)}", outcome,
                           detail="the YAML written could not be read back", note=note)
        return _documents_match(outcome, folder, note, written=written.payload)
    outcome = target.convert(request(data, "yaml", JSON_LINES))
    if not outcome.converted:
        if must_fail:
            return verdict(True, "refused (an error case)", show(outcome), outcome, note=note)
        if not has_json:
            return skipped(f"a valid stream without in.json: not judged (refused: {outcome.first.describe()})")
        return _refused_valid_stream(outcome, folder, note, "YAML to JSON")
    if must_fail:
        return verdict(False, "refused (an error case)", show(outcome), outcome, detail="accepted", note=note)
    if not has_json:
        return skipped("a valid stream without in.json: not judged (accepted)")
    return _documents_match(outcome, folder, note)


def _refused_valid_stream(outcome, folder: Path, note: str, what: str) -> Judgement:
    expected = show_value(json_stream((folder / "in.json").read_text(encoding="utf-8")))
    if outcome.first.code is Code.UNSUPPORTED_TAG:
        detail = f"{POLICY} a tag outside the YAML 1.2 core schema is refused on purpose ({what})"
    else:
        detail = f"a valid stream was refused ({what})"
    return verdict(False, expected, show(outcome), outcome, detail=detail, note=note)


def _documents_match(outcome, folder: Path, note: str, written: bytes | None = None) -> Judgement:
    expected = json_stream((folder / "in.json").read_text(encoding="utf-8"))
    documents = [json.loads(line) for line in outcome.payload.decode("utf-8").splitlines() if line.strip()]
    binary = frozenset(issue.path for issue in outcome.issues if issue.code is Code.BINARY_AS_BASE64)
    ok = len(documents) == len(expected) and all(same(got, want, binary) for got, want in zip(documents, expected))
    got = show_value(documents)
    if written is not None:
        got = f"{got}\n(read back from the YAML written:)\n{show_bytes(written)}"
    return verdict(ok, show_value(expected), got, outcome, detail="the documents differ from in.json", note=note)


def is_policy(judgement: Judgement) -> bool:
    """A valid stream refused on purpose (a tag outside the core schema), not a conformance failure."""
    return judgement.detail.startswith(POLICY)
