"""Graph answers kept in the worker's memory, and never stale.

An answer depends on three things: the data, the query, and now. The data's version (raised by
every data write, from any process: `store/versions.py`) is part of the key, so that a write makes
every earlier answer unreachable. Now moves on: an answer counted at t0 holds until the first
moment a row's date crosses now (the graphed field, or a date a filter compares with now: `end`,
`future`, `active`...), and, for an interval whose keys run to now's period (day, week, month,
quarter, year), until the next local midnight, where every such period starts. Past either
bound, it is counted again. The first moment a date crosses now is asked once per data version
and column, not per query. The answer's ETag comes from the query and the answer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from intragraph import metrics
from intragraph.conditions import (
    Condition,
    Either,
    GraphQuery,
    IsActive,
    IsFuture,
    IsReached,
    MemberOf,
    ParentKey,
)
from intragraph.graphs import graph
from intragraph.periods import CYCLES
from intragraph.store import versions
from intragraph.store.base import Store

_FAR = dt.datetime.max.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class _Kept:
    answer: dict[str, int]
    etag: str
    since: dt.datetime  # the answer holds for since <= now < until
    until: dt.datetime


def _parent(key: ParentKey | None) -> tuple[str, ...]:
    return () if key is None else (*_parent(key.outer), key.parent.key, key.key)


def _key(query: GraphQuery) -> tuple[object, ...]:
    return (
        query.resource.name,
        query.field,
        query.interval,
        query.zone,
        query.week_start,
        query.conditions,
        _parent(query.parent),
    )


def _dated(query: GraphQuery) -> Iterator[tuple[str, str]]:
    """(table, column) of every date the answer compares with now."""
    table = query.resource.table
    yield table, query.field
    pending: list[Condition] = list(query.conditions)
    while pending:
        condition = pending.pop()
        if isinstance(condition, IsReached | IsFuture):
            yield table, condition.column
        elif isinstance(condition, IsActive):
            yield table, condition.begin
            yield table, condition.end
        elif isinstance(condition, MemberOf) and condition.membership.current:
            for column in condition.membership.current:
                yield condition.membership.table, column
        elif isinstance(condition, Either):
            pending += condition.conditions


def _next_midnight(zone: str, now: dt.datetime) -> dt.datetime:
    local = now.astimezone(ZoneInfo(zone))
    following = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), local.tzinfo)
    return following.astimezone(dt.UTC)


def etag(query: GraphQuery, answer: dict[str, int]) -> str:
    text = json.dumps([repr(_key(query)), answer], separators=(",", ":"))
    return '"' + hashlib.blake2b(text.encode(), digest_size=12).hexdigest() + '"'


class AnswerCache:
    """At most `size` answers, the least recently used dropped; `size` 0 keeps none (every
    answer is counted, and still carries its ETag)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.hits = self.misses = 0
        self._kept: OrderedDict[tuple[object, ...], _Kept] = OrderedDict()
        # (version, table, column) -> (since, the first value later than since, or None)
        self._crossing: dict[tuple[int, str, str], tuple[dt.datetime, dt.datetime | None]] = {}
        self._lock = threading.Lock()  # sync routes run on a thread pool

    def answer(
        self, store: Store, query: GraphQuery, now: dt.datetime, version: int | None = None
    ) -> tuple[dict[str, int], str]:
        """The answer as of `now` (aware) and its ETag; `version`, the data's, if the caller
        has just read it."""
        if self.size == 0:
            counted = graph(store, query, now)
            return counted, etag(query, counted)
        version = versions.current(store) if version is None else version
        key = (version, *_key(query))
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None and kept.since <= now < kept.until:
                self._kept.move_to_end(key)
                self.hits += 1
                metrics.CACHE.labels("hit").inc()
                return kept.answer, kept.etag
        self.misses += 1
        metrics.CACHE.labels("miss").inc()
        counted = graph(store, query, now)
        until = min(
            (self._crossing_after(store, version, t, c, now) for t, c in set(_dated(query))),
            default=_FAR,
        )
        if query.interval not in CYCLES:
            until = min(until, _next_midnight(query.zone, now))
        kept = _Kept(counted, etag(query, counted), now, until)
        with self._lock:
            self._kept[key] = kept
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return kept.answer, kept.etag

    def _crossing_after(
        self, store: Store, version: int, table: str, column: str, now: dt.datetime
    ) -> dt.datetime:
        """The first moment after `now` at which a value of the column crosses now."""
        key = (version, table, column)
        with self._lock:
            known = self._crossing.get(key)
        if known is not None:
            since, first = known
            if since <= now and (first is None or now < first):
                return first or _FAR
        first = versions.next_after(store, table, column, now)
        with self._lock:
            if len(self._crossing) > 4 * max(self.size, 64):  # old versions' entries
                self._crossing.clear()
            self._crossing[key] = (now, first)
        return first or _FAR
