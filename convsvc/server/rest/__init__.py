"""Confluent Schema Registry's REST API over convsvc.registry (aiohttp, in the gRPC server's event loop).

    server = await start_rest(registry, "127.0.0.1", 8081)   # port 0 picks a free one: server.port
    ...
    await server.stop()

Paths, query parameters, the `application/vnd.schemaregistry.v1+json` content type and the error
bodies (`{"error_code": 40401, "message": "..."}`) are Confluent's, so its clients and serializers
work unchanged. aiohttp because it is asyncio-native: its server is a few objects on the running loop
(no second loop or thread, no signal handling of its own), which is what sharing grpc.aio's loop needs.
"""

from convsvc.server.rest.app import CONTENT_TYPE, RestServer, build_app, start_rest

__all__ = ["CONTENT_TYPE", "RestServer", "build_app", "start_rest"]
