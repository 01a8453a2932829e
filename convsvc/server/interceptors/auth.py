"""API keys and scopes: who is calling (the principal every later layer uses), and may they call this.

Keys come from `authorization: Bearer <key>` or `x-api-key`. Public methods (health, reflection)
need none. The key table is read per call, so a SIGHUP reload applies to the next call; with no keys
configured every caller is anonymous and the layer costs one branch.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import grpc

from convsvc.server.interceptors.base import Call, CallContext, Hooks, Layer, MethodPolicies, metadata_text
from convsvc.server.keys import ANONYMOUS, KeyTable, PermissionDenied, Unauthenticated, presented_key
from convsvc.server.status import refusal


class Auth(Layer):
    def __init__(self, keys: Callable[[], KeyTable], policies: MethodPolicies) -> None:
        self._keys = keys
        self._policies = policies

    def bind(self, method: str, handler: grpc.RpcMethodHandler) -> Hooks | None:
        scope = self._policies(method).scope
        return None if scope is None else _ScopeCheck(self._keys, scope)


class _ScopeCheck(Hooks):
    __slots__ = ("_keys", "_scope")

    def __init__(self, keys: Callable[[], KeyTable], scope: str) -> None:
        self._keys = keys
        self._scope = scope

    def start(self, call: Call, context: CallContext) -> Awaitable | None:
        table = self._keys()
        if table.open:  # no keys configured: everyone is anonymous and may do everything
            call.principal = ANONYMOUS
            return None
        headers = {name: metadata_text(call, name) or "" for name in ("authorization", "x-api-key")}
        try:
            principal = table.authenticate(presented_key(headers))
            call.principal, call.key = principal.name, principal.key
            table.authorize(principal, self._scope)
        except Unauthenticated as error:
            reason = "API_KEY_INVALID" if presented_key(headers) else "API_KEY_MISSING"
            return context.abort_with_status(refusal(grpc.StatusCode.UNAUTHENTICATED, reason, str(error)))
        except PermissionDenied as error:
            return context.abort_with_status(refusal(grpc.StatusCode.PERMISSION_DENIED, "SCOPE_MISSING", str(error),
                                                     scope=self._scope, principal=call.principal))
        return None
