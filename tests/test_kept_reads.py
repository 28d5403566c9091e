"""The reads many requests make (the data's version, a field's first day, the users in several
of some campuses): after a commit the next one sees it, on every engine; DuckDB keeps their
answers between commits (`fetch_kept`)."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from intragraph.graphs import graph
from intragraph.query import parse_graph
from intragraph.resources import RESOURCES
from intragraph.store import kept, open_store, rollups, versions
from intragraph.store.base import Ints, Store
from tests.conftest import add, utc

_QUERY = parse_graph(RESOURCES["projects_users"], "created_at", "day", [])
_DAY = 86400
_DUCKDB = pytest.mark.parametrize("database_url", ["duckdb"], indirect=True)  # its file only


def test_a_commit_is_seen_by_the_next_small_read(store: Store) -> None:
    assert rollups.first(store, _QUERY) is None
    before = versions.both(store)
    assert versions.both(store) == before  # read twice, nothing written between
    add(store, "projects_users", {"created_at": utc("2024-03-05T23:59:59")})
    after = versions.both(store)
    assert after[0] != before[0] and after[1] == before[1]
    assert rollups.first(store, _QUERY) == 19787 * _DAY  # 2024-03-05
    add(store, "projects_users", {"id": 9, "created_at": utc("2021-01-01T00:00:00")})
    assert rollups.first(store, _QUERY) == 18628 * _DAY
    assert versions.both(store)[0] not in (before[0], after[0])


def _campuses(store: Store, campuses: str) -> dict[str, int]:
    filters = [("filter[campus]", campuses)]
    query = parse_graph(RESOURCES["projects_users"], "created_at", "year", filters)
    return graph(store, query, utc("2025-06-01T00:00:00"))


def test_a_user_s_new_campus_is_seen_by_the_next_graph_on_several(store: Store) -> None:
    """The users in more than one of the campuses asked for are read before the count (and
    kept by DuckDB): each membership added changes them."""
    add(store, "campus_users", {"user_id": 1, "campus_id": 1}, {"user_id": 2, "campus_id": 7})
    rows = [{"user_id": user, "created_at": utc("2024-03-05T10:00:00")} for user in (1, 2)]
    add(store, "projects_users", *rows)
    each_once = {"2024-01-01": 2, "2025-01-01": 0}
    assert _campuses(store, "1,7") == each_once
    add(store, "campus_users", {"id": 3, "user_id": 1, "campus_id": 7})  # user 1 in both
    assert _campuses(store, "1,7") == each_once
    add(store, "campus_users", {"id": 4, "user_id": 2, "campus_id": 1})  # and user 2
    assert _campuses(store, "1,7") == each_once
    assert _campuses(store, "1") == _campuses(store, "7") == each_once


@_DUCKDB
def test_every_store_of_a_file_sees_the_commits_of_the_others(
    database_url: str, store: Store
) -> None:
    writer = open_store(database_url)
    try:
        before = versions.both(store)
        assert rollups.first(store, _QUERY) is None
        add(writer, "projects_users", {"created_at": utc("2024-03-05T12:00:00")})
        assert versions.both(store)[0] != before[0]
        assert rollups.first(store, _QUERY) == 19787 * _DAY
    finally:
        writer.close()


@_DUCKDB
def test_a_file_written_while_closed_here_is_read_again(database_url: str) -> None:
    """Closed here, the file is another process's to write (here a connection of DuckDB's own,
    as another process would have): the next store of it reads it anew."""
    store = open_store(database_url)
    versions.both(store)
    store.close()
    with duckdb.connect(database_url) as other:
        other.execute(f"UPDATE {versions.TABLE} SET n = 5, accounts = 7")
    store = open_store(database_url)
    try:
        assert versions.both(store) == (5, 7)
    finally:
        store.close()


@_DUCKDB
def test_a_read_a_commit_overtakes_is_not_kept(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read that began before a commit and ended after it may hold the data before: given
    to its caller (who asked before the commit), never to the next."""
    fetch = store.fetch

    def overtaken(sql: str, params: Any) -> list[tuple[Any, ...]]:
        rows = fetch(sql, params)
        monkeypatch.setattr(store, "fetch", fetch)  # once
        add(store, "projects_users", {"created_at": utc("2024-03-05T12:00:00")})
        return rows

    monkeypatch.setattr(store, "fetch", overtaken)
    before = versions.both(store)
    assert store.fetch is fetch  # the commit came in the read
    assert versions.both(store)[0] != before[0]


