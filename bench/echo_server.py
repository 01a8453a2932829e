"""The baseline server: a trivial grpc.aio unary echo of ConversionService/Convert (the payload comes
back unchanged, no interceptors, no engine), in the same process model as `convsvc serve --workers N`:
N processes sharing one port with SO_REUSEPORT, the same message size limits. With --layers it
also runs convsvc's interceptor stack and access log (an intermediate baseline: where the time goes).

    python bench/echo_server.py --workers 2      # prints: echo listening on 127.0.0.1:PORT (2 workers: pids A, B)

SIGTERM or SIGINT stops it and its workers.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import pathlib

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

LIMIT = 64 * 1024 * 1024 + 64 * 1024  # convsvc's default receive/send limits


def convsvc_layers() -> list:
    """convsvc's own interceptor stack (request log, metrics, auth, rate limit, deadline, idempotency)
    with its default configuration, for the echo-with-layers baseline."""
    from convsvc.server.app import Live, interceptors
    from convsvc.server.config import Config
    from convsvc.server.idempotency import open_store
    from convsvc.server.interceptors import MethodPolicies, MethodPolicy
    from convsvc.server.keys import CONVERT

    config = Config()
    store = open_store("memory", path=config.idempotency_path, redis_url="", redis_prefix="",
                       timeout_seconds=1.0, breaker_failures=5, breaker_reset_seconds=10.0)
    policies = MethodPolicies({"/convsvc.v1.ConversionService/Convert": MethodPolicy(CONVERT)})
    return interceptors(config, Live(config), policies, store)


async def child(host: str, port: int, layers: bool) -> None:
    import grpc

    from convsvc.v1 import conversion_pb2 as pb
    from convsvc.v1 import conversion_pb2_grpc

    class Echo(conversion_pb2_grpc.ConversionServiceServicer):
        async def Convert(self, request, context):
            return pb.ConvertResponse(payload=request.payload)

    if layers:
        from convsvc.server import logs

        logs.configure("json", "info")  # the access log line per call, as the real server writes it
    server = grpc.aio.server(interceptors=convsvc_layers() if layers else None, options=[("grpc.max_receive_message_length", LIMIT),
                                      ("grpc.max_send_message_length", LIMIT), ("grpc.so_reuseport", 1)])
    conversion_pb2_grpc.add_ConversionServiceServicer_to_server(Echo(), server)
    server.add_insecure_port(f"{host}:{port}")
    await server.start()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    print(f"ready {os.getpid()}", flush=True)
    await stop.wait()
    await server.stop(1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--layers", action="store_true",
                        help="with convsvc's interceptor stack and access log (where the time goes)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(child(args.host, args.port, args.layers))
        return 0
    from convsvc.server.workers import reserve_port

    holder = reserve_port(args.host, args.port)
    port = holder.getsockname()[1]
    env = dict(os.environ)
    metrics_dir = None
    if args.layers and args.workers > 1:  # metrics in multiprocess mode, as `convsvc serve --workers N` has them
        import tempfile

        metrics_dir = tempfile.mkdtemp(prefix="echo-metrics-")
        env["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    command = [sys.executable, __file__, "--child", "--host", args.host, "--port", str(port)]
    children = [subprocess.Popen([*command, *(["--layers"] if args.layers else [])], stdout=subprocess.PIPE,
                                 text=True, env=env) for _ in range(args.workers)]
    stopping = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda number, _: stopping.append(number))
    pids = []
    for process in children:
        line = process.stdout.readline()
        if not line.startswith("ready "):
            for other in children:
                other.kill()
            print("echo: a worker did not start", file=sys.stderr)
            return 1
        pids.append(int(line.split()[1]))
    print(f"echo listening on {args.host}:{port} ({args.workers} workers: pids {', '.join(map(str, pids))})",
          flush=True)
    while not stopping and all(process.poll() is None for process in children):
        try:
            children[0].wait(0.5)
        except subprocess.TimeoutExpired:
            pass
    for process in children:
        if process.poll() is None:
            process.terminate()
    for process in children:
        process.wait(20)
    holder.close()
    if metrics_dir:
        import shutil

        shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
