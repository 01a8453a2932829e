"""The REST routes: one handler per Confluent endpoint, each a thin adapter onto Registry.

Every route that operates on the registry names its operation (ROUTES), counted with its outcome in
convsvc_registry_operations_total under the same op names as the gRPC API's (registry_service.OPERATIONS).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import Callable

from aiohttp import web

from convsvc.server import metrics
from convsvc.server.keys import REGISTRY_READ, REGISTRY_WRITE, KeyTable, PermissionDenied, Unauthenticated, presented_key
from convsvc.server.registry_service import OK, outcome_of

from convsvc.registry import (
    Level, Reference, Registry, RegistryError, SchemaInput, SchemaType, StoredSchema, errors, parse_level,
    parse_mode, parse_type, parse_version,
)

log = logging.getLogger("convsvc.rest")

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
_REGISTRY = web.AppKey("registry", Registry)


def _json(value: object, status: int = 200) -> web.Response:
    return web.Response(body=json.dumps(value, ensure_ascii=False), status=status, content_type=CONTENT_TYPE,
                        charset="utf-8")


def _error(status: int, error_code: int, message: str) -> web.Response:
    return _json({"error_code": error_code, "message": message}, status)


def _flag(request: web.Request, name: str) -> bool:
    return request.query.get(name, "false").strip().lower() == "true"


async def _run(function: Callable, *args, **kwargs):
    """Registry calls block (database, protoc): keep them off the event loop."""
    return await asyncio.to_thread(function, *args, **kwargs)


@web.middleware
async def _errors(request: web.Request, handler):
    """RegistryError -> Confluent's error body; anything unexpected -> 500 with error_code 50001."""
    try:
        return await handler(request)
    except RegistryError as error:
        return _error(error.http_status, error.error_code, _message(error))
    except web.HTTPException as error:
        if error.status >= 400:
            return _error(error.status, error.status, f"HTTP {error.status} {error.reason}")
        raise
    except Exception:
        log.exception("REST %s %s failed", request.method, request.path)
        return _error(500, 50001, "Internal server error")


def _message(error: RegistryError) -> str:
    if isinstance(error, errors.IncompatibleSchema):
        details = [_verbose(reason) for reason in error.reasons]
        return (f"Schema being registered is incompatible with an earlier schema for subject "
                f"\"{error.facts.get('subject', '')}\", details: [{', '.join(details)}]")
    return error.message


def _verbose(reason) -> str:
    """One reason in Confluent's verbose style."""
    text = f"{{errorType:'{reason.code}', description:'{reason.message}'"
    if reason.old_version is not None:
        text += f", oldSchemaVersion:{reason.old_version}"
    return text + "}"


async def _body(request: web.Request) -> dict:
    try:
        body = json.loads(await request.text())  # any JSON content type: Confluent's clients vary
    except ValueError as error:
        raise errors.InvalidRequest(f"the request body is not JSON: {error}") from None
    if not isinstance(body, dict):
        raise errors.InvalidRequest("the request body must be a JSON object")
    return body


def _schema_input(body: dict) -> SchemaInput:
    text = body.get("schema")
    if not isinstance(text, str):
        raise errors.InvalidSchema("the body has no \"schema\" string", path="schema")
    if body.get("metadata") or body.get("ruleSet"):
        raise errors.InvalidSchema("data contracts (metadata, ruleSet) are not supported by this registry",
                                   path="metadata")
    references = []
    for index, ref in enumerate(body.get("references") or []):
        try:
            references.append(Reference(str(ref["name"]), str(ref["subject"]), int(ref["version"])))
        except (KeyError, TypeError, ValueError):
            raise errors.InvalidSchema(f"reference {index} needs name, subject and version",
                                       path=f"references/{index}") from None
    return SchemaInput(text=text, type=parse_type(body.get("schemaType")), references=tuple(references))


def _schema_body(schema: StoredSchema, text: str | None = None) -> dict:
    out: dict = {}
    if schema.type is not SchemaType.AVRO:
        out["schemaType"] = schema.type.value
    if schema.references:
        out["references"] = [ref.to_dict() for ref in schema.references]
    out["schema"] = schema.text if text is None else text
    return out


