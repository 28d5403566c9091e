"""Unfiltered graphs in zones whose local days (or hours) begin inside UTC ones and not always
at half past a UTC hour (where they do, as Kolkata's at 18:30Z, the hours kept from half past
are read: `rollups.half_past`): Lord Howe's day begins at 13:30Z or 13:00Z, Kathmandu's at
18:15Z. A UTC day's rollup cannot be moved whole to a local day then, and the finer ones that
can are many: 450,000 quarter-hours over thirteen years, which take longer to read into Python
and fold than the rest of the request.

So each UTC day (the `unit`) is split at the local midnight inside it: its rollup less its tail
goes to the local day it begins in, its tail to the next one. The tails are the finer rollups
from that midnight on, summed per day by the database: one row or two per day leave it. A day
in which the offset changes, and now's, are read as their finer rollups themselves.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from intragraph import zones
from intragraph.conditions import GraphQuery
from intragraph.store import rollups
from intragraph.store.base import Ints, Store

_EARLIEST = -(2**62)  # below every granule number


def counts(
    store: Store, query: GraphQuery, now: dt.datetime, unit: int, fine: int, first: int
) -> tuple[Ints, Ints]:
    """Counts of spans that each lie in one local period of the query's zone: (the UTC second
    each begins at, its count), from the rollups of `unit` and of `fine`, a divisor of every
    offset and offset change since `first` (a UTC second before every row)."""
    per, current = unit // fine, int(now.timestamp()) // unit
    starts, offsets = zones.steps(query.zone, first, int(now.timestamp()))
    changed = np.concatenate([[True], offsets[1:] != offsets[:-1]])
    starts, offsets = starts[changed], offsets[changed]
    cuts = -offsets % unit  # where each span's local periods begin inside a UTC unit
    irregular = np.unique(np.append(starts[1:][starts[1:] % unit != 0] // unit, current))

    # the units before now's (now's own is read as finer granules, with the irregular ones)
    units, totals = rollups.counts(store, query, now, unit, [(_EARLIEST, int(current))])
    order = np.argsort(units)
    units, totals = units[order], totals[order]
    regular = ~np.isin(units, irregular)
    units, totals = units[regular], totals[regular]
    cut = cuts[np.searchsorted(starts, units * unit, side="right") - 1]

    tails = np.zeros(units.size, dtype=np.int64)
    thresholds = np.unique(cuts[cuts > 0]) // fine  # in fine granules from a unit's start
    if thresholds.size:
        days, buckets, sums = _tails(store, query, per, fine, current, thresholds)
        kept = np.isin(days, units)
        days, buckets, sums = days[kept], buckets[kept], sums[kept]
        at = np.searchsorted(units, days)
        # a bucket b holds the finer rollups from the b-th threshold on: the tail of a unit
        # whose local period begins at the j-th is the sum of its buckets from j on
        tail = (cut[at] > 0) & (thresholds[buckets - 1] * fine >= cut[at])
        np.add.at(tails, at[tail], sums[tail])

    ranges = [(int(u) * per, (int(u) + 1) * per) for u in irregular.tolist()]
    granules, kept_counts = rollups.counts(store, query, now, fine, ranges)
    split = tails > 0
    return (
        np.concatenate([units * unit, units[split] * unit + cut[split], granules * fine]),
        np.concatenate([totals - tails, tails[split], kept_counts]),
    )


def _tails(
    store: Store, query: GraphQuery, per: int, fine: int, current: int, thresholds: Ints
) -> tuple[Ints, Ints, Ints]:
    """The finer rollups of each unit before now's from the first threshold on, summed per
    (unit, bucket), bucket b for those between the b-th threshold and the next."""
    unit_of = f"CAST(floor(granule / CAST({per} AS FLOAT8)) AS BIGINT)"
    position = f"(granule - {unit_of} * {per})"
    bucket = " + ".join(f"CASE WHEN {position} >= {int(t)} THEN 1 ELSE 0 END" for t in thresholds)
    width, placeholder = thresholds.size + 1, store.placeholder  # one key: unit, bucket
    keys, sums = store.fetch_arrays(
        # named as every two-column answer is (granule, n): how PostgreSQL's store reads it
        f"SELECT {unit_of} * {width} + {bucket} AS granule, sum(n) AS n FROM rollups "
        f"WHERE resource = {placeholder} AND field = {placeholder} AND size = {placeholder} "
        f"AND granule < {placeholder} AND {position} >= {placeholder} GROUP BY 1",
        [query.resource.name, query.field, fine, current * per, int(thresholds[0])],
    )
    return keys // width, keys % width, sums
