"""docs/clients.md: the page is exactly what scripts/gen_clients_doc.py writes now, every client language
has its snippet cut from the program its check.sh runs, and the checks it describes are those
tests/test_clients.py requires. (That each snippet prints clients/snippet.expected is the `PASS snippet`
check of tests/test_clients.py, against a live server.)"""

from __future__ import annotations

import importlib.util
import re
import sys

import pytest

from tests.conftest import ROOT
from tests.test_clients import CHECKS, LANGUAGES

_spec = importlib.util.spec_from_file_location("gen_clients_doc", ROOT / "scripts" / "gen_clients_doc.py")
gen = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = gen
_spec.loader.exec_module(gen)

PAGE = ROOT / "docs" / "clients.md"


def test_the_page_is_what_the_generator_writes_now():
    assert PAGE.read_text(encoding="utf-8") == gen.render(), \
        "run `python scripts/gen_clients_doc.py` (make docs) and commit docs/clients.md"


def test_the_page_covers_the_languages_the_tests_and_make_clients_run():
    assert tuple(client.language for client in gen.CLIENTS) == LANGUAGES
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^CLIENTS := (.+)$", makefile, re.MULTILINE).group(1).split() == list(LANGUAGES)


@pytest.mark.parametrize("client", gen.CLIENTS, ids=lambda client: client.language)
def test_every_language_has_its_snippet_in_the_page(client):
    snippet = gen.snippet_of(client)
    assert "localhost:50051" in snippet  # the default address: the region is the whole program, main included
    assert re.search(r"bad_?request", snippet, re.IGNORECASE)
    page = PAGE.read_text(encoding="utf-8")
    assert f"\n### {client.title}\n" in page
    assert f"\n```{client.fence}\n{snippet}\n```\n" in page


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_check_script_runs_its_snippet_against_the_expected_output(language):
    script = (ROOT / "clients" / language / "check.sh").read_text(encoding="utf-8")
    assert re.search(r"^bash \S*check_snippet\.sh\"? \S", script, re.MULTILINE), f"clients/{language}/check.sh"


def test_the_snippet_files_are_gone_the_page_replaces_them():
    assert not sorted((ROOT / "clients").glob("*/SNIPPET.md"))


def test_the_checks_the_page_describes_are_those_every_client_must_pass():
    assert list(gen.CHECKS) == [check.split()[1] for check in CHECKS]
    assert "PASS snippet" in CHECKS


def test_the_page_shows_what_every_snippet_prints():
    expected = (ROOT / "clients" / "snippet.expected").read_text(encoding="utf-8")
    assert expected.startswith("id: 7\nrefused: SCHEMA_VIOLATION at /id: ")
    assert f"\n```text\n{expected}```\n" in PAGE.read_text(encoding="utf-8")


@pytest.mark.parametrize("text, problem", [
    ("x = 1\n", "needs one"),
    ("# snippet:start\nx = 1\n", "needs one"),
    ("# snippet:end\nx = 1\n# snippet:start\n", "needs one"),
    ("# snippet:start\n# snippet:start\nx = 1\n# snippet:end\n", "needs one"),
    ("# snippet:start\n\n# snippet:end\n", "is empty"),
], ids=["no-markers", "no-end", "end-first", "two-starts", "empty"])
def test_a_snippet_needs_one_marked_region(text, problem, tmp_path, monkeypatch):
    (tmp_path / "lang").mkdir()
    (tmp_path / "lang" / "snippet.py").write_text(text, encoding="utf-8")
    monkeypatch.setattr(gen, "CLIENTS_DIR", tmp_path)
    monkeypatch.setattr(gen, "ROOT", tmp_path)
    client = gen.Client("lang", "Lang", "python", "#", "snippet.py", "", "", "", "", "")
    with pytest.raises(ValueError, match=problem):
        gen.snippet_of(client)


def test_the_region_is_cut_as_it_is_without_the_blank_lines_around_it(tmp_path, monkeypatch):
    (tmp_path / "lang").mkdir()
    (tmp_path / "lang" / "snippet.go").write_text(
        "// header\n\n  // snippet:start\n\nfunc main() {\n\tx()\n}\n\n// snippet:end\n", encoding="utf-8")
    monkeypatch.setattr(gen, "CLIENTS_DIR", tmp_path)
    client = gen.Client("lang", "Lang", "go", "//", "snippet.go", "", "", "", "", "")
    assert gen.snippet_of(client) == "func main() {\n\tx()\n}"
