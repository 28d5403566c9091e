"""The core issue's numbers: `intragraph demo --rows N` time and peak memory, then the latency
of a few graph requests on that data, through the route's code path and over real HTTP.

    python bench/core.py --rows 10000000

Prints a table; medians of 5 warm runs, with the cold first run beside them.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

import common

from intragraph.graphs import graph
from intragraph.ports import free_port
from intragraph.query import parse_graph
from intragraph.resources import PROJECTS_USERS
from intragraph.store import open_store

QUERIES = [
    ("by day, UTC", "/v2/projects_users/graph/on/created_at/by/day"),
    (
        "by week, Europe/Paris",
        "/v2/projects_users/graph/on/created_at/by/week?time_zone=Europe/Paris",
    ),
    (
        "hour_of_day, Europe/Paris",
        "/v2/projects_users/graph/on/created_at/by/hour_of_day?time_zone=Europe/Paris",
    ),
    (
        "month, 3 projects",
        "/v2/projects_users/graph/on/created_at/by/month?filter[project_id]=1,2,3",
    ),
    (
        "day, finished, campus 1",
        "/v2/projects_users/graph/on/created_at/by/day?filter[status]=finished&filter[campus]=1",
    ),
    (
        "day, 3-month range",
        "/v2/projects_users/graph/on/created_at/by/day?range[created_at]=2024-01-01,2024-03-31",
    ),
    (
        "day_of_week on updated_at, Asia/Kolkata",
        "/v2/projects_users/graph/on/updated_at/by/day_of_week?time_zone=Asia/Kolkata",
    ),
    (
        "quarter on retriable_at, America/Sao_Paulo",
        "/v2/projects_users/graph/on/retriable_at/by/quarter?time_zone=America/Sao_Paulo",
    ),
]


def _timed(run: Callable[[], object], repeat: int = 5) -> tuple[float, float]:
    """(cold, median of `repeat` warm runs) in milliseconds."""
    start = time.perf_counter()
    run()
    cold = (time.perf_counter() - start) * 1000
    warm = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        warm.append((time.perf_counter() - start) * 1000)
    return cold, statistics.median(warm)


def _split(path: str) -> tuple[str | None, str | None, list[tuple[str, str]]]:
    route, _, query = path.partition("?")
    parts = route.split("/")
    field = parts[parts.index("on") + 1] if "on" in parts else None
    interval = parts[parts.index("by") + 1] if "by" in parts else None
    params = [tuple(p.split("=", 1)) for p in query.split("&") if p]
    return field, interval, params  # type: ignore[return-value]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database", type=Path, help="keep the data here (default: a temp dir)")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="intragraph-bench-")
    db = args.database or Path(folder) / "bench.duckdb"
    cli = [sys.executable, "-m", "intragraph"]

    start = time.perf_counter()
    subprocess.run(
        [*cli, "demo", "--rows", str(args.rows), "--seed", "1", "--replace", "--database", str(db)],
        check=True,
        stderr=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"demo --rows {args.rows}: {seconds:.1f} s, peak RSS {peak:.0f} MiB, "
        f"{args.rows / seconds:,.0f} rows/s, file {db.stat().st_size / 2**20:.0f} MiB"
    )

    store = open_store(str(db))
    import datetime as dt

    now = dt.datetime.now(dt.UTC)
    print(f"\n{'query':45} {'keys':>6} {'cold ms':>8} {'median ms':>10}")
    for name, path in QUERIES:
        field, interval, params = _split(path)
        query = parse_graph(PROJECTS_USERS, field, interval, params)
        answer = graph(store, query, now)
        cold, median = _timed(lambda q=query: graph(store, q, now))  # type: ignore[misc]
        print(f"{name:45} {len(answer):>6} {cold:>8.1f} {median:>10.1f}")
    store.close()

    credentials = common.credentials(str(db))
    port = free_port()
    server = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--database", str(db)],
        stderr=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/openapi.json", timeout=2).close()
                break
            except OSError:
                time.sleep(0.1)

        form = urllib.parse.urlencode(
            {
                "grant_type": "client_credentials",
                "client_id": credentials["uid"],
                "client_secret": credentials["secret"],
            }
        ).encode()
        with urllib.request.urlopen(base + "/oauth/token", data=form, timeout=10) as response:
            token = json.load(response)["access_token"]

        def get(path: str) -> object:
            request = urllib.request.Request(
                base + path, headers={"Authorization": f"Bearer {token}"}
            )
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.load(response)

        print(f"\nover HTTP (uvicorn, one worker)\n{'query':45} {'cold ms':>8} {'median ms':>10}")
        for name, path in QUERIES:
            cold, median = _timed(lambda p=path: get(p))  # type: ignore[misc]
            print(f"{name:45} {cold:>8.1f} {median:>10.1f}")
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
