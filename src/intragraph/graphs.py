"""A graph answer: the store counts per UTC granule, then periods are built in Python.

This is the one code path behind the HTTP route and the CLI.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from intragraph import answer, metrics, zones
from intragraph.conditions import Condition, GraphQuery, ParentKey
from intragraph.errors import NotFound
from intragraph.store import counts, rollups, rows, splits
from intragraph.store.base import Store
from intragraph.store.levels import LEVELS

_HOUR, _DAY = 3600, 86400


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
    scanned = bool(query.conditions or extra)
    with metrics.GRAPH_COUNT.labels(store.dialect.name, "scan" if scanned else "rollups").time():
        return _answer(store, query, now, extra)


def _answer(
    store: Store, query: GraphQuery, now: dt.datetime, extra: tuple[Condition, ...]
) -> dict[str, int]:
    first = rollups.first(store, query)
    unit = _HOUR if query.interval == "hour_of_day" else _DAY
    if first is None:  # the field is never set
        granules, totals, size = np.zeros(0, np.int64), np.zeros(0, np.int64), zones.QUARTER_HOUR
    elif query.conditions or extra:
        # the scan's groups on the coarsest exact granule: several times cheaper than
        # quarter-hours
        size = _exact(query, first, now, unit)
        granules, totals = counts.granules(store, query, now, size, extra)
    else:  # an unfiltered graph reads the coarsest rollups that its periods are made of
        exact = _exact(query, first, now, unit)
        size = max((level for level in LEVELS if exact % level == 0), default=exact)
        if size not in LEVELS:  # rows older than the zone's quarter-hour era (local mean time)
            granules, totals = counts.granules(store, query, now, size)
        elif size < min(unit, _HOUR):
            # local days (or hours) begin inside UTC hours (Kolkata, +5:30): the hours and
            # days split there read fewer rows than every quarter-hour (`store.splits`; in
            # Paris, the hours read directly are fewer still)
            granules, totals = splits.counts(store, query, now, unit, size, first)
            size = 1  # spans given by the second they begin at
        else:
            granules, totals = rollups.counts(store, query, now, size)
    return answer.from_granules(
        granules, totals, size, query.zone, query.interval, query.week_start, now
    )


def _exact(query: GraphQuery, first: int, now: dt.datetime, unit: int) -> int:
    """The coarsest UTC granule, a divisor of `unit` (the day, or the hour for hour_of_day),
    whose every instant falls in one period of the query, over every row the field has (from
    `first`, a UTC second): a day in UTC, an hour in Paris, half an hour in Kolkata, a minute
    in St. John's before 2011."""
    return zones.granule(query.zone, first, int(now.timestamp()), unit)
