"""Server configuration: defaults that work alone, one TOML file, CONVSVC_* environment variables, flags.

Later sources win: defaults < file < environment < command-line flags. Every table and setting is
known here; an unknown one is refused at start (a typo must not silently leave a default in force),
and every error names where the bad value came from.
"""

from __future__ import annotations

import dataclasses
import math
import os
import pathlib
import re
import tomllib
import typing
from collections.abc import Mapping
from typing import Any

from convsvc.model import Limits
from convsvc.server.keys import ApiKey

ENV_PREFIX = "CONVSVC_"
MESSAGE_OVERHEAD = 64 * 1024  # room for a request's other fields around a maximal payload


@dataclasses.dataclass(frozen=True, slots=True)
class MetricsConfig:
    port: int = 9464  # Prometheus endpoint; 0 = off
    host: str = ""  # empty: the server's host

    def __post_init__(self) -> None:
        _check(0 <= self.port <= 65535, "port must be 0 (off) to 65535")


@dataclasses.dataclass(frozen=True, slots=True)
class LogConfig:
    format: str = "json"  # json (one object per line) | text
    level: str = "info"

    def __post_init__(self) -> None:
        _check(self.format in ("json", "text"), "format must be json or text")
        _check(self.level in ("debug", "info", "warning", "error"), "level must be debug, info, warning or error")


@dataclasses.dataclass(frozen=True, slots=True)
class DeadlineConfig:
    """Unary calls carry one bounded message; streams may legitimately run much longer."""

    default_seconds: float = 30.0  # when the client sets no deadline
    max_seconds: float = 300.0  # longer client deadlines are clamped to this
    stream_default_seconds: float = 600.0
    stream_max_seconds: float = 3600.0

    def __post_init__(self) -> None:
        for name in ("default_seconds", "max_seconds", "stream_default_seconds", "stream_max_seconds"):
            value = getattr(self, name)
            _check(math.isfinite(value) and value > 0, f"{name} must be a positive number of seconds")
        _check(self.default_seconds <= self.max_seconds, "default_seconds must not exceed max_seconds")
        _check(self.stream_default_seconds <= self.stream_max_seconds,
               "stream_default_seconds must not exceed stream_max_seconds")


@dataclasses.dataclass(frozen=True, slots=True)
class RateLimitConfig:
    """Token buckets: per API key, and per peer address for anonymous callers. 0 = unlimited."""

    requests_per_second: float = 0.0  # per key, unless the key sets its own
    burst: int = 0  # bucket size; 0 = max(1, requests_per_second)
    anonymous_requests_per_second: float = 0.0  # per peer address when the server has no keys
    anonymous_burst: int = 0
    # Where the buckets live: "memory" (this process: with N worker processes or replicas a key gets N
    # times its limit) or "redis" (shared by every process and replica; convsvc/server/rate_buckets.py).
    store: str = "memory"
    redis_url: str = ""
    redis_prefix: str = "convsvc:ratelimit:"

    def __post_init__(self) -> None:
        for name in ("requests_per_second", "anonymous_requests_per_second"):
            _check(math.isfinite(getattr(self, name)) and getattr(self, name) >= 0, f"{name} must be >= 0")
        for name in ("burst", "anonymous_burst"):
            _check(getattr(self, name) >= 0, f"{name} must be >= 0")
        _check(self.store in ("memory", "redis"), "store must be memory or redis")
        _check(self.store != "redis" or bool(self.redis_url), "store = redis needs redis_url")


@dataclasses.dataclass(frozen=True, slots=True)
class AuthConfig:
    keys: tuple[ApiKey, ...] = ()

    def __post_init__(self) -> None:
        names = [key.name for key in self.keys]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        _check(not duplicates, f"duplicate key name(s) {', '.join(duplicates)}")
        digests = [key.sha256 for key in self.keys]
        _check(len(set(digests)) == len(digests), "two keys have the same sha256")


