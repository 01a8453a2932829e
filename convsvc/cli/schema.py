"""`convsvc schema ...`: the schema registry from the command line, over gRPC (--target).

    convsvc schema register --subject S [--type avro|protobuf|json] [--ref name=subject@version] FILE
    convsvc schema get (--id N | --subject S [--version V|latest])
    convsvc schema subjects | versions S | check --subject S FILE | delete --subject S [--version V]
    convsvc schema config [--subject S] [--level L] | mode [--subject S] [--mode M]
    convsvc schema export [-o FILE] | import FILE
    convsvc schema backup [--data-dir D | --db FILE] -o FILE   (a SQLite registry file, no server needed)

Human tables by default, `--json` for scripts. Exit codes: 0 done (check: compatible), 1 refused (check:
incompatible; reasons on stderr or in the JSON), 2 usage error, 3 server unreachable.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Sequence

from convsvc.cli.call_options import CallOptions, add_call_options, call_options

# gRPC is imported where a command calls a server: `convsvc` builds this parser on every run (convert too)
EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
DEFAULT_TARGET = "127.0.0.1:50051"


class Unreachable(Exception):
    """The server did not answer."""


class Refused(Exception):
    """The server refused: `reason` and `error_code` from its ErrorInfo, `details` the rest."""

    def __init__(self, error: grpc.RpcError, request_id: str = "") -> None:
        from google.rpc import error_details_pb2
        from grpc_status import rpc_status

        self.request_id = request_id
        self.code = error.code()
        self.message = error.details() or self.code.name
        self.reason, self.error_code, self.violations = self.code.name, None, []
        status = rpc_status.from_call(error)
        for detail in status.details if status else ():
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                self.reason, self.error_code = info.reason, info.metadata.get("error_code")
            elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                self.violations += [f"{v.field}: {v.description}" for v in bad.field_violations]
            elif detail.Is(error_details_pb2.PreconditionFailure.DESCRIPTOR):
                failure = error_details_pb2.PreconditionFailure()
                detail.Unpack(failure)
                self.violations += [f"{v.type} at {v.subject}: {v.description}" for v in failure.violations]
        super().__init__(self.message)

    def to_dict(self) -> dict:
        return {"error": self.reason, "error_code": self.error_code, "status": self.code.name,
                "message": self.message, "details": self.violations}


class RemoteRegistry:
    """The Registry methods export/import need, over SchemaRegistryService (errors become Refused)."""

    def __init__(self, target: str, options: CallOptions) -> None:
        import grpc

        from convsvc.v1 import registry_pb2_grpc

        self._channel = grpc.insecure_channel(target)
        self._stub = registry_pb2_grpc.SchemaRegistryServiceStub(self._channel)
        self._options = options
        self.target = target

    def close(self) -> None:
        self._channel.close()

    def call(self, name: str, request):
        import grpc

        from convsvc.cli.remote import request_id_of

        options = self._options
        try:
            return getattr(self._stub, name)(request, timeout=options.deadline, metadata=options.metadata())
        except grpc.RpcError as error:
            request_id = request_id_of(error, options)
            if error.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                raise Unreachable(f"{self.target}: {error.code().name}: {error.details()}\n"
                                  f"convsvc: request id: {request_id}") from None
            raise Refused(error, request_id) from None

    # -- the Registry-shaped methods (used by convsvc.registry.transfer) -------------------------------
    def subjects(self, prefix: str = "", include_deleted: bool = False) -> list[str]:
        from convsvc.v1 import registry_pb2 as pb

        return list(self.call("ListSubjects", pb.ListSubjectsRequest(prefix=prefix,
                                                                     include_deleted=include_deleted)).subjects)

    def versions(self, subject: str, include_deleted: bool = False) -> list[int]:
        from convsvc.v1 import registry_pb2 as pb

        return list(self.call("ListVersions", pb.ListVersionsRequest(subject=subject,
                                                                     include_deleted=include_deleted)).versions)

    def schema_by_subject(self, subject: str, version: int, include_deleted: bool = False):
        from convsvc.registry import StoredSchema, SubjectVersion
        from convsvc.server.registry_service import schema_from_proto
        from convsvc.v1 import registry_pb2 as pb

        found = self.call("GetSchemaVersion", pb.GetSchemaVersionRequest(
            subject=subject, version=version, include_deleted=include_deleted)).schema
        schema = schema_from_proto(found.schema)
        return SubjectVersion(found.subject, found.version,
                              StoredSchema(found.id, schema.type, schema.text, schema.references), found.deleted)

    def settings(self) -> dict[str, dict[str, str]]:
        import grpc

        from convsvc.registry import Level, Mode
        from convsvc.server.registry_service import level_from_proto, mode_from_proto
        from convsvc.v1 import registry_pb2 as pb

        out: dict[str, dict[str, str]] = {"config": {}, "mode": {}}
        level = level_from_proto(self.call("GetCompatibility", pb.GetCompatibilityRequest()).level)
        mode = mode_from_proto(self.call("GetMode", pb.GetModeRequest()).mode)
        if level is not Level.BACKWARD:
            out["config"][""] = level.value
        if mode is not Mode.READWRITE:
            out["mode"][""] = mode.value
        for subject in self.subjects("", True):
            for table, rpc, request, convert in (
                    ("config", "GetCompatibility", pb.GetCompatibilityRequest(subject=subject),
                     lambda r: level_from_proto(r.level).value),
                    ("mode", "GetMode", pb.GetModeRequest(subject=subject), lambda r: mode_from_proto(r.mode).value)):
                try:
                    out[table][subject] = convert(self.call(rpc, request))
                except Refused as refused:
                    if refused.code != grpc.StatusCode.NOT_FOUND:
                        raise
        return out

    def register(self, subject: str, schema, normalize: bool = False, *, schema_id: int | None = None,
                 version: int | None = None):
        from convsvc.server.registry_service import schema_to_proto
        from convsvc.v1 import registry_pb2 as pb

        request = pb.RegisterSchemaRequest(subject=subject, schema=schema_to_proto(schema), normalize=normalize)
        if schema_id is not None:
            request.id = schema_id
        if version is not None:
            request.version = version
        return self.call("RegisterSchema", request).schema

    def delete_version(self, subject: str, version: int, permanent: bool = False) -> int:
        from convsvc.v1 import registry_pb2 as pb

        return self.call("DeleteSchemaVersion", pb.DeleteSchemaVersionRequest(
            subject=subject, version=version, permanent=permanent)).version

    def set_level(self, level, subject: str | None = None):
        from convsvc.registry import parse_level
        from convsvc.server.registry_service import level_to_proto
        from convsvc.v1 import registry_pb2 as pb

        return self.call("SetCompatibility", pb.SetCompatibilityRequest(
            subject=subject or "", level=level_to_proto(parse_level(level))))

    def set_mode(self, mode, subject: str | None = None, force: bool = False):
        from convsvc.registry import parse_mode
        from convsvc.server.registry_service import mode_to_proto
        from convsvc.v1 import registry_pb2 as pb

        return self.call("SetMode", pb.SetModeRequest(subject=subject or "", mode=mode_to_proto(parse_mode(mode)),
                                                      force=force))

    def delete_mode(self, subject: str | None = None):
        from convsvc.v1 import registry_pb2 as pb

        return self.call("DeleteMode", pb.DeleteModeRequest(subject=subject or ""))


# -- the command line ------------------------------------------------------------------------------------

def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target", default=DEFAULT_TARGET, metavar="HOST:PORT",
                        help=f"the convsvc server (default {DEFAULT_TARGET})")
    parser.add_argument("--json", action="store_true", help="print JSON for scripts instead of tables")
    add_call_options(parser)


def _schema_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--type", choices=("avro", "protobuf", "json"), default="avro",
                        help="schema type (default avro)")
    parser.add_argument("--ref", action="append", default=[], metavar="NAME=SUBJECT@VERSION",
                        help="a reference (repeatable)")
    parser.add_argument("--normalize", action="store_true", help="normalise before registering or comparing")
    parser.add_argument("file", help="the schema file ('-' = stdin)")


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add `schema` and its subcommands to the `convsvc` command's subparsers."""
    schema = subparsers.add_parser("schema", help="use the schema registry of a server",
                                   description=__doc__.splitlines()[0])
    commands = schema.add_subparsers(dest="schema_command", required=True, metavar="SUBCOMMAND")

    register = commands.add_parser("register", help="register a schema under a subject")
    register.add_argument("--subject", required=True)
    _schema_args(register)

    get = commands.add_parser("get", help="show a schema by id or by subject and version")
    which = get.add_mutually_exclusive_group(required=True)
    which.add_argument("--id", type=int)
    which.add_argument("--subject")
    get.add_argument("--version", default="latest", help="a version number or 'latest' (default)")
    get.add_argument("--deleted", action="store_true", help="include soft-deleted versions")

    subjects = commands.add_parser("subjects", help="list subjects")
    subjects.add_argument("--prefix", default="")
    subjects.add_argument("--deleted", action="store_true", help="include soft-deleted subjects")

    versions = commands.add_parser("versions", help="list the versions of a subject")
    versions.add_argument("subject")
    versions.add_argument("--deleted", action="store_true", help="include soft-deleted versions")

    check = commands.add_parser("check", help="check compatibility without registering (exit 1: incompatible)")
    check.add_argument("--subject", required=True)
    check.add_argument("--version", help="check against this version only (default: as a registration would)")
    _schema_args(check)

    delete = commands.add_parser("delete", help="soft-delete a version or subject (--permanent: for good)")
    delete.add_argument("--subject", required=True)
    delete.add_argument("--version", help="a version number or 'latest' (default: the whole subject)")
    delete.add_argument("--permanent", action="store_true", help="hard-delete what was soft-deleted")

    config = commands.add_parser("config", help="show or set a compatibility level")
    config.add_argument("--subject", help="a subject (default: the global level)")
    config.add_argument("--level", type=str.upper, choices=[
        "NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE"])

    mode = commands.add_parser("mode", help="show or set a registry mode")
    mode.add_argument("--subject", help="a subject (default: the global mode)")
    mode.add_argument("--mode", dest="set_mode", type=str.upper, choices=["READWRITE", "READONLY", "IMPORT"])
    mode.add_argument("--force", action="store_true", help="allow IMPORT while schemas exist")

    export = commands.add_parser("export", help="write every schema, level and mode as JSON Lines")
    export.add_argument("-o", "--output", default="-", help="file to write ('-' = stdout)")

    load = commands.add_parser("import", help="import an export (ids and versions kept; IMPORT mode)")
    load.add_argument("file", help="the export file ('-' = stdin)")
    load.add_argument("--force", action="store_true", help="import into a registry that holds schemas")

    for sub in (register, get, subjects, versions, check, delete, config, mode, export, load):
        _common(sub)

    backup = commands.add_parser("backup", help="copy a SQLite registry file, also while servers use it "
                                 "(SQLite's online backup; PostgreSQL: pg_dump, or export)")
    backup.add_argument("--data-dir", default="data", help="the server's data directory (default ./data)")
    backup.add_argument("--db", help="the registry file (default: DATA_DIR/registry.db)")
    backup.add_argument("-o", "--output", required=True, help="the backup file to write (must not exist)")
    backup.add_argument("--json", action="store_true", help="print JSON for scripts")
    return schema


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _schema_input(args: argparse.Namespace):
    from convsvc.registry import Reference, SchemaInput, SchemaType

    references = []
    for text in args.ref:
        name, sep, rest = text.partition("=")
        subject, at, version = rest.rpartition("@")
        if not sep or not at or not name or not subject or not version.isdigit():
            raise ValueError(f"--ref {text!r} is not NAME=SUBJECT@VERSION")
        references.append(Reference(name, subject, int(version)))
    return SchemaInput(text=_read(args.file), type=SchemaType.parse(args.type), references=tuple(references))


