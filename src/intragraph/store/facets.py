"""Facets: rows per UTC hour and day of every graph field, per values of the columns a
resource's graphs are most often filtered on (`Resource.facets`: projects_users' project and
status, and its status and campus; locations' campus), so that a filtered graph whose periods
are made of whole UTC hours (Paris', Sao Paulo's...) or days (UTC's, the API's default zone)
reads counts per value asked for instead of every row: the rollups' idea, for the filters that
can use it.

A resource's facets come in groups (`facet`, the group's names joined by commas) of at most
two slots counted together (`a` and `b`: per hour, project and status), so a graph filtered on
either or both of a group's reads them. A slot is a column of the row, its value kept as text,
"=" and the value's SQL text, NULL as "" (so that a text value "" stays apart from no value);
or a membership of the row's user (`filter[campus]`: the campuses of its user, through
campus_users), a row counted once in each of its user's campuses (and in none without one): so
a graph filtered on one campus reads them; one filtered on several reads them too, less what
they count more than once of the rows of the users in several of them: read from a group of
the sets of a membership's values (`campus+`, `is_set`), where such a row is counted once,
under the set of its user's values (`_overlap`). A user's campuses change when the membership
table does: its merges adjust the facets of the rows of the users they change.

A row is keyed by its `series` (a number for its resource, group and graph field), its size
(an hour or a day), granule and values. They are kept current with the rollups, in the same
transactions (`rollups`), and written in the order of their values, so that DuckDB's zone maps
skip the other values' row groups.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass
from typing import Any

from intragraph.conditions import AnyOf, Condition, GraphQuery, MemberOf, Value
from intragraph.resources import RESOURCES, Membership, Resource
from intragraph.store import instants
from intragraph.store.base import Ints, Store, Writer
from intragraph.store.counts import with_now
from intragraph.store.levels import coarser
from intragraph.store.where import granule_ranges, where

TABLE, DELTA = "facets", "facets_delta"
HOUR, DAY = 3600, 86400
SIZES = (HOUR, DAY)  # the granules kept
SLOTS = ("a", "b")
_COLUMNS = f"series, size, granule, {', '.join(SLOTS)}, n"  # as `levels.coarser` gives them
SETS = "+"  # the end of a slot's name that counts the sets of a membership's values (`is_set`)
# the kinds of column a facet can be: their values' SQL text is the same on every engine
KINDS: dict[str, type] = {"int": int, "text": str, "bool": bool}
# a merge's changed rows (`stage_delta`): (table, +1 or -1, SELECT of the ids)
Sources = list[tuple[str, int, str]]


def series(resource: str, facet: str, field: str) -> int:
    """The number of a resource's group of facets (`facet`, its names joined by commas) on
    one graph field, which keys its rows in place of the three texts: the first column of
    PostgreSQL's index, where one integer compares in a step and the texts took three (its
    build over the 1M-record import's 2.9M facets: 6.9 -> 2.3 s), and a COPY of them 3.7 ->
    2.0 s. CRC-32 of the names: the same in every process and release, and distinct for
    every group and field declared (tests/test_engines.py checks)."""
    return zlib.crc32(f"{resource}/{facet}/{field}".encode())


def membership(resource: Resource, name: str) -> Membership | None:
    """The membership a facet slot names (a special filter of the resource, or the sets of
    its values: `campus+`), or None for a column."""
    special = resource.specials.get(name.removesuffix(SETS))
    return special if isinstance(special, Membership) else None


def is_set(name: str) -> bool:
    """A slot of the sets of a membership's values (`campus+`): a row is counted once, under
    the set of its user's values (text "=1,7,9", in order), when its user has two or more;
    not at all otherwise. A graph on several values reads them to take off, for the users in
    more than one of those values, what the values' own facets count more than once."""
    return name.endswith(SETS)


# the membership tables that facets count by: their merges change the facets of other rows
MEMBERSHIPS = frozenset(
    m.table
    for resource in RESOURCES.values()
    for group in resource.facets
    for name in group
    if (m := membership(resource, name)) is not None
)


@dataclass(frozen=True)
class _Slot:
    raw: str  # the value on a row (`r`, joined to its members' values `m0`...)
    text: str  # its text, of the raw value's alias `{}`


