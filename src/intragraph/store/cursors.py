"""The SQL of `intragraph sync`'s own state, for every engine (values as bound parameters).

A cursor says where the sync of one resource from one upstream stands; it is written in the
transaction that keeps a page's rows, so rows and cursor are always kept together.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields, replace

from intragraph.conditions import Condition
from intragraph.store.base import Store, Writer, aware
from intragraph.store.tables import SYNC_TABLES
from intragraph.store.where import where


@dataclass(frozen=True)
class Cursor:
    key: str  # "<upstream> <resource>[ <narrowing>]"
    resource: str
    synced_until: dt.datetime | None  # where the last completed window ended
    # a window in progress: rows with low <= updated_at <= high, read in that order
    low: dt.datetime | None = None
    high: dt.datetime | None = None
    seen: str = ""  # ids of the rows at `low` (to the millisecond) kept already, comma-separated
    drain_from: int | None = None  # reading the millisecond at `low` by id, from this id on
    full_run: bool = False  # a --full window: ids kept are noted in sync_seen

    def started(self, low: dt.datetime, high: dt.datetime, full: bool) -> Cursor:
        return replace(self, low=low, high=high, seen="", drain_from=None, full_run=full)

    def completed(self) -> Cursor:
        return Cursor(self.key, self.resource, self.high)

    @property
    def seen_ids(self) -> set[int]:
        return {int(i) for i in self.seen.split(",") if i}


_COLUMNS = tuple(f.name for f in fields(Cursor))
assert SYNC_TABLES["sync_cursors"].columns == _COLUMNS


def load(store: Store, key: str) -> Cursor | None:
    found = store.fetch(
        f"SELECT {', '.join(_COLUMNS)} FROM sync_cursors WHERE key = {store.placeholder}", [key]
    )
    return Cursor(*(aware(value) for value in found[0])) if found else None


def save(writer: Writer, cursor: Cursor) -> None:
    writer.execute(f"DELETE FROM sync_cursors WHERE key = {writer.placeholder}", [cursor.key])
    marks = ", ".join([writer.placeholder] * len(_COLUMNS))
    writer.execute(
        f"INSERT INTO sync_cursors ({', '.join(_COLUMNS)}) VALUES ({marks})",
        [getattr(cursor, name) for name in _COLUMNS],
    )


def note_seen(writer: Writer, key: str, ids: list[int]) -> None:
    """Ids kept by a --full window, to find the local rows it never met."""
    if ids:
        values = ", ".join([f"({writer.placeholder}, {writer.placeholder})"] * len(ids))
        writer.execute(
            f"INSERT INTO sync_seen (key, id) VALUES {values}",
            [value for i in ids for value in (key, i)],
        )


def forget_seen(writer: Writer, key: str) -> None:
    writer.execute(f"DELETE FROM sync_seen WHERE key = {writer.placeholder}", [key])


def unseen_ids(
    store: Store,
    table: str,
    conditions: tuple[Condition, ...],
    key: str,
    now: dt.datetime,
    limit: int,
) -> list[int]:
    """The first `limit` ids, ascending, of the table's rows that meet `conditions` and that the
    --full window `key` never met (not in sync_seen). NOT EXISTS is an anti-join on every
    engine, whatever sync_seen's size."""
    clause, params = where(None, conditions, store.placeholder, now)
    unseen = (
        f"NOT EXISTS (SELECT 1 FROM sync_seen AS s WHERE s.key = {store.placeholder} "
        f"AND s.id = {table}.id)"
    )
    found = store.fetch(
        f"SELECT id FROM {table} WHERE {clause} AND {unseen} ORDER BY id LIMIT {int(limit)}",
        [*params, key],
    )
    return [int(row[0]) for row in found]


def positions(store: Store) -> list[tuple[str, str, dt.datetime | None]]:
    """(key, resource, where the last completed window ended) of every cursor."""
    found = store.fetch("SELECT key, resource, synced_until FROM sync_cursors ORDER BY key", [])
    return [(key, resource, aware(until)) for key, resource, until in found]
