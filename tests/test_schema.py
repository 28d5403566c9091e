"""A database of an earlier schema is refused until `intragraph db upgrade`, which brings it to
this intragraph's, keeping its rows and filling the rollups of graph fields it did not have."""

from __future__ import annotations

import datetime as dt
from typing import Any

from click.testing import CliRunner

from intragraph.cli import main
from intragraph.graphs import graph
from intragraph.query import parse_graph
from intragraph.resources import CURSUS_USERS, PROJECTS_USERS, RESOURCES
from intragraph.store import counts, facets, instants, migrations, open_store, rollups, writes
from intragraph.store.base import Store
from intragraph.store.levels import HALF_PAST, LEVELS
from intragraph.store.migrations import LATEST
from tests.conftest import NOW, add, utc


def test_an_older_schema_is_upgraded_with_its_rows(database_url: str) -> None:
    store = open_store(database_url)
    add(store, "cursus_users", {"cursus_id": 21, "begin_at": utc("2017-12-01 10:00")})
    # as a database of schema 3 was: no has_coalition, no blackholed_at, no cursus_users rollups
    with writes.transaction(store) as writer:
        for column in ("has_coalition", "blackholed_at"):
            writer.execute(f"ALTER TABLE cursus_users DROP COLUMN {column}")
        writer.execute("DELETE FROM rollups WHERE resource = 'cursus_users'")
        for statement in _facets_of(3, store):
            writer.execute(statement)
        writer.execute("DELETE FROM intragraph_schema WHERE version > 3")
    store.close()
    refused = CliRunner().invoke(main, ["graph", "cursus_users", "--database", database_url])
    assert refused.exit_code == 1
    assert f"has schema version 3, this intragraph needs {LATEST}" in refused.stderr
    upgraded = CliRunner().invoke(main, ["db", "upgrade", "--database", database_url])
    assert upgraded.exit_code == 0, upgraded.output
    assert upgraded.stdout.startswith("applied 4: cursus_users graphed")
    store = open_store(database_url)
    try:
        unfiltered = parse_graph(CURSUS_USERS, "begin_at", "month", [])  # from the rollups
        assert graph(store, unfiltered, NOW) == {"2017-12-01": 1, "2018-01-01": 0}
        add(store, "cursus_users", {"id": 2, "blackholed_at": utc("2018-01-01 00:00")})
        assert store.fetch("SELECT count(blackholed_at) FROM cursus_users", []) == [(1,)]
    finally:
        store.close()


def test_the_hour_and_day_rollups_are_summed_from_the_quarter_hours(database_url: str) -> None:
    store = open_store(database_url)
    moments = ["1965-03-01 23:50", "2017-12-31 23:59:59", "2018-01-01 00:00", "2018-01-01 01:10"]
    add(store, "projects_users", *({"created_at": utc(m), "updated_at": utc(m)} for m in moments))
    # as a database of schema 13 was: quarter-hours only, without their size
    undone = ["DELETE FROM rollups WHERE size <> 900", "ALTER TABLE rollups DROP COLUMN size"]
    store = _upgraded_from(
        store, database_url, 13, undone, "applied 14: rollups per UTC hour and day"
    )
    try:
        query = parse_graph(PROJECTS_USERS, "created_at", "day", [])
        for size in LEVELS:
            kept = rollups.counts(store, query, NOW, size)
            counted = counts.granules(store, query, NOW, size)
            assert _pairs(kept) == _pairs(counted), size
        days = _pairs(rollups.counts(store, query, NOW, 86400))
        assert list(days.values()) == [1, 1, 2]  # 1965-03-01, 2017-12-31, 2018-01-01
        assert graph(store, query, NOW)["2018-01-01"] == 2
    finally:
        store.close()


