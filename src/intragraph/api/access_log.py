"""One log line per request: request id, application uid, method, route, status, duration;
as text, or as one JSON object a line (`INTRAGRAPH_LOG_FORMAT=json`).

The route is the matched template (`/v2/users/{key}/...`), never the query string, where an
access_token may travel; tokens and secrets are never logged. The rate-limit headers that the
guard computed are added to every answer here, errors included, and so is `X-Request-Id`: the
client's own, when it sent a plausible one (a proxy's), else a new one.

A plain ASGI middleware: Starlette's BaseHTTPMiddleware (`app.middleware("http")`) runs each
request through an extra task and stream, a tenth of a one-user graph's time in the server.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import re
import time

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from intragraph import metrics

log = logging.getLogger("intragraph.access")
_PROCESS, _COUNT = os.urandom(8).hex(), itertools.count()
_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")
# what a log record carries beside its message (`extra=`), as JSON keys
_FIELDS = ("request_id", "uid", "method", "route", "status", "duration_ms")


class JsonLines(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, and the request's
    fields when the record has them."""

    def format(self, record: logging.LogRecord) -> str:
        moment = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        line = {
            "time": f"{moment}.{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **{name: getattr(record, name) for name in _FIELDS if hasattr(record, name)},
        }
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id" and _REQUEST_ID.fullmatch(value):
            return str(value, "ascii")
    # unique without a uuid4 a request (6 % of a worker's event loop under load): this
    # process's random half, then its count
    return f"{_PROCESS}{next(_COUNT):016x}"


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # unless an answer starts: an exception that escapes the app
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id

        async def answer(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                # request.state is scope["state"]: the guard left the headers there
                headers.update(scope["state"].get("rate_headers", {}))
                headers["X-Request-Id"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, answer)
        finally:
            # a path no route matched is not a label of its own: scanners try thousands
            route = getattr(scope.get("route"), "path", "unmatched")
            uid = scope["state"].get("uid") or "-"
            seconds = time.perf_counter() - start
            duration = round(seconds * 1000, 1)
            metrics.REQUESTS.labels(route, scope["method"], str(status)).inc()
            metrics.LATENCY.labels(route).observe(seconds)
            metrics.WORKER_REQUESTS.inc()
            log.info(
                "%s %s %s %s %d %.1fms",
                request_id,
                uid,
                scope["method"],
                route,
                status,
                duration,
                extra={
                    "request_id": request_id,
                    "uid": uid,
                    "method": scope["method"],
                    "route": route,
                    "status": status,
                    "duration_ms": duration,
                },
            )
