"""Every engine agrees with the pure-Python reference of periods.py: on random rows, intervals,
zones and week starts, and on the first and last second of periods around DST changes."""

from __future__ import annotations

import datetime as dt
import io
import json
import weakref
import zlib
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import REGISTRY

from intragraph import periods, zones
from intragraph.cache import AnswerCache
from intragraph.graphs import graph
from intragraph.ingest.load import Source, import_sources
from intragraph.query import parse_graph
from intragraph.resources import PROJECTS_USERS, RESOURCES, Resource
from intragraph.store import counts, facets, instants, rollups, splits, versions, writes
from intragraph.store.base import Store, aware
from intragraph.store.levels import LEVELS
from intragraph.store.tables import TABLES
from tests.conftest import add, utc

ZONES = [
    "UTC",
    "Europe/Paris",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "America/St_Johns",
    "Pacific/Chatham",
    "Africa/Monrovia",
    "Asia/Tehran",
    "Pacific/Apia",
    "Europe/Moscow",
]


def _edges(zone_name: str) -> list[dt.datetime]:
    """Each offset change in 2017-2019 and the local midnights around it, each +/- 1 s."""
    zone = ZoneInfo(zone_name)
    first = int(dt.datetime(2017, 1, 1, tzinfo=dt.UTC).timestamp())
    last = int(dt.datetime(2019, 12, 31, tzinfo=dt.UTC).timestamp())
    starts, _ = zones.steps(zone_name, first, last)
    found = []
    for change in starts.tolist()[1:]:
        moment = dt.datetime.fromtimestamp(change, dt.UTC)
        local_day = moment.astimezone(zone).date()
        midnights = [
            dt.datetime.combine(local_day + dt.timedelta(days=d), dt.time(), zone)
            for d in (-1, 0, 1)
        ]
        for center in (moment, *(m.astimezone(dt.UTC) for m in midnights)):
            found += [center + dt.timedelta(seconds=s) for s in (-1, 0, 1)]
    return found


EDGE_INSTANTS = sorted({i for name in ZONES for i in _edges(name)})
ALL_ZONES = sorted(periods.zone_names())

