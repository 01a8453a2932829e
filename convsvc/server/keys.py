"""API keys and scopes, transport-neutral: the gRPC auth interceptor and the REST registry API share them.

Keys are random (`new_key()`), so a plain SHA-256 of the key is enough to store: there is nothing to
brute-force, and a slow password hash would cost every call. The config file holds the digest only.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence

CONVERT, REGISTRY_READ, REGISTRY_WRITE, ADMIN = "convert", "registry:read", "registry:write", "admin"
SCOPES = (CONVERT, REGISTRY_READ, REGISTRY_WRITE, ADMIN)  # admin grants every other scope too
ANONYMOUS = "anonymous"  # the principal when no keys are configured

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_DIGEST = re.compile(r"[0-9a-f]{64}")
_KEY_PREFIX = "cvk_"


def new_key() -> str:
    """A fresh random key (256 bits), recognisable by its prefix in logs and secret scanners."""
    return _KEY_PREFIX + secrets.token_urlsafe(32)


def digest(key: str) -> str:
    """What the config file stores for a key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclasses.dataclass(frozen=True, slots=True)
class ApiKey:
    """One configured key: who it is (`name`, the principal), what it may do, and its own rate limit."""

    name: str
    sha256: str
    scopes: frozenset[str]
    requests_per_second: float | None = None  # None: the [rate_limit] default
    burst: int | None = None

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise ValueError(f"key name {self.name!r} must be 1-64 characters of letters, digits, . _ -")
        if not _DIGEST.fullmatch(self.sha256):
            raise ValueError(f"key {self.name}: sha256 must be 64 lowercase hex digits "
                             "(print one with `convsvc keys new`)")
        unknown = sorted(set(self.scopes) - set(SCOPES))
        if unknown:
            raise ValueError(f"key {self.name}: unknown scope(s) {', '.join(unknown)}; known: {', '.join(SCOPES)}")
        if not self.scopes:
            raise ValueError(f"key {self.name}: needs at least one scope ({', '.join(SCOPES)})")
        if self.requests_per_second is not None and self.requests_per_second < 0:
            raise ValueError(f"key {self.name}: requests_per_second must be >= 0 (0 = unlimited)")
        if self.burst is not None and self.burst < 1:
            raise ValueError(f"key {self.name}: burst must be >= 1")

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> "ApiKey":
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        missing = sorted({"name", "sha256", "scopes"} - set(values))
        if missing:
            raise ValueError(f"missing {', '.join(missing)}")
        scopes = values["scopes"]
        if isinstance(scopes, str) or not isinstance(scopes, Sequence):
            raise ValueError("scopes must be a list, e.g. [\"convert\"]")
        rate = values.get("requests_per_second")
        burst = values.get("burst")
        if rate is not None and (isinstance(rate, bool) or not isinstance(rate, (int, float))):
            raise ValueError("requests_per_second must be a number")
        if burst is not None and (isinstance(burst, bool) or not isinstance(burst, int)):
            raise ValueError("burst must be an integer")
        return cls(name=str(values["name"]), sha256=str(values["sha256"]).lower(), scopes=frozenset(scopes),
                   requests_per_second=None if rate is None else float(rate), burst=burst)

    def allows(self, scope: str) -> bool:
        return scope in self.scopes or ADMIN in self.scopes


class Unauthenticated(Exception):
    """No key, or a key nobody configured: gRPC UNAUTHENTICATED, HTTP 401."""


class PermissionDenied(Exception):
    """A valid key without the scope the operation needs: gRPC PERMISSION_DENIED, HTTP 403."""


@dataclasses.dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a configured key, or anonymous when the server has no keys."""

    name: str
    key: ApiKey | None = None


class KeyTable:
    """The configured keys, looked up by digest. With no keys at all, every caller is anonymous
    and allowed everything (the loopback default; the server warns when bound beyond it)."""

    def __init__(self, keys: Iterable[ApiKey] = ()) -> None:
        self._by_digest = {key.sha256: key for key in keys}

    @property
    def open(self) -> bool:
        return not self._by_digest

    def authenticate(self, presented: str | None) -> Principal:
        """The principal for a presented key (None: none was sent); raises Unauthenticated."""
        if self.open:
            return Principal(ANONYMOUS)
        if not presented:
            raise Unauthenticated("an API key is required: send `authorization: Bearer <key>` or `x-api-key`")
        key = self._by_digest.get(digest(presented))
        if key is None:
            raise Unauthenticated("the API key is not valid")
        return Principal(key.name, key)

    def authorize(self, principal: Principal, scope: str) -> None:
        """Raises PermissionDenied when the principal's key lacks the scope."""
        if principal.key is not None and not principal.key.allows(scope):
            raise PermissionDenied(f"key {principal.name!r} lacks the scope {scope!r}")


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The key a caller sent, from `authorization: Bearer <key>` or `x-api-key` (lower-case names)."""
    authorization = headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return headers.get("x-api-key") or None