def _facets_of(version: int, store: Store) -> list[str]:
    """What makes the facets table the one a database of schema `version` had (empty): none
    before 16; 16's; 17's, until 21 keyed them by series."""
    if version < 16:
        return ["DROP TABLE facets"]
    if version < 21:
        return [
            "DROP TABLE facets",
            *migrations.MIGRATIONS[15 if version == 16 else 16].statements(store.dialect),
        ]
    return []


def _upgraded_from(store: Store, url: str, version: int, undone: list[str], applied: str) -> Store:
    """`store` (at `url`) made a database of schema `version` (`undone` takes back what came
    after, the facets' table as it was before that: `_facets_of`), then upgraded by
    `intragraph db upgrade`, whose first step says `applied`; opened again."""
    with writes.transaction(store) as writer:
        for statement in [*_facets_of(version, store), *undone]:
            writer.execute(statement)
        writer.execute(f"DELETE FROM intragraph_schema WHERE version > {version}")
    store.close()
    upgraded = CliRunner().invoke(main, ["db", "upgrade", "--database", url])
    assert upgraded.stdout.startswith(applied), upgraded.output
    return open_store(url)


# the (resource, group, field) of each series of facets
NAMED = {
    facets.series(r.name, ",".join(group), field): (r.name, ",".join(group), field)
    for r in RESOURCES.values()
    for group in r.facets
    for field in r.graph_fields
}


def _facets(store: Store, size: int) -> list[tuple[Any, ...]]:
    """Every facet of `size` with what its series stands for: (resource, group, field,
    granule, a, b, n)."""
    found = store.fetch(f"SELECT series, granule, a, b, n FROM facets WHERE size = {size}", [])
    return [(*NAMED[number], *rest) for number, *rest in found]


def _pairs(arrays: tuple[Any, Any]) -> dict[int, int]:
    return dict(sorted(zip(arrays[0].tolist(), arrays[1].tolist(), strict=True)))


def test_the_instants_are_made_for_every_resource(database_url: str) -> None:
    store = open_store(database_url)
    now = dt.datetime.now(dt.UTC)
    add(store, "projects_users", {"created_at": now, "retriable_at": now + dt.timedelta(days=9)})
    add(store, "locations", {"begin_at": now - dt.timedelta(hours=1)})
    # as a database of schema 14 was: no instants
    undone = ["DROP TABLE instants", "ALTER TABLE data_version DROP COLUMN instants_since"]
    store = _upgraded_from(store, database_url, 14, undone, "applied 15: instants")
    try:
        kept = store.fetch("SELECT resource, field, n FROM instants ORDER BY 1, 2", [])
        assert kept == [
            ("locations", "begin_at", 1),
            ("projects_users", "created_at", 1),
            ("projects_users", "retriable_at", 1),
        ]
        start = now - dt.timedelta(hours=2)
        assert instants.count(store, "locations", "begin_at", start, now) == 1
    finally:
        store.close()


