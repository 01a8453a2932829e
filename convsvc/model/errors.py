"""The one ConversionError family: each error carries the issues that explain it."""

from __future__ import annotations

from collections.abc import Sequence

from convsvc.model.codes import Code
from convsvc.model.report import Issue


class ConversionError(Exception):
    """A conversion was refused. `issues` lists every violation found, first the one that stopped it."""

    def __init__(self, issues: Sequence[Issue] | Issue) -> None:
        self.issues: tuple[Issue, ...] = (issues,) if isinstance(issues, Issue) else tuple(issues)
        if not self.issues:
            raise ValueError("a ConversionError needs at least one issue")
        first = self.issues[0].describe()
        more = len(self.issues) - 1
        super().__init__(first if not more else f"{first} (and {more} more)")

    @property
    def code(self) -> Code:
        return self.issues[0].code


class InvalidInput(ConversionError):
    """The payload cannot be converted faithfully under the requested mode (INVALID_ARGUMENT)."""


class TooManyChanges(InvalidInput):
    """More changes (repairs, coercions, losses) than the conversion accepts (Limits.max_changes or the
    request's own cap): never retried another way, e.g. by the repairer after a strict parse. In ROBUST
    mode `limit`/`maximum` name the cap; in FRAGILE the changes themselves are the reasons (None)."""

    def __init__(self, issues: Sequence[Issue] | Issue, maximum: int | None = None) -> None:
        self.limit = "max_changes" if maximum is not None else None
        self.maximum = maximum
        super().__init__(issues)


class InvalidRequest(ConversionError):
    """The request names an unknown format, encoding or option (INVALID_ARGUMENT)."""


class LimitExceeded(ConversionError):
    """A configured limit was exceeded (RESOURCE_EXHAUSTED); `limit` and `maximum` name it."""

    def __init__(self, limit: str, maximum: int, issue: Issue) -> None:
        self.limit = limit
        self.maximum = maximum
        super().__init__(issue)


class NotFound(ConversionError):
    """A schema the request names does not exist (NOT_FOUND)."""


class Unimplemented(ConversionError):
    """The request asks for something not built yet (UNIMPLEMENTED)."""
