"""The canonical model: issue codes, reports, errors, limits and the per-conversion context.

Canonical values are plain Python data (None, bool, int of any size, float, Decimal, str, bytes,
list, dict with str keys; datetime/date/time/UUID for logical types) so C-backed codecs stay on the
hot path; see docs/architecture.md.
"""

from convsvc.model.cancel import Cancelled, CancelToken
from convsvc.model.codes import Code, Severity
from convsvc.model.context import Context, Mode
from convsvc.model.errors import (
    ConversionError, InvalidInput, InvalidRequest, LimitExceeded, NotFound, TooManyChanges, Unimplemented,
)
from convsvc.model.limits import Limits
from convsvc.model.report import Issue, Report

__all__ = [
    "Cancelled", "CancelToken", "Code", "Context", "ConversionError", "InvalidInput", "InvalidRequest", "Issue",
    "LimitExceeded", "Limits", "Mode", "NotFound", "Report", "Severity", "TooManyChanges", "Unimplemented",
]
