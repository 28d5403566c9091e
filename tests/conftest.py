"""Fixtures: a bare store per engine, rows put in through the same Writer imports use, and an
app with a fixed clock. Every functional test takes `store` and so runs on every engine."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
from click.testing import CliRunner
from fastapi.testclient import TestClient

from intragraph.api.app import create_app
from intragraph.auth import applications, tokens
from intragraph.auth.ratelimit import RateLimiter
from intragraph.cli import main
from intragraph.config import Settings
from intragraph.ingest.columns import column_arrays, columns_of
from intragraph.ports import free_port
from intragraph.store import open_store, writes
from intragraph.store.base import Store
from intragraph.store.tables import TABLES

# groupdate's suite forces a non-UTC process zone so that zone bugs show; so do we.
os.environ["TZ"] = "America/Los_Angeles"

NOW = dt.datetime(2018, 1, 10, 12, 0, tzinfo=dt.UTC)
ENGINES = ["duckdb", "postgres"]
POSTGRES_URL = os.environ.get(
    "INTRAGRAPH_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("INTRAGRAPH_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def utc(text: str) -> dt.datetime:
    """'2017-11-19 23:30:00' (or with a T) as an aware UTC datetime."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def unavailable(what: str) -> None:
    """Skip a test whose service is missing, saying how to start it; in CI, fail instead."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} (CI must run every test)")
    pytest.skip(what)


def postgres_or_skip() -> str:
    try:
        psycopg.connect(POSTGRES_URL, connect_timeout=3).close()
    except psycopg.OperationalError:
        unavailable(
            f"no PostgreSQL at {POSTGRES_URL}: start one (pg_ctlcluster 15 main start) or set "
            "INTRAGRAPH_TEST_POSTGRES_URL"
        )
    return POSTGRES_URL


def redis_or_skip() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError:
        unavailable(
            f"no Redis at {REDIS_URL}: start one (redis-server) or set INTRAGRAPH_TEST_REDIS_URL"
        )
    return REDIS_URL


@contextmanager
def postgres_schema() -> Iterator[str]:
    """The URL of a new, empty schema of the test database, dropped afterwards: concurrent
    runs never meet, and nothing is left behind."""
    base = postgres_or_skip()
    name = f"intragraph_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {name}")
    try:
        yield f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{name}"
    finally:
        with psycopg.connect(base, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {name} CASCADE")


def _url(base: str, schema: str) -> str:
    return f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"


def _layout(connection: psycopg.Connection[Any], schema: str) -> list[tuple[Any, ...]]:
    """Tables, columns in order with their types, and indexes, of a schema."""
    columns = connection.execute(
        "SELECT table_name, ordinal_position, column_name, data_type FROM "
        "information_schema.columns WHERE table_schema = %s ORDER BY 1, 2",
        [schema],
    ).fetchall()
    indexes = connection.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s ORDER BY 1", [schema]
    ).fetchall()
    return [*columns, *((name, definition.replace(schema, "")) for name, definition in indexes)]


# Schemas of the test database that a test left as a new one is, emptied, for the next test:
# making one costs some 0.2 s of DDL, emptying one a TRUNCATE. Dropped at the session's end.
_FREE: list[str] = []
_MADE: list[str] = []
_PRISTINE: list[list[tuple[Any, ...]]] = []  # the layout of a new schema, once known
_KEPT = ("intragraph_schema", "data_version")  # what an emptied schema keeps


@contextmanager
def reused_schema() -> Iterator[str]:
    """The URL of an empty database for one test: a schema an earlier test left, emptied, or
    a new one. One that the test changed (a dropped column, an older version) is dropped."""
    base = postgres_or_skip()
    if _FREE:
        name = _FREE.pop()
    else:
        name = f"intragraph_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(base, autocommit=True) as connection:
            connection.execute(f"CREATE SCHEMA {name}")
        _MADE.append(name)
        if not _PRISTINE:
            open_store(_url(base, name)).close()
            with psycopg.connect(base, autocommit=True) as connection:
                _PRISTINE.append(_layout(connection, name))
    yield _url(base, name)
    with psycopg.connect(base, autocommit=True) as connection:
        connection.execute("SET lock_timeout = '5s'")
        if _layout(connection, name) != _PRISTINE[0]:
            connection.execute(f"DROP SCHEMA {name} CASCADE")
            _MADE.remove(name)
            return
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                "AND table_type = 'BASE TABLE'",
                [name],
            )
            if row[0] not in _KEPT
        ]
        connection.execute(f"TRUNCATE {', '.join(f'{name}.{t}' for t in tables)}")
        _FREE.append(name)


@pytest.fixture(scope="session", autouse=True)
def _drop_reused_schemas() -> Iterator[None]:
    yield
    if _MADE:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
            for name in _MADE:
                connection.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


@pytest.fixture(scope="session")
def duckdb_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new DuckDB database, made once: each test's is a copy (a file copy, not 0.1 s of DDL)."""
    path = tmp_path_factory.mktemp("template") / "new.duckdb"
    open_store(str(path)).close()
    return path


