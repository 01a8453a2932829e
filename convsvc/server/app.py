"""Server wiring: the services, the interceptor stack in order, health, reflection, metrics endpoint,
SIGHUP reload, and graceful shutdown on SIGTERM/SIGINT.

Adding a service is one entry in `services()`: its servicer and each method's scope. Every service
then gets the whole interceptor stack; health and reflection are public (no key, no rate limit).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import signal
from collections.abc import Callable, Mapping

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from convsvc.engine import Engine
from convsvc.formats import FORMATS
from convsvc.server.rate_buckets import MemoryBuckets, RedisBuckets
from convsvc.registry import Registry
from convsvc.registry.resolver import RegistrySchemas
from convsvc.server import logs
from convsvc.server import metrics as metrics_module
from convsvc.server.config import Config
from convsvc.server.conversion_service import ConversionService
from convsvc.server.idempotency import GuardedStore, open_store
from convsvc.server.interceptors import (
    Auth, Deadline, Idempotency, Layer, MethodPolicies, MethodPolicy, Metrics, RateLimit, RequestLog, Stack,
)
from convsvc.server.keys import CONVERT, REGISTRY_READ, REGISTRY_WRITE, KeyTable
from convsvc.server.registry_service import add_registry_service, open_registry_for
from convsvc.server.workers import WorkerRole
from convsvc.v1 import conversion_pb2, conversion_pb2_grpc, registry_pb2

log = logging.getLogger("convsvc.server")

_LOOPBACK = {"127.0.0.1", "::1", "localhost", "[::1]"}
PUBLIC = MethodPolicy(scope=None)


@dataclasses.dataclass(frozen=True, slots=True)
class Service:
    """One gRPC service: its full name, how to add its servicer to a server, and each method's policy."""

    name: str
    add_to: Callable[[grpc.aio.Server], None]
    methods: Mapping[str, MethodPolicy]
    health_checked: bool = True  # has a health status of its own


class Live:
    """The configuration in force. Layers read it per call, so a SIGHUP reload applies to the next
    call without touching connections; the key table is rebuilt once per reload, not per call."""

    def __init__(self, config: Config) -> None:
        self.replace(config)

    def replace(self, config: Config) -> None:
        self.keys = KeyTable(config.auth.keys)
        self.config = config


_REGISTRY_READS = {"LookupSchema", "GetSchema", "GetSchemaVersion", "ListSubjects", "ListVersions",
                   "ListSchemaVersions", "ListReferencedBy", "CheckCompatibility", "GetCompatibility", "GetMode"}


def services(engine: Engine, registry: Registry) -> list[Service]:
    """The application's services (health and reflection are added by build_server)."""
    conversion = conversion_pb2.DESCRIPTOR.services_by_name["ConversionService"]
    schema_registry = registry_pb2.DESCRIPTOR.services_by_name["SchemaRegistryService"]
    return [
        Service(conversion.full_name,
                lambda server: conversion_pb2_grpc.add_ConversionServiceServicer_to_server(
                    ConversionService(engine), server),
                {"Convert": MethodPolicy(CONVERT), "ConvertStream": MethodPolicy(CONVERT),
                 "ListFormats": MethodPolicy(CONVERT)}),
        Service(schema_registry.full_name, lambda server: add_registry_service(server, registry),
                {method.name: MethodPolicy(REGISTRY_READ if method.name in _REGISTRY_READS else REGISTRY_WRITE)
                 for method in schema_registry.methods}),
    ]


def interceptors(config: Config, live: Live, policies: MethodPolicies,
                 store: GuardedStore) -> list[grpc.aio.ServerInterceptor]:
    """gRPC's interceptors: one, running the layers (grpc.aio pays per interceptor on every call)."""
    return [Stack(layers(config, live, policies, store))]


def layers(config: Config, live: Live, policies: MethodPolicies, store: GuardedStore) -> list[Layer]:
    """The layers around every call, outermost first: this list is the order."""
    return [
        RequestLog(config.send_limit),  # x-request-id in and out; its log line covers every layer below
        Metrics(),  # grpc_server_*: every call counts, refusals by the layers below included
        Auth(lambda: live.keys, policies),  # the principal, and its scope for the method
        RateLimit(lambda: live.config.rate_limit, policies, rate_buckets(config)),  # per principal: after auth
        Deadline(lambda: live.config.deadlines, policies),  # default and maximum; stops the work below
        Idempotency(store, lambda: live.config.idempotency, policies),  # replaces the handler on a repeat
    ]


