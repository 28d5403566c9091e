"""locations: graphed on begin_at (the default) and end_at, with the filters the real API
documents (end, active, inactive, future and the plain columns), listed (also under a user) in
its row shape, imported from its JSON: on every engine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from intragraph.cli import main
from intragraph.store import open_store
from intragraph.store.base import Store
from tests.conftest import add, client_for, counted_ids, utc

# NOW (conftest) is 2018-01-10 12:00Z. id -> begin_at, each on its own day
BEGUN = {
    1: utc("2017-11-01 10:00"),
    2: utc("2017-11-15 23:30"),
    3: utc("2018-01-10 08:00"),
    4: utc("2018-02-01 09:00"),
}
ROWS: list[dict[str, Any]] = [
    {"user_id": 1, "end_at": utc("2017-11-01 18:00"), "host": "c1r1p1", "campus_id": 1},
    {"user_id": 2, "end_at": utc("2017-11-16 02:00"), "host": "c1r2p3", "campus_id": 1},
    # still seated
    {"user_id": 2, "host": "c2r5p7", "campus_id": 7, "is_primary": False},
    # a booked session to come
    {"user_id": 3, "end_at": utc("2018-02-01 12:00"), "host": "c2r5p8", "campus_id": 7},
]


@pytest.fixture
def client(store: Store) -> TestClient:
    add(store, "users", {"id": 1, "login": "alice"}, {"id": 2, "login": "bob"}, {"id": 3})
    add(
        store,
        "locations",
        *({"is_primary": True, **row, "begin_at": BEGUN[i + 1]} for i, row in enumerate(ROWS)),
    )
    return client_for(store)


def _ids(client: TestClient, query: str) -> set[int]:
    return counted_ids(client, f"/v2/locations/graph/on/begin_at/by/day?{query}", BEGUN)


@pytest.mark.parametrize(
    ("query", "ids"),
    [
        ("", {1, 2, 3}),  # 4 begins after now: not counted yet
        ("filter[end]=true", {1, 2}),
        ("filter[end]=false", {3}),
        ("filter[active]=true", {3}),
        ("filter[active]=false", {1, 2}),
        ("filter[inactive]=true", {1, 2}),
        ("filter[inactive]=false", {3}),
        ("filter[future]=false", {1, 2, 3}),
        ("filter[campus_id]=7", {3}),
        ("filter[primary]=false", {3}),
        ("filter[host]=c1r1p1,c2r5p7", {1, 3}),
        ("filter[user_id]=2", {2, 3}),
        ("range[host]=c1,c2", {1, 2}),
        ("range[end_at]=2017-11-01,2017-11-30", {1, 2}),
    ],
)
def test_filters(client: TestClient, query: str, ids: set[int]) -> None:
    assert _ids(client, query) == ids


def test_the_default_field_is_begin_at(client: TestClient) -> None:
    assert (
        client.get("/v2/locations/graph").json()
        == client.get("/v2/locations/graph/on/begin_at/by/month_of_year").json()
    )
    assert client.get("/v2/locations/graph/on/end_at/by/month").json() == {
        "2017-11-01": 2,
        "2017-12-01": 0,
        "2018-01-01": 0,
    }
    future = client.get("/v2/locations/graph/on/begin_at/by/day?filter[future]=true").json()
    assert future == {}  # what begins after now is never counted


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        (
            "/v2/locations/graph/on/created_at/by/day",
            422,
            "field: 'created_at' cannot be graphed; allowed: begin_at, end_at",
        ),
        (
            "/v2/locations/graph?filter[floor]=1",
            400,
            "filter[floor]: 'floor' cannot be filtered on; allowed: id, user_id, begin_at, "
            "end_at, primary, host, campus_id, end, active, inactive, future",
        ),
        ("/v2/users/ghost/locations", 404, "User 'ghost' not found"),
    ],
)
def test_errors(client: TestClient, path: str, status: int, message: str) -> None:
    response = client.get(path)
    assert (response.status_code, response.json()["message"]) == (status, message)


def test_rows_under_a_user_import_back(client: TestClient, tmp_path: Path) -> None:
    rows = client.get("/v2/users/bob/locations?sort=-begin_at").json()
    assert [row["id"] for row in rows] == [3, 2]
    assert rows[0] == {
        "id": 3,
        "begin_at": "2018-01-10T08:00:00.000Z",
        "end_at": None,
        "primary": False,
        "floor": None,
        "row": None,
        "post": None,
        "host": "c2r5p7",
        "campus_id": 7,
        "user": {"id": 2, "login": "bob", "url": "http://testserver/v2/users/bob"},
    }
    pages = tmp_path / "locations.json"
    pages.write_text(json.dumps(rows))
    copy = str(tmp_path / "copy.duckdb")
    done = CliRunner().invoke(main, ["import", "locations", str(pages), "--database", copy])
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines()[0] == "locations: 2 inserted, 0 updated, 0 unchanged"
    store = open_store(copy)
    try:
        assert store.fetch("SELECT id, is_primary, host FROM locations ORDER BY id", []) == [
            (2, True, "c1r2p3"),
            (3, False, "c2r5p7"),
        ]
    finally:
        store.close()


def test_lists_default_to_the_documented_order(client: TestClient) -> None:
    """begin_at descending, then id descending, when the request gives no sort."""
    assert [row["id"] for row in client.get("/v2/locations").json()] == [4, 3, 2, 1]
    assert [row["id"] for row in client.get("/v2/locations?sort=host").json()] == [1, 2, 3, 4]