@contextmanager
def shared_store(engine: str, folder: Path) -> Iterator[Store]:
    """A store of `engine` for a module's tests to share (filled once; no test writes)."""
    with ExitStack() as stack:
        url = str(folder / "shared.duckdb") if engine == "duckdb" else None
        store = open_store(url or stack.enter_context(postgres_schema()))
        stack.callback(store.close)
        yield store


@pytest.fixture(params=ENGINES)
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, duckdb_template: Path
) -> Iterator[str]:
    """An empty database of each engine, with the schema of this intragraph."""
    if request.param == "duckdb":
        path = tmp_path / "test.duckdb"
        shutil.copyfile(duckdb_template, path)
        yield str(path)
    else:
        with reused_schema() as url:
            yield url


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = open_store(database_url)
    yield opened
    opened.close()


_DEFAULTS: dict[str, dict[str, Any]] = {
    "projects_users": {
        "project_id": 1,
        "user_id": 1,
        "occurrence": 0,
        "final_mark": None,
        "status": "finished",
        "marked": False,
    },
    "campus_users": {"is_primary": True},
}


def _naive(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def add(store: Store, table: str, *rows: dict[str, Any]) -> None:
    """Insert rows (ids default to their position) with the table's defaults for the rest."""
    full = [
        {
            **dict.fromkeys(TABLES[table].columns),
            "id": index + 1,
            **_DEFAULTS.get(table, {}),
            **{k: _naive(v) for k, v in row.items()},
        }
        for index, row in enumerate(rows)
    ]
    ordered = [tuple(row[name] for name in TABLES[table].columns) for row in full]
    with writes.transaction(store) as writer:
        writes.append(
            writer, TABLES[table], column_arrays(TABLES[table], columns_of(ordered, TABLES[table]))
        )


def client_for(
    store: Store,
    now: dt.datetime | Callable[[], dt.datetime] = NOW,
    authorized: bool = True,
    **settings: Any,
) -> TestClient:
    """A client of a new app on `store` whose clock says `now` (or is `now`, a callable);
    when `authorized`, it sends the token of a new application with limits that no test
    reaches."""
    clock = now if callable(now) else (lambda: now)
    limiter = RateLimiter(settings.get("redis_url", ""))
    client = TestClient(create_app(Settings(**settings), store, clock, limiter))
    if authorized:
        made = applications.create(
            store, f"test-{uuid.uuid4()}", clock(), rate_limits=("1000000/second",)
        )
        body = tokens.issue(store, made.uid, made.secret, None, clock(), 7200)
        client.headers["Authorization"] = f"Bearer {body['access_token']}"
    return client


@pytest.fixture
def client(store: Store) -> TestClient:
    return client_for(store)


def counted_ids(client: TestClient, graph: str, days: dict[int, dt.datetime]) -> set[int]:
    """The ids a by-day graph counts, for rows that lie each on its own UTC day of the graphed
    field (`days`: id -> that instant): which rows a filter keeps, read back from the graph."""
    response = client.get(graph)
    assert response.status_code == 200, response.text
    by_day = {moment.date().isoformat(): id_ for id_, moment in days.items()}
    counted = {key: n for key, n in response.json().items() if n}
    assert set(counted.values()) <= {1}, counted
    return {by_day[key] for key in counted}


def wait_for(base: str, log: Path, seconds: int) -> None:
    """Until a server answers at `base`; a failure quotes its log."""
    for _ in range(seconds * 10):
        try:
            requests.get(f"{base}/openapi.json", timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    pytest.fail(f"{base} did not answer within {seconds} s: {log.read_text()}")


def token_for(base: str, uid: str, secret: str, path: str = "/oauth/token") -> str:
    """A client-credentials access token from the server at `base`."""
    answer = requests.post(
        f"{base}{path}",
        data={"grant_type": "client_credentials", "client_id": uid, "client_secret": secret},
        timeout=5,
    )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def serve_workers(
    url: str, log: Path, env: dict[str, str], workers: int = 2
) -> tuple[subprocess.Popen[bytes], str]:
    """`intragraph serve --workers N` on `url` as a real process (its output in `log`, its
    environment `env`), and its base URL; the caller waits for it and stops it."""
    port = free_port()
    command = ["serve", "--workers", str(workers), "--port", str(port), "--database", url]
    with open(log, "w") as sink:
        server = subprocess.Popen(
            [sys.executable, "-m", "intragraph", *command],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
        )
    return server, f"http://127.0.0.1:{port}"


@dataclass
class Server:
    base: str
    uid: str
    secret: str
    log: Path


@contextmanager
def demo_server(folder: Path, *app_options: str) -> Iterator[Server]:
    """`intragraph serve` as a real process on 2,000 demo rows, with an application made by
    `intragraph apps create dashboard *app_options`; its output goes to a log file."""
    db = str(folder / "serve.duckdb")
    runner = CliRunner()
    assert runner.invoke(main, ["demo", "--rows", "2000", "--database", db]).exit_code == 0
    made = runner.invoke(
        main, ["apps", "create", "dashboard", "--json", *app_options, "--database", db]
    )
    credentials = json.loads(made.stdout)
    port, log = free_port(), folder / "server.log"
    with open(log, "w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "intragraph", "serve", "--port", str(port), "--database", db],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base, log, 15)
        yield Server(base, credentials["uid"], credentials["secret"], log)
    finally:
        process.terminate()
        process.wait(10)
