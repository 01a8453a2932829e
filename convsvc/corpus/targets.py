"""Where cases run: the in-process engine, or a live server over gRPC. Both answer in the same terms.

A conversion gives an `Outcome`: the output bytes and report, or the refusal as a client sees it (gRPC
status, `ErrorInfo` reason, `BadRequest` fields, the structured issues). In process the refusal is
packed by the server's own `rich_status`, so the two targets cannot drift apart. A compatibility check
registers the old versions under a fresh subject, sets the level and asks the registry's check.
"""

from __future__ import annotations

import dataclasses
import tempfile
import threading
import uuid
from collections.abc import Sequence
from typing import Protocol

from convsvc.engine import ConvertRequest, Engine, FormatSpec
from convsvc.model import (
    Code, ConversionError, InvalidInput, InvalidRequest, Issue, LimitExceeded, NotFound, Unimplemented,
)

# The refusal kinds (ConversionError's branches), most specific first: a subclass (TooManyChanges is an
# InvalidInput) is judged as its branch.
_KINDS = (Unimplemented, NotFound, InvalidRequest, LimitExceeded, InvalidInput)
_REQUEST_CODES = {Code.INVALID_REQUEST, Code.INVALID_SCHEMA}


class CannotRun(Exception):
    """This target cannot run the case (the message says why): the case is skipped, and counted."""


class CallFailed(Exception):
    """The server refused a call for a reason that is not about the case (auth, rate limit, internal
    error, unreachable): the case fails with this message."""


@dataclasses.dataclass(frozen=True, slots=True)
class Outcome:
    """A conversion as a client sees it. Converted: `payload` and the report's `issues`. Refused:
    payload None, the refusal's `issues`, its gRPC `status`, `kind` (the ConversionError branch:
    InvalidInput, InvalidRequest, LimitExceeded, NotFound or Unimplemented), the ErrorInfo `reason`
    and the BadRequest `fields`."""

    payload: bytes | None
    issues: tuple[Issue, ...] = ()
    status: str = "OK"
    kind: str = ""
    reason: str = ""
    fields: tuple[str, ...] = ()

    @property
    def converted(self) -> bool:
        return self.payload is not None

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(issue.code.name for issue in self.issues)

    @property
    def first(self) -> Issue | None:
        return self.issues[0] if self.issues else None


@dataclasses.dataclass(frozen=True, slots=True)
class Compatibility:
    """A compatibility check's answer: the reasons as (code, path, old version); or, when the registry
    refused the check itself, why."""

    reasons: tuple[tuple[str, str, int | None], ...] = ()
    refused: str | None = None


class Target(Protocol):
    name: str

    def convert(self, request: ConvertRequest) -> Outcome: ...

    def check_compatibility(self, schema_type: str, versions: Sequence[str], new: str,
                            level: str) -> Compatibility: ...


def kind_of(error: ConversionError) -> str:
    return next(cls.__name__ for cls in _KINDS if isinstance(error, cls))


def _status_details(status) -> tuple[str, tuple[str, ...], bool]:
    """(ErrorInfo reason, BadRequest fields, whether ErrorInfo names a limit) of a google.rpc.Status."""
    from google.rpc import error_details_pb2

    reason, fields, limit = "", (), False
    for detail in status.details if status is not None else ():
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            reason, limit = info.reason, "limit" in info.metadata
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            fields = tuple(violation.field for violation in bad.field_violations)
    return reason, fields, limit


def _packed_status(status):
    """The google.rpc.Status a grpc.Status carries in its trailing metadata."""
    from google.rpc import status_pb2

    for key, value in status.trailing_metadata:
        if key == "grpc-status-details-bin":
            return status_pb2.Status.FromString(value)
    return None


def _registry_refs(spec: FormatSpec) -> list[str]:
    return [f"{field} by {ref.kind}" for field, ref in (("schema", spec.schema), ("reader_schema", spec.reader_schema))
            if ref is not None and ref.kind != "inline"]


