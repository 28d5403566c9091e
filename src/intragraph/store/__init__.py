"""Storage engines behind one small interface (`base.Store`); `open_store` picks one by URL."""

from __future__ import annotations

from pathlib import Path

from intragraph.errors import ConfigError
from intragraph.store.base import Store


def duckdb_path(url: str) -> Path:
    """A DuckDB file from a plain path or a duckdb:///path address."""
    if url.startswith("duckdb://"):
        path = url.removeprefix("duckdb://")
        if not path or path == "/":
            raise ConfigError(f"database {url!r}: write duckdb:///path/to/file.duckdb")
        return Path(path)
    if "://" in url:
        scheme = url.split("://", 1)[0]
        if scheme in ("postgres", "postgresql"):
            raise ConfigError(
                f"database {scheme}://...: the PostgreSQL engine is not available yet; "
                "use a DuckDB file path or duckdb:///path"
            )
        raise ConfigError(
            f"database scheme {scheme!r} is not supported; use a DuckDB file path or duckdb:///path"
        )
    return Path(url)


def open_store(url: str, read_only: bool = False) -> Store:
    from intragraph.store.duckdb import DuckDBStore

    return DuckDBStore(duckdb_path(url), read_only=read_only)


__all__ = ["Store", "duckdb_path", "open_store"]
