"""teams and scale_teams: the members a team's `users` array brings (kept in teams_users, and
replaced by a newer copy), the filters that go through them (cursus, active_cursus, campus,
primary_campus), the parents (a user's teams are those they are a member of; a user's scale
teams, those they corrected or were corrected in; a project's scale teams, its teams'), and
the rows, on every engine."""

from __future__ import annotations

import json
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

# NOW (conftest) is 2018-01-10 12:00Z. Each row is made on its own day.
TEAMS = {1: utc("2017-12-01 10:00"), 2: utc("2017-12-15 10:00"), 3: utc("2018-01-05 10:00")}
EVALUATIONS = {1: utc("2017-12-05 10:00"), 2: utc("2018-01-09 10:00"), 3: utc("2018-01-08 10:00")}
ALICE, BOB, CAROL = 1, 2, 3


def _member(team: int, user: int, leader: bool) -> dict[str, Any]:
    return {"id": team * 10**9 + user, "team_id": team, "user_id": user, "leader": leader}


@pytest.fixture(scope="module", params=ENGINES)
def teams(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    """The rows below, written once for the module's reading tests."""
    with shared_store(request.param, tmp_path_factory.mktemp("teams")) as store:
        _fill(store)
        yield store


@pytest.fixture
def client(teams: Store) -> TestClient:
    return client_for(teams)


def _fill(store: Store) -> None:
    add(
        store,
        "users",
        *({"id": i, "login": n} for i, n in ((1, "alice"), (2, "bob"), (3, "carol"))),
    )
    add(store, "projects", {"id": 5, "slug": "libft"}, {"id": 6, "slug": "ft_printf"})
    add(store, "cursus", {"id": 21, "slug": "42cursus"}, {"id": 9, "slug": "c-piscine"})
    add(
        store,
        "campus_users",
        {"user_id": ALICE, "campus_id": 1, "is_primary": True},
        {"user_id": BOB, "campus_id": 7, "is_primary": True},
        {"user_id": BOB, "campus_id": 1, "is_primary": False},
        {"user_id": CAROL, "campus_id": 7, "is_primary": True},
    )
    add(
        store,
        "cursus_users",
        {"user_id": ALICE, "cursus_id": 21, "begin_at": utc("2017-01-01 00:00")},
        {
            "user_id": BOB,
            "cursus_id": 9,
            "begin_at": utc("2017-07-01 00:00"),
            "end_at": utc("2017-07-28 00:00"),
        },
        {"user_id": CAROL, "cursus_id": 21, "begin_at": utc("2018-02-01 00:00")},
    )
    teams = [
        {
            "project_id": 5,
            "name": "alice's group",
            "final_mark": 100,
            "status": "finished",
            "locked_at": utc("2017-12-02 10:00"),
            "closed_at": utc("2017-12-05 10:00"),
        },
        {"project_id": 6, "name": "bob's group", "status": "in_progress"},
        {
            "project_id": 5,
            "name": "carol's group",
            "final_mark": 80,
            "locked_at": utc("2018-01-11 10:00"),
        },
    ]
    add(store, "teams", *_made(teams, TEAMS))
    add(
        store,
        "teams_users",
        _member(1, ALICE, True),
        _member(1, BOB, False),
        _member(2, BOB, True),
        _member(3, CAROL, True),
    )
    evaluations = [
        {
            "team_id": 1,
            "user_id": CAROL,
            "scale_id": 10005,
            "flag_id": 1,
            "final_mark": 100,
            "begin_at": utc("2017-12-06 10:00"),
            "filled_at": utc("2017-12-06 10:30"),
        },
        {"team_id": 2, "user_id": ALICE, "begin_at": utc("2018-01-10 11:00")},
        {"team_id": 3, "user_id": BOB, "begin_at": utc("2018-01-12 10:00")},
    ]
    add(store, "scale_teams", *_made(evaluations, EVALUATIONS))
    # a slot booked by evaluation 1 (of a libft team), one by evaluation 2, one free
    slots = [{"scale_team_id": 1}, {"scale_team_id": 2}, {}]
    add(
        store,
        "slots",
        *(
            {**slot, "created_at": TEAMS[i], "begin_at": TEAMS[i], "end_at": TEAMS[i]}
            for i, slot in enumerate(slots, 1)
        ),
    )
    add(store, "locations", {"campus_id": 1, "host": "c1"}, {"campus_id": 7, "host": "c7"})
    add(store, "exams", {"campus_id": 7, "name": "Exam Rank 02"})


def _made(rows: list[dict[str, Any]], days: dict[int, Any]) -> list[dict[str, Any]]:
    """The rows, each made (and last updated) on its own day."""
    return [{**row, "created_at": days[i], "updated_at": days[i]} for i, row in enumerate(rows, 1)]


@pytest.mark.parametrize(
    ("path", "query", "ids"),
    [
        ("/v2/teams", "", {1, 2, 3}),
        ("/v2/teams", "filter[cursus]=21", {1, 3}),
        ("/v2/teams", "filter[active_cursus]=21", {1}),  # carol's cursus begins in February
        ("/v2/teams", "filter[cursus]=9", {1, 2}),
        ("/v2/teams", "filter[active_cursus]=9", set()),  # bob's piscine ended
        ("/v2/teams", "filter[campus]=1", {1, 2}),  # bob is also in campus 1
        ("/v2/teams", "filter[primary_campus]=1", {1}),
        ("/v2/teams", "filter[primary_campus]=7", {1, 2, 3}),
        ("/v2/teams", "filter[with_mark]=true", {1, 3}),
        ("/v2/teams", "filter[with_mark]=false", {2}),
        ("/v2/teams", "filter[locked]=true", {1}),  # carol's team locks tomorrow
        ("/v2/teams", "filter[locked]=false", {2, 3}),
        ("/v2/teams", "filter[closed]=true&filter[project_id]=5", {1}),
        ("/v2/users/bob/teams", "", {1, 2}),
        ("/v2/users/1/teams", "", {1}),
        ("/v2/users/bob/projects/libft/teams", "", {1}),
        ("/v2/users/carol/projects/6/teams", "", set()),
        ("/v2/projects/libft/teams", "", {1, 3}),
        ("/v2/cursus/42cursus/teams", "", {1, 3}),
        ("/v2/cursus/9/teams", "filter[with_mark]=true", {1}),
    ],
)
def test_team_filters_and_parents(client: TestClient, path: str, query: str, ids: set[int]) -> None:
    assert counted_ids(client, f"{path}/graph/on/created_at/by/day?{query}", TEAMS) == ids
    listed = client.get(f"{path}?{query}&sort=id")
    assert [row["id"] for row in listed.json()] == sorted(ids)


@pytest.mark.parametrize(
    ("path", "query", "ids"),
    [
        ("/v2/scale_teams", "filter[filled]=true", {1}),
        ("/v2/scale_teams", "filter[filled]=false", {2, 3}),
        ("/v2/scale_teams", "filter[future]=true", {3}),
        ("/v2/scale_teams", "filter[campus_id]=7", {1, 3}),  # the corrector's primary campus
        ("/v2/scale_teams", "filter[campus_id]=1", {2}),
        ("/v2/scale_teams", "filter[cursus_id]=21", {1, 2}),  # the corrector's cursus
        ("/v2/scale_teams", "range[final_mark]=50,100", {1}),
        ("/v2/users/bob/scale_teams", "", {1, 2, 3}),  # corrected in 1 and 2, corrector of 3
        ("/v2/users/alice/scale_teams", "", {1, 2}),
        ("/v2/users/3/scale_teams", "", {1, 3}),
        ("/v2/projects/libft/scale_teams", "", {1, 3}),
        ("/v2/projects/ft_printf/scale_teams", "", {2}),
    ],
)
def test_scale_team_filters_and_parents(
    client: TestClient, path: str, query: str, ids: set[int]
) -> None:
    assert counted_ids(client, f"{path}/graph/on/created_at/by/day?{query}", EVALUATIONS) == ids


@pytest.mark.parametrize(
    ("path", "ids"),
    [
        ("/v2/cursus/42cursus/cursus_users", {1, 3}),
        ("/v2/cursus/42cursus/users", {ALICE, CAROL}),
        ("/v2/campus/1/users", {ALICE, BOB}),  # bob is also in campus 1
        ("/v2/teams/1/users", {ALICE, BOB}),
        ("/v2/campus/7/locations", {2}),
        ("/v2/campus/7/exams", {1}),
    ],
)
def test_nested_lists(client: TestClient, path: str, ids: set[int]) -> None:
    assert {row["id"] for row in client.get(path).json()} == ids


def test_a_projects_slots(client: TestClient) -> None:
    """Those booked by an evaluation of one of its teams, in the list and the graph."""
    assert [row["id"] for row in client.get("/v2/projects/libft/slots").json()] == [1]
    graphed = client.get("/v2/projects/ft_printf/slots/graph/on/created_at/by/day").json()
    assert {key for key, count in graphed.items() if count} == {"2017-12-15"}


@pytest.mark.parametrize(
    "path",
    [
        "/v2/campus/99/users",
        "/v2/campus/99/locations",
        "/v2/cursus/nope/cursus_users",
        "/v2/cursus/999/teams/graph",
        "/v2/users/zed/projects/libft/teams/graph",
        "/v2/users/bob/projects/nope/teams",
        "/v2/projects/nope/scale_teams/graph",
    ],
)
def test_an_unknown_parent_is_404(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 404
    assert answer.json()["error"] == "Not Found"


def _user(id_: int, login: str) -> dict[str, Any]:
    return {"id": id_, "login": login, "url": f"http://testserver/v2/users/{login}"}


def test_rows(client: TestClient) -> None:
    team = client.get("/v2/teams?sort=id").json()[0]
    assert team == {
        "id": 1,
        "name": "alice's group",
        "url": "http://testserver/v2/teams/1",
        "final_mark": 100,
        "project_id": 5,
        "created_at": "2017-12-01T10:00:00.000Z",
        "updated_at": "2017-12-01T10:00:00.000Z",
        "status": "finished",
        "terminating_at": None,
        "users": [
            {
                **_user(ALICE, "alice"),
                "leader": True,
                "occurrence": None,
                "validated": None,
                "projects_user_id": None,
            },
            {
                **_user(BOB, "bob"),
                "leader": False,
                "occurrence": None,
                "validated": None,
                "projects_user_id": None,
            },
        ],
        "locked?": None,
        "validated?": None,
        "closed?": None,
        "repo_url": None,
        "repo_uuid": None,
        "locked_at": "2017-12-02T10:00:00.000Z",
        "closed_at": "2017-12-05T10:00:00.000Z",
        "project_session_id": None,
        "scale_teams": [],
        "teams_uploads": [],
        "deadline_at": None,
    }
    evaluation = client.get("/v2/scale_teams?sort=id").json()[0]
    assert evaluation == {
        "id": 1,
        "scale_id": 10005,
        "comment": None,
        "created_at": "2017-12-05T10:00:00.000Z",
        "updated_at": "2017-12-05T10:00:00.000Z",
        "feedback": None,
        "feedback_rating": None,
        "final_mark": 100,
        "flag": {"id": 1},
        "begin_at": "2017-12-06T10:00:00.000Z",
        "correcteds": [_user(ALICE, "alice"), _user(BOB, "bob")],
        "corrector": _user(CAROL, "carol"),
        "truant": {},
        "filled_at": "2017-12-06T10:30:00.000Z",
        "scale": {"id": 10005},
        "team": team,
        "feedbacks": [],
    }
    # the default order: begin_at descending
    assert [row["id"] for row in client.get("/v2/scale_teams").json()] == [3, 2, 1]


def _team(updated: str, members: list[tuple[int, str]]) -> dict[str, Any]:
    return {
        "id": 77,
        "name": "pair",
        "project_id": 5,
        "created_at": "2018-01-01T10:00:00.000Z",
        "updated_at": updated,
        "status": "in_progress",
        "locked?": True,
        "users": [
            {
                "id": user,
                "login": login,
                "url": f"https://api.intra.42.fr/v2/users/{login}",
                "leader": user == 1,
                "occurrence": 0,
                "validated": True,
                "projects_user_id": 4000 + user,
            }
            for user, login in members
        ],
    }


def _import(database_url: str, kind: str, path: Path, payload: Any) -> str:
    path.write_text(json.dumps(payload))
    result = CliRunner().invoke(main, ["--database", database_url, "import", kind, str(path)])
    return f"{result.exit_code}: {result.output}"


def _members(database_url: str) -> list[tuple[Any, ...]]:
    store = open_store(database_url)
    try:
        return store.fetch(
            "SELECT team_id, user_id, leader, projects_user_id FROM teams_users ORDER BY id", []
        )
    finally:
        store.close()


def test_a_newer_team_replaces_its_members(tmp_path: Path, database_url: str) -> None:
    first = _team("2018-01-02T10:00:00.000Z", [(1, "alice"), (2, "bob")])
    said = _import(database_url, "teams", tmp_path / "a.json", [first])
    assert said.startswith("0: "), said
    assert "teams_users: 2 inserted" in said
    assert _members(database_url) == [(77, 1, True, 4001), (77, 2, False, 4002)]
    # bob left, carol joined: the newer copy's array is the team's
    second = _team("2018-01-03T10:00:00.000Z", [(1, "alice"), (3, "carol")])
    said = _import(database_url, "teams", tmp_path / "b.json", [second])
    assert said.startswith("0: "), said
    assert _members(database_url) == [(77, 1, True, 4001), (77, 3, False, 4003)]
    # a scale team brings its team whole: the team, its members and the users
    evaluation = {
        "id": 5,
        "scale_id": 3,
        "created_at": "2018-01-04T10:00:00.000Z",
        "updated_at": "2018-01-04T10:00:00.000Z",
        "begin_at": "2018-01-05T10:00:00.000Z",
        "corrector": "invisible",
        "truant": {},
        "correcteds": "invisible",
        "team": _team("2018-01-04T10:00:00.000Z", [(1, "alice"), (3, "carol"), (4, "dan")]),
    }
    said = _import(database_url, "scale_teams", tmp_path / "c.json", [evaluation])
    assert said.startswith("0: "), said
    assert [m[1] for m in _members(database_url)] == [1, 3, 4]
    client = client_for(open_store(database_url))
    row = client.get("/v2/scale_teams").json()[0]
    assert row["corrector"] == {} and row["truant"] == {}
    assert [user["login"] for user in row["correcteds"]] == ["alice", "carol", "dan"]
    assert row["team"]["updated_at"] == "2018-01-04T10:00:00.000Z"


def test_a_team_file_is_named_as_such(tmp_path: Path, database_url: str) -> None:
    team = _team("2018-01-02T10:00:00.000Z", [(1, "alice")])
    said = _import(database_url, "projects_users", tmp_path / "t.json", [team])
    assert said.startswith("1: ")
    assert "this is one of teams: use `intragraph import teams`" in said
    bad = {**team, "users": [{"id": 1, "login": 7}]}
    said = _import(database_url, "teams", tmp_path / "u.json", [bad])
    assert "users[0]: 'login' must be a string, not 7" in said


def test_a_team_known_by_its_id_alone(tmp_path: Path, database_url: str) -> None:
    """An evaluation whose team is {"id"} alone (an intragraph that lacks the team answers so)
    keeps the id, and shows it back the same way."""
    evaluation = {
        "id": 6,
        "created_at": "2018-01-04T10:00:00.000Z",
        "updated_at": "2018-01-04T10:00:00.000Z",
        "team": {"id": 9},
    }
    said = _import(database_url, "scale_teams", tmp_path / "e.json", [evaluation])
    assert said.startswith("0: "), said
    assert "teams: 0 inserted" in said
    row = client_for(open_store(database_url)).get("/v2/scale_teams").json()[0]
    assert (row["team"], row["correcteds"]) == ({"id": 9}, [])
