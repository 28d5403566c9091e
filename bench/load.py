"""The operating issue's load benchmark: a realistic mix, `serve --workers 2` on PostgreSQL and
Redis, many keep-alive clients, with the result cache off and then on.

    python bench/load.py --rows 200000 [--clients 500] [--seconds 20] [--reuse]

The mix, drawn at random for each request: one-user graphs (40 %), one-project graphs in a few
zones (20 %), campus-filtered graphs over several intervals and zones (25 %), and list pages of a
campus (15 %), over the demo's users, projects and campuses. Prints requests/s, p50 and p99, errors,
and the cache's hit rate (from /metrics).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing
import os
import random
import signal
import subprocess
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import common
import psycopg
import redis
from graph import Server, load, load_test, postgres_schema

ZONES = ("UTC", "Europe/Paris", "America/Sao_Paulo", "Asia/Tokyo")
INTERVALS = ("day", "week", "month", "hour_of_day", "day_of_week")


def mix(url: str, count: int, seed: int = 7) -> list[str]:
    """`count` request paths drawn from the mix."""
    with psycopg.connect(url) as connection:
        users = [r[0] for r in connection.execute("SELECT id FROM users ORDER BY id LIMIT 3000")]
        projects = [
            r[0]
            for r in connection.execute(
                "SELECT project_id FROM projects_users GROUP BY 1 ORDER BY count(*) DESC LIMIT 50"
            )
        ]
        campuses = [
            r[0]
            for r in connection.execute(
                "SELECT campus_id FROM campus_users GROUP BY 1 ORDER BY count(*) DESC LIMIT 8"
            )
        ]
    rng = random.Random(seed)
    paths = []
    for _ in range(count):
        draw = rng.random()
        zone, interval = rng.choice(ZONES), rng.choice(INTERVALS)
        if draw < 0.40:
            paths.append(
                f"/v2/users/{rng.choice(users)}/projects_users/graph/on/created_at/by/month"
            )
        elif draw < 0.60:
            paths.append(
                f"/v2/projects/{rng.choice(projects)}/projects_users/graph/on/created_at/by/week"
                f"?time_zone={zone}"
            )
        elif draw < 0.85:
            paths.append(
                f"/v2/projects_users/graph/on/created_at/by/{interval}"
                f"?filter[campus]={rng.choice(campuses)}&time_zone={zone}"
            )
        else:
            paths.append(
                f"/v2/projects_users?filter[campus]={rng.choice(campuses)}"
                f"&page[number]={rng.randint(1, 20)}&page[size]=30"
            )
    return paths


def _forget_answers(url: str) -> None:
    client = redis.Redis.from_url(url)
    for key in client.scan_iter("intragraph:answer:*", count=1000):
        client.delete(key)


def _scrape(server: Server, url: str) -> str:
    """/metrics, with a token of an admin application."""
    name = f"bench-admin-{dt.datetime.now().timestamp():.0f}"
    made = subprocess.run(
        [*common.CLI, "apps", "create", name, "--scope", "admin", "--json", "--database", url],
        check=True,
        capture_output=True,
        text=True,
    )
    found = json.loads(made.stdout)
    status, body = server._request(
        "POST",
        "/oauth/token",
        f"grant_type=client_credentials&client_id={found['uid']}&client_secret="
        f"{found['secret']}&scope=admin",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 200, body
    token = json.loads(body)["access_token"]
    status, body = server._request("GET", "/metrics", None, {"Authorization": f"Bearer {token}"})
    assert status == 200, body
    return body.decode()


def _cache_counts(text: str) -> dict[str, float]:
    counts = {"hit": 0.0, "shared": 0.0, "miss": 0.0}
    for line in text.splitlines():
        if line.startswith("intragraph_answer_cache_total{"):
            result = line.split('result="', 1)[1].split('"', 1)[0]
            counts[result] += float(line.rsplit(" ", 1)[1])
    return counts


def _hit_rate(before: str, after: str) -> str:
    """Answers from a worker's memory or from Redis, of the graph and list answers between two
    scrapes (the timed run's, not the warm-up's)."""
    old, new = _cache_counts(before), _cache_counts(after)
    counts = {result: new[result] - old[result] for result in new}
    total = sum(counts.values())
    if not total:
        return "no answer"
    return (
        f"{(counts['hit'] + counts['shared']) / total:.1%} of {total:,.0f} "
        f"({counts['shared'] / total:.1%} from Redis)"
    )


def _per_worker(text: str) -> str:
    """Requests answered by each worker, from their gauges (label pid)."""
    found = sorted(
        (
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("intragraph_worker_requests{")
        ),
        reverse=True,
    )
    return " / ".join(f"{n:,.0f}" for n in found)


# each down for 3 s (a plain restart of either is over in a fraction of a second)
RESTART_POSTGRES = "pg_ctlcluster 15 main stop && sleep 3 && pg_ctlcluster 15 main start"
RESTART_REDIS = (
    "redis-cli -p 6379 shutdown nosave; sleep 3; redis-server --bind 127.0.0.1 --port 6379 "
    "--save '' --appendonly no --daemonize yes"
)


async def _status(reader: asyncio.StreamReader) -> int:
    """The status of the answer the reader is at, read whole."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    await reader.readexactly(length)
    return int(head.split(b" ", 2)[1])