class InProcessTarget:
    """The engine in this process (no server): what `convsvc convert` without --target does."""

    name = "in-process"

    def __init__(self) -> None:
        self.engine = Engine()
        self._registry = None
        self._lock = threading.Lock()

    def convert(self, request: ConvertRequest) -> Outcome:
        refs = _registry_refs(request.source) + _registry_refs(request.target)
        if refs:
            raise CannotRun(f"names schemas in a registry ({', '.join(refs)}); the in-process engine has none: "
                            "run against a server with --target")
        try:
            result = self.engine.convert(request)
        except ConversionError as error:
            from convsvc.server.status import rich_status, status_code_of

            reason, fields, _ = _status_details(_packed_status(rich_status(error)))
            return Outcome(payload=None, issues=tuple(error.issues), status=status_code_of(error).name,
                           kind=kind_of(error), reason=reason, fields=fields)
        return Outcome(payload=result.payload, issues=tuple(result.report))

    def check_compatibility(self, schema_type: str, versions: Sequence[str], new: str,
                            level: str) -> Compatibility:
        from convsvc.registry import RegistryError, SchemaInput, SchemaType

        registry = self._open_registry()
        kind = SchemaType(schema_type)
        subject = f"corpus-{uuid.uuid4().hex}"
        try:
            if len(versions) > 1:  # the old versions need not be compatible with one another
                registry.set_level("NONE", subject)
            for text in versions:
                registry.register(subject, SchemaInput(text, kind))
            registry.set_level(level, subject)
            _, reasons = registry.check(subject, SchemaInput(new, kind))
        except RegistryError as error:
            return Compatibility(refused=f"{type(error).__name__}: {error}")
        return Compatibility(reasons=tuple((r.code, r.path, r.old_version) for r in reasons))

    def _open_registry(self):
        """A registry of its own on a temporary SQLite file (removed with the target)."""
        with self._lock:
            if self._registry is None:
                from convsvc.registry import open_registry

                self._folder = tempfile.TemporaryDirectory(prefix="convsvc-corpus-")
                self._registry = open_registry(f"{self._folder.name}/registry.db")
            return self._registry

    def close(self) -> None:
        if self._registry is not None:
            self._registry.close()
            self._folder.cleanup()
            self._registry = None


# Refusals of the registry setup that say the target will not let us run the case, not that it failed it.
_SETUP_REFUSALS = {"UNAUTHENTICATED", "PERMISSION_DENIED", "UNIMPLEMENTED", "FAILED_PRECONDITION",
                   "RESOURCE_EXHAUSTED"}


