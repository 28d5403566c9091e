"""The graph routes: `/v2/<resource>/graph[/on/{field}[/by/{interval}]]`, top level and nested
under each parent of the resource. Their OpenAPI parameters come from the resource's table."""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from intragraph import periods
from intragraph.api import answering
from intragraph.api.etags import not_modified, validators
from intragraph.conditions import ParentKey
from intragraph.formats import to_csv
from intragraph.query import parse_graph
from intragraph.resources import Parent, Resource

_SUFFIXES = ("/graph", "/graph/on/{field}", "/graph/on/{field}/by/{interval}")


def _parameter(name: str, where: str, description: str, **schema: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "description": description,
        "schema": {"type": "string", **schema},
    }


def conditions_parameters(resource: Resource, parent: Parent | None) -> list[dict[str, Any]]:
    """The parameters a graph and a list share: the parent's key, the filters and ranges."""
    found = []
    if parent is not None and parent.outer is not None:
        outer = parent.outer
        found.append(_parameter("outer_key", "path", f"{outer.label} {outer.keys}"))
    if parent is not None:
        found.append(_parameter("key", "path", f"{parent.label} {parent.keys}"))
    found += [_parameter(f"filter[{name}]", "query", "a or a,b") for name in resource.filters]
    found += [_parameter(f"range[{name}]", "query", "min,max") for name in resource.ranges]
    return found


def _parameters(resource: Resource, path: str, parent: Parent | None) -> list[dict[str, Any]]:
    found = []
    if "{field}" in path:
        fields = list(resource.graph_fields)
        found.append(_parameter("field", "path", "The date field.", enum=fields))
    if "{interval}" in path:
        found.append(_parameter("interval", "path", "The period.", enum=list(periods.INTERVALS)))
    found += [
        _parameter("time_zone", "query", "IANA time zone of the periods (default UTC)."),
        _parameter(
            "week_start",
            "query",
            "First day of a week (default sunday).",
            enum=list(periods.WEEK_DAYS),
        ),
    ]
    return found + conditions_parameters(resource, parent)


def parent_key(parent: Parent | None, path: dict[str, str]) -> ParentKey | None:
    """The parents a nested route names (`/v2/users/jdoe/projects/libft/teams`)."""
    if parent is None:
        return None
    outer = ParentKey(parent.outer, path["outer_key"]) if parent.outer is not None else None
    return ParentKey(parent, path["key"], outer)


def _endpoint(
    resource: Resource, parent: Parent | None
) -> Callable[[Request], Coroutine[Any, Any, Response]]:
    async def endpoint(request: Request) -> Response:
        path = request.path_params
        state = request.app.state
        key = parent_key(parent, path)
        query = parse_graph(
            resource,
            path.get("field"),
            path.get("interval"),
            request.query_params.multi_items(),
            state.settings.time_zone,
            key,
        )
        version, now = request.state.data_version, state.clock()  # the guard read the version
        # the columnar copy when there is one and it holds that version
        store = state.store if state.copy is None else state.copy.reader(version)
        count = functools.partial(state.cache.graph, store, query, now, version)
        answer = await answering.answer(state, query, now, version, count)
        csv = "text/csv" in request.headers.get("accept", "")
        tag = answer.etag[:-1] + '-csv"' if csv else answer.etag  # another representation
        if not_modified(request, tag):
            return Response(status_code=304, headers=validators(tag))
        if csv:
            return Response(
                to_csv(answer.counts, query.interval),
                media_type="text/csv",
                headers=validators(tag),
            )
        return Response(answer.body, media_type="application/json", headers=validators(tag))

    return endpoint


def route_prefixes(resource: Resource, graph: bool) -> list[tuple[str, Parent | None]]:
    """The resource's route prefixes: `/v2/<resource>`, and one under each of its parents (for
    a graph, each parent the real API nests the graph under)."""
    found: list[tuple[str, Parent | None]] = [(f"/v2/{resource.name}", None)]
    for parent in resource.parents.values():
        if parent.graphed or not graph:
            outer = f"/{parent.outer.name}/{{outer_key}}" if parent.outer is not None else ""
            found.append((f"/v2{outer}/{parent.name}/{{key}}/{resource.name}", parent))
    return found


def router(resource: Resource) -> APIRouter:
    routes = APIRouter(tags=[resource.name])
    for prefix, parent in route_prefixes(resource, graph=True):
        for suffix in _SUFFIXES:
            path = prefix + suffix
            where = f" of one {parent.label.lower()}" if parent else ""
            routes.add_api_route(
                path,
                _endpoint(resource, parent),
                methods=["GET"],
                summary=f"Count {resource.name}{where} per period",
                description=(
                    f"Counts every row on a date field (default {resource.default_field}) per "
                    "period (default month_of_year), from the first occurrence to now; keys in "
                    "order, empty periods as 0."
                ),
                openapi_extra={
                    "parameters": _parameters(resource, path, parent),
                    "responses": {
                        "200": {
                            "content": {
                                "text/csv": {"schema": {"type": "string"}},
                            },
                            "description": "With Accept: text/csv, two columns and a header.",
                        }
                    },
                },
                response_model=dict[str, int],
            )
    return routes