async def _timed_client(
    port: int, paths: list[str], token: str, until: float, seen: list[tuple[float, int]]
) -> None:
    """Like graph.py's client, but each answer is kept as (time, status), a dropped connection
    as status 0, after which the client connects again."""
    request_for = "GET {} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer " + token + "\r\n\r\n"
    while time.monotonic() < until:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            seen.append((time.monotonic(), 0))
            await asyncio.sleep(0.05)
            continue
        try:
            while time.monotonic() < until:
                writer.write(request_for.format(random.choice(paths)).encode())
                seen.append((time.monotonic(), await _status(reader)))
        except (OSError, asyncio.IncompleteReadError):
            seen.append((time.monotonic(), 0))
        finally:
            writer.close()


def _timeline(
    port: int, token: str, paths: list[str], clients: int, seconds: float
) -> list[tuple[float, int]]:
    seen: list[tuple[float, int]] = []

    async def main() -> None:
        until = time.monotonic() + seconds
        await asyncio.gather(
            *(_timed_client(port, paths, token, until, seen) for _ in range(clients))
        )

    asyncio.run(main())
    return seen


async def _asker(port: int, token: str, pending: list[str]) -> None:
    request_for = "GET {} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer " + token + "\r\n\r\n"
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while pending:
            writer.write(request_for.format(pending.pop()).encode())
            await _status(reader)
    finally:
        writer.close()


def ask_each(port: int, token: str, paths: list[str], clients: int) -> float:
    """Every distinct request of the mix once, over `clients` connections; the seconds it
    took. Each worker still counts or fetches from Redis the answers the other one got."""
    pending = sorted(set(paths))
    random.Random(1).shuffle(pending)
    start = time.perf_counter()

    async def main() -> None:
        await asyncio.gather(*(_asker(port, token, pending) for _ in range(clients)))

    asyncio.run(main())
    return time.perf_counter() - start


