"""Structured logs: one JSON object per line, carrying the request id of the call that logged it.

The request id travels in a context variable set by the request-log interceptor, so any log line
written while serving a call (on the event loop or on a worker thread, which copies the context)
names the call without anyone passing the id around.
"""

from __future__ import annotations

import contextvars
import datetime
import logging
import os
import sys

import orjson

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("convsvc_request_id", default=None)
_WORKER: dict[str, int] = {}  # {"worker": index, "pid": pid} in a worker of `serve --workers N`


def set_worker(index: int) -> None:
    """Every line of this process names its worker and pid from now on (kept across configure())."""
    _WORKER.update(worker=index, pid=os.getpid())

# Attributes every LogRecord has; anything else was passed with `extra=` and belongs in the line.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """ts, level, logger, msg, request_id (inside a call), the record's extra fields, and any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.datetime.fromtimestamp(record.created, datetime.timezone.utc).isoformat(
                timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        line.update(_WORKER)
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        if request_id:
            line["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and key != "request_id":
                line[key] = value
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


class _TextRequestId(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        request_id = REQUEST_ID.get()
        record.rid = f" [{request_id}]" if request_id else ""
        record.worker = f" worker {_WORKER['worker']} (pid {_WORKER['pid']})" if _WORKER else ""
        return True


def configure(fmt: str = "json", level: str = "info") -> None:
    """Send every log line to stderr in `fmt` (json | text); safe to call again (SIGHUP reload)."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.addFilter(_TextRequestId())
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s%(worker)s%(rid)s: %(message)s"))
    # Neither format shows the caller's file, thread or process: skip collecting them for every line
    # (the logging documentation's "Optimization" section).
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