any_instant = st.one_of(
    st.datetimes(
        min_value=dt.datetime(1960, 1, 1),
        max_value=dt.datetime(2030, 1, 1),
        timezones=st.just(dt.UTC),
    ),
    st.sampled_from(EDGE_INSTANTS),
).map(lambda moment: moment.replace(microsecond=moment.microsecond // 1000 * 1000))


# a result cache per store, kept across examples: their writes must make its answers unreachable
CACHES: weakref.WeakKeyDictionary[Store, AnswerCache] = weakref.WeakKeyDictionary()

# every graph field of every graphed resource
TARGETS = [(resource, field) for resource in RESOURCES.values() for field in resource.graph_fields]
# those that can be ranged on (not languages_users' updated_at)
RANGED = [(resource, field) for resource, field in TARGETS if field in resource.ranges]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    target=st.sampled_from(TARGETS),
    rows=st.lists(st.one_of(st.none(), any_instant), max_size=25),
    interval=st.sampled_from(periods.INTERVALS),
    # the zones above, whose histories are the hard ones, or any of the others
    zone=st.one_of(st.sampled_from(ZONES), st.sampled_from(ALL_ZONES)),
    week_start=st.sampled_from(periods.WEEK_DAYS),
    now=any_instant,
)
def test_engine_equals_reference(
    store: Store,
    target: tuple[Resource, str],
    rows: list[dt.datetime | None],
    interval: str,
    zone: str,
    week_start: str,
    now: dt.datetime,
) -> None:
    resource, field = target
    with writes.transaction(store) as writer:
        writes.clear(writer, TABLES[resource.table])
    if rows:
        add(store, resource.table, *({field: row} for row in rows))
    params = [("time_zone", zone), ("week_start", week_start)]
    query = parse_graph(resource, field, interval, params)
    expected = periods.reference_graph(
        rows, interval, ZoneInfo(zone), periods.WEEK_DAY_ALIASES[week_start], now
    )
    assert graph(store, query, now) == expected  # unfiltered: from the rollups
    every_id = [*params, ("range[id]", f"{-(2**62)},{2**62}")]
    scanned = parse_graph(resource, field, interval, every_id)
    assert graph(store, scanned, now) == expected  # a condition: from the rows
    # and through the store's result cache, which every example's writes must invalidate
    cache = CACHES.setdefault(store, AnswerCache(64))
    for _ in range(2):  # counted, then kept
        assert cache.graph(store, query, now).counts == expected


def test_facets_are_own_columns_of_kinds_every_engine_writes_alike() -> None:
    """Each slot of a group is a column of a kind every engine writes alike as text, or a
    plain membership (no primary, current or second hop) whose table's merges adjust the
    facets (a table the rollups follow); a filter names each."""
    for resource in RESOURCES.values():
        columns = {f.name: f for f in resource.columns}
        assert len(set(resource.facets)) == len(resource.facets), resource.name
        for group in resource.facets:
            assert 0 < len(group) <= len(facets.SLOTS), resource.name
            for name in group:
                member = facets.membership(resource, name)
                if member is None:
                    assert columns[name].kind in facets.KINDS, (resource.name, name)
                    assert columns[name].json in resource.filters, (resource.name, name)
                    continue
                assert name.removesuffix(facets.SETS) in resource.filters, (resource.name, name)
                plain = (member.only, member.current, member.through, member.own)
                assert plain == (None, None, None, None), (resource.name, name)
                assert not TABLES[member.table].whole_by  # deletions a merge does not stage
                assert member.link in columns, (resource.name, name)


def test_every_group_and_field_of_facets_has_a_series_of_its_own() -> None:
    """Facets are looked up by their series alone: two groups or fields under one number
    would add up each other's counts."""
    named = {
        (resource.name, ",".join(group), field)
        for resource in RESOURCES.values()
        for group in resource.facets
        for field in resource.graph_fields
    }
    assert len(named) > 10
    numbers = {facets.series(*names) for names in named}
    assert len(numbers) == len(named)
    assert all(0 <= number < 2**63 for number in numbers)  # a BIGINT on every engine
    assert facets.series("projects_users", "project_id,status", "created_at") == zlib.crc32(
        b"projects_users/project_id,status/created_at"
    )


# every graph field of every resource with facets, and values of each: those a filter can
# name first, then others a row can hold (kept apart from them: "" from none); a row's user,
# for the memberships
FACETED = [(r, f) for r in RESOURCES.values() if r.facets for f in r.graph_fields]
FACET_VALUES: dict[str, list[Any]] = {
    "project_id": [1, 2, 30, -4],
    "status": ["finished", "in_progress", "parent", ""],
    "campus_id": [1, 7, 10, None],
    "user_id": [1, 2, 3, 4, None],
}
# the memberships' values a user can have (the first three asked for)
MEMBER_VALUES = [1, 7, 10, 12]
# UTC's periods are made of UTC days, Paris' and Sao Paulo's of hours (the facets answer);
# Kolkata's of half hours (the rows are counted)
FACET_ZONES = ["UTC", "Africa/Abidjan", "Europe/Paris", "America/Sao_Paulo", "Asia/Kolkata"]


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    target=st.sampled_from(FACETED),
    data=st.data(),
    interval=st.sampled_from(periods.INTERVALS),
    zone=st.sampled_from(FACET_ZONES),
    now=any_instant,
)
def test_facets_equal_reference(
    store: Store,
    target: tuple[Resource, str],
    data: st.DataObject,
    interval: str,
    zone: str,
    now: dt.datetime,
) -> None:
    """Graphs filtered on a resource's facets (one, the other, both; one value or several)
    equal the reference over the rows that meet the filters."""
    resource, field = target
    # the groups a filter names (those of the sets of a membership's values answer beside
    # them, for several values)
    named = [g for g in resource.facets if not any(facets.is_set(name) for name in g)]
    group = data.draw(st.sampled_from(named))
    members = {name: m for name in group if (m := facets.membership(resource, name))}
    columns = [name for name in group if name not in members]
    links = sorted({m.link for m in members.values()})
    # now's day is counted from the rows: some near now, on both sides
    near = st.integers(-2 * 86400, 86400).map(lambda s: now + dt.timedelta(seconds=s))
    row = st.fixed_dictionaries(
        {field: st.one_of(st.none(), any_instant, near)}
        | {column: st.sampled_from(FACET_VALUES[column]) for column in [*columns, *links]}
    )
    rows = data.draw(st.lists(row, max_size=25))
    # each user's memberships: none, one, several (twice the same too)
    held = {
        name: {
            user: data.draw(st.lists(st.sampled_from(MEMBER_VALUES), max_size=3))
            for user in FACET_VALUES[members[name].link][:4]
        }
        for name in members
    }
    asked = {
        name: data.draw(
            st.lists(
                st.sampled_from((MEMBER_VALUES if name in members else FACET_VALUES[name])[:3]),
                min_size=1,
            )
        )
        for name in data.draw(st.sets(st.sampled_from(group), min_size=1))
    }
    with writes.transaction(store) as writer:
        writes.clear(writer, TABLES[resource.table])
        for m in members.values():
            writes.clear(writer, TABLES[m.table])
    if rows:
        add(store, resource.table, *rows)
    for name, m in members.items():
        pairs = [(user, value) for user, values in held[name].items() for value in values]
        add(store, m.table, *({m.link: user, m.column: value} for user, value in pairs))
    params = [("time_zone", zone)]
    for name, values in asked.items():
        params.append((f"filter[{name}]", ",".join(map(str, values))))
    query = parse_graph(resource, field, interval, params)

    def meets(row: dict[str, Any], name: str, values: list[Any]) -> bool:
        if name in members:
            return bool(set(held[name].get(row[members[name].link], [])) & set(values))
        return row[name] in values

    met = [r[field] for r in rows if all(meets(r, n, values) for n, values in asked.items())]
    expected = periods.reference_graph(met, interval, ZoneInfo(zone), 6, now)
    assert graph(store, query, now) == expected
    # the facets answer it, but in Kolkata's half hours; with several values of a membership,
    # less the rows of the users who have more than one of them
    if zone != "Asia/Kolkata":
        chosen = facets.selection(query.resource, query.conditions)
        assert chosen is not None
        several = any(len(set(asked[name])) > 1 for name in members if name in asked)
        assert (chosen.several is not None) == several


def _campus_rows(
    store: Store, memberships: list[tuple[int, int]], rows: list[tuple[int, str]]
) -> None:
    """Only these (user, campus) memberships, and projects_users (user, status) created at
    2019-05-01 10:00."""
    with writes.transaction(store) as writer:
        for table in ("projects_users", "campus_users"):
            writes.clear(writer, TABLES[table])
    add(store, "campus_users", *({"user_id": u, "campus_id": c} for u, c in memberships))
    moment = utc("2019-05-01 10:00")
    made = ({"created_at": moment, "user_id": u, "status": status} for u, status in rows)
    add(store, "projects_users", *made)


