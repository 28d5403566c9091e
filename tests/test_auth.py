"""OAuth2 client credentials, scopes and rate limits, as the real API answers them."""

from __future__ import annotations

import base64
import datetime as dt
import re
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from intragraph.api.app import create_app
from intragraph.auth import applications
from intragraph.auth.ratelimit import RateLimiter, parse_limits
from intragraph.config import Settings
from intragraph.store.base import Store
from tests.conftest import NOW, redis_or_skip

GRAPH = "/v2/projects_users/graph/on/created_at/by/hour_of_day"
INVALID = (
    'Bearer realm="42 API", error="invalid_token", error_description="The access token is invalid"'
)
EXPIRED = (
    'Bearer realm="42 API", error="invalid_token", error_description="The access token expired"'
)
INVALID_CLIENT = {
    "error": "invalid_client",
    "error_description": "Client authentication failed due to unknown client, no client "
    "authentication included, or unsupported authentication method.",
}


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def api(store: Store, clock: Clock) -> TestClient:
    return TestClient(create_app(Settings(), store, clock, RateLimiter()))


@pytest.fixture(params=["memory", "redis"])
def limited(request: pytest.FixtureRequest, store: Store, clock: Clock) -> TestClient:
    """The API with its windows counted in memory (one process) or in Redis (shared)."""
    limiter = RateLimiter(redis_or_skip() if request.param == "redis" else "")
    return TestClient(create_app(Settings(), store, clock, limiter))


def _app(store: Store, clock: Clock, **options: object) -> applications.Credentials:
    options.setdefault("rate_limits", ("1000/second",))
    return applications.create(store, f"app-{uuid.uuid4()}", clock.now, **options)  # type: ignore[arg-type]


def _form(made: applications.Credentials) -> dict[str, str]:
    return {"grant_type": "client_credentials", "client_id": made.uid, "client_secret": made.secret}


