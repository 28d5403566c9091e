"""Rollups: rows per UTC quarter-hour of every graph field, and per UTC hour and day, so that a
graph without filters reads counts instead of every row: per day in UTC (a few thousand over
the demo's thirteen years), per hour in most zones, per hour from half past a UTC hour where
every local hour begins there (Kolkata), per quarter-hour in the few others (a few hundred
thousand). `size` is each level's granule in seconds (`levels`: the half-past hours' is a key).

They are kept current inside the writing transaction: a merge adjusts them by the rows it
replaces and adds (`stage_delta`, `apply_delta`) or, when it changes a quarter of the table or
more, they are recomputed (`refresh`), as after bulk appends.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from intragraph.conditions import GraphQuery
from intragraph.resources import RESOURCES, Resource
from intragraph.store import facets, instants
from intragraph.store.base import Ints, Store, Writer
from intragraph.store.counts import with_now
from intragraph.store.levels import COARSER, HALF_PAST_HOURS, LEVELS, made
from intragraph.zones import QUARTER_HOUR

# tables whose changes the rollups follow (and the facets: the memberships they count by)
ROLLED_UP = frozenset(resource.table for resource in RESOURCES.values()) | facets.MEMBERSHIPS
_VALUES = "delta_values"  # a merge's changed values, -1 or +1 each
# counts a merge adjusts: (their table, its delta's, the columns that key a count, in the
# order of PostgreSQL's index on them where they have one: `refresh` writes them so)
Counted = tuple[str, str, tuple[str, ...]]
_ROLLUPS: Counted = ("rollups", "delta", ("resource", "field", "size", "granule"))
_INSTANTS: Counted = (instants.TABLE, instants.DELTA, ("resource", "field", "instant"))
_FACETS: Counted = (
    facets.TABLE,
    facets.DELTA,
    ("series", "size", "a", "b", "granule"),
)


def refresh(writer: Writer, tables: set[str] | frozenset[str] = ROLLED_UP) -> None:
    """Counts per UTC quarter-hour of every graph field of the resources kept in `tables`, for
    the unfiltered graphs (those of other tables are left as they are), their instants, and
    the facets those tables change. The counts are made by `Writer.counting` (on PostgreSQL,
    in DuckDB: `offload`)."""
    placeholder = writer.placeholder
    if not instants.advance(writer):  # none kept yet: every resource's are made now
        instants.start(writer)
        tables = ROLLED_UP
    refreshed = [resource for resource in RESOURCES.values() if resource.table in tables]
    # and the facets of rows whose memberships changed
    grouped = [(r, groups) for r in RESOURCES.values() if (groups := facets.depends(r, tables))]
    for resource in refreshed:
        writer.execute(f"DELETE FROM rollups WHERE resource = {placeholder}", [resource.name])
        instants.refresh(writer, resource.name, resource.table, resource.graph_fields)
    writer.bulk("rollups")  # when every resource is refreshed (a demo), its index comes after
    writer.bulk(facets.TABLE)
    reads: dict[str, set[str]] = {}
    for resource in refreshed:
        reads.setdefault(resource.table, set()).update(resource.graph_fields)
    for resource, groups in grouped:
        facets.clear(writer, resource, groups)
        for table, columns in facets.reads(resource, groups).items():
            reads.setdefault(table, set()).update(columns)
    if not reads:
        return
    with writer.counting(reads, {table: keys for table, _, keys in (_ROLLUPS, _FACETS)}) as counter:
        _count(counter, refreshed)
        for resource, groups in grouped:
            facets.refresh(counter, resource, groups)


def _count(writer: Writer, resources: list[Resource]) -> None:
    """The rollups of `resources` made from their rows: the quarter-hours, then the coarser
    levels of them all at once (one read of the quarter-hours per level; the rollups' index
    may be gone until commit, see `bulk`)."""
    if not resources:
        return
    placeholder, names = writer.placeholder, [resource.name for resource in resources]
    for resource in resources:
        for field in resource.graph_fields:
            bucket, params = writer.granule_sql(field, QUARTER_HOUR)
            writer.execute(
                f"INSERT INTO rollups (resource, field, size, granule, n) SELECT {placeholder}, "
                f"{placeholder}, {QUARTER_HOUR}, {bucket}, count(*) FROM {resource.table} "
                # in order: scans give them back sorted, which the zone lookup likes
                f"WHERE {field} IS NOT NULL GROUP BY 4 ORDER BY 4",
                [resource.name, field, *params],
            )
    listed = ", ".join([placeholder] * len(names))
    for level in COARSER:
        writer.execute(
            "INSERT INTO rollups (resource, field, size, granule, n) "
            f"{made('rollups', level, f' AND resource IN ({listed})')} ORDER BY 1, 2, 4",
            names,
        )


def counts(
    store: Store,
    query: GraphQuery,
    now: dt.datetime,
    size: int = QUARTER_HOUR,
    ranges: list[tuple[int, int]] | None = None,
) -> tuple[Ints, Ints]:
    """What `counts.granules` answers for a query without conditions at `size` (one of
    `LEVELS`), from the rollups: every granule before now's from there, now's own from the
    instants up to now (or, when they do not reach back to its start, from the rows). With
    `ranges` ([first, last) granule numbers), only the granules in them."""
    return _counts(store, query, now, size, size, 0, ranges)


def half_past(store: Store, query: GraphQuery, now: dt.datetime) -> tuple[Ints, Ints]:
    """Counts per hour from half past a UTC hour (`levels.HALF_PAST_HOURS`) for a query without
    conditions: (the UTC second each hour begins at, its count)."""
    _, size, shift = HALF_PAST_HOURS
    granules, totals = _counts(store, query, now, *HALF_PAST_HOURS)
    return granules * size + shift, totals


def _counts(
    store: Store,
    query: GraphQuery,
    now: dt.datetime,
    key: int,
    size: int,
    shift: int,
    ranges: list[tuple[int, int]] | None = None,
) -> tuple[Ints, Ints]:
    """`counts` of the level kept under `key`, whose granule g begins at g * size + shift."""
    placeholder = store.placeholder
    current = (int(now.timestamp()) - shift) // size
    granules, counts = _level(store, query, key)
    if ranges is not None:
        # and none after now's: `with_now` counts now's granule from its rows, without the
        # range, whenever a later granule is there (with now before the range, its rows)
        inside = np.zeros(granules.size, bool)
        for low, high in ranges:
            inside |= (granules >= low) & (granules < high)
        chosen = inside & (granules <= current)
        granules, counts = granules[chosen], counts[chosen]
    start = dt.datetime.fromtimestamp(current * size + shift, dt.UTC)
    field, name = query.field, query.resource.name

    def latest() -> int:
        found = instants.count(store, name, field, start, now)
        if found is None:
            found = store.fetch(
                f"SELECT count(*) FROM {query.resource.table} "
                f"WHERE {field} >= {placeholder} AND {field} <= {placeholder}",
                [start, now],
            )[0][0]
        return int(found)

    return with_now(granules, counts, current, latest)


def _level(store: Store, query: GraphQuery, key: int) -> tuple[Ints, Ints]:
    """The rollups of the query's field at the level kept under `key`, all of them: a kept
    read (a field's hours over thirteen years: 115,557 counts, 1.8 MB) that callers narrow.
    Read each time, they were most of an unfiltered graph's time: at 100M rows on DuckDB 3.8
    ms of Q2's 5.8, 1.0 ms of a range of days' 1.2; ~40 ms of Q2 on PostgreSQL at 10M."""
    placeholder = store.placeholder
    return store.fetch_kept_arrays(
        f"SELECT granule, n FROM rollups WHERE resource = {placeholder} "
        f"AND field = {placeholder} AND size = {placeholder}",
        [query.resource.name, query.field, key],
    )


def first(store: Store, query: GraphQuery) -> int | None:
    """The first second of the earliest UTC day that the query's field has (over every row,
    not only the query's); None when the field is never set. The days are the fewest
    rows to read; a start up to a day early can only make the granule chosen finer, which is
    exact too."""
    granules, _ = _level(store, query, LEVELS[-1])
    return int(granules.min()) * LEVELS[-1] if granules.size else None


def adjustable(writer: Writer, target: str, changes: int) -> bool:
    """Whether a merge changes few enough rows that adjusting the rollups beats
    recomputing them: under a quarter of the rows already there (which the day rollups of the
    resource's default field count), and the instants are kept (their watermark is moved
    on first, as a refresh does)."""
    if not instants.advance(writer):
        return False
    resource = next((r for r in RESOURCES.values() if r.table == target), None)
    if resource is None:  # a membership table, without rollups: a user's few rows each
        return changes * 4 < int(writer.execute(f"SELECT count(*) FROM {target}")[0][0])
    rows = writer.execute(
        f"SELECT sum(n) FROM rollups WHERE resource = {writer.placeholder} "
        f"AND field = {writer.placeholder} AND size = {LEVELS[-1]}",
        [resource.name, resource.default_field],
    )[0][0]
    return changes * 4 < int(rows or 0)


def stage_delta(writer: Writer, target: str, latest: str, outcomes: str) -> list[Counted]:
    """What the merge does to the rollups, the instants and the facets: -1 per replaced row's
    value, +1 per new or replacing row's, per graph field. Kept current this way, a small
    import into a big table costs in proportion to the import, not to the table. `latest`
    holds the merge's incoming rows, `outcomes` what becomes of each id (inserted, updated,
    unchanged). Returns the counts it staged a delta of, for `apply_delta`: none of the
    rollups and instants for a membership table, none of the facets for a table without."""
    parts, params, placeholder = [], list[Any](), writer.placeholder
    changed = f"SELECT id FROM {outcomes} WHERE outcome"
    sources = [(target, -1, f"{changed} = 'updated'"), (latest, 1, f"{changed} <> 'unchanged'")]
    for resource in RESOURCES.values():
        if resource.table != target:
            continue
        for field in resource.graph_fields:
            for source, sign, ids in sources:
                parts.append(
                    f"SELECT {placeholder} AS resource, {placeholder} AS field, "
                    f"{field} AS instant, {sign} AS n FROM {source} "
                    f"WHERE {field} IS NOT NULL AND id IN ({ids})"
                )
                params += [resource.name, field]
    staged = [_FACETS] if facets.stage_delta(writer, target, sources) else []
    if not parts:  # a membership table: only the facets of its users' rows change
        return staged
    writer.execute(f"CREATE TEMP TABLE {_VALUES} AS " + " UNION ALL ".join(parts), params)
    bucket, bucket_params = writer.granule_sql("instant", QUARTER_HOUR)
    writer.execute(
        f"CREATE TEMP TABLE delta AS SELECT resource, field, {QUARTER_HOUR} AS size, {bucket} "
        f"AS granule, sum(n) AS n FROM {_VALUES} GROUP BY resource, field, granule",
        bucket_params,
    )
    for level in COARSER:
        writer.execute(
            f"INSERT INTO delta (resource, field, size, granule, n) {made('delta', level)}"
        )
    instants.stage_delta(writer, _VALUES)
    writer.execute(f"DROP TABLE {_VALUES}")
    return [_ROLLUPS, _INSTANTS, *staged]


def apply_delta(writer: Writer, staged: list[Counted]) -> None:
    """The deltas `stage_delta` staged added to their counts; the counts a delta leaves at
    zero removed."""
    for target, delta, keys in staged:
        # nothing to add (the merge's -1s and +1s cancel, or it had no value there): DuckDB
        # plans the NOT EXISTS below on an empty delta as a scan of every count (5.6 s for
        # the 10M demo's facets)
        changes = writer.execute(f"SELECT EXISTS (SELECT 1 FROM {delta} WHERE n <> 0)")[0][0]
        if not changes:
            writer.execute(f"DROP TABLE {delta}")
            continue
        same = " AND ".join(f"{target}.{key} = d.{key}" for key in keys)
        writer.execute(f"UPDATE {target} SET n = {target}.n + d.n FROM {delta} AS d WHERE {same}")
        listed = ", ".join((*keys, "n"))
        taken = ", ".join(f"d.{column}" for column in (*keys, "n"))
        found = " AND ".join(f"r.{key} = d.{key}" for key in keys)
        writer.execute(
            f"INSERT INTO {target} ({listed}) SELECT {taken} FROM {delta} AS d WHERE d.n <> 0 "
            f"AND NOT EXISTS (SELECT 1 FROM {target} AS r WHERE {found})"
        )
        # only the counts the merge changed: a scan of every count was most of a small merge's
        # time on PostgreSQL
        writer.execute(f"DELETE FROM {target} USING {delta} AS d WHERE {same} AND {target}.n = 0")
        writer.execute(f"DROP TABLE {delta}")


def totals(store: Store) -> dict[str, int]:
    """Rows per resource, as the rollups of its default field count them (rows where it is
    set: every row, for the fields a record must have): no scan of a large table."""
    found = store.fetch(
        f"SELECT resource, field, sum(n) FROM rollups WHERE size = {LEVELS[-1]} GROUP BY 1, 2",
        [],
    )
    counted = {(resource, field): int(n) for resource, field, n in found}
    return {r.name: counted.get((r.name, r.default_field), 0) for r in RESOURCES.values()}