def _format(registry: Registry, schema: StoredSchema, request: web.Request) -> str:
    """`format=serialized`: Protobuf as base64 FileDescriptorProto (what Confluent's deserializers ask for)."""
    if request.query.get("format") == "serialized" and schema.type is SchemaType.PROTOBUF:
        return registry.compiled(schema.id).value.serialized()
    return schema.text


def _id(request: web.Request) -> int:
    try:
        return int(request.match_info["id"])
    except ValueError:
        raise errors.SchemaNotFound(f"Schema {request.match_info['id']} not found") from None


# -- handlers ----------------------------------------------------------------------------------------

async def root(request: web.Request) -> web.Response:
    return _json({})


async def schema_types(request: web.Request) -> web.Response:
    return _json(Registry.schema_types())


async def schema_by_id(request: web.Request) -> web.Response:
    registry = request.app[_REGISTRY]

    def get():
        schema = registry.schema_by_id(_id(request))
        return _schema_body(schema, _format(registry, schema, request))

    return _json(await _run(get))


async def schema_text_by_id(request: web.Request) -> web.Response:
    registry = request.app[_REGISTRY]
    schema = await _run(registry.schema_by_id, _id(request))
    return web.Response(text=schema.text, content_type=CONTENT_TYPE)


async def subjects_of_id(request: web.Request) -> web.Response:
    usages = await _run(request.app[_REGISTRY].schema_usages, _id(request), _flag(request, "deleted"))
    return _json(sorted({subject for subject, _ in usages}))


async def versions_of_id(request: web.Request) -> web.Response:
    usages = await _run(request.app[_REGISTRY].schema_usages, _id(request), _flag(request, "deleted"))
    return _json([{"subject": subject, "version": version} for subject, version in usages])


async def list_subjects(request: web.Request) -> web.Response:
    return _json(await _run(request.app[_REGISTRY].subjects, request.query.get("subjectPrefix", ""),
                            _flag(request, "deleted")))


async def list_versions(request: web.Request) -> web.Response:
    return _json(await _run(request.app[_REGISTRY].versions, request.match_info["subject"],
                            _flag(request, "deleted")))


async def register(request: web.Request) -> web.Response:
    body = await _body(request)
    schema = _schema_input(body)
    schema_id = body.get("id")
    version = body.get("version")
    registered = await _run(request.app[_REGISTRY].register, request.match_info["subject"], schema,
                            _flag(request, "normalize"),
                            schema_id=int(schema_id) if schema_id not in (None, -1, 0) else None,
                            version=int(version) if version not in (None, -1, 0) else None)
    return _json({"id": registered.id})


async def get_version(request: web.Request) -> web.Response:
    registry = request.app[_REGISTRY]

    def get():
        found = registry.schema_by_subject(request.match_info["subject"], request.match_info["version"],
                                           _flag(request, "deleted"))
        return {"subject": found.subject, "version": found.version, "id": found.id,
                **_schema_body(found.schema, _format(registry, found.schema, request))}

    return _json(await _run(get))


async def get_version_text(request: web.Request) -> web.Response:
    found = await _run(request.app[_REGISTRY].schema_by_subject, request.match_info["subject"],
                       request.match_info["version"], _flag(request, "deleted"))
    return web.Response(text=found.schema.text, content_type=CONTENT_TYPE)


async def referenced_by(request: web.Request) -> web.Response:
    return _json(await _run(request.app[_REGISTRY].referenced_by, request.match_info["subject"],
                            request.match_info["version"]))


async def delete_version(request: web.Request) -> web.Response:
    return _json(await _run(request.app[_REGISTRY].delete_version, request.match_info["subject"],
                            request.match_info["version"], _flag(request, "permanent")))


async def lookup(request: web.Request) -> web.Response:
    schema = _schema_input(await _body(request))
    found = await _run(request.app[_REGISTRY].lookup, request.match_info["subject"], schema,
                       _flag(request, "normalize"), _flag(request, "deleted"))
    return _json(found.to_dict())


async def delete_subject(request: web.Request) -> web.Response:
    return _json(await _run(request.app[_REGISTRY].delete_subject, request.match_info["subject"],
                            _flag(request, "permanent")))


