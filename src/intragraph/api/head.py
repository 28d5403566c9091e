"""HEAD is GET without the body (RFC 9110, 9.3.2), as Rails (the real API) answers it: an uptime
monitor's `HEAD /health`, or a client checking a graph's status and rate-limit headers, gets the
GET's status and headers. FastAPI routes HEAD nowhere (405) unless each route says so."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Head:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def bodiless(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}  # Content-Length stays the GET's
            await send(message)

        # the same scope, not a copy: the route the router sets there is the access log's
        scope["method"] = "GET"
        try:
            await self.app(scope, receive, bodiless)
        finally:
            scope["method"] = "HEAD"
