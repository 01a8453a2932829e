"""Issues and the Report that collects them during one conversion."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator

from convsvc.model.codes import Code, Severity


@dataclasses.dataclass(frozen=True, slots=True)
class Issue:
    """One thing the service noticed: where (JSON Pointer, byte offset, line:column) and what."""

    code: Code
    path: str = ""  # JSON Pointer into the value; for INVALID_REQUEST, the request field
    message: str = ""
    severity: Severity | None = None  # None: the code's default
    offset: int | None = None  # byte offset in the input payload
    line: int | None = None  # 1-based
    column: int | None = None  # 1-based, in characters

    @property
    def level(self) -> Severity:
        return self.severity if self.severity is not None else self.code.severity

    def where(self) -> str:
        """`line 3, column 7` where known, else the byte offset, else empty."""
        if self.line is not None:
            return f"line {self.line}, column {self.column}"
        if self.offset is not None:
            return f"byte {self.offset}"
        return ""

    def describe(self) -> str:
        """One line for a person: `DUPLICATE_KEY at /a (line 1, column 9): ...`."""
        text = f"{self.code.name} at {self.path or '(root)'}"
        place = self.where()
        if place:
            text += f" ({place})"
        return f"{text}: {self.message}" if self.message else text

    def to_dict(self) -> dict:
        out: dict = {"code": self.code.name, "severity": self.level.name, "path": self.path, "message": self.message}
        for key in ("offset", "line", "column"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


class Report:
    """The issues of one conversion, in the order they were found. With `max_changes`, one change
    (an issue at WARNING: a repair, coercion or loss) more than that ends the conversion: in ROBUST
    mode with a LIMIT_EXCEEDED issue ahead of the changes (`cap_is_limit`), in FRAGILE with the
    changes themselves, each already a reason to refuse. Either way a report stays bounded."""

    __slots__ = ("issues", "changes", "max_changes", "cap_is_limit")

    def __init__(self, issues: Iterable[Issue] = (), *, max_changes: int | None = None,
                 cap_is_limit: bool = True) -> None:
        self.issues: list[Issue] = []
        self.changes = 0
        self.max_changes = max_changes
        self.cap_is_limit = cap_is_limit
        self.extend(issues)

    def add(self, issue: Issue) -> None:
        self.issues.append(issue)
        if issue.level is Severity.WARNING:
            self.changes += 1
            if self.max_changes is not None and self.changes > self.max_changes:
                raise self.over_cap(issue)

    def extend(self, issues: Iterable[Issue]) -> None:
        for issue in issues:
            self.add(issue)

    def at_least(self, severity: Severity) -> list[Issue]:
        return [issue for issue in self.issues if issue.level >= severity]

    def over_cap(self, last: Issue) -> Exception:
        """The TooManyChanges to raise when `last` is one change more than max_changes."""
        from convsvc.model.errors import TooManyChanges  # errors import this module

        changes = self.at_least(Severity.WARNING)
        if not self.cap_is_limit:
            return TooManyChanges(changes or [last])
        over = Issue(code=Code.LIMIT_EXCEEDED, path=last.path, offset=last.offset, line=last.line,
                     column=last.column, message=f"more than {self.max_changes} changes (repairs, coercions, "
                     f"losses); the last is {last.code.name} (limit max_changes={self.max_changes})")
        return TooManyChanges([over, *changes], self.max_changes)

    def __iter__(self) -> Iterator[Issue]:
        return iter(self.issues)

    def __len__(self) -> int:
        return len(self.issues)

    def __repr__(self) -> str:
        return f"Report({self.issues!r})"
