"""Operating it: health and readiness, request ids, JSON log lines, the result cache (never
stale: a write, a date crossing now, a new day) and ETags with 304, on every engine."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from intragraph.api.access_log import JsonLines
from intragraph.auth import applications, tokens
from intragraph.cache import AnswerCache
from intragraph.query import parse_graph
from intragraph.resources import RESOURCES
from intragraph.store import cursors
from intragraph.store.base import Store
from tests.conftest import NOW, add, client_for, redis_or_skip, utc


class Clock:
    """A clock a test moves."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def test_health_needs_no_token(store: Store) -> None:
    client = client_for(store, authorized=False)
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/health/ready")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready", "database": "ok"})


def test_ready_names_what_fails(store: Store) -> None:
    client = client_for(store, authorized=False, redis_url="redis://127.0.0.1:1/0")
    answer = client.get("/health/ready")
    assert answer.status_code == 503
    assert answer.json() == {
        "error": "Service Unavailable",
        "message": "not ready: redis unavailable",
        "status": "not ready",
        "database": "ok",
        "redis": "unavailable",
    }
    store.close()  # the database is gone
    answer = client.get("/health/ready")
    assert answer.status_code == 503
    assert answer.json()["message"] == "not ready: database, redis unavailable"
    assert client.get("/health").status_code == 200  # alive all the same


def test_ready_with_redis(store: Store) -> None:
    client = client_for(store, authorized=False, redis_url=redis_or_skip())
    assert client.get("/health/ready").json() == {
        "status": "ready",
        "database": "ok",
        "redis": "ok",
    }


def test_request_ids(client: TestClient) -> None:
    made = client.get("/health").headers["X-Request-Id"]
    assert len(made) == 32 and int(made, 16) >= 0
    kept = client.get("/v2/projects_users/graph", headers={"X-Request-Id": "lb-7f3a.1"})
    assert kept.headers["X-Request-Id"] == "lb-7f3a.1"
    # nothing that could forge a log line is kept
    odd = client.get("/health", headers={"X-Request-Id": "a b\tc"}).headers["X-Request-Id"]
    assert len(odd) == 32 and " " not in odd


