"""One log line per request: application uid, method, route, status, duration.

The route is the matched template (`/v2/users/{key}/...`), never the query string, where an
access_token may travel; tokens and secrets are never logged. The rate-limit headers that the
guard computed are added to every answer here, errors included.

A plain ASGI middleware: Starlette's BaseHTTPMiddleware (`app.middleware("http")`) runs each
request through an extra task and stream, a tenth of a one-user graph's time in the server.
"""

from __future__ import annotations

import logging
import time

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("intragraph.access")


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # unless an answer starts: an exception that escapes the app

        async def answer(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                # request.state is scope["state"]: the guard left the headers there
                rate_headers = scope.get("state", {}).get("rate_headers", {})
                MutableHeaders(scope=message).update(rate_headers)
            await send(message)

        try:
            await self.app(scope, receive, answer)
        finally:
            route = scope.get("route")
            log.info(
                "%s %s %s %d %.1fms",
                scope.get("state", {}).get("uid") or "-",
                scope["method"],
                getattr(route, "path", scope["path"]),
                status,
                (time.perf_counter() - start) * 1000,
            )