def test_a_row_counts_once_in_each_campus_of_its_user(store: Store) -> None:
    """Its user's campuses: one or several (from the facets, but in Kolkata), a user of two
    of them counted once; a user in none, nowhere."""
    memberships = [(1, 1), (1, 7), (2, 7), (2, 7)]  # user 2 in campus 7 twice
    _campus_rows(store, memberships, [(1, "finished"), (2, "parent"), (3, "finished")])
    now = utc("2020-01-01 00:00")
    for zone in ("UTC", "Europe/Paris", "Asia/Kolkata"):
        for campuses, status, counted in (
            ("1", "", 1),
            ("7", "", 2),
            ("7,1", "", 2),
            ("1,1", "", 1),
            ("12", "", 0),
            ("7", "parent", 1),
            ("1,7", "finished,parent", 2),
            ("1", "parent", 0),
        ):
            params = [("filter[campus]", campuses), ("time_zone", zone)]
            params += [("filter[status]", status)] if status else []
            query = parse_graph(PROJECTS_USERS, "created_at", "year", params)
            expected = {"2019-01-01": counted, "2020-01-01": 0} if counted else {}
            assert graph(store, query, now) == expected, (zone, campuses, status)


def _series(groups: list[str], fields: tuple[str, ...] = PROJECTS_USERS.graph_fields) -> str:
    """The condition on the facets of projects_users' `groups` on `fields`."""
    numbers = [facets.series(PROJECTS_USERS.name, g, f) for g in groups for f in fields]
    return f"series IN ({', '.join(map(str, numbers))})"


def test_several_campuses_read_the_facets_less_the_users_in_more_than_one(store: Store) -> None:
    """A graph on several campuses sums their facets and takes off, for each row of a user in
    k of them, k - 1, read from the facets of the sets of campuses (a test of the path: the
    facets are changed alone, and what is taken off shows); its other conditions apply to
    those facets too, and a user in one of them takes nothing off."""
    # user 1 in campuses 1, 7 and 9 (7 twice), user 2 in 7 alone
    memberships = [(1, 1), (1, 7), (1, 7), (1, 9), (2, 7)]
    _campus_rows(store, memberships, [(1, "finished"), (1, "parent"), (2, "finished")])
    with store.transaction() as writer:  # no data table: the facets alone
        writer.execute(f"UPDATE facets SET n = 40 WHERE {_series(['campus,status'])}")
        writer.execute(f"UPDATE facets SET n = 10 WHERE {_series(['campus+,status'])}")
    now = utc("2020-01-01 00:00")
    for zone in ("UTC", "Europe/Paris"):
        for campuses, status, counted in (
            ("1,7", "", 4 * 40 - 2 * 10),  # 2 statuses x 2 campuses; user 1's set, once
            ("1,7,9", "", 3 * 40 + 3 * 40 - 2 * 2 * 10),  # user 1's set, in 3 of them
            ("1,7,9", "parent", 3 * 40 - 2 * 10),
            ("7,7", "finished", 40),  # one campus
            ("9,12", "", 2 * 40),  # user 1 in one of them: nothing taken off
        ):
            params = [("filter[campus]", campuses), ("time_zone", zone)]
            params += [("filter[status]", status)] if status else []
            query = parse_graph(PROJECTS_USERS, "created_at", "year", params)
            expected = {"2019-01-01": counted, "2020-01-01": 0}
            assert graph(store, query, now) == expected, (zone, campuses, status)


def test_filtered_graphs_in_utc_read_the_facets(store: Store) -> None:
    """The facets, not the rows, answer a graph in UTC or Paris filtered on them, and the
    rollups one ranged on its field by days: a count changed there alone shows (a test of the
    path, not of a result); a scan (of Kolkata's half hours, or of ids) does not see it."""
    moment = utc("2019-05-01 10:00")
    add(store, "projects_users", {"created_at": moment, "project_id": 5, "status": "parent"})
    now = utc("2020-01-01 00:00")
    paths = {"engine": store.dialect.name, "path": "facets"}
    before = REGISTRY.get_sample_value("intragraph_graph_count_seconds_count", paths) or 0
    with store.transaction() as writer:  # no data table: the facets alone
        groups = [",".join(group) for group in PROJECTS_USERS.facets]
        writer.execute(f"UPDATE facets SET n = 40 WHERE {_series(groups, ('created_at',))}")
    ranged = ("range[created_at]", "2019-01-01,2019-12-31")  # whole days: no scan either
    for params in (
        [("filter[project_id]", "5")],
        [("filter[status]", "parent,finished")],
        [("filter[project_id]", "5"), ranged],
    ):
        query = parse_graph(PROJECTS_USERS, "created_at", "year", params)
        for zone, counted in (("UTC", 40), ("Europe/Paris", 40), ("Asia/Kolkata", 1)):
            zoned = [*params, ("time_zone", zone)]
            query = parse_graph(PROJECTS_USERS, "created_at", "year", zoned)
            assert graph(store, query, now) == {"2019-01-01": counted, "2020-01-01": 0}, zone
        every_id = [*params, ("range[id]", "1,9")]
        scanned = parse_graph(PROJECTS_USERS, "created_at", "year", every_id)
        assert graph(store, scanned, now) == {"2019-01-01": 1, "2020-01-01": 0}
    other = parse_graph(PROJECTS_USERS, "created_at", "year", [("filter[project_id]", "6")])
    assert graph(store, other, now) == {}
    # the metric names the path: seven answers from the facets
    after = REGISTRY.get_sample_value("intragraph_graph_count_seconds_count", paths)
    assert after == before + 7
    # a range of days alone: the rollups of days (UTC) or hours (Paris), and its edges
    with store.transaction() as writer:  # a new version, as every data transaction makes
        writer.execute("UPDATE rollups SET n = 7 WHERE field = 'created_at' AND size > 900")
        versions.bump(writer)
    for zone in ("UTC", "Europe/Paris"):
        for text, counted in (("2019-05-01,2019-05-01", 7), ("2019-05-02,2019-06-01", 0)):
            params = [("range[created_at]", text), ("time_zone", zone)]
            query = parse_graph(PROJECTS_USERS, "created_at", "year", params)
            expected = {"2019-01-01": counted, "2020-01-01": 0} if counted else {}
            assert graph(store, query, now) == expected


