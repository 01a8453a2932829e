"""The RegistryError family: each error carries Confluent's error_code, a reason name and its facts.

The code numbers and messages follow Confluent Schema Registry's REST API so that its clients
recognise them; the gRPC server maps the same errors to status codes with google.rpc details.
"""

from __future__ import annotations

from collections.abc import Sequence

from convsvc.registry.model import Reason


class RegistryError(Exception):
    """Base class. `error_code` is Confluent's (40401, 42201, ...); `http_status` its first digits."""

    error_code = 50001
    reason = "STORE_ERROR"

    def __init__(self, message: str, **facts: object) -> None:
        super().__init__(message)
        self.message = message
        self.facts = {key: value for key, value in facts.items() if value is not None}

    @property
    def http_status(self) -> int:
        code = str(self.error_code)
        return int(code[:3]) if len(code) > 3 else int(code)


class SubjectNotFound(RegistryError):
    error_code, reason = 40401, "SUBJECT_NOT_FOUND"

    def __init__(self, subject: str) -> None:
        super().__init__(f"Subject '{subject}' not found.", subject=subject)


class VersionNotFound(RegistryError):
    error_code, reason = 40402, "VERSION_NOT_FOUND"

    def __init__(self, subject: str, version: object) -> None:
        super().__init__(f"Version {version} not found.", subject=subject, version=version)


class SchemaNotFound(RegistryError):
    error_code, reason = 40403, "SCHEMA_NOT_FOUND"

    def __init__(self, message: str = "Schema not found", **facts: object) -> None:
        super().__init__(message, **facts)


class SubjectSoftDeleted(RegistryError):
    error_code, reason = 40404, "SUBJECT_SOFT_DELETED"

    def __init__(self, subject: str) -> None:
        super().__init__(f"Subject '{subject}' was soft deleted.Set permanent=true to delete permanently",
                         subject=subject)


class SubjectNotSoftDeleted(RegistryError):
    error_code, reason = 40405, "SUBJECT_NOT_SOFT_DELETED"

    def __init__(self, subject: str) -> None:
        super().__init__(f"Subject '{subject}' was not deleted first before being permanently deleted",
                         subject=subject)


class VersionSoftDeleted(RegistryError):
    error_code, reason = 40406, "VERSION_SOFT_DELETED"

    def __init__(self, subject: str, version: int) -> None:
        super().__init__(f"Subject '{subject}' Version {version} was soft deleted.Set permanent=true to delete "
                         "permanently", subject=subject, version=version)


class VersionNotSoftDeleted(RegistryError):
    error_code, reason = 40407, "VERSION_NOT_SOFT_DELETED"

    def __init__(self, subject: str, version: int) -> None:
        super().__init__(f"Subject '{subject}' Version {version} was not deleted first before being permanently "
                         "deleted", subject=subject, version=version)


class CompatibilityNotConfigured(RegistryError):
    error_code, reason = 40408, "SUBJECT_COMPATIBILITY_NOT_CONFIGURED"

    def __init__(self, subject: str) -> None:
        super().__init__(f"Subject '{subject}' does not have subject-level compatibility configured",
                         subject=subject)


class ModeNotConfigured(RegistryError):
    error_code, reason = 40409, "SUBJECT_MODE_NOT_CONFIGURED"

    def __init__(self, subject: str) -> None:
        super().__init__(f"Subject '{subject}' does not have subject-level mode configured", subject=subject)


class IncompatibleSchema(RegistryError):
    """The schema breaks the subject's compatibility level; `reasons` say where and why."""

    error_code, reason = 409, "INCOMPATIBLE_SCHEMA"

    def __init__(self, subject: str, level: str, reasons: Sequence[Reason]) -> None:
        self.reasons = tuple(reasons)
        first = self.reasons[0].describe() if self.reasons else "incompatible"
        super().__init__(f"Schema being registered is incompatible with an earlier schema for subject "
                         f"\"{subject}\" ({level}): {first}", subject=subject, level=level)


class InvalidSchema(RegistryError):
    """The schema text does not parse or is not a valid schema of its type."""

    error_code, reason = 42201, "INVALID_SCHEMA"

    def __init__(self, message: str, *, path: str = "", line: int | None = None, column: int | None = None,
                 problems: Sequence[tuple[str, str]] = ()) -> None:
        self.path = path
        self.line = line
        self.column = column
        self.problems = tuple(problems) or ((path, message),)  # (path, message) pairs, for BadRequest
        super().__init__(f"Invalid schema: {message}", path=path or None, line=line, column=column)


class InvalidVersion(RegistryError):
    error_code, reason = 42202, "INVALID_VERSION"

    def __init__(self, version: object) -> None:
        super().__init__(f"The specified version '{version}' is not a valid version id. Allowed values are "
                         "between [1, 2^31-1] and the string \"latest\"", version=version)


class InvalidCompatibilityLevel(RegistryError):
    error_code, reason = 42203, "INVALID_COMPATIBILITY_LEVEL"

    def __init__(self, level: object) -> None:
        super().__init__(f"Invalid compatibility level. Valid values are none, backward, forward, full, "
                         f"backward_transitive, forward_transitive, and full_transitive (got {level!r})",
                         level=level)


class InvalidMode(RegistryError):
    error_code, reason = 42204, "INVALID_MODE"

    def __init__(self, mode: object) -> None:
        super().__init__(f"Invalid mode. Valid values are READWRITE, READONLY and IMPORT (got {mode!r})", mode=mode)


class OperationNotPermitted(RegistryError):
    """Refused by the registry's mode (READONLY, IMPORT rules) rather than by the request itself."""

    error_code, reason = 42205, "OPERATION_NOT_PERMITTED"


class ReferenceExists(RegistryError):
    error_code, reason = 42206, "REFERENCE_EXISTS"

    def __init__(self, subject: str, version: int) -> None:
        super().__init__(f"One or more references exist to the schema {{subject={subject},version={version}}}.",
                         subject=subject, version=version)


class IdConflict(RegistryError):
    error_code, reason = 42207, "ID_CONFLICT"

    def __init__(self, message: str, **facts: object) -> None:
        super().__init__(message, **facts)


class InvalidSubject(RegistryError):
    error_code, reason = 42208, "INVALID_SUBJECT"

    def __init__(self, subject: str) -> None:
        super().__init__(f"The specified subject '{subject}' is not valid.", subject=subject)


class InvalidRequest(RegistryError):
    """A request field is malformed (Confluent answers these 422 with error_code 422)."""

    error_code, reason = 422, "INVALID_REQUEST"

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message, field=field or None)
        self.field = field


class StoreError(RegistryError):
    error_code, reason = 50001, "STORE_ERROR"