class RemoteTarget:
    """A live server: the Convert RPC and the registry's gRPC service, with the CLI's call options
    (API key, deadline). Thread-safe: one channel shared by every worker thread."""

    def __init__(self, address: str, options=None) -> None:
        import grpc

        from convsvc.cli.call_options import CallOptions
        from convsvc.v1 import conversion_pb2_grpc

        self.name = address
        self.address = address
        self.options = options or CallOptions()
        limit = 256 * 1024 * 1024
        self._channel = grpc.insecure_channel(address, options=[("grpc.max_send_message_length", limit),
                                                                ("grpc.max_receive_message_length", limit)])
        self._convert = conversion_pb2_grpc.ConversionServiceStub(self._channel).Convert

    def wait_ready(self, seconds: float) -> bool:
        """Whether the server answers within `seconds`."""
        import grpc

        try:
            grpc.channel_ready_future(self._channel).result(timeout=seconds)
        except grpc.FutureTimeoutError:
            return False
        return True

    def convert(self, request: ConvertRequest) -> Outcome:
        import grpc
        from grpc_status import rpc_status

        from convsvc.cli.remote import issues_of
        from convsvc.v1 import conversion_pb2 as pb
        from convsvc.wire import format_spec_to_proto, mode_to_proto, report_from_proto

        message = pb.ConvertRequest(source=format_spec_to_proto(request.source),
                                    target=format_spec_to_proto(request.target), payload=request.payload,
                                    mode=mode_to_proto(request.mode))
        try:
            response = self._convert(message, timeout=self.options.deadline, metadata=self.options.metadata())
        except grpc.RpcError as error:
            issues = issues_of(error)
            if not issues:
                raise CallFailed(f"{error.code().name}: {error.details()}") from None
            reason, fields, limit = _status_details(rpc_status.from_call(error))
            return Outcome(payload=None, issues=tuple(issues), status=error.code().name,
                           kind=_kind_from_status(error.code().name, issues, limit), reason=reason, fields=fields)
        return Outcome(payload=response.payload, issues=tuple(report_from_proto(response.report)))

    def check_compatibility(self, schema_type: str, versions: Sequence[str], new: str,
                            level: str) -> Compatibility:
        from convsvc.cli.schema import Refused, RemoteRegistry, Unreachable
        from convsvc.registry import SchemaInput, SchemaType
        from convsvc.server.registry_service import schema_to_proto
        from convsvc.v1 import registry_pb2 as pb

        registry = RemoteRegistry(self.address, self.options)
        kind = SchemaType(schema_type)
        subject = f"convsvc-corpus-{uuid.uuid4().hex}"
        try:
            try:
                if len(versions) > 1:  # the old versions need not be compatible with one another
                    registry.set_level("NONE", subject)
                for text in versions:
                    registry.register(subject, SchemaInput(text, kind))
                registry.set_level(level, subject)
            except Refused as refused:
                if refused.code.name in _SETUP_REFUSALS:
                    raise CannotRun(f"the target's registry refused to set the case up: {refused.code.name} "
                                    f"{refused.reason}: {refused.message}") from None
                return Compatibility(refused=f"{refused.code.name} {refused.reason}: {refused.message}")
            try:
                answer = registry.call("CheckCompatibility", pb.CheckCompatibilityRequest(
                    subject=subject, schema=schema_to_proto(SchemaInput(new, kind))))
            except Refused as refused:
                return Compatibility(refused=f"{refused.code.name} {refused.reason}: {refused.message}")
            return Compatibility(reasons=tuple((r.code, r.path, r.version or None) for r in answer.reasons))
        except Unreachable as error:
            raise CallFailed(str(error).splitlines()[0]) from None
        finally:
            _forget(registry, subject)
            registry.close()

    def close(self) -> None:
        self._channel.close()


def _forget(registry, subject: str) -> None:
    """Remove the case's subject for good: a soft, then a hard delete (which takes its level along);
    when that fails (nothing was registered), its level alone. Best effort."""
    from convsvc.cli.schema import Refused, Unreachable
    from convsvc.v1 import registry_pb2 as pb

    requests = [("DeleteSubject", pb.DeleteSubjectRequest(subject=subject)),
                ("DeleteSubject", pb.DeleteSubjectRequest(subject=subject, permanent=True))]
    try:
        for method, request in requests:
            registry.call(method, request)
    except (Refused, Unreachable):
        try:
            registry.call("DeleteCompatibility", pb.DeleteCompatibilityRequest(subject=subject))
        except (Refused, Unreachable):
            pass


def _kind_from_status(status: str, issues: Sequence[Issue], names_a_limit: bool) -> str:
    """The refusal's ConversionError branch as the server's status shows it (server/status.py maps
    the other way): UNIMPLEMENTED, NOT_FOUND, RESOURCE_EXHAUSTED or a limit named in ErrorInfo, a
    request or schema fault, else the payload's."""
    if status == "UNIMPLEMENTED":
        return "Unimplemented"
    if status == "NOT_FOUND":
        return "NotFound"
    if status == "RESOURCE_EXHAUSTED" or names_a_limit:
        return "LimitExceeded"
    if issues and issues[0].code in _REQUEST_CODES:
        return "InvalidRequest"
    return "InvalidInput"


@dataclasses.dataclass(frozen=True, slots=True)
class TargetSpec:
    """How to make a target (picklable: worker processes make their own)."""

    address: str | None = None
    options: object = None

    def make(self) -> InProcessTarget | RemoteTarget:
        return RemoteTarget(self.address, self.options) if self.address else InProcessTarget()

    @property
    def name(self) -> str:
        return self.address or InProcessTarget.name