def test_the_facets_are_written_in_the_order_of_their_values(store: Store) -> None:
    """A field's facets per hour, as a refresh writes them, lie in the order of their texts
    (a, b, hour): DuckDB's zone maps skip the row groups of other values, PostgreSQL finds a
    value's rows together. No status ("") before "" ("="); project 10 before 9."""
    moment = utc("2019-05-01 10:00")
    made = [(9, "finished"), (10, None), (100, ""), (10, "finished"), (2, "parent")]
    add(
        store,
        "projects_users",
        *(
            {"created_at": moment + dt.timedelta(hours=hour), "project_id": p, "status": s}
            for hour in (3, 1, 2)
            for p, s in made
        ),
    )
    place = "rowid" if store.dialect.name == "duckdb" else "ctid"
    found = store.fetch(
        f"SELECT a, b, granule FROM facets WHERE {_series(['project_id,status'], ('created_at',))}"
        f" AND size = 3600 ORDER BY {place}",
        [],
    )
    assert found == sorted(found) and len(found) == 15
    values = [
        ("=10", ""),
        ("=10", "=finished"),
        ("=100", "="),
        ("=2", "=parent"),
        ("=9", "=finished"),
    ]
    assert [(a, b) for a, b, _ in found[::3]] == values


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    target=st.sampled_from(RANGED),
    data=st.data(),
    interval=st.sampled_from(periods.INTERVALS),
    zone=st.sampled_from(ZONES),
    low=st.dates(dt.date(1965, 1, 1), dt.date(2029, 1, 1)),
    days=st.integers(0, 800),
)
def test_ranges_of_days_on_the_field_equal_reference(
    store: Store,
    target: tuple[Resource, str],
    data: st.DataObject,
    interval: str,
    zone: str,
    low: dt.date,
    days: int,
) -> None:
    """A range of whole local days on the graph field is read from the rollups (the facets,
    filtered on them too), its bounds falling between their granules; rows on either side of
    each bound, and of now."""
    resource, field = target
    high = low + dt.timedelta(days=days)
    local = ZoneInfo(zone)
    starts = [dt.datetime.combine(day, dt.time(), local) for day in (low, high + dt.timedelta(1))]
    # or a last instant, read in the zone: not between granules, so the rows are counted
    second = data.draw(st.one_of(st.none(), st.integers(0, 86399)))
    last = high.isoformat()
    if second is not None:
        moment = dt.time(second // 3600, second // 60 % 60, second % 60)
        starts[1] = dt.datetime.combine(high, moment, local) + dt.timedelta(microseconds=1)
        last = f"{high}T{moment}"
    edges = [moment.astimezone(dt.UTC) for moment in starts]
    # now: anywhere, or a little before or after the range's end
    later = st.integers(-7200, 86400 * 400).map(lambda s: edges[1] + dt.timedelta(seconds=s))
    now = data.draw(st.one_of(any_instant, later))
    near = st.tuples(st.sampled_from([*edges, now]), st.integers(-3600, 3600)).map(
        lambda pair: pair[0] + dt.timedelta(seconds=pair[1])
    )
    rows = data.draw(st.lists(st.one_of(any_instant, near, near), min_size=1, max_size=25))
    with writes.transaction(store) as writer:
        writes.clear(writer, TABLES[resource.table])
    faceted = {resource.facets[0][0]: 1} if resource.facets else {}  # project 1, campus 1
    if rows:
        add(store, resource.table, *({field: row, **faceted} for row in rows))
    params = [("time_zone", zone), (f"range[{field}]", f"{low},{last}")]
    filtered: bool = data.draw(st.booleans())
    if faceted and filtered:
        params.append((f"filter[{resource.facets[0][0]}]", "1,2"))
    query = parse_graph(resource, field, interval, params)
    met = [row for row in rows if edges[0] <= row < edges[1]]
    expected = periods.reference_graph(met, interval, local, 6, now)
    assert graph(store, query, now) == expected


def test_a_range_after_now_counts_none_of_now_s_rows(store: Store) -> None:
    """A range of days after now, on rollups kept whole (`rollups._level`): now's granule,
    counted from the rows up to now, is out of the range (a case the property test above
    found)."""
    now = utc("1999-01-01 00:00")
    add(store, "projects_users", {"created_at": now}, {"id": 2, "created_at": utc("2000-01-01")})
    for zone in ("UTC", "Europe/Paris"):
        params = [("time_zone", zone), ("range[created_at]", "2000-01-01,2000-01-01")]
        query = parse_graph(PROJECTS_USERS, "created_at", "day", params)
        assert graph(store, query, now) == {}
        params[1] = ("range[created_at]", "1998-12-31,2000-01-01")
        query = parse_graph(PROJECTS_USERS, "created_at", "year", params)
        assert graph(store, query, now) == {"1999-01-01": 1}  # now's row, at now


@pytest.mark.parametrize(
    ("zone", "params", "counted"),
    [
        # a date-only maximum of 9999-12-31 ends at 10000-01-01, past Python's calendar
        ("UTC", "range[created_at]=2000-01-01,9999-12-31", ["2000-01-01", "2020-06-01"]),
        ("America/Sao_Paulo", "range[created_at]=2000-01-01,9999-12-31", ["2020-06-01"]),
        # a date-only minimum of 0001-01-01 in Paris (local mean time then, +0:09:21) starts in
        # the year 0 in UTC
        ("Europe/Paris", "range[created_at]=0001-01-01,1999-12-31", ["0001-01-01", "1970-01-01"]),
        (
            "Europe/Paris",
            "range[created_at]=0001-01-01,2000-01-01",
            ["0001-01-01", "1970-01-01", "2000-01-01"],
        ),
        (
            "Europe/Paris",
            "range[created_at]=0001-01-01T00:05:00,2020-06-01",
            ["0001-01-01", "1970-01-01", "2000-01-01", "2020-06-01"],
        ),
        # instants past either end: a maximum before the calendar or a minimum after it keeps
        # nothing, not the row at the calendar's first instant
        ("Europe/Paris", "range[created_at]=0001-01-01,0001-01-01T00:05:00", []),
        ("UTC", "range[created_at]=0001-01-01T00:00:00+00:00,0001-01-01T00:00:00Z", ["0001-01-01"]),
        ("UTC", "range[created_at]=9999-12-31T23:00:00-05:00,9999-12-31T23:30:00-05:00", []),
        (
            "UTC",
            "range[created_at]=1970-01-01,9999-12-31T23:00:00-05:00",
            ["1970-01-01", "2000-01-01", "2020-06-01"],
        ),
        ("Europe/Paris", "filter[created_at]=0001-01-01T00:05:00,9999-12-31T23:00:00-05:00", []),
        ("Asia/Tokyo", "filter[created_at]=0001-01-01,9999-12-31", ["0001-01-01"]),
    ],
)
def test_bounds_past_the_calendar_s_ends_are_exact(
    store: Store, zone: str, params: str, counted: list[str]
) -> None:
    """Python's calendar ends with 9999 and begins with the year 1 in UTC: a date-only 9999-12-31
    (a maximum: open-ended) ends after it, 0001-01-01 in a zone east of UTC begins before it.
    Such bounds were a 400 ("not a timestamp"); now each keeps exactly the rows it means, on a
    row at the calendar's first instant too."""
    rows = ["0001-01-01", "1970-01-01", "2000-01-01", "2020-06-01"]
    if zone.startswith("America/"):  # the year 0 there, which the reference cannot name: below
        rows.remove("0001-01-01")
    add(store, "projects_users", *({"id": i, "created_at": utc(r)} for i, r in enumerate(rows)))
    name, text = params.split("=")
    query = parse_graph(PROJECTS_USERS, "created_at", "year", [("time_zone", zone), (name, text)])
    now = utc("2026-01-01 00:00")
    met = [utc(row) for row in counted]
    assert graph(store, query, now) == periods.reference_graph(met, "year", ZoneInfo(zone), 6, now)


def test_a_row_on_the_calendar_s_first_day_is_in_the_year_0_west_of_utc(store: Store) -> None:
    """0001-01-01T00:00:00Z (Go's zero time, which some exports write for "never") is
    0000-12-31T20:53:32 in Sao Paulo (local mean time, -3:06:28): numbered as ISO 8601 does
    (the year before 1 is 0000), not a crash (it was an OverflowError: Python's datetime has
    no year 0)."""
    add(store, "projects_users", {"created_at": utc("0001-01-01 00:00")})
    now = utc("2026-01-01 00:00")  # 2025-12-31 21:00 in Sao Paulo

    def answer(interval: str, week_start: str = "sunday") -> dict[str, int]:
        params = [("time_zone", "America/Sao_Paulo"), ("week_start", week_start)]
        return graph(store, parse_graph(PROJECTS_USERS, "created_at", interval, params), now)

    def one(keys: range, key: int) -> dict[str, int]:
        return {str(k): int(k == key) for k in keys}

    assert answer("hour_of_day") == one(range(24), 20)
    assert answer("day_of_week") == one(range(7), 0)  # a Sunday
    assert answer("day_of_month") == one(range(1, 32), 31)
    assert answer("month_of_year") == one(range(1, 13), 12)
    years = answer("year")
    assert list(years.items())[:2] == [("0000-01-01", 1), ("0001-01-01", 0)]
    assert len(years) == 2026 and list(years)[-1] == "2025-01-01" and sum(years.values()) == 1
    assert list(answer("day").items())[:2] == [("0000-12-31", 1), ("0001-01-01", 0)]
    assert list(answer("week").items())[:2] == [("0000-12-31", 1), ("0001-01-07", 0)]
    assert list(answer("week", "monday").items())[:2] == [("0000-12-25", 1), ("0001-01-01", 0)]
    assert list(answer("quarter").items())[:2] == [("0000-10-01", 1), ("0001-01-01", 0)]


FINE_GRANULES = [
    # Liberia kept local mean time, -0:44:30, until 1972: its days start at 00:44:30Z.
    ("Africa/Monrovia", "day", ["1971-06-01 00:44:29", "1971-06-01 00:44:30"]),
    # Newfoundland changed its clocks at 00:01 local until 2011: at 03:31Z in March 2010.
    ("America/St_Johns", "hour_of_day", ["2010-03-14 03:30:59", "2010-03-14 03:31:00"]),
]


def test_zones_off_the_quarter_hour_are_exact(store: Store) -> None:
    now = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    for zone, interval, texts in FINE_GRANULES:
        rows = [dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC) for text in texts]
        with writes.transaction(store) as writer:
            writes.clear(writer, TABLES["projects_users"])
        add(store, "projects_users", *({"created_at": row} for row in rows))
        query = parse_graph(PROJECTS_USERS, "created_at", interval, [("time_zone", zone)])
        answer = graph(store, query, now)
        assert answer == periods.reference_graph(rows, interval, ZoneInfo(zone), 6, now)
        assert sorted(answer.values())[-2:] == [1, 1]  # the two rows fall in two periods


