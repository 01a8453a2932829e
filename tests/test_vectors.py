"""corpus/vectors/: every shared vector through the live server — the same files the clients in other
languages run. Outputs must match byte for byte; refusals by status, reason and first field.

Each vector is judged by the corpus suite's judge (convsvc/corpus/suites/vectors.py), the one `convsvc
corpus run --target` uses."""

from __future__ import annotations

import json

import pytest

from convsvc.corpus.suites import cases, judge
from convsvc.corpus.targets import RemoteTarget
from tests.conftest import ROOT

VECTORS = ROOT / "corpus" / "vectors"
MANIFEST = json.loads((VECTORS / "manifest.json").read_text(encoding="utf-8"))
CASES = cases("vectors")


def test_the_vectors_cover_successes_and_refusals():
    assert sum("output" in v for v in MANIFEST) >= 12 and sum("error" in v for v in MANIFEST) >= 8
    assert [case.id for case in CASES] == [f"vectors/{v['id']}" for v in MANIFEST]


@pytest.fixture(scope="module")
def target(server):
    remote = RemoteTarget(server.address)
    assert remote.wait_ready(10)
    yield remote
    remote.close()


@pytest.mark.parametrize("case", CASES, ids=[case.id.split("/", 1)[1] for case in CASES])
def test_vector(case, target):
    judgement = judge(case, target)
    assert judgement.passed, judgement.describe()
