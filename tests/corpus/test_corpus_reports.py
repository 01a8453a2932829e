"""`convsvc corpus run --report/--html/--baseline` on a user folder: the exact JSON report, a self-contained
HTML page, and the comparison with a baseline the run falls below."""

from __future__ import annotations

import json
import re

import pytest

REGISTRY_CASE = 'from = "json"\nto = "avro"\nto_schema = "subject:orders-value"\n'
SKIP_REASON = ("names schemas in a registry (schema by subject); the in-process engine has none: run against a "
               "server with --target")


@pytest.fixture
def run_with_reports(user_cases, add_user_case, corpus_command, tmp_path):
    """A baseline taken while the five example cases pass; then a wrong expectation and a case that
    needs a registry are added, and the folder runs again with both reports."""
    baseline = tmp_path / "baseline.json"
    done = corpus_command("run", "--suite", str(user_cases), "--baseline", str(baseline), "--update-baseline")
    assert done.returncode == 0, done.stderr
    add_user_case(user_cases, "wrong-expectation", 'from = "json"\nto = "yaml"\n', input_json='{"a": 1}',
                  expected_yaml="a: 2\n")
    add_user_case(user_cases, "needs-a-registry", REGISTRY_CASE, input_json='{"x": 1, "y": 2}',
                  expected_avro="\x02\x04")
    report, page = tmp_path / "report.json", tmp_path / "report.html"
    done = corpus_command("run", "--suite", str(user_cases), "--baseline", str(baseline), "--report", str(report),
                          "--html", str(page))
    return done, json.loads(report.read_text(encoding="utf-8")), page.read_text(encoding="utf-8")


def test_a_rate_below_the_baseline_exits_1_and_names_the_suite_and_the_pair(run_with_reports):
    done, _, _ = run_with_reports
    assert done.returncode == 1
    assert "regression suite my-cases: 83.3% < baseline 100.0%" in done.stdout
    assert "regression pair json->yaml: 66.7% < baseline 100.0%" in done.stdout
    assert "failing now, not in the baseline's failing cases: my-cases/wrong-expectation" in done.stdout


def test_the_json_report_holds_every_case_with_exact_fields(run_with_reports):
    _, report, _ = run_with_reports
    assert set(report) == {"convsvc_version", "target", "jobs", "started_at", "seconds", "totals", "suites", "pairs",
                           "regressions", "newly_failing", "cases"}
    assert (report["target"], report["jobs"]) == ("in-process", 1)
    assert report["totals"] == {"cases": 7, "passed": 5, "failed": 1, "skipped": 1, "rate": 0.8333}
    assert report["suites"] == [{"name": "my-cases", "cases": 7, "passed": 5, "failed": 1, "skipped": 1,
                                 "rate": 0.8333, "baseline": 1.0, "change": -0.1667, "status": "regressed"}]
    assert report["pairs"] == [
        {"pair": "json->json", "cases": 1, "passed": 1, "failed": 0, "skipped": 0, "rate": 1.0, "baseline": 1.0,
         "change": 0.0, "status": "ok"},
        {"pair": "json->yaml", "cases": 3, "passed": 2, "failed": 1, "skipped": 0, "rate": 0.6667, "baseline": 1.0,
         "change": -0.3333, "status": "regressed"},
        {"pair": "json->avro", "cases": 2, "passed": 1, "failed": 0, "skipped": 1, "rate": 1.0, "baseline": 1.0,
         "change": 0.0, "status": "ok"},
        {"pair": "yaml->json", "cases": 1, "passed": 1, "failed": 0, "skipped": 0, "rate": 1.0, "baseline": 1.0,
         "change": 0.0, "status": "ok"},
    ]
    assert report["regressions"] == ["suite my-cases: 83.3% < baseline 100.0%",
                                     "pair json->yaml: 66.7% < baseline 100.0%"]
    assert report["newly_failing"] == ["my-cases/wrong-expectation"]
    cases = {case["id"]: case for case in report["cases"]}
    assert sorted(cases) == sorted(f"my-cases/{name}" for name in (
        "duplicate-key-refused", "duplicate-key-robust", "json-to-yaml", "needs-a-registry", "point-to-avro",
        "wrong-expectation", "yaml-stream-to-json-lines"))
    for case in cases.values():
        assert set(case) == {"id", "suite", "pair", "verdict", "expected", "got", "issues", "detail", "note",
                             "seconds"}
        assert isinstance(case["seconds"], float) and 0 <= case["seconds"] < 10
    wrong = {key: value for key, value in cases["my-cases/wrong-expectation"].items() if key != "seconds"}
    assert wrong == {"id": "my-cases/wrong-expectation", "suite": "my-cases", "pair": "json->yaml",
                     "verdict": "failed", "expected": "a: 2\n", "got": "a: 1\n", "issues": [],
                     "detail": "the output differs from the expected file", "note": ""}
    skipped = {key: value for key, value in cases["my-cases/needs-a-registry"].items() if key != "seconds"}
    assert skipped == {"id": "my-cases/needs-a-registry", "suite": "my-cases", "pair": "json->avro",
                       "verdict": "skipped", "expected": "", "got": "", "issues": [], "detail": SKIP_REASON,
                       "note": ""}
    refused = cases["my-cases/duplicate-key-refused"]
    assert (refused["verdict"], refused["expected"], refused["issues"]) == (
        "passed", "refused: DUPLICATE_KEY at /id", ["DUPLICATE_KEY"])
    assert refused["got"].startswith("refused: INVALID_ARGUMENT (InvalidInput)\n  DUPLICATE_KEY at /id")
    assert len(refused["got"].splitlines()) == 2  # the status line, then the one issue


def test_the_html_report_is_one_self_contained_page(run_with_reports):
    _, _, page = run_with_reports
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    tags = set(re.findall(r"<([a-z0-9]+)", page))
    assert tags <= {"html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "b", "table", "tr", "th",
                    "td", "small", "div", "span", "details", "summary", "code", "pre", "ul", "li"}, tags
    assert page.count("<style>") == 1
    for external in ("src=", "href=", "url(", "@import", "<script", "<link"):
        assert external not in page


def test_the_html_report_shows_the_matrix_the_suites_and_the_failing_diff(run_with_reports):
    _, _, page = run_with_reports
    matrix = re.search(r'<table class="matrix">(.*?)</table>', page, re.S).group(1)
    assert len(re.findall(r"<td\b", matrix)) == 25
    assert len(re.findall(r'<td class="none"', matrix)) == 21  # four pairs have cases
    assert 'title="json → yaml: 2 passed, 1 failed, 0 skipped"><b>66.7%</b><small>2/3</small></td>' in matrix
    assert 'title="json → avro: 1 passed, 0 failed, 1 skipped"><b>100.0%</b><small>1/1 · 1 skipped</small>' in matrix
    bar = re.search(r'<div class="bar">(.*?)</div>', page).group(1)
    assert bar == ('<span class="p" style="width:71.43%"></span><span class="f" style="width:14.29%"></span>'
                   '<span class="s" style="width:14.29%"></span>')
    assert '<li class="regressed">suite my-cases: 83.3% &lt; baseline 100.0%</li>' in page
    failing = re.search(r"<h2>Failing cases \(1\)</h2>(.*?)<h2>", page, re.S).group(1)
    assert "<code>my-cases/wrong-expectation</code>" in failing
    assert "the output differs from the expected file" in failing
    assert '<span class="del">-a: 2</span>\n<span class="add">+a: 1</span>' in failing
    assert "<h2>Skipped cases (1)</h2>" in page and SKIP_REASON in page