def test_the_last_microsecond_of_a_quarter_hour_stays_in_it(store: Store) -> None:
    # 01:00Z is Paris' 2018 spring change: 02:59:59.999999 CET, then 03:00 CEST
    rows = [
        dt.datetime(2018, 3, 25, 0, 59, 59, 999999, tzinfo=dt.UTC),
        dt.datetime(2018, 3, 25, 1, 0, 0, tzinfo=dt.UTC),
        dt.datetime(2038, 1, 1, 0, 14, 59, 999999, tzinfo=dt.UTC),
    ]
    add(store, "projects_users", *({"created_at": row} for row in rows))
    now = dt.datetime(2040, 1, 1, tzinfo=dt.UTC)
    for params in ([("time_zone", "Europe/Paris")], [("range[id]", "1,3")]):
        query = parse_graph(PROJECTS_USERS, "created_at", "hour_of_day", params)
        zone = ZoneInfo(dict(params).get("time_zone", "UTC"))
        assert graph(store, query, now) == periods.reference_graph(
            rows, "hour_of_day", zone, 6, now
        )


def _record(
    id_: int,
    moments: tuple[dt.datetime, dt.datetime, dt.datetime | None],
    project: int = 1,
    status: str = "finished",
) -> str:
    created, updated, retriable = moments
    iso = {
        k: v.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if v else None
        for k, v in (("created_at", created), ("updated_at", updated), ("retriable_at", retriable))
    }
    return json.dumps({"id": id_, "project_id": project, "user_id": 1, "status": status, **iso})


