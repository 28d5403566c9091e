"""DuckDB, the embedded default: one file, no server.

Timestamps are stored as TIMESTAMP holding UTC, so no query depends on the session's time zone.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt

from intragraph.conditions import Value
from intragraph.errors import ConfigError
from intragraph.resources import Kind
from intragraph.store import kept
from intragraph.store.base import Ints, Store, Writer
from intragraph.store.migrations import Dialect
from intragraph.store.tables import Table

DIALECT = Dialect(
    "duckdb",
    {
        "int": "BIGINT",
        "float": "DOUBLE",
        "bool": "BOOLEAN",
        "text": "VARCHAR",
        "timestamp": "TIMESTAMP",
    },
    indexes=False,
    stepwise_loads=True,
)
# Microseconds from 0001-01-01 to 1970-01-01: shifting by it makes every instant positive, so
# DuckDB's integer division (which truncates) floors, for any instant since year 1.
_SHIFT_SECONDS = 62_135_596_800


def read_csv(kinds: dict[str, Kind]) -> str:
    """`read_csv` of a CSV file PostgreSQL's COPY wrote (its path the one parameter), with
    columns of these kinds (names from `tables.py` or the catalogue, never from a request): NULL
    unquoted, "" quoted; TIMESTAMPTZ reads a timestamp's offset, and a UTC TIMESTAMP column
    takes it in UTC."""
    types = {c: "TIMESTAMPTZ" if k == "timestamp" else DIALECT.types[k] for c, k in kinds.items()}
    columns = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in types.items()) + "}"
    return (
        "read_csv(?, header = false, auto_detect = false, allow_quoted_nulls = false, "
        f"columns = {columns})"
    )


def _adapt(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


# a file's kept reads (`kept`), shared by every store of it in this process, as DuckDB shares
# the database between connections to one path; forgotten at each commit of this process: no
# other process writes a file that this one holds open (DuckDB's lock)
_KEPT_READS: dict[str, kept.KeptReads] = {}


class DuckDBStore(Store):
    dialect = DIALECT

    def __init__(self, path: Path, memory: int = 0, spill: Path | None = None) -> None:
        """`memory`: MiB for DuckDB's cache and work (0: its own default, 80% of the RAM),
        which otherwise keeps every page a long load or a large scan read. `spill`: the
        folder for what does not fit (by default beside the file; for a database in memory,
        `.tmp` in the working directory)."""
        self.path = path
        self.label = str(path)
        try:
            self._db = duckdb.connect(str(path))
        except duckdb.IOException as error:
            hint = (  # another process holds it; otherwise the error says it (no folder, ...)
                ". DuckDB lets one process write a file at a time: stop the other intragraph "
                "process (a running `serve`?) first"
                if "Could not set lock" in str(error)
                else ""
            )
            raise ConfigError(f"database {path} cannot be opened: {error}{hint}") from None
        self._db.execute("SET TimeZone = 'UTC'")
        if memory:
            self._db.execute(f"SET memory_limit = '{int(memory)}MiB'")
        if spill is not None:
            self._db.execute("SET temp_directory = ?", [str(spill)])
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._kept = (  # a database of its own in memory
            kept.KeptReads()
            if str(path) == ":memory:"
            else _KEPT_READS.setdefault(str(path.resolve()), kept.KeptReads())
        )

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        # DuckDB connections are not shared between threads; a cursor per thread is.
        cursor: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._db.cursor()
            self._local.cursor = cursor
        return cursor

    def granule_sql(self, column: str, size: int) -> tuple[str, list[Value]]:
        if size == 86400:
            # whole days (a filtered graph in UTC and its like): DuckDB's date cast floors
            # too, and is a few ms faster over millions of rows than the division
            return f"CAST(CAST({column} AS DATE) - DATE '1970-01-01' AS BIGINT)", []
        return (
            f"(epoch_us({column}) + {_SHIFT_SECONDS * 1_000_000}) // ? - ?",
            [size * 1_000_000, _SHIFT_SECONDS // size],
        )

    def fetch(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        return self._cursor().execute(sql, [_adapt(p) for p in params]).fetchall()

    def _keep(self, key: tuple[Any, ...], fetch: Callable[[], kept.Answer]) -> kept.Answer:
        return self._kept.read(key, fetch)

    def fetch_arrays(self, sql: str, params: Sequence[Any]) -> tuple[Ints, Ints]:
        arrays = self._cursor().execute(sql, [_adapt(p) for p in params]).fetchnumpy()
        first, second = (np.asarray(array, dtype=np.int64) for array in arrays.values())
        return first, second

    @contextmanager
    def _transaction(self) -> Iterator[Writer]:
        with self._write_lock:
            cursor = self._db.cursor()
            cursor.execute("BEGIN TRANSACTION")
            try:
                yield _DuckDBWriter(cursor)
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            else:
                cursor.execute("COMMIT")
            finally:
                cursor.close()
                self._kept.forget()

    def close(self) -> None:
        self._kept.forget()  # closed here, the file is another process's to write
        self._db.close()


class _DuckDBWriter(Writer):
    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        super().__init__()
        self._cursor = cursor

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._cursor.execute(sql, [_adapt(p) for p in params]).fetchall()

    def stage(self, table: Table, columns: dict[str, npt.NDArray[Any]]) -> None:
        types = ", ".join(f"{n} {DIALECT.types[k]}" for n, k in table.types.items())
        self.execute(f"CREATE TEMP TABLE IF NOT EXISTS stage_{table.name} ({types}, seq BIGINT)")
        self._insert(f"stage_{table.name}", (*table.columns, "seq"), columns)

    def insert(self, table: Table, columns: dict[str, npt.NDArray[Any]]) -> None:
        self._insert(table.name, table.columns, columns)

    def _insert(self, target: str, names: tuple[str, ...], columns: dict[str, Any]) -> None:
        # DuckDB scans a dict of NumPy arrays in place: far faster than executemany.
        self._cursor.register("batch", columns)
        try:
            listed = ", ".join(names)  # named: an upgraded table may hold them in another order
            self._cursor.execute(f"INSERT INTO {target} ({listed}) SELECT {listed} FROM batch")
        finally:
            with suppress(duckdb.Error):  # after a failed statement, the rollback drops it too
                self._cursor.unregister("batch")
