"""The `convsvc` command: serve, convert (in process or against a server), formats, keys.

Exit codes: 0 converted, 1 refused (reasons on stderr), 2 usage error, 3 server unreachable.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
from collections.abc import Sequence

from convsvc.cli import schema as schema_cli
from convsvc.cli.call_options import add_call_options
from convsvc.corpus import cli as corpus_cli

# Only what building the parser needs is imported here: each command imports its own (the engine, one
# codec per format named, gRPC with --target, asyncio to serve), so `convsvc convert` starts quickly.

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
FORMAT_NAMES = ("json", "yaml", "avro", "protobuf", "xml")


class UsageError(Exception):
    """A bad command line: printed and exit 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="convsvc", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the gRPC server")
    serve.add_argument("--host", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 50051; 0 picks a free one)")
    serve.add_argument("--data-dir", help="directory for embedded stores (default ./data)")
    serve.add_argument("--config", help="TOML configuration file (see docs/operations.md; default $CONVSVC_CONFIG)")
    serve.add_argument("--grace", type=float, dest="grace_seconds",
                       help="seconds in-flight calls may take to finish after SIGTERM (default 10)")
    serve.add_argument("--metrics-port", type=int,
                       help="Prometheus /metrics port (default 9464; 0 turns the endpoint off)")
    serve.add_argument("--rest-port", type=int,
                       help="Confluent-compatible schema registry REST port (default 8081; 0 turns it off)")
    serve.add_argument("--registry-store", choices=("sqlite", "postgres"), help="schema registry store (default sqlite)")
    serve.add_argument("--registry-postgres-dsn", metavar="DSN", help="PostgreSQL DSN for --registry-store postgres")
    serve.add_argument("--workers", type=int,
                       help="processes sharing the port (default: one per core; 1 = this process alone)")

    convert = commands.add_parser("convert", help="convert stdin to stdout")
    convert.add_argument("--from", dest="source", required=True, choices=FORMAT_NAMES)
    convert.add_argument("--to", dest="target", required=True, choices=FORMAT_NAMES)
    convert.add_argument("--from-encoding", default="", help="source encoding (see `convsvc formats`)")
    convert.add_argument("--to-encoding", default="", help="target encoding (see `convsvc formats`)")
    convert.add_argument("--from-option", action="append", default=[], metavar="NAME=VALUE")
    convert.add_argument("--to-option", action="append", default=[], metavar="NAME=VALUE")
    for side in ("from", "to"):
        convert.add_argument(f"--{side}-schema", metavar="REF",
                             help="the schema: a file (.avsc, .proto, .json), id:N or subject:NAME[@VERSION]")
        convert.add_argument(f"--{side}-message", metavar="FULL.NAME", default="",
                             help="Protobuf: the message type, e.g. acme.v1.Order")
    convert.add_argument("--from-reader-schema", metavar="REF",
                         help="Avro: resolve the data to this schema (REF as for --from-schema)")
    convert.add_argument("--mode", choices=("fragile", "robust"), default="fragile")
    convert.add_argument("--max-changes", type=_count, metavar="N",
                         help="robust: refuse when more than N repairs, coercions and losses are needed")
    convert.add_argument("--target", dest="address", metavar="HOST:PORT",
                         help="call the Convert RPC of this server instead of converting in process")
    convert.add_argument("--report-json", metavar="FILE", help="write the report as JSON to FILE")
    add_call_options(convert.add_argument_group("with --target"))

    keys = commands.add_parser("keys", help="make API keys for the server's configuration")
    key_commands = keys.add_subparsers(dest="keys_command", required=True, metavar="KEYS_COMMAND")
    new_key = key_commands.add_parser("new", help="print a new random key and its [[auth.keys]] entry")
    new_key.add_argument("--name", required=True, help="who holds the key (the principal in logs)")
    new_key.add_argument("--scope", action="append", required=True, dest="scopes",
                         help="convert, registry:read, registry:write or admin (repeatable)")
    key_commands.add_parser("hash", help="print the sha256 entry of a key read from stdin")

    formats = commands.add_parser("formats", help="list formats and encodings")
    formats.add_argument("--json", action="store_true", help="print as JSON")

    repair = commands.add_parser("repair", help="repair broken JSON from stdin (ROBUST mode), every repair on stderr")
    repair.add_argument("--indent", action="store_true", help="two-space indentation")
    repair.add_argument("--report-json", metavar="FILE", help="write the report as JSON to FILE")
    repair.add_argument("--max-changes", type=_count, metavar="N", help="refuse when more than N repairs are needed")

    schema_cli.add_parser(commands)
    corpus_cli.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "serve":
            return _serve(args)
        if args.command == "convert":
            return _convert(args)
        if args.command == "keys":
            return _keys(args)
        if args.command == "schema":
            return schema_cli.run(args)
        if args.command == "repair":
            return _repair(args)
        if args.command == "corpus":
            return corpus_cli.run(args)
        return _formats(args)
    except UsageError as error:
        print(f"convsvc: {error}", file=sys.stderr)
        return EXIT_USAGE


