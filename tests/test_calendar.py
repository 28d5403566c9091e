"""events and exams: graphed on created_at (the default), updated_at, begin_at and end_at, with
the flags the real API documents (end; validated for exams) and future; listed in their row
shapes; on every engine."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from intragraph.store.base import Store
from tests.conftest import add, client_for, counted_ids, utc

# NOW (conftest) is 2018-01-10 12:00Z
BEGIN = {1: utc("2017-11-02 14:00"), 2: utc("2018-01-10 10:00"), 3: utc("2018-02-01 14:00")}
END = {1: utc("2017-11-02 17:00"), 2: utc("2018-01-10 13:00"), 3: utc("2018-02-01 18:00")}
MADE = utc("2017-10-01 09:00")


@pytest.fixture
def client(store: Store) -> TestClient:
    for table in ("events", "exams"):
        add(
            store,
            table,
            *(
                {
                    "begin_at": BEGIN[i],
                    "end_at": END[i],
                    "name": f"{table} {i}",
                    "created_at": MADE,
                    "updated_at": MADE,
                    **({"campus_id": i % 2 + 1} if table == "exams" else {}),
                    **({"validated_at": END[1]} if table == "exams" and i == 1 else {}),
                }
                for i in (1, 2, 3)
            ),
        )
    return client_for(store)


def _ids(client: TestClient, table: str, query: str) -> set[int]:
    return counted_ids(client, f"/v2/{table}/graph/on/begin_at/by/day?{query}", BEGIN)


@pytest.mark.parametrize("table", ["events", "exams"])
@pytest.mark.parametrize(
    ("query", "ids"),
    [
        ("", {1, 2}),  # 3 begins after now
        ("filter[end]=true", {1}),  # 2 ends at 13:00, after now
        ("filter[end]=false", {2}),
        ("filter[future]=false", {1, 2}),
        ("range[end_at]=2017-11-01,2018-01-31", {1, 2}),
    ],
)
def test_filters(client: TestClient, table: str, query: str, ids: set[int]) -> None:
    assert _ids(client, table, query) == ids


def test_exam_filters_and_row(client: TestClient) -> None:
    assert _ids(client, "exams", "filter[validated]=true") == {1}
    assert _ids(client, "exams", "filter[campus_id]=1") == {2}
    assert (
        client.get("/v2/exams/graph").json()
        == client.get("/v2/exams/graph/on/created_at/by/month_of_year").json()
    )
    row = client.get("/v2/exams?filter[id]=1").json()[0]
    assert list(row) == [
        "id",
        "ip_range",
        "begin_at",
        "end_at",
        "location",
        "max_people",
        "nbr_subscribers",
        "name",
        "created_at",
        "updated_at",
        "campus",
        "cursus",
        "projects",
        "visible",
        "validated_at",
        "validator_id",
        "prohibition_of_cancellation",
    ]
    assert row["campus"] == {"id": 2} and row["cursus"] == [] and row["name"] == "exams 1"


def test_event_row(client: TestClient) -> None:
    row = client.get("/v2/events?filter[id]=3").json()[0]
    assert row["begin_at"] == "2018-02-01T14:00:00.000Z" and row["waitlist"] is None
    assert row["campus_ids"] == [] and row["themes"] == [] and row["name"] == "events 3"
    response = client.get("/v2/events/graph/on/name/by/day")
    assert response.status_code == 422
    assert response.json()["message"] == (
        "field: 'name' cannot be graphed; allowed: created_at, updated_at, begin_at, end_at"
    )
