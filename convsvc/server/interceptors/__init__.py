"""The server's layers, one concern each; convsvc/server/app.py lists them in order and runs them as one
interceptor (`Stack`)."""

from convsvc.server.interceptors.auth import Auth
from convsvc.server.interceptors.base import Hooks, Layer, MethodPolicies, MethodPolicy, Stack
from convsvc.server.interceptors.deadline import Deadline, cancel_token
from convsvc.server.interceptors.idempotency import Idempotency
from convsvc.server.interceptors.metrics import Metrics
from convsvc.server.interceptors.rate_limit import RateLimit
from convsvc.server.interceptors.request_log import RequestLog

__all__ = ["Auth", "Deadline", "Hooks", "Idempotency", "Layer", "MethodPolicies", "MethodPolicy", "Metrics",
           "RateLimit", "RequestLog", "Stack", "cancel_token"]