def test_json_log_lines(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    token = client.headers["Authorization"].removeprefix("Bearer ")
    with caplog.at_level(logging.INFO, logger="intragraph.access"):
        client.get(
            f"/v2/users/7/projects_users/graph?access_token={token}",
            headers={"X-Request-Id": "r-1", "Authorization": ""},
        )
    record = next(r for r in caplog.records if r.name == "intragraph.access")
    line = JsonLines().format(record)
    assert token not in line and "access_token" not in line
    parsed = json.loads(line)
    assert parsed["route"] == "/v2/users/{key}/projects_users/graph"
    assert (parsed["request_id"], parsed["method"], parsed["status"]) == ("r-1", "GET", 404)
    assert parsed["level"] == "info" and parsed["time"].endswith("Z")
    assert isinstance(parsed["duration_ms"], float) and parsed["uid"] != "-"


def _rows(store: Store, *moments: dt.datetime, **extra: Any) -> None:
    start = 100 + len(store.fetch("SELECT id FROM projects_users", []))
    rows = [
        {"id": start + i, "created_at": m, "updated_at": m, **extra} for i, m in enumerate(moments)
    ]
    add(store, "projects_users", *rows)


BY_YEAR = "/v2/projects_users/graph/on/created_at/by/year"


def test_a_write_is_seen_at_once(store: Store) -> None:
    clock = Clock(utc("2018-01-10 12:00"))
    client = client_for(store, clock)
    _rows(store, utc("2017-03-01 10:00"))
    first = client.get(BY_YEAR)
    assert first.json() == {"2017-01-01": 1, "2018-01-01": 0}
    assert client.get(BY_YEAR).headers["ETag"] == first.headers["ETag"]
    assert client.app.state.cache.hits == 1  # type: ignore[attr-defined]
    _rows(store, utc("2018-01-02 10:00"))
    second = client.get(BY_YEAR)
    assert second.json() == {"2017-01-01": 1, "2018-01-01": 1}
    assert second.headers["ETag"] != first.headers["ETag"]


def test_a_date_crossing_now_is_counted_when_it_does(store: Store) -> None:
    """A row made in the future (an imported clock skew, a retriable_at to come) is counted
    from its instant on: the cached answer ends there."""
    clock = Clock(utc("2018-01-10 12:00"))
    client = client_for(store, clock)
    _rows(store, utc("2017-03-01 10:00"), utc("2018-01-10 12:00:30"))
    assert client.get(BY_YEAR).json()["2018-01-01"] == 0
    clock.now = utc("2018-01-10 12:00:29")
    assert client.get(BY_YEAR).json()["2018-01-01"] == 0
    clock.now = utc("2018-01-10 12:00:30")
    assert client.get(BY_YEAR).json()["2018-01-01"] == 1
    clock.now = utc("2018-01-10 12:00:10")  # a clock set back is counted again, not served
    assert client.get(BY_YEAR).json()["2018-01-01"] == 0


def test_a_filter_date_crossing_now(store: Store) -> None:
    clock = Clock(utc("2018-01-10 12:00"))
    client = client_for(store, clock)
    _rows(store, utc("2017-03-01 10:00"), retriable_at=utc("2018-01-10 13:00"))
    path = "/v2/projects_users/graph/on/created_at/by/year?filter[retriable]=true"
    assert client.get(path).json() == {}  # no row is retriable yet
    clock.now = utc("2018-01-10 13:00")
    assert client.get(path).json() == {"2017-01-01": 1, "2018-01-01": 0}


def test_a_new_day_is_a_new_key(store: Store) -> None:
    clock = Clock(utc("2018-01-10 22:59:59"))
    client = client_for(store, clock)
    _rows(store, utc("2018-01-09 10:00"))
    path = "/v2/projects_users/graph/on/created_at/by/day?time_zone=Europe/Paris"
    assert list(client.get(path).json()) == ["2018-01-09", "2018-01-10"]
    clock.now = utc("2018-01-10 23:00")  # midnight in Paris
    assert list(client.get(path).json()) == ["2018-01-09", "2018-01-10", "2018-01-11"]


def test_etags_and_304(store: Store) -> None:
    client = client_for(store, Clock(utc("2018-01-10 12:00")))
    _rows(store, utc("2017-03-01 10:00"))
    for path, accept in (
        (BY_YEAR, "application/json"),
        (BY_YEAR, "text/csv"),
        ("/v2/projects_users", "*/*"),
    ):
        first = client.get(path, headers={"Accept": accept})
        tag = first.headers["ETag"]
        assert first.headers["Cache-Control"] == "private, max-age=0, must-revalidate"
        again = client.get(path, headers={"Accept": accept, "If-None-Match": f'W/{tag}, "x"'})
        assert (again.status_code, again.content, again.headers["ETag"]) == (304, b"", tag)
        # a 304 is a request: it was counted against the limits
        assert "X-Secondly-RateLimit-Remaining" in again.headers
    json_tag = client.get(BY_YEAR).headers["ETag"]
    assert client.get(BY_YEAR, headers={"Accept": "text/csv"}).headers["ETag"] != json_tag
    _rows(store, utc("2017-04-01 10:00"))
    changed = client.get(BY_YEAR, headers={"If-None-Match": json_tag})
    assert changed.status_code == 200 and changed.json()["2017-01-01"] == 2


def test_no_cache_still_tags(store: Store) -> None:
    client = client_for(store, Clock(utc("2018-01-10 12:00")), cache_size=0)
    _rows(store, utc("2017-03-01 10:00"))
    tags = {client.get(BY_YEAR).headers["ETag"] for _ in range(2)}
    assert len(tags) == 1 and client.app.state.cache.hits == 0  # type: ignore[attr-defined]


def _token(
    store: Store, scopes: tuple[str, ...], limits: tuple[str, ...], name: str = ""
) -> tuple[str, str]:
    """A new application's uid and a token of it."""
    made = applications.create(store, name or f"ops-{uuid.uuid4()}", NOW, scopes, limits)
    body = tokens.issue(store, made.uid, made.secret, " ".join(scopes), NOW, 7200)
    return made.uid, body["access_token"]


def test_a_revocation_takes_effect_at_once_in_every_worker(store: Store) -> None:
    """Tokens are looked up once per worker (a cache), yet a revocation refuses them at once:
    the cache is keyed by the accounts' version, which the revocation raises."""
    workers = [client_for(store, authorized=False) for _ in range(2)]
    _, token = _token(store, ("public",), ("1000/second",), name="revoked")
    auth = {"Authorization": f"Bearer {token}"}
    for worker in workers:
        for _ in range(2):  # looked up, then known
            assert worker.get(BY_YEAR, headers=auth).status_code == 200
    applications.revoke(store, "revoked", NOW)
    for worker in workers:
        refused = worker.get(BY_YEAR, headers=auth)
        assert (refused.status_code, refused.json()["message"]) == (
            401,
            "The access token is invalid",
        )


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics(store: Store) -> None:
    client = client_for(store, authorized=False)
    _, admin = _token(store, ("admin",), ("1000/second",))
    _, public = _token(store, ("public",), ("1000/second",))
    limited_uid, limited = _token(store, ("public",), ("1/hour",))
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Bearer {public}"}).status_code == 403
    route = {"route": "/v2/projects_users/graph/on/{field}/by/{interval}", "method": "GET"}
    before = {
        "ok": _sample("intragraph_requests_total", **route, status="200"),
        "hit": _sample("intragraph_answer_cache_total", kind="graph", result="hit"),
        "invalid": _sample("intragraph_token_failures_total", reason="invalid"),
    }
    _rows(store, utc("2017-03-01 10:00"))
    for _ in range(2):  # counted, then from the cache
        client.get(BY_YEAR, headers={"Authorization": f"Bearer {public}"})
    client.get(BY_YEAR, headers={"Authorization": "Bearer not-a-token"})
    for _ in range(2):  # the second is refused
        client.get(BY_YEAR, headers={"Authorization": f"Bearer {limited}"})
    assert _sample("intragraph_requests_total", **route, status="200") == before["ok"] + 3
    # counted once: the second request and the limited application's first are hits
    assert _sample("intragraph_answer_cache_total", kind="graph", result="hit") == before["hit"] + 2
    assert _sample("intragraph_token_failures_total", reason="invalid") == before["invalid"] + 1
    assert _sample("intragraph_rate_limited_total", application=limited_uid) == 1
    with store.transaction() as writer:  # a sync that completed a window at NOW
        cursors.save(writer, cursors.Cursor("https://up projects_users", "projects_users", NOW))
    scraped = client.get("/metrics", headers={"Authorization": f"Bearer {admin}"})
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    text = scraped.text
    assert 'intragraph_rows{resource="projects_users"} 1.0' in text
    assert "intragraph_graph_count_seconds_bucket{" in text
    position = '{cursor="https://up projects_users",resource="projects_users"}'
    values = dict(line.rsplit(" ", 1) for line in text.splitlines() if line[:1] != "#")
    assert float(values[f"intragraph_sync_last_success_timestamp_seconds{position}"]) == (
        NOW.timestamp()
    )
    assert float(values[f"intragraph_sync_lag_seconds{position}"]) == 0  # the app's clock: NOW


def test_workers_share_answers_through_redis(store: Store) -> None:
    """An answer one worker counted is served by another from Redis; a write makes it
    unreachable there too; Redis out of reach only costs a count."""
    redis_url = redis_or_skip()
    clock = Clock(utc("2018-01-10 12:00"))
    _rows(store, utc("2017-03-01 10:00"))
    first, second = (client_for(store, clock, redis_url=redis_url) for _ in range(2))
    path = f"{BY_YEAR}?time_zone=Asia/Tokyo&filter[id]={uuid.uuid4().int % 10**9}"
    before = _sample("intragraph_answer_cache_total", kind="graph", result="shared")
    counted = first.get(path)
    shared = second.get(path)
    assert (shared.content, shared.headers["ETag"]) == (counted.content, counted.headers["ETag"])
    after = _sample("intragraph_answer_cache_total", kind="graph", result="shared")
    assert after == before + 1
    _rows(store, utc("2017-04-01 10:00"))
    both = f"{BY_YEAR}?time_zone=Asia/Tokyo"
    assert first.get(both).json() == second.get(both).json() == {"2017-01-01": 2, "2018-01-01": 0}
    cache = AnswerCache(16, "redis://127.0.0.1:1/0")  # nothing listens there
    query = parse_graph(RESOURCES["projects_users"], "created_at", "year", [])
    assert cache.graph(store, query, clock()).counts == {"2017-01-01": 2, "2018-01-01": 0}


class _Slow(Store):
    """A store whose graph counts take 0.3 s, and that counts them."""

    def __init__(self, inner: Store) -> None:
        self.inner, self.counts = inner, 0
        self.placeholder, self.dialect, self.label = inner.placeholder, inner.dialect, inner.label

    def granule_sql(self, column: str, size: int) -> Any:
        return self.inner.granule_sql(column, size)

    def fetch(self, sql: str, params: Any) -> Any:
        return self.inner.fetch(sql, params)

    def fetch_kept_arrays(self, sql: str, params: Any) -> Any:  # a field's days, no count
        return self.inner.fetch_kept_arrays(sql, params)

    def fetch_arrays(self, sql: str, params: Any) -> Any:
        self.counts += 1
        time.sleep(0.3)
        return self.inner.fetch_arrays(sql, params)

    def _transaction(self) -> Any:
        return self.inner._transaction()

    def close(self) -> None:
        self.inner.close()


def test_an_answer_is_counted_once_however_many_ask(store: Store) -> None:
    _rows(store, utc("2017-03-01 10:00"))
    slow = _Slow(store)
    cache = AnswerCache(16)
    query = parse_graph(RESOURCES["projects_users"], "created_at", "day", [("filter[id]", "100")])
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: cache.graph(slow, query, NOW).body, range(8)))
    assert len(set(answers)) == 1 and slow.counts == 1
    assert (cache.misses, cache.hits) == (1, 7)