async def compatibility(request: web.Request) -> web.Response:
    registry = request.app[_REGISTRY]
    schema = _schema_input(await _body(request))
    version = request.match_info.get("version")
    if version is not None:
        parse_version(version)  # 42202 before anything else, as Confluent does
    level, reasons = await _run(registry.check, request.match_info["subject"], schema, version,
                                _flag(request, "normalize"))
    out: dict = {"is_compatible": not reasons}
    if _flag(request, "verbose"):
        messages = [_verbose(reason) for reason in reasons]
        if reasons:
            messages.append(f"{{compatibility: '{level.value}'}}")
        out["messages"] = messages
    return _json(out)


async def get_config(request: web.Request) -> web.Response:
    subject = request.match_info.get("subject")
    level = await _run(request.app[_REGISTRY].get_level, subject, _flag(request, "defaultToGlobal"))
    return _json({"compatibilityLevel": level.value})


async def put_config(request: web.Request) -> web.Response:
    body = await _body(request)
    level = parse_level(body.get("compatibility") or body.get("compatibilityLevel") or "")
    level = await _run(request.app[_REGISTRY].set_level, level, request.match_info.get("subject"))
    return _json({"compatibility": level.value})


async def delete_config(request: web.Request) -> web.Response:
    level = await _run(request.app[_REGISTRY].delete_level, request.match_info.get("subject"))
    return _json({"compatibilityLevel": level.value})


async def get_mode(request: web.Request) -> web.Response:
    mode = await _run(request.app[_REGISTRY].get_mode, request.match_info.get("subject"),
                      _flag(request, "defaultToGlobal"))
    return _json({"mode": mode.value})


async def put_mode(request: web.Request) -> web.Response:
    body = await _body(request)
    mode = parse_mode(body.get("mode") or "")
    mode = await _run(request.app[_REGISTRY].set_mode, mode, request.match_info.get("subject"),
                      _flag(request, "force"))
    return _json({"mode": mode.value})


async def delete_mode(request: web.Request) -> web.Response:
    mode = await _run(request.app[_REGISTRY].delete_mode, request.match_info.get("subject"))
    return _json({"mode": mode.value})


async def contexts(request: web.Request) -> web.Response:
    return _json(["."])  # one (default) context: schema contexts are not supported


ROUTES = (  # (method, path, handler, operation counted or None): the whole API in one table
    ("GET", "/", root, None),
    ("GET", "/contexts", contexts, None),
    ("GET", "/schemas/types", schema_types, None),
    ("GET", "/schemas/ids/{id}", schema_by_id, "get_schema"),
    ("GET", "/schemas/ids/{id}/schema", schema_text_by_id, "get_schema"),
    ("GET", "/schemas/ids/{id}/subjects", subjects_of_id, "list_schema_versions"),
    ("GET", "/schemas/ids/{id}/versions", versions_of_id, "list_schema_versions"),
    ("GET", "/subjects", list_subjects, "list_subjects"),
    ("POST", "/subjects/{subject}", lookup, "lookup"),
    ("DELETE", "/subjects/{subject}", delete_subject, "delete_subject"),
    ("GET", "/subjects/{subject}/versions", list_versions, "list_versions"),
    ("POST", "/subjects/{subject}/versions", register, "register"),
    ("GET", "/subjects/{subject}/versions/{version}", get_version, "get_version"),
    ("DELETE", "/subjects/{subject}/versions/{version}", delete_version, "delete_version"),
    ("GET", "/subjects/{subject}/versions/{version}/schema", get_version_text, "get_version"),
    ("GET", "/subjects/{subject}/versions/{version}/referencedby", referenced_by, "referenced_by"),
    ("POST", "/compatibility/subjects/{subject}/versions", compatibility, "check_compatibility"),
    ("POST", "/compatibility/subjects/{subject}/versions/{version}", compatibility, "check_compatibility"),
    ("GET", "/config", get_config, "get_compatibility"),
    ("PUT", "/config", put_config, "set_compatibility"),
    ("DELETE", "/config", delete_config, "delete_compatibility"),
    ("GET", "/config/{subject}", get_config, "get_compatibility"),
    ("PUT", "/config/{subject}", put_config, "set_compatibility"),
    ("DELETE", "/config/{subject}", delete_config, "delete_compatibility"),
    ("GET", "/mode", get_mode, "get_mode"),
    ("PUT", "/mode", put_mode, "set_mode"),
    ("DELETE", "/mode", delete_mode, "delete_mode"),
    ("GET", "/mode/{subject}", get_mode, "get_mode"),
    ("PUT", "/mode/{subject}", put_mode, "set_mode"),
    ("DELETE", "/mode/{subject}", delete_mode, "delete_mode"),
)
_OPERATION = web.AppKey("operations", dict)  # route -> op, for _count


