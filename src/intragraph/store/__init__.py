"""Storage engines behind one small interface (`base.Store`); `open_store` picks one by URL.

The only package that writes SQL. Its modules, each taking an engine: `schema` (versions and
migrations), `writes` (appends, upserts, deletions; `rollups` kept current with them), `counts`
(graph counts per granule), `rows` (list pages, parents), `accounts`, `cursors` (the sync's
position), with `where` (the WHERE builder) and `tables` (the tables as data) below them.
"""

from __future__ import annotations

import functools
from pathlib import Path

from intragraph.config import Settings
from intragraph.errors import ConfigError
from intragraph.store import schema
from intragraph.store.awaited import AwaitedStore, Unreachable
from intragraph.store.base import Store

POSTGRES_SCHEMES = ("postgres", "postgresql")


def duckdb_path(url: str) -> Path:
    """A DuckDB file from a plain path or a duckdb:///path address."""
    if url.startswith("duckdb://"):
        path = url.removeprefix("duckdb://")
        if not path or path == "/":
            raise ConfigError(f"database {url!r}: write duckdb:///path/to/file.duckdb")
        return Path(path)
    if "://" in url:
        scheme = url.split("://", 1)[0]
        raise ConfigError(
            f"database scheme {scheme!r} is not supported; use a DuckDB file path, "
            "duckdb:///path or postgresql://user@host/database"
        )
    return Path(url)


def is_postgres(url: str) -> bool:
    return url.split("://", 1)[0] in POSTGRES_SCHEMES and "://" in url


def open_store(
    url: str,
    settings: Settings | None = None,
    check_schema: bool = True,
    wait: bool = False,
) -> Store:
    """The store at `url`; with `check_schema`, an empty database gets the schema and an
    outdated one is refused with how to upgrade it. With `wait`, a PostgreSQL server that does
    not answer yet is waited for (`awaited.py`) rather than refused."""
    if wait and is_postgres(url):
        from intragraph.store.postgres import PostgresStore, masked

        try:
            return open_store(url, settings, check_schema)
        except Unreachable:
            opener = functools.partial(open_store, url, settings, check_schema)
            return AwaitedStore(opener, PostgresStore, masked(url))
    settings = settings or Settings()
    store: Store
    if is_postgres(url):
        from intragraph.store.postgres import PostgresStore

        store = PostgresStore(
            url,
            settings.pool_size,
            settings.statement_timeout,
            settings.pool_timeout,
            settings.duckdb_memory,
        )
    else:
        from intragraph.store.duckdb import DuckDBStore

        store = DuckDBStore(duckdb_path(url), settings.duckdb_memory)
    if check_schema:
        try:
            schema.ensure(store)
        except BaseException:
            store.close()
            raise
    return store


__all__ = ["Store", "duckdb_path", "is_postgres", "open_store"]
