"""The list endpoints: shapes, paging headers, sort, filters, and a round trip through them
into a second database by `intragraph import`, on every engine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from intragraph.cli import main
from intragraph.resources import LISTED, Resource
from intragraph.store import open_store
from intragraph.store.base import Store
from tests.conftest import add, client_for, utc

LIST = "/v2/projects_users"


@pytest.fixture
def seven(store: Store) -> TestClient:
    add(store, "projects", {"id": 5, "name": "Libft", "slug": "42cursus-libft"})
    add(store, "users", {"id": 9, "login": "jdoe"})
    days = [3, 1, 2, 2, 5, 4, 6]  # two rows share a day: sort ties are broken by id
    add(
        store,
        "projects_users",
        *(
            {
                "project_id": 5,
                "user_id": 9 if n < 4 else 10,
                "status": "finished",
                "final_mark": 100 if n % 2 else None,
                "validated": bool(n % 2),
                "marked": True,
                "current_team_id": 70 + n,
                "created_at": utc(f"2018-01-0{day} 10:00:00.123"),
                "updated_at": utc(f"2018-01-0{day} 11:00"),
                "marked_at": None,
                "retriable_at": utc("2018-02-01 00:00"),
            }
            for n, day in enumerate(days)
        ),
    )
    return client_for(store)


def _ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.text
    return [row["id"] for row in response.json()]


def test_the_shape_of_a_projects_user(seven: TestClient) -> None:
    response = seven.get(f"{LIST}?filter[id]=2")
    assert response.json() == [
        {
            "id": 2,
            "occurrence": 0,
            "final_mark": 100,
            "status": "finished",
            "validated?": True,
            "current_team_id": 71,
            "project": {"id": 5, "name": "Libft", "slug": "42cursus-libft", "parent_id": None},
            "cursus_ids": [],
            "marked_at": None,
            "marked": True,
            "retriable_at": "2018-02-01T00:00:00.000Z",
            "created_at": "2018-01-01T10:00:00.123Z",
            "updated_at": "2018-01-01T11:00:00.000Z",
            "user": {"id": 9, "login": "jdoe", "url": "http://testserver/v2/users/jdoe"},
            "teams": [],
        }
    ]


def test_paging_headers(seven: TestClient) -> None:
    response = seven.get(f"{LIST}?page[size]=3&page[number]=2&filter[status]=finished")
    assert _ids(response) == [4, 5, 6]
    assert (
        response.headers["x-page"],
        response.headers["x-per-page"],
        response.headers["x-total"],
    ) == ("2", "3", "7")
    base = "http://testserver/v2/projects_users?filter%5Bstatus%5D=finished"
    assert response.headers["link"] == ", ".join(
        f'<{base}&page%5Bnumber%5D={n}&page%5Bsize%5D=3>; rel="{rel}"'
        for rel, n in (("first", 1), ("prev", 1), ("next", 3), ("last", 3))
    )
    assert _ids(seven.get(f"{LIST}?page=3&per_page=3")) == [7]  # the aliases
    past = seven.get(f"{LIST}?page=9&per_page=3")
    assert _ids(past) == [] and past.headers["x-total"] == "7"


def test_page_size_defaults_and_bounds(seven: TestClient) -> None:
    assert seven.get(LIST).headers["x-per-page"] == "30"
    assert seven.get(f"{LIST}?per_page=1000").headers["x-per-page"] == "100"
    response = seven.get(f"{LIST}?page[size]=0")
    assert response.status_code == 400
    assert response.json() == {
        "error": "Bad Request",
        "message": "page[size]: '0' must be 1 or more",
    }


@pytest.mark.parametrize(
    ("sort", "ids"),
    [
        ("", [1, 2, 3, 4, 5, 6, 7]),
        ("created_at", [2, 3, 4, 1, 6, 5, 7]),
        ("-created_at", [7, 5, 6, 1, 3, 4, 2]),
        ("-created_at,-id", [7, 5, 6, 1, 4, 3, 2]),
        ("user_id,-created_at", [1, 3, 4, 2, 7, 5, 6]),
    ],
)
def test_sort(seven: TestClient, sort: str, ids: list[int]) -> None:
    assert _ids(seven.get(f"{LIST}?sort={sort}")) == ids


def test_filters_nesting_and_errors(seven: TestClient) -> None:
    assert _ids(seven.get(f"{LIST}?range[created_at]=2018-01-02,2018-01-04")) == [1, 3, 4, 6]
    assert _ids(seven.get(f"{LIST}?filter[final_mark]=100&range[id]=3,7")) == [4, 6]
    assert _ids(seven.get("/v2/users/jdoe/projects_users")) == [1, 2, 3, 4]
    assert _ids(seven.get("/v2/projects/42cursus-libft/projects_users?per_page=2")) == [1, 2]
    assert seven.get("/v2/users/nobody/projects_users").json() == {
        "error": "Not Found",
        "message": "User 'nobody' not found",
    }
    assert seven.get(f"{LIST}?sort=login").json() == {
        "error": "Bad Request",
        "message": "sort: 'login' cannot be sorted on; allowed: id, project_id, user_id, "
        "created_at, updated_at, occurrence, final_mark, retriable_at, marked_at, status",
    }
    assert seven.get(f"{LIST}?filter[id]=x").status_code == 400


def test_lists_need_a_token(store: Store) -> None:
    response = client_for(store, authorized=False).get(LIST)
    assert response.status_code == 401


def _all_pages(client: TestClient, path: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    number = 1
    while True:
        response = client.get(f"{path}?sort=-id&page[size]=100&page[number]={number}")
        rows += response.json()
        if 'rel="next"' not in response.headers["link"]:
            return rows
        number += 1


def _table(url: str, sql: str) -> list[tuple[Any, ...]]:
    store = open_store(url)
    try:
        return sorted(store.fetch(sql, []), key=repr)
    finally:
        store.close()


def test_a_round_trip_through_the_lists(database_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    assert (
        runner.invoke(main, ["demo", "--rows", "1500", "--database", database_url]).exit_code == 0
    )
    source = open_store(database_url)
    client = client_for(source)
    target = str(tmp_path / "copy.duckdb")
    for kind in LISTED:
        pages = tmp_path / f"{kind}.json"
        pages.write_text(json.dumps(_all_pages(client, f"/v2/{kind}")))
        done = runner.invoke(main, ["import", kind, str(pages), "--database", target])
        assert done.exit_code == 0, done.output
    source.close()
    # every resource's table, a team's members, and the objects the rows embed (a copy meets
    # those the rows name)
    tables = [*(f"SELECT * FROM {r.table}" for r in LISTED.values()), "SELECT * FROM teams_users"]
    for entity, column, table in (
        ("projects", "project_id", "projects_users"),
        ("cursus", "cursus_id", "cursus_users"),
        ("quests", "quest_id", "quests_users"),
        ("roles", "role_id", "roles_entities"),
        ("closes", "close_id", "community_services"),
        ("reports", "report_id", "patronages_reports"),
    ):
        tables.append(f"SELECT * FROM {entity} WHERE id IN (SELECT {column} FROM {table})")
    for sql in tables:
        copied = _table(target, sql)
        assert copied == _table(database_url, sql) and len(copied) > 0, sql


@pytest.mark.parametrize("resource", LISTED.values(), ids=lambda r: r.name)
def test_a_list_row_carries_every_stored_column(resource: Resource) -> None:
    """A copy made from the lists (sync, or pages saved and imported) loses nothing: each
    column is in the row under its key, or as the object it points at."""
    shown = set(resource.row)
    by_embed = {embed.column: embed.name for embed in resource.embeds}
    for column in resource.columns:
        if column.fallback is not None:  # never in a row: the other column is
            assert column.fallback in shown
            continue
        assert column.json in shown or by_embed.get(column.name) in shown, column.name
