"""The data's version: a number that every data transaction changes at its commit, so that an
answer computed from the data can be known to be current (the result cache, ETags) with one
small read, from every worker and machine that shares the database; and beside it the accounts'
version, raised by every change of an application (a revocation, a new secret), which the token
cache is keyed by."""

from __future__ import annotations

import datetime as dt
import secrets

from intragraph.store.base import Store, Writer

TABLE = "data_version"
TABLES = "table_versions"  # a data table's own version (migration 13)


def current(store: Store) -> int:
    return int(store.fetch_small(f"SELECT n FROM {TABLE}", [])[0][0])


def both(store: Store) -> tuple[int, int]:
    """The data's version and the accounts', in one read."""
    data, accounts = store.fetch_small(f"SELECT n, accounts FROM {TABLE}", [])[0]
    return int(data), int(accounts)


def bump_accounts(writer: Writer) -> None:
    writer.execute(f"UPDATE {TABLE} SET accounts = accounts + 1")


def bump(writer: Writer, tables: set[str] | frozenset[str] = frozenset()) -> None:
    """A new version, and one of each table in `tables`: random numbers rather than the next,
    so that versions never repeat across databases that share a Redis, nor after a database
    is restored from a backup (answers kept in Redis under an old number would fit the new
    data)."""
    placeholder = writer.placeholder
    writer.execute(f"UPDATE {TABLE} SET n = {placeholder}", [secrets.randbits(62)])
    for table in sorted(tables):
        writer.execute(
            f"INSERT INTO {TABLES} (name, n) VALUES ({placeholder}, {placeholder}) "
            "ON CONFLICT (name) DO UPDATE SET n = excluded.n",
            [table, secrets.randbits(62)],
        )


def next_after(store: Store, table: str, column: str, now: dt.datetime) -> dt.datetime | None:
    """The earliest value of `column` later than `now` (aware UTC), None if there is none: the
    first moment at which a row crosses now, and an answer counted at `now` may change."""
    found = store.fetch(
        f"SELECT min({column}) FROM {table} WHERE {column} > {store.placeholder}", [now]
    )[0][0]
    return None if found is None else found.replace(tzinfo=dt.UTC)
