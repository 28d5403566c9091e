"""Graph counts: matching rows per UTC granule, one GROUP BY on the engine's granule SQL."""

from __future__ import annotations

import datetime as dt

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