moments = st.tuples(any_instant, any_instant, st.one_of(st.none(), any_instant))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    batches=st.lists(
        st.lists(
            st.tuples(
                st.integers(1, 6),
                moments,
                st.integers(1, 3),
                st.sampled_from(["finished", "parent"]),
            ),
            max_size=6,
        ),
        max_size=4,
    )
)
def test_rollups_follow_every_import(
    store: Store,
    batches: list[list[tuple[int, tuple[dt.datetime, dt.datetime, dt.datetime | None], int, str]]],
) -> None:
    """Imports insert, replace and keep rows; the rollups and the facets they maintain must
    always say what counting the rows says, for every graph field."""
    with writes.transaction(store) as writer:
        for table in ("projects_users", "campus_users"):
            writes.clear(writer, TABLES[table])
    memberships = [(1, 5), (1, 7), (2, 6)]  # the records' user in two campuses
    add(store, "campus_users", *({"user_id": u, "campus_id": c} for u, c in memberships))
    now = dt.datetime(2040, 1, 1, tzinfo=dt.UTC)
    filters = [
        [("filter[project_id]", "2")],
        [("filter[status]", "parent"), ("filter[project_id]", "1,3")],
        [("filter[status]", "finished"), ("filter[campus]", "5")],
        [("filter[campus]", "5,7,6")],  # the sets' facets take off what 5 and 7 count twice
    ]
    for batch in batches:
        lines = "\n".join(_record(*record) for record in batch)
        import_sources(
            store, "projects_users", [Source("batch", io.BytesIO(lines.encode()))], lambda _: None
        )
        for field in PROJECTS_USERS.graph_fields:
            query = parse_graph(PROJECTS_USERS, field, "day", [])
            for size in LEVELS:  # quarter-hours, hours and days
                kept = rollups.counts(store, query, now, size)
                counted = counts.granules(store, query, now, size)
                assert _pairs(kept) == _pairs(counted), (field, size)
            assert _pairs(rollups.half_past(store, query, now)) == _half_past(store, query, now)
            for params in filters:
                query = parse_graph(PROJECTS_USERS, field, "day", params)
                chosen = facets.selection(query.resource, query.conditions)
                assert chosen is not None
                for size in facets.SIZES:
                    kept = facets.counts(store, query, now, size, chosen)
                    counted = counts.granules(store, query, now, size)
                    assert _pairs(kept) == _pairs(counted), (field, params, size)


