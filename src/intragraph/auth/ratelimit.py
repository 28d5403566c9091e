"""Rate limits per application, in fixed windows that start at a window's first request: in
memory for one process (the `limits` library), in Redis when several workers must share one
budget (one Lua script a request: INCR is atomic there, and every window is counted and read in
one round trip instead of three a window)."""

from __future__ import annotations

import math
import re
import time

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

    def _in_redis(self, key: str, items: tuple[RateLimitItem, ...]) -> list[Window]:
        keys = [item.key_for("intragraph", key) for item in items]
        limits = [value for item in items for value in (item.amount, item.get_expiry())]
        values = self._script(keys=keys, args=limits)  # type: ignore[misc]
        windows, refused = [], False
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
        try:
            windows = (self._in_redis if self._script else self._in_memory)(key, items)
        except Exception:  # the shared counter is out of reach: refuse rather than not count
            raise Unavailable("rate limiting is unavailable (cannot reach Redis)") from None
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
