"""A graph answer: the store counts per UTC granule, then periods are built in Python.

This is the one code path behind the HTTP route and the CLI.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from intragraph import periods, rollup, zones
from intragraph.errors import NotFound
from intragraph.query import Condition, GraphQuery, ParentKey
from intragraph.store.base import Store


def parent_conditions(store: Store, key: ParentKey | None) -> tuple[Condition, ...]:
    """The condition of a nested route (`/v2/users/jdoe/...`), or 404 for an unknown parent."""
    if key is None:
        return ()
    condition = store.parent_condition(key.parent, key.key)
    if condition is None:
        raise NotFound(f"{key.parent.label} {key.key!r} not found")
    return (condition,)


def graph(store: Store, query: GraphQuery, now: dt.datetime) -> dict[str, int]:
    """The answer to a graph request, keys in order, zero-filled, as of `now` (aware)."""
    extra = parent_conditions(store, query.parent)
    size = zones.QUARTER_HOUR
    if query.conditions or extra:
        granules, counts = store.granule_counts(query, now, size, extra)
    else:  # an unfiltered graph reads the rollups, not every row
        granules, counts = store.rollup_counts(query, now)
    if granules.size:
        # Rows older than the zone's quarter-hour era (local mean time...) need finer granules.
        finer = zones.granule(query.zone, int(granules.min()) * size, int(now.timestamp()), size)
        if finer != size:
            size = finer
            granules, counts = store.granule_counts(query, now, size, extra)
    sparse = rollup.period_counts(
        granules, counts, size, query.zone, query.interval, query.week_start
    )
    return periods.series(sparse, query.interval, ZoneInfo(query.zone), query.week_start, now)
