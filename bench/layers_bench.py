"""The layer stack's own cost per call, in process: what server_bench's *echo + layers* column measures
through ghz, without ghz, the network or gRPC's C core, so that a change to convsvc/server/interceptors
shows in microseconds even on a busy machine (run by hand; best of 5 rounds).

grpc.aio's server flow for a unary call is replayed around convsvc's interceptors: the interceptor
chain (as grpc.aio runs it: each interceptor's intercept_service awaited with a continuation), the
request deserializer, the handler with a stand-in servicer context, the response serializer and the
done callbacks, each call in a task of its own. The handler is the echo of echo_server.py.

    python bench/layers_bench.py                    # none, then every layer, then each alone
    python bench/layers_bench.py --calls 20000 all
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import pathlib
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from convsvc.v1 import conversion_pb2 as pb  # noqa: E402
from convsvc.v1 import conversion_pb2_grpc  # noqa: E402

METHOD = "/convsvc.v1.ConversionService/Convert"
METADATA = (("user-agent", "grpc-go/1.71.0"), ("content-type", "application/grpc"))


class _Details:
    __slots__ = ("method", "invocation_metadata")

    def __init__(self, method: str, metadata: tuple) -> None:
        self.method, self.invocation_metadata = method, metadata


class _Context:
    """What the layers ask of grpc.aio's servicer context, answered as a live call would."""

    def __init__(self) -> None:
        self.callbacks: list = []
        self.sent = False
        self.trailers: tuple = ()
        self._code = None

    def peer(self) -> str:
        return "ipv4:127.0.0.1:54321"

    def add_done_callback(self, callback) -> None:
        self.callbacks.append(functools.partial(callback, self))

    def set_trailing_metadata(self, metadata) -> None:
        self.trailers = tuple(metadata)

    def code(self):
        return self._code

    def done(self) -> bool:
        return self.sent

    def time_remaining(self) -> float:
        return 20.0  # ghz's default deadline

    def invocation_metadata(self) -> tuple:
        return METADATA

    async def abort(self, code, details="", trailing_metadata=()):
        self._code, self.sent = code, True
        raise RuntimeError(f"aborted: {code}")


async def _run_interceptor(interceptors, query, details):
    interceptor = next(interceptors, None)
    if interceptor is None:
        return query(details)
    return await interceptor.intercept_service(functools.partial(_run_interceptor, interceptors, query), details)


def _echo_handler():
    class Echo(conversion_pb2_grpc.ConversionServiceServicer):
        async def Convert(self, request, context):
            return pb.ConvertResponse(payload=request.payload)

    class Capture:
        def add_registered_method_handlers(self, name, handlers):
            self.handlers = handlers

        def add_generic_rpc_handlers(self, handlers):
            self.generic = handlers[0]

    capture = Capture()
    conversion_pb2_grpc.add_ConversionServiceServicer_to_server(Echo(), capture)
    if hasattr(capture, "handlers"):
        return capture.handlers["Convert"]
    return capture.generic.service(_Details(METHOD, METADATA))


def interceptors(which: str) -> tuple:
    """grpc's interceptors for `which`: none, all, or comma-separated layer class names (in the stack's order)."""
    if which == "none":
        return ()
    from convsvc.server.app import Live, layers
    from convsvc.server.config import Config
    from convsvc.server.idempotency import open_store
    from convsvc.server.interceptors import MethodPolicies, MethodPolicy, Stack
    from convsvc.server.keys import CONVERT

    config = Config()
    store = open_store("memory", path=config.idempotency_path, redis_url="", redis_prefix="", timeout_seconds=1.0,
                       breaker_failures=5, breaker_reset_seconds=10.0)
    chosen = [layer for layer in layers(config, Live(config), MethodPolicies({METHOD: MethodPolicy(CONVERT)}), store)
              if which == "all" or type(layer).__name__ in which.split(",")]
    return (Stack(chosen),)


async def measure(which: list[str], calls: int, rounds: int = 5) -> dict[str, float]:
    """Microseconds per call for each of `which`, the best of `rounds` rounds of `calls` calls (the
    rounds interleaved, so that a busy machine slows every variant alike)."""
    handler = _echo_handler()
    request = pb.ConvertRequest(payload=b"x" * 1000).SerializeToString()

    async def one(stack: tuple) -> None:
        found = await _run_interceptor(iter(stack), lambda details: handler, _Details(METHOD, METADATA))
        message = found.request_deserializer(request)
        context = _Context()
        found.response_serializer(await found.unary_unary(message, context))
        context.sent = True
        for callback in context.callbacks:
            callback()

    stacks = {name: interceptors(name) for name in which}
    best = dict.fromkeys(which, float("inf"))
    for _ in range(min(calls, 2000)):  # warm up (plans, metric children)
        for stack in stacks.values():
            await asyncio.create_task(one(stack))
    for _ in range(rounds):
        for name, stack in stacks.items():
            started = time.perf_counter()
            for _ in range(calls):
                await asyncio.create_task(one(stack))
            best[name] = min(best[name], (time.perf_counter() - started) / calls * 1e6)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", nargs="*", help="none, all, or comma-separated layer names (default: a table)")
    parser.add_argument("--calls", type=int, default=5000)
    args = parser.parse_args()
    from convsvc.server import logs

    logs.configure("json", "info")  # the access log line of every call, as the server writes it
    with tempfile.TemporaryFile("w") as sink:
        logging.getLogger().handlers[0].setStream(sink)
        which = args.which or ["none", "all", "RequestLog", "Metrics", "Auth", "RateLimit", "Deadline",
                               "Idempotency"]
        results = asyncio.run(measure(which, args.calls))
    base = results.get("none")
    for name, micros in results.items():
        extra = f"  (+{micros - base:.1f} over none)" if base is not None and name != "none" else ""
        print(f"{name:40s} {micros:8.1f} µs per call{extra}")


if __name__ == "__main__":
    main()
