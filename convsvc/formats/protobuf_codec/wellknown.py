"""Text and canonical forms of Timestamp, Duration and FieldMask (exact to the nanosecond).

ProtoJSON's forms (RFC 3339 with 0/3/6/9 fractional digits, "1.500s", "fooBar,baz") are the model
here; the canonical forms follow them where the canonical model has no typed value.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

TIMESTAMP_MIN_SECONDS = -62135596800  # 0001-01-01T00:00:00Z
TIMESTAMP_MAX_SECONDS = 253402300799  # 9999-12-31T23:59:59Z
DURATION_MAX_SECONDS = 315576000000  # 10,000 years
NANOS = 1_000_000_000
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))\Z")
_DURATION = re.compile(r"(-)?(\d{1,12})(?:\.(\d{1,9}))?s\Z")


class OutOfRange(ValueError):
    """The value is valid text or a number but outside the well-known type's range."""


# -- Timestamp ------------------------------------------------------------------------------------

def check_timestamp(seconds: int, nanos: int) -> None:
    if not TIMESTAMP_MIN_SECONDS <= seconds <= TIMESTAMP_MAX_SECONDS:
        raise OutOfRange(f"Timestamp seconds {seconds} outside 0001-01-01T00:00:00Z..9999-12-31T23:59:59Z")
    if not 0 <= nanos < NANOS:
        raise OutOfRange(f"Timestamp nanos {nanos} outside 0..999999999")


def timestamp_to_canonical(seconds: int, nanos: int) -> dt.datetime | str:
    """A UTC datetime when exact (whole microseconds), else RFC 3339 text with 9 fractional digits."""
    check_timestamp(seconds, nanos)
    if nanos % 1000 == 0:
        return EPOCH + dt.timedelta(seconds=seconds, microseconds=nanos // 1000)
    base = (EPOCH + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{_four_digit_year(base)}.{nanos:09d}Z"


def _four_digit_year(text: str) -> str:
    year, rest = text.split("-", 1)  # strftime may print years before 1000 without padding
    return f"{int(year):04d}-{rest}"


def parse_timestamp_text(text: str) -> tuple[int, int] | None:
    """(seconds, nanos) of RFC 3339 text with an offset and up to 9 fractional digits; None when
    the text is not of that form (the caller then applies conform()'s rules). Raises OutOfRange."""
    match = _RFC3339.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.group(1, 2, 3, 4, 5, 6))
    try:
        days = dt.date(year, month, day).toordinal() - _EPOCH_ORDINAL
        dt.time(hour, minute, second)
    except ValueError:
        return None
    fraction = match.group(7) or ""
    nanos = int(fraction.ljust(9, "0")) if fraction else 0
    offset = 0
    if match.group(9):
        offset = (int(match.group(10)) * 60 + int(match.group(11))) * 60
        if match.group(9) == "-":
            offset = -offset
    seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset
    check_timestamp(seconds, nanos)
    return seconds, nanos


def datetime_to_timestamp(moment: dt.datetime) -> tuple[int, int]:
    """(seconds, nanos) of an aware datetime. Raises OutOfRange."""
    delta = moment - EPOCH
    seconds = delta.days * 86400 + delta.seconds
    nanos = delta.microseconds * 1000
    check_timestamp(seconds, nanos)
    return seconds, nanos


# -- Duration -------------------------------------------------------------------------------------

def check_duration(seconds: int, nanos: int) -> None:
    if not -DURATION_MAX_SECONDS <= seconds <= DURATION_MAX_SECONDS:
        raise OutOfRange(f"Duration seconds {seconds} outside ±{DURATION_MAX_SECONDS} (10,000 years)")
    if not -NANOS < nanos < NANOS:
        raise OutOfRange(f"Duration nanos {nanos} outside -999999999..999999999")
    if (seconds > 0 and nanos < 0) or (seconds < 0 and nanos > 0):
        raise OutOfRange(f"Duration seconds {seconds} and nanos {nanos} have different signs")


def duration_text(seconds: int, nanos: int) -> str:
    """ProtoJSON's text: "1.500s", "-0.000000001s", "3s" (0, 3, 6 or 9 fractional digits)."""
    check_duration(seconds, nanos)
    sign = "-" if seconds < 0 or nanos < 0 else ""
    seconds, nanos = abs(seconds), abs(nanos)
    if nanos == 0:
        return f"{sign}{seconds}s"
    if nanos % 1_000_000 == 0:
        return f"{sign}{seconds}.{nanos // 1_000_000:03d}s"
    if nanos % 1000 == 0:
        return f"{sign}{seconds}.{nanos // 1000:06d}s"
    return f"{sign}{seconds}.{nanos:09d}s"


def parse_duration_text(text: str) -> tuple[int, int] | None:
    """(seconds, nanos) of "1.5s"-style text, exactly; None when not of that form. Raises OutOfRange."""
    match = _DURATION.match(text)
    if match is None:
        return None
    seconds = int(match.group(2))
    nanos = int((match.group(3) or "").ljust(9, "0") or 0)
    if match.group(1):
        seconds, nanos = -seconds, -nanos
    check_duration(seconds, nanos)
    return seconds, nanos


def seconds_to_duration(number: int | float | Decimal) -> tuple[tuple[int, int], bool]:
    """((seconds, nanos), exact) of a number of seconds; digits past nanoseconds are rounded."""
    try:
        exact = Decimal(number) if not isinstance(number, float) else Decimal(repr(number))
    except (InvalidOperation, ValueError):
        raise OutOfRange(f"{number!r} is not a finite number of seconds") from None
    if not exact.is_finite():
        raise OutOfRange(f"{number!r} is not a finite number of seconds")
    total = exact.scaleb(9).to_integral_value()
    sign = -1 if total < 0 else 1
    seconds, nanos = divmod(abs(int(total)), NANOS)
    result = (sign * seconds, sign * nanos)
    check_duration(*result)
    return result, total == exact.scaleb(9)


def timedelta_to_duration(delta: dt.timedelta) -> tuple[int, int]:
    micros = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    sign = -1 if micros < 0 else 1
    seconds, rest = divmod(abs(micros), 1_000_000)
    result = (sign * seconds, sign * rest * 1000)
    check_duration(*result)
    return result


# -- FieldMask ------------------------------------------------------------------------------------

def field_mask_to_canonical(paths: list[str]) -> str | list[str]:
    """ProtoJSON's comma-joined lowerCamel text when every path converts both ways, else the paths."""
    camel = []
    for path in paths:
        converted = _snake_to_camel(path)
        if converted is None or _camel_to_snake(converted) != path:
            return list(paths)
        camel.append(converted)
    return ",".join(camel)


def field_mask_paths(text: str) -> list[str] | None:
    """The snake_case paths of ProtoJSON FieldMask text; None when a path is not lowerCamel."""
    if not text:
        return []
    paths = []
    for part in text.split(","):
        snake = _camel_to_snake(part)
        if snake is None:
            return None
        paths.append(snake)
    return paths


def _snake_to_camel(path: str) -> str | None:
    out = []
    after_underscore = False
    for char in path:
        if char.isupper() or char == ",":
            return None
        if after_underscore:
            if not char.islower():
                return None
            out.append(char.upper())
            after_underscore = False
        elif char == "_":
            after_underscore = True
        else:
            out.append(char)
    return None if after_underscore else "".join(out)


def _camel_to_snake(path: str) -> str | None:
    out = []
    for char in path:
        if char == "_":
            return None
        if char.isupper():
            out.append("_" + char.lower())
        else:
            out.append(char)
    return "".join(out)
