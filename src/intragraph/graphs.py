"""A graph answer: the store counts per UTC granule, then periods are built in Python.

This is the one code path behind the HTTP route and the CLI.
"""

from __future__ import annotations

import datetime as dt
import time

import numpy as np

from intragraph import answer, metrics, zones
from intragraph.conditions import Condition, GraphQuery, InSpans, ParentKey
from intragraph.errors import NotFound
from intragraph.store import counts, facets, rollups, rows, splits
from intragraph.store.base import Ints, Store
from intragraph.store.levels import LEVELS

_HOUR, _DAY = 3600, 86400
_NONE = np.zeros(0, np.int64)
_EPOCH, _MICROSECOND = dt.datetime(1970, 1, 1, tzinfo=dt.UTC), dt.timedelta(microseconds=1)


def parent_conditions(store: Store, key: ParentKey | None) -> tuple[Condition, ...]:
    """The condition of a nested route (`/v2/users/jdoe/...`), or 404 for an unknown parent."""
    if key is None:
        return ()
    condition = rows.parent_condition(store, key.parent, key.key)
    if condition is None:
        raise NotFound(f"{key.parent.label} {key.key!r} not found")
    return (*parent_conditions(store, key.outer), condition)


def graph(store: Store, query: GraphQuery, now: dt.datetime) -> dict[str, int]:
    """The answer to a graph request, keys in order, zero-filled, as of `now` (aware)."""
    extra = parent_conditions(store, query.parent)
    start = time.perf_counter()
    found, path = _answer(store, query, now, extra)
    metrics.GRAPH_COUNT.labels(store.dialect.name, path).observe(time.perf_counter() - start)
    return found


def _answer(
    store: Store, query: GraphQuery, now: dt.datetime, extra: tuple[Condition, ...]
) -> tuple[dict[str, int], str]:
    """The answer, and what counted it (the metric's path): rollups, facets or a scan."""
    first = rollups.first(store, query)
    if first is None:  # the field is never set
        granules, totals, size, path = _NONE, _NONE, zones.QUARTER_HOUR, "rollups"
    else:
        granules, totals, size, path = _count(store, query, now, extra, first)
    found = answer.from_granules(
        granules, totals, size, query.zone, query.interval, query.week_start, now
    )
    return found, path


def _count(
    store: Store, query: GraphQuery, now: dt.datetime, extra: tuple[Condition, ...], first: int
) -> tuple[Ints, Ints, int, str]:
    """Counts per UTC granule, the granule's size (1: spans given by the second they begin
    at), and the path that counted them."""
    unit = _HOUR if query.interval == "hour_of_day" else _DAY
    exact = _exact(query, first, now, unit)
    # the coarsest rollups that the query's periods are made of
    level = max((size for size in LEVELS if exact % size == 0), default=exact)
    conditions, ranges = query.conditions, None
    if level in LEVELS and not extra:  # a range of whole granules of the field: read them
        conditions, ranges = _on_granules(query, level)
    if not conditions and not extra:
        if level not in LEVELS:  # rows older than the zone's quarter-hour era (local mean time)
            return *counts.granules(store, query, now, level), level, "scan"
        if level >= min(unit, _HOUR):
            return *rollups.counts(store, query, now, level, ranges), level, "rollups"
        if ranges is None and zones.half_past(query.zone, first, int(now.timestamp())):
            # every local hour begins at half past a UTC one (Kolkata, +5:30; Adelaide, +9:30
            # and +10:30): the hours kept from there
            return *rollups.half_past(store, query, now), 1, "rollups"
        if ranges is None:
            # local days (or hours) begin inside UTC hours (Lord Howe's at 13:30Z or 13:00Z,
            # Kathmandu's at 18:15Z): the hours and days split there read fewer rows than
            # every quarter-hour (`store.splits`; in Paris, the hours read directly are fewer
            # still)
            return *splits.counts(store, query, now, unit, level, first), 1, "rollups"
    elif exact in facets.SIZES and not extra:
        chosen = facets.selection(query.resource, conditions)
        if chosen is not None:  # filters on the resource's facets, periods of UTC hours or days
            return *facets.counts(store, query, now, exact, chosen, ranges), exact, "facets"
    # the scan's groups on the coarsest exact granule: several times cheaper than quarter-hours
    return *counts.granules(store, query, now, exact, extra), exact, "scan"


def _on_granules(
    query: GraphQuery, size: int
) -> tuple[tuple[Condition, ...], list[tuple[int, int]] | None]:
    """The query's conditions but a range on its graph field whose bounds fall between UTC
    granules of `size` (a range of dates does, in the query's zone), and that range as
    [first, last) granule numbers; the conditions as they are, and None, without one."""
    ranged = [c for c in query.conditions if isinstance(c, InSpans) and c.column == query.field]
    if len(ranged) != 1:
        return query.conditions, None
    ranges, step = [], size * 1_000_000
    for span in ranged[0].spans:
        if (
            not isinstance(span.low, dt.datetime)
            or not isinstance(span.high, dt.datetime)
            or span.low_open
        ):
            return query.conditions, None
        # in microseconds, where the end of Python's calendar has a successor
        low, high = ((moment - _EPOCH) // _MICROSECOND for moment in (span.low, span.high))
        high += 0 if span.high_open else 1
        if low % step or high % step:
            return query.conditions, None
        ranges.append((low // step, high // step))
    return tuple(c for c in query.conditions if c is not ranged[0]), ranges


def _exact(query: GraphQuery, first: int, now: dt.datetime, unit: int) -> int:
    """The coarsest UTC granule, a divisor of `unit` (the day, or the hour for hour_of_day),
    whose every instant falls in one period of the query, over every row the field has (from
    `first`, a UTC second): a day in UTC, an hour in Paris, half an hour in Kolkata, a minute
    in St. John's before 2011."""
    return zones.granule(query.zone, first, int(now.timestamp()), unit)
