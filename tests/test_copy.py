"""The columnar copy of a PostgreSQL database (store/copy.py): row for row what PostgreSQL holds,
graph for graph what the reference says, used only while it holds the version a request read,
and refreshed table by table."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intragraph import periods
from intragraph.config import Settings
from intragraph.graphs import graph
from intragraph.ingest.columns import column_arrays, columns_of
from intragraph.ingest.load import merge_records
from intragraph.query import parse_graph
from intragraph.resources import PROJECTS_USERS, RESOURCES
from intragraph.store import open_store, versions, writes
from intragraph.store.base import Store
from intragraph.store.copy import ColumnarCopy
from intragraph.store.tables import TABLES
from tests.conftest import NOW, add, client_for, reused_schema, utc
from tests.test_engines import TARGETS, any_instant

GRAPH = "/v2/projects_users/graph/on/created_at/by/day"


@pytest.fixture
def pg() -> Iterator[Store]:
    with reused_schema() as url:
        store = open_store(url)
        yield store
        store.close()


@pytest.fixture
def copy(pg: Store) -> Iterator[ColumnarCopy]:
    made = ColumnarCopy(pg)
    yield made
    made.close()


def _rows(store: Store, table: str) -> list[tuple[object, ...]]:
    listed = ", ".join(TABLES[table].columns)
    return store.fetch(f"SELECT {listed} FROM {table} ORDER BY id", [])


def test_every_value_is_copied_as_it_is(pg: Store, copy: ColumnarCopy) -> None:
    # what CSV could garble: separators, quotes, line breaks, an empty text against a null,
    # booleans, floats, microseconds, the first and the last instants
    texts = ["a,b", 'say "hi"', "two\nlines", "", None, "ünï ☃"]
    add(
        pg,
        "users",
        *(
            {"login": text, "email": f"u{i}@x", "created_at": utc("2020-01-01 10:00:00.000001")}
            for i, text in enumerate(texts)
        ),
    )
    add(
        pg,
        "projects_users",
        {"created_at": utc("0001-01-01 00:00:00"), "final_mark": 0, "marked": True},
        {"created_at": utc("9999-12-31 23:59:59.999999"), "final_mark": -42, "marked": False},
        {"created_at": utc("2018-03-25 00:59:59.999999"), "status": "", "retriable_at": None},
    )
    add(pg, "locations", {"begin_at": utc("2018-01-01 00:00:00"), "end_at": None})
    refreshed = copy.refresh()
    assert refreshed is not None and set(refreshed.tables) == set(TABLES)
    for table in TABLES:
        assert _rows(copy.store, table) == _rows(pg, table), table
    assert refreshed.rows == 6 + 3 + 1
    assert copy.refresh() is None  # nothing changed since


def test_graphs_from_the_copy_equal_postgres_on_every_resource(
    pg: Store, copy: ColumnarCopy
) -> None:
    moments = [utc("2017-11-19 23:30:00"), utc("2018-01-01 00:14:59"), utc("2018-01-09 12:00:00")]
    for resource in RESOURCES.values():
        if resource.table in ("projects_users", "users"):
            continue  # below, with the tables their filters read
        add(pg, resource.table, *({f: m for f in resource.graph_fields} for m in moments))
    add(pg, "users", *({"login": f"u{i}", "created_at": m} for i, m in enumerate(moments)))
    add(pg, "campus_users", {"user_id": 1, "campus_id": 7})
    add(pg, "projects_users", *({"created_at": m, "user_id": i % 2} for i, m in enumerate(moments)))
    copy.refresh()
    checked = 0
    for resource in RESOURCES.values():
        for field in resource.graph_fields:
            for params in ([], [("time_zone", "Asia/Kolkata")], [("range[id]", "2,3")]):
                query = parse_graph(resource, field, "day", params)
                assert graph(copy.store, query, NOW) == graph(pg, query, NOW), (resource, params)
                checked += 1
    campus = parse_graph(PROJECTS_USERS, "created_at", "week", [("filter[campus]", "7")])
    assert graph(copy.store, campus, NOW) == graph(pg, campus, NOW)
    assert sum(graph(copy.store, campus, NOW).values()) == 1  # the one row of user 1
    assert checked > 100


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    target=st.sampled_from(TARGETS),
    rows=st.lists(st.one_of(st.none(), any_instant), max_size=25),
    interval=st.sampled_from(periods.INTERVALS),
    zone=st.sampled_from(["UTC", "Europe/Paris", "America/St_Johns", "Asia/Kolkata"]),
    now=any_instant,
)
def test_the_copy_answers_as_the_reference(
    pg: Store,
    copy: ColumnarCopy,
    target: tuple[object, str],
    rows: list[dt.datetime | None],
    interval: str,
    zone: str,
    now: dt.datetime,
) -> None:
    resource, field = target
    table = TABLES[resource.table]  # type: ignore[attr-defined]
    with writes.transaction(pg) as writer:
        writes.clear(writer, table)
    if rows:
        add(pg, table.name, *({field: row} for row in rows))
    refreshed = copy.refresh()
    if copy.last is not refreshed or refreshed is None:
        raise AssertionError("every example changes the data's version")
    if refreshed.tables != tuple(TABLES):  # after the first: only the table written
        assert refreshed.tables == (table.name,)
    reader = copy.reader(versions.current(pg))
    assert reader is copy.store
    expected = periods.reference_graph(rows, interval, ZoneInfo(zone), 6, now)
    for params in ([], [("range[id]", f"{-(2**62)},{2**62}")]):
        query = parse_graph(resource, field, interval, [("time_zone", zone), *params])  # type: ignore[arg-type]
        assert graph(reader, query, now) == expected


def test_a_request_never_reads_a_copy_behind_the_data(pg: Store, copy: ColumnarCopy) -> None:
    add(pg, "projects_users", {"created_at": utc("2018-01-02 10:00:00")})
    copy.refresh()
    held = versions.current(pg)
    assert copy.reader(held) is copy.store
    with writes.transaction(pg) as writer:
        writes.remove(writer, TABLES["projects_users"], [1])
    newer = versions.current(pg)
    assert copy.reader(newer) is pg  # PostgreSQL answers; the copy starts catching up
    deadline = time.monotonic() + 30
    while copy.version != newer and time.monotonic() < deadline:
        time.sleep(0.05)
    assert copy.reader(newer) is copy.store
    assert copy.last is not None and copy.last.tables == ("projects_users",)
    query = parse_graph(PROJECTS_USERS, "created_at", "day", [])
    assert sum(graph(copy.store, query, NOW).values()) == 0
    assert copy.reader(held) is pg  # an older version than the copy's is not the copy's


def _merge(store: Store, ids: list[int], days: int = 0) -> None:
    """Import stored rows of projects_users again, `days` newer."""
    with writes.transaction(store) as writer:
        staged = _staged(store, ids)
        staged["updated_at"] = staged["updated_at"] + np.timedelta64(days, "D")
        writer.stage(TABLES["projects_users"], staged)
        writes.merge(writer, TABLES["projects_users"])


def test_a_small_merge_is_copied_by_its_rows(pg: Store, copy: ColumnarCopy) -> None:
    moment = utc("2018-01-02 10:00:00")
    add(pg, "projects_users", *({"created_at": moment, "updated_at": moment} for _ in range(8)))
    copy.refresh()
    _merge(pg, [1, 2])  # the same rows again: nothing changes
    refreshed = copy.refresh()
    assert refreshed is not None and (refreshed.tables, refreshed.parts) == ((), ())
    _merge(pg, [3], days=1)  # one row newer: a small merge, whose ids are recorded
    _merge(pg, [5], days=2)
    refreshed = copy.refresh()
    assert refreshed is not None and refreshed.parts == ("projects_users",)
    assert refreshed.tables == () and refreshed.rows == 2
    assert _rows(copy.store, "projects_users") == _rows(pg, "projects_users")
    query = parse_graph(PROJECTS_USERS, "updated_at", "day", [])
    assert graph(copy.store, query, NOW) == graph(pg, query, NOW)
    assert graph(copy.store, query, NOW)["2018-01-04"] == 1  # its rollups follow
    with writes.transaction(pg) as writer:  # a removal: the table whole
        writes.remove(writer, TABLES["projects_users"], [4])
    refreshed = copy.refresh()
    assert refreshed is not None and refreshed.tables == ("projects_users",)
    assert _rows(copy.store, "projects_users") == _rows(pg, "projects_users")


def test_a_campus_change_is_copied_by_its_rows_and_its_facets_follow(
    pg: Store, copy: ColumnarCopy
) -> None:
    """A user moves campus: PostgreSQL adjusts the campus's facets by the merge's delta, the
    copy takes the changed membership by its id and recomputes them; both answer alike."""
    moment = utc("2018-01-02 10:00:00")
    add(pg, "campus_users", *({"user_id": user, "campus_id": 7} for user in range(1, 9)))
    add(pg, "projects_users", *({"created_at": moment, "user_id": user} for user in range(1, 9)))
    copy.refresh()
    moved = {"id": 3, "user_id": 3, "campus_id": 9, "is_primary": True}
    stamps = {"created_at": "2018-01-01T00:00:00Z", "updated_at": "2018-02-01T00:00:00Z"}
    with writes.transaction(pg) as writer:  # 1 of 8: a delta, not a refresh
        merge_records(writer, "campus_users", [("test", 1, {**moved, **stamps})])
    refreshed = copy.refresh()
    assert refreshed is not None and refreshed.parts == ("campus_users",)
    for campus, counted in (("7", 7), ("9", 1)):
        query = parse_graph(PROJECTS_USERS, "created_at", "day", [("filter[campus]", campus)])
        assert graph(copy.store, query, NOW) == graph(pg, query, NOW), campus
        assert sum(graph(pg, query, NOW).values()) == counted, campus


def test_a_copy_too_far_behind_takes_every_table(
    pg: Store, copy: ColumnarCopy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(versions, "KEPT", 2)
    moment = utc("2018-01-02 10:00:00")
    add(pg, "projects_users", *({"created_at": moment, "updated_at": moment} for _ in range(8)))
    copy.refresh()
    for day in range(1, 4):  # three transactions: the first one's changes are gone
        _merge(pg, [day], days=day)
    assert pg.fetch("SELECT count(*) FROM changes", [])[0][0] == 2
    refreshed = copy.refresh()
    assert refreshed is not None and refreshed.tables == tuple(TABLES)
    assert _rows(copy.store, "projects_users") == _rows(pg, "projects_users")


def test_changes_are_read_in_the_order_of_commit(pg: Store, copy: ColumnarCopy) -> None:
    """A transaction that began first but commits last is not missed by a copy refreshed
    between the two commits: its serial is taken at commit, under the version row's lock."""
    days = [utc("2018-01-02 10:00:00") + dt.timedelta(days=i) for i in range(8)]
    # a day each: the two merges adjust different rollups, and neither waits for the other
    add(pg, "projects_users", *({"created_at": day, "updated_at": day} for day in days))
    copy.refresh()
    merged, release = threading.Event(), threading.Event()

    def slow() -> None:
        with writes.transaction(pg) as writer:
            staged = _staged(pg, [1])
            staged["updated_at"] = staged["updated_at"] + np.timedelta64(5, "D")
            writer.stage(TABLES["projects_users"], staged)
            writes.merge(writer, TABLES["projects_users"])
            merged.set()
            release.wait(30)

    thread = threading.Thread(target=slow)
    thread.start()
    assert merged.wait(30)
    _merge(pg, [2], days=1)  # begun later, committed first
    between = copy.refresh()
    assert between is not None and between.rows == 1
    release.set()
    thread.join(30)
    refreshed = copy.refresh()
    assert refreshed is not None and refreshed.parts == ("projects_users",)
    assert _rows(copy.store, "projects_users") == _rows(pg, "projects_users")


