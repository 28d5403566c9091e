"""A polite client of a 42-compatible API: one application's token, the upstream's budget kept.

Every GET waits for its turn (the secondly limit the upstream announces in its headers), sleeps
`Retry-After` on 429, fetches a new token when the upstream says the token expired, and retries
network failures and 5xx answers with exponential backoff. Secrets never reach a message.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from intragraph.errors import IntragraphError

Params = list[tuple[str, str]]


class UpstreamError(IntragraphError):
    """The upstream refused for good (bad credentials, a 4xx) or stayed unreachable."""


@dataclass
class Tally:
    """What the client went through, for the summary and the tests."""

    requests: int = 0
    throttled: int = 0  # 429 answers waited out
    retried: int = 0  # network failures and 5xx answers retried
    tokens: int = 0  # tokens fetched


@dataclass
class Upstream:
    base: str  # https://api.intra.42.fr
    client_id: str
    client_secret: str
    attempts: int = 8  # per request, for network failures and 5xx answers
    backoff: float = 1.0  # seconds before the first retry; doubled each time, at most 60
    timeout: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    tally: Tally = field(default_factory=Tally)
    # told of every wait of 10 s or more (seconds, why), so that a long pause is explained
    on_wait: Callable[[float, str], None] = lambda seconds, why: None

    def __post_init__(self) -> None:
        self.base = self.base.rstrip("/")
        self._session = requests.Session()
        self._session.headers["User-Agent"] = "intragraph-sync"
        self._token: str | None = None
        self._next_at = 0.0  # monotonic time before which the next request waits

    def close(self) -> None:
        self._session.close()

    def get(self, path: str, params: Params) -> tuple[list[dict[str, Any]], int | None]:
        """A list page: its items and X-Total (None when absent)."""
        refreshed = False
        while True:
            if self._token is None:
                self._token = self._fetch_token()
            answer = self._send("GET", path, params=params, auth=self._token)
            if answer.status_code == 401 and not refreshed:
                self._token, refreshed = None, True  # expired (or revoked): one new token
                continue
            if answer.status_code != 200:
                raise UpstreamError(f"GET {self.base}{path}: {_reason(answer)}")
            items = _json(answer, path)
            if not isinstance(items, list):
                raise UpstreamError(f"GET {self.base}{path}: expected a JSON array")
            total = answer.headers.get("X-Total", "")
            return items, int(total) if total.isdigit() else None

    def _fetch_token(self) -> str:
        answer = self._send(
            "POST",
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
            },
        )
        if answer.status_code != 200:
            raise UpstreamError(
                f"{self.base}/oauth/token refused the application {self.client_id!r}: "
                f"{_reason(answer)}"
            )
        token = _json(answer, "/oauth/token").get("access_token")
        if not isinstance(token, str):
            raise UpstreamError(f"{self.base}/oauth/token answered no access_token")
        self.tally.tokens += 1
        return token

    def _send(
        self, method: str, path: str, auth: str | None = None, **kw: Any
    ) -> requests.Response:
        """One request, answered by anything but 429, a 5xx or a network failure, which are
        waited out and retried."""
        headers = {"Authorization": f"Bearer {auth}"} if auth else {}
        failures = 0
        while True:
            self.sleep(max(0.0, self._next_at - self.clock()))
            self.tally.requests += 1
            try:
                answer = self._session.request(
                    method, self.base + path, headers=headers, timeout=self.timeout, **kw
                )
                answer.content  # noqa: B018 -- read the whole body here: a cut one fails now
            except requests.RequestException as error:
                problem = type(error).__name__
            else:
                self._pace(answer.headers)
                if answer.status_code == 429:
                    self.tally.throttled += 1
                    retry = answer.headers.get("Retry-After", "1")
                    self._wait(float(retry) if _number(retry) else 1.0, "the upstream answered 429")
                    continue
                if answer.status_code < 500:
                    return answer
                problem = f"HTTP {answer.status_code}"
            failures += 1
            if failures >= self.attempts:
                raise UpstreamError(
                    f"{method} {self.base}{path}: {problem}, {failures} times in a row; "
                    "run the sync again later: it continues where it stopped"
                )
            self.tally.retried += 1
            self._wait(min(60.0, self.backoff * 2 ** (failures - 1)), f"{method} {path}: {problem}")

    def _wait(self, seconds: float, why: str) -> None:
        if seconds >= 10:
            self.on_wait(seconds, why)
        self._next_at = self.clock() + seconds

    def _pace(self, headers: Any) -> None:
        """Spread requests over the upstream's secondly window; wait out an exhausted one."""
        limit = headers.get("X-Secondly-RateLimit-Limit", "")
        left = headers.get("X-Secondly-RateLimit-Remaining", "")
        gap = 1.0 / int(limit) if limit.isdigit() and int(limit) > 0 else 0.0
        if left.isdigit() and int(left) == 0:
            gap = max(gap, 1.0)
        self._next_at = self.clock() + gap


def _number(text: str) -> bool:
    try:
        return float(text) >= 0
    except ValueError:
        return False


def _json(answer: requests.Response, path: str) -> Any:
    try:
        return answer.json()
    except ValueError:
        raise UpstreamError(f"{path}: the upstream answered something that is not JSON") from None


def _reason(answer: requests.Response) -> str:
    """HTTP status and the upstream's own words, for a message (no secret is in them)."""
    try:
        body = answer.json()
    except ValueError:
        body = None
    words = ""
    if isinstance(body, dict):
        words = str(body.get("message") or body.get("error_description") or body.get("error", ""))
    return f"HTTP {answer.status_code}" + (f" {words}" if words else "")
