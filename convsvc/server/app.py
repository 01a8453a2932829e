"""Server wiring: services, health, reflection, limits, and graceful shutdown on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import logging
import signal

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from convsvc.engine import Engine
from convsvc.server.config import Config
from convsvc.server.conversion_service import ConversionService
from convsvc.v1 import conversion_pb2, conversion_pb2_grpc

log = logging.getLogger("convsvc.server")

SERVICE_NAMES = (conversion_pb2.DESCRIPTOR.services_by_name["ConversionService"].full_name,)
_LOOPBACK = {"127.0.0.1", "::1", "localhost", "[::1]"}
_MESSAGE_OVERHEAD = 64 * 1024  # room for the request's other fields around a maximal payload


def build_server(config: Config) -> tuple[grpc.aio.Server, health.aio.HealthServicer]:
    limit = config.limits.max_message_bytes + _MESSAGE_OVERHEAD
    server = grpc.aio.server(options=[
        ("grpc.max_receive_message_length", limit),
        ("grpc.max_send_message_length", limit),
        ("grpc.so_reuseport", 0),  # one process owns the port until --workers shares it on purpose
    ])
    conversion_pb2_grpc.add_ConversionServiceServicer_to_server(ConversionService(Engine(config.limits)), server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (*SERVICE_NAMES, health.SERVICE_NAME, reflection.SERVICE_NAME), server)
    return server, health_servicer


async def serve(config: Config) -> int:
    """Run until SIGTERM/SIGINT, then drain: health NOT_SERVING, refuse new calls, finish in-flight ones."""
    config.data_dir.mkdir(parents=True, exist_ok=True)
    server, health_servicer = build_server(config)
    address = f"{config.host}:{config.port}"
    port = server.add_insecure_port(address)
    if port == 0:
        log.error("cannot bind %s", address)
        return 1
    await server.start()
    for name in ("", *SERVICE_NAMES):
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    if config.host not in _LOOPBACK:
        log.warning("listening on %s without authentication: anyone who can reach it may call it", config.host)
    log.info("convsvc listening on %s:%d", config.host, port)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    log.info("shutting down: refusing new calls, %.1f s grace for in-flight calls", config.grace_seconds)
    await health_servicer.enter_graceful_shutdown()
    await server.stop(config.grace_seconds)
    log.info("stopped")
    return 0