@web.middleware
async def _count(request: web.Request, handler):
    """convsvc_registry_operations_total for the route's operation: ok, or the outcome of the error
    (before _errors turns it into Confluent's body), whatever step of the handler raised it."""
    op = request.app[_OPERATION].get(request.match_info.route)
    if op is None:
        return await handler(request)
    try:
        response = await handler(request)
    except web.HTTPException as error:  # aiohttp's own refusals (a body over client_max_size...)
        metrics.record_registry_operation(op, _HTTP_OUTCOMES.get(error.status, "UNKNOWN"))
        raise
    except BaseException as error:
        metrics.record_registry_operation(op, outcome_of(error))
        raise
    metrics.record_registry_operation(op, OK)
    return response


_HTTP_OUTCOMES = {400: "INVALID_ARGUMENT", 413: "RESOURCE_EXHAUSTED"}  # as gRPC would answer the same request


_READ_POSTS = ("/subjects/{subject}", "/compatibility/")  # lookups and dry-run checks change nothing


def _scope_of(request: web.Request) -> str:
    if request.method in ("GET", "HEAD"):
        return REGISTRY_READ
    if request.method == "POST":
        route = request.match_info.route.resource.canonical if request.match_info.route.resource else ""
        if route == _READ_POSTS[0] or route.startswith(_READ_POSTS[1]):
            return REGISTRY_READ
    return REGISTRY_WRITE


def _auth_middleware(keys: Callable[[], KeyTable]):
    """The gRPC API's keys and scopes over HTTP: 401 without a valid key, 403 without the scope."""

    @web.middleware
    async def auth(request: web.Request, handler):
        table = keys()
        try:
            principal = table.authenticate(presented_key({k.lower(): v for k, v in request.headers.items()}))
            table.authorize(principal, _scope_of(request))
        except Unauthenticated as error:
            return _error(401, 40101, str(error))
        except PermissionDenied as error:
            return _error(403, 40301, str(error))
        return await handler(request)

    return auth


def build_app(registry: Registry, keys: Callable[[], KeyTable] | None = None) -> web.Application:
    middlewares = [_errors, _count] if keys is None else [_auth_middleware(keys), _errors, _count]
    app = web.Application(middlewares=middlewares, client_max_size=16 * 1024 * 1024)
    app[_REGISTRY] = registry
    app[_OPERATION] = {}
    for method, path, handler, op in ROUTES:
        route = app.router.add_route(method, path, handler)
        if op is not None:
            app[_OPERATION][route] = op
    return app


@dataclasses.dataclass
class RestServer:
    """A running REST API: `port` is the bound one (useful with port 0)."""

    runner: web.AppRunner
    host: str
    port: int

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start_rest(registry: Registry, host: str = "127.0.0.1", port: int = 8081,
                     keys: Callable[[], KeyTable] | None = None, *, reuse_port: bool = False) -> RestServer:
    """Serve the REST API on the running event loop (the gRPC server's) until `stop()`; `keys` gives
    the key table in force (re-read per request, so a SIGHUP reload applies); `reuse_port` lets the
    workers of `serve --workers N` share the port."""
    runner = web.AppRunner(build_app(registry, keys), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_port=reuse_port or None)
    await site.start()
    bound = site._server.sockets[0].getsockname()[1] if port == 0 else port  # aiohttp has no public getter
    log.info("convsvc REST schema registry on http://%s:%d", host, bound)
    return RestServer(runner, host, bound)
