"""What the corpus runner handles: suites, cases, judgements and results (plain, picklable data)."""

from __future__ import annotations

import dataclasses
import os
import pathlib
from collections.abc import Mapping
from typing import Any

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
VERDICTS = (PASSED, FAILED, SKIPPED)
FORMATS = ("json", "yaml", "avro", "protobuf", "xml")  # the rows and columns of the format-pair matrix

ROOT = pathlib.Path(__file__).resolve().parents[2]  # the project checkout (corpus/ lives here)


class SuiteUnavailable(Exception):
    """A suite's cases cannot be found (an external corpus is missing): the message says where it looked."""


@dataclasses.dataclass(frozen=True, slots=True)
class Where:
    """Where suites find their cases: the external corpora and the project's own corpus/ folder."""

    corpora: pathlib.Path
    corpus: pathlib.Path = ROOT / "corpus"

    @classmethod
    def default(cls, corpora: str | os.PathLike | None = None) -> "Where":
        """`corpora` if given, else $CONVSVC_CORPORA, else the shared/corpora folder beside the project."""
        chosen = corpora or os.environ.get("CONVSVC_CORPORA")
        return cls(corpora=pathlib.Path(chosen) if chosen else ROOT.parent / "shared" / "corpora")


@dataclasses.dataclass(frozen=True, slots=True)
class Suite:
    """A named collection of cases; `module` names the suite module that discovers and judges them
    (every user folder suite shares the `folder` module; `root` is then the folder)."""

    name: str
    module: str
    description: str
    root: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Case:
    """One case: `id` is `suite/name` (plus `:aspect` when one input is judged several ways), unique in
    a run; `pair` the (source, target) formats it converts, None when it converts nothing; `data` what
    the suite's judge needs (plain values and paths as text, so a case can go to a worker process)."""

    id: str
    suite: str
    module: str
    pair: tuple[str, str] | None
    data: Mapping[str, Any]
    title: str = ""

    @property
    def pair_name(self) -> str | None:
        return f"{self.pair[0]}->{self.pair[1]}" if self.pair else None


@dataclasses.dataclass(frozen=True, slots=True)
class Judgement:
    """A suite's verdict on one case: what was expected and what the target gave, as text a person
    reads (and the HTML report diffs), the issue codes the target reported, and why it failed or was
    skipped."""

    verdict: str
    expected: str = ""
    got: str = ""
    issues: tuple[str, ...] = ()
    detail: str = ""
    note: str = ""  # e.g. why a case is a known failure

    @property
    def passed(self) -> bool:
        return self.verdict == PASSED

    def describe(self) -> str:
        """Everything about the verdict, for a person (and a failing test's message)."""
        lines = [f"{self.verdict}: {self.detail}" if self.detail else self.verdict]
        if self.note:
            lines.append(f"note: {self.note}")
        if self.issues:
            lines.append(f"issues: {' '.join(self.issues)}")
        lines += ["expected:", *(f"  {line}" for line in self.expected.splitlines()),
                  "got:", *(f"  {line}" for line in self.got.splitlines())]
        return "\n".join(lines)


def skipped(reason: str, expected: str = "") -> Judgement:
    return Judgement(SKIPPED, expected=expected, detail=reason)


@dataclasses.dataclass(frozen=True, slots=True)
class CaseResult:
    """A judged case, as the reports show it."""

    case: Case
    judgement: Judgement
    seconds: float

    @property
    def verdict(self) -> str:
        return self.judgement.verdict

    def to_dict(self) -> dict:
        """The case in the JSON report (docs/corpus.md lists the fields)."""
        judgement = self.judgement
        return {"id": self.case.id, "suite": self.case.suite, "pair": self.case.pair_name,
                "verdict": judgement.verdict, "expected": judgement.expected, "got": judgement.got,
                "issues": list(judgement.issues), "detail": judgement.detail, "note": judgement.note,
                "seconds": round(self.seconds, 6)}