def rate_buckets(config: Config) -> MemoryBuckets | RedisBuckets:
    """Where rate-limit buckets live (chosen at start; a reload changes limits, not the store)."""
    settings = config.rate_limit
    if settings.store == "redis":
        return RedisBuckets(settings.redis_url, prefix=settings.redis_prefix)
    return MemoryBuckets()


@dataclasses.dataclass(slots=True)
class App:
    server: grpc.aio.Server
    health: health.aio.HealthServicer
    services: list[Service]
    store: GuardedStore


def build_server(config: Config, live: Live, engine: Engine, registry: Registry, *,
                 reuse_port: bool = False) -> App:
    app_services = services(engine, registry)
    policies = {f"/{service.name}/{method}": policy
                for service in app_services for method, policy in service.methods.items()}
    policies.update({f"/{health.SERVICE_NAME}/Check": PUBLIC,
                     f"/{health.SERVICE_NAME}/Watch": MethodPolicy(None, long_lived=True),
                     f"/{reflection.SERVICE_NAME}/ServerReflectionInfo": MethodPolicy(None, long_lived=True)})
    store = open_store(config.idempotency.store, path=config.idempotency_path,
                       redis_url=config.idempotency.redis_url, redis_prefix=config.idempotency.redis_prefix,
                       timeout_seconds=config.idempotency.store_timeout_seconds,
                       breaker_failures=config.idempotency.breaker_failures,
                       breaker_reset_seconds=config.idempotency.breaker_reset_seconds)
    server = grpc.aio.server(
        interceptors=interceptors(config, live, MethodPolicies(policies), store),
        options=[
            ("grpc.max_receive_message_length", config.receive_limit),
            ("grpc.max_send_message_length", config.send_limit),
            ("grpc.so_reuseport", int(reuse_port)),  # one process owns the port unless workers share it
        ])
    for service in app_services:
        service.add_to(server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (*(service.name for service in app_services), health.SERVICE_NAME, reflection.SERVICE_NAME), server)
    return App(server, health_servicer, app_services, store)


async def serve(config: Config, reload: Callable[[], Config] | None = None,
                worker: WorkerRole | None = None) -> int:
    """Run until SIGTERM/SIGINT, then drain: health NOT_SERVING, refuse new calls, finish in-flight ones.
    SIGHUP calls `reload` and applies keys, scopes, rate limits, deadlines and limits.

    As a `worker` of `serve --workers N` it shares its ports with the other workers (SO_REUSEPORT),
    leaves /metrics to the supervisor, and tells the supervisor when it serves."""
    config.data_dir.mkdir(parents=True, exist_ok=True)
    live = Live(config)
    registry = await asyncio.to_thread(open_registry_for, config)
    FORMATS.load_all()  # every codec imported now, not by the first call that names its format
    engine = Engine(config.limits, schemas=RegistrySchemas(registry))
    endpoint = _metrics_endpoint(config) if worker is None else None  # a supervisor serves the workers'
    if endpoint is False:
        registry.close()
        return 1
    app = build_server(config, live, engine, registry, reuse_port=worker is not None)
    address = f"{config.host}:{config.port}"
    try:
        port = app.server.add_insecure_port(address)
    except RuntimeError:  # grpcio raises where it used to return 0
        port = 0
    if port == 0:
        log.error("cannot bind %s", address)
        if endpoint is not None:
            endpoint.close()
        registry.close()
        return 1
    await app.server.start()
    rest = await _rest_api(config, registry, live, reuse_port=worker is not None)
    health_names = ("", *(service.name for service in app.services if service.health_checked))
    for name in health_names:
        await app.health.set(name, health_pb2.HealthCheckResponse.SERVING)
    _warn_if_open(config)
    sampler = asyncio.create_task(_sample_process()) if metrics_module.PROCESS_MEMORY is not None else None

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    if reload is not None:
        loop.add_signal_handler(signal.SIGHUP, lambda: _reload(live, engine, reload))
    if worker is None:
        log.info("convsvc listening on %s:%d", config.host, port)
    else:
        log.info("worker %d serving on %s:%d", worker.index, config.host, port)
        worker.serving(port)
    await stop.wait()
    log.info("shutting down: refusing new calls, %.1f s grace for in-flight calls", live.config.grace_seconds)
    await app.health.enter_graceful_shutdown()
    if rest is not None:
        await rest.stop()
    await app.server.stop(live.config.grace_seconds)
    if sampler is not None:
        sampler.cancel()
    await app.store.close()
    registry.close()
    if endpoint is not None:
        endpoint.close()
    log.info("stopped")
    return 0