def _serve_config(args: argparse.Namespace):
    """The server's configuration from the file, environment and flags: at start, and again on SIGHUP."""
    import os

    from convsvc.server.config import Config

    path = args.config or os.environ.get("CONVSVC_CONFIG") or None
    return Config.load(path, host=args.host, port=args.port, data_dir=args.data_dir,
                       grace_seconds=args.grace_seconds, workers=args.workers,
                       flags={"metrics.port": args.metrics_port, "registry.rest_port": args.rest_port,
                              "registry.store": args.registry_store,
                              "registry.postgres_dsn": args.registry_postgres_dsn})


def _serve(args: argparse.Namespace) -> int:
    import asyncio
    import importlib

    from convsvc.server import logs

    try:
        config = _serve_config(args)
        config.check_workers()
    except (OSError, ValueError) as error:
        raise UsageError(f"configuration: {error}") from None
    logs.configure(config.log.format, config.log.level)
    if config.worker_count > 1:
        from convsvc.server.workers import Supervisor

        # by its importable name, also when this module runs as __main__: workers unpickle it
        worker = importlib.import_module("convsvc.cli.main").serve_worker
        return Supervisor(config, args, worker).run()
    from convsvc.server.app import serve  # after logging: importing the server may log

    return asyncio.run(serve(config, reload=lambda: _serve_config(args)))


def serve_worker(args: argparse.Namespace, role) -> int:
    """One worker process of `serve --workers N` (started by the supervisor, `args.port` its port)."""
    import asyncio

    from convsvc.server import logs

    config = _serve_config(args)
    logs.set_worker(role.index)
    logs.configure(config.log.format, config.log.level)
    from convsvc.server.app import serve

    return asyncio.run(serve(config, reload=lambda: _serve_config(args), worker=role))


def _options(pairs: list[str]) -> dict[str, str]:
    options = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"option {pair!r} is not NAME=VALUE")
        options[name] = value
    return options


def _convert(args: argparse.Namespace) -> int:
    from convsvc.engine import FormatSpec
    from convsvc.model import Mode

    source = FormatSpec(args.source, args.from_encoding, _options(args.from_option), schema=_schema_ref(args.from_schema),
                        message_type=args.from_message, reader_schema=_schema_ref(args.from_reader_schema))
    target = FormatSpec(args.target, args.to_encoding, _options(args.to_option), schema=_schema_ref(args.to_schema),
                        message_type=args.to_message)
    mode = Mode(args.mode)
    payload = sys.stdin.buffer.read()
    if args.address:
        from convsvc.cli.call_options import call_options
        from convsvc.cli.remote import CallFailed, Unreachable, convert_remote

        try:
            code, output, issues = convert_remote(args.address, source, target, mode, payload, call_options(args),
                                                  args.max_changes)
        except (Unreachable, CallFailed) as error:  # not about the payload: the request id helps whoever runs it
            print(f"convsvc: {error}", file=sys.stderr)
            print(f"convsvc: request id: {error.request_id}", file=sys.stderr)
            if isinstance(error, Unreachable):
                return EXIT_UNREACHABLE
            code, output, issues = EXIT_REFUSED, b"", []
    else:
        code, output, issues = _convert_local(source, target, mode, payload, args.max_changes)
    return _finish(code, output, issues, args.report_json)


