"""`convsvc corpus list`, `convsvc corpus show` and the run command's exit codes, as a user sees them."""

from __future__ import annotations

import json

from convsvc.corpus.model import Where
from tests.conftest import ROOT, corpora_root

BUILTIN = ["jsontestsuite", "yaml-test-suite", "vectors", "xpath-json", "avro-resolution", "repair", "registry-compat"]


def expected_counts() -> dict[str, int]:
    """Each suite's case count, counted from its files here rather than by the suite."""
    corpus = ROOT / "corpus"
    xpath = json.loads((corpus / "xpath-json" / "manifest.json").read_text(encoding="utf-8"))
    compat = [json.loads(path.read_text(encoding="utf-8")) for path in (corpus / "registry-compat").glob("*.json")]
    yaml_root = corpora_root() / "yaml-test-suite"
    yaml_cases = [path.parent for path in yaml_root.glob("*/in.yaml") if not path.parent.is_symlink()]
    yaml_cases += [path.parent for path in yaml_root.glob("*/*/in.yaml")
                   if not path.parent.parent.is_symlink() and path.parent.parent.name not in ("name", "tags")]
    return {
        "jsontestsuite": len(list((corpora_root() / "JSONTestSuite" / "test_parsing").glob("*.json"))),
        "yaml-test-suite": len(yaml_cases) + sum((case / "out.yaml").exists() and not (case / "error").exists()
                                                 for case in yaml_cases),
        "vectors": len(json.loads((corpus / "vectors" / "manifest.json").read_text(encoding="utf-8"))),
        "xpath-json": len(xpath) + sum(entry["direction"] == "both" for entry in xpath),
        "avro-resolution": len(list((corpus / "avro-resolution").glob("*.json"))),
        "repair": len(list((corpus / "repair").glob("*.in"))),
        "registry-compat": sum(len(case["expect"]) for document in compat for case in document["cases"]),
    }


def test_list_shows_every_suite_with_its_case_count(corpus_command):
    done = corpus_command("list", "--json")
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    assert [row["name"] for row in listed] == BUILTIN
    assert {row["name"]: row["cases"] for row in listed} == expected_counts()
    assert all(set(row) == {"name", "cases", "description"} and row["description"] for row in listed)
    text = corpus_command("list")
    assert text.stdout.splitlines() == [f"{row['name']:<15}  {row['cases']:>5} cases  {row['description']}"
                                        for row in listed]


def test_list_shows_a_user_folder_and_a_missing_corpus(user_cases, corpus_command, tmp_path):
    done = corpus_command("list", "--json", "--suite", str(user_cases), "jsontestsuite", "--corpora", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        {"name": "my-cases", "cases": 5, "description": f"user cases in {user_cases}"},
        {"name": "jsontestsuite", "cases": 0, "description": jsontestsuite_description(),
         "unavailable": f"JSONTestSuite not found at {tmp_path}/JSONTestSuite/test_parsing (set --corpora or "
                        "$CONVSVC_CORPORA)"}]


def jsontestsuite_description() -> str:
    from convsvc.corpus.suites import jsontestsuite

    return jsontestsuite.DESCRIPTION


def test_show_runs_one_case_and_prints_every_call(corpus_command):
    done = corpus_command("show", "vectors/json-duplicate-key-fragile")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[:4] == ["case     vectors/json-duplicate-key-fragile", "suite    vectors", "pair     json → json",
                         "target   in-process"]
    assert "→ convert json → json, fragile, 16 bytes:" in lines
    assert "← refused: INVALID_ARGUMENT (InvalidInput), ErrorInfo reason DUPLICATE_KEY" in lines
    assert any(line.startswith("   warning: DUPLICATE_KEY at /a") for line in lines)
    assert any(line.startswith("verdict  PASSED (") for line in lines)
    assert lines[lines.index("expected:") + 1] == "  refused: INVALID_ARGUMENT, reason DUPLICATE_KEY, first field '/a'"


def test_show_finds_a_case_by_the_end_of_its_id_and_exits_1_when_it_fails(user_cases, add_user_case,
                                                                          corpus_command):
    add_user_case(user_cases, "wrong", 'from = "json"\nto = "yaml"\n', input_json="[1]", expected_yaml="- 2\n")
    done = corpus_command("show", "wrong", "--suite", str(user_cases))
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0] == "case     my-cases/wrong"
    assert any(line.startswith("verdict  FAILED (") for line in lines)
    assert "detail   the output differs from the expected file" in lines
    assert lines[lines.index("expected:") + 1:] == ["  - 2", "got:", "  - 1"]


