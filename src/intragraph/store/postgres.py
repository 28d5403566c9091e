"""PostgreSQL, the production engine: many API workers on one or more machines.

Connections come from a psycopg pool that checks each one before lending it, so that a database
restart costs only the requests made while it was down. Graph queries run under a statement
timeout; an outage or a timeout answers 503, never a hung worker.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import psycopg
import psycopg_pool

from intragraph.errors import Unavailable
from intragraph.query import Value
from intragraph.store.base import Ints, Store, Writer
from intragraph.store.migrations import Dialect
from intragraph.store.tables import Table

DIALECT = Dialect(
    "postgresql",
    {
        "int": "BIGINT",
        "float": "DOUBLE PRECISION",
        "bool": "BOOLEAN",
        "text": "TEXT",
        "timestamp": "TIMESTAMPTZ",
    },
    indexes=True,
)


def masked(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", url)


def _naive(row: tuple[Any, ...]) -> tuple[Any, ...]:
    # both engines hand back naive UTC datetimes, as DuckDB's TIMESTAMP does
    return tuple(
        value.astimezone(dt.UTC).replace(tzinfo=None)
        if isinstance(value, dt.datetime) and value.tzinfo is not None
        else value
        for value in row
    )


def _configure(connection: psycopg.Connection[Any]) -> None:
    connection.autocommit = True
    connection.execute("SET TIME ZONE 'UTC'")


@contextmanager
def _unavailable(label: str, timeout_ms: int) -> Iterator[None]:
    try:
        yield
    except psycopg.errors.QueryCanceled:
        raise Unavailable(
            f"the graph query took longer than {timeout_ms} ms and was stopped "
            "(INTRAGRAPH_STATEMENT_TIMEOUT); narrow it with filters or ranges"
        ) from None
    except (psycopg.OperationalError, psycopg_pool.PoolTimeout):
        raise Unavailable(f"the database {label} is unavailable; try again shortly") from None


class PostgresStore(Store):
    mark = "%s"
    dialect = DIALECT

    def __init__(
        self,
        url: str,
        pool_size: int = 10,
        statement_timeout_ms: int = 30_000,
        pool_timeout: float = 5.0,
    ) -> None:
        self.label = masked(url)
        self.statement_timeout_ms = statement_timeout_ms
        self._pool = psycopg_pool.ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            timeout=pool_timeout,
            kwargs={"connect_timeout": max(1, int(pool_timeout)), "application_name": "intragraph"},
            configure=_configure,
            check=psycopg_pool.ConnectionPool.check_connection,
            open=False,
        )
        try:
            self._pool.open(wait=True, timeout=pool_timeout)
        except psycopg_pool.PoolTimeout:
            self._pool.close()
            from intragraph.errors import ConfigError

            raise ConfigError(
                f"database {self.label} does not answer within {pool_timeout:g} s: is "
                "PostgreSQL running there, and may this user connect?"
            ) from None

    def granule_sql(self, column: str, size: int) -> tuple[str, list[Value]]:
        # date_bin floors to whole strides from the origin, before it too; origin = the epoch
        return (
            f"(extract(epoch FROM date_bin(make_interval(secs => {self.mark}), {column}, "
            f"TIMESTAMPTZ '1970-01-01 00:00:00+00'))::bigint / {self.mark})",
            [size, size],
        )

    def fetch(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with _unavailable(self.label, self.statement_timeout_ms), self._pool.connection() as conn:
            return [_naive(row) for row in conn.execute(sql, list(params)).fetchall()]

    def fetch_arrays(self, sql: str, params: Sequence[Any]) -> tuple[Ints, Ints]:
        # two arrays in one row: psycopg's binary loader builds them without a tuple per row
        wrapped = f"SELECT array_agg(a.granule), array_agg(a.n) FROM ({sql}) AS a"
        with (
            _unavailable(self.label, self.statement_timeout_ms),
            self._pool.connection() as conn,
            conn.transaction(),
        ):
            conn.execute(
                "SELECT set_config('statement_timeout', %s, true)",
                [str(self.statement_timeout_ms)],
            )
            cursor = conn.cursor(binary=True)
            first, second = cursor.execute(wrapped, list(params)).fetchone() or (None, None)
        return np.array(first or [], dtype=np.int64), np.array(second or [], dtype=np.int64)

    @contextmanager
    def transaction(self) -> Iterator[Writer]:
        with (
            _unavailable(self.label, self.statement_timeout_ms),
            self._pool.connection() as conn,
            conn.transaction(),
        ):
            yield _PostgresWriter(conn)

    def close(self) -> None:
        self._pool.close()


class _PostgresWriter(Writer):
    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self._conn = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self._conn.execute(sql, list(params))
        return [_naive(row) for row in cursor.fetchall()] if cursor.description else []

    def stage(self, table: Table, columns: dict[str, npt.NDArray[Any]]) -> None:
        types = ", ".join(f"{n} {DIALECT.types[k]}" for n, k in table.types.items())
        self.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS stage_{table.name} ({types}, seq BIGINT) "
            "ON COMMIT DROP"
        )
        self._copy(f"stage_{table.name}", (*table.columns, "seq"), columns)

    def append(self, table: Table, columns: dict[str, npt.NDArray[Any]]) -> None:
        self._copy(table.name, table.columns, columns)

    def _copy(self, target: str, names: tuple[str, ...], columns: dict[str, Any]) -> None:
        """COPY, the bulk path. DuckDB writes the CSV from the arrays at C speed (psycopg's
        write_row costs ~10 us a row); NaT and None become NULL, timestamps are UTC text."""
        listed = ", ".join(names)
        with tempfile.TemporaryDirectory(prefix="intragraph-copy-") as folder:
            path = Path(folder) / "rows.csv"
            formatter = duckdb.connect()
            try:
                formatter.register("batch", {name: columns[name] for name in names})
                formatter.execute(
                    f"COPY (SELECT {listed} FROM batch) TO '{path}' (FORMAT csv, HEADER false)"
                )
            finally:
                formatter.close()
            sql = f"COPY {target} ({listed}) FROM STDIN (FORMAT csv)"
            with open(path, "rb") as rows, self._conn.cursor().copy(sql) as copy:
                while chunk := rows.read(1 << 20):
                    copy.write(chunk)
