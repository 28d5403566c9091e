"""Instants: every graph field's values from a watermark on, counted per exact instant, for what
the rollups cannot answer: the rows of now's granule up to now, the granule being only partly
past (retriable_at has rows in the future; a synced database has rows in the current hour).
Without them that count is a scan of the whole column in DuckDB, which keeps no index: 36 ms
of Q9's 45 at 10M rows.

The watermark (`data_version.instants_since`) is the start of the UTC day before the last
write that brought the rollups up to date, so it is before now's granule for every later
request (a granule is a day at most), and it only moves forward; the values before it are
dropped then. They are kept current with the rollups, in the same transactions (`rollups`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from intragraph.store.base import Store, Writer, aware

TABLE, DELTA = "instants", "instants_delta"
_SINCE = "SELECT instants_since FROM data_version"


def _yesterday() -> dt.datetime:
    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - dt.timedelta(days=1)


def start(writer: Writer) -> None:
    """Keep the instants from the start of yesterday (UTC) on: for a database without rows,
    or with every resource's instants made anew in the same transaction."""
    writer.execute(f"UPDATE data_version SET instants_since = {writer.placeholder}", [_yesterday()])


def advance(writer: Writer) -> bool:
    """Move the watermark to the start of yesterday if it is older, dropping the instants
    before it; False when no instants are kept (a database upgraded to them, whose first
    refresh of the rollups makes every resource's: `start`)."""
    stored = aware(writer.execute(_SINCE)[0][0])
    if stored is None:
        return False
    since = _yesterday()
    if stored < since:
        writer.execute(f"DELETE FROM {TABLE} WHERE instant < {writer.placeholder}", [since])
        start(writer)
    return True


def refresh(writer: Writer, resource: str, table: str, fields: tuple[str, ...]) -> None:
    """The instants of `resource` made anew from its rows."""
    placeholder = writer.placeholder
    writer.execute(f"DELETE FROM {TABLE} WHERE resource = {placeholder}", [resource])
    for field in fields:
        writer.execute(
            f"INSERT INTO {TABLE} (resource, field, instant, n) SELECT {placeholder}, "
            f"{placeholder}, {field}, count(*) FROM {table} WHERE {field} >= ({_SINCE}) "
            f"GROUP BY {field}",
            [resource, field],
        )


def stage_delta(writer: Writer, values: str) -> None:
    """The instants' share of a merge's change: `values` holds (resource, field, instant, n) rows,
    -1 for a replaced value and +1 for a new one."""
    writer.execute(
        f"CREATE TEMP TABLE {DELTA} AS SELECT resource, field, instant, sum(n) AS n FROM {values} "
        f"WHERE instant >= ({_SINCE}) GROUP BY resource, field, instant"
    )


def count(
    store: Store, resource: str, field: str, start: dt.datetime, now: dt.datetime
) -> int | None:
    """Rows of `resource` whose `field` is in [start, now]; None when the instants do not
    reach back to `start` (a `now` in the past, or none kept yet): then the rows must be
    counted."""
    kept, found = _read(
        store, "sum(n)", resource, field, "instant >= {0} AND instant <= {0}", [start, now]
    )
    return None if kept is None or kept > start else int(found or 0)


def next_after(
    store: Store, resource: str, field: str, now: dt.datetime
) -> tuple[bool, dt.datetime | None]:
    """The earliest value of `field` later than `now`, from the instants: (whether they
    answer, as they do when they reach back to `now`; the value, None if there is none)."""
    kept, found = _read(store, "min(instant)", resource, field, "instant > {0}", [now])
    if kept is None or kept > now:
        return False, None
    return True, aware(found)


def _read(
    store: Store, aggregate: str, resource: str, field: str, where: str, params: list[Any]
) -> tuple[dt.datetime | None, Any]:
    """The watermark, and `aggregate` over the instants of a field that meet `where` (its
    placeholders written {0}), in one read."""
    placeholder = store.placeholder
    since, found = store.fetch(
        f"SELECT ({_SINCE}), (SELECT {aggregate} FROM {TABLE} WHERE resource = {placeholder} "
        f"AND field = {placeholder} AND {where.format(placeholder)})",
        [resource, field, *params],
    )[0]
    return aware(since), found