def _version(value: str | None) -> int:
    if value is None or value.lower() == "latest":
        return 0
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"--version {value!r} is not a version number or 'latest'")
    return int(value)


def _table(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(cell) for cell in row))
    Console(soft_wrap=True).print(table)


def _registered(message) -> dict:
    from convsvc.server.registry_service import schema_from_proto

    schema = schema_from_proto(message.schema)
    out = {"subject": message.subject, "version": message.version, "id": message.id,
           "schemaType": schema.type.value, "references": [ref.to_dict() for ref in schema.references],
           "schema": schema.text}
    if message.deleted:
        out["deleted"] = True
    return out


def run(args: argparse.Namespace) -> int:
    """Run a `convsvc schema` subcommand; returns the exit code."""
    if args.schema_command == "backup":
        return _backup(args)
    try:
        remote = RemoteRegistry(args.target, call_options(args))
    except ValueError as error:
        print(f"convsvc: {error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        return _COMMANDS[args.schema_command](remote, args)
    except ValueError as error:
        print(f"convsvc: {error}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:
        print(f"convsvc: {error}", file=sys.stderr)
        return EXIT_USAGE
    except Unreachable as error:
        print(f"convsvc: {error}", file=sys.stderr)
        return EXIT_UNREACHABLE
    except Refused as refused:
        import grpc

        if args.json:
            print(json.dumps(refused.to_dict(), indent=2))
        print(f"convsvc: {refused.reason}" + (f" ({refused.error_code})" if refused.error_code else "") +
              f": {refused.message}", file=sys.stderr)
        for line in refused.violations:
            print(f"  {line}", file=sys.stderr)
        print(f"convsvc: request id: {refused.request_id}", file=sys.stderr)
        return EXIT_USAGE if refused.code == grpc.StatusCode.INVALID_ARGUMENT and not refused.violations else EXIT_REFUSED
    finally:
        remote.close()


def _register(remote: RemoteRegistry, args) -> int:
    registered = _registered(remote.register(args.subject, _schema_input(args), args.normalize))
    if args.json:
        print(json.dumps(registered, indent=2))
    else:
        _table("registered", ("subject", "version", "id", "type"),
               [(registered["subject"], registered["version"], registered["id"], registered["schemaType"])])
    return EXIT_OK


def _get(remote: RemoteRegistry, args) -> int:
    from convsvc.v1 import registry_pb2 as pb

    if args.id is not None:
        response = remote.call("GetSchema", pb.GetSchemaRequest(id=args.id))
        from convsvc.server.registry_service import schema_from_proto

        schema = schema_from_proto(response.schema)
        out = {"id": response.id, "schemaType": schema.type.value,
               "references": [ref.to_dict() for ref in schema.references], "schema": schema.text}
    else:
        out = _registered(remote.call("GetSchemaVersion", pb.GetSchemaVersionRequest(
            subject=args.subject, version=_version(args.version), include_deleted=args.deleted)).schema)
    if args.json:
        print(json.dumps(out, indent=2))
        return EXIT_OK
    header = [(key, out[key]) for key in ("subject", "version", "id", "schemaType") if key in out]
    if out.get("references"):
        header.append(("references", ", ".join(f"{r['name']}={r['subject']}@{r['version']}"
                                                for r in out["references"])))
    if out.get("deleted"):
        header.append(("deleted", "yes (soft)"))
    _table("schema", ("field", "value"), header)
    print(out["schema"])
    return EXIT_OK


def _subjects(remote: RemoteRegistry, args) -> int:
    names = remote.subjects(args.prefix, args.deleted)
    if args.json:
        print(json.dumps(names))
    else:
        _table("subjects", ("subject",), [(name,) for name in names])
    return EXIT_OK


def _versions(remote: RemoteRegistry, args) -> int:
    numbers = remote.versions(args.subject, args.deleted)
    if args.json:
        print(json.dumps(numbers))
    else:
        _table(f"versions of {args.subject}", ("version",), [(number,) for number in numbers])
    return EXIT_OK


def _check(remote: RemoteRegistry, args) -> int:
    from convsvc.server.registry_service import level_from_proto, schema_to_proto
    from convsvc.v1 import registry_pb2 as pb

    response = remote.call("CheckCompatibility", pb.CheckCompatibilityRequest(
        subject=args.subject, schema=schema_to_proto(_schema_input(args)),
        version=_version(args.version) if args.version else 0, normalize=args.normalize))
    level = level_from_proto(response.level).value
    reasons = [{"code": r.code, "path": r.path, "message": r.message, "version": r.version}
               for r in response.reasons]
    if args.json:
        print(json.dumps({"compatible": response.compatible, "level": level, "reasons": reasons}, indent=2))
    elif response.compatible:
        print(f"compatible ({level})")
    else:
        print(f"incompatible ({level})", file=sys.stderr)
        _table("reasons", ("version", "code", "path", "message"),
               [(r["version"], r["code"], r["path"], r["message"]) for r in reasons])
    return EXIT_OK if response.compatible else EXIT_REFUSED


def _delete(remote: RemoteRegistry, args) -> int:
    from convsvc.v1 import registry_pb2 as pb

    if args.version is not None:
        versions = [remote.delete_version(args.subject, _version(args.version), args.permanent)]
    else:
        versions = list(remote.call("DeleteSubject", pb.DeleteSubjectRequest(
            subject=args.subject, permanent=args.permanent)).versions)
    kind = "permanently" if args.permanent else "soft"
    if args.json:
        print(json.dumps({"subject": args.subject, "deleted": versions, "permanent": args.permanent}))
    else:
        _table(f"deleted ({kind})", ("subject", "versions"), [(args.subject, ", ".join(map(str, versions)))])
    return EXIT_OK


def _config(remote: RemoteRegistry, args) -> int:
    from convsvc.server.registry_service import level_from_proto
    from convsvc.v1 import registry_pb2 as pb

    if args.level:
        level = level_from_proto(remote.set_level(args.level, args.subject).level).value
    else:
        level = level_from_proto(remote.call("GetCompatibility", pb.GetCompatibilityRequest(
            subject=args.subject or "", default_to_global=True)).level).value
    if args.json:
        print(json.dumps({"subject": args.subject, "compatibility": level}))
    else:
        _table("compatibility", ("scope", "level"), [(args.subject or "(global)", level)])
    return EXIT_OK


def _mode(remote: RemoteRegistry, args) -> int:
    from convsvc.server.registry_service import mode_from_proto
    from convsvc.v1 import registry_pb2 as pb

    if args.set_mode:
        mode = mode_from_proto(remote.set_mode(args.set_mode, args.subject, args.force).mode).value
    else:
        mode = mode_from_proto(remote.call("GetMode", pb.GetModeRequest(
            subject=args.subject or "", default_to_global=True)).mode).value
    if args.json:
        print(json.dumps({"subject": args.subject, "mode": mode}))
    else:
        _table("mode", ("scope", "mode"), [(args.subject or "(global)", mode)])
    return EXIT_OK


def _export(remote: RemoteRegistry, args) -> int:
    from convsvc.registry.transfer import export_lines

    lines = list(export_lines(remote))
    text = "\n".join(lines) + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
        schemas = sum(1 for line in lines if '"type": "schema"' in line)
        print(f"exported {schemas} subject versions to {args.output}", file=sys.stderr)
    return EXIT_OK


def _import(remote: RemoteRegistry, args) -> int:
    from convsvc.registry.transfer import import_lines

    summary = import_lines(remote, _read(args.file).splitlines(), force=args.force)
    result = {"schemas": summary.schemas, "soft_deleted": summary.deleted, "settings": summary.settings}
    if args.json:
        print(json.dumps(result))
    else:
        _table("imported", ("subject versions", "soft-deleted", "levels and modes"),
               [(summary.schemas, summary.deleted, summary.settings)])
    return EXIT_OK


def _backup(args) -> int:
    """SQLite's online backup API: a consistent snapshot while servers keep reading and writing (WAL)."""
    import os
    import pathlib
    import sqlite3

    source = pathlib.Path(args.db) if args.db else pathlib.Path(args.data_dir) / "registry.db"
    target = pathlib.Path(args.output)
    if not source.is_file():
        print(f"convsvc: {source}: no such registry file", file=sys.stderr)
        return EXIT_USAGE
    if target.exists():
        print(f"convsvc: {target} exists; back up to a new file", file=sys.stderr)
        return EXIT_USAGE
    partial = target.with_name(target.name + ".partial")
    try:
        with contextlib.closing(sqlite3.connect(source, timeout=30)) as src, \
                contextlib.closing(sqlite3.connect(partial)) as dst:
            src.backup(dst)  # every page in one step: one snapshot
            check = dst.execute("PRAGMA integrity_check").fetchone()[0]
            schemas = dst.execute("SELECT COUNT(*) FROM registry_schemas").fetchone()[0]
            versions = dst.execute("SELECT COUNT(*) FROM registry_versions").fetchone()[0]
        if check != "ok":
            raise sqlite3.DatabaseError(f"the copy failed its integrity check: {check}")
        os.replace(partial, target)
    except sqlite3.Error as error:
        partial.unlink(missing_ok=True)
        print(f"convsvc: {source}: {error}", file=sys.stderr)
        return EXIT_REFUSED
    if args.json:
        print(json.dumps({"source": str(source), "backup": str(target), "schemas": schemas,
                          "subject_versions": versions}))
    else:
        print(f"backed up {schemas} schemas ({versions} subject versions) from {source} to {target}")
    return EXIT_OK


_COMMANDS = {"register": _register, "get": _get, "subjects": _subjects, "versions": _versions, "check": _check,
             "delete": _delete, "config": _config, "mode": _mode, "export": _export, "import": _import}


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m convsvc.cli.schema ...` until `convsvc schema` is wired into convsvc/cli/main.py."""
    parser = argparse.ArgumentParser(prog="convsvc")
    add_parser(parser.add_subparsers(dest="command", required=True))
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
