"""The /v2 graph and list routes, dispatched without FastAPI's router and dependency solver.

They are what dashboards ask again and again, mostly answered from the result cache; then
FastAPI's own work per request was about half of a worker's (py-spy under bench/load.py: trying
the routes in turn, solving the guard as a dependency, its exception and exit-stack middlewares,
the request-response wrappers). Here a GET whose path fits one of those routes' templates (a
lookup in a tree of path segments) goes straight to the same guard and the same endpoint, and
an error to the same handler. The routes stay declared to FastAPI: the OpenAPI document comes
from them, and FastAPI still answers every other request (another method, a path no template
fits) as before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from intragraph.api.errors import known
from intragraph.errors import IntragraphError

Guard = Callable[[Request, Any], Awaitable[None]]


class _Node:
    """One path segment: the literal segments that may follow, the parameter that may
    follow, and the route that ends here."""

    __slots__ = ("literal", "param", "route")

    def __init__(self) -> None:
        self.literal: dict[str, _Node] = {}
        self.param: _Node | None = None
        self.route: tuple[APIRoute, tuple[str, ...]] | None = None


class RouteIndex:
    """Route templates (`/v2/users/{key}/projects_users/graph`) by their segments."""

    def __init__(self) -> None:
        self._root = _Node()
        self.routes: list[APIRoute] = []

    def add(self, routes: Iterable[BaseRoute]) -> None:
        for route in routes:
            assert isinstance(route, APIRoute) and route.methods == {"GET"}, route
            self.routes.append(route)
            node, names = self._root, []
            for segment in route.path.strip("/").split("/"):
                if segment.startswith("{") and segment.endswith("}"):
                    names.append(segment[1:-1])
                    node.param = node = node.param or _Node()
                else:
                    node = node.literal.setdefault(segment, _Node())
            if node.route is None:  # the first declared wins, as in FastAPI
                node.route = (route, tuple(names))

    def match(self, path: str) -> tuple[APIRoute, dict[str, str]] | None:
        """The route a path fits and its parameters; a literal segment before a parameter."""
        segments = path.strip("/").split("/")
        found = _match(self._root, segments, 0, [])
        if found is None:
            return None
        (route, names), values = found
        return route, dict(zip(names, values, strict=True))


def _match(
    node: _Node, segments: list[str], at: int, values: list[str]
) -> tuple[tuple[APIRoute, tuple[str, ...]], list[str]] | None:
    if at == len(segments):
        return None if node.route is None else (node.route, values)
    segment = segments[at]
    following = node.literal.get(segment)
    if following is not None:
        found = _match(following, segments, at + 1, values)
        if found is not None:
            return found
    if node.param is not None and segment:  # a parameter is never empty
        return _match(node.param, segments, at + 1, [*values, segment])
    return None


class Direct:
    """ASGI middleware: the index's routes answered by `guard` then the route's endpoint,
    anything else passed on to the app."""

    def __init__(self, app: ASGIApp, index: RouteIndex, guard: Guard) -> None:
        self.app, self.index, self.guard = app, index, guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = None
        if scope["type"] == "http" and scope["method"] == "GET" and not scope.get("root_path"):
            found = self.index.match(scope["path"])
        if found is None:
            await self.app(scope, receive, send)
            return
        route, params = found
        # what FastAPI's router leaves there: the access log names the route's template
        scope["route"], scope["endpoint"], scope["path_params"] = route, route.endpoint, params
        request = Request(scope, receive, send)
        response: Response
        try:
            await self.guard(request, None)
            response = await route.endpoint(request)
        except IntragraphError as error:
            response = await known(request, error)
        await response(scope, receive, send)