def _slots(resource: Resource, group: tuple[str, ...]) -> list[_Slot]:
    found = []
    for place, name in enumerate(group):
        if membership(resource, name) is None:
            found.append(_Slot(f"r.{name}", "COALESCE('=' || CAST({} AS TEXT), '')"))
        else:  # a value, or the text of a set (`_members`)
            found.append(_Slot(f"m{place}.value", "'=' || CAST({} AS TEXT)"))
    return found + [_Slot("''", "{}")] * (len(SLOTS) - len(found))


def _members(m: Membership, rows: str, sets: bool = False) -> str:
    """Each member's values in `rows` (a membership table, or a SELECT of its rows), once
    each; or, with `sets`, the set of them of each member that has two or more, as text in
    the values' order ("1,7,9")."""
    each = (
        f"SELECT DISTINCT {m.link} AS member, {m.column} AS value FROM {rows} AS s "
        f"WHERE {m.column} IS NOT NULL"
    )
    if not sets:
        return each
    return (
        "SELECT member, string_agg(CAST(value AS TEXT), ',' ORDER BY value) AS value "
        f"FROM ({each}) AS e GROUP BY member HAVING count(*) > 1"
    )


def _rows(
    resource: Resource, group: tuple[str, ...], rows: str, taken: dict[str, str] | None = None
) -> str:
    """FROM the resource's `rows` (`r`: its table, or a merge's copy of some), each joined to
    its user's values of every membership of the group (a row once per value), from the
    membership table (or from `taken`'s rows of it: a merge's users' only, as they are or as
    the merge leaves them)."""
    joins = ""
    for place, name in enumerate(group):
        m = membership(resource, name)
        if m is not None:
            members = _members(m, (taken or {}).get(m.table, m.table), is_set(name))
            joins += f" JOIN ({members}) AS m{place} ON m{place}.member = r.{m.own or m.link}"
    return f"{rows} AS r{joins}"


def depends(resource: Resource, tables: set[str] | frozenset[str]) -> list[tuple[str, ...]]:
    """The groups of `resource`'s facets that a change of `tables` changes: every group when
    the resource's own table is in them, else those whose membership table is."""
    if resource.table in tables:
        return list(resource.facets)
    return [
        group
        for group in resource.facets
        if any((m := membership(resource, n)) is not None and m.table in tables for n in group)
    ]


def _series(resource: Resource, groups: list[tuple[str, ...]]) -> list[int]:
    """The series of every field of `groups`."""
    fields = resource.graph_fields
    return [series(resource.name, ",".join(group), field) for group in groups for field in fields]


def _among(writer: Writer, numbers: list[int]) -> str:
    """The condition that a facet's series is one of `numbers` (bound in their order)."""
    return f"series IN ({', '.join([writer.placeholder] * len(numbers))})"


def clear(writer: Writer, resource: Resource, groups: list[tuple[str, ...]]) -> None:
    """The facets of `groups` of `resource` removed, for `refresh` to make anew: one DELETE
    for them all (during an import they have no index: each is a scan of all of them)."""
    numbers = _series(resource, groups)
    writer.execute(f"DELETE FROM {TABLE} WHERE {_among(writer, numbers)}", numbers)


def reads(resource: Resource, groups: list[tuple[str, ...]]) -> dict[str, set[str]]:
    """The columns of each table that `refresh` reads for `groups` of `resource`."""
    found = {resource.table: set(resource.graph_fields)}
    for group in groups:
        for name in group:
            m = membership(resource, name)
            if m is None:
                found[resource.table].add(name)
            else:
                found[resource.table].add(m.own or m.link)
                found.setdefault(m.table, set()).update((m.link, m.column))
    return found