def outages(server: Server, paths: list[str], clients: int, postgres: str, redis: str) -> None:
    """A PostgreSQL restart, a Redis restart and a killed worker during 45 s of load: the
    answers each second, and how long after each event the last non-200 came."""
    events: list[tuple[str, float]] = []
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        timed = pool.submit(_timeline, server.port, server.token, paths, clients, 45)
        time.sleep(8)
        for what, command in (("PostgreSQL restart", postgres), ("Redis restart", redis)):
            events.append((what, time.monotonic()))
            subprocess.run(command, shell=True, check=True, capture_output=True)
            events.append((f"{what} done", time.monotonic()))
            time.sleep(12)
        children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
        worker = next(
            int(pid)
            for pid in children.read_text().split()
            if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text()
        )
        events.append(("worker killed", time.monotonic()))
        os.kill(worker, signal.SIGKILL)
        seen = timed.result()
    start = min(t for t, _ in seen)
    print("\n| event | at s | answers/s until the next | non-200 | last non-200 after it, s |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for (what, at), following in zip(
        events, [*(t for _, t in events[1:]), float("inf")], strict=True
    ):
        during = [(t, status) for t, status in seen if at <= t < following]
        bad = [t for t, status in during if status != 200]
        last = f"{max(bad) - at:.1f}" if bad else "-"
        rate = len(during) / max(0.1, min(following, max(t for t, _ in seen)) - at)
        print(f"| {what} | {at - start:.1f} | {rate:,.0f} | {len(bad):,} | {last} |")
    statuses: dict[int, int] = {}
    for _, status in seen:
        statuses[status] = statuses.get(status, 0) + 1
    print(f"\nanswers by status (0: a dropped connection): {dict(sorted(statuses.items()))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--postgres", default=common.POSTGRES)
    parser.add_argument(
        "--redis", default=os.environ.get("INTRAGRAPH_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    )
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--warm", type=float, default=10.0, help="seconds of load before timing")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="skip asking every distinct request once: the timed run counts first asks",
    )
    parser.add_argument(
        "--outages", action="store_true", help="restart PostgreSQL and Redis, kill a worker"
    )
    parser.add_argument("--restart-postgres", default=RESTART_POSTGRES)
    parser.add_argument("--restart-redis", default=RESTART_REDIS)
    args = parser.parse_args()
    url = postgres_schema(args.postgres, f"intragraph_load_{args.rows}")
    loaded = load(url, args.rows, dt.date.today().isoformat(), args.reuse)
    if loaded:
        print(f"demo of {args.rows:,} rows loaded in {loaded[0]:.1f} s")
    paths = mix(url, 20_000)
    if args.outages:
        server = Server(url, workers=2, redis=args.redis, cache_size=4096)
        try:
            outages(server, paths, args.clients, args.restart_postgres, args.restart_redis)
        finally:
            server.close()
        return
    print(
        f"# bench/load.py --rows {args.rows:,}: serve --workers 2 on PostgreSQL + Redis, "
        f"{args.clients} keep-alive clients, {args.seconds:.0f} s each after "
        f"{'' if args.cold else 'every distinct request once and '}{args.warm:.0f} s of warm-up "
        f"({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC)\n"
    )
    print(
        "| result cache | requests/s | answered 200 | errors | p50 ms | p99 ms | hit rate "
        "| answers per worker |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |")
    for size in (0, 4096):
        _forget_answers(args.redis)  # none kept from an earlier run
        server = Server(url, workers=2, redis=args.redis, cache_size=size)
        try:
            with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
                port, token = server.port, server.token
                # a service's steady state: every answer of the mix asked once (a 10 s warm-up
                # of random draws alone left a quarter of the one-user graphs unasked on a
                # slow host, whose first asks then filled the timed run's tail), then the
                # pools and the caches warmed by the mix itself; then measure
                if size and not args.cold:
                    pool.submit(ask_each, port, token, paths, args.clients).result()
                pool.submit(load_test, port, token, paths, args.clients, args.warm).result()
                warm = _scrape(server, url)
                timed = pool.submit(load_test, port, token, paths, args.clients, args.seconds)
                result = timed.result()
            scraped = _scrape(server, url)
            rate = _hit_rate(warm, scraped) if size else "-"
            print(
                f"| {'on, ' + str(size) if size else 'off'} | {result['rps']:,.0f} "
                f"| {result['ok']:,} | {result['errors']} | {result['p50']:.1f} "
                f"| {result['p99']:.1f} | {rate} | {_per_worker(scraped)} |",
                flush=True,
            )
        finally:
            server.close()


if __name__ == "__main__":
    main()