@dataclasses.dataclass(frozen=True, slots=True)
class IdempotencyConfig:
    store: str = "sqlite"  # memory | sqlite | redis
    path: str = ""  # SQLite file; empty: <data_dir>/idempotency.sqlite3
    redis_url: str = ""  # redis://host:port/db, for store = "redis"
    redis_prefix: str = "convsvc:idempotency:"
    ttl_seconds: float = 86400.0  # how long an outcome is replayed
    # When the store cannot be reached: "proceed" runs the call without idempotency, "refuse" answers
    # UNAVAILABLE with RetryInfo. See docs/operations.md for why proceed is the default.
    on_store_failure: str = "proceed"
    store_timeout_seconds: float = 1.0  # one store operation; slower counts as a failure
    breaker_failures: int = 5  # consecutive failures that open the circuit breaker
    breaker_reset_seconds: float = 10.0  # how long an open breaker skips the store before one trial call

    def __post_init__(self) -> None:
        _check(self.store in ("memory", "sqlite", "redis"), "store must be memory, sqlite or redis")
        _check(self.store != "redis" or bool(self.redis_url), "store = redis needs redis_url")
        _check(self.on_store_failure in ("proceed", "refuse"), "on_store_failure must be proceed or refuse")
        for name in ("ttl_seconds", "store_timeout_seconds", "breaker_reset_seconds"):
            _check(math.isfinite(getattr(self, name)) and getattr(self, name) > 0, f"{name} must be > 0")
        _check(self.breaker_failures >= 1, "breaker_failures must be >= 1")


@dataclasses.dataclass(frozen=True, slots=True)
class RegistryConfig:
    store: str = "sqlite"  # sqlite (embedded, in the data directory) | postgres (shared by replicas)
    sqlite_path: str = ""  # empty: <data_dir>/registry.db
    postgres_dsn: str = ""  # postgresql://user@host:port/db, for store = "postgres"
    rest_port: int = 8081  # the Confluent-compatible REST API; 0 = off
    rest_host: str = ""  # empty: the server's host

    def __post_init__(self) -> None:
        _check(self.store in ("sqlite", "postgres"), "store must be sqlite or postgres")
        _check(self.store != "postgres" or bool(self.postgres_dsn), "store = postgres needs postgres_dsn")
        _check(0 <= self.rest_port <= 65535, "rest_port must be 0 (off) to 65535")


