"""The engine interface: what every storage engine supplies, and nothing more.

An engine gives connections and transactions, reads (rows, or two integer columns as arrays),
bulk writes of column arrays, and one SQL fragment: the UTC granule of a timestamp column
(`granule_sql`). What the service does with them lives in modules of their own that take an
engine: `schema`, `writes` (upserts, with `rollups`), `counts`, `rows`, `accounts`, `cursors`.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from intragraph.conditions import Value
from intragraph.store import kept
from intragraph.store.migrations import Dialect
from intragraph.store.tables import Table

Ints = npt.NDArray[np.int64]
GranuleSQL = Callable[[str, int], tuple[str, list[Value]]]


def aware(value: Any) -> Any:
    """Timestamps come back naive from DuckDB and aware from PostgreSQL: make them aware
    (UTC); any other value as it is."""
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


class Store(ABC):
    """One database. Methods are safe to call from several threads at once."""

    placeholder = "?"  # the engine's parameter placeholder in SQL text
    dialect: Dialect
    label: str  # how messages name the database: a path, or a URL without its password

    @abstractmethod
    def granule_sql(self, column: str, size: int) -> tuple[str, list[Value]]:
        """The engine's bucketing SQL: floor(epoch seconds of `column` / size), exact for any
        instant, with its parameters."""

    @abstractmethod
    def fetch(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Rows of one read-only query."""

    def fetch_small(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """`fetch_kept` for a read of a row or two that every request makes (the versions):
        an engine with a connection pool keeps connections for these, which no graph count
        holds up."""
        return self.fetch_kept(sql, params)

    def fetch_kept(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """`fetch` for a read that many requests make and only a write changes (a field's
        first day, the sets of campuses of the users in several of some): its answer kept
        while the data stays (`kept.py`)."""
        return self._keep((sql, *params), lambda: self.fetch(sql, params))

    def fetch_kept_arrays(self, sql: str, params: Sequence[Any]) -> tuple[Ints, Ints]:
        """`fetch_arrays` kept as `fetch_kept` keeps rows (a field's rollups): read-only
        arrays, which callers narrow into arrays of their own."""
        return self._keep(
            ("arrays", sql, *params), lambda: kept.frozen(self.fetch_arrays(sql, params))
        )

    def _keep(self, key: tuple[Any, ...], fetch: Callable[[], kept.Answer]) -> kept.Answer:
        """The answer kept for `key`, else `fetch()`'s: an engine that can tell when its data
        changes keeps them."""
        return fetch()

    @abstractmethod
    def fetch_arrays(self, sql: str, params: Sequence[Any]) -> tuple[Ints, Ints]:
        """The two integer columns of a query's answer as arrays."""

    @abstractmethod
    def _transaction(self) -> AbstractContextManager[Writer]:
        """The engine's transaction: a writer whose work is kept only if the block ends
        without an exception."""

    @abstractmethod
    def close(self) -> None: ...

    def snapshot(self) -> AbstractContextManager[Snapshot]:
        """One consistent read-only view of the whole database, for a long read (a columnar
        copy of it, `copy.py`): a server engine's; the embedded one needs no copy."""
        raise NotImplementedError(f"{self.dialect.name} gives no snapshot")

    @contextmanager
    def transaction(self) -> Iterator[Writer]:
        """A writer whose work is kept only if the block ends without an exception. Data
        tables are written through `writes.transaction`, which keeps their rollups current."""
        with self._transaction() as writer:
            writer.granule_sql, writer.placeholder = self.granule_sql, self.placeholder
            yield writer
            if writer.touched:
                raise AssertionError(
                    f"{sorted(writer.touched)} written outside store.writes.transaction: "
                    "their rollups would be stale"
                )


class Snapshot(Protocol):
    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def copy_out(self, select: str, path: Path, params: Sequence[Any] = ()) -> None:
        """The rows of `select` into a CSV file (no header; NULL as an empty field, an empty
        text as ""; timestamps as UTC text with their offset)."""


class Writer(ABC):
    """Writes inside one transaction. `touched` names the data tables changed since the
    rollups were last brought up to date, `changed` others that a columnar copy must take
    again whole (`writes` keeps both; `versions.bump` records them)."""

    touched: set[str]
    changed: set[str]
    granule_sql: GranuleSQL
    placeholder = "?"

    def __init__(self) -> None:
        self.touched, self.changed = set(), set()

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    @abstractmethod
    def stage(self, table: Table, columns: dict[str, npt.NDArray[Any]]) -> None:
        """Add rows (column arrays, `table.columns` in order, plus `seq`) to the table's stage,
        the temporary table `stage_<name>`."""

    @abstractmethod
    def insert(self, table: Table, columns: dict[str, npt.NDArray[Any]]) -> None:
        """Insert rows (column arrays, `table.columns` in order) straight into a table."""

    def bulk(self, table: str) -> None:
        """About to add many rows to `table` (a demo's or an import's): an engine whose indexes
        are cheaper to build afterwards than to keep up row by row may drop them for the rest
        of the transaction (DuckDB keeps none but the ids')."""
        return None

    def analyze(self, tables: set[str]) -> None:
        """After bulk changes to `tables`: refresh the planner's statistics, for an engine
        whose planner needs it (DuckDB keeps its own as it writes)."""
        return None

    def counting(
        self, reads: dict[str, set[str]], made: dict[str, tuple[str, ...]]
    ) -> AbstractContextManager[Writer]:
        """A writer for the statements that count rows into the tables of `made` (INSERT ...
        SELECT: the rollups, the facets; each with the columns that key its counts) reading
        only the columns `reads` names of each table; what they insert is in this writer's
        tables when the block ends. This writer itself, for an engine that counts fast
        enough (PostgreSQL's has DuckDB count: `offload`)."""
        return nullcontext(self)