def _staged(store: Store, ids: list[int]) -> dict[str, Any]:
    """Stored rows of projects_users as a stage's column arrays (with `seq`)."""
    table = TABLES["projects_users"]
    found = [r for r in _rows(store, "projects_users") if r[0] in ids]
    columns: dict[str, Any] = column_arrays(table, columns_of(found, table))
    columns["seq"] = np.arange(len(found), dtype=np.int64)
    return columns


def test_the_service_answers_from_the_copy_once_it_is_current(pg: Store, tmp_path: Path) -> None:
    add(pg, "projects_users", {"created_at": utc("2018-01-02 10:00:00")})
    with client_for(pg, columnar_copy=str(tmp_path / "copies"), cache_size=0) as client:
        copy: ColumnarCopy = client.app.state.copy  # type: ignore[attr-defined]
        copy.refresh()  # the one the app started at its start-up, waited for
        assert client.get("/health/ready").json()["columnar_copy"] == "current"
        assert list((tmp_path / "copies").glob("intragraph-copy-*/copy.duckdb"))
        assert client.get(GRAPH).json()["2018-01-02"] == 1
        add(pg, "projects_users", {"id": 2, "created_at": utc("2018-01-03 10:00:00")})
        # at once, from PostgreSQL: the copy is behind
        assert client.get(GRAPH).json()["2018-01-03"] == 1
        copy.refresh()
        assert client.get("/health/ready").json()["columnar_copy"] == "current"
        assert client.get(GRAPH).json() == graph(
            pg, parse_graph(PROJECTS_USERS, "created_at", "day", []), NOW
        )
    assert not list((tmp_path / "copies").glob("intragraph-copy-*"))  # removed at shutdown


