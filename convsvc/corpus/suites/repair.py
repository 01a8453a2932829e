"""corpus/repair/: broken JSON as people and programs write it, repaired in ROBUST mode (JSON to JSON).

NAME.in converts to the value of NAME.expected.json (compared as text: 1, 1.0 and true differ; key
order counts); when NAME.codes exists, the repairs reported are exactly those codes, in order; every
repair is placed: a byte offset inside the input, the line:column of that offset, a JSON Pointer. (The
JSON writer's INFO note on integers past 2^53 is about the output, not a repair: left aside.)
"""

from __future__ import annotations

import json
import pathlib

from convsvc.corpus.model import Case, Judgement, Suite, SuiteUnavailable, Where
from convsvc.corpus.suites._judging import about_the_input, request, show, verdict
from convsvc.model import Mode
from convsvc.model.positions import line_column

NAME = "repair"
DESCRIPTION = "the JSON repair corpus: ROBUST JSON to JSON, expected values and issue codes"
ORDER = 60


def discover(suite: Suite, where: Where) -> list[Case]:
    folder = where.corpus / "repair"
    names = sorted(path.name[: -len(".in")] for path in folder.glob("*.in"))
    if not names:
        raise SuiteUnavailable(f"no cases in {folder}")
    module = __name__.rsplit(".", 1)[1]
    return [Case(id=f"{NAME}/{name}", suite=suite.name, module=module, pair=("json", "json"),
                 data={"folder": str(folder), "name": name}) for name in names]


def canonical(value: object) -> str:
    """Text that tells 1, 1.0 and true apart (== does not) and keeps key order."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def judge(case: Case, target) -> Judgement:
    folder = pathlib.Path(case.data["folder"])
    name = case.data["name"]
    data = (folder / f"{name}.in").read_bytes()
    expected = json.loads((folder / f"{name}.expected.json").read_text(encoding="utf-8"))
    codes_file = folder / f"{name}.codes"
    codes = codes_file.read_text().split() if codes_file.exists() else None
    want = canonical(expected) + (f"\nissues: {' '.join(codes)}" if codes is not None else "")
    outcome = target.convert(request(data, "json", "json", Mode.ROBUST))
    if not outcome.converted:
        return verdict(False, want, show(outcome), outcome, detail="refused")
    value = json.loads(outcome.payload)
    repairs = about_the_input(outcome)
    got = canonical(value) + f"\nissues: {' '.join(issue.code.name for issue in repairs)}"
    faults = []
    if canonical(value) != canonical(expected):
        faults.append("the value differs")
    if codes is not None and [issue.code.name for issue in repairs] != codes:
        faults.append("the issue codes differ")
    for issue in repairs:  # every issue is placed: offset, line:column (consistent), and a pointer
        if issue.offset is None or not 0 <= issue.offset <= len(data):
            faults.append(f"{issue.code.name}: offset {issue.offset} outside the input")
        elif (issue.line, issue.column) != line_column(data, issue.offset):
            faults.append(f"{issue.code.name}: line:column {issue.line}:{issue.column} is not offset {issue.offset}")
        if not (issue.path == "" or issue.path.startswith("/")):
            faults.append(f"{issue.code.name}: path {issue.path!r} is not a JSON Pointer")
    return verdict(not faults, want, got, outcome, detail="; ".join(faults))

