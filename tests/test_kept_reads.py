"""The small reads every request makes (the data's version, a field's first day): after a
commit the next one sees it, on every engine; DuckDB keeps their answers between commits
(`fetch_kept`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pytest

from intragraph.query import parse_graph
from intragraph.resources import RESOURCES
from intragraph.store import open_store, rollups, versions
from intragraph.store.base import Store
from tests.conftest import add

_QUERY = parse_graph(RESOURCES["projects_users"], "created_at", "day", [])
_DAY = 86400


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def test_a_commit_is_seen_by_the_next_small_read(store: Store) -> None:
    assert rollups.first(store, _QUERY) is None
    before = versions.both(store)
    assert versions.both(store) == before  # read twice, nothing written between
    add(store, "projects_users", {"created_at": _at("2024-03-05T23:59:59")})
    after = versions.both(store)
    assert after[0] != before[0] and after[1] == before[1]
    assert rollups.first(store, _QUERY) == 19787 * _DAY  # 2024-03-05
    add(store, "projects_users", {"id": 9, "created_at": _at("2021-01-01T00:00:00")})
    assert rollups.first(store, _QUERY) == 18628 * _DAY
    assert versions.both(store)[0] not in (before[0], after[0])


def _file(tmp_path: Path, duckdb_template: Path) -> Path:
    path = tmp_path / "small.duckdb"
    path.write_bytes(duckdb_template.read_bytes())
    return path


def test_every_store_of_a_file_sees_the_commits_of_the_others(
    tmp_path: Path, duckdb_template: Path
) -> None:
    path = _file(tmp_path, duckdb_template)
    reader, writer = open_store(str(path)), open_store(str(path))
    try:
        before = versions.both(reader)
        assert rollups.first(reader, _QUERY) is None
        add(writer, "projects_users", {"created_at": _at("2024-03-05T12:00:00")})
        assert versions.both(reader)[0] != before[0]
        assert rollups.first(reader, _QUERY) == 19787 * _DAY
    finally:
        reader.close()
        writer.close()


def test_a_file_written_while_closed_here_is_read_again(
    tmp_path: Path, duckdb_template: Path
) -> None:
    """Closed here, the file is another process's to write (here a connection of DuckDB's own,
    as another process would have): the next store of it reads it anew."""
    path = _file(tmp_path, duckdb_template)
    store = open_store(str(path))
    versions.both(store)
    store.close()
    with duckdb.connect(str(path)) as other:
        other.execute(f"UPDATE {versions.TABLE} SET n = 5, accounts = 7")
    store = open_store(str(path))
    try:
        assert versions.both(store) == (5, 7)
    finally:
        store.close()


def test_a_read_a_commit_overtakes_is_not_kept(
    tmp_path: Path, duckdb_template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read that began before a commit and ended after it may hold the data before: given
    to its caller (who asked before the commit), never to the next."""
    path = _file(tmp_path, duckdb_template)
    store = open_store(str(path))
    try:
        fetch = store.fetch

        def overtaken(sql: str, params: Any) -> list[tuple[Any, ...]]:
            rows = fetch(sql, params)
            monkeypatch.setattr(store, "fetch", fetch)  # once
            add(store, "projects_users", {"created_at": _at("2024-03-05T12:00:00")})
            return rows

        monkeypatch.setattr(store, "fetch", overtaken)
        before = versions.both(store)
        assert store.fetch is fetch  # the commit came in the read
        assert versions.both(store)[0] != before[0]
    finally:
        store.close()
