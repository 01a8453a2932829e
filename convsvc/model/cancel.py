"""Cancellation: a token the caller of a conversion sets, checked by the engine and codecs between records."""

from __future__ import annotations

import time


class Cancelled(Exception):
    """The caller gave up (its deadline passed or it cancelled): the conversion stopped midway.

    Not a ConversionError: nothing is wrong with the payload, and there is nobody left to tell.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason  # "deadline" or "cancelled"
        super().__init__(f"conversion stopped: {reason}")


class CancelToken:
    """Set from one thread (the server's event loop), checked from another (a conversion's worker).

    The deadline is checked on every `check()` too, so a conversion running on the event loop
    itself stops in time even though nothing else can run to cancel it.
    """

    __slots__ = ("deadline", "reason")

    def __init__(self, deadline: float | None = None) -> None:
        self.deadline = deadline  # time.monotonic() value, or None for no deadline
        self.reason: str | None = None

    def cancel(self, reason: str = "cancelled") -> None:
        if self.reason is None:
            self.reason = reason

    @property
    def cancelled(self) -> bool:
        return self.reason is not None or (self.deadline is not None and time.monotonic() >= self.deadline)

    def check(self) -> None:
        """Raise Cancelled when the caller has given up."""
        if self.reason is not None:
            raise Cancelled(self.reason)
        if self.deadline is not None and time.monotonic() >= self.deadline:
            self.reason = "deadline"
            raise Cancelled("deadline")
