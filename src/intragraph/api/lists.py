"""The list endpoints 42 clients page through: `/v2/projects_users` (also under a project or a
user), `/v2/campus_users`, `/v2/cursus_users`, in the real API's JSON shapes, with its paging
headers (X-Page, X-Per-Page, X-Total, Link)."""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from intragraph.api import answering, etags
from intragraph.api.graph import conditions_parameters, parent_key, route_prefixes
from intragraph.conditions import ListQuery
from intragraph.formats import api_time
from intragraph.graphs import parent_conditions
from intragraph.query import parse_list
from intragraph.resources import LISTED, Embed, Members, Parent, Resource
from intragraph.store import rows as stored

_PAGING = ("page", "page[number]", "per_page", "page[size]")


def _value(value: Any) -> Any:
    """A stored value as the API writes it: instants in UTC with milliseconds."""
    return api_time(value) if isinstance(value, dt.datetime) else value


def _embedded(found: dict[str, Any] | None, embed: Embed, base: str) -> dict[str, Any] | None:
    if found is None:
        return {} if embed.absent_as_empty else None
    shown = {**found, **dict(embed.extra)}
    if embed.url and embed.entity is not None:
        key = found.get("login") or found["id"]
        shown["url"] = f"{base}/v2/{embed.entity.table}/{key}"
    return shown


def shaper(resource: Resource) -> Callable[[dict[str, Any], str], dict[str, Any]]:
    """The list row of a stored row (with its embedded objects), keys in the API's order, from
    the resource's declaration: a column by its JSON key, an embedded object by its name, and
    what intragraph does not keep as []."""
    columns = {f.json: f.name for f in resource.columns}
    embeds = {e.name: e for e in resource.embeds}
    records = {e.name: shaper(LISTED[e.resource]) for e in resource.embeds if e.resource}
    members = resource.members
    # a row key listing an embedded record's members: the declaration of those members
    people = {
        key: (name, LISTED[embeds[name].resource or ""].members) for key, name in resource.people
    }

    def shape(row: dict[str, Any], base: str) -> dict[str, Any]:
        shown: dict[str, Any] = {}
        for key in resource.row:
            if key in columns:
                shown[key] = _value(row[columns[key]])
            elif key == "url":  # the row's own address in the API
                shown[key] = f"{base}/v2/{resource.name}/{row.get('login') or row['id']}"
            elif members is not None and key == members.name:
                shown[key] = [_member(member, members, base, True) for member in row[key]]
            elif key in people:  # the members of an embedded record, as users
                name, of = people[key]
                found = (row[name] or {}).get(of.name, []) if of is not None else []
                shown[key] = [_member(member, of, base, False) for member in found if of]
            elif key in records:
                record = row[key]  # None, or {"id"} alone for one not kept, or the record
                whole = record is not None and record.keys() != {"id"}
                shown[key] = records[key](record, base) if whole else record
            elif key in embeds and embeds[key].entity is None:  # kept nowhere: its id alone
                column = row[embeds[key].column]
                shown[key] = None if column is None else {"id": column}
            elif key in embeds:
                shown[key] = _embedded(row[key], embeds[key], base)
            else:
                shown[key] = None if key in resource.nulls else []
        return shown

    return shape


def _member(member: dict[str, Any], members: Members, base: str, whole: bool) -> dict[str, Any]:
    """A member as the API shows one (a team's user): id, login, url, then (`whole`) the
    membership's own keys."""
    key = member[members.member]
    shown = {
        "id": key,
        "login": member["login"],
        "url": f"{base}/v2/{members.entity.table}/{member['login'] or key}",
    }
    if whole:
        shown.update((f.json, member[f.name]) for f in members.fields)
    return shown


def _link(request: Request, query: ListQuery, total: int) -> str:
    """first, prev, next and last, as the 42 API's Link header gives them; the other query
    parameters are kept, an access_token is not (it does not belong in a header)."""
    last = max(1, math.ceil(total / query.size))
    kept = [
        (name, value)
        for name, value in request.query_params.multi_items()
        if name not in (*_PAGING, "access_token")
    ]
    pages = (("first", 1), ("prev", query.page - 1), ("next", query.page + 1), ("last", last))
    links = []
    for rel, number in pages:
        if 1 <= number <= last:
            paging = [("page[number]", str(number)), ("page[size]", str(query.size))]
            links.append(f'<{request.url.replace(query=urlencode([*kept, *paging]))}>; rel="{rel}"')
    return ", ".join(links)


def _parameters(resource: Resource, parent: Parent | None) -> list[dict[str, Any]]:
    paging = [
        ("sort", "Keys, comma-separated; -key for descending; ties broken by id."),
        ("page[number]", "The page, from 1 (or page)."),
        ("page[size]", "Rows a page, 30 by default, at most 100 (or per_page)."),
    ]
    found = conditions_parameters(resource, parent)
    return found + [
        {
            "name": name,
            "in": "query",
            "required": False,
            "description": text,
            "schema": {"type": "string"},
        }
        for name, text in paging
    ]


def _endpoint(
    resource: Resource, parent: Parent | None
) -> Callable[[Request], Coroutine[Any, Any, Response]]:
    shape = shaper(resource)

    async def endpoint(request: Request) -> Response:
        state = request.app.state
        key = parent_key(parent, request.path_params)
        query = parse_list(
            resource, request.query_params.multi_items(), state.settings.time_zone, key
        )
        base = str(request.base_url).rstrip("/")
        now = state.clock()

        def count() -> tuple[bytes, int]:
            extra = parent_conditions(state.store, key)
            rows, total = stored.page(state.store, query, now, extra)
            return bytes(JSONResponse([shape(row, base) for row in rows]).body), total

        version = request.state.data_version  # the guard read it
        cached = functools.partial(state.cache.page, state.store, query, base, now, version, count)
        answer = await answering.answer(state, query, now, version, cached, base)
        headers = {
            "X-Page": str(query.page),
            "X-Per-Page": str(query.size),
            "X-Total": str(answer.total),
            "Link": _link(request, query, answer.total),
            **etags.validators(answer.etag),
        }
        if etags.not_modified(request, answer.etag):
            return Response(status_code=304, headers=headers)
        return Response(answer.body, media_type="application/json", headers=headers)

    return endpoint


def router(resource: Resource) -> APIRouter:
    routes = APIRouter(tags=[resource.name])
    for path, parent in route_prefixes(resource, graph=False):
        routes.add_api_route(
            path,
            _endpoint(resource, parent),
            methods=["GET"],
            summary=f"List {resource.name}" + (f" of one {parent.label.lower()}" if parent else ""),
            description=(
                "filter[...] and range[...] as for the graph; sort=f,-g (ties broken by id); "
                "page[number] (or page) and page[size] (or per_page; 30 by default, at most 100)."
            ),
            openapi_extra={"parameters": _parameters(resource, parent)},
        )
    return routes