def test_the_facets_are_made_for_every_resource_that_has_them(database_url: str) -> None:
    store = open_store(database_url)
    add(
        store,
        "projects_users",
        {"created_at": utc("2018-01-01 10:00"), "project_id": 3, "status": "parent"},
        {"created_at": utc("2018-01-02 10:00"), "project_id": 3},
        {"created_at": utc("2018-01-02 11:00"), "project_id": 4},
    )
    add(store, "locations", {"begin_at": utc("2018-01-01 10:00"), "campus_id": 9})
    add(store, "campus_users", {"user_id": 1, "campus_id": 12}, {"user_id": 1, "campus_id": 5})
    # as a database of schema 16 was: facets without groups (`_facets_of`)
    store = _upgraded_from(store, database_url, 16, [], "applied 17: facets in groups")
    try:
        kept = [f for f in _facets(store, 86400) if f[2] in ("created_at", "begin_at")]
        kept.sort(key=lambda r: (r[0], r[1], r[2], r[4], r[5], r[3]))  # as Python orders texts
        hours = [f[-1] for f in _facets(store, 3600) if f[2] == "created_at"]
        # the campus' ones: a row in each of two, and in the set of both
        assert (sum(hours), len(hours)) == (12, 12)
        day, pu = 17532, "projects_users"  # 2018-01-01
        assert kept == [
            ("locations", "campus_id", "begin_at", day, "=9", "", 1),
            (pu, "campus+,status", "created_at", day + 1, "=5,12", "=finished", 2),
            (pu, "campus+,status", "created_at", day, "=5,12", "=parent", 1),
            (pu, "campus,status", "created_at", day + 1, "=12", "=finished", 2),
            (pu, "campus,status", "created_at", day, "=12", "=parent", 1),
            (pu, "campus,status", "created_at", day + 1, "=5", "=finished", 2),
            (pu, "campus,status", "created_at", day, "=5", "=parent", 1),
            (pu, "project_id,status", "created_at", day + 1, "=3", "=finished", 1),
            (pu, "project_id,status", "created_at", day, "=3", "=parent", 1),
            (pu, "project_id,status", "created_at", day + 1, "=4", "=finished", 1),
        ]
        for params, expected in (
            ([("filter[campus]", "12")], [1, 2]),
            ([("filter[status]", "parent"), ("filter[campus]", "5,12,7")], [1, 0]),
        ):
            query = parse_graph(PROJECTS_USERS, "created_at", "day", params)
            found = graph(store, query, NOW)
            assert list(found.values())[:2] == expected and sum(found.values()) == sum(expected)
        nowhere = parse_graph(PROJECTS_USERS, "created_at", "day", [("filter[campus]", "6")])
        assert graph(store, nowhere, NOW) == {}
        query = parse_graph(PROJECTS_USERS, "created_at", "day", [("filter[project_id]", "3")])
        counted = graph(store, query, NOW)  # zero-filled to NOW, 2018-01-10
        assert list(counted.values()) == [1, 1, *[0] * 8]
    finally:
        store.close()


def test_the_campus_facets_are_keyed_campus_first(database_url: str) -> None:
    store = open_store(database_url)
    add(store, "projects_users", {"created_at": utc("2018-01-01 10:00"), "status": "parent"})
    add(store, "campus_users", {"user_id": 1, "campus_id": 12}, {"user_id": 1, "campus_id": 5})
    # as a database of schema 17 was: the same counts, keyed status first
    undone = [
        "INSERT INTO facets (resource, facet, field, size, granule, a, b, n) "
        "VALUES ('projects_users', 'status,campus', 'created_at', 86400, 17532, '=parent', "
        "'=12', 1)",
    ]
    store = _upgraded_from(store, database_url, 17, undone, "applied 18: projects_users'")
    try:
        kept = [
            (group, a, b, n)
            for resource, group, field, _, a, b, n in _facets(store, 86400)
            if (resource, field) == ("projects_users", "created_at")
        ]
        assert sorted(kept) == [
            ("campus+,status", "=5,12", "=parent", 1),
            ("campus,status", "=12", "=parent", 1),
            ("campus,status", "=5", "=parent", 1),
            ("project_id,status", "=1", "=parent", 1),
        ]
        query = parse_graph(PROJECTS_USERS, "created_at", "year", [("filter[campus]", "5,12")])
        assert graph(store, query, NOW) == {"2018-01-01": 1}
    finally:
        store.close()