def refresh(writer: Writer, resource: Resource, groups: list[tuple[str, ...]]) -> None:
    """The facets of `groups` of `resource` made from its rows (after `clear`): per hour from
    the rows, per day from the hours, of every group in one read of them."""
    placeholder, numbers = writer.placeholder, _series(resource, groups)
    each = iter(numbers)  # every group's fields in turn, as `_series` gives them
    for group in groups:
        slots = _slots(resource, group)
        raws = ", ".join(f"{slot.raw} AS v{place}" for place, slot in enumerate(slots))
        texts = ", ".join(slot.text.format(f"v{place}") for place, slot in enumerate(slots))
        grouped = ", ".join(f"v{place}" for place in range(len(slots)))
        # the order of their texts (no value, "", first); sorted before the texts are made,
        # the rows to sort are narrower (1M rows, a field: PostgreSQL 2.2 -> 1.9 s)
        ordered = ", ".join(f"CAST({slot.raw} AS TEXT) NULLS FIRST" for slot in slots)
        for field in resource.graph_fields:
            bucket, params = writer.granule_sql(f"r.{field}", HOUR)
            # grouped on the values themselves, their text made once per group (10% faster)
            writer.execute(
                f"INSERT INTO {TABLE} ({_COLUMNS}) SELECT {placeholder}, {HOUR}, granule, "
                f"{texts}, n FROM (SELECT {bucket} AS granule, {raws}, count(*) AS n "
                f"FROM {_rows(resource, group, resource.table)} WHERE r.{field} IS NOT NULL "
                f"GROUP BY granule, {grouped} ORDER BY {ordered}, granule) AS hours",
                [next(each), *params],
            )
    # their days, every group's and field's in one read of the hours
    days = _days(TABLE, f" AND {_among(writer, numbers)}")
    writer.execute(
        f"INSERT INTO {TABLE} ({_COLUMNS}) {days} ORDER BY series, a, b, granule", numbers
    )


def _days(source: str, only: str = "") -> str:
    """SELECT of the days from the hours of `source` (the facets' columns) that meet `only`."""
    return coarser(source, DAY, only, HOUR, SLOTS, lead=("series",))


def stage_delta(writer: Writer, target: str, sources: Sources) -> bool:
    """The facets' share of a merge into `target`: -1 for each value a replaced row had, +1
    for each a new row has, of the rows of `sources`; and, where `target` is a membership
    table of a group, -1 for each row of the users it changes as their values are, +1 as they
    become. False, and nothing staged, when the target's changes change no facet."""
    parts, params, placeholder = [], list[Value](), writer.placeholder
    for resource in RESOURCES.values():
        for group in depends(resource, {target}):
            slots, name = _slots(resource, group), ",".join(group)
            texts = ", ".join(
                f"{slot.text.format(slot.raw)} AS {column}"
                for slot, column in zip(slots, SLOTS, strict=True)
            )
            for source, sign, ids, taken in _changes(resource, group, target, sources):
                for field in resource.graph_fields:
                    parts.append(
                        f"SELECT {placeholder} AS series, r.{field} AS instant, {texts}, "
                        f"{sign} AS n FROM {_rows(resource, group, source, taken)} "
                        f"WHERE r.{field} IS NOT NULL AND {ids}"
                    )
                    params.append(series(resource.name, name, field))
    if not parts:
        return False
    bucket, bucket_params = writer.granule_sql("instant", HOUR)
    writer.execute(
        f"CREATE TEMP TABLE {DELTA} AS SELECT series, {HOUR} AS size, {bucket} AS granule, "
        f"a, b, sum(n) AS n FROM ({' UNION ALL '.join(parts)}) AS v "
        "GROUP BY series, granule, a, b",
        [*bucket_params, *params],  # in the order of the text
    )
    writer.execute(f"INSERT INTO {DELTA} ({_COLUMNS}) {_days(DELTA)}")
    return True


def _changes(
    resource: Resource, group: tuple[str, ...], target: str, sources: Sources
) -> list[tuple[str, int, str, dict[str, str]]]:
    """(rows, sign, their condition, the membership rows to take values from) whose facets a
    merge into `target` changes in `group`: the merge's own rows, when they are the
    resource's (their users' values as they are); else the resource's rows of every member the
    merge changes, their values before (the membership table as it is) and after (without the
    rows the merge replaces, with its new ones). Only those users' values are read."""
    if resource.table == target:
        found = []
        for source, sign, ids in sources:
            taken = {}
            for name in group:
                if (m := membership(resource, name)) is not None:
                    users = f"SELECT {m.own or m.link} FROM {source} WHERE id IN ({ids})"
                    taken[m.table] = f"(SELECT * FROM {m.table} WHERE {m.link} IN ({users}))"
            found.append((source, sign, f"r.id IN ({ids})", taken))
        return found
    m = next(m for n in group if (m := membership(resource, n)) and m.table == target)
    members = " UNION ".join(
        f"SELECT {m.link} FROM {source} WHERE id IN ({ids})" for source, _, ids in sources
    )
    before = f"(SELECT {m.link}, {m.column} FROM {target} WHERE {m.link} IN ({members}))"
    after = " UNION ALL ".join(
        f"SELECT {m.link}, {m.column} FROM {source} WHERE {m.link} IN ({members}) AND id "
        f"{'NOT IN' if sign < 0 else 'IN'} ({ids})"
        for source, sign, ids in sources
    )
    users = f"r.{m.own or m.link} IN ({members})"
    return [
        (resource.table, -1, users, {target: before}),
        (resource.table, 1, users, {target: f"({after})"}),
    ]