def _token(api: TestClient, made: applications.Credentials, **extra: str) -> str:
    response = api.post(
        "/oauth/token",
        data={**_form(made), **extra},
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def _refused(api: TestClient, made: applications.Credentials) -> None:
    """The application's secret no longer gets a token."""
    response = api.post(
        "/oauth/token",
        data=_form(made),
    )
    assert (response.status_code, response.json()) == (401, INVALID_CLIENT)


def _graph(api: TestClient, token: str) -> int:
    return api.get(GRAPH, headers={"Authorization": f"Bearer {token}"}).status_code


def test_token_response(api: TestClient, store: Store, clock: Clock) -> None:
    made = _app(store, clock)
    response = api.post(
        "/oauth/token",
        data=_form(made),
    )
    body = response.json()
    assert re.fullmatch(r"[0-9a-f]{64}", body.pop("access_token"))
    assert body == {
        "token_type": "bearer",
        "expires_in": 7200,
        "scope": "public",
        "created_at": int(NOW.timestamp()),
        "secret_valid_until": int((NOW + dt.timedelta(days=365)).timestamp()),
    }
    assert response.headers["cache-control"] == "no-store"


def test_token_info(api: TestClient, store: Store, clock: Clock) -> None:
    made = _app(store, clock)
    token = _token(api, made)
    clock.advance(seconds=26)
    response = api.get("/oauth/token/info", headers={"Authorization": f"Bearer {token}"})
    assert response.json() == {
        "resource_owner_id": None,
        "scopes": ["public"],
        "expires_in_seconds": 7174,
        "application": {"uid": made.uid},
        "created_at": int(NOW.timestamp()),
    }
    assert api.get("/oauth/token/info").status_code == 401


def test_lifecycle_issue_reuse_expiry(api: TestClient, store: Store, clock: Clock) -> None:
    made = _app(store, clock)
    first = _token(api, made)
    second = _token(api, made)  # a new token each time: we keep only hashes (README)
    assert first != second
    assert _graph(api, first) == _graph(api, second) == 200
    clock.advance(seconds=7199)
    assert _graph(api, first) == 200
    clock.advance(seconds=1)
    response = api.get(GRAPH, headers={"Authorization": f"Bearer {first}"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == EXPIRED
    assert response.json() == {"error": "Unauthorized", "message": "The access token expired"}
    assert _graph(api, _token(api, made)) == 200  # the client fetches a new one


def test_revoke_stops_tokens_and_secrets_at_once(
    api: TestClient, store: Store, clock: Clock
) -> None:
    made = _app(store, clock)
    token = _token(api, made)
    applications.revoke(store, made.name, clock.now)
    response = api.get(GRAPH, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and response.headers["www-authenticate"] == INVALID
    _refused(api, made)


def test_rotate_with_grace(api: TestClient, store: Store, clock: Clock) -> None:
    old = _app(store, clock)
    new = applications.rotate_secret(store, old.name, clock.now, dt.timedelta(hours=72))
    assert new.uid == old.uid and new.secret != old.secret
    clock.advance(hours=71)
    _token(api, old)
    _token(api, new)
    clock.advance(hours=2)
    _refused(api, old)
    _token(api, new)


def test_expired_secret(api: TestClient, store: Store, clock: Clock) -> None:
    made = _app(store, clock, secret_ttl_days=1)
    clock.advance(days=1, seconds=1)
    _refused(api, made)


def test_basic_credentials(api: TestClient, store: Store, clock: Clock) -> None:
    made = _app(store, clock)
    good = base64.b64encode(f"{made.uid}:{made.secret}".encode()).decode()
    response = api.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {good}"},
    )
    assert response.status_code == 200
    bad = base64.b64encode(f"{made.uid}:nope".encode()).decode()
    refused = api.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {bad}"},
    )
    assert refused.status_code == 401 and refused.json() == INVALID_CLIENT
    assert refused.headers["www-authenticate"] == 'Basic realm="42 API"'


def test_json_body(api: TestClient, store: Store, clock: Clock) -> None:
    made = _app(store, clock)
    response = api.post(
        "/oauth/token",
        json=_form(made),
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("data", "status", "body"),
    [
        (
            {},
            400,
            {
                "error": "invalid_request",
                "error_description": "The request is missing a "
                "required parameter, includes an unsupported parameter value, or is "
                "otherwise malformed.",
            },
        ),
        (
            {"grant_type": "password"},
            400,
            {
                "error": "unsupported_grant_type",
                "error_description": "The authorization grant type is not supported by the "
                "authorization server.",
            },
        ),
        ({"grant_type": "client_credentials"}, 401, INVALID_CLIENT),
        (
            {"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"},
            401,
            INVALID_CLIENT,
        ),
        (
            {"grant_type": "client_credentials", "scope": "forum"},
            400,
            {
                "error": "invalid_scope",
                "error_description": "The requested scope is invalid, unknown, or malformed.",
            },
        ),
        (
            {"grant_type": "client_credentials", "scope": "public bogus"},
            400,
            {
                "error": "invalid_scope",
                "error_description": "The requested scope is invalid, unknown, or malformed.",
            },
        ),
    ],
)
def test_token_errors(
    api: TestClient,
    store: Store,
    clock: Clock,
    data: dict[str, str],
    status: int,
    body: dict[str, str],
) -> None:
    made = _app(store, clock)
    if "scope" in data:
        data = {**data, "client_id": made.uid, "client_secret": made.secret}
    response = api.post("/oauth/token", data=data)
    assert (response.status_code, response.json()) == (status, body)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer nope"},
        {"Authorization": "Token abc"},
    ],
)
def test_no_valid_token_is_401(api: TestClient, headers: dict[str, str]) -> None:
    response = api.get(GRAPH, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == INVALID
    assert response.json() == {"error": "Unauthorized", "message": "The access token is invalid"}
    assert "x-secondly-ratelimit-limit" not in response.headers


def test_access_token_parameter(api: TestClient, store: Store, clock: Clock) -> None:
    token = _token(api, _app(store, clock))
    assert api.get(f"{GRAPH}?access_token={token}").status_code == 200
    assert api.get(f"{GRAPH}?access_token=nope").status_code == 401


def test_missing_scope_is_403(api: TestClient, store: Store, clock: Clock) -> None:
    made = _app(store, clock, scopes=("projects", "public"))
    token = _token(api, made, scope="projects")
    response = api.get(GRAPH, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert response.headers["www-authenticate"] == (
        'Bearer realm="42 API", error="insufficient scope", '
        'error_description="The action need the following scopes: [public]"'
    )
    assert response.json() == {
        "error": "Forbidden",
        "message": "Insufficient scope. The action need the following scopes: [public]",
    }


def test_rate_limit_headers_and_429(limited: TestClient, store: Store, clock: Clock) -> None:
    api = limited
    made = _app(store, clock, rate_limits=("100/second", "3/hour"))
    auth = {"Authorization": f"Bearer {_token(api, made)}"}
    seen = [api.get(GRAPH, headers=auth) for _ in range(2)]
    seen.append(api.get(f"{GRAPH}?filter[id]=x", headers=auth))  # an error counts, and says so
    assert [r.status_code for r in seen] == [200, 200, 400]
    assert [r.headers["x-hourly-ratelimit-remaining"] for r in seen] == ["2", "1", "0"]
    assert seen[0].headers["x-hourly-ratelimit-limit"] == "3"
    assert seen[0].headers["x-secondly-ratelimit-limit"] == "100"
    assert seen[0].headers["x-secondly-ratelimit-remaining"] == "99"
    refused = api.get(GRAPH, headers=auth)
    assert refused.status_code == 429
    assert 3590 <= int(refused.headers["retry-after"]) <= 3600
    assert refused.headers["x-hourly-ratelimit-remaining"] == "0"
    assert refused.json()["error"] == "Too Many Requests"
    assert refused.json()["message"].startswith("rate limit exceeded: 3 requests per hour")


def test_the_secondly_limit(limited: TestClient, store: Store, clock: Clock) -> None:
    api = limited
    made = _app(store, clock, rate_limits=("2/second", "1200/hour"))
    auth = {"Authorization": f"Bearer {_token(api, made)}"}
    statuses = [api.get(GRAPH, headers=auth) for _ in range(3)]
    assert [r.status_code for r in statuses] == [200, 200, 429]
    assert statuses[2].headers["retry-after"] == "1"
    # a request refused by the second's window does not spend the hour's budget
    assert statuses[2].headers["x-hourly-ratelimit-remaining"] == "1198"
    assert statuses[2].headers["x-secondly-ratelimit-remaining"] == "0"


@pytest.fixture
def redis_limiters() -> Iterator[tuple[RateLimiter, RateLimiter]]:
    yield RateLimiter(redis_or_skip()), RateLimiter(redis_or_skip())


def test_two_instances_share_one_budget_in_redis(
    store: Store, clock: Clock, redis_limiters: tuple[RateLimiter, RateLimiter]
) -> None:
    first, second = (
        TestClient(create_app(Settings(), store, clock, limiter)) for limiter in redis_limiters
    )
    made = _app(store, clock, rate_limits=("1000/second", "5/hour"))
    auth = {"Authorization": f"Bearer {_token(first, made)}"}
    statuses = [
        client.get(GRAPH, headers=auth).status_code
        for client in (first, second, first, second, first, second, first)
    ]
    assert statuses == [200, 200, 200, 200, 200, 429, 429]


def test_an_unreachable_redis_is_503(store: Store, clock: Clock) -> None:
    api = TestClient(create_app(Settings(), store, clock, RateLimiter("redis://127.0.0.1:1/0")))
    token = _token(api, _app(store, clock))
    response = api.get(GRAPH, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 503
    assert response.json() == {
        "error": "Service Unavailable",
        "message": "rate limiting is unavailable (cannot reach Redis)",
    }


def test_a_nul_in_a_client_id_is_an_unknown_client(api: TestClient) -> None:
    response = api.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": "a\x00b", "client_secret": "x"},
    )
    assert (response.status_code, response.json()) == (401, INVALID_CLIENT)


def test_a_shared_window_left_without_expiry_gets_one() -> None:
    import redis

    url = redis_or_skip()
    items = parse_limits(("1000/second", "5/hour"))
    key = f"app-{uuid.uuid4()}"
    hourly = items[1].key_for("intragraph", key)
    client = redis.Redis.from_url(url)
    client.set(hourly, 2)  # as a worker that died between INCR and EXPIRE would leave it
    headers = RateLimiter(url).hit(key, items)
    assert headers["X-Hourly-RateLimit-Remaining"] == "2"
    assert headers["X-Secondly-RateLimit-Remaining"] == "999"
    ttl: int = client.ttl(hourly)  # type: ignore[assignment]
    assert 3590 <= ttl <= 3600
    client.delete(hourly)
