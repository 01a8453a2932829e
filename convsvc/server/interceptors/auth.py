"""API keys and scopes: who is calling (the principal every later layer uses), and may they call this.

Keys come from `authorization: Bearer <key>` or `x-api-key`. Public methods (health, reflection)
need none. The key table is read per call, so a SIGHUP reload applies to the next call.
"""

from __future__ import annotations

from collections.abc import Callable

import grpc

from convsvc.server.interceptors.base import Call, CallContext, Layer, MethodPolicies, metadata_text
from convsvc.server.keys import KeyTable, PermissionDenied, Unauthenticated, presented_key
from convsvc.server.status import refusal


class Auth(Layer):
    def __init__(self, keys: Callable[[], KeyTable], policies: MethodPolicies) -> None:
        super().__init__()
        self._keys = keys
        self._policies = policies

    def applies(self, call: Call) -> bool:
        return self._policies(call.method).scope is not None

    async def before(self, call: Call, context: CallContext) -> None:
        scope = self._policies(call.method).scope
        table = self._keys()
        headers = {name: metadata_text(call, name) or "" for name in ("authorization", "x-api-key")}
        try:
            principal = table.authenticate(presented_key(headers))
            call.principal, call.key = principal.name, principal.key
            table.authorize(principal, scope)
        except Unauthenticated as error:
            reason = "API_KEY_INVALID" if presented_key(headers) else "API_KEY_MISSING"
            await context.abort_with_status(refusal(grpc.StatusCode.UNAUTHENTICATED, reason, str(error)))
        except PermissionDenied as error:
            await context.abort_with_status(refusal(grpc.StatusCode.PERMISSION_DENIED, "SCOPE_MISSING", str(error),
                                                    scope=scope, principal=call.principal))
