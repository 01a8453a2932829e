"""Runs cases against a target, in parallel where it pays: worker processes for the in-process engine
(CPU-bound Python), threads sharing one channel for a live server (the calls wait on the network)."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import multiprocessing
import time
from collections.abc import Iterable, Sequence
from typing import Protocol

from convsvc.corpus.model import FAILED, SKIPPED, Case, CaseResult, Judgement, Suite, SuiteUnavailable, Where
from convsvc.corpus.suites import discover, judge
from convsvc.corpus.targets import CallFailed, CannotRun, TargetSpec


@dataclasses.dataclass
class Plan:
    """The suites asked for, their cases, and those whose corpus could not be found (and why)."""

    suites: list[Suite]
    cases: list[Case]
    unavailable: dict[str, str]


def plan(suites: Sequence[Suite], where: Where) -> Plan:
    cases, unavailable = [], {}
    for suite in suites:
        try:
            cases += discover(suite, where)
        except SuiteUnavailable as error:
            unavailable[suite.name] = str(error)
    return Plan(list(suites), cases, unavailable)


def judge_case(case: Case, target) -> CaseResult:
    """One case, timed. A case the target cannot run is skipped with the reason; a call that failed for
    a reason outside the case, or a judge that crashed (an unexpected exception in the service), fails."""
    start = time.perf_counter()
    try:
        judgement = judge(case, target)
    except CannotRun as reason:
        judgement = Judgement(SKIPPED, detail=str(reason))
    except CallFailed as error:
        judgement = Judgement(FAILED, got=f"call failed: {error}", detail=f"call failed: {error}")
    except Exception as error:  # noqa: BLE001 - a crash is the case's failure, reported with its type
        judgement = Judgement(FAILED, got=f"{type(error).__name__}: {error}",
                              detail=f"unexpected {type(error).__name__}: {error}")
    return CaseResult(case=case, judgement=judgement, seconds=time.perf_counter() - start)


class Progress(Protocol):
    def start(self, totals: dict[str, int], target: str, jobs: int) -> None: ...

    def advance(self, result: CaseResult) -> None: ...

    def stop(self) -> None: ...


class Silent:
    def start(self, totals: dict[str, int], target: str, jobs: int) -> None:
        pass

    def advance(self, result: CaseResult) -> None:
        pass

    def stop(self) -> None:
        pass


_worker_target = None


def _start_worker(spec: TargetSpec) -> None:
    global _worker_target
    _worker_target = spec.make()


def _judge_batch(cases: list[Case]) -> list[CaseResult]:
    return [judge_case(case, _worker_target) for case in cases]


def _batches(cases: Sequence[Case], jobs: int) -> list[list[Case]]:
    """Small enough that every worker stays busy to the end and progress moves; big enough that a
    batch's trip to a worker process costs little beside its work."""
    size = max(1, min(25, len(cases) // (jobs * 4) or 1))
    return [list(cases[start:start + size]) for start in range(0, len(cases), size)]


def run(cases: Sequence[Case], spec: TargetSpec, jobs: int = 1, progress: Progress | None = None,
        target=None) -> list[CaseResult]:
    """Judge every case; results in the order of `cases`. `target` (optional) is an already made
    target for the sequential and threaded ways (e.g. one whose readiness was checked)."""
    progress = progress or Silent()
    progress.start(_totals(cases), spec.name, jobs)
    results: dict[str, CaseResult] = {}
    try:
        if jobs <= 1 or len(cases) <= 1:
            target = target or spec.make()
            for case in cases:
                results[case.id] = judge_case(case, target)
                progress.advance(results[case.id])
        else:
            for result in _parallel(cases, spec, jobs, target):
                results[result.case.id] = result
                progress.advance(result)
    finally:
        progress.stop()
    return [results[case.id] for case in cases]


def _parallel(cases: Sequence[Case], spec: TargetSpec, jobs: int, target) -> Iterable[CaseResult]:
    if spec.address:  # remote: the work is the server's; threads share one channel
        shared = target or spec.make()
        executor = concurrent.futures.ThreadPoolExecutor(jobs, thread_name_prefix="corpus")
        futures = [executor.submit(lambda batch: [judge_case(case, shared) for case in batch], batch)
                   for batch in _batches(cases, jobs)]
    else:  # in process: the engine is CPU-bound Python, so processes (spawned: no inherited threads or locks)
        executor = concurrent.futures.ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"),
                                                          initializer=_start_worker, initargs=(spec,))
        futures = [executor.submit(_judge_batch, batch) for batch in _batches(cases, jobs)]
    with executor:
        for future in concurrent.futures.as_completed(futures):
            yield from future.result()


def _totals(cases: Iterable[Case]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for case in cases:
        totals[case.suite] = totals.get(case.suite, 0) + 1
    return totals
