"""What one call costs the shared stores, measured: the figures behind docs/operations.md's plan for
100 replicas. Starts `convsvc serve --workers 1` against PostgreSQL (a database of its own, dropped at
the end) and Redis (a key prefix of its own), runs each kind of call N times, and prints per call:
PostgreSQL transactions (pg_stat_database of that database, read after the server's connections
close, when PostgreSQL has flushed their counters) and Redis commands (MONITOR, this prefix only);
then calls per second of one process with a local client, which shares the machine's cores, with
PostgreSQL on loopback and again behind a proxy that delays it by --pg-delay-ms (a network hop).

    eval "$(scripts/services.sh env)"
    .venv/bin/python deploy/store_load.py [--calls 400] [--seconds 5] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pathlib
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from urllib.parse import urlsplit, urlunsplit

import grpc
import psycopg
import redis

ROOT = pathlib.Path(__file__).resolve().parents[1]
POINT = json.dumps({"type": "record", "name": "Point", "fields": [{"name": "x", "type": "long"},
                                                                  {"name": "y", "type": "long"}]})


class Server:
    def __init__(self, workdir: pathlib.Path, config: pathlib.Path) -> None:
        self.log_path = workdir / f"server-{secrets.token_hex(3)}.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "convsvc.cli.main", "serve", "--port", "0", "--workers", "1",
                 "--metrics-port", "0", "--rest-port", "0", "--data-dir", str(workdir / "data"),
                 "--config", str(config)], stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        deadline = time.monotonic() + 30
        while not (match := re.search(r"listening on (\S+:\d+)", self.log_path.read_text())):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server did not start:\n{self.log_path.read_text()}")
            time.sleep(0.05)
        self.address = match.group(1)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


def transactions(dsn: str) -> int:
    with psycopg.connect(dsn, autocommit=True) as connection:
        row = connection.execute("SELECT xact_commit + xact_rollback FROM pg_stat_database "
                                 "WHERE datname = current_database()").fetchone()
    return int(row[0])


class RedisCounter:
    """Counts the commands Redis receives that name this prefix: MONITOR on a plain socket, read by a
    thread (each monitored command is one line)."""

    def __init__(self, url: str, prefix: str) -> None:
        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port or 6379))
        self.sock.sendall(b"MONITOR\r\n")
        self.file = self.sock.makefile("rb")
        if self.file.readline().strip() != b"+OK":
            raise SystemExit("Redis refused MONITOR")
        self.prefix = prefix.encode()
        self.count = 0  # commands from clients: round trips
        self.scripted = 0  # commands the server's Lua scripts ran for them
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        try:
            for line in self.file:
                if self.prefix in line:
                    if b" lua] " in line:
                        self.scripted += 1
                    else:
                        self.count += 1
        except (OSError, ValueError):  # closed: done
            return

    def settle(self) -> tuple[int, int]:
        """The counts once the lines of calls already answered have arrived."""
        time.sleep(0.3)
        return self.count, self.scripted

    def close(self) -> None:
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


class DelayProxy:
    """A TCP proxy on loopback that holds each chunk the client sends for `delay` seconds before passing
    it on: PostgreSQL as if it were a network hop away."""

    def __init__(self, host: str, port: int, delay: float) -> None:
        self.upstream, self.delay = (host, port), delay
        self.loop = asyncio.new_event_loop()
        started = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            server = self.loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", 0))
            self.port = server.sockets[0].getsockname()[1]
            started.set()
            self.loop.run_forever()

        threading.Thread(target=run, daemon=True).start()
        started.wait(5)

    async def _client(self, reader, writer) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)

        async def pipe(source, target, delay: float) -> None:
            try:
                while data := await source.read(65536):
                    if delay:
                        await asyncio.sleep(delay)
                    target.write(data)
                    await target.drain()
            finally:
                target.close()

        await asyncio.gather(pipe(reader, up_writer, self.delay), pipe(up_reader, writer, 0.0),
                             return_exceptions=True)


def requests(pb, kind: str, schema_id: int):
    json_side = pb.FormatSpec(format=pb.FORMAT_JSON)
    payload = b'{"x": 1, "y": -1}'
    if kind == "no schema (JSON to YAML)":
        return pb.ConvertRequest(source=json_side, target=pb.FormatSpec(format=pb.FORMAT_YAML), payload=payload)
    if kind == "schema by id (JSON to Avro)":
        ref = pb.SchemaRef(id=schema_id)
    elif kind == "schema by subject, latest (JSON to Avro)":
        ref = pb.SchemaRef(subject=pb.SubjectVersion(subject="point"))
    else:
        raise ValueError(kind)
    return pb.ConvertRequest(source=json_side, target=pb.FormatSpec(format=pb.FORMAT_AVRO, schema=ref),
                             payload=payload)


async def drive(address: str, make, calls: int, concurrency: int, metadata=None) -> None:
    from convsvc.v1 import conversion_pb2_grpc, registry_pb2_grpc

    async with grpc.aio.insecure_channel(address) as channel:
        stubs = {"convert": conversion_pb2_grpc.ConversionServiceStub(channel).Convert,
                 "register": registry_pb2_grpc.SchemaRegistryServiceStub(channel).RegisterSchema}
        queue = list(range(calls))

        async def worker():
            while queue:
                n = queue.pop()
                method, request = make(n)
                await stubs[method](request, timeout=30, metadata=metadata(n) if metadata else None)

        await asyncio.gather(*(worker() for _ in range(concurrency)))


async def rate(address: str, make, seconds: float, concurrency: int) -> float:
    from convsvc.v1 import conversion_pb2_grpc

    async with grpc.aio.insecure_channel(address) as channel:
        convert = conversion_pb2_grpc.ConversionServiceStub(channel).Convert
        done = 0
        stop = time.monotonic() + seconds

        async def worker():
            nonlocal done
            while time.monotonic() < stop:
                await convert(make(), timeout=30)
                done += 1

        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return done / (time.monotonic() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--pg-delay-ms", type=float, default=1.0,
                        help="then measure again with PostgreSQL this far away (one way); 0: skip")
    args = parser.parse_args()
    admin, redis_url = os.environ.get("CONVSVC_TEST_POSTGRES_DSN"), os.environ.get("CONVSVC_TEST_REDIS_URL")
    if not admin or not redis_url:
        raise SystemExit('needs CONVSVC_TEST_POSTGRES_DSN and CONVSVC_TEST_REDIS_URL: eval "$(scripts/services.sh env)"')
    from convsvc.v1 import conversion_pb2 as pb, registry_pb2 as rpb

    name = f"convsvc_store_load_{secrets.token_hex(4)}"
    dsn = urlunsplit(urlsplit(admin)._replace(path=f"/{name}"))
    prefix = f"convsvc-store-load:{secrets.token_hex(4)}:"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="convsvc-store-load-"))
    config = workdir / "convsvc.toml"
    config.write_text(f'[registry]\nstore = "postgres"\npostgres_dsn = "{dsn}"\n\n'
                      f'[idempotency]\nstore = "redis"\nredis_url = "{redis_url}"\nredis_prefix = "{prefix}"\n')
    counter = RedisCounter(redis_url, prefix)
    try:
        # what starting and stopping a server costs (its DDL, its pool): subtracted from each phase
        before = transactions(dsn)
        Server(workdir, config).stop()
        time.sleep(0.5)
        first = transactions(dsn) - before
        before = transactions(dsn)
        Server(workdir, config).stop()
        time.sleep(0.5)
        startup = transactions(dsn) - before
        print(f"server start + stop: {startup} PostgreSQL transactions (the first one, creating the tables: {first})")

        def phase(label: str, make, calls: int, metadata=None, replay: bool = False) -> None:
            if replay:  # store the outcomes first; the counted run replays them
                server = Server(workdir, config)
                asyncio.run(drive(server.address, make, calls, args.concurrency, metadata))
                server.stop()
            before_tx, before_redis = transactions(dsn), counter.settle()
            server = Server(workdir, config)
            asyncio.run(drive(server.address, make, calls, args.concurrency, metadata))
            server.stop()  # its backends exit and flush their statistics
            time.sleep(0.5)
            tx = max(0, transactions(dsn) - before_tx - startup)  # a start varies by a transaction or two
            trips, scripted = (after - before for after, before in zip(counter.settle(), before_redis))
            print(f"{label:53} {tx / calls:4.2f} PostgreSQL transactions, {trips / calls:4.2f} Redis round trips "
                  f"({scripted / calls:4.2f} commands in scripts) per call")

        setup = Server(workdir, config)
        with grpc.insecure_channel(setup.address) as channel:
            from convsvc.v1 import registry_pb2_grpc

            registered = registry_pb2_grpc.SchemaRegistryServiceStub(channel).RegisterSchema(rpb.RegisterSchemaRequest(
                subject="point", schema=rpb.Schema(type=pb.SCHEMA_TYPE_AVRO, text=POINT)), timeout=30).schema
        setup.stop()
        for kind in ("no schema (JSON to YAML)", "schema by id (JSON to Avro)",
                     "schema by subject, latest (JSON to Avro)"):
            phase(f"Convert, {kind}", lambda n, kind=kind: ("convert", requests(pb, kind, registered.id)), args.calls)
        phase("Convert, schema by id, idempotency key (first call)",
              lambda n: ("convert", requests(pb, "schema by id (JSON to Avro)", registered.id)), args.calls,
              metadata=lambda n: [("idempotency-key", f"first-{n:08d}")])
        phase("Convert, schema by id, idempotency key (replayed)",
              lambda n: ("convert", requests(pb, "schema by id (JSON to Avro)", registered.id)), args.calls,
              metadata=lambda n: [("idempotency-key", f"again-{n:08d}")], replay=True)
        phase("RegisterSchema, already registered",
              lambda n: ("register", rpb.RegisterSchemaRequest(
                  subject="point", schema=rpb.Schema(type=pb.SCHEMA_TYPE_AVRO, text=POINT))), args.calls)

        def rates(label: str, config_file: pathlib.Path) -> None:
            server = Server(workdir, config_file)
            try:
                for kind in ("no schema (JSON to YAML)", "schema by id (JSON to Avro)"):
                    per_second = asyncio.run(rate(server.address, lambda kind=kind: requests(pb, kind, registered.id),
                                                  args.seconds, args.concurrency))
                    print(f"one process, {label}, {kind}: {per_second:.0f} calls/s")
            finally:
                server.stop()

        print(f"(rates: {args.concurrency} concurrent calls for {args.seconds:g} s from a client on the same "
              f"{os.cpu_count()} cores)")
        rates("PostgreSQL on loopback", config)
        if args.pg_delay_ms:
            parts = urlsplit(dsn)
            proxy = DelayProxy(parts.hostname, parts.port or 5432, args.pg_delay_ms / 1000)
            far = workdir / "far.toml"
            far.write_text(config.read_text().replace(parts.netloc, f"{parts.username}@127.0.0.1:{proxy.port}"))
            rates(f"PostgreSQL {args.pg_delay_ms:g} ms away", far)
    finally:
        counter.close()
        shutil.rmtree(workdir, ignore_errors=True)
        client = redis.Redis.from_url(redis_url)
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
