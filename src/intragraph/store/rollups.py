"""Rollups: rows per UTC quarter-hour of every graph field, so that a graph without filters
reads a few hundred thousand counts instead of every row.

They are kept current inside the writing transaction: a merge adjusts them by the rows it
replaces and adds (`stage_delta`, `apply_delta`) or, when it changes a quarter of the table or
more, they are recomputed (`refresh`), as after bulk appends.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from intragraph.conditions import GraphQuery
from intragraph.resources import RESOURCES
from intragraph.store.base import Ints, Store, Writer
from intragraph.zones import QUARTER_HOUR

# tables whose changes the rollups follow
ROLLED_UP = frozenset(resource.table for resource in RESOURCES.values())


def refresh(writer: Writer, tables: set[str] | frozenset[str] = ROLLED_UP) -> None:
    """Counts per UTC quarter-hour of every graph field of the resources kept in `tables`, for
    the unfiltered graphs (those of other tables are left as they are)."""
    placeholder = writer.placeholder
    refreshed = [resource for resource in RESOURCES.values() if resource.table in tables]
    for resource in refreshed:
        writer.execute(f"DELETE FROM rollups WHERE resource = {placeholder}", [resource.name])
    writer.bulk("rollups")  # when every resource is refreshed (a demo), its index comes after
    for resource in refreshed:
        for field in resource.graph_fields:
            bucket, params = writer.granule_sql(field, QUARTER_HOUR)
            writer.execute(
                f"INSERT INTO rollups (resource, field, granule, n) SELECT {placeholder}, "
                f"{placeholder}, {bucket}, count(*) FROM {resource.table} "
                # in order: scans give them back sorted, which the zone lookup likes
                f"WHERE {field} IS NOT NULL GROUP BY 3 ORDER BY 3",
                [resource.name, field, *params],
            )


def counts(store: Store, query: GraphQuery, now: dt.datetime) -> tuple[Ints, Ints]:
    """What `counts.granules` answers for a query without conditions, at 900 s, from the
    rollups: every quarter-hour before now's from there, now's own counted exactly."""
    current, placeholder = int(now.timestamp()) // QUARTER_HOUR, store.placeholder
    granules, counts = store.fetch_arrays(
        f"SELECT granule, n FROM rollups WHERE resource = {placeholder} "
        f"AND field = {placeholder} AND granule <= {placeholder}",
        [query.resource.name, query.field, current],
    )
    if granules.size == 0 or granules.max() < current:
        return granules, counts  # no row in now's quarter-hour: nothing to cut
    past = granules < current
    granules, counts = granules[past], counts[past]
    start = dt.datetime.fromtimestamp(current * QUARTER_HOUR, dt.UTC)
    field = query.field
    latest = store.fetch(
        f"SELECT count(*) FROM {query.resource.table} "
        f"WHERE {field} >= {placeholder} AND {field} <= {placeholder}",
        [start, now],
    )[0][0]
    if latest:
        granules = np.append(granules, np.int64(current))
        counts = np.append(counts, np.int64(latest))
    return granules, counts


def first(store: Store, query: GraphQuery) -> int | None:
    """The earliest UTC quarter-hour of the query's field over every row (not only the
    query's); None when the field is never set."""
    placeholder = store.placeholder
    found = store.fetch(
        f"SELECT min(granule) FROM rollups WHERE resource = {placeholder} "
        f"AND field = {placeholder}",
        [query.resource.name, query.field],
    )[0][0]
    return None if found is None else int(found)


def adjustable(writer: Writer, target: str, changes: int) -> bool:
    """Whether a merge changes few enough rows that adjusting the rollups beats
    recomputing them: under a quarter of the rows already there (which the rollup of the
    resource's default field counts)."""
    resource = next(r for r in RESOURCES.values() if r.table == target)
    rows = writer.execute(
        f"SELECT sum(n) FROM rollups WHERE resource = {writer.placeholder} "
        f"AND field = {writer.placeholder}",
        [resource.name, resource.default_field],
    )[0][0]
    return changes * 4 < int(rows or 0)


def stage_delta(writer: Writer, target: str, latest: str, outcomes: str) -> None:
    """What the merge does to the rollups: -1 per replaced row's quarter-hour, +1 per new
    or replacing row's, per graph field. Kept current this way, a small import into a big
    table costs in proportion to the import, not to the table. `latest` holds the merge's
    incoming rows, `outcomes` what becomes of each id (inserted, updated, unchanged)."""
    parts, params, placeholder = [], list[Any](), writer.placeholder
    for resource in RESOURCES.values():
        if resource.table != target:
            continue
        for field in resource.graph_fields:
            bucket, bucket_params = writer.granule_sql(field, QUARTER_HOUR)
            for source, sign, which in (
                (target, -1, "outcome = 'updated'"),
                (latest, 1, "outcome <> 'unchanged'"),
            ):
                parts.append(
                    f"SELECT {placeholder} AS resource, {placeholder} AS field, "
                    f"{bucket} AS granule, {sign} AS n FROM {source} WHERE {field} IS NOT NULL "
                    f"AND id IN (SELECT id FROM {outcomes} WHERE {which})"
                )
                params += [resource.name, field, *bucket_params]
    writer.execute(
        "CREATE TEMP TABLE delta AS SELECT resource, field, granule, sum(n) AS n FROM ("
        + " UNION ALL ".join(parts)
        + ") AS changes GROUP BY resource, field, granule",
        params,
    )


def apply_delta(writer: Writer) -> None:
    writer.execute(
        "UPDATE rollups SET n = rollups.n + d.n FROM delta AS d WHERE rollups.resource = "
        "d.resource AND rollups.field = d.field AND rollups.granule = d.granule"
    )
    writer.execute(
        "INSERT INTO rollups (resource, field, granule, n) SELECT d.resource, d.field, "
        "d.granule, d.n FROM delta AS d WHERE d.n <> 0 AND NOT EXISTS (SELECT 1 FROM "
        "rollups AS r WHERE r.resource = d.resource AND r.field = d.field "
        "AND r.granule = d.granule)"
    )
    writer.execute("DELETE FROM rollups WHERE n = 0")
    writer.execute("DROP TABLE delta")


def totals(store: Store) -> dict[str, int]:
    """Rows per resource, as the rollups of its default field count them (rows where it is
    set: every row, for the fields a record must have): no scan of a large table."""
    found = store.fetch("SELECT resource, field, sum(n) FROM rollups GROUP BY 1, 2", [])
    counted = {(resource, field): int(n) for resource, field, n in found}
    return {r.name: counted.get((r.name, r.default_field), 0) for r in RESOURCES.values()}
