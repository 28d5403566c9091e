"""What only the production engine has: the statement timeout, surviving a restart of the
database, schema versions, and several workers sharing tokens and limits over real HTTP."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
import uuid
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
from click.testing import CliRunner

from intragraph.cli import main
from intragraph.config import Settings
from intragraph.ingest.columns import column_arrays
from intragraph.store import offload, open_store, pgcopy, postgres, writes
from intragraph.store.base import Writer
from intragraph.store.migrations import LATEST
from intragraph.store.postgres import PostgresStore
from intragraph.store.tables import Table
from tests.conftest import (
    REDIS_URL,
    add,
    client_for,
    postgres_or_skip,
    postgres_schema,
    redis_or_skip,
    serve_workers,
    utc,
)

GRAPH = "/v2/projects_users/graph/on/created_at/by/day"
SCAN = f"{GRAPH}?filter[status]=finished"


@pytest.fixture
def schema_url() -> Iterator[str]:
    with postgres_schema() as url:
        yield url


def test_a_graph_query_past_the_timeout_is_503_and_stopped(schema_url: str) -> None:
    store = open_store(schema_url, Settings(statement_timeout=300))
    add(store, "projects_users", {"created_at": utc("2018-01-01 00:00")})
    client = client_for(store)
    name = re.search(r"search_path%3D(\w+)", schema_url)[1]  # type: ignore[index]
    locker = psycopg.connect(postgres_or_skip())
    try:
        # another session holds the table: a graph query that reads it (one with a filter;
        # unfiltered ones read the rollups) waits, then the timeout stops it
        locker.execute(f"LOCK TABLE {name}.projects_users IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        response = client.get(SCAN)
        assert time.monotonic() - started < 3
        assert response.status_code == 503
        assert response.json() == {
            "error": "Service Unavailable",
            "message": "the graph query took longer than 300 ms and was stopped "
            "(INTRAGRAPH_STATEMENT_TIMEOUT); narrow it with filters or ranges",
        }
        # no query of intragraph's still waits for this lock (backends of other tests, which
        # may be counting at the same moment, do not)
        waiting = locker.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'intragraph' "
            "AND state = 'active' AND pg_backend_pid() = ANY(pg_blocking_pids(pid))"
        ).fetchone()
        assert waiting == (0,)
    finally:
        locker.rollback()
        locker.close()
    assert client.get(SCAN).status_code == 200
    store.close()


@pytest.fixture
def own_database() -> Iterator[str]:
    """A database of its own, for a test that takes it away from every other session."""
    base = postgres_or_skip()
    name = f"intragraph_outage_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield re.sub(r"/[^/?]*(\?|$)", rf"/{name}\1", base.split("://", 1)[1], count=1)
    finally:
        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


def test_an_outage_costs_only_the_requests_made_during_it(own_database: str) -> None:
    url = f"postgresql://{own_database}"
    name = own_database.rsplit("/", 1)[1].split("?")[0]
    store = open_store(url, Settings(pool_timeout=1.0, pool_size=2))
    add(store, "projects_users", {"created_at": utc("2018-01-01 00:00")})
    client = client_for(store)
    assert client.get(GRAPH).status_code == 200
    with psycopg.connect(postgres_or_skip(), autocommit=True) as admin:
        admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )
        during = client.get(GRAPH)
        assert during.status_code == 503
        assert during.json()["message"] == (f"the database {url} is unavailable; try again shortly")
        admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
    after = client.get(GRAPH)
    assert after.status_code == 200 and after.json() == {
        "2018-01-01": 1,
        **{f"2018-01-{d:02}": 0 for d in range(2, 11)},
    }
    store.close()


def test_terminated_connections_are_replaced_unseen(schema_url: str) -> None:
    store = open_store(schema_url)
    client = client_for(store)
    assert client.get(GRAPH).status_code == 200
    # this store's connections only (the main pool's and the versions' own): other tests may
    # run at the same time
    sql = "SELECT pg_backend_pid()"
    pids = [store.fetch(sql, [])[0][0], store.fetch_small(sql, [])[0][0]]
    with psycopg.connect(postgres_or_skip(), autocommit=True) as admin:
        ended = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE pid = ANY(%s)",
            [pids],
        ).fetchone()
    assert ended is not None and ended[0] == 2
    assert [client.get(GRAPH).status_code for _ in range(3)] == [200, 200, 200]
    store.close()


def test_schema_versions(schema_url: str) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["db", "version", "--database", schema_url]).stdout == (
        f"schema 0 (this intragraph: {LATEST})\n"
    )
    upgraded = runner.invoke(main, ["db", "upgrade", "--database", schema_url]).stdout
    assert upgraded.startswith("applied 1: ") and upgraded.endswith(f"schema {LATEST}\n")
    again = runner.invoke(main, ["db", "upgrade", "--database", schema_url]).stdout
    assert again == f"schema {LATEST}, already current\n"
    store = PostgresStore(schema_url)
    with store.transaction() as writer:
        writer.execute("DELETE FROM intragraph_schema")
        writer.execute("INSERT INTO intragraph_schema VALUES (0)")
    store.close()
    refused = runner.invoke(main, ["demo", "--rows", "10", "--database", schema_url])
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[-1].endswith(
        f"has schema version 0, this intragraph needs {LATEST}: back it up, then run "
        "`intragraph db upgrade`"
    )


def test_two_workers_share_tokens_and_limits(schema_url: str, tmp_path: Path) -> None:
    redis_or_skip()
    runner = CliRunner()
    made = runner.invoke(
        main,
        [
            "apps",
            "create",
            "shared",
            "--json",
            "--rate-limit",
            "1000/second",
            "--rate-limit",
            "30/hour",
            "--database",
            schema_url,
        ],
    )
    credentials = json.loads(made.stdout)
    log = tmp_path / "workers.log"
    env = {"INTRAGRAPH_REDIS_URL": REDIS_URL, "PATH": "/usr/bin:/bin"}
    server, base = serve_workers(schema_url, log, env)
    try:
        for _ in range(200):
            if log.read_text().count("Application startup complete") >= 2:
                break
            time.sleep(0.1)
        else:
            pytest.fail(f"two workers did not start: {log.read_text()}")
        token = requests.post(
            f"{base}/oauth/token",
            timeout=10,
            data={
                "grant_type": "client_credentials",
                "client_id": credentials["uid"],
                "client_secret": credentials["secret"],
            },
        ).json()["access_token"]
        statuses: list[int] = []

        def call(delay: float) -> None:
            # one connection at a time: a worker accepts all those that are waiting at once
            time.sleep(delay)
            response = requests.get(
                f"{base}{GRAPH}", timeout=10, headers={"Authorization": f"Bearer {token}"}
            )
            statuses.append(response.status_code)

        threads = [threading.Thread(target=call, args=(i * 0.02,)) for i in range(36)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # 30 per hour in all: the token request was not counted, 30 graphs pass, 6 do not
        assert sorted(statuses) == [200] * 30 + [429] * 6
        time.sleep(0.3)
        served = re.findall(
            rf"\[(\d+)\] intragraph.access \S+ {credentials['uid']} GET \S+ 200", log.read_text()
        )
        assert len(served) == 30
        assert len(set(served)) == 2, "both workers served the one token"
        assert credentials["secret"] not in log.read_text() and token not in log.read_text()
    finally:
        server.terminate()
        server.wait(15)


def _indexes(store: PostgresStore) -> set[tuple[str, str]]:
    found = store.fetch(
        "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = current_schema()", []
    )
    return {(table, definition) for table, definition in found}


@pytest.mark.parametrize("small", [20_000, 0], ids=["counted by postgresql", "by duckdb"])
def test_a_load_into_empty_tables_builds_their_indexes_after_its_rows(
    schema_url: str, small: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`Writer.bulk`: an empty table's indexes are dropped for the load and built again before
    it commits (those of the tables the counts read while DuckDB counts, `offload`): the same
    indexes after as before, none lost when the load fails, and a table that has rows keeps
    them throughout."""
    monkeypatch.setattr(offload, "SMALL", small)
    store = open_store(schema_url, Settings())
    assert isinstance(store, PostgresStore)
    before = _indexes(store)
    assert {table for table, _ in before} >= {"locations", "rollups"}

    def locations(writer: Writer) -> set[tuple[str, str]]:
        return {(t, d) for t, d in before if t == "locations"} & set(
            writer.execute(
                "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
            )
        )

    with pytest.raises(RuntimeError), writes.transaction(store) as writer:
        writer.bulk("locations")
        assert not locations(writer)  # dropped inside the load
        raise RuntimeError("the load fails")
    assert _indexes(store) == before
    ran = CliRunner().invoke(main, ["demo", "--rows", "2000", "--database", schema_url])
    assert ran.exit_code == 0, ran.output
    assert _indexes(store) == before
    with writes.transaction(store) as writer:  # rows there: nothing is dropped
        writer.bulk("locations")
        assert len(locations(writer)) == len({d for t, d in before if t == "locations"}) > 3
    store.close()


