"""Facets: rows per UTC hour and day of every graph field, per value of the columns a
resource's graphs are most often filtered on (`Resource.facets`: projects_users' project and
status, locations' campus), so that a filtered graph whose periods are made of whole UTC hours
(Paris', Sao Paulo's...) or days (UTC's, the API's default zone) reads counts per value asked
for instead of every row: the rollups' idea, for the filters that can use it.

A resource has at most two facet columns, counted together (slots `a` and `b`: per hour,
project and status), so a graph filtered on either or both reads them. Each value is kept as
text, "=" and the value's SQL text, NULL as "" (so that a text value "" stays apart from no
value). They are kept current with the rollups, in the same transactions (`rollups`), and
written in the order of their values, so that DuckDB's zone maps skip the other values'
row groups.
"""

from __future__ import annotations

import datetime as dt

from intragraph.conditions import AnyOf, Condition, GraphQuery
from intragraph.resources import Resource
from intragraph.store import instants
from intragraph.store.base import Ints, Store, Writer
from intragraph.store.counts import with_now
from intragraph.store.levels import coarser
from intragraph.store.where import granule_ranges, where

TABLE, DELTA = "facets", "facets_delta"
HOUR, DAY = 3600, 86400
SIZES = (HOUR, DAY)  # the granules kept
_COLUMNS = "resource, field, size, granule, a, b, n"
SLOTS = ("a", "b")
# the kinds of column a facet can be: their values' SQL text is the same on every engine
KINDS: dict[str, type] = {"int": int, "text": str, "bool": bool}


def values(resource: Resource) -> list[str]:
    """The SQL of each slot's text for a row of `resource`: its facet column's value, or ""
    for a slot it does not use."""
    found = [f"COALESCE('=' || CAST({column} AS TEXT), '')" for column in resource.facets]
    return found + ["''"] * (len(SLOTS) - len(found))


def _text(value: object) -> str:
    if isinstance(value, bool):  # before int: a bool is one
        return "=true" if value else "=false"
    return f"={value}"


def refresh(writer: Writer, resource: Resource) -> None:
    """The facets of `resource` made anew from its rows (it has facets): per hour from the
    rows, per day from the hours."""
    placeholder, (a, b) = writer.placeholder, values(resource)
    columns = ", ".join(resource.facets)
    writer.execute(f"DELETE FROM {TABLE} WHERE resource = {placeholder}", [resource.name])
    for field in resource.graph_fields:
        bucket, params = writer.granule_sql(field, HOUR)
        # grouped on the columns' own values, their text made once per group (10% faster)
        writer.execute(
            f"INSERT INTO {TABLE} ({_COLUMNS}) SELECT {placeholder}, {placeholder}, {HOUR}, "
            f"granule, {a}, {b}, n FROM (SELECT {bucket} AS granule, {columns}, count(*) AS n "
            f"FROM {resource.table} WHERE {field} IS NOT NULL GROUP BY granule, {columns}) "
            "AS hours ORDER BY 5, 6, 4",
            [resource.name, field, *params],
        )
        only = f" AND resource = {placeholder} AND field = {placeholder}"
        writer.execute(
            f"INSERT INTO {TABLE} ({_COLUMNS}) {_days(TABLE, only)} ORDER BY a, b, 4",
            [resource.name, field],
        )


def _days(source: str, only: str = "") -> str:
    """SELECT of the days from the hours of `source` (the facets' columns) that meet `only`."""
    return coarser(source, DAY, only, HOUR, SLOTS)


def stage_delta(writer: Writer, changed: str) -> None:
    """The facets' share of a merge's change: `changed` holds (resource, field, instant, a, b,
    n) rows, -1 for a replaced value and +1 for a new one (the slots "" for a resource
    without facets, whose rows are left out)."""
    bucket, params = writer.granule_sql("instant", HOUR)
    writer.execute(
        f"CREATE TEMP TABLE {DELTA} AS SELECT resource, field, {HOUR} AS size, {bucket} AS "
        f"granule, a, b, sum(n) AS n FROM {changed} WHERE a <> '' OR b <> '' "
        "GROUP BY resource, field, granule, a, b",
        params,
    )
    writer.execute(f"INSERT INTO {DELTA} ({_COLUMNS}) {_days(DELTA)}")


def selection(
    resource: Resource, conditions: tuple[Condition, ...]
) -> list[tuple[str, list[str]]] | None:
    """The slots and texts that answer `conditions` on rows of `resource`, each an AnyOf on a
    facet column; None when any condition is of another kind or on another column."""
    chosen = list[tuple[str, list[str]]]()
    for condition in conditions:
        if not isinstance(condition, AnyOf) or condition.column not in resource.facets:
            return None
        kind = next(f.kind for f in resource.columns if f.name == condition.column)
        typed = KINDS.get(kind)
        if not condition.values or any(type(value) is not typed for value in condition.values):
            return None  # a value of another type: compared by the engine, on the rows
        slot = SLOTS[resource.facets.index(condition.column)]
        chosen.append((slot, [_text(value) for value in condition.values]))
    return chosen


def counts(
    store: Store,
    query: GraphQuery,
    now: dt.datetime,
    size: int,
    chosen: list[tuple[str, list[str]]],
    ranges: list[tuple[int, int]] | None = None,
) -> tuple[Ints, Ints]:
    """What `counts.granules` answers at `size` (one of `SIZES`) for a query whose conditions
    are `chosen` (`selection`), with `ranges` ([first, last) granule numbers) those of a range
    on its field: every granule before now's from the facets, now's own counted from the rows
    up to now (unless the instants say none of the field's rows lies there)."""
    placeholder, current = store.placeholder, int(now.timestamp()) // size
    texts, params = [], list[object]()
    for slot, listed in chosen:
        texts.append(f" AND {slot} IN ({', '.join([placeholder] * len(listed))})")
        params += listed
    if ranges is not None:
        within, bounds = granule_ranges(ranges, placeholder)
        texts.append(f" AND {within}")
        params += bounds
    granules, totals = store.fetch_arrays(
        f"SELECT granule, sum(n) AS n FROM {TABLE} WHERE resource = {placeholder} "
        f"AND field = {placeholder} AND size = {placeholder} AND granule <= {placeholder}"
        f"{''.join(texts)} GROUP BY granule",
        [query.resource.name, query.field, size, current, *params],
    )
    start, field = dt.datetime.fromtimestamp(current * size, dt.UTC), query.field

    def latest() -> int:
        if instants.count(store, query.resource.name, field, start, now) == 0:
            return 0
        clause, bound = where(field, query.conditions, placeholder, now)
        return int(
            store.fetch(
                f"SELECT count(*) FROM {query.resource.table} WHERE {clause} "
                f"AND {field} >= {placeholder}",
                [*bound, start],
            )[0][0]
        )

    return with_now(granules, totals, current, latest)
