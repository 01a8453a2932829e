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
import time

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


class _JsonLines(logging.StreamHandler):
    """The JSON format's handler: a StreamHandler that can also write a line already built (`access`)."""

    def write_line(self, text: str) -> None:
        with self.lock:
            try:
                self.stream.write(text)
                self.stream.flush()
            except Exception:  # as StreamHandler.emit: a broken stderr must not fail the call
                self.handleError(logging.makeLogRecord({"msg": text}))


_ACCESS = logging.getLogger("convsvc.access")
_LEVEL_NAMES = {logging.INFO: "info", logging.ERROR: "error"}
_json_handler: _JsonLines | None = None  # the handler configure("json") installed
_second: list = [None, ""]  # the last whole second formatted, and its text


def access(level: int, message: str, fields: dict) -> None:
    """One access log line (convsvc.access), written once per call: with the JSON format the line
    JsonFormatter would write, built directly (no LogRecord, no formatter pass over its attributes);
    otherwise, or when someone else listens to the logger, an ordinary logging record."""
    if not _ACCESS.isEnabledFor(level):
        return
    handler = _json_handler
    root = logging.root
    if (handler is None or _ACCESS.handlers or _ACCESS.filters or not _ACCESS.propagate or handler.filters
            or len(root.handlers) != 1 or root.handlers[0] is not handler or root.filters):
        _ACCESS.log(level, "%s", message, extra=fields)
        return
    line = {"ts": _timestamp(time.time()), "level": _LEVEL_NAMES.get(level) or logging.getLevelName(level).lower(),
            "logger": _ACCESS.name, "msg": message, **_WORKER}
    if fields.get("request_id") and next(iter(fields)) == "request_id":  # JsonFormatter's order, as it is
        line.update(fields)
    else:
        request_id = fields.get("request_id") or REQUEST_ID.get()
        if request_id:
            line["request_id"] = request_id
        line.update((key, value) for key, value in fields.items() if key != "request_id")
    handler.write_line(orjson.dumps(line, default=str, option=orjson.OPT_APPEND_NEWLINE).decode())


def _timestamp(now: float) -> str:
    """As JsonFormatter's ts (UTC, milliseconds), with the date and time formatted once per second."""
    whole, millis = divmod(int(now * 1000), 1000)
    if _second[0] != whole:
        _second[:] = [whole, datetime.datetime.fromtimestamp(whole, datetime.timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%S")]
    return f"{_second[1]}.{millis:03d}+00:00"


class _TextRequestId(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()  # as JsonFormatter: the access line's own
        record.rid = f" [{request_id}]" if request_id else ""
        record.worker = f" worker {_WORKER['worker']} (pid {_WORKER['pid']})" if _WORKER else ""
        return True


def configure(fmt: str = "json", level: str = "info") -> None:
    """Send every log line to stderr in `fmt` (json | text); safe to call again (SIGHUP reload)."""
    global _json_handler
    handler = _JsonLines(sys.stderr) if fmt == "json" else logging.StreamHandler(sys.stderr)
    _json_handler = handler if fmt == "json" else None
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
