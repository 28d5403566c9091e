"""The speed issue's benchmark: Q1-Q12 on both engines against the real API's way of counting
(Q1-Q9 and Q12 on projects_users, Q10-Q11 on locations, the largest table).

    python bench/graph.py --rows 10000000 [--postgres URL] [--redis URL] [--reuse]

Loads `intragraph demo --rows N --seed 1` (one fixed --until for both) into a DuckDB file and a
PostgreSQL schema, then times every query through the route's code path (`graphs.graph`) on each
engine and on a columnar copy of the PostgreSQL database (`store/copy.py`, `--copy`), beside two
baselines on the same rows: the SQL groupdate generates on PostgreSQL (what the 42 API runs),
with b-tree indexes on the filtered columns, and numpy's bincount over precomputed bucket
numbers (a lower bound: counting alone). Every answer is checked equal across engines and
baselines before it is timed: the bucket numbers come from DuckDB's ICU time zones and the
baseline from PostgreSQL's, so three independent implementations agree. Then a second pass over
real HTTP (one worker per engine, and `--copy-workers` workers on PostgreSQL with
INTRAGRAPH_COLUMNAR_COPY, timed once every worker's copy is current; the servers' peak memory),
and a load test: `serve --workers 2` on PostgreSQL and Redis, 64 concurrent keep-alive clients
on Q6-like requests. Medians and p95 of 5 warm runs (p95 of 5 interpolates between the two slowest).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import http.client
import json
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import common
import duckdb
import numpy as np
import numpy.typing as npt
import psycopg

from intragraph.conditions import ParentKey
from intragraph.graphs import graph
from intragraph.ports import free_port
from intragraph.query import parse_graph
from intragraph.resources import RESOURCES
from intragraph.store import open_store
from intragraph.store import rows as stored
from intragraph.store.copy import ColumnarCopy

RUNS = 5


@dataclass
class Query:
    name: str
    label: str
    path: str  # as a client sends it

    @property
    def resource(self) -> str:
        words = urlsplit(self.path).path.split("/")
        return words[4] if words[2] in ("users", "projects") else words[2]

    @property
    def parts(self) -> tuple[str, str, list[tuple[str, str]], tuple[str, str] | None]:
        """field, interval, parameters, and the parent route (name, key) if nested."""
        split = urlsplit(self.path)
        words = split.path.split("/")
        parent = (words[2], words[3]) if words[2] in ("users", "projects") else None
        field, interval = words[words.index("on") + 1], words[words.index("by") + 1]
        return field, interval, parse_qsl(split.query), parent


def queries(campuses: list[int], projects: list[int], user: str) -> list[Query]:
    """The benchmark's graphs, given the largest campuses (by members, the largest first), the
    three projects with most rows and a user's login."""
    base = "/v2/projects_users/graph/on"
    ids, campus = ",".join(map(str, projects)), campuses[0]
    several = ",".join(map(str, campuses[:3]))
    return [
        Query("Q1", "by day, UTC", f"{base}/created_at/by/day"),
        Query("Q2", "by week, Europe/Paris", f"{base}/created_at/by/week?time_zone=Europe/Paris"),
        Query(
            "Q3",
            "hour_of_day, Europe/Paris",
            f"{base}/created_at/by/hour_of_day?time_zone=Europe/Paris",
        ),
        Query("Q4", "by month, 3 projects", f"{base}/created_at/by/month?filter[project_id]={ids}"),
        Query(
            "Q5",
            f"by day, finished, campus {campus}",
            f"{base}/created_at/by/day?filter[status]=finished&filter[campus]={campus}",
        ),
        Query(
            "Q6",
            f"by month, user {user}",
            f"/v2/users/{user}/projects_users/graph/on/created_at/by/month",
        ),
        Query(
            "Q7",
            "by day, 3-month range",
            f"{base}/created_at/by/day?range[created_at]=2024-01-01,2024-03-31",
        ),
        Query(
            "Q8",
            "day_of_week, updated_at, Kolkata",
            f"{base}/updated_at/by/day_of_week?time_zone=Asia/Kolkata",
        ),
        Query(
            "Q9",
            "quarter, retriable_at, Sao_Paulo",
            f"{base}/retriable_at/by/quarter?time_zone=America/Sao_Paulo",
        ),
        Query(
            "Q10",
            f"locations by day, campus {campus}",
            f"/v2/locations/graph/on/begin_at/by/day?filter[campus_id]={campus}",
        ),
        Query(
            "Q11",
            "locations hour_of_day, Europe/Paris",
            "/v2/locations/graph/on/begin_at/by/hour_of_day?time_zone=Europe/Paris",
        ),
        Query(
            "Q12",
            f"by day, finished, campuses {several}",
            f"{base}/created_at/by/day?filter[status]=finished&filter[campus]={several}",
        ),
    ]


