"""api/direct.py: the graph and list routes answered without FastAPI's router, exactly as the
router would route them; anything else (another method, a path no template fits) left to it."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Match

from intragraph.api.app import create_app
from intragraph.config import Settings
from intragraph.store import open_store
from tests.conftest import client_for


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> object:
    folder: Path = tmp_path_factory.mktemp("direct")
    return create_app(Settings(), open_store(str(folder / "direct.duckdb"), Settings()))


def _declared(app: object) -> list[BaseRoute]:
    """The app's routes in the order FastAPI tries them (an included router's in its place)."""
    found: list[BaseRoute] = []
    for route in app.router.routes:  # type: ignore[attr-defined]
        inner = getattr(route, "original_router", None)  # FastAPI 0.165's included routers
        found += inner.routes if inner is not None else [route]
    return found


def _routed_by_fastapi(app: object, path: str) -> tuple[BaseRoute | None, dict[str, str]]:
    """The first route that takes a GET of `path`, as Starlette's router picks it."""
    scope = {"type": "http", "method": "GET", "path": path, "root_path": ""}
    for route in _declared(app):
        matched, child = route.matches(scope)
        if matched == Match.FULL:
            return route, child.get("path_params", {})
    return None, {}


def test_every_template_is_routed_as_fastapi_routes_it(app: object) -> None:
    index = app.state.direct  # type: ignore[attr-defined]
    declared = [
        route
        for route in _declared(app)
        if isinstance(route, APIRoute)
        and route.path.startswith("/v2/")
        and "oauth" not in route.path
    ]
    assert index.routes == declared and len(declared) > 100  # every graph and list route
    for route in index.routes:
        # a value for each parameter, and a key that is also a literal segment somewhere
        path = route.path.replace("{outer_key}", "graph").replace("{key}", "42")
        path = path.replace("{field}", "created_at").replace("{interval}", "month")
        expected = _routed_by_fastapi(app, path)
        assert expected[0] is not None, path
        assert index.match(path) == expected, path


@pytest.mark.parametrize(
    "path",
    [
        "/v2/users//projects_users",  # an empty key
        "/v2/projects_users/graph/on",
        "/v2/projects_users/graph/on/created_at/by/month/more",
        "/v2/nothing/graph",
        "/v2/oauth/token/info",  # FastAPI's own route
        "/health",
    ],
)
def test_other_paths_are_left_to_fastapi(app: object, path: str) -> None:
    assert app.state.direct.match(path) is None  # type: ignore[attr-defined]


def test_answers_through_the_index_match_fastapis(tmp_path: Path) -> None:
    """The same answers as FastAPI's own routing gave: an error in the one shape, a route
    template in the log and metrics, 405 for another method (left to FastAPI)."""
    store = open_store(str(tmp_path / "answers.duckdb"), Settings())
    client = client_for(store)
    found = client.get("/v2/users/nobody/projects_users/graph/on/created_at/by/month")
    assert found.status_code == 404
    assert found.json() == {"error": "Not Found", "message": "User 'nobody' not found"}
    bad = client.get("/v2/projects_users/graph/on/created_at/by/fortnight")
    assert bad.status_code == 422 and set(bad.json()) == {"error", "message"}
    unauthorized = client_for(store, authorized=False).get("/v2/projects_users/graph")
    assert unauthorized.status_code == 401
    assert unauthorized.json()["error"] == "Unauthorized"
    posted = client.post("/v2/projects_users/graph")
    assert posted.status_code == 405
    assert posted.json() == {
        "error": "Method Not Allowed",
        "message": "POST is not allowed on /v2/projects_users/graph",
    }
