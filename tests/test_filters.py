"""filter[...], range[...] and nested routes: which rows each one counts, on every engine."""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from intragraph import periods
from intragraph.store.base import Store
from tests.conftest import ENGINES, add, client_for, shared_store, utc

# id -> created_at; every row lies on its own day in UTC and in Europe/Paris
CREATED = {
    1: utc("2017-11-01 10:00"),
    2: utc("2017-11-15 23:30"),
    3: utc("2017-12-01 00:00"),
    4: utc("2017-12-31 23:30"),
}


@pytest.fixture(scope="module", params=ENGINES)
def network(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """A client of the rows below, written once for the module (no test writes)."""
    with shared_store(request.param, tmp_path_factory.mktemp("filters")) as store:
        _fill(store)
        yield client_for(store)


def _fill(store: Store) -> None:
    add(
        store,
        "projects",
        {"id": 1, "slug": "42cursus-libft"},
        {"id": 2, "slug": "42cursus-ft_printf"},
    )
    add(
        store,
        "users",
        {"id": 1, "login": "alice"},
        {"id": 2, "login": "bob"},
        {"id": 3, "login": "carol"},
    )
    add(
        store,
        "campus_users",
        {"user_id": 1, "campus_id": 1},
        {"user_id": 2, "campus_id": 1},
        {"user_id": 2, "campus_id": 7},
        {"user_id": 3, "campus_id": 7},
    )
    add(
        store,
        "cursus_users",
        {"user_id": 1, "cursus_id": 21},
        {"user_id": 2, "cursus_id": 9},
        {"user_id": 3, "cursus_id": 21},
        {"user_id": 3, "cursus_id": 9},
    )
    add(
        store,
        "projects_users",
        {
            "project_id": 1,
            "user_id": 1,
            "status": "finished",
            "final_mark": 100,
            "occurrence": 0,
            "marked": True,
            "created_at": CREATED[1],
            "updated_at": utc("2017-11-05 08:00"),
            "retriable_at": utc("2017-11-10 08:00"),
            "marked_at": utc("2017-11-04 08:00"),
        },
        {
            "project_id": 1,
            "user_id": 2,
            "status": "in_progress",
            "occurrence": 1,
            "created_at": CREATED[2],
            "updated_at": utc("2017-11-16 08:00"),
        },
        {
            "project_id": 2,
            "user_id": 2,
            "status": "finished",
            "final_mark": 42,
            "occurrence": 2,
            "marked": True,
            "created_at": CREATED[3],
            "updated_at": utc("2017-12-02 08:00"),
            "retriable_at": utc("2018-02-01 08:00"),
            "marked_at": utc("2017-12-01 12:00"),
        },
        {
            "project_id": 2,
            "user_id": 3,
            "status": "waiting_for_correction",
            "occurrence": 0,
            "created_at": CREATED[4],
            "updated_at": utc("2018-01-01 08:00"),
        },
    )


def _ids(client: TestClient, path: str, query: str) -> set[int]:
    """The ids counted by a by-day graph on created_at, read back from their days."""
    response = client.get(f"{path}/graph/on/created_at/by/day?{query}")
    assert response.status_code == 200, response.text
    zone = ZoneInfo(dict(p.split("=") for p in query.split("&") if p).get("time_zone", "UTC"))
    by_day = {periods.bucket(moment, "day", zone): id_ for id_, moment in CREATED.items()}
    counted = {key: n for key, n in response.json().items() if n}
    assert set(counted.values()) <= {1}
    return {by_day[key] for key in counted}


CASES = [
    ("", {1, 2, 3, 4}),
    ("filter[id]=1,3", {1, 3}),
    ("filter[project_id]=2", {3, 4}),
    ("filter[user_id]=2", {2, 3}),
    ("filter[status]=finished", {1, 3}),
    ("filter[status]=finished,in_progress", {1, 2, 3}),
    ("filter[occurrence]=0", {1, 4}),
    ("filter[final_mark]=42", {3}),
    ("filter[marked]=true", {1, 3}),
    ("filter[marked]=false", {2, 4}),
    ("filter[retriable]=true", {1}),
    ("filter[retriable]=false", {2, 3, 4}),
    ("filter[retriable]=true,false", {1, 2, 3, 4}),
    ("filter[campus]=1", {1, 2, 3}),
    ("filter[campus]=7", {2, 3, 4}),
    ("filter[campus]=1,7", {1, 2, 3, 4}),
    ("filter[campus]=99", set()),
    ("filter[cursus]=21", {1, 4}),
    ("filter[cursus]=9", {2, 3, 4}),
    ("filter[created_at]=2017-12-01", {3}),
    ("filter[created_at]=2017-12-01T00:00:00Z", {3}),
    ("filter[created_at]=2017-12-01T00:00:01Z", set()),
    ("filter[created_at]=2017-12-01T01:00:00%2B01:00", {3}),
    ("filter[created_at]=2018-01-01&time_zone=Europe/Paris", {4}),
    ("filter[created_at]=2017-11-01,2017-12-31", {1, 4}),
    ("filter[updated_at]=2017-11-05", {1}),
    ("filter[marked_at]=2017-12-01", {3}),
    ("filter[retriable_at]=2018-02-01", {3}),
    ("range[created_at]=2017-11-15,2017-12-01", {2, 3}),
    ("range[created_at]=2017-11-15T23:30:00Z,2017-12-01T00:00:00Z", {2, 3}),
    ("range[created_at]=2017-11-15T23:30:01Z,2017-12-01T00:00:00Z", {3}),
    ("range[created_at]=2017-11-15T23:30:00.000Z,2017-11-30T23:59:59.999Z", {2}),
    ("range[created_at]=2017-11-16,2017-12-31&time_zone=Europe/Paris", {2, 3}),
    ("range[created_at]=2017-11-16T00:30:00,2017-11-16T00:30:00&time_zone=Europe/Paris", {2}),
    ("range[created_at]=2017-12-02,2017-11-01", set()),
    ("range[id]=2,3", {2, 3}),
    ("range[project_id]=1,1", {1, 2}),
    ("range[user_id]=2,3", {2, 3, 4}),
    ("range[occurrence]=1,2", {2, 3}),
    ("range[final_mark]=50,100", {1}),
    ("range[status]=finished,in_progress", {1, 2, 3}),
    # a string range compares text, as the real API does: its bounds are any text
    ("range[status]=a,m", {1, 2, 3}),
    ("range[status]=g,zz", {2, 4}),
    ("range[updated_at]=2017-12-01,2018-01-01", {3, 4}),
    ("range[marked_at]=2017-11-01,2017-11-30", {1}),
    ("range[retriable_at]=2017-01-01,2019-01-01", {1, 3}),
    ("filter[status]=finished&range[id]=2,4", {3}),
    ("filter[campus]=1&filter[cursus]=21", {1}),
    ("filter[id]=1&filter[id]=2", {2}),  # the last of a repeated parameter wins, as in Rails
    ("page=2&sort=-id&access_token=x", {1, 2, 3, 4}),  # not the graph's parameters: ignored
]


@pytest.mark.parametrize(("query", "ids"), CASES)
def test_filters_and_ranges(network: TestClient, query: str, ids: set[int]) -> None:
    assert _ids(network, "/v2/projects_users", query) == ids


@pytest.mark.parametrize(
    ("path", "query", "ids"),
    [
        ("/v2/projects/2/projects_users", "", {3, 4}),
        ("/v2/projects/42cursus-ft_printf/projects_users", "", {3, 4}),
        ("/v2/users/2/projects_users", "", {2, 3}),
        ("/v2/users/bob/projects_users", "", {2, 3}),
        ("/v2/users/bob/projects_users", "filter[project_id]=1", {2}),
        ("/v2/users/carol/projects_users", "filter[project_id]=1", set()),
    ],
)
def test_nested_routes(network: TestClient, path: str, query: str, ids: set[int]) -> None:
    assert _ids(network, path, query) == ids


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/v2/projects/99/projects_users/graph", "Project '99' not found"),
        (
            "/v2/projects/no-such-slug/projects_users/graph/on/updated_at",
            "Project 'no-such-slug' not found",
        ),
        ("/v2/users/nobody/projects_users/graph/on/created_at/by/day", "User 'nobody' not found"),
        (
            "/v2/users/99999999999999999999999/projects_users/graph",
            "User '99999999999999999999999' not found",
        ),
    ],
)
def test_unknown_parent_is_404(network: TestClient, path: str, message: str) -> None:
    response = network.get(path)
    assert response.status_code == 404
    assert response.json() == {"error": "Not Found", "message": message}