def _repair(args: argparse.Namespace) -> int:
    """JSON in, repaired JSON out: ROBUST JSON to JSON, every repair on stderr (docs/repair.md)."""
    from convsvc.engine import FormatSpec
    from convsvc.model import Mode

    target = FormatSpec("json", options={"indent": "2"} if args.indent else {})
    code, output, issues = _convert_local(FormatSpec("json"), target, Mode.ROBUST, sys.stdin.buffer.read(),
                                          args.max_changes)
    return _finish(code, output, issues, args.report_json)


def _finish(code: int, output: bytes, issues: list, report_json: str | None) -> int:
    """Issues on stderr (one line each), the report as JSON when asked, the output on success."""
    for issue in issues:
        print(f"convsvc: {issue.level.name.lower()}: {issue.describe()}", file=sys.stderr)
    if report_json:
        with open(report_json, "w", encoding="utf-8") as handle:
            json.dump({"converted": code == EXIT_OK, "issues": [issue.to_dict() for issue in issues]},
                      handle, indent=2)
    if code == EXIT_OK:
        sys.stdout.buffer.write(output)
        sys.stdout.buffer.flush()
    return code


_SCHEMA_FILE_TYPES = {".avsc": "avro", ".proto": "protobuf", ".json": "json"}


def _schema_ref(ref: str | None):
    """id:N, subject:NAME[@VERSION] or a schema file (its type from the extension, else the format's)."""
    from convsvc.engine import SchemaRef

    if ref is None:
        return None
    kind, _, rest = ref.partition(":")
    try:
        if kind == "id":
            return SchemaRef(id=int(rest))
        if kind == "subject":
            subject, _, version = rest.partition("@")
            return SchemaRef(subject=subject, version=0 if version in ("", "latest") else int(version))
    except ValueError:
        raise UsageError(f"schema reference {ref!r}: expected id:N or subject:NAME[@VERSION]") from None
    path = pathlib.Path(ref)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise UsageError(f"schema file {ref}: {error.strerror}") from None
    return SchemaRef(inline_text=text, inline_type=_SCHEMA_FILE_TYPES.get(path.suffix.lower(), ""))


def _count(text: str) -> int:
    """argparse type: a whole number >= 0."""
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return int(text)


def _convert_local(source, target, mode, payload: bytes, max_changes: int | None = None):
    from convsvc.engine import ConvertRequest, Engine
    from convsvc.model import ConversionError, InvalidRequest

    try:
        result = Engine().convert(ConvertRequest(source=source, target=target, payload=payload, mode=mode,
                                                 max_changes=max_changes))
    except InvalidRequest as error:
        return EXIT_USAGE, b"", list(error.issues)
    except ConversionError as error:
        return EXIT_REFUSED, b"", list(error.issues)
    return EXIT_OK, result.payload, list(result.report)


def _keys(args: argparse.Namespace) -> int:
    from convsvc.server.keys import ApiKey, digest, new_key

    if args.keys_command == "hash":
        key = sys.stdin.readline().strip()
        if not key:
            raise UsageError("no key on stdin")
        print(f'sha256 = "{digest(key)}"')
        return EXIT_OK
    key = new_key()
    try:
        ApiKey(name=args.name, sha256=digest(key), scopes=frozenset(args.scopes))
    except ValueError as error:
        raise UsageError(str(error)) from None
    scopes = ", ".join(f'"{scope}"' for scope in args.scopes)
    print(f"# the key, for the client only (it is not stored anywhere): {key}")
    print("[[auth.keys]]")
    print(f'name = "{args.name}"')
    print(f'sha256 = "{digest(key)}"')
    print(f"scopes = [{scopes}]")
    return EXIT_OK


def _formats(args: argparse.Namespace) -> int:
    from convsvc.engine import list_formats

    formats = list_formats()
    if args.json:
        print(json.dumps(formats, indent=2))
        return EXIT_OK
    for entry in formats:
        print(f"{entry['name']}: {entry['description']}")
        for enc in entry["encodings"]:
            flags = [flag for flag, on in (("default", enc["default"]), ("multi-document", enc["multi_document"]))
                     if on]
            suffix = f" [{', '.join(flags)}]" if flags else ""
            print(f"  {enc['name']}{suffix}: {enc['description']}")
            for option, meaning in enc["options"].items():
                print(f"    option {option}: {meaning}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