@dataclass(frozen=True)
class Chosen:
    """What `selection` found: the group whose counts answer, per slot the texts asked for
    (`=5`), and the condition on a membership given several values, if any (its facets count
    a row once per value its user has), with the group of the sets of its values that say
    how many times (`is_set`) and their slot there."""

    facet: str
    slots: list[tuple[str, list[str]]]
    several: MemberOf | None = None
    sets: tuple[str, str] | None = None


def selection(resource: Resource, conditions: tuple[Condition, ...]) -> Chosen | None:
    """The first group of the resource's facets whose slots answer `conditions` on its rows,
    each an AnyOf on a facet column or a MemberOf a facet membership; None when none does."""
    for group in resource.facets:
        if any(is_set(name) for name in group):  # read beside another group, by `counts`
            continue
        chosen = _chosen(resource, group, conditions)
        if chosen is None:
            continue
        slots, several = chosen
        if several is None:
            return Chosen(",".join(group), slots)
        # the same group with the sets of that membership's values in its slot
        place = next(
            i for i, n in enumerate(group) if membership(resource, n) == several.membership
        )
        sets = tuple(n + SETS if i == place else n for i, n in enumerate(group))
        if sets in resource.facets:
            return Chosen(",".join(group), slots, several, (",".join(sets), SLOTS[place]))
    return None


def _chosen(
    resource: Resource, group: tuple[str, ...], conditions: tuple[Condition, ...]
) -> tuple[list[tuple[str, list[str]]], MemberOf | None] | None:
    chosen, members = [], {n for n in group if membership(resource, n) is not None}
    several: MemberOf | None = None
    for condition in conditions:
        if isinstance(condition, MemberOf):
            names = [n for n in members if membership(resource, n) == condition.membership]
            if not names:
                return None
            if len(set(condition.values)) > 1:
                if several is not None:  # two such: rows counted per pair of values
                    return None
                several = condition
            members.discard(names[0])
            texts = [_text(value) for value in dict.fromkeys(condition.values)]
            chosen.append((SLOTS[group.index(names[0])], texts))
            continue
        if not isinstance(condition, AnyOf) or condition.column not in group:
            return None
        kind = next(f.kind for f in resource.columns if f.name == condition.column)
        typed = KINDS.get(kind)
        if not condition.values or any(type(value) is not typed for value in condition.values):
            return None  # a value of another type: compared by the engine, on the rows
        texts = [_text(value) for value in condition.values]
        chosen.append((SLOTS[group.index(condition.column)], texts))
    # a membership left open: its rows are counted once per value, or not at all without one
    return None if members else (chosen, several)


def _text(value: Value) -> str:
    if isinstance(value, bool):  # before int: a bool is one
        return "=true" if value else "=false"
    return f"={value}"


