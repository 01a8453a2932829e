"""The YAML codec against the yaml-test-suite: conformance shares, and no regression past the known list.

Every case runs through yaml_codec.decode in FRAGILE mode (WARNING issues count as refusals, as the
engine makes them). A valid case passes when its documents equal in.json (type-strict; !!binary bytes
equal the base64 text); an error case passes when it is refused. Cases the codec refuses on purpose —
a tag outside the core schema (UNSUPPORTED_TAG) — are policy, not conformance: they are counted apart
and left out of the valid share. corpus/yaml-test-suite-known-failures.txt lists the failing cases;
a failing case missing from it fails the test, and listed cases that now pass are printed.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest

from convsvc.formats import yaml_codec
from convsvc.model import Code, Context, Mode, Severity
from convsvc.model.errors import ConversionError

REPO = Path(__file__).resolve().parents[1]
KNOWN_FAILURES = REPO / "corpus" / "yaml-test-suite-known-failures.txt"


def suite_root() -> Path:
    corpora = os.environ.get("CONVSVC_CORPORA")
    base = Path(corpora) if corpora else Path(__file__).resolve().parents[2] / "shared" / "corpora"
    return base / "yaml-test-suite"


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


def same(got, expected) -> bool:
    """Type-strict equality: bools are not numbers, None only None, !!binary bytes match base64 text."""
    if isinstance(expected, bool) or expected is None:
        return got is expected
    if isinstance(expected, (int, float)):
        return not isinstance(got, bool) and isinstance(got, (int, float)) and (
            got == expected or (got != got and expected != expected))
    if isinstance(expected, str):
        if isinstance(got, bytes):
            return base64.b64decode(expected) == got
        return isinstance(got, str) and got == expected
    if isinstance(expected, list):
        return isinstance(got, list) and len(got) == len(expected) and all(map(same, got, expected))
    if isinstance(expected, dict):
        return isinstance(got, dict) and got.keys() == expected.keys() and all(  # mappings are unordered
            same(got[key], expected[key]) for key in got)
    return False


def run_case(case: Path) -> tuple[str, str]:
    """(outcome, detail); outcome: pass, fail, policy (refused on purpose) or unjudged (valid, no in.json)."""
    data = (case / "in.yaml").read_bytes()
    must_fail = (case / "error").exists()  # checked first: 3 error cases also hold a partial in.json
    ctx = Context(mode=Mode.FRAGILE)
    try:
        documents = yaml_codec.decode(data, ctx)
        warnings = ctx.report.at_least(Severity.WARNING)
        if warnings:
            raise ConversionError(warnings)
    except ConversionError as exc:
        detail = exc.issues[0].describe()
        if must_fail:
            return "pass", detail
        if not (case / "in.json").exists():
            return "unjudged", f"refused: {detail}"
        return ("policy" if exc.code is Code.UNSUPPORTED_TAG else "fail"), detail
    if must_fail:
        return "fail", "accepted"
    if not (case / "in.json").exists():
        return "unjudged", "accepted"
    expected = json_stream((case / "in.json").read_text(encoding="utf-8"))
    if len(documents) == len(expected) and all(map(same, documents, expected)):
        return "pass", ""
    return "fail", "got " + json.dumps(documents, default=repr, ensure_ascii=False)[:100]


def known_failures() -> dict[str, str]:
    known = {}
    for line in KNOWN_FAILURES.read_text(encoding="utf-8").splitlines():
        case, _, reason = line.partition("#")
        if case.strip():
            known[case.strip()] = reason.strip()
    return known


def test_yaml_test_suite_conformance():
    root = suite_root()
    if not root.is_dir():
        pytest.skip(f"yaml-test-suite not found at {root} (set CONVSVC_CORPORA)")
    results = {case.relative_to(root).as_posix(): (case, *run_case(case)) for case in suite_cases(root)}
    errors = {cid: r for cid, r in results.items() if (r[0] / "error").exists()}
    valid = {cid: r for cid, r in results.items() if cid not in errors and (r[0] / "in.json").exists()}
    valid_pass = sum(r[1] == "pass" for r in valid.values())
    policy = sum(r[1] == "policy" for r in valid.values())
    error_pass = sum(r[1] == "pass" for r in errors.values())
    unjudged = [r for r in results.values() if r[1] == "unjudged"]
    valid_share = valid_pass / (len(valid) - policy)
    error_share = error_pass / len(errors)
    failing = {cid: r for cid, r in results.items() if r[1] in ("fail", "policy")}

    print(f"\nyaml-test-suite: {len(results)} cases")
    print(f"  valid cases equal to in.json: {valid_pass}/{len(valid) - policy} ({100 * valid_share:.1f}%)"
          f" [+ {policy} refused by the tag policy; {valid_pass}/{len(valid)} raw]")
    print(f"  error cases refused: {error_pass}/{len(errors)} ({100 * error_share:.1f}%)")
    print(f"  valid cases without in.json (not judged): {sum(r[2] == 'accepted' for r in unjudged)} accepted, "
          f"{sum(r[2] != 'accepted' for r in unjudged)} refused")
    print("  failing: " + " ".join(sorted(failing)))
    for cid in sorted(failing):
        print(f"    {cid:10} {failing[cid][1]:6} {failing[cid][2][:110]}")

    known = known_failures()
    now_passing = sorted(cid for cid in known if cid in results and cid not in failing)
    if now_passing:
        print("  listed as known failures but passing now (remove them from the list): " + " ".join(now_passing))
    unknown = sorted(cid for cid in known if cid not in results)
    if unknown:
        print("  listed but not in the suite: " + " ".join(unknown))
    regressions = sorted(cid for cid in failing if cid not in known)
    assert not regressions, f"cases failing that are not in {KNOWN_FAILURES.name}: {regressions}"
    assert valid_share >= 0.98
    assert error_share >= 0.95
