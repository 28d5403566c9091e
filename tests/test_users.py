"""users: graphed on created_at (the default) and updated_at, with the documented filters
(primary_campus_id, alumni?, staff? and the columns), listed in their row; a user other
records embed (id and login) never blanks what a full user record brought: on every engine."""

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

# NOW (conftest) is 2018-01-10 12:00Z. id -> created_at, each on its own day
CREATED = {1: utc("2017-06-12 09:00"), 2: utc("2017-07-01 10:00"), 3: utc("2017-12-24 23:30")}
USERS: list[dict[str, Any]] = [
    {"login": "alice", "kind": "student", "pool_year": "2017", "alumni": False, "staff": False},
    {"login": "bob", "kind": "student", "pool_year": "2017", "alumni": True, "staff": False},
    {"login": "carol", "kind": "admin", "pool_year": "2016", "alumni": False, "staff": True},
]


@pytest.fixture
def client(store: Store) -> TestClient:
    add(store, "users", *({**row, "created_at": CREATED[i + 1]} for i, row in enumerate(USERS)))
    add(
        store,
        "campus_users",
        {"user_id": 1, "campus_id": 1},
        {"user_id": 2, "campus_id": 1, "is_primary": False},
        {"user_id": 2, "campus_id": 7},
        {"user_id": 3, "campus_id": 7},
    )
    return client_for(store)


def _ids(client: TestClient, query: str) -> set[int]:
    return counted_ids(client, f"/v2/users/graph/on/created_at/by/day?{query}", CREATED)


@pytest.mark.parametrize(
    ("query", "ids"),
    [
        ("", {1, 2, 3}),
        ("filter[primary_campus_id]=1", {1}),  # bob is in campus 1, but 7 is his primary
        ("filter[primary_campus_id]=7", {2, 3}),
        ("filter[alumni?]=true", {2}),
        ("filter[staff?]=true", {3}),
        ("filter[kind]=student", {1, 2}),
        ("filter[pool_year]=2017", {1, 2}),
        ("filter[login]=alice,carol", {1, 3}),
        ("range[login]=a,bz", {1, 2}),
    ],
)
def test_filters(client: TestClient, query: str, ids: set[int]) -> None:
    assert _ids(client, query) == ids


def test_the_graph_and_the_row(client: TestClient) -> None:
    assert client.get("/v2/users/graph/on/created_at/by/year").json() == {
        "2017-01-01": 3,
        "2018-01-01": 0,
    }
    row = client.get("/v2/users?filter[login]=bob").json()[0]
    assert row["url"] == "http://testserver/v2/users/bob"
    assert row["alumni?"] is True and row["staff?"] is False and row["phone"] is None
    assert row["created_at"] == "2017-07-01T10:00:00.000Z"
    assert [r["id"] for r in client.get("/v2/users").json()] == [3, 2, 1]  # id descending


def test_an_embedded_user_never_blanks_a_full_one(database_url: str, tmp_path: Path) -> None:
    full = {
        "id": 7,
        "login": "neo",
        "email": "neo@student.42.fr",
        "kind": "student",
        "staff?": False,
        "created_at": "2017-06-01T08:00:00.000Z",
        "updated_at": "2017-06-02T08:00:00.000Z",
    }
    record = {
        "id": 1,
        "project_id": 9,
        "status": "finished",
        "created_at": "2017-06-03T08:00:00.000Z",
        "updated_at": "2017-06-03T08:00:00.000Z",
        "user": {"id": 7, "login": "neo"},
    }
    runner = CliRunner()
    for kind, payload in (("users", [full]), ("projects_users", [record])):
        path = tmp_path / f"{kind}.json"
        path.write_text(json.dumps(payload))
        done = runner.invoke(main, ["import", kind, str(path), "--database", database_url])
        assert done.exit_code == 0, done.output
    assert "users: 0 inserted, 0 updated, 1 unchanged" in done.stdout
    store = open_store(database_url)
    try:
        assert store.fetch("SELECT login, email, kind, staff FROM users", []) == [
            ("neo", "neo@student.42.fr", "student", False)
        ]
    finally:
        store.close()
