"""`intragraph sync` against intragraph itself as the upstream 42 API, on a local port, seeded
with demo data: the copy must equal the upstream row for row and graph for graph, through rate
limits, dropped connections, expiring tokens, a kill -9 and upstream changes between syncs."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner

from intragraph.cli import main
from intragraph.graphs import graph
from intragraph.ingest import demo
from intragraph.ingest.load import merge_records
from intragraph.query import parse_graph
from intragraph.resources import PROJECTS_USERS
from intragraph.store import cursors, open_store, writes
from intragraph.store import rows as stored
from intragraph.store.base import Store
from intragraph.store.cursors import Cursor
from intragraph.store.tables import TABLES
from intragraph.sync.run import ORDER, Report, _advance, sync, targets
from intragraph.sync.upstream import Upstream, UpstreamError
from tests.conftest import add, utc
from tests.upstream import FlakyProxy, serve
from tests.upstream import Upstream as Served

UNLIMITED = ("1000000/second",)
# 250 rows updated in one millisecond (as an update_all does): more than a page, so the sync
# must read that millisecond by id
BURST_AT = "2024-03-01T12:00:00.123Z"
BURST = 250


def record(
    id_: int, updated_at: str, status: str = "in_progress", user: int = 42
) -> dict[str, Any]:
    """A projects_user as the 42 API sends it."""
    return {
        "id": id_,
        "occurrence": 0,
        "final_mark": None,
        "status": status,
        "validated?": None,
        "current_team_id": None,
        "project": {"id": 1, "name": "Libft", "slug": "42cursus-libft"},
        "marked_at": None,
        "marked": False,
        "retriable_at": None,
        "created_at": "2024-01-02T03:04:05.678Z",
        "updated_at": updated_at,
        "user": {"id": user, "login": "jdoe"},
    }


def put(store: Store, records: list[dict[str, Any]]) -> None:
    with writes.transaction(store) as writer:
        merge_records(writer, "projects_users", (("test", n, r) for n, r in enumerate(records)))


def stamp(moment: dt.datetime) -> str:
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo network (2,000 rows, memberships) plus a burst, made once; each test copies it."""
    path = tmp_path_factory.mktemp("upstream") / "seed.duckdb"
    store = open_store(str(path))
    try:
        until = int(dt.datetime.now(dt.UTC).timestamp()) - 86400
        demo.fill(store, demo.Plan(2000, 3, until), replace=False)
        put(store, [record(10_000_000 + i, BURST_AT) for i in range(BURST)])
    finally:
        store.close()
    return path


@pytest.fixture
def upstream_store(seeded: Path, tmp_path: Path) -> Iterator[Store]:
    copy = tmp_path / "upstream.duckdb"
    copy.write_bytes(seeded.read_bytes())
    store = open_store(str(copy))
    yield store
    store.close()


@pytest.fixture
def upstream(upstream_store: Store) -> Iterator[Served]:
    with serve(upstream_store, UNLIMITED) as served:
        yield served


def client(served: Served, base: str | None = None) -> Upstream:
    return Upstream(base or served.base, served.uid, served.secret, backoff=0.01)


def run(
    store: Store, served: Served, full: bool = False, names: tuple[str, ...] = ORDER, **kw: Any
) -> list[Report]:
    remote = client(served, **kw)
    try:
        return sync(store, remote, targets([], [], names), dt.datetime.now(dt.UTC), full, noop)
    finally:
        remote.close()


def noop(*_: Any) -> None:
    pass


def rows(store: Store, table: str, where: str = "TRUE") -> list[tuple[Any, ...]]:
    columns = ", ".join(TABLES[table].columns)
    found = store.fetch(f"SELECT {columns} FROM {table} WHERE {where} ORDER BY id", [])
    return [
        tuple(
            v.astimezone(dt.UTC).replace(tzinfo=None)
            if isinstance(v, dt.datetime) and v.tzinfo
            else v
            for v in row
        )
        for row in found
    ]


