"""Test-only launcher: SchemaRegistryService (gRPC) and the REST API over one store, on free loopback
ports, until SIGTERM. Stands in for `convsvc serve` until the registry is wired into the server.

    python tests/registry/serve_registry.py STORE_URL   ->   "listening on 127.0.0.1:P rest R"
"""

from __future__ import annotations

import asyncio
import pathlib
import signal
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))

import grpc  # noqa: E402

from convsvc.registry import open_registry  # noqa: E402
from convsvc.server.registry_service import add_registry_service  # noqa: E402
from convsvc.server.rest import start_rest  # noqa: E402


async def main(store: str) -> int:
    registry = open_registry(store)
    server = grpc.aio.server()
    add_registry_service(server, registry)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    rest = await start_rest(registry, "127.0.0.1", 0)
    print(f"listening on 127.0.0.1:{port} rest {rest.port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await rest.stop()
    await server.stop(5)
    registry.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1])))
