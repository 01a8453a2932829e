"""Every file of JSONTestSuite's test_parsing: y_ accepted exactly, n_ refused with a position, i_ as documented
(docs/formats.md, "JSON: implementation-defined inputs").

Each file is judged by the corpus suite's judge (convsvc/corpus/suites/jsontestsuite.py), the same one
`convsvc corpus run` uses, against the in-process engine."""

from __future__ import annotations

import pytest

from convsvc.corpus.model import SuiteUnavailable
from convsvc.corpus.suites import cases, jsontestsuite, judge
from convsvc.corpus.targets import InProcessTarget
from tests.conftest import corpora_root

SUITE = corpora_root() / "JSONTestSuite" / "test_parsing"
FILES = sorted(SUITE.glob("*.json"))
try:
    CASES = cases("jsontestsuite")
except SuiteUnavailable:
    CASES = []  # test_the_suite_is_there says so
TARGET = InProcessTarget()


def of_kind(kind: str) -> list:
    return [case for case in CASES if case.data["kind"] == kind]


def name(case) -> str:
    return case.id.split("/", 1)[1]


def assert_passes(case) -> None:
    judgement = judge(case, TARGET)
    assert judgement.passed, judgement.describe()


def test_the_suite_is_there():
    assert len(FILES) >= 300, f"JSONTestSuite not found at {SUITE}"
    assert len(CASES) == len(FILES)


@pytest.mark.parametrize("case", of_kind("y"), ids=name)
def test_y_file_is_accepted_with_its_exact_value(case):
    assert_passes(case)


@pytest.mark.parametrize("case", of_kind("y-duplicate-key"), ids=name)
def test_y_duplicate_key_file_is_refused_in_fragile_and_keeps_the_last_value_in_robust(case):
    assert_passes(case)


def test_the_duplicate_key_files_are_judged_apart():
    assert sorted(name(case) for case in of_kind("y-duplicate-key")) == sorted(jsontestsuite.DUPLICATE_KEY_FILES)


@pytest.mark.parametrize("case", of_kind("n"), ids=name)
def test_n_file_is_refused_with_a_position(case):
    assert_passes(case)


def test_every_i_file_has_a_documented_behaviour():
    assert sorted(p.name for p in FILES if p.name.startswith("i_")) == sorted(jsontestsuite.IMPLEMENTATION_DEFINED)


@pytest.mark.parametrize("case", of_kind("i"), ids=name)
def test_i_file_behaves_as_documented(case):
    assert_passes(case)