# the resources that page by updated_at: what the slower tests sync (locations add 60 pages)
UPDATED = ("users", "campus_users", "cursus_users", "projects_users")

GRAPHS = [
    ("created_at", "day", []),
    ("updated_at", "week", [("time_zone", "Europe/Paris")]),
    ("created_at", "hour_of_day", [("time_zone", "Asia/Kolkata"), ("filter[campus]", "1")]),
    ("retriable_at", "month", [("filter[status]", "finished")]),
]


def assert_same(copy: Store, source: Store, synced: tuple[str, ...] = ORDER) -> None:
    """Every synced table row for row; the projects the copy has (a sync meets only those
    the rows embed: each of them) as upstream has them; and the graphs."""
    # a team's members come with it
    for table in {*synced, "users", *(("teams_users",) if "teams" in synced else ())}:
        assert rows(copy, table) == rows(source, table), table
    copied = rows(copy, "projects")
    ids = ", ".join(str(row[0]) for row in copied)
    assert copied == rows(source, "projects", f"id IN ({ids})")
    named = copy.fetch("SELECT DISTINCT project_id FROM projects_users", [])
    assert {row[0] for row in named} <= {row[0] for row in copied}
    now = dt.datetime.now(dt.UTC)
    for field, interval, params in GRAPHS:
        query = parse_graph(PROJECTS_USERS, field, interval, params)
        assert graph(copy, query, now) == graph(source, query, now), (field, interval)


def test_a_sync_copies_the_upstream_exactly(store: Store, upstream: Served) -> None:
    reports = run(store, upstream)
    assert_same(store, upstream.store)
    projects_users = next(r for r in reports if r.resource == "projects_users")
    assert projects_users.counts.inserted == 2000 + BURST == stored.count(store, "projects_users")
    # 100 a page; the burst's millisecond adds pages read by id
    assert projects_users.pages > (2000 + BURST) // 100
    again = run(store, upstream)
    assert all(r.counts.inserted == r.counts.updated == 0 for r in again)
    # one short page a window (locations have two): nothing was updated since, and the
    # tables read whole by id are small
    assert sum(r.pages for r in again) == len(targets([], []))


def test_changes_upstream_reach_the_copy_on_the_next_sync(store: Store, upstream: Served) -> None:
    run(store, upstream, names=UPDATED)
    now = stamp(dt.datetime.now(dt.UTC))
    changed = [record(i, now, status="finished") for i in (1, 2, 10_000_000, 10_000_001)]
    put(upstream.store, [*changed, record(20_000_000, now), record(20_000_001, now)])
    reports = run(store, upstream, names=UPDATED)
    assert_same(store, upstream.store, UPDATED)
    counts = next(r for r in reports if r.resource == "projects_users").counts
    assert (counts.inserted, counts.updated) == (2, 4)


# what the deletion test syncs: teams take their members with them
DELETING = (*UPDATED, "teams")


def test_full_removes_rows_gone_upstream(store: Store, upstream: Served) -> None:
    run(store, upstream, names=DELETING)
    gone = [5, 6, 10_000_100]
    with writes.transaction(upstream.store) as writer:
        writes.remove(writer, TABLES["projects_users"], gone)
        writes.remove(writer, TABLES["campus_users"], [84])
        writes.remove(writer, TABLES["teams"], [1])
        writes.remove(writer, TABLES["teams_users"], [1], "team_id")
    assert all(r.deleted == 0 for r in run(store, upstream, names=DELETING))  # cannot know
    assert stored.count(store, "projects_users") == 2000 + BURST
    reports = run(store, upstream, full=True, names=DELETING)
    assert [(r.resource, r.deleted) for r in reports if r.deleted] == [
        ("campus_users", 1),
        ("projects_users", 3),
        ("teams", 1),  # and its members: the tables are compared
    ]
    assert_same(store, upstream.store, DELETING)
    assert store.fetch("SELECT count(*) FROM sync_seen", [])[0][0] == 0


