"""PostgreSQL, the production engine: many API workers on one or more machines.

Connections come from a psycopg pool that checks each one before lending it (`_check`), so that a
database restart costs only the requests made while it was down. Graph queries run under a statement
timeout; an outage or a timeout answers 503, never a hung worker.
"""

from __future__ import annotations

import datetime as dt
import re
import select
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import psycopg
import psycopg_pool

from intragraph.conditions import Value
from intragraph.errors import ConfigError, Unavailable
from intragraph.resources import Kind
from intragraph.store import kept, offload, pgcopy, versions
from intragraph.store.awaited import Unreachable
from intragraph.store.base import Ints, Snapshot, Store, Writer
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


def _configure(timeout_ms: int) -> Callable[[psycopg.Connection[Any]], None]:
    """Every read a connection makes runs under the statement timeout; writes lift it."""

    def configure(connection: psycopg.Connection[Any]) -> None:
        connection.autocommit = True
        connection.execute("SET TIME ZONE 'UTC'")
        # graph queries are one aggregation each: compiling them (100-150 ms on 10M rows)
        # costs more than it saves
        connection.execute("SET jit = off")
        connection.execute("SELECT set_config('statement_timeout', %s, false)", [str(timeout_ms)])

    return configure


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


def _check(connection: psycopg.Connection[Any]) -> None:
    """Before the pool lends a connection. An idle connection has nothing to read unless the
    server ended it (a restart, pg_terminate_backend: it says so, then closes), which select
    sees without a round trip; only then is it checked the slow way, which raises, and the pool
    takes another (anything else there, a NOTIFY, passes that check). psycopg_pool's own
    check_connection costs a round trip at every loan: four more for a one-user graph."""
    if select.select([connection.fileno()], [], [], 0)[0]:
        psycopg_pool.ConnectionPool.check_connection(connection)


def _busy(pool: psycopg_pool.ConnectionPool[Any]) -> bool:
    """Every connection is lent out: wait for one rather than open more."""
    stats = pool.get_stats()
    return stats.get("pool_size", 0) > 0 and stats.get("pool_available", 0) == 0


