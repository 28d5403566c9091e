"""Rate limits per application, in fixed windows that start at a window's first request: in
memory for one process (the `limits` library), in Redis when several workers must share one
budget (one Lua script a request: INCR is atomic there, and every window is counted and read in
one round trip instead of three a window)."""

from __future__ import annotations

import math
import re
import time
from typing import Any

import redis
from limits import RateLimitItem, parse, storage, strategies

from intragraph.errors import BadRequest, TooManyRequests, Unavailable

DEFAULT = ("2/second", "1200/hour")
_FORMAT = re.compile(r"(?P<n>[1-9]\d*)/(second|minute|hour|day)")
_LARGEST = 999_999_999  # what the counters are sized for
_HEADER_WORD = {"second": "Secondly", "minute": "Minutely", "hour": "Hourly", "day": "Daily"}


def parse_limits(texts: tuple[str, ...] | list[str]) -> tuple[RateLimitItem, ...]:
    """'2/second' ... as limits, shortest window first; one per window."""
    for text in texts:
        match = _FORMAT.fullmatch(text)
        if not match:
            raise BadRequest(
                f"rate limit {text!r} is not valid: write N/second, N/minute, N/hour or N/day"
            )
        if int(match["n"]) > _LARGEST:
            raise BadRequest(
                f"rate limit {text!r} is too large: N can be at most {_LARGEST:,} a window"
            )
    items = sorted((parse(text) for text in texts), key=lambda item: item.get_expiry())
    windows = [item.GRANULARITY.name for item in items]
    if len(set(windows)) != len(windows):
        raise BadRequest(f"rate limits {' '.join(texts)}: give at most one per window")
    return tuple(items)


def _prefix(item: RateLimitItem) -> str:
    return f"X-{_HEADER_WORD[item.GRANULARITY.name]}-RateLimit"


# KEYS: a counter per window, shortest first; ARGV: each window's limit and seconds. A window
# that refuses the request stops the counting: the longer windows are only read. A counter
# without an expiry gets one whenever it is met (not only when created), so that no window is
# left to last forever.
_HIT = """
local refused, out = 0, {}
for i, key in ipairs(KEYS) do
  local count
  if refused == 0 then
    count = redis.call('INCR', key)
    if redis.call('TTL', key) < 0 then redis.call('EXPIRE', key, ARGV[2 * i]) end
    if count > tonumber(ARGV[2 * i - 1]) then refused = i end
  else
    count = tonumber(redis.call('GET', key) or '0')
  end
  out[2 * i - 1] = count
  out[2 * i] = redis.call('TTL', key)
end
return out
"""

Window = tuple[int, float, bool]  # requests left in it, seconds until it ends, allowed