@_DUCKDB
def test_heavy_answers_are_read_again_and_many_are_forgotten(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows weigh ROW_BYTES each, arrays their bytes: an answer over ANSWER_BYTES is read
    each time, and past ANSWERS or BYTES in all every answer is forgotten."""
    monkeypatch.setattr(kept, "ROW_BYTES", 1)
    monkeypatch.setattr(kept, "ANSWER_BYTES", 2)
    monkeypatch.setattr(kept, "ANSWERS", 2)
    read: list[str] = []
    fetch, fetch_arrays = store.fetch, store.fetch_arrays

    def counted(sql: str, params: Any) -> list[tuple[Any, ...]]:
        read.append(sql)
        return fetch(sql, params)

    def arrays(sql: str, params: Any) -> tuple[Ints, Ints]:
        read.append(sql)
        return fetch_arrays(sql, params)

    monkeypatch.setattr(store, "fetch", counted)
    monkeypatch.setattr(store, "fetch_arrays", arrays)
    long, short, other, third = (f"SELECT * FROM range({n})" for n in (3, 2, 1, 0))
    for sql in (long, long, short, short, other, other):
        store.fetch_kept(sql, [])
    assert read == [long, long, short, other]
    for sql in (third, third, short):  # a third answer kept forgot the two
        store.fetch_kept(sql, [])
    assert read == [long, long, short, other, third, short]
    # arrays: 16 bytes a row (two int64), up to 48 in all
    monkeypatch.setattr(kept, "ANSWER_BYTES", 32)
    monkeypatch.setattr(kept, "BYTES", 48)
    monkeypatch.setattr(kept, "ANSWERS", 10)
    with store.transaction():  # a commit: nothing kept
        read.clear()
    long, two, one, also = (
        f"SELECT range, range FROM range({n}) WHERE {k} = {k}"
        for n, k in ((3, 1), (2, 1), (1, 1), (1, 2))
    )
    for sql in (long, long, two, two, one, one):
        store.fetch_kept_arrays(sql, [])
    assert read == [long, long, two, one]  # 32 + 16 bytes kept
    for sql in (also, also, two):  # 16 more bytes forgot the others
        store.fetch_kept_arrays(sql, [])
    assert read == [long, long, two, one, also, two]


def test_kept_arrays_are_read_only_and_narrowed_after_a_commit(store: Store) -> None:
    """A field's days are kept (`rollups._every_day`): shared by every request, so no caller
    may write them; a graph on a range of days sees each commit."""
    granules, counts = store.fetch_kept_arrays("SELECT 1 AS granule, 2 AS n", [])
    with pytest.raises(ValueError, match="read-only"):
        granules[0] = 0
    with pytest.raises(ValueError, match="read-only"):
        counts += 1
    ranged = [("range[created_at]", "2024-03-01,2024-03-05")]
    query = parse_graph(RESOURCES["projects_users"], "created_at", "day", ranged)
    now = utc("2024-03-08T12:00:00")

    def days(first: int, *counted: int) -> dict[str, int]:  # March's, zero-filled to now's
        return {f"2024-03-{day:02d}": int(day in counted) for day in range(first, 9)}

    add(store, "projects_users", {"created_at": utc("2024-03-05T23:59:59")})
    assert graph(store, query, now) == days(5, 5)
    add(store, "projects_users", {"id": 9, "created_at": utc("2024-03-06T00:00:00")})
    assert graph(store, query, now) == days(5, 5)  # the next day is outside
    add(store, "projects_users", {"id": 10, "created_at": utc("2024-03-01T00:00:00")})
    assert graph(store, query, now) == days(1, 1, 5)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_write_of_another_process_is_seen_by_the_next_kept_read(database_url: str) -> None:
    """PostgreSQL keeps an answer while the data's version stays: a write by another worker
    (another store of the database) changes it, and the next read reads anew. DuckDB's file
    is written by this process alone: its own commits forget them."""
    reader, writer = open_store(database_url), open_store(database_url)
    try:
        read: list[str] = []  # the field's days (the version itself is read each time)
        fetch_arrays = reader.fetch_arrays

        def counted(sql: str, params: Any) -> tuple[Ints, Ints]:
            read.append(sql)
            return fetch_arrays(sql, params)

        reader.fetch_arrays = counted  # type: ignore[method-assign]
        assert rollups.first(reader, _QUERY) is None
        assert rollups.first(reader, _QUERY) is None and len(read) == 1  # kept
        add(writer, "projects_users", {"created_at": utc("2024-03-05T23:59:59")})
        assert rollups.first(reader, _QUERY) == 19787 * _DAY and len(read) == 2
    finally:
        reader.close()
        writer.close()
