"""A trailing slash is not a different route: `/v2/projects_users/?page=2` is answered as
`/v2/projects_users?page=2`, as Rails (the real API) routes it, without a redirect that costs a
round trip and loses the answer for clients that do not follow redirects (api42 sends the
slash)."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


class Slashless:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and len(path) > 1 and path.endswith("/"):
            scope = {**scope, "path": path.rstrip("/") or "/"}
            scope.pop("raw_path", None)
        await self.app(scope, receive, send)