def test_answers_kept_in_redis_are_recalled_in_one_batch(store: Store) -> None:
    """`recall` asks Redis for several answers at once: each one held there (and valid now) is
    returned and kept in memory, the others are None; no Redis costs only misses."""
    redis_url = redis_or_skip()
    _rows(store, utc("2017-03-01 10:00"))
    now = utc("2018-01-10 12:00")
    tag = uuid.uuid4().int % 10**9  # answers no earlier run left in Redis
    kept, asked = [], []
    for n, zone in enumerate(("UTC", "Asia/Tokyo", "Europe/Paris")):
        params = [("filter[id]", str(tag + n)), ("time_zone", zone)]
        query = parse_graph(RESOURCES["projects_users"], "created_at", "year", params)
        asked.append((query, now, 7, ""))
        if n < 2:  # two of the three counted by another worker
            kept.append(AnswerCache(16, redis_url).graph(store, query, now, 7))
    asked.append((asked[0][0], utc("2018-01-01 00:00"), 7, ""))  # before it was counted
    cache = AnswerCache(16, redis_url)
    found = cache.recall(asked)
    assert found == [*kept, None, None]
    assert cache.memorized(asked[1][0], now, 7) == kept[1]
    assert AnswerCache(16, "redis://127.0.0.1:1/0").recall(asked) == [None] * 4