def test_an_index_that_fails_while_duckdb_counts_fails_the_write(
    schema_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The indexes PostgreSQL builds while DuckDB counts (`offload`): the first failure among
    them fails the write, after DuckDB's counts, and nothing of it is kept."""
    monkeypatch.setattr(offload, "SMALL", 0)
    store = open_store(schema_url)
    assert isinstance(store, PostgresStore)
    before = _indexes(store)
    rebuild, seen = postgres._PostgresWriter.rebuild, []

    def failing(writer: Any, tables: Collection[str] | None = None) -> None:
        seen.append(None if tables is None else sorted(tables))
        if tables is not None:
            raise RuntimeError("the index build fails")
        rebuild(writer, tables)

    monkeypatch.setattr(postgres._PostgresWriter, "rebuild", failing)
    with pytest.raises(RuntimeError, match="the index build fails"):
        add(store, "projects_users", *({"id": i, "user_id": i % 7} for i in range(1, 50)))
    # once, for the tables the counts read (the memberships too); not again after the failure
    assert seen == [["campus_users", "projects_users"]]
    assert store.fetch("SELECT count(*) FROM projects_users", []) == [(0,)]
    assert _indexes(store) == before
    store.close()


@pytest.mark.parametrize("rows", [pgcopy.ROWS, 2], ids=["one piece", "pieces of 2 rows"])
def test_binary_copy_stores_every_kind_of_value_as_it_is(
    schema_url: str, rows: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bulk path writes PostgreSQL's binary COPY format (`pgcopy`): every kind of column,
    NULL beside each, at the edges of each kind's bytes: a bigint's range, text that is empty
    or not ASCII or holds quotes, commas and a line break, instants before 1970, at
    PostgreSQL's own epoch (2000) and a microsecond either side of it."""
    monkeypatch.setattr(pgcopy, "ROWS", rows)
    epoch = dt.datetime(2000, 1, 1)
    values: dict[str, list[Any]] = {
        "i": [-(2**63), 2**63 - 1, 0, None, 7],
        "f": [0.1, -1e300, None, 2.5, 0.0],
        "b": [True, False, None, True, None],
        "t": ["", "é ☃ 🎓", 'a "b",\nc', None, "finished"],
        "s": [
            epoch,
            epoch - dt.timedelta(microseconds=1),
            None,
            dt.datetime(1901, 2, 3, 4, 5, 6, 7),
            epoch + dt.timedelta(microseconds=1),
        ],
    }
    table = Table("kinds", {"i": "int", "f": "float", "b": "bool", "t": "text", "s": "timestamp"})
    store = open_store(schema_url)
    try:
        with writes.transaction(store) as writer:
            writer.execute(
                "CREATE TABLE kinds (i BIGINT, f DOUBLE PRECISION, b BOOLEAN, "
                "t TEXT, s TIMESTAMPTZ, n SERIAL)"
            )
            writer.insert(table, column_arrays(table, list(values.values())))
        stored = store.fetch("SELECT i, f, b, t, s FROM kinds ORDER BY n", [])
        assert stored == list(zip(*values.values(), strict=True))
    finally:
        store.close()


def _counts(store: PostgresStore) -> dict[str, list[tuple[object, ...]]]:
    return {
        table: sorted(store.fetch(f"SELECT * FROM {table}", []), key=repr)
        for table in ("rollups", "facets")
    }


def test_the_counts_duckdb_makes_are_those_postgresql_makes(
    schema_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL's refresh counts in DuckDB (`offload`), through CSV both ways: the rollups
    and facets it makes are those PostgreSQL's own statements make, for values at the edges
    of that round trip (no status and "", quotes, commas and a line break in a text, the last
    microsecond of an hour, before 1970) and a membership (campus_users) read beside."""
    store = open_store(schema_url)
    assert isinstance(store, PostgresStore)
    try:
        hour = utc("2019-05-01 10:00")
        edges = [
            (hour - dt.timedelta(microseconds=1), None),
            (hour, ""),
            (hour + dt.timedelta(minutes=59, seconds=59, microseconds=999_999), 'a "b",\nc'),
            (utc("1969-12-31 23:59"), "finished"),
            (utc("1901-02-03 04:05"), "in_progress"),
        ]
        add(
            store,
            "projects_users",
            *(
                {
                    "created_at": moment,
                    "updated_at": moment,
                    "status": status,
                    "project_id": place % 3,
                    "user_id": place % 2 + 1,
                }
                for place, (moment, status) in enumerate(edges)
            ),
        )
        add(store, "campus_users", {"user_id": 1, "campus_id": 7}, {"user_id": 1, "campus_id": 9})
        made, used = offload.counting, []

        def counting(*given: Any) -> Any:
            used.append(given)
            return made(*given)

        monkeypatch.setattr(offload, "counting", counting)
        monkeypatch.setattr(offload, "SMALL", 0)  # DuckDB counts, however few the rows
        with writes.transaction(store) as writer:
            writer.touched |= {"projects_users", "campus_users"}
        offloaded = _counts(store)
        assert len(used) == 1
        assert len(offloaded["facets"]) > 20 and len(offloaded["rollups"]) > 20
        monkeypatch.setattr(offload, "SMALL", 20_000)  # PostgreSQL counts them
        with writes.transaction(store) as writer:
            writer.touched |= {"projects_users", "campus_users"}
        assert len(used) == 1 and _counts(store) == offloaded
    finally:
        store.close()
