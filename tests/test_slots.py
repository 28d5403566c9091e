"""slots: graphed on created_at (the default), begin_at and end_at, also under a user, with end,
future and campus_id (the user's primary campus); sortable on user_id and scale_team_id, which
cannot be filtered; the row with its scale_team; on every engine."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient

from intragraph.store.base import Store
from tests.conftest import add, client_for, counted_ids, utc

# NOW (conftest) is 2018-01-10 12:00Z. id -> begin_at, each on its own day
BEGIN = {1: utc("2017-12-01 09:00"), 2: utc("2018-01-10 11:45"), 3: utc("2018-01-12 14:00")}


@pytest.fixture
def client(store: Store) -> TestClient:
    add(store, "users", {"id": 1, "login": "alice"}, {"id": 2, "login": "bob"})
    add(store, "campus_users", {"user_id": 1, "campus_id": 1}, {"user_id": 2, "campus_id": 7})
    add(
        store,
        "slots",
        *(
            {
                "user_id": 1 if i < 3 else 2,
                "begin_at": begin,
                "end_at": begin + dt.timedelta(minutes=30),
                "scale_team_id": 900 + i if i == 1 else None,
                "created_at": utc("2017-11-20 08:00"),
            }
            for i, begin in BEGIN.items()
        ),
    )
    return client_for(store)


def _ids(client: TestClient, path: str, query: str) -> set[int]:
    return counted_ids(client, f"{path}/graph/on/begin_at/by/day?{query}", BEGIN)


@pytest.mark.parametrize(
    ("path", "query", "ids"),
    [
        ("/v2/slots", "", {1, 2}),  # 3 begins after now
        ("/v2/slots", "filter[end]=true", {1}),  # 2 ends at 12:15, after now
        ("/v2/slots", "filter[future]=false", {1, 2}),
        ("/v2/slots", "filter[campus_id]=1", {1, 2}),
        ("/v2/users/bob/slots", "", set()),  # bob's one slot is still to come
        ("/v2/users/alice/slots", "range[begin_at]=2018-01-01,2018-01-31", {2}),
    ],
)
def test_filters(client: TestClient, path: str, query: str, ids: set[int]) -> None:
    assert _ids(client, path, query) == ids


def test_sort_filter_and_row(client: TestClient) -> None:
    assert [s["id"] for s in client.get("/v2/slots?sort=-user_id,id").json()] == [3, 1, 2]
    refused = client.get("/v2/slots/graph?filter[user_id]=1")
    assert refused.status_code == 400
    assert refused.json()["message"].startswith("filter[user_id]: 'user_id' cannot be filtered on")
    row = client.get("/v2/slots?sort=id").json()[0]
    assert row == {
        "id": 1,
        "begin_at": "2017-12-01T09:00:00.000Z",
        "end_at": "2017-12-01T09:30:00.000Z",
        "scale_team": {"id": 901},
        "user": {"id": 1, "login": "alice", "url": "http://testserver/v2/users/alice"},
        "created_at": "2017-11-20T08:00:00.000Z",
    }
    assert client.get("/v2/slots?sort=id").json()[1]["scale_team"] is None
    assert (
        client.get("/v2/slots/graph").json()
        == client.get("/v2/slots/graph/on/created_at/by/month_of_year").json()
    )