class RateLimiter:
    def __init__(self, redis_url: str = "") -> None:
        self._limiter = strategies.FixedWindowRateLimiter(storage.MemoryStorage())
        self._script = None
        self._client: redis.Redis | None = None
        if redis_url:
            client = redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2)
            self._script = client.register_script(_HIT)
            self._client = client

    def ping(self) -> bool:
        """Whether the shared counters answer (always, when they are in memory)."""
        if self._client is None:
            return True
        try:
            return bool(self._client.ping())
        except redis.RedisError:
            return False

    @property
    def shared(self) -> bool:
        """Whether the counters are in Redis (a round trip a request) or in memory."""
        return self._script is not None

    @staticmethod
    def _arguments(key: str, items: tuple[RateLimitItem, ...]) -> tuple[list[str], list[int]]:
        keys = [item.key_for("intragraph", key) for item in items]
        return keys, [value for item in items for value in (item.amount, item.get_expiry())]

    def _counted(self, requests: list[tuple[str, tuple[RateLimitItem, ...]]]) -> list[Any]:
        """The script's answer for each request: one call for one request, else a pipeline
        of EVALSHA (redis-py's pipelined scripts ask SCRIPT EXISTS first: a round trip more)."""
        if len(requests) == 1:
            keys, limits = self._arguments(*requests[0])
            return [self._script(keys=keys, args=limits)]  # type: ignore[misc]
        assert self._client is not None and self._script is not None
        for attempt in range(2):
            pipe = self._client.pipeline(transaction=False)
            for key, items in requests:
                keys, limits = self._arguments(key, items)
                pipe.execute_command(  # type: ignore[no-untyped-call]
                    "EVALSHA", self._script.sha, len(keys), *keys, *limits
                )
            values = pipe.execute(raise_on_error=False)
            if not any(isinstance(v, redis.exceptions.NoScriptError) for v in values):
                break
            if attempt == 0:  # a restarted Redis forgot the script
                self._client.script_load(_HIT)
        for value in values:
            if isinstance(value, Exception):
                raise value
        return list(values)

    @staticmethod
    def _windows(items: tuple[RateLimitItem, ...], values: list[int]) -> list[Window]:
        windows: list[Window] = []
        refused = False
        for item, count, ttl in zip(items, values[::2], values[1::2], strict=True):
            allowed = not refused and count <= item.amount
            refused = refused or not allowed
            windows.append((max(0, item.amount - count), max(0, ttl), allowed))
        return windows

    def _in_memory(self, key: str, items: tuple[RateLimitItem, ...]) -> list[Window]:
        windows, refused = [], False
        for item in items:
            allowed = not refused and self._limiter.hit(item, "intragraph", key)
            refused = refused or not allowed
            stats = self._limiter.get_window_stats(item, "intragraph", key)
            windows.append((stats.remaining, stats.reset_time - time.time(), allowed))
        return windows

    def hit(self, key: str, items: tuple[RateLimitItem, ...]) -> dict[str, str]:
        """Count one request against each window, shortest first, and return the
        X-*-RateLimit-* headers; a request refused by a window is not counted against the
        longer ones, and raises TooManyRequests with the headers and Retry-After."""
        outcome = self.hit_many([(key, items)])[0]
        if isinstance(outcome, TooManyRequests):
            raise outcome
        return outcome

    def hit_many(
        self, requests: list[tuple[str, tuple[RateLimitItem, ...]]]
    ) -> list[dict[str, str] | TooManyRequests]:
        """`hit` for each of several requests, in one round trip to Redis (a pipeline): each
        request's headers, or its TooManyRequests."""
        try:
            if self._script is None:
                windows = [self._in_memory(key, items) for key, items in requests]
            else:
                values = self._counted(requests) if requests else []
                windows = [self._windows(i, v) for (_, i), v in zip(requests, values, strict=True)]
        except Exception:  # the shared counter is out of reach: refuse rather than not count
            raise Unavailable(_UNREACHABLE) from None
        return [_outcome(items, w) for (_, items), w in zip(requests, windows, strict=True)]


_UNREACHABLE = "rate limiting is unavailable (cannot reach Redis)"


def _outcome(
    items: tuple[RateLimitItem, ...], windows: list[Window]
) -> dict[str, str] | TooManyRequests:
    try:
        return _headers(items, windows)
    except TooManyRequests as refused:
        return refused


def _headers(items: tuple[RateLimitItem, ...], windows: list[Window]) -> dict[str, str]:
    """The X-*-RateLimit-* headers; TooManyRequests with them and Retry-After when a window
    refused the request."""
    headers: dict[str, str] = {}
    refused = ""
    for item, (remaining, seconds, allowed) in zip(items, windows, strict=True):
        headers[f"{_prefix(item)}-Limit"] = str(item.amount)
        headers[f"{_prefix(item)}-Remaining"] = str(remaining)
        if not allowed and not refused:
            wait = max(1, math.ceil(seconds))
            headers["Retry-After"] = str(wait)
            refused = (
                f"rate limit exceeded: {item.amount} requests per "
                f"{item.GRANULARITY.name}; retry in {wait} s"
            )
    if refused:
        raise TooManyRequests(refused, headers)
    return headers
