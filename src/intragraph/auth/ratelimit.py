"""Rate limits per application, with the `limits` library's fixed windows: in memory for one
process, in Redis when several workers must share one budget (INCR is atomic there)."""

from __future__ import annotations

import math
import re
import time

from limits import RateLimitItem, parse, storage, strategies

from intragraph.errors import BadRequest, TooManyRequests, Unavailable

DEFAULT = ("2/second", "1200/hour")
_FORMAT = re.compile(r"[1-9]\d{0,8}/(second|minute|hour|day)")
_HEADER_WORD = {"second": "Secondly", "minute": "Minutely", "hour": "Hourly", "day": "Daily"}


def parse_limits(texts: tuple[str, ...] | list[str]) -> tuple[RateLimitItem, ...]:
    """'2/second' ... as limits, shortest window first; one per window."""
    for text in texts:
        if not _FORMAT.fullmatch(text):
            raise BadRequest(
                f"rate limit {text!r} is not valid: write N/second, N/minute, N/hour or N/day"
            )
    items = sorted((parse(text) for text in texts), key=lambda item: item.get_expiry())
    windows = [item.GRANULARITY.name for item in items]
    if len(set(windows)) != len(windows):
        raise BadRequest(f"rate limits {' '.join(texts)}: give at most one per window")
    return tuple(items)


def _prefix(item: RateLimitItem) -> str:
    return f"X-{_HEADER_WORD[item.GRANULARITY.name]}-RateLimit"


class RateLimiter:
    def __init__(self, redis_url: str = "") -> None:
        store = storage.RedisStorage(redis_url) if redis_url else storage.MemoryStorage()
        self._limiter = strategies.FixedWindowRateLimiter(store)

    def hit(self, key: str, items: tuple[RateLimitItem, ...]) -> dict[str, str]:
        """Count one request against each window, shortest first, and return the
        X-*-RateLimit-* headers; a request refused by a window is not counted against the
        longer ones, and raises TooManyRequests with the headers and Retry-After."""
        headers: dict[str, str] = {}
        refused = ""
        try:
            for item in items:
                allowed = refused == "" and self._limiter.hit(item, "intragraph", key)
                stats = self._limiter.get_window_stats(item, "intragraph", key)
                headers[f"{_prefix(item)}-Limit"] = str(item.amount)
                headers[f"{_prefix(item)}-Remaining"] = str(stats.remaining)
                if not allowed and not refused:
                    wait = max(1, math.ceil(stats.reset_time - time.time()))
                    headers["Retry-After"] = str(wait)
                    refused = (
                        f"rate limit exceeded: {item.amount} requests per "
                        f"{item.GRANULARITY.name}; retry in {wait} s"
                    )
        except Exception:  # the shared counter is out of reach: refuse rather than not count
            raise Unavailable("rate limiting is unavailable (cannot reach Redis)") from None
        if refused:
            raise TooManyRequests(refused, headers)
        return headers