@dataclasses.dataclass(frozen=True, slots=True)
class Config:
    # [server]
    host: str = "127.0.0.1"
    port: int = 50051
    data_dir: pathlib.Path = pathlib.Path("data")
    grace_seconds: float = 10.0  # in-flight calls may finish for this long after SIGTERM
    max_receive_message_bytes: int = 0  # gRPC's own limit per message; 0 = max_message_bytes + 64 KiB
    max_send_message_bytes: int = 0  # likewise for responses
    workers: int = 0  # processes serving the port (SO_REUSEPORT); 0 = one per core, 1 = this process alone
    # the other tables
    limits: Limits = dataclasses.field(default_factory=Limits)
    metrics: MetricsConfig = dataclasses.field(default_factory=MetricsConfig)
    log: LogConfig = dataclasses.field(default_factory=LogConfig)
    deadlines: DeadlineConfig = dataclasses.field(default_factory=DeadlineConfig)
    rate_limit: RateLimitConfig = dataclasses.field(default_factory=RateLimitConfig)
    auth: AuthConfig = dataclasses.field(default_factory=AuthConfig)
    idempotency: IdempotencyConfig = dataclasses.field(default_factory=IdempotencyConfig)
    registry: RegistryConfig = dataclasses.field(default_factory=RegistryConfig)

    def __post_init__(self) -> None:
        _check(0 <= self.port <= 65535, "port must be 0 (any free port) to 65535")
        _check(math.isfinite(self.grace_seconds) and self.grace_seconds >= 0, "grace_seconds must be >= 0")
        _check(self.max_receive_message_bytes >= 0 and self.max_send_message_bytes >= 0,
               "message size limits must be >= 0 (0 = derived from limits.max_message_bytes)")
        _check(self.workers >= 0, "workers must be >= 0 (0 = one per core)")

    def check_workers(self) -> None:
        """At start: ConfigError when a setting cannot work with worker_count processes."""
        if self.worker_count > 1 and self.idempotency.store == "memory":
            raise ConfigError(
                f"[server] workers = {self.worker_count}{' (one per core)' if not self.workers else ''} cannot "
                "share [idempotency] store = \"memory\": each process would keep its own outcomes, so a repeat "
                "that reaches another worker would run again; use store = \"sqlite\" or \"redis\", or "
                "workers = 1 (--workers 1)")

    @property
    def worker_count(self) -> int:
        """How many processes serve: `workers`, or the CPUs this process may run on."""
        if self.workers:
            return self.workers
        try:
            return len(os.sched_getaffinity(0))
        except AttributeError:  # not Linux
            return os.cpu_count() or 1

    @property
    def receive_limit(self) -> int:
        return self.max_receive_message_bytes or self.limits.max_message_bytes + MESSAGE_OVERHEAD

    @property
    def send_limit(self) -> int:
        return self.max_send_message_bytes or self.limits.max_message_bytes + MESSAGE_OVERHEAD

    @property
    def idempotency_path(self) -> pathlib.Path:
        return pathlib.Path(self.idempotency.path) if self.idempotency.path else self.data_dir / "idempotency.sqlite3"

    @classmethod
    def load(cls, path: str | pathlib.Path | None = None, *, env: Mapping[str, str] | None = None,
             flags: Mapping[str, Any] | None = None, **server_flags: Any) -> "Config":
        """Defaults, then the file, then CONVSVC_<TABLE>_<SETTING> variables, then flags.

        `flags` maps "table.setting" (e.g. "metrics.port") to a value; `server_flags` are [server]
        settings by name. None values are ignored, so unset command-line options change nothing.
        Raises ConfigError naming the source of the first bad value.
        """
        settings = _Settings()
        if path is not None:
            settings.read_file(pathlib.Path(path))
        settings.read_env(os.environ if env is None else env)
        for key, value in {**(flags or {}), **{f"server.{k}": v for k, v in server_flags.items()}}.items():
            if value is not None:
                table, _, name = key.partition(".")
                settings.put(table, name, value, f"command-line flag for {key}")
        return settings.build()


class ConfigError(ValueError):
    """The configuration is invalid; the message names the table, setting and where it came from."""


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


# The tables and their dataclasses; [server] fills Config's own fields.
_TABLES: dict[str, type] = {
    "server": Config, "limits": Limits, "metrics": MetricsConfig, "log": LogConfig,
    "deadlines": DeadlineConfig, "rate_limit": RateLimitConfig, "auth": AuthConfig,
    "idempotency": IdempotencyConfig, "registry": RegistryConfig,
}
_SUBTABLES = tuple(table for table in _TABLES if table != "server")  # each is the Config field of its name
_NOT_SETTINGS = {"server": set(_SUBTABLES)}  # Config's own fields that are tables, not [server] settings
_NOT_FROM_ENV = {("auth", "keys")}  # lists of tables: the file only


def _settings_of(table: str) -> dict[str, Any]:
    """setting name -> its type, for one table."""
    cls = _TABLES[table]
    hints = typing.get_type_hints(cls)
    return {field.name: hints[field.name] for field in dataclasses.fields(cls)
            if field.name not in _NOT_SETTINGS.get(table, ())}