class PostgresStore(Store):
    placeholder = "%s"
    dialect = DIALECT

    def __init__(
        self,
        url: str,
        pool_size: int = 10,
        statement_timeout_ms: int = 30_000,
        pool_timeout: float = 5.0,
        counting_memory: int = 0,
    ) -> None:
        """`counting_memory`: MiB for the DuckDB that makes a large refresh's counts
        (`offload`; 0: DuckDB's own limit, 80% of the RAM)."""
        self.label = masked(url)
        self._counting_memory = counting_memory
        self.statement_timeout_ms = statement_timeout_ms
        self._url, self._connect_timeout = url, max(1, int(pool_timeout))

        def pool(size: int) -> psycopg_pool.ConnectionPool[Any]:
            return psycopg_pool.ConnectionPool(
                url,
                min_size=1,
                max_size=size,
                timeout=pool_timeout,
                kwargs={
                    "connect_timeout": max(1, int(pool_timeout)),
                    "application_name": "intragraph",
                },
                configure=_configure(statement_timeout_ms),
                check=_check,
                open=False,
            )

        self._pool = pool(pool_size)
        self._small = pool(2)  # the versions' reads, never queued behind graph counts
        self._kept = kept.KeptReads()  # per data version (`fetch_kept`)
        try:
            self._pool.open(wait=True, timeout=pool_timeout)
            self._small.open(wait=True, timeout=pool_timeout)
        except psycopg_pool.PoolTimeout:
            self.close()
            raise self._refusal(pool_timeout) from None

    def _refusal(self, waited: float) -> ConfigError:
        """Why the pool got no connection: the server's own words when it answered (no such
        database, a role refused...), else that it did not answer."""
        try:
            psycopg.connect(self._url, connect_timeout=self._connect_timeout).close()
        except psycopg.OperationalError as error:
            said = str(error).strip().splitlines()[-1] if str(error).strip() else ""
            said = said.split("FATAL:", 1)[-1].strip()
            if "does not exist" in said or "authentication" in said or "role" in said:
                return ConfigError(f"database {self.label}: {said}")
        return Unreachable(
            f"database {self.label} does not answer within {waited:g} s: is "
            "PostgreSQL running there, and may this user connect?"
        )

    @contextmanager
    def _connection(
        self, pool: psycopg_pool.ConnectionPool[Any] | None = None
    ) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection. While the pool has none to lend (the database is down, or just
        back and the pool still backing off before its next attempt), one made for this
        request: the first request after an outage succeeds, one during it fails fast."""
        pool = pool or self._pool
        pooled: psycopg.Connection[Any] | None = None
        if pool.get_stats().get("pool_available", 0) > 0 or _busy(pool):
            try:
                pooled = pool.getconn()
            except psycopg_pool.PoolTimeout:
                pooled = None
        if pooled is not None:
            try:
                yield pooled
            finally:
                pool.putconn(pooled)
            return
        direct = psycopg.connect(
            self._url, connect_timeout=self._connect_timeout, application_name="intragraph"
        )
        try:
            _configure(self.statement_timeout_ms)(direct)
            yield direct
        finally:
            direct.close()

    def granule_sql(self, column: str, size: int) -> tuple[str, list[Value]]:
        # date_part gives float8 seconds (extract's numeric is several times slower). Exact:
        # instants are whole microseconds and float8 holds them within 0.25 us until 2100, so
        # nothing below a granule's first microsecond rounds up into it.
        return f"floor(date_part('epoch', {column}) / {self.placeholder})::bigint", [size]

    def fetch(
        self, sql: str, params: Sequence[Any], pool: psycopg_pool.ConnectionPool[Any] | None = None
    ) -> list[tuple[Any, ...]]:
        with _unavailable(self.label, self.statement_timeout_ms), self._connection(pool) as conn:
            return [_naive(row) for row in conn.execute(sql, list(params)).fetchall()]

    def fetch_small(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        return self.fetch(sql, params, self._small)

    def _keep(self, key: tuple[Any, ...], fetch: Callable[[], kept.Answer]) -> kept.Answer:
        # kept while the data's version stays: every data transaction, of any worker on any
        # machine, changes it at its commit (one small read instead of a field's hours, 40-60
        # ms at 10M rows, or the sets of campuses', 70 ms)
        return self._kept.read(key, fetch, versions.current(self))

    def fetch_arrays(self, sql: str, params: Sequence[Any]) -> tuple[Ints, Ints]:
        # two arrays in one row: psycopg's binary loader builds them without a tuple per row
        wrapped = f"SELECT array_agg(a.granule), array_agg(a.n) FROM ({sql}) AS a"
        with _unavailable(self.label, self.statement_timeout_ms), self._connection() as conn:
            cursor = conn.cursor(binary=True)
            first, second = cursor.execute(wrapped, list(params)).fetchone() or (None, None)
        return np.array(first or [], dtype=np.int64), np.array(second or [], dtype=np.int64)

    @contextmanager
    def _untimed(self, *first: str) -> Iterator[psycopg.Connection[Any]]:
        """A transaction that begins with the statements `first`, without the statement
        timeout: imports, migrations and copies take the time they need, and hold no client
        waiting."""
        with (
            _unavailable(self.label, self.statement_timeout_ms),
            self._connection() as conn,
            conn.transaction(),
        ):
            for statement in first:
                conn.execute(statement)
            conn.execute("SET LOCAL statement_timeout = 0")
            yield conn

    @contextmanager
    def _transaction(self) -> Iterator[Writer]:
        with self._untimed() as conn:
            writer = _PostgresWriter(conn, self._counting_memory)
            yield writer
            writer.rebuild()

    @contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        # REPEATABLE READ: every read of the block sees the same committed state, the data
        # version read first included
        with self._untimed("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY") as conn:
            yield _Snapshot(conn)

    def close(self) -> None:
        self._pool.close()
        self._small.close()


class _Snapshot:
    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self._conn = connection

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return [_naive(row) for row in self._conn.execute(sql, list(params)).fetchall()]

    def copy_out(self, select: str, path: Path, params: Sequence[Any] = ()) -> None:
        sql = f"COPY ({select}) TO STDOUT (FORMAT csv)"
        with open(path, "wb") as rows, self._conn.cursor().copy(sql, list(params)) as copy:
            for chunk in copy:
                rows.write(chunk)


class _PostgresWriter(Writer):
    def __init__(self, connection: psycopg.Connection[Any], counting_memory: int = 0) -> None:
        super().__init__()
        self._conn, self._counting_memory = connection, counting_memory
        self._considered: set[str] = set()
        # the CREATE INDEX statements of the indexes `bulk` dropped, with their tables
        self._deferred: list[tuple[str, str]] = []

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self._conn.execute(sql, list(params))
        return [_naive(row) for row in cursor.fetchall()] if cursor.description else []

    def bulk(self, table: str) -> None:
        # Into an empty table, rows then their indexes (one sort each) are several times
        # faster than rows kept in six indexes as they come; the index is rebuilt before
        # commit, in the same transaction. DROP INDEX locks the table until commit: only an
        # empty table, which no reader misses, is loaded this way. Indexes that back a
        # constraint stay.
        if table in self._considered:
            return
        self._considered.add(table)
        if self.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")[0][0]:
            return
        found = self.execute(
            "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index AS x "
            "JOIN pg_class AS i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = to_regclass(%s) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = x.indexrelid)",
            [table],
        )
        for name, definition in found:
            self.execute(f'DROP INDEX "{name}"')
            self._deferred.append((table, definition))

    def rebuild(self, tables: Collection[str] | None = None) -> None:
        """The indexes `bulk` dropped (of `tables` only, if given), built again over the rows
        now there."""
        chosen = [(t, d) for t, d in self._deferred if tables is None or t in tables]
        if chosen:
            self.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for deferred in chosen:
            self.execute(deferred[1])
            self._deferred.remove(deferred)

    def analyze(self, tables: set[str]) -> None:
        # without them, a table loaded at once (demo, import) is planned as nearly empty
        # until autovacuum comes by: a campus filter as a nested loop, 50 ms for 30 rows
        self.execute(f"ANALYZE {', '.join(sorted(tables))}")

    def stage(self, table: Table, columns: dict[str, npt.NDArray[Any]]) -> None:
        types = ", ".join(f"{n} {DIALECT.types[k]}" for n, k in table.types.items())
        self.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS stage_{table.name} ({types}, seq BIGINT) "
            "ON COMMIT DROP"
        )
        self._copy(f"stage_{table.name}", {**table.types, "seq": "int"}, columns)

    def insert(self, table: Table, columns: dict[str, npt.NDArray[Any]]) -> None:
        self._copy(table.name, table.types, columns)

    def _copy(self, target: str, kinds: dict[str, Kind], columns: dict[str, Any]) -> None:
        """COPY in binary, the bulk path: NumPy writes each value's bytes (`pgcopy`), which
        PostgreSQL takes as they are (psycopg's write_row costs ~10 us a row; CSV made by
        DuckDB took PostgreSQL 66 ms to parse for 33,400 projects_users, binary 30)."""
        names = list(kinds)
        sql = f"COPY {target} ({', '.join(names)}) FROM STDIN (FORMAT binary)"
        with self._conn.cursor().copy(sql) as copy:
            for piece in pgcopy.data(list(kinds.values()), [columns[n] for n in names]):
                copy.write(piece)

    def copy_in(self, target: str, names: Sequence[str], path: Path) -> None:
        """The rows of a CSV file (no header, NULL unquoted and empty) added to `target`."""
        sql = f"COPY {target} ({', '.join(names)}) FROM STDIN (FORMAT csv)"
        with open(path, "rb") as rows, self._conn.cursor().copy(sql) as copy:
            while chunk := rows.read(1 << 20):
                copy.write(chunk)

    def copy_out(self, select: str, path: Path) -> None:
        """The rows of `select` written to a CSV file, as `copy_in` reads them."""
        _Snapshot(self._conn).copy_out(select, path)

    def counting(
        self, reads: dict[str, set[str]], made: dict[str, tuple[str, ...]]
    ) -> AbstractContextManager[Writer]:
        if offload.few(self, reads):  # counted here: DuckDB would cost more than it saves
            return super().counting(reads, made)
        return offload.counting(self, reads, made, self._counting_memory)
