"""A graph answer: the store counts per UTC granule, then periods are built in Python.

This is the one code path behind the HTTP route and the CLI.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from intragraph import answer, metrics, zones
from intragraph.conditions import Condition, GraphQuery, ParentKey
from intragraph.errors import NotFound
from intragraph.store import counts, rollups, rows
from intragraph.store.base import Ints, Store

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
    if query.conditions or extra:
        granules, totals, size = _filtered(store, query, now, extra)
    else:  # an unfiltered graph reads the rollups, not every row
        size = zones.QUARTER_HOUR
        granules, totals = rollups.counts(store, query, now)
        if granules.size:
            # Rows older than the zone's quarter-hour era (local mean time...) need finer
            # granules.
            finer = zones.granule(query.zone, int(granules.min()) * size, int(now.timestamp()))
            if finer != size:
                size = finer
                granules, totals = counts.granules(store, query, now, size)
    return answer.from_granules(
        granules, totals, size, query.zone, query.interval, query.week_start, now
    )


def _filtered(
    store: Store, query: GraphQuery, now: dt.datetime, extra: tuple[Condition, ...]
) -> tuple[Ints, Ints, int]:
    """Counts of the matching rows per UTC granule, on the coarsest granule that stays exact
    over every row the field has: a day in UTC, an hour in Paris, half an hour in Kolkata.
    Fewer groups make the scan's aggregation several times cheaper than quarter-hours."""
    first = rollups.first(store, query)
    if first is None:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), zones.QUARTER_HOUR
    coarsest = _HOUR if query.interval == "hour_of_day" else _DAY
    size = zones.granule(query.zone, first * zones.QUARTER_HOUR, int(now.timestamp()), coarsest)
    granules, totals = counts.granules(store, query, now, size, extra)
    return granules, totals, size
