"""Mode and the Context a codec receives: what it may do, its limits, and where to report."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Mapping

from convsvc.model.cancel import CancelToken
from convsvc.model.codes import Code, Severity
from convsvc.model.errors import InvalidInput, LimitExceeded
from convsvc.model.limits import Limits
from convsvc.model.positions import line_column
from convsvc.model.report import Issue, Report


class Mode(enum.Enum):
    FRAGILE = "fragile"  # strict: any repair, coercion or loss refuses the conversion
    ROBUST = "robust"  # forgiving: repair, coerce where safe, and report every change


@dataclasses.dataclass(slots=True)
class Context:
    """Per-conversion state handed to a codec. `source_format` lets an encoder skip work that
    values from that format never need (e.g. JSON-decoded values are already JSON-safe)."""

    mode: Mode = Mode.FRAGILE
    limits: Limits = dataclasses.field(default_factory=Limits)
    report: Report = dataclasses.field(default_factory=Report)
    encoding: str = ""
    options: Mapping[str, str] = dataclasses.field(default_factory=dict)
    source_format: str = ""
    target_format: str = ""  # decoding: where the documents go (a codec may keep what only it can carry)
    target_encoding: str = ""
    schema: object | None = None  # a convsvc.schemas.CompiledSchema for this side, when given
    reader_schema: object | None = None  # Avro, source side: a CompiledSchema to resolve the data to
    schema_id: int | None = None  # the registry id of `schema`, when it was named by id or subject
    schema_by_id: Callable[[int], object] | None = None  # registry id -> CompiledSchema (Confluent framing)
    cancel: CancelToken | None = None  # set by the caller (the server: deadline passed or client cancelled)

    @property
    def robust(self) -> bool:
        return self.mode is Mode.ROBUST

    def checkpoint(self) -> None:
        """Raise Cancelled when the caller has given up; codecs call it between records."""
        if self.cancel is not None:
            self.cancel.check()

    def issue(self, code: Code, message: str, *, path: str = "", data: bytes | None = None,
              offset: int | None = None, severity: Severity | None = None) -> Issue:
        """Build an issue, turning a byte offset into line:column when the payload is given."""
        line = column = None
        if data is not None and offset is not None:
            line, column = line_column(data, offset)
        return Issue(code=code, path=path, message=message, severity=severity, offset=offset,
                     line=line, column=column)

    def note(self, code: Code, message: str, **where) -> None:
        """Record a repair, coercion or loss (FRAGILE refuses them all at the end of the stage)."""
        self.report.add(self.issue(code, message, **where))

    def refuse(self, code: Code, message: str, **where) -> InvalidInput:
        """An InvalidInput to raise: `raise ctx.refuse(...)`."""
        return InvalidInput(self.issue(code, message, **where))

    def over_limit(self, limit: str, message: str, **where) -> LimitExceeded:
        """A LimitExceeded naming the limit and its configured value: `raise ctx.over_limit(...)`."""
        maximum = getattr(self.limits, limit)
        issue = self.issue(Code.LIMIT_EXCEEDED, f"{message} (limit {limit}={maximum})", **where)
        return LimitExceeded(limit, maximum, issue)
