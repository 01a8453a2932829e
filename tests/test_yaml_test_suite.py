"""The YAML codec against the yaml-test-suite: conformance shares, and no regression past the known list.

Every case is judged by the corpus suite's judge (convsvc/corpus/suites/yaml_test_suite.py, the one
`convsvc corpus run` uses) against the in-process engine: in.yaml converted YAML to JSON Lines in
FRAGILE mode (WARNING issues refuse, as the engine makes them). A valid case passes when its documents
equal in.json (type-strict; !!binary bytes equal the base64 text); an error case passes when it is
refused. Cases the codec refuses on purpose — a tag outside the core schema (UNSUPPORTED_TAG) — are
policy, not conformance: they are counted apart and left out of the valid share.
corpus/yaml-test-suite-known-failures.txt lists the failing cases; a failing case missing from it fails
the test, and listed cases that now pass are printed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from convsvc.corpus.model import PASSED, SKIPPED, Where
from convsvc.corpus.suites import judge, suite_named
from convsvc.corpus.suites import yaml_test_suite as suite
from convsvc.corpus.suites.yaml_test_suite import json_stream, suite_cases  # noqa: F401  (bench/yaml_libraries.py)
from convsvc.corpus.targets import InProcessTarget

KNOWN_FAILURES = suite.KNOWN_FAILURES


def suite_root() -> Path:
    return suite.suite_root(Where.default())


def known_failures() -> dict[str, str]:
    return suite.known_failures(KNOWN_FAILURES)


def outcome(judgement) -> str:
    """pass, fail, policy (refused on purpose) or unjudged (valid, no in.json)."""
    if judgement.verdict == PASSED:
        return "pass"
    if judgement.verdict == SKIPPED:
        return "unjudged"
    return "policy" if suite.is_policy(judgement) else "fail"


def judged(aspect: str) -> dict[str, tuple[Path, str, object]]:
    """Case name (229Q, Y79Y/010) -> (folder, outcome, judgement), for the cases of one aspect."""
    target = InProcessTarget()
    out = {}
    for case in suite.discover(suite_named(suite.NAME), Where.default()):
        if case.data["aspect"] == aspect:
            judgement = judge(case, target)
            out[case.data["name"]] = (Path(case.data["folder"]), outcome(judgement), judgement)
    return out


def test_yaml_test_suite_conformance():
    root = suite_root()
    if not root.is_dir():
        pytest.skip(f"yaml-test-suite not found at {root} (set CONVSVC_CORPORA)")
    results = judged("json")
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
    print(f"  valid cases without in.json (not judged): "
          f"{sum(r[2].detail.endswith('(accepted)') for r in unjudged)} accepted, "
          f"{sum(not r[2].detail.endswith('(accepted)') for r in unjudged)} refused")
    print("  failing: " + " ".join(sorted(failing)))
    for cid in sorted(failing):
        detail = (failing[cid][2].got.splitlines() or [""])[-1].strip()
        print(f"    {cid:10} {failing[cid][1]:6} {detail[:110]}")

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


def test_yaml_written_reads_back_to_the_same_documents_wherever_reading_works():
    """The YAML to YAML round trips (cases with an out.yaml) fail only on cases whose reading fails."""
    if not suite_root().is_dir():
        pytest.skip(f"yaml-test-suite not found at {suite_root()} (set CONVSVC_CORPORA)")
    results = judged("round-trip")
    assert len(results) >= 200
    failing = sorted(cid for cid, r in results.items() if r[1] in ("fail", "policy"))
    assert not [cid for cid in failing if cid not in known_failures()], [
        results[cid][2].describe() for cid in failing if cid not in known_failures()]
    assert sum(r[1] == "pass" for r in results.values()) >= 200
