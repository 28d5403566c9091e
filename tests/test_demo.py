"""The demo network looks like the 42 network: the features the graphs are there to show."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from intragraph.ingest import demo
from intragraph.ingest.demo import parts
from intragraph.store.base import Store
from intragraph.store.tables import TABLES

UNTIL = int(dt.datetime(2026, 11, 1, tzinfo=dt.UTC).timestamp())


def test_demo_network(store: Store) -> None:
    assert demo.fill(store, demo.Plan(40_000, 3, UNTIL), replace=False) == 40_000

    def one(sql: str) -> Any:
        return store.fetch(sql, [])[0][0]

    assert one("SELECT count(*) FROM projects_users") == 40_000
    assert one("SELECT count(DISTINCT id) FROM projects_users") == 40_000
    assert one("SELECT count(*) FROM projects") == 1500
    assert 40 <= one("SELECT count(DISTINCT campus_id) FROM campus_users") <= 50
    assert 20 <= one("SELECT count(DISTINCT cursus_id) FROM cursus_users") <= 30
    assert (
        one(
            "SELECT count(*) FROM (SELECT user_id FROM campus_users GROUP BY 1 "
            "HAVING count(*) > 1) AS m"
        )
        > 0
    )
    statuses = {row[0] for row in store.fetch("SELECT DISTINCT status FROM projects_users", [])}
    assert statuses == {
        "creating_group",
        "searching_a_group",
        "in_progress",
        "waiting_for_correction",
        "finished",
        "parent",
    }
    assert one("SELECT min(created_at) FROM projects_users") >= dt.datetime(2013, 7, 1)
    assert one("SELECT max(created_at) FROM projects_users") < dt.datetime(2026, 11, 1)
    assert (
        one("SELECT count(*) FROM projects_users WHERE retriable_at > TIMESTAMP '2026-11-01'") > 0
    )
    assert one("SELECT count(*) FROM projects_users WHERE occurrence > 0") > 0
    assert one("SELECT count(*) FROM projects_users WHERE updated_at < created_at") == 0
    # nothing is updated after the data's end: a sync pages by updated_at up to its start, and
    # a copy of a demo made a day ago missed a project session updated tomorrow
    end = dt.datetime.fromtimestamp(UNTIL, dt.UTC).replace(tzinfo=None)
    for table in TABLES.values():
        if "updated_at" in table.columns:
            latest = one(f"SELECT max(updated_at) FROM {table.name}")
            assert latest is None or latest <= end, (table.name, latest)
    # growth: every year from 2014 on has more new rows than the year before
    yearly = [
        n
        for _, n in store.fetch(
            "SELECT extract(year FROM created_at), count(*) FROM projects_users "
            "GROUP BY 1 ORDER BY 1",
            [],
        )
    ]
    assert all(b > a for a, b in itertools.pairwise(yearly[1:-1]))
    # seasonality: the piscine months outweigh the winter
    by_month = dict(
        store.fetch(
            "SELECT extract(month FROM created_at)::int, count(*) FROM projects_users GROUP BY 1",
            [],
        )
    )
    assert by_month[8] > 1.5 * by_month[12]
    if store.dialect.name == "postgresql":  # planned with statistics from the first query on
        analyzed = {
            name
            for name, when in store.fetch(
                "SELECT relname, last_analyze FROM pg_stat_user_tables "
                "WHERE schemaname = current_schema()",
                [],
            )
            if when is not None
        }
        assert {"projects_users", "campus_users", "locations", "rollups"} <= analyzed


def test_a_load_that_fails_leaves_the_tables_as_they_were(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB writes a demo in steps, into tables swapped in at the end (`loads`): one that
    fails after some parts were committed leaves nothing of itself, as one transaction."""
    demo.fill(store, demo.Plan(3000, 1, UNTIL), replace=False)
    before = {t: _rows(store, t) for t in ("projects_users", "locations", "rollups")}
    version = store.fetch("SELECT n FROM data_version", [])

    def failing(plan: demo.Plan) -> Iterator[dict[str, Any]]:
        yield from itertools.islice(parts(plan), 1)
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(demo, "parts", failing)
    with pytest.raises(RuntimeError, match="the disk is full"):
        demo.fill(store, demo.Plan(90_000, 2, UNTIL), replace=True)
    assert {t: _rows(store, t) for t in before} == before
    assert store.fetch("SELECT n FROM data_version", []) == version
    left = store.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
        f"AND table_name LIKE {store.placeholder}",
        ["loading%"],
    )
    assert left == []
    monkeypatch.undo()  # and the next load goes through
    assert demo.fill(store, demo.Plan(1000, 2, UNTIL), replace=True) == 1000
    assert store.fetch("SELECT count(*) FROM projects_users", []) == [(1000,)]


def _rows(store: Store, table: str) -> list[tuple[Any, ...]]:
    return sorted(store.fetch(f"SELECT * FROM {table}", []), key=repr)