def test_show_names_what_it_cannot_find(corpus_command):
    done = corpus_command("show", "no-such-case")
    assert done.returncode == 2
    assert "no case matching 'no-such-case'" in done.stderr
    ambiguous = corpus_command("show", "json-to-yaml", "--suite", "corpus/examples/user-cases", "vectors")
    assert ambiguous.returncode == 0  # unique: the vectors say order-json-to-yaml, not json-to-yaml
    both = corpus_command("show", "order-json-to-yaml", "--suite", "vectors", "vectors")
    assert both.returncode == 2 and "two suites named 'vectors'" in both.stderr


def test_run_refuses_unknown_suites_and_a_baseline_update_without_a_file(corpus_command):
    done = corpus_command("run", "--suite", "nope")
    assert done.returncode == 2
    assert done.stderr.strip() == ("convsvc: no suite 'nope'; known: " + ", ".join(BUILTIN)
                                   + ", or a folder of your own cases")
    done = corpus_command("run", "--update-baseline")
    assert (done.returncode, done.stderr.strip()) == (2, "convsvc: --update-baseline writes the --baseline FILE: "
                                                         "give one")


def test_run_against_a_server_that_does_not_answer_exits_3(corpus_command):
    done = corpus_command("run", "--suite", "vectors", "--target", "127.0.0.1:9", "--deadline", "1")
    assert done.returncode == 3
    assert done.stderr.strip() == "convsvc: 127.0.0.1:9: the server did not answer within 1s"


def test_without_a_baseline_a_failing_case_exits_1_and_passing_ones_exit_0(user_cases, add_user_case,
                                                                          corpus_command):
    assert corpus_command("run", "--suite", str(user_cases)).returncode == 0
    add_user_case(user_cases, "wrong", 'from = "json"\nto = "yaml"\n', input_json="[1]", expected_yaml="- 2\n")
    done = corpus_command("run", "--suite", str(user_cases))
    assert done.returncode == 1
    assert "6 cases: 5 passed, 1 failed, 0 skipped (83.3%)" in done.stdout


def test_a_missing_external_corpus_is_reported_and_a_regression_against_the_baseline(corpus_command, tmp_path):
    done = corpus_command("run", "--suite", "jsontestsuite", "--corpora", str(tmp_path), "--baseline",
                          "corpus/baseline.json")
    assert done.returncode == 1
    assert f"not run jsontestsuite: JSONTestSuite not found at {tmp_path}/JSONTestSuite/test_parsing" in done.stdout
    assert "regression suite jsontestsuite: not run (JSONTestSuite not found" in done.stdout


def test_a_subset_of_suites_is_held_to_its_own_part_of_the_baseline(corpus_command, tmp_path):
    """Pair rates compare over the suites that ran: running one suite is no regression of the others."""
    report = tmp_path / "report.json"
    done = corpus_command("run", "--suite", "repair", "--baseline", "corpus/baseline.json", "--report", str(report))
    assert done.returncode == 0, done.stdout
    data = json.loads(report.read_text(encoding="utf-8"))
    baseline = json.loads((ROOT / "corpus" / "baseline.json").read_text(encoding="utf-8"))["suites"]["repair"]
    [pair] = data["pairs"]
    assert (pair["pair"], pair["baseline"], pair["cases"]) == ("json->json", baseline["pairs"]["json->json"]["rate"],
                                                               baseline["cases"])


def test_the_default_corpora_folder_is_shared_corpora_beside_the_project(monkeypatch):
    monkeypatch.delenv("CONVSVC_CORPORA", raising=False)
    assert Where.default().corpora == ROOT.parent / "shared" / "corpora"
    monkeypatch.setenv("CONVSVC_CORPORA", "/elsewhere")
    assert str(Where.default().corpora) == "/elsewhere"
    assert str(Where.default("/given").corpora) == "/given"


def test_the_readme_shows_the_baseline_rates(corpus_command):
    """README's Compatibility tables are corpus/baseline.json as `convsvc corpus rates` prints it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = readme.split("<!-- rates:start -->\n", 1)[1].split("<!-- rates:end -->", 1)[0]
    done = corpus_command("rates")
    assert done.returncode == 0, done.stderr
    assert shown == done.stdout, f"paste `convsvc corpus rates` into README.md:\n{done.stdout}"
    baseline = json.loads((ROOT / "corpus" / "baseline.json").read_text(encoding="utf-8"))
    assert f"| repair | {baseline['suites']['repair']['cases']} |" in shown