class _Settings:
    """Raw values per table with where each came from, then typed, validated dataclasses."""

    def __init__(self) -> None:
        self.values: dict[str, dict[str, Any]] = {table: {} for table in _TABLES}
        self.origins: dict[tuple[str, str], str] = {}

    def put(self, table: str, name: str, value: Any, origin: str) -> None:
        if table not in _TABLES:
            raise ConfigError(f"{origin}: unknown table [{table}]; known: {', '.join(_TABLES)}")
        known = _settings_of(table)
        if name not in known:
            raise ConfigError(f"{origin}: unknown setting {name!r} in [{table}]; known: {', '.join(sorted(known))}")
        self.values[table][name] = value
        self.origins[table, name] = origin

    def read_file(self, path: pathlib.Path) -> None:
        try:
            with open(path, "rb") as handle:
                document = tomllib.load(handle)
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{path}: not valid TOML: {error}") from None
        for table, values in document.items():
            if not isinstance(values, dict):
                raise ConfigError(f"{path}: {table!r} must be a table ([{table}]); known: {', '.join(_TABLES)}")
            for name, value in values.items():
                self.put(table, name, value, f"{path} [{table}] {name}")

    def read_env(self, env: Mapping[str, str]) -> None:
        tables = sorted(_TABLES, key=len, reverse=True)  # RATE_LIMIT_... before a shorter table name
        for variable, text in env.items():
            if not variable.startswith(ENV_PREFIX):
                continue
            rest = variable[len(ENV_PREFIX):].lower()
            table = next((t for t in tables if rest.startswith(t + "_")), None)
            if table is None:
                continue  # CONVSVC_TEST_..., CONVSVC_CORPORA, CONVSVC_API_KEY: not server settings
            name = rest[len(table) + 1:]
            if (table, name) in _NOT_FROM_ENV:
                raise ConfigError(f"{variable}: [{table}] {name} can only be set in the config file")
            self.put(table, name, _from_text(text, _settings_of(table).get(name, str), variable), variable)

    def build(self) -> Config:
        server = {name: self._typed("server", name, value) for name, value in self.values["server"].items()}
        tables = {}
        for table in _SUBTABLES:
            try:
                tables[table] = self._table(table)
            except ConfigError:
                raise
            except (TypeError, ValueError) as error:
                raise ConfigError(f"[{table}] {self._blame(table, error)}{error}") from None
        try:
            return Config(**server, **tables)
        except (TypeError, ValueError) as error:
            raise ConfigError(f"[server] {self._blame('server', error)}{error}") from None

    def _table(self, table: str) -> Any:
        values = self.values[table]
        if table == "limits":
            return Limits.from_mapping({name: self._typed(table, name, value) for name, value in values.items()})
        if table == "auth":
            return AuthConfig(keys=tuple(self._keys(values.get("keys", []))))
        return _TABLES[table](**{name: self._typed(table, name, value) for name, value in values.items()})

    def _keys(self, entries: Any) -> list[ApiKey]:
        origin = self.origins.get(("auth", "keys"), "[auth] keys")
        if not isinstance(entries, list):
            raise ConfigError(f"{origin}: keys must be an array of tables ([[auth.keys]])")
        keys = []
        for number, entry in enumerate(entries, 1):
            if not isinstance(entry, dict):
                raise ConfigError(f"{origin}: key {number} must be a table")
            try:
                keys.append(ApiKey.from_mapping(entry))
            except ValueError as error:
                raise ConfigError(f"{origin}: key {number} ({entry.get('name', 'unnamed')}): {error}") from None
        return keys

    def _typed(self, table: str, name: str, value: Any) -> Any:
        """The value as its setting's type; TOML integers are fine where a float is expected."""
        kind = _settings_of(table)[name]
        origin = self.origins[table, name]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if kind is pathlib.Path and isinstance(value, (str, pathlib.Path)):
            return pathlib.Path(value)
        if kind in (int, float, str, bool) and type(value) is not kind:
            raise ConfigError(f"{origin}: expected {kind.__name__}, got {value!r}")
        return value

    def _blame(self, table: str, error: Exception) -> str:
        """`(from X) ` for the source of the setting an error message names first, when one is known."""
        named = [(match.start(), origin) for (origin_table, name), origin in self.origins.items()
                 if origin_table == table and (match := re.search(rf"\b{re.escape(name)}\b", str(error)))]
        return f"(from {min(named)[1]}) " if named else ""


def _from_text(text: str, kind: Any, variable: str) -> Any:
    """An environment variable's text as the setting's type."""
    try:
        if kind is bool:
            lowered = text.strip().lower()
            if lowered not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(text)
            return lowered in ("true", "1", "yes")
        if kind is int:
            return int(text)
        if kind is float:
            return float(text)
    except ValueError:
        raise ConfigError(f"{variable}: expected {kind.__name__}, got {text!r}") from None
    return text
