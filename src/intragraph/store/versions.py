"""The data's version: a number that every data transaction changes at its commit, so that an
answer computed from the data can be known to be current (the result cache, ETags) with one
small read, from every worker and machine that shares the database; and beside it the accounts'
version, raised by every change of an application (a revocation, a new secret), which the token
cache is keyed by.

For a columnar copy of the data (`copy.py`), each data transaction also takes the next serial
number, in the order of commit (it takes it under the version row's lock, held until commit),
and records under it what it changed: the ids of rows it changed (`changes`, written by small
merges) and the tables it rewrote whole (`table_versions`). A copy at serial s then reads what
changed after s, as long as the changes of the last `KEPT` transactions are kept.
"""

from __future__ import annotations

import datetime as dt
import secrets

from intragraph.resources import RESOURCES
from intragraph.store import instants
from intragraph.store.base import Store, Writer

TABLE = "data_version"
WHOLE = "table_versions"  # the serial at which each table was last rewritten whole
CHANGES = "changes"  # (serial, table name, id) of each row changed by a small merge
KEPT = 1000  # the transactions whose changes are kept
# the resource whose instants hold each graphed (table, column)
_GRAPHED = {(r.table, f): r.name for r in RESOURCES.values() for f in r.graph_fields}


def current(store: Store) -> int:
    return int(store.fetch_small(f"SELECT n FROM {TABLE}", [])[0][0])


def both(store: Store) -> tuple[int, int]:
    """The data's version and the accounts', in one read."""
    data, accounts = store.fetch_small(f"SELECT n, accounts FROM {TABLE}", [])[0]
    return int(data), int(accounts)


def bump_accounts(writer: Writer) -> None:
    writer.execute(f"UPDATE {TABLE} SET accounts = accounts + 1")


def bump(writer: Writer, whole: set[str] | frozenset[str] = frozenset()) -> None:
    """A new version: a random one rather than the next, so that versions never repeat across
    databases that share a Redis, nor after a database is restored from a backup (answers kept
    in Redis under an old number would fit the new data). With it the next serial, given to
    the rows this transaction put in `changes` and to the tables of `whole`."""
    placeholder = writer.placeholder
    writer.execute(
        f"UPDATE {TABLE} SET n = {placeholder}, serial = serial + 1", [secrets.randbits(62)]
    )
    serial = int(writer.execute(f"SELECT serial FROM {TABLE}")[0][0])
    # rows of other transactions still running are invisible here: only this one's are null
    writer.execute(f"UPDATE {CHANGES} SET serial = {placeholder} WHERE serial IS NULL", [serial])
    for table in sorted(whole):
        writer.execute(
            f"INSERT INTO {WHOLE} (name, whole) VALUES ({placeholder}, {placeholder}) "
            "ON CONFLICT (name) DO UPDATE SET whole = excluded.whole",
            [table, serial],
        )
    writer.execute(f"DELETE FROM {CHANGES} WHERE serial <= {placeholder}", [serial - KEPT])


def record(writer: Writer, table: str, ids_sql: str) -> None:
    """The ids that the query `ids_sql` selects are rows of `table` this transaction changed
    (replaced, added or removed)."""
    writer.execute(
        f"INSERT INTO {CHANGES} (serial, name, id) SELECT NULL, {writer.placeholder}, id "
        f"FROM ({ids_sql}) AS changed",
        [table],
    )


def next_after(store: Store, table: str, column: str, now: dt.datetime) -> dt.datetime | None:
    """The earliest value of `column` later than `now` (aware UTC), None if there is none: the
    first moment at which a row crosses now, and an answer counted at `now` may change. A graph
    field's comes from its instants (a scan of the column in DuckDB, once per data version,
    otherwise)."""
    resource = _GRAPHED.get((table, column))
    if resource is not None:
        kept, found = instants.next_after(store, resource, column, now)
        if kept:
            return found
    found = store.fetch(
        f"SELECT min({column}) FROM {table} WHERE {column} > {store.placeholder}", [now]
    )[0][0]
    return None if found is None else found.replace(tzinfo=dt.UTC)
