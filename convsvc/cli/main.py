"""The `convsvc` command: serve, convert (in process or against a server), formats.

Exit codes: 0 converted, 1 refused (reasons on stderr), 2 usage error, 3 server unreachable.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence

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
    serve.add_argument("--config", help="TOML file with [server] and [limits] tables")
    serve.add_argument("--grace", type=float, dest="grace_seconds",
                       help="seconds in-flight calls may take to finish after SIGTERM (default 10)")

    convert = commands.add_parser("convert", help="convert stdin to stdout")
    convert.add_argument("--from", dest="source", required=True, choices=FORMAT_NAMES)
    convert.add_argument("--to", dest="target", required=True, choices=FORMAT_NAMES)
    convert.add_argument("--from-encoding", default="", help="source encoding (see `convsvc formats`)")
    convert.add_argument("--to-encoding", default="", help="target encoding (see `convsvc formats`)")
    convert.add_argument("--from-option", action="append", default=[], metavar="NAME=VALUE")
    convert.add_argument("--to-option", action="append", default=[], metavar="NAME=VALUE")
    convert.add_argument("--mode", choices=("fragile", "robust"), default="fragile")
    convert.add_argument("--target", dest="address", metavar="HOST:PORT",
                         help="call the Convert RPC of this server instead of converting in process")
    convert.add_argument("--timeout", type=float, default=30.0, help="RPC deadline in seconds (with --target)")
    convert.add_argument("--report-json", metavar="FILE", help="write the report as JSON to FILE")

    formats = commands.add_parser("formats", help="list formats and encodings")
    formats.add_argument("--json", action="store_true", help="print as JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "serve":
            return _serve(args)
        if args.command == "convert":
            return _convert(args)
        return _formats(args)
    except UsageError as error:
        print(f"convsvc: {error}", file=sys.stderr)
        return EXIT_USAGE


def _serve(args: argparse.Namespace) -> int:
    from convsvc.server.app import serve
    from convsvc.server.config import Config

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = Config.load(args.config, host=args.host, port=args.port, data_dir=args.data_dir,
                             grace_seconds=args.grace_seconds)
    except (OSError, ValueError) as error:
        raise UsageError(str(error)) from None
    return asyncio.run(serve(config))


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

    source = FormatSpec(args.source, args.from_encoding, _options(args.from_option))
    target = FormatSpec(args.target, args.to_encoding, _options(args.to_option))
    mode = Mode(args.mode)
    payload = sys.stdin.buffer.read()
    if args.address:
        from convsvc.cli.remote import Unreachable, convert_remote

        try:
            code, output, issues = convert_remote(args.address, source, target, mode, payload, args.timeout)
        except Unreachable as error:
            print(f"convsvc: {error}", file=sys.stderr)
            return EXIT_UNREACHABLE
    else:
        code, output, issues = _convert_local(source, target, mode, payload)
    for issue in issues:
        print(f"convsvc: {issue.level.name.lower()}: {issue.describe()}", file=sys.stderr)
    if args.report_json:
        with open(args.report_json, "w", encoding="utf-8") as handle:
            json.dump({"converted": code == EXIT_OK, "issues": [issue.to_dict() for issue in issues]},
                      handle, indent=2)
    if code == EXIT_OK:
        sys.stdout.buffer.write(output)
        sys.stdout.buffer.flush()
    return code


def _convert_local(source, target, mode, payload: bytes):
    from convsvc.engine import ConvertRequest, Engine
    from convsvc.model import ConversionError, InvalidRequest

    try:
        result = Engine().convert(ConvertRequest(source=source, target=target, payload=payload, mode=mode))
    except InvalidRequest as error:
        return EXIT_USAGE, b"", list(error.issues)
    except ConversionError as error:
        return EXIT_REFUSED, b"", list(error.issues)
    return EXIT_OK, result.payload, list(result.report)


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