def _campus_user(id_: int, user: int, campus: int, version: int) -> str:
    stamp = (dt.datetime(2020, 1, 1) + dt.timedelta(days=version)).strftime("%Y-%m-%dT%H:%M:%SZ")
    fields = {"user_id": user, "campus_id": campus, "is_primary": True}
    return json.dumps({"id": id_, **fields, "created_at": stamp, "updated_at": stamp})


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(st.integers(1, 5), moments, st.sampled_from(["finished", "parent"])),
        min_size=1,
        max_size=12,
    ),
    batches=st.lists(
        # new ids and the first ones' (31-50): added and replaced memberships
        st.lists(st.tuples(st.integers(21, 50), st.integers(1, 5), st.integers(1, 4)), max_size=3),
        max_size=4,
    ),
)
def test_facets_follow_every_membership_change(
    store: Store,
    rows: list[tuple[int, tuple[dt.datetime, dt.datetime, dt.datetime | None], str]],
    batches: list[list[tuple[int, int, int]]],
) -> None:
    """A user's campuses change (an import of campus_users: a few of many, adjusted by their
    delta; or a clear, recomputed): the facets of the campus must follow, for every graph
    field, the rows of every user whose campuses changed."""
    with writes.transaction(store) as writer:
        for table in ("projects_users", "campus_users"):
            writes.clear(writer, TABLES[table])
    records = []
    for index, (user, (created, updated, retriable), status) in enumerate(rows):
        moments_ = {"created_at": created, "updated_at": updated, "retriable_at": retriable}
        records.append({"user_id": user, "status": status, **moments_, "id": index + 1})
    add(store, "projects_users", *records)
    # 20 memberships first, one campus a user: each batch below changes few enough to be
    # adjusted by its delta
    first = [_campus_user(31 + i, i % 5 + 1, i % 5 % 3 + 1, 0) for i in range(20)]
    batches = [[], *batches] if batches else [[]]
    now = dt.datetime(2040, 1, 1, tzinfo=dt.UTC)
    filters = [
        [("filter[campus]", "1")],
        [("filter[status]", "finished,parent"), ("filter[campus]", "3")],
        [("filter[campus]", "1,2,3")],  # less what the sets of the users in several take off
        [("filter[status]", "finished"), ("filter[campus]", "2,3")],
    ]
    for version, batch in enumerate(batches, 1):
        lines = [*first] if version == 1 else []
        lines += [_campus_user(i, user, campus, version) for i, user, campus in batch]
        source = Source("batch", io.BytesIO("\n".join(lines).encode()))
        import_sources(store, "campus_users", [source], lambda _: None)
        for field in PROJECTS_USERS.graph_fields:
            for params in filters:
                query = parse_graph(PROJECTS_USERS, field, "day", params)
                chosen = facets.selection(query.resource, query.conditions)
                assert chosen is not None and chosen.facet == "campus,status"
                for size in facets.SIZES:
                    kept = facets.counts(store, query, now, size, chosen)
                    counted = counts.granules(store, query, now, size)
                    assert _pairs(kept) == _pairs(counted), (field, params, size)


def _pairs(arrays: tuple[Any, Any]) -> dict[int, int]:
    return dict(zip(arrays[0].tolist(), arrays[1].tolist(), strict=True))


def _half_past(store: Store, query: Any, now: dt.datetime) -> dict[int, int]:
    """The rows per hour from half past a UTC hour (by the second it begins at), from a count
    of the rows per quarter-hour."""
    hours: dict[int, int] = {}
    for quarter, n in _pairs(counts.granules(store, query, now, zones.QUARTER_HOUR)).items():
        hour = (quarter * zones.QUARTER_HOUR - 1800) // 3600 * 3600 + 1800
        hours[hour] = hours.get(hour, 0) + n
    return hours


def test_a_small_import_adjusts_the_rollups(store: Store) -> None:
    def load(records: list[str]) -> None:
        source = Source("batch", io.BytesIO("\n".join(records).encode()))
        import_sources(store, "projects_users", [source], lambda _: None)

    day = dt.datetime(2018, 1, 1, tzinfo=dt.UTC)
    first = [(day + dt.timedelta(hours=i), day + dt.timedelta(hours=i), None) for i in range(10)]
    load([_record(i + 1, when) for i, when in enumerate(first)])
    moved = (day - dt.timedelta(days=3), day + dt.timedelta(days=30), day + dt.timedelta(days=2))
    load([_record(3, moved), _record(11, moved)])  # one replaced, one new: 2 of 10, a delta
    now = dt.datetime(2040, 1, 1, tzinfo=dt.UTC)
    for field in PROJECTS_USERS.graph_fields:
        query = parse_graph(PROJECTS_USERS, field, "day", [])
        scanned = parse_graph(PROJECTS_USERS, field, "day", [("range[id]", "1,99")])
        assert graph(store, query, now) == graph(store, scanned, now), field
        assert _pairs(rollups.half_past(store, query, now)) == _half_past(store, query, now)
    by_day = graph(store, parse_graph(PROJECTS_USERS, "created_at", "day", []), now)
    assert by_day["2017-12-29"] == 2 and by_day["2018-01-01"] == 9