async def _sample_process(every_seconds: float = 5.0) -> None:
    """This process's memory and CPU gauges, now and every few seconds (multiprocess mode)."""
    while True:
        metrics_module.sample_process()
        await asyncio.sleep(every_seconds)


async def _rest_api(config: Config, registry: Registry, live: Live, reuse_port: bool = False):
    """The Confluent-compatible REST API on the same event loop, with the same keys (None when off)."""
    if config.registry.rest_port == 0:
        return None
    from convsvc.server.rest import start_rest

    keys = (lambda: live.keys)
    return await start_rest(registry, config.registry.rest_host or config.host, config.registry.rest_port, keys,
                            reuse_port=reuse_port)


def _metrics_endpoint(config: Config):
    """The /metrics endpoint (None when off; False when its port cannot be bound)."""
    if config.metrics.port == 0:
        return None
    from convsvc.server.metrics import Endpoint

    host = config.metrics.host or config.host
    try:
        endpoint = Endpoint(host, config.metrics.port)
    except OSError as error:
        log.error("cannot serve metrics on %s:%d: %s (set --metrics-port 0 to turn them off)",
                  host, config.metrics.port, error)
        return False
    log.info("metrics on http://%s:%d/metrics", host, endpoint.port)
    return endpoint


def _warn_if_open(config: Config) -> None:
    if config.auth.keys:
        log.info("API keys required: %d configured", len(config.auth.keys))
    elif config.host not in _LOOPBACK:
        log.warning("listening on %s without API keys: anyone who can reach it may call it", config.host)


# Settings a running server cannot change: a reload keeps the running value and says so.
_RESTART_ONLY = {
    "server": ("host", "port", "data_dir", "max_receive_message_bytes", "max_send_message_bytes", "workers"),
    "metrics": ("port", "host"),
    "idempotency": ("store", "path", "redis_url", "redis_prefix", "store_timeout_seconds", "breaker_failures",
                    "breaker_reset_seconds"),
    "registry": ("store", "sqlite_path", "postgres_dsn", "rest_port", "rest_host"),
}


def _reload(live: Live, engine: Engine, load: Callable[[], Config]) -> None:
    old = live.config
    try:
        new = load()
    except (OSError, ValueError) as error:
        log.error("configuration not reloaded, the running one stays: %s", error)
        return
    kept = []
    for table, names in _RESTART_ONLY.items():
        old_part = old if table == "server" else getattr(old, table)
        new_part = new if table == "server" else getattr(new, table)
        changed = {name: getattr(old_part, name) for name in names
                   if getattr(old_part, name) != getattr(new_part, name)}
        if changed:
            kept += [f"[{table}] {name}" for name in changed]
            new_part = dataclasses.replace(new_part, **changed)
            new = new_part if table == "server" else dataclasses.replace(new, **{table: new_part})
    if kept:
        log.warning("reload: %s changed but needs a restart; the running value stays", ", ".join(kept))
    if new.limits.max_message_bytes + 64 * 1024 > old.receive_limit:
        log.warning("reload: limits.max_message_bytes is above gRPC's receive limit (%d), fixed at start; "
                    "larger messages are refused until a restart", old.receive_limit)
    live.replace(new)
    engine.limits = new.limits
    logs.configure(new.log.format, new.log.level)
    log.info("configuration reloaded: %d API key(s)", len(new.auth.keys))
