"""The judges and the runner themselves: a target that gets everything wrong fails every case of every
suite; cases a target cannot run are skipped and counted; a crash is a failure; parallel runs agree."""

from __future__ import annotations

import pytest

from convsvc.corpus.model import FAILED, PASSED, SKIPPED, Where
from convsvc.corpus.runner import judge_case, plan, run
from convsvc.corpus.suites import builtin_suites, judge
from convsvc.corpus.targets import CannotRun, Compatibility, InProcessTarget, Outcome, TargetSpec
from convsvc.model import Code, Issue

WHERE = Where.default()


class Contrary:
    """Gives the opposite of the engine: refuses what converts, converts what is refused; calls
    compatible what is not and the other way round."""

    name = "contrary"

    def __init__(self) -> None:
        self._engine = InProcessTarget()

    def convert(self, request):
        outcome = self._engine.convert(request)
        if outcome.converted:
            return Outcome(payload=None, issues=(Issue(Code.SYNTAX_ERROR, "/nowhere", "made up"),),
                           status="INVALID_ARGUMENT", kind="InvalidInput", reason="SYNTAX_ERROR", fields=("/nowhere",))
        return Outcome(payload=b'{"made": "up"}\n')

    def check_compatibility(self, schema_type, versions, new, level):
        answer = self._engine.check_compatibility(schema_type, versions, new, level)
        return Compatibility(reasons=() if answer.reasons else (("TYPE_MISMATCH", "/made/up", 1),))


@pytest.mark.parametrize("suite", builtin_suites(), ids=lambda suite: suite.name)
def test_a_target_answering_the_opposite_fails_every_case_the_engine_passes(suite):
    work = plan([suite], WHERE)
    if work.unavailable:
        pytest.skip(work.unavailable[suite.name])
    engine = run(work.cases, TargetSpec())
    contrary = run(work.cases, TargetSpec(), target=Contrary())
    engine_passed = {result.case.id for result in engine if result.verdict == PASSED}
    assert engine_passed
    assert not [result.case.id for result in contrary if result.case.id in engine_passed and result.verdict != FAILED]
    # what the opposite gets right is only what the engine gets wrong (e.g. an error case it accepts)
    assert {result.case.id for result in contrary if result.verdict == PASSED} <= {
        result.case.id for result in engine if result.verdict == FAILED}


class Unable:
    name = "unable"

    def convert(self, request):
        raise CannotRun("this target converts nothing")

    def check_compatibility(self, schema_type, versions, new, level):
        raise CannotRun("this target has no registry")


def test_cases_a_target_cannot_run_are_skipped_with_the_reason_and_counted():
    work = plan([suite for suite in builtin_suites() if suite.name in ("vectors", "registry-compat")], WHERE)
    results = run(work.cases, TargetSpec(), target=Unable())
    assert len(results) == len(work.cases)
    assert {result.verdict for result in results} == {SKIPPED}
    assert {result.judgement.detail for result in results} == {"this target converts nothing",
                                                               "this target has no registry"}


class Crashing:
    name = "crashing"

    def convert(self, request):
        raise ValueError("boom")


def test_a_crash_while_judging_is_the_case_failure_with_its_type():
    [case] = [case for case in plan(builtin_suites()[2:3], WHERE).cases if case.id == "vectors/json-pretty"]
    result = judge_case(case, Crashing())
    assert (result.verdict, result.judgement.detail) == (FAILED, "unexpected ValueError: boom")


def test_worker_processes_give_the_same_verdicts_in_the_same_order():
    work = plan([suite for suite in builtin_suites() if suite.name in ("vectors", "xpath-json", "repair")], WHERE)
    alone = run(work.cases, TargetSpec(), jobs=1)
    parallel = run(work.cases, TargetSpec(), jobs=2)
    assert [result.case.id for result in parallel] == [case.id for case in work.cases]
    assert [r.judgement for r in parallel] == [r.judgement for r in alone]


def test_every_suite_judges_through_the_one_judge_function():
    """The pytest parametrisations and the runner share `suites.judge`: a case judged either way agrees."""
    target = InProcessTarget()
    for suite in builtin_suites():
        work = plan([suite], WHERE)
        for case in work.cases[:5]:
            assert judge(case, target) == judge_case(case, target).judgement
