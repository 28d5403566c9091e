"""cursus_users graphed (begin_at, end_at, created_at, updated_at) with the filters the real API
documents for them: flags paired with a date (end, blackholed), future, active, a primary campus,
numbers (level): which rows each counts, on every engine."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from intragraph.store.base import Store
from tests.conftest import add, client_for, counted_ids, utc

# NOW (conftest) is 2018-01-10 12:00Z. id -> created_at, each on its own day
CREATED = {
    1: utc("2017-11-01 10:00"),
    2: utc("2017-11-15 23:30"),
    3: utc("2017-12-01 00:00"),
    4: utc("2017-12-31 23:30"),
}
ROWS: list[dict[str, Any]] = [
    # active, in a coalition
    {"user_id": 1, "cursus_id": 21, "begin_at": CREATED[1], "has_coalition": True, "level": 3.5},
    # ended before now
    {"user_id": 2, "cursus_id": 9, "begin_at": CREATED[2], "end_at": utc("2017-12-01 00:00")},
    # blackholed already, its end still ahead: active until then
    {
        "user_id": 3,
        "cursus_id": 21,
        "begin_at": CREATED[3],
        "end_at": utc("2018-02-01 00:00"),
        "blackholed_at": utc("2018-01-05 08:00"),
        "has_coalition": True,
        "level": 7.25,
    },
    # begins in the future
    {
        "user_id": 3,
        "cursus_id": 9,
        "begin_at": utc("2018-03-01 08:00"),
        "blackholed_at": utc("2018-06-01 00:00"),
        "has_coalition": False,
        "level": 1.0,
    },
]


@pytest.fixture
def client(store: Store) -> TestClient:
    add(store, "users", {"id": 1, "login": "alice"}, {"id": 2, "login": "bob"}, {"id": 3})
    add(
        store,
        "campus_users",
        {"user_id": 1, "campus_id": 1},
        {"user_id": 2, "campus_id": 1, "is_primary": False},
        {"user_id": 2, "campus_id": 7},
        {"user_id": 3, "campus_id": 7},
    )
    add(
        store,
        "cursus_users",
        *({**row, "created_at": CREATED[i + 1]} for i, row in enumerate(ROWS)),
    )
    return client_for(store)


def _ids(client: TestClient, query: str) -> set[int]:
    return counted_ids(client, f"/v2/cursus_users/graph/on/created_at/by/day?{query}", CREATED)


CASES = [
    ("", {1, 2, 3, 4}),
    ("filter[end]=true", {2}),
    ("filter[end]=false", {1, 3, 4}),
    ("filter[end]=true,false", {1, 2, 3, 4}),
    ("filter[blackholed]=true", {3}),
    ("filter[blackholed]=false", {1, 2, 4}),
    ("filter[future]=true", {4}),
    ("filter[future]=false", {1, 2, 3}),
    ("filter[active]=true", {1, 3}),
    ("filter[active]=false", {2, 4}),
    ("filter[campus_id]=1", {1}),  # bob is in campus 1, but his primary campus is 7
    ("filter[campus_id]=7", {2, 3, 4}),
    ("filter[has_coalition]=true", {1, 3}),
    ("filter[level]=3.5", {1}),
    ("range[level]=1,5", {1, 4}),
    ("filter[cursus_id]=9", {2, 4}),
    ("range[begin_at]=2017-11-01,2017-11-30", {1, 2}),
    ("filter[blackholed_at]=2018-01-05", {3}),
    ("filter[active]=true&filter[campus_id]=7", {3}),
]


@pytest.mark.parametrize(("query", "ids"), CASES)
def test_filters(client: TestClient, query: str, ids: set[int]) -> None:
    assert _ids(client, query) == ids


@pytest.mark.parametrize(
    ("path", "answer"),
    [
        # begin_at later than now is not counted yet
        ("on/begin_at/by/month", {"2017-11-01": 2, "2017-12-01": 1, "2018-01-01": 0}),
        ("on/end_at/by/month", {"2017-12-01": 1, "2018-01-01": 0}),
        ("on/created_at/by/year", {"2017-01-01": 4, "2018-01-01": 0}),
        ("on/begin_at/by/hour_of_day?time_zone=Europe/Paris&filter[future]=false", None),
    ],
)
def test_graph_fields(client: TestClient, path: str, answer: dict[str, int] | None) -> None:
    response = client.get(f"/v2/cursus_users/graph/{path}")
    assert response.status_code == 200, response.text
    if answer is None:  # 10:00Z, 23:30Z and 00:00Z are 11, 0 and 1 o'clock in Paris
        expected = {str(hour): 0 for hour in range(24)} | {"11": 1, "0": 1, "1": 1}
        assert response.json() == expected
    else:
        assert response.json() == answer


def test_the_default_field_is_created_at(client: TestClient) -> None:
    assert (
        client.get("/v2/cursus_users/graph").json()
        == client.get("/v2/cursus_users/graph/on/created_at/by/month_of_year").json()
    )


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        (
            "/v2/cursus_users/graph/on/level/by/day",
            422,
            "field: 'level' cannot be graphed; allowed: created_at, updated_at, begin_at, end_at",
        ),
        ("/v2/cursus_users/graph?filter[level]=abc", 400, "filter[level]: 'abc' is not a number"),
        (
            "/v2/cursus_users/graph?filter[active]=yes",
            400,
            "filter[active]: 'yes' is not a boolean; allowed: true, false",
        ),
        (
            "/v2/cursus_users/graph?filter[campus_id]=paris",
            400,
            "filter[campus_id]: 'paris' is not an integer",
        ),
        # the real API nests the list under a user, not the graph
        (
            "/v2/users/alice/cursus_users/graph",
            404,
            "no route matches GET /v2/users/alice/cursus_users/graph",
        ),
    ],
)
def test_errors(client: TestClient, path: str, status: int, message: str) -> None:
    response = client.get(path)
    assert (response.status_code, response.json()["message"]) == (status, message)


def test_the_list_under_a_user_and_its_rows(client: TestClient) -> None:
    response = client.get("/v2/users/3/cursus_users?sort=id")
    assert response.status_code == 200
    rows = response.json()
    assert [row["id"] for row in rows] == [3, 4]
    assert list(rows[0]) == [
        "id",
        "begin_at",
        "end_at",
        "grade",
        "level",
        "skills",
        "cursus_id",
        "has_coalition",
        "blackholed_at",
        "user",
        "cursus",
        "created_at",
        "updated_at",
    ]
    assert rows[0]["blackholed_at"] == "2018-01-05T08:00:00.000Z"
    assert rows[0]["has_coalition"] is True and rows[0]["level"] == 7.25
    assert rows[0]["user"] == {"id": 3, "login": None, "url": "http://testserver/v2/users/3"}
    # a cursus no record brought: its id, the rest null
    assert rows[0]["cursus"] == {"id": rows[0]["cursus_id"], "name": None, "slug": None}
