"""The server's interceptors, one concern each; convsvc/server/app.py stacks them in one ordered list."""

from convsvc.server.interceptors.auth import Auth
from convsvc.server.interceptors.base import MethodPolicies, MethodPolicy
from convsvc.server.interceptors.deadline import Deadline, cancel_token
from convsvc.server.interceptors.idempotency import Idempotency
from convsvc.server.interceptors.metrics import Metrics
from convsvc.server.interceptors.rate_limit import RateLimit
from convsvc.server.interceptors.request_log import RequestLog

__all__ = ["Auth", "Deadline", "Idempotency", "MethodPolicies", "MethodPolicy", "Metrics", "RateLimit",
           "RequestLog", "cancel_token"]
