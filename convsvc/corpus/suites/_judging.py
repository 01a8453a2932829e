"""What the judges share: requests, and expected/got as text a person can read and diff."""

from __future__ import annotations

import json
from typing import Any

from convsvc.corpus.model import FAILED, PASSED, Judgement
from convsvc.corpus.targets import Outcome
from convsvc.engine import ConvertRequest, FormatSpec
from convsvc.model import Code, Issue, Mode, Severity

MAX_TEXT = 4000  # characters of expected/got kept in a report


def about_the_input(outcome: Outcome) -> tuple[Issue, ...]:
    """The issues about reading the input: all but the JSON writer's INFO note that an integer past 2^53 is
    written exactly though JavaScript readers would round it (PRECISION_LOST at INFO), which is about the
    output. Judges that hold a decoder to "nothing reported" or to a list of repairs use these."""
    return tuple(issue for issue in outcome.issues
                 if not (issue.code is Code.PRECISION_LOST and issue.level is Severity.INFO))


def request(payload: bytes, source: str | FormatSpec, target: str | FormatSpec,
            mode: Mode = Mode.FRAGILE) -> ConvertRequest:
    return ConvertRequest(source=FormatSpec(source) if isinstance(source, str) else source,
                          target=FormatSpec(target) if isinstance(target, str) else target, payload=payload, mode=mode)


def shorten(text: str) -> str:
    return text if len(text) <= MAX_TEXT else f"{text[:MAX_TEXT]}… ({len(text)} characters)"


def show_bytes(data: bytes) -> str:
    """UTF-8 text as it is; anything else (Avro, Protobuf) as hex, 16 bytes a line."""
    try:
        text = data.decode("utf-8")
        if all(ch.isprintable() or ch in "\n\r\t" for ch in text):
            return shorten(text)
    except UnicodeDecodeError:
        pass
    lines = [" ".join(f"{byte:02x}" for byte in data[start:start + 16]) for start in range(0, len(data), 16)]
    return shorten("hex:\n" + "\n".join(lines)) if lines else "(empty)"


def show_value(value: Any) -> str:
    return shorten(json.dumps(value, ensure_ascii=False, indent=1, default=repr))


def show(outcome: Outcome) -> str:
    """The output, or the refusal: status, kind and every issue (a few)."""
    if outcome.converted:
        return show_bytes(outcome.payload) if outcome.payload else "(empty output)"
    lines = [f"refused: {outcome.status} ({outcome.kind})"]
    lines += [f"  {issue.describe()}" for issue in outcome.issues[:8]]
    if len(outcome.issues) > 8:
        lines.append(f"  … {len(outcome.issues) - 8} more issues")
    return shorten("\n".join(lines))


def verdict(ok: bool, expected: str, got: str, outcome: Outcome | None = None, detail: str = "",
            note: str = "") -> Judgement:
    """PASSED or FAILED; `detail` says what did not hold (kept for failures only)."""
    return Judgement(PASSED if ok else FAILED, expected=expected, got=got,
                     issues=outcome.codes if outcome is not None else (), detail="" if ok else detail, note=note)