def test_the_sets_of_campuses_are_made_on_upgrade(database_url: str) -> None:
    """Schema 20 counts the rows of each user in several campuses under the set of them; a
    graph on several campuses takes off, from their facets, what those count twice."""
    store = open_store(database_url)
    rows = [("2018-01-01 10:00", 1), ("2018-01-01 11:00", 1), ("2018-01-01 12:00", 2)]
    add(store, "projects_users", *({"created_at": utc(t), "user_id": u} for t, u in rows))
    memberships = [(1, 12), (1, 5), (1, 9), (2, 5), (2, 9)]
    add(store, "campus_users", *({"user_id": u, "campus_id": c} for u, c in memberships))
    # as a database of 19 was: no sets of campuses (nor any facet: `_facets_of`)
    store = _upgraded_from(store, database_url, 19, [], "applied 20: projects_users'")
    try:
        kept = [
            (a, b, n)
            for _, group, field, _, a, b, n in _facets(store, 86400)
            if (group, field) == ("campus+,status", "created_at")
        ]
        assert sorted(kept) == [("=5,9", "=finished", 1), ("=5,9,12", "=finished", 2)]
        for campuses, counted in (("5,9", 3), ("12,9", 3), ("5,9,12", 3), ("12", 2), ("7,12", 2)):
            query = parse_graph(
                PROJECTS_USERS, "created_at", "year", [("filter[campus]", campuses)]
            )
            assert graph(store, query, NOW) == {"2018-01-01": counted}, campuses
    finally:
        store.close()


def test_the_facets_are_keyed_by_series_on_upgrade(database_url: str) -> None:
    """Schema 21 keys the facets by a number for their resource, group and field: a database
    of 20 has them made anew, and its filtered graphs read them."""
    store = open_store(database_url)
    rows = [
        ("2018-01-01 10:00", 3, "finished"),
        ("2018-01-02 11:00", 3, ""),
        ("2018-01-02 12:00", 4, "parent"),
    ]
    add(
        store,
        "projects_users",
        *({"created_at": utc(t), "project_id": p, "status": s} for t, p, s in rows),
    )
    store = _upgraded_from(store, database_url, 20, [], "applied 21: facets keyed by a number")
    try:
        columns = store.fetch("SELECT * FROM facets WHERE size = 86400 LIMIT 1", [])
        assert len(columns[0]) == 6  # series, size, granule, a, b, n
        kept = [
            (granule, a, b, n)
            for _, group, field, granule, a, b, n in _facets(store, 86400)
            if (group, field) == ("project_id,status", "created_at")
        ]
        day = 17532  # 2018-01-01
        assert sorted(kept) == [
            (day, "=3", "=finished", 1),
            (day + 1, "=3", "=", 1),
            (day + 1, "=4", "=parent", 1),
        ]
        query = parse_graph(PROJECTS_USERS, "created_at", "day", [("filter[project_id]", "3")])
        assert list(graph(store, query, NOW).values())[:2] == [1, 1]
    finally:
        store.close()


def test_the_hours_from_half_past_are_made_from_the_quarter_hours(database_url: str) -> None:
    store = open_store(database_url)
    texts = ("2018-01-01 10:29:59", "2018-01-01 10:30", "2018-01-01 11:29:59", "2018-01-01 11:30")
    add(store, "projects_users", *({"created_at": utc(text)} for text in texts))
    # as a database of schema 18 was: no such hours
    undone = [f"DELETE FROM rollups WHERE size = {HALF_PAST}"]
    store = _upgraded_from(store, database_url, 18, undone, "applied 19: rollups per hour")
    try:
        kept = store.fetch(
            "SELECT granule, n FROM rollups WHERE resource = 'projects_users' "
            f"AND field = 'created_at' AND size = {HALF_PAST} ORDER BY 1",
            [],
        )
        hour = int(utc("2018-01-01 09:30").timestamp()) // 3600  # 09:30 to 10:30, and on
        assert kept == [(hour, 1), (hour + 1, 2), (hour + 2, 1)]
        query = parse_graph(
            PROJECTS_USERS, "created_at", "hour_of_day", [("time_zone", "Asia/Kolkata")]
        )
        # 15:59:59, 16:00 and 16:59:59, 17:00 in Kolkata, read from those hours
        expected = {str(hour): 0 for hour in range(24)} | {"15": 1, "16": 2, "17": 1}
        assert graph(store, query, NOW) == expected
    finally:
        store.close()
