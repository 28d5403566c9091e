"""Graph counts: matching rows per UTC granule, one GROUP BY on the engine's granule SQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np

from intragraph.conditions import Condition, GraphQuery
from intragraph.store.base import Ints, Store
from intragraph.store.where import where


def granules(
    store: Store, query: GraphQuery, now: dt.datetime, size: int, extra: tuple[Condition, ...] = ()
) -> tuple[Ints, Ints]:
    """Counted rows per UTC granule of `size` seconds: granule numbers and counts."""
    bucket, bucket_params = store.granule_sql(query.field, size)
    clause, params = where(query.field, query.conditions + extra, store.placeholder, now)
    sql = (
        f"SELECT {bucket} AS granule, count(*) AS n FROM {query.resource.table} "
        f"WHERE {clause} GROUP BY granule"
    )
    return store.fetch_arrays(sql, [*bucket_params, *params])


def with_now(
    granules: Ints, totals: Ints, current: int, latest: Callable[[], int]
) -> tuple[Ints, Ints]:
    """Counts kept per granule (rollups, facets) up to now's granule `current`, which they hold
    whole: its count replaced by `latest()`, its rows up to now, when they have any there."""
    if granules.size == 0 or granules.max() < current:
        return granules, totals  # no row in now's granule: nothing to cut
    past = granules < current
    granules, totals = granules[past], totals[past]
    found = latest()
    if found:
        granules = np.append(granules, np.int64(current))
        totals = np.append(totals, np.int64(found))
    return granules, totals