def counts(
    store: Store,
    query: GraphQuery,
    now: dt.datetime,
    size: int,
    chosen: Chosen,
    ranges: list[tuple[int, int]] | None = None,
) -> tuple[Ints, Ints]:
    """What `counts.granules` answers at `size` (one of `SIZES`) for a query whose conditions
    are `chosen` (`selection`), with `ranges` ([first, last) granule numbers) those of a range
    on its field: every granule before now's from the facets, now's own counted from the rows
    up to now (unless the instants say none of the field's rows lies there)."""
    placeholder, current = store.placeholder, int(now.timestamp()) // size
    narrowed, params = _narrowed(chosen.slots, ranges, placeholder)
    kept = (
        f"FROM {TABLE} WHERE series = {placeholder} AND size = {placeholder} "
        f"AND granule <= {placeholder}{narrowed}"
    )
    number = series(query.resource.name, chosen.facet, query.field)
    asked: list[Any] = [number, size, current, *params]
    start, field = dt.datetime.fromtimestamp(current * size, dt.UTC), query.field
    overlap = None
    if chosen.sets is not None:  # several values of a membership
        overlap = _overlap(store, query, size, chosen, current, ranges)
    if overlap is None:
        sql = f"SELECT granule, sum(n) AS n {kept} GROUP BY granule"
    else:
        union = f"SELECT granule, n {kept} UNION ALL {overlap[0]}"
        sql = f"SELECT granule, sum(n) AS n FROM ({union}) AS c GROUP BY granule"
        asked += overlap[1]
    granules, totals = store.fetch_arrays(sql, asked)

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


def _narrowed(
    slots: list[tuple[str, list[str]]],
    ranges: list[tuple[int, int]] | None,
    placeholder: str,
    table: str = "",
) -> tuple[str, list[Value]]:
    """The conditions on facets (of `table.`) that hold the slots' values asked for and lie
    in `ranges` of granules, with their parameters."""
    texts, params = [], list[Value]()
    for slot, listed in slots:
        texts.append(f" AND {table}{slot} IN ({', '.join([placeholder] * len(listed))})")
        params += listed
    if ranges is not None:
        within, bounds = granule_ranges(ranges, placeholder)
        texts.append(f" AND {within}")
        params += bounds
    return "".join(texts), params


def _overlap(
    store: Store,
    query: GraphQuery,
    size: int,
    chosen: Chosen,
    current: int,
    ranges: list[tuple[int, int]] | None,
) -> tuple[str, list[Any]] | None:
    """SELECT of what the facets of `chosen.several`'s values count too many, per granule up
    to `current`: minus k - 1 for each row of a user who has k > 1 of the values, read from
    the facets of the sets of the values (`is_set`) of those users; None when no user has.
    The sets are read first from the membership table (a read of it: 16 ms on DuckDB, 70 ms
    on PostgreSQL at 10M rows; kept until the data changes, `fetch_kept`), and given to the
    count with their k - 1 as a list."""
    assert chosen.several is not None and chosen.sets is not None
    several, (facet, place), placeholder = chosen.several, chosen.sets, store.placeholder
    m = several.membership
    listed = ", ".join([placeholder] * len(several.values))
    asked = f"(SELECT * FROM {m.table} WHERE {m.column} IN ({listed}))"
    users = f"SELECT member FROM ({_members(m, asked)}) AS v GROUP BY member HAVING count(*) > 1"
    theirs = f"(SELECT * FROM {m.table} WHERE {m.link} IN ({users}))"
    found = store.fetch_kept(
        f"SELECT DISTINCT value FROM ({_members(m, theirs, sets=True)}) AS s",
        list(several.values),
    )
    if not found:
        return None
    # k - 1 for each set: those users have two or more of the values (k > 1) by the read
    wanted = {_text(value) for value in several.values}
    weights = {
        f"={text}": len(wanted.intersection(f"={value}" for value in str(text).split(","))) - 1
        for (text,) in found
    }
    # the other slots' values, as in the values' own facets
    others = [(slot, values) for slot, values in chosen.slots if slot != place]
    narrowed, params = _narrowed(others, ranges, placeholder, "f.")
    each = (  # typed: PostgreSQL takes a list of texts for one of unknown type
        f"SELECT unnest(CAST({placeholder} AS TEXT[])) AS value, "
        f"unnest(CAST({placeholder} AS BIGINT[])) AS k"
    )
    return (
        f"SELECT f.granule, -(w.k * f.n) AS n FROM {TABLE} AS f JOIN ({each}) AS w "
        f"ON w.value = f.{place} WHERE f.series = {placeholder} AND f.size = {placeholder} "
        f"AND f.granule <= {placeholder}{narrowed}",
        [
            list(weights),
            list(weights.values()),
            series(query.resource.name, facet, query.field),
            size,
            current,
            *params,
        ],
    )