def test_a_copy_of_duckdb_is_refused_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from intragraph.api.app import columnar_copy

    store = open_store(str(tmp_path / "db.duckdb"))
    with caplog.at_level(logging.WARNING):
        assert columnar_copy(Settings(columnar_copy="memory"), store) is None
    assert "DuckDB is columnar already" in caplog.text
    store.close()


def test_a_refresh_that_fails_is_logged_and_tried_again_later(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with reused_schema() as url:
        closed = open_store(url)
        copy = ColumnarCopy(closed)
        closed.close()  # its pool no longer lends connections: every read fails
        with caplog.at_level(logging.WARNING, logger="intragraph.copy"):
            assert copy.reader(1) is closed
            deadline = time.monotonic() + 30
            while "could not be refreshed" not in caplog.text and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.1)  # the thread's end
            copy.start()  # within RETRY seconds of the failure: no new attempt
            assert not [t for t in threading.enumerate() if t.name == "intragraph-copy"]
        assert caplog.text.count("could not be refreshed") == 1
        assert copy.version is None
        copy.close()


def test_a_refresh_that_fails_midway_leaves_the_copy_as_it_was(
    pg: Store, copy: ColumnarCopy
) -> None:
    add(pg, "projects_users", {"created_at": utc("2018-01-02 10:00:00")})
    copy.refresh()
    held = copy.version
    add(pg, "slots", {"begin_at": utc("2018-01-02 10:00:00")})
    add(pg, "projects_users", {"id": 2, "created_at": utc("2018-01-03 10:00:00")})
    with writes.transaction(pg) as writer:  # the export of slots, the last table, fails
        writer.execute("ALTER TABLE slots RENAME TO slots_gone")
    with pytest.raises(Exception, match="slots"):
        copy.refresh()
    assert not [t for t in threading.enumerate() if t.name == "intragraph-copy-export"]
    assert copy.version == held  # and the rows of the tables loaded before it were undone
    assert len(_rows(copy.store, "projects_users")) == 1