# -- timing ------------------------------------------------------------------------------------


def timed(run: Callable[[], object], runs: int = RUNS) -> tuple[float, float]:
    """(median, p95) in ms of `runs` warm runs, after one to warm up."""
    run()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), float(np.percentile(times, 95))


# -- loading -----------------------------------------------------------------------------------


def load(url: str, rows: int, until: str, reuse: bool) -> tuple[float, float] | None:
    """`intragraph demo` into `url`: (seconds, peak MiB of the command); None if reused."""
    if reuse:
        store = open_store(url)
        try:
            if stored.count(store, "projects_users") == rows:
                return None
        finally:
            store.close()
    start = time.perf_counter()
    command = [*common.CLI, "demo", "--rows", str(rows), "--seed", "1", "--until", until]
    child = subprocess.Popen(
        [*command, "--replace", "--database", url],
        stderr=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(child.pid, 0)  # this child's own peak memory
    child.returncode = os.waitstatus_to_exitcode(status)
    assert child.returncode == 0, f"intragraph demo into {url} failed"
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def rss_mib() -> float:
    """This process's resident memory now."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def postgres_schema(base: str, name: str) -> str:
    with psycopg.connect(base, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA IF NOT EXISTS {name}")
    return f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{name}"


def baseline_indexes(url: str) -> None:
    """Plain b-tree indexes on every column the queries filter on (those intragraph's schema
    lacks), as a Rails app would add them; statistics fresh."""
    with psycopg.connect(url, autocommit=True) as connection:
        for table, column in (
            ("projects_users", "status"),
            ("projects_users", "project_id"),
            ("projects_users", "user_id"),
            ("projects_users", "created_at"),
            ("campus_users", "campus_id"),
            ("campus_users", "user_id"),
            ("locations", "campus_id"),
        ):
            connection.execute(
                f"CREATE INDEX IF NOT EXISTS bench_{table}_{column} ON {table} ({column})"
            )
        connection.execute("VACUUM ANALYZE")


# -- the baselines -----------------------------------------------------------------------------


def _conditions(query: Query, mark: str) -> tuple[list[str], list[Any]]:
    """The WHERE of a query as the Rails side writes it (`mark` is the driver's placeholder)."""
    field, _, params, parent = query.parts
    texts, values = [f"{field} IS NOT NULL", f"{field} <= {mark}"], list[Any]()
    for name, value in params:
        if name == "filter[project_id]":
            texts.append(f"project_id IN ({', '.join([mark] * len(value.split(',')))})")
            values += [int(v) for v in value.split(",")]
        elif name == "filter[status]":
            texts.append(f"status = {mark}")
            values.append(value)
        elif name == "filter[campus_id]":  # locations: their own column
            texts.append(f"campus_id = {mark}")
            values.append(int(value))
        elif name == "filter[campus]":
            listed = [int(v) for v in value.split(",")]
            marks = ", ".join([mark] * len(listed))
            members = f"SELECT user_id FROM campus_users WHERE campus_id IN ({marks})"
            texts.append(f"user_id IN ({members})")
            values += listed
        elif name == "range[created_at]":
            low, high = value.split(",")
            texts.append(f"created_at >= {mark} AND created_at < {mark}")
            values += [dt.date.fromisoformat(low), dt.date.fromisoformat(high) + dt.timedelta(1)]
    if parent is not None:
        texts.append(f"user_id = (SELECT id FROM users WHERE login = {mark})")
        values.append(parent[1])
    return texts, values


def _zone(query: Query) -> str:
    return dict(query.parts[2]).get("time_zone", "UTC")


def groupdate_sql(query: Query, now: dt.datetime) -> tuple[str, list[Any]]:
    """groupdate 6's PostgreSQL adapter, week_start sunday, day_start 0 (Rails keeps UTC in
    `timestamp` columns and sets the session's zone to UTC)."""
    field, interval, _, _ = query.parts
    start = f"{field}::timestamptz AT TIME ZONE %s - INTERVAL '0 second'"
    zone = _zone(query)
    key_params: list[Any]
    if interval in ("day", "month", "quarter", "year"):
        key, key_params = f"DATE_TRUNC(%s, {start})::date", [interval, zone]
    elif interval == "week":
        key = (
            f"(DATE_TRUNC('day', {start} - INTERVAL '1 day' * ((%s + EXTRACT(DOW FROM "
            f"{start})::integer) %% 7)) + INTERVAL '0 second')::date"
        )
        key_params = [zone, 13 - 6, zone]
    else:
        part = {"hour_of_day": "HOUR", "day_of_week": "DOW"}[interval]
        key, key_params = f"EXTRACT({part} FROM {start})::integer", [zone]
    texts, values = _conditions(query, "%s")
    sql = f"SELECT {key} AS key, COUNT(*) FROM {query.resource} WHERE {' AND '.join(texts)} "
    return sql + "GROUP BY 1", [*key_params, now, *values]


def _key(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def bucket_codes(
    db: duckdb.DuckDBPyConnection, query: Query, now: dt.datetime
) -> tuple[npt.NDArray[np.int64], list[str]]:
    """Every matching row's bucket number (0..k-1) and the k keys, from DuckDB's ICU zones."""
    field, interval, _, _ = query.parts
    local = f"timezone(?, {field}::TIMESTAMPTZ)"
    key = {
        "day": f"CAST({local} AS DATE)",
        "week": f"CAST({local} AS DATE) - CAST(dayofweek({local}) AS INTEGER)",
        "month": f"CAST(date_trunc('month', {local}) AS DATE)",
        "quarter": f"CAST(date_trunc('quarter', {local}) AS DATE)",
        "hour_of_day": f"hour({local})",
        "day_of_week": f"dayofweek({local})",
    }[interval]
    zone = _zone(query)
    texts, values = _conditions(query, "?")
    sql = f"SELECT {key} AS key FROM {query.resource} WHERE {' AND '.join(texts)}"
    column = db.execute(sql, [*[zone] * key.count("?"), now.replace(tzinfo=None), *values])
    keys = column.fetchnumpy()["key"]
    if keys.dtype.kind == "M":
        keys = keys.astype("datetime64[D]")
    unique, codes = np.unique(np.asarray(keys), return_inverse=True)
    texts_ = (
        list(np.datetime_as_string(unique))
        if unique.dtype.kind == "M"
        else [str(int(k)) for k in unique]
    )
    return codes.astype(np.int64).ravel(), texts_


# -- HTTP --------------------------------------------------------------------------------------


class Server:
    """`intragraph serve` on a database, with an application whose limits no run reaches."""

    def __init__(
        self,
        url: str,
        workers: int = 1,
        redis: str | None = None,
        cache_size: int = 0,
        copy: str = "",
    ) -> None:
        credentials = common.credentials(url)
        self.port = free_port()
        # the result cache off by default: a timed request is counted, not found again
        environment = {
            **os.environ,
            "INTRAGRAPH_LOG_LEVEL": "warning",
            "INTRAGRAPH_CACHE_SIZE": str(cache_size),
            "INTRAGRAPH_COLUMNAR_COPY": copy,
        }
        self.started = time.perf_counter()
        if redis:
            environment["INTRAGRAPH_REDIS_URL"] = redis
        self.process = subprocess.Popen(
            [
                *common.CLI,
                "serve",
                "--port",
                str(self.port),
                "--database",
                url,
                *("--workers", str(workers)),
            ],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(300):
            try:
                self._request("GET", "/openapi.json")
                break
            except OSError:
                time.sleep(0.1)
        form = (
            f"grant_type=client_credentials&client_id={credentials['uid']}"
            f"&client_secret={credentials['secret']}"
        )
        status, body = self._request(
            "POST", "/oauth/token", form, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert status == 200, body
        self.token = json.loads(body)["access_token"]
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)

    def _request(
        self, method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, path, body, headers or {})
            answer = connection.getresponse()
            return answer.status, answer.read()
        finally:
            connection.close()

    def get(self, path: str) -> Any:
        self.connection.request("GET", quote(path, safe="/?=&,[]"), headers=self.auth)
        answer = self.connection.getresponse()
        body = answer.read()
        assert answer.status == 200, body
        return json.loads(body)

    def wait_for_copies(self, answers: int = 40) -> float:
        """Seconds from start-up until `answers` readiness answers in a row (spread over the
        workers by the kernel) say the columnar copy is current."""
        in_a_row = 0
        while in_a_row < answers:
            _, body = self._request("GET", "/health/ready")
            in_a_row = in_a_row + 1 if json.loads(body).get("columnar_copy") == "current" else 0
            if not in_a_row:
                time.sleep(0.5)
        return time.perf_counter() - self.started

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def peak_mib(self) -> float:
        """The high-water mark of the server's resident memory, children (workers) included."""
        pids = [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        if children.exists():
            pids += [int(p) for p in children.read_text().split()]
        peak = 0
        for pid in pids:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        return peak / 1024

    def close(self) -> None:
        self.connection.close()
        self.process.terminate()
        self.process.wait(30)


async def _client(
    port: int, paths: list[str], token: str, until: float, tally: dict[str, Any]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < until:
            path = random.choice(paths)
            start = time.perf_counter()
            request = f"GET {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n\r\n"
            writer.write(request.encode())
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
            tally["latencies"].append(time.perf_counter() - start)
            tally["ok" if status == 200 else "errors"] += 1
    except (OSError, asyncio.IncompleteReadError):
        tally["errors"] += 1
    finally:
        writer.close()


def load_test(
    port: int, token: str, paths: list[str], clients: int, seconds: float
) -> dict[str, Any]:
    """Requests/s, errors and latency of `clients` keep-alive connections for `seconds`."""
    tally: dict[str, Any] = {"ok": 0, "errors": 0, "latencies": []}

    async def main() -> None:
        until = time.perf_counter() + seconds
        await asyncio.gather(*(_client(port, paths, token, until, tally) for _ in range(clients)))

    start = time.perf_counter()
    asyncio.run(main())
    elapsed = time.perf_counter() - start
    latencies = sorted(tally["latencies"]) or [0.0]
    return {
        "rps": tally["ok"] / elapsed,
        "ok": tally["ok"],
        "errors": tally["errors"],
        "p50": latencies[len(latencies) // 2] * 1000,
        "p99": latencies[int(len(latencies) * 0.99)] * 1000,
    }


# -- the run -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--postgres", default=common.POSTGRES)
    parser.add_argument(
        "--redis", default=os.environ.get("INTRAGRAPH_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    )
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--reuse", action="store_true", help="keep data already loaded")
    parser.add_argument(
        "--engine",
        choices=("both", "duckdb", "postgres"),
        default="both",
        help="duckdb: DuckDB alone, without PostgreSQL, the copy, groupdate's SQL and the load "
        "test (for sizes the baseline would take hours to load); postgres: PostgreSQL alone, "
        "with the copy and groupdate's SQL",
    )
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument(
        "--copy", default="", help="where the columnar copy lives: memory, or a folder (--folder)"
    )
    parser.add_argument(
        "--copy-workers", type=int, default=4, help="workers of the server with the copy"
    )
    args = parser.parse_args()
    args.copy = args.copy or str(args.folder / "intragraph-copies")

    until = dt.date.today().isoformat()
    now = dt.datetime.now(dt.UTC)
    duck_url = str(args.folder / f"intragraph-bench-{args.rows}.duckdb")
    pg_url = postgres_schema(args.postgres, f"intragraph_bench_{args.rows}")
    print(f"# bench/graph.py --rows {args.rows:,} ({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC)")
    urls = {"duckdb": duck_url, "postgres": pg_url}
    engines = ["duckdb", "postgres"] if args.engine == "both" else [args.engine]
    postgres = "postgres" in engines
    for engine in engines:
        loaded = load(urls[engine], args.rows, until, args.reuse)
        if loaded:
            seconds, peak = loaded
            print(
                f"load {NAMES[engine]}: {seconds:.1f} s = {seconds / args.rows * 1e6:.2f} s per "
                f"million rows ({args.rows / seconds:,.0f} rows/s), peak {peak:,.0f} MiB"
            )
    stores = {engine: open_store(urls[engine]) for engine in engines}
    copy = None
    if postgres:
        baseline_indexes(pg_url)
        before = rss_mib()
        copy = ColumnarCopy(stores["postgres"], args.copy)
        refreshed = copy.refresh()
        assert refreshed is not None
        print(
            f"columnar copy of PostgreSQL ({args.copy}): {refreshed.rows:,} rows of "
            f"{len(refreshed.tables)} tables in {refreshed.seconds:.1f} s, "
            f"this process's RSS +{rss_mib() - before:,.0f} MiB"
        )
        stores["copy"] = copy.store
    first = stores[engines[0]]
    campuses = [
        int(row[0])
        for row in first.fetch(
            "SELECT campus_id FROM campus_users GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 3", []
        )
    ]
    projects = [
        int(row[0])
        for row in first.fetch(
            "SELECT project_id FROM projects_users GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 3",
            [],
        )
    ]
    chosen = queries(campuses, projects, "jdoe")
    reference = None
    if postgres:
        reference = psycopg.connect(pg_url, autocommit=True)
        reference.execute("SET TIME ZONE 'UTC'")
        reference.execute("SET jit = off")  # the fairer baseline: JIT only slows these down
    # DuckDB's ICU time zones for numpy's bucket numbers, on the same database instance as the
    # store's, in-process (or the copy's, for PostgreSQL alone: a file by default)
    icu = duckdb.connect(duck_url if copy is None else str(copy.store.path))
    icu.execute("SET TimeZone = 'UTC'")

    results = []
    for query in chosen:
        field, interval, params, parent = query.parts
        resource = RESOURCES[query.resource]
        key = ParentKey(resource.parents[parent[0]], parent[1]) if parent else None
        parsed = parse_graph(resource, field, interval, params, parent=key)
        answers = {name: graph(store, parsed, now) for name, store in stores.items()}
        expected = next(iter(answers.values()))
        assert all(a == expected for a in answers.values()), f"{query.name}: engines differ"
        nonzero = {k: v for k, v in expected.items() if v}
        row: dict[str, Any] = {"query": query, "answer": expected}
        if reference is not None:
            sql, values = groupdate_sql(query, now)
            found = {_key(k): n for k, n in reference.execute(sql, values).fetchall()}
            assert found == nonzero, f"{query.name}: groupdate's SQL differs"
            row["groupdate"] = timed(
                lambda s=sql, v=values: reference.execute(s, v).fetchall()  # type: ignore[misc]
            )
        codes, keys = bucket_codes(icu, query, now)
        counted = np.bincount(codes) if codes.size else np.zeros(0, np.int64)
        assert dict(zip(keys, counted.tolist(), strict=True)) == nonzero, query.name
        row["rows"] = codes.size
        for name, store in stores.items():
            row[name] = timed(lambda s=store, p=parsed: graph(s, p, now))  # type: ignore[misc]
        row["numpy"] = timed(lambda c=codes: np.bincount(c))  # type: ignore[misc]
        results.append(row)
        print(f"{query.name} checked and timed", file=sys.stderr)
    report(results)
    icu.close()
    for name, store in stores.items():
        if name != "copy":  # the copy closes its own
            store.close()
    if copy is not None:
        copy.close()
    if reference is not None:
        reference.close()

    servers = [(e, urls[e], False) for e in engines] + ([("copy", pg_url, True)] * postgres)
    for engine, url, copied in servers:
        server = Server(  # several workers share their rate limits through Redis
            url,
            workers=args.copy_workers if copied else 1,
            redis=args.redis if copied else None,
            copy=args.copy if copied else "",
        )
        try:
            if copied:
                waited = server.wait_for_copies()
                print(
                    f"server with the columnar copy, {args.copy_workers} workers: every "
                    f"worker's copy current {waited:.1f} s after start-up"
                )
            for row in results:
                query = row["query"]
                answer = server.get(query.path)
                assert _past(answer) == _past(row["answer"]), f"HTTP {query.name} differs"
                row[f"http {engine}"] = timed(lambda p=query.path, s=server: s.get(p))  # type: ignore[misc]
            peak = server.peak_mib()
            print(
                f"server peak memory, {engine}, {args.copy_workers if copied else 1} worker(s), "
                f"after Q1-Q12 over HTTP: {peak:,.0f} MiB"
            )
        finally:
            server.close()

    report_http(results)
    if not postgres:
        return

    users = [
        int(row[0])
        for row in psycopg.connect(pg_url)
        .execute("SELECT DISTINCT user_id FROM projects_users ORDER BY 1 LIMIT 2000")
        .fetchall()
    ]
    paths = [f"/v2/users/{u}/projects_users/graph/on/created_at/by/month" for u in users]
    server = Server(pg_url, workers=2, redis=args.redis, cache_size=4096)
    try:
        # from a fresh process: this one's heap (and its garbage collections) stays out of it
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            clients = (server.port, server.token, paths, args.clients)
            pool.submit(load_test, *clients, 2).result()  # warm the workers' pools
            result = pool.submit(load_test, *clients, args.seconds).result()
        print(
            f"\nHTTP load, serve --workers 2 on PostgreSQL + Redis (result cache on), "
            f"{args.clients} keep-alive "
            f"clients, {args.seconds:.0f} s of Q6-like requests over {len(paths)} users: "
            f"**{result['rps']:,.0f} requests/s**, {result['ok']:,} answered 200, "
            f"{result['errors']} errors, latency p50 {result['p50']:.1f} ms, "
            f"p99 {result['p99']:.1f} ms; server peak {server.peak_mib():,.0f} MiB per process"
        )
    finally:
        server.close()


def _ms(pair: tuple[float, float]) -> str:
    return f"{pair[0]:,.1f} / {pair[1]:,.1f}"


NAMES = {"duckdb": "DuckDB", "postgres": "PostgreSQL", "copy": "PostgreSQL + copy"}
Column = tuple[str, tuple[str, ...], Callable[[dict[str, Any]], str]]


def _table(results: list[dict[str, Any]], columns: list[Column]) -> None:
    """A Markdown table of the columns (title, the data they need, the cell) that every row
    has the data of."""
    shown = [c for c in columns if all(all(k in row for k in c[1]) for row in results)]
    print("\n| query | " + " | ".join(title for title, _, _ in shown) + " |")
    print("| --- | " + " | ".join("---:" for _ in shown) + " |")
    for row in results:
        cells = " | ".join(cell(row) for _, _, cell in shown)
        print(f"| {row['query'].name} {row['query'].label} | {cells} |")


def _times(key: str, title: str = "") -> Column:
    return (title or NAMES[key], (key,), lambda row: _ms(row[key]))


def _ratio(title: str, top: str, bottom: str) -> Column:
    return (title, (top, bottom), lambda row: f"{row[top][0] / row[bottom][0]:,.1f}")


def report(results: list[dict[str, Any]]) -> None:
    _table(
        results,
        [
            ("keys", (), lambda row: str(len(row["answer"]))),
            ("rows counted", (), lambda row: f"{row['rows']:,}"),
            _times("duckdb"),
            _times("postgres"),
            ("groupdate SQL on PostgreSQL", ("groupdate",), lambda row: _ms(row["groupdate"])),
            ("numpy bincount", (), lambda row: f"{row['numpy'][0]:,.2f}"),
            _ratio("groupdate / DuckDB", "groupdate", "duckdb"),
            _ratio("groupdate / PostgreSQL", "groupdate", "postgres"),
            _times("copy"),
            _ratio("groupdate / PostgreSQL + copy", "groupdate", "copy"),
            _ratio("DuckDB / numpy", "duckdb", "numpy"),
        ],
    )
    print("\n(median / p95 in ms of 5 warm runs; ratios of medians)", flush=True)


def report_http(results: list[dict[str, Any]]) -> None:
    _table(
        results,
        [
            *(_times(f"http {engine}", f"HTTP {NAMES[engine]}") for engine in NAMES),
            _ratio("groupdate / HTTP DuckDB", "groupdate", "http duckdb"),
            _ratio("groupdate / HTTP PostgreSQL + copy", "groupdate", "http copy"),
        ],
    )
    print(flush=True)


def _past(answer: dict[str, int]) -> dict[str, int]:
    """An answer without its last period: the one holding now, which moves on between the
    code path's run and the HTTP one (retriable_at has rows in the future)."""
    return dict(list(answer.items())[:-1])


if __name__ == "__main__":
    main()