def test_now_s_granule_counts_the_instants_up_to_now(store: Store) -> None:
    """Rows of now's hour and day, some in the future: the rollups answer the hours and days
    before, the instants the one now is in, to the microsecond; through appends (the rollups
    made anew), imports that adjust them, and the rows' removal."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=500_000)
    near = [now - dt.timedelta(seconds=s) for s in (0, 1, 3600, 86400 * 3)]
    later = [now + dt.timedelta(microseconds=1), now + dt.timedelta(hours=2)]
    # and older rows enough for an import of two to adjust the rollups
    made = {"created_at": dt.datetime(2020, 1, 1, tzinfo=dt.UTC)}
    old = [made for _ in range(10)]
    add(store, "projects_users", *({"retriable_at": m, **made} for m in near + later), *old)

    def check(rows: list[dt.datetime]) -> None:
        start = now.replace(minute=0, second=0, microsecond=0)
        kept = instants.count(store, "projects_users", "retriable_at", start, now)
        assert kept == sum(start <= row <= now for row in rows)  # kept, not counted
        # and the first moment a row crosses now (when a kept answer expires)
        crossing = versions.next_after(store, "projects_users", "retriable_at", now)
        assert crossing == min((row for row in rows if row > now), default=None)
        for interval in ("day", "hour_of_day"):
            query = parse_graph(PROJECTS_USERS, "retriable_at", interval, [])
            expected = periods.reference_graph(rows, interval, ZoneInfo("UTC"), 6, now)
            assert graph(store, query, now) == expected, interval

    check(near + later)
    moved = now - dt.timedelta(minutes=1)
    records = [_record(i, (now, now, moved)) for i in (5, 17)]  # one replaced, one new
    source = Source("batch", io.BytesIO("\n".join(records).encode()))
    import_sources(store, "projects_users", [source], lambda _: None)
    check([*near, moved, later[1], moved])
    with writes.transaction(store) as writer:
        writes.remove(writer, TABLES["projects_users"], [1, 17])
    check([*near[1:], moved, later[1]])
    # a `now` before the instants kept: the rows are counted
    past = near[-1]
    assert instants.count(store, "projects_users", "retriable_at", past, past) is None
    query = parse_graph(PROJECTS_USERS, "retriable_at", "day", [])
    assert graph(store, query, past) == {past.date().isoformat(): 1}


def test_the_instants_kept_start_the_day_before_the_last_write(store: Store) -> None:
    old = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    add(store, "projects_users", {"created_at": old}, {"created_at": dt.datetime.now(dt.UTC)})
    with writes.transaction(store) as writer:  # as after a write in 2020
        writer.execute(f"UPDATE data_version SET instants_since = {store.placeholder}", [old])
        writer.execute(
            f"INSERT INTO instants VALUES ('projects_users', 'created_at', {store.placeholder}, 1)",
            [old],
        )
    kept = (
        "SELECT count(*) FROM instants WHERE resource = 'projects_users' AND field = 'created_at'"
    )
    assert store.fetch(kept, []) == [(2,)]
    add(store, "users", {"login": "jdoe"})  # any write moves it, and drops what is older
    since = aware(store.fetch("SELECT instants_since FROM data_version", [])[0][0])
    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    assert since == today - dt.timedelta(days=1)
    assert store.fetch(kept, []) == [(1,)]


def test_local_days_that_begin_inside_utc_days_are_exact(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kolkata's days begin at 18:30Z, Adelaide's at 14:30Z or 13:30Z (its offset changes at
    16:30Z), St John's at 03:30Z or 02:30Z: at half past a UTC hour, as every local hour there
    does (read from the hours kept from there). Paris' begin at 23:00Z or 22:00Z (its offset
    changes at 01:00Z), Lord Howe's at 13:30Z or 13:00Z, Kathmandu's at 18:15Z: each UTC day
    is split there (`store.splits`), or read as UTC hours (Paris)."""
    texts = [
        "2019-05-01 18:29:59.999999",
        "2019-05-01 18:30:00",
        "2019-05-02 00:00:00",
        "2019-05-02 13:29:59",
        "2019-05-02 13:30:00",
        "2019-05-02 14:29:59",
        "2019-05-02 14:30:00",
        "2019-05-02 18:14:59",
        "2019-05-02 18:15:00",
        "2019-04-06 13:29:59",
        "2019-04-06 13:30:00",
        "2019-04-06 16:29:59",
        "2019-04-06 16:30:00",
        "2018-03-24 22:59:59",
        "2018-03-24 23:00:00",
        "2018-03-25 00:59:59",
        "2018-03-25 01:00:00",
        "2018-03-25 21:59:59",
        "2018-03-25 22:00:00",
        "2019-05-03 12:00:00",  # now's day, before and after now
        "2019-05-03 19:00:00",
    ]
    rows = [utc(text) for text in texts]
    add(store, "projects_users", *({"created_at": row} for row in rows))
    now = utc("2019-05-03 18:45:00")
    half_past = ("Asia/Kolkata", "Australia/Adelaide", "America/St_Johns")
    split = ("Europe/Paris", "Australia/Lord_Howe", "Asia/Kathmandu")
    for zone in (*half_past, *split):
        for interval in ("day", "week", "day_of_week", "hour_of_day"):
            query = parse_graph(PROJECTS_USERS, "created_at", interval, [("time_zone", zone)])
            expected = periods.reference_graph(rows, interval, ZoneInfo(zone), 6, now)
            with monkeypatch.context() as patched:
                if zone in half_past:  # not split: read from the hours from half past
                    patched.setattr(splits, "counts", None)
                assert graph(store, query, now) == expected, (zone, interval)


def test_the_zones_whose_hours_begin_at_half_past() -> None:
    def seconds(text: str) -> int:
        return int(utc(text).timestamp())

    since_2012 = (seconds("2012-01-01 00:00"), seconds("2026-12-01 00:00"))
    for zone in ("Asia/Kolkata", "Australia/Adelaide", "America/St_Johns", "Asia/Tehran"):
        assert zones.half_past(zone, *since_2012), zone
    for zone in ("UTC", "Europe/Paris", "Australia/Lord_Howe", "Asia/Kathmandu"):
        assert not zones.half_past(zone, *since_2012), zone
    # St John's changed its offset at 00:01 local time until 2011: at 02:31Z or 03:31Z
    assert not zones.half_past("America/St_Johns", seconds("2010-06-01 00:00"), since_2012[1])
    # Kolkata kept Madras' time, +5:21:10, until 1906
    assert not zones.half_past("Asia/Kolkata", seconds("1900-01-01 00:00"), since_2012[1])
    assert zones.half_past("Asia/Kolkata", seconds("1907-01-01 00:00"), since_2012[1])