# cursus_users narrowed by --campus 1: those whose user's primary campus is 1
PRIMARY = "user_id IN (SELECT user_id FROM campus_users WHERE campus_id = 1 AND is_primary)"


def test_429s_are_waited_out(store: Store, upstream_store: Store) -> None:
    """Another client of the same application (5/second) has just spent the window: the
    sync's first page meets a 429, waits Retry-After, and keeps within the budget after."""
    with serve(upstream_store, ("5/second",)) as served:
        token = requests.post(
            f"{served.base}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(served.uid, served.secret),
            timeout=10,
        ).json()["access_token"]
        with requests.Session() as other:
            while (
                other.get(
                    f"{served.base}/v2/campus_users",
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=10,
                ).status_code
                != 429
            ):
                pass
        remote = client(served)
        sync(store, remote, targets([1], [], UPDATED), dt.datetime.now(dt.UTC), False, noop)
        remote.close()
    assert remote.tally.throttled >= 1
    assert remote.tally.requests >= 8  # so the budget mattered after the first wait too
    members = "user_id IN (SELECT user_id FROM campus_users WHERE campus_id = 1)"
    assert rows(store, "projects_users") == rows(upstream_store, "projects_users", members)
    assert rows(store, "cursus_users") == rows(upstream_store, "cursus_users", PRIMARY)


def test_dropped_connections_are_retried(store: Store, upstream: Served) -> None:
    proxy = FlakyProxy(int(upstream.base.rsplit(":", 1)[1]))
    try:
        remote = client(upstream, f"http://127.0.0.1:{proxy.port}")
        sync(store, remote, targets([], [], UPDATED), dt.datetime.now(dt.UTC), False, noop)
        remote.close()
    finally:
        proxy.close()
    assert proxy.cut >= 5 and remote.tally.retried >= 5
    assert_same(store, upstream.store, UPDATED)


def test_an_expired_token_is_replaced(store: Store, upstream_store: Store) -> None:
    with serve(upstream_store, ("8/second",), token_ttl=1) as served:
        remote = client(served)
        sync(store, remote, targets([], [], UPDATED), dt.datetime.now(dt.UTC), False, noop)
        remote.close()
    assert remote.tally.tokens >= 2
    assert_same(store, upstream_store, UPDATED)


