"""The graph family's other ten resources: each one's own filters (flags on its dates, future,
campus_id, difficulty), its parents (a kept table, or none: a patronage is known by its
reports), its rows, and languages_users' updated_at, which no row shows. One store per engine,
filled once (no test writes). Every graph field against the reference: test_engines.py; lists,
import and sync of every resource: test_lists.py, test_sync.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from intragraph.cli import main
from intragraph.store import open_store
from intragraph.store.base import Store
from tests.conftest import ENGINES, add, client_for, counted_ids, shared_store, utc

# NOW (conftest) is 2018-01-10 12:00Z. Rows are made on days of their own: row id i on MADE[i].
MADE = {i: utc("2017-11-01 10:00") + dt.timedelta(days=i) for i in range(1, 4)}


def _made(table: str, rows: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    return table, [
        {"created_at": MADE[i], "updated_at": MADE[i], **r} for i, r in enumerate(rows, 1)
    ]


ROWS: list[tuple[str, list[dict[str, Any]]]] = [
    ("users", [{"id": 1, "login": "alice"}, {"id": 2, "login": "bob"}]),
    ("projects", [{"id": 5, "slug": "libft"}, {"id": 6, "slug": "ft_printf"}]),
    (
        "campus_users",
        [{"user_id": 1, "campus_id": 1, "is_primary": True}, {"user_id": 2, "campus_id": 7}],
    ),
    ("quests", [{"id": 1, "slug": "common-core"}, {"id": 2, "slug": "rank-02"}]),
    ("roles", [{"id": 1, "name": "Basic staff"}, {"id": 2, "name": "Advanced tutor"}]),
    ("closes", [{"id": 1, "reason": "a"}, {"id": 2, "reason": "b"}]),
    ("reports", [{"id": 1, "slug": "first-week"}, {"id": 2, "slug": "first-month"}]),
    _made(
        "quests_users",
        [
            {"quest_id": 1, "user_id": 1, "validated_at": utc("2017-12-20 10:00")},
            {"quest_id": 2, "user_id": 2, "end_at": utc("2018-01-05 10:00")},
            {"quest_id": 1, "user_id": 2, "validated_at": utc("2018-02-01 10:00")},
        ],
    ),
    _made(
        "community_services",
        [
            {"close_id": 1, "schedule_at": utc("2017-12-01 10:00"), "campus_id": 1},
            {"close_id": 2, "schedule_at": utc("2018-02-01 10:00"), "campus_id": 7},
        ],
    ),
    _made(
        "roles_entities",
        [
            {"role_id": 1, "entity_id": 9, "expires_at": utc("2017-12-31 10:00")},
            {"role_id": 2, "entity_id": 9},
        ],
    ),
    _made("languages", [{"name": "Français", "identifier": "fr"}, {"name": "English"}]),
    _made(
        "languages_users",
        [{"language_id": 1, "user_id": 1, "position": 1}, {"language_id": 2, "user_id": 2}],
    ),
    _made(
        "announcements",
        [{"title": "a", "expire_at": utc("2017-12-20 10:00")}, {"expire_at": utc("2018-03-01")}],
    ),
    _made(
        "dashes",
        [
            {"name": "Dash 1", "slug": "dash-1", "begin_at": utc("2017-12-01 16:00")},
            {"name": "Dash 2", "slug": "dash-2", "begin_at": utc("2018-02-01 16:00")},
        ],
    ),
    _made(
        "dashes_users",
        [{"dash_id": 1, "user_id": 1, "final_mark": 100}, {"dash_id": 2, "user_id": 2}],
    ),
    _made(
        "project_sessions",
        [
            {
                "project_id": 5,
                "begin_at": utc("2017-12-01 00:00"),
                "end_at": utc("2017-12-20 00:00"),
                "difficulty": 1000,
            },
            {
                "project_id": 6,
                "begin_at": utc("2018-01-01 00:00"),
                "end_at": utc("2018-02-01 00:00"),
                "difficulty": 4200,
            },
            {"project_id": 5, "begin_at": utc("2018-03-01 00:00"), "difficulty": 4200},
        ],
    ),
    _made(
        "patronages_reports",
        [
            {
                "user_id": 1,
                "patronage_id": 10,
                "report_id": 1,
                "begin_at": utc("2017-12-10 10:00"),
                "validated_at": utc("2017-12-20 10:00"),
            },
            {"user_id": 2, "patronage_id": 11, "report_id": 2, "begin_at": utc("2018-02-01")},
        ],
    ),
    _made("teams", [{"project_id": 5, "project_session_id": 2}]),
]


@pytest.fixture(scope="module", params=ENGINES)
def family(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    with shared_store(request.param, tmp_path_factory.mktemp("family")) as store:
        for table, rows in ROWS:
            add(store, table, *rows)
        yield store


@pytest.fixture
def client(family: Store) -> TestClient:
    return client_for(family)


@pytest.mark.parametrize(
    ("path", "query", "ids"),
    [
        ("/v2/quests_users", "filter[validated]=true", {1}),  # 3 is validated in February
        ("/v2/quests_users", "filter[validated]=false", {2, 3}),
        ("/v2/quests_users", "filter[end]=true", {2}),
        ("/v2/quests_users", "filter[campus_id]=1", {1}),  # the user's primary campus
        ("/v2/quests/common-core/quests_users", "", {1, 3}),
        ("/v2/users/bob/quests_users", "", {2, 3}),
        ("/v2/community_services", "filter[schedule]=true", {1}),
        ("/v2/community_services", "filter[campus_id]=7", {2}),
        ("/v2/closes/2/community_services", "", {2}),
        ("/v2/roles_entities", "filter[expires]=true", {1}),
        ("/v2/roles/2/roles_entities", "", {2}),
        ("/v2/languages", "filter[identifier]=fr", {1}),
        ("/v2/users/alice/languages_users", "", {1}),
        ("/v2/announcements", "filter[expire]=true", {1}),
        ("/v2/dashes", "filter[future]=true", {2}),
        ("/v2/dashes/dash-1/dashes_users", "", {1}),
        ("/v2/project_sessions", "filter[end]=true", {1}),
        ("/v2/project_sessions", "filter[future]=true", {3}),
        ("/v2/project_sessions", "filter[difficulty]=4200", {2, 3}),
        ("/v2/project_sessions", "range[difficulty]=0,2000", {1}),
        ("/v2/projects/libft/project_sessions", "", {1, 3}),
        ("/v2/patronages_reports", "filter[validated]=true", {1}),
        ("/v2/patronages_reports", "filter[future]=true", {2}),
        ("/v2/patronages/10/patronages_reports", "", {1}),
        ("/v2/reports/first-month/patronages_reports", "", {2}),
        ("/v2/users/bob/patronages_reports", "", {2}),
        ("/v2/project_sessions/2/teams", "", {1}),
        ("/v2/project_sessions/1/teams", "", set()),
    ],
)
def test_filters_and_parents(client: TestClient, path: str, query: str, ids: set[int]) -> None:
    listed = client.get(f"{path}?{query}&sort=id")
    assert listed.status_code == 200, listed.text
    assert {row["id"] for row in listed.json()} == ids
    if path.startswith("/v2/projects/") or path.count("/") == 2:  # graphed routes
        assert counted_ids(client, f"{path}/graph/on/created_at/by/day?{query}", MADE) == ids


@pytest.mark.parametrize(
    "path",
    [
        "/v2/closes/9/community_services",
        "/v2/roles/staff/roles_entities",  # a role is named by its id alone
        "/v2/patronages/99/patronages_reports",
        "/v2/reports/nope/patronages_reports",
        "/v2/dashes/dash-9/dashes_users",
        "/v2/projects/nope/project_sessions/graph",
    ],
)
def test_an_unknown_parent_is_404(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_rows(client: TestClient) -> None:
    session = client.get("/v2/project_sessions?sort=id").json()[0]
    assert session["project"] == {"id": 5, "name": None, "slug": "libft"}
    assert (session["campus"], session["cursus"], session["scales"]) == (None, None, [])
    report = client.get("/v2/patronages_reports?sort=id").json()[0]
    assert (report["patronage"], report["report"]["slug"]) == ({"id": 10}, "first-week")
    assert report["user"] == {"id": 1, "login": "alice", "url": "http://testserver/v2/users/alice"}
    assert client.get("/v2/roles_entities?sort=id").json()[0]["role"] == {
        "id": 1,
        "name": "Basic staff",
    }
    # announcements: by expire_at, latest first
    assert [a["id"] for a in client.get("/v2/announcements").json()] == [2, 1]
    assert list(client.get("/v2/languages_users").json()[0]) == [
        "id",
        "language_id",
        "user_id",
        "position",
        "created_at",
    ]


def test_a_language_user_without_updated_at_was_never_updated(
    tmp_path: Path, database_url: str
) -> None:
    """The real API graphs languages_users on updated_at, which no row shows: a record without
    one counts on updated_at where it does on created_at."""
    path = tmp_path / "languages_users.json"
    path.write_text(
        '[{"id": 1, "language_id": 1, "user_id": 2, "position": 1,'
        ' "created_at": "2017-12-03T10:00:00.000Z"}]'
    )
    result = CliRunner().invoke(
        main, ["--database", database_url, "import", "languages_users", str(path)]
    )
    assert result.exit_code == 0, result.output
    client = client_for(open_store(database_url))
    graphs = [
        client.get(f"/v2/languages_users/graph/on/{field}/by/year").json()
        for field in ("created_at", "updated_at")
    ]
    assert graphs[0] == graphs[1] == {"2017-01-01": 1, "2018-01-01": 0}