def test_a_sync_killed_mid_way_continues_where_it_stopped(
    database_url: str, upstream: Served
) -> None:
    """kill -9 while the 15th page of projects_users is being answered: the pages committed
    before it (every 1,000 rows or second) are kept with their cursor; the next run reads the
    rest, and the copy is exact."""
    upstream.gate.at = 15
    environment = {
        **os.environ,
        "INTRAGRAPH_SYNC_CLIENT_ID": upstream.uid,
        "INTRAGRAPH_SYNC_CLIENT_SECRET": upstream.secret,
    }
    command = [sys.executable, "-m", "intragraph", "sync", "--from", upstream.base]
    command += ["--resources", ",".join(UPDATED)]
    process = subprocess.Popen(
        [*command, "--database", database_url],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert upstream.gate.reached.wait(60), "the sync never asked for the 15th page"
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        process.kill()
        upstream.gate.release.set()
    store = open_store(database_url)
    try:
        kept = stored.count(store, "projects_users")
        assert 0 < kept <= 1400  # rows at a page's last millisecond come again
        cursor = cursors.load(store, f"{upstream.base} projects_users")
        assert cursor is not None and cursor.high is not None  # a window in progress
        reports = run(store, upstream, names=UPDATED)
        resumed = next(r for r in reports if r.resource == "projects_users")
        assert resumed.resumed and resumed.counts.inserted == 2000 + BURST - kept
        assert_same(store, upstream.store, UPDATED)
    finally:
        store.close()


def test_narrowed_to_one_campus(store: Store, upstream: Served) -> None:
    remote = client(upstream)
    sync(store, remote, targets([1], []), dt.datetime.now(dt.UTC), False, noop)
    remote.close()
    members = "user_id IN (SELECT user_id FROM campus_users WHERE campus_id = 1)"
    assert rows(store, "campus_users") == rows(upstream.store, "campus_users", "campus_id = 1")
    assert rows(store, "projects_users") == rows(upstream.store, "projects_users", members)
    assert rows(store, "cursus_users") == rows(upstream.store, "cursus_users", PRIMARY)
    assert 0 < stored.count(store, "cursus_users") < stored.count(upstream.store, "cursus_users")
    assert 0 < stored.count(store, "projects_users") < 2000
    # every team with a member in campus 1 (filter[campus] upstream)
    member = "id IN (SELECT team_id FROM teams_users WHERE user_id IN (SELECT user_id FROM "
    in_campus = member + "campus_users WHERE campus_id = 1))"
    # (and the teams that campus 1's correctors evaluated: scale_teams embed them)
    assert set(rows(upstream.store, "teams", in_campus)) <= set(rows(store, "teams"))
    assert 0 < stored.count(store, "teams") < stored.count(upstream.store, "teams")


def test_refused_credentials_say_so_without_the_secret(store: Store, upstream: Served) -> None:
    remote = Upstream(upstream.base, upstream.uid, "not-the-secret")
    with pytest.raises(UpstreamError, match="refused the application") as raised:
        sync(store, remote, targets([], []), dt.datetime.now(dt.UTC), False, noop)
    assert "not-the-secret" not in str(raised.value)


def test_an_unreachable_upstream_fails_after_its_retries(store: Store) -> None:
    """Backoff doubles (10 s, 20 s: a long wait is announced), then the run stops."""
    waits: list[tuple[float, str]] = []
    remote = Upstream(
        "http://127.0.0.1:9",
        "id",
        "secret",
        attempts=3,
        backoff=10,
        sleep=lambda seconds: None,
        on_wait=lambda seconds, why: waits.append((seconds, why)),
    )
    with pytest.raises(UpstreamError, match="ConnectionError, 3 times in a row"):
        sync(store, remote, targets([], []), dt.datetime.now(dt.UTC), False, noop)
    assert remote.tally.retried == 2
    why = "POST /oauth/token: ConnectionError"
    assert waits == [(10, why), (20, why)]


def test_the_command(tmp_path: Path, upstream: Served) -> None:
    database = str(tmp_path / "copy.duckdb")
    environment = {
        "INTRAGRAPH_SYNC_CLIENT_ID": upstream.uid,
        "INTRAGRAPH_SYNC_CLIENT_SECRET": upstream.secret,
    }
    arguments = ["sync", "--from", upstream.base, "--database", database, "--campus", "1"]
    done = CliRunner().invoke(main, arguments, env=environment)
    assert done.exit_code == 0, done.output
    assert "projects_users: " in done.stdout and " 0 deleted" in done.stdout
    assert upstream.secret not in done.output
    for wrong, message in (
        (["--every", "soon"], "write a duration"),
        (["--campus", "one"], "write ids separated by commas"),
    ):
        refused = CliRunner().invoke(main, [*arguments, *wrong], env=environment)
        assert refused.exit_code == 2 and message in refused.output


def test_every_keeps_syncing(tmp_path: Path, upstream: Served) -> None:
    environment = {
        **os.environ,
        "INTRAGRAPH_SYNC_CLIENT_ID": upstream.uid,
        "INTRAGRAPH_SYNC_CLIENT_SECRET": upstream.secret,
    }
    database = str(tmp_path / "copy.duckdb")
    command = [sys.executable, "-m", "intragraph", "sync", "--from", upstream.base]
    process = subprocess.Popen(
        [*command, "--every", "1s", "--database", database],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    runs = 0
    try:
        for line in process.stdout:
            runs += line.startswith("upstream: ")
            if runs == 2:
                break
    finally:
        process.terminate()
        process.wait(10)
        process.stdout.close()
    assert runs == 2


def test_locations_sync_what_began_then_what_closed(store: Store, upstream: Served) -> None:
    """locations have no updated_at: a sync reads what began (by begin_at), then what closed
    since the last run (by end_at). A session open at one sync and closed before the next,
    and one begun in between, both reach the copy; --full removes one gone upstream."""

    def locations(full: bool = False) -> list[Report]:
        remote = client(upstream)
        try:
            chosen = targets([], [], ("locations",))
            return sync(store, remote, chosen, dt.datetime.now(dt.UTC), full, noop)
        finally:
            remote.close()

    seated = {"user_id": 42, "host": "c9r9p8", "campus_id": 1}

    def ms(moment: dt.datetime) -> dt.datetime:  # the API's precision
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)

    begun = ms(dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    add(upstream.store, "locations", {"id": 10**9 - 1, **seated, "begin_at": begun})
    first = locations()
    assert [r.resource for r in first] == ["locations by begin_at", "locations by end_at"]
    assert rows(store, "locations") == rows(upstream.store, "locations")
    closed, now = 10**9 - 1, ms(dt.datetime.now(dt.UTC))
    with writes.transaction(upstream.store) as writer:
        writer.execute(
            f"UPDATE locations SET end_at = {writer.placeholder} WHERE id = {writer.placeholder}",
            [now, closed],
        )
        writer.touched.add("locations")
    add(
        upstream.store,
        "locations",
        {"id": 10**9, "user_id": 42, "begin_at": now, "host": "c9r9p9", "campus_id": 1},
    )
    second = locations()
    assert [(r.counts.inserted, r.counts.updated) for r in second] == [(1, 0), (0, 1)]
    assert rows(store, "locations") == rows(upstream.store, "locations")
    with writes.transaction(upstream.store) as writer:
        writes.remove(writer, TABLES["locations"], [10**9])
    assert sum(r.deleted for r in locations(full=True)) == 1
    assert rows(store, "locations") == rows(upstream.store, "locations")


def test_the_keyset_steps() -> None:
    """Where a window stands after a page: past the ids kept at the page's last millisecond,
    by id through a millisecond that fills a page, at its end after a short page; and a page
    out of order is refused rather than trusted."""
    low, high = utc("2024-01-01 00:00:00"), utc("2024-02-01 00:00:00")
    cursor = Cursor("k", "projects_users", None).started(low, high, False)

    def page(*pairs: tuple[int, str]) -> list[dict[str, Any]]:
        return [{"id": i, "updated_at": at} for i, at in pairs]

    t1, t2 = "2024-01-05T10:00:00.250Z", "2024-01-05T10:00:00.251Z"
    # updated_at then id as the upstream sorts them: 3 and 7 share a millisecond that also
    # has rows past the page (an upstream keeping microseconds may order them 7, 3)
    full = page(*((i, t1) for i in range(1, 99)), (7, t2), (3, t2))
    with pytest.raises(UpstreamError, match="sorted by id"):
        _advance(replace(cursor, drain_from=5), page((6, t1), (5, t1)))
    kept, after = _advance(cursor, full)
    assert len(kept) == 100 and after.low == utc("2024-01-05 10:00:00.251") and after.seen == "7,3"
    kept, again = _advance(after, page((3, t2), (7, t2), (9, t2)))
    assert [row["id"] for row in kept] == [9] and again.low == high + dt.timedelta(milliseconds=1)
    crowded = page(*((i, t2) for i in range(100)))
    _, draining = _advance(after, crowded)
    assert draining.drain_from == 0 and draining.low == after.low
    _, drained = _advance(draining, page((5, t2)))
    assert drained.drain_from is None and drained.low == after.low + dt.timedelta(milliseconds=1)
    with pytest.raises(UpstreamError, match="sorted by updated_at"):
        _advance(cursor, page((1, t2), (2, t1)))
    with pytest.raises(UpstreamError, match="within range"):
        _advance(cursor, page((1, "2025-01-01T00:00:00.000Z")))
