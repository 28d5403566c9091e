"""The counts of a PostgreSQL refresh (`rollups.refresh`: the rollups and the facets) made in
DuckDB.

PostgreSQL groups a table's rows into counts one row at a time: for a million imported
records, the facets per hour took it 2-3 s a field, their days 3.5 s more and the rollups 5.4
s, half of the import. DuckDB makes the same counts from the same statements (in its own
bucketing SQL) several times faster. So a PostgreSQL writer counts in a DuckDB database of its
own, in memory (`counting`): the columns those statements read of each table are copied there
(COPY ... TO STDOUT, in the writer's own transaction: its rows not yet committed too), the
statements run there, and the counts they made are copied into PostgreSQL's tables (COPY ...
FROM STDIN), in that transaction still. The counts are the same: the suite holds each
engine's to `periods.reference_graph`, and the CSV between the two keeps every value as it is
(NULL apart from "", timestamps with their offset): tests/test_postgres.py compares both ways.

Meanwhile PostgreSQL, which has nothing to do, builds the indexes of the tables read that a
bulk load dropped (`Writer.bulk`).

A few rows are counted by PostgreSQL itself (`few`): DuckDB's start, its copies and its own
cost per statement come to some 70 ms a refresh, more than a small one takes (a sync's).
"""

from __future__ import annotations

import tempfile
from collections.abc import Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from intragraph.resources import Kind
from intragraph.store.base import Writer
from intragraph.store.duckdb import DIALECT, DuckDBStore, read_csv
from intragraph.store.tables import TABLES

# the kinds of the counts' columns, by PostgreSQL's names of their types (`format_type`)
_KINDS: dict[str, Kind] = {
    "bigint": "int",
    "text": "text",
    "boolean": "bool",
    "double precision": "float",
    "timestamp with time zone": "timestamp",
}


# below this many rows read in all, PostgreSQL counts (it takes ~16 us a row where DuckDB and
# the copies take ~8, after those 70 ms)
SMALL = 20_000


class Source(Protocol):
    """What `counting` needs of a PostgreSQL writer."""

    placeholder: str

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def copy_out(self, select: str, path: Path) -> None: ...

    def copy_in(self, target: str, names: Sequence[str], path: Path) -> None: ...

    def rebuild(self, tables: Collection[str] | None = None) -> None: ...


@contextmanager
def counting(
    source: Source, reads: dict[str, set[str]], made: dict[str, tuple[str, ...]], memory: int = 0
) -> Iterator[Writer]:
    """A DuckDB writer over copies of the columns `reads` names of each table of `source`,
    and empty tables of `made` with the columns they have there; what it inserts into those
    is added to `source`'s when the block ends (nothing, if it raises), in the order of
    their keys (`made`'s): PostgreSQL's index on them then sorts rows already in order, a
    third faster (1M records' facets: 3.5 -> 2.2 s; their rollups: 2.0 -> 1.2 s). Files go to
    a temporary folder, and so does what DuckDB cannot hold in its `memory` (MiB; 0: its own
    limit, 80% of the RAM)."""
    with tempfile.TemporaryDirectory(prefix="intragraph-counts-") as name:
        folder = Path(name)
        scratch = DuckDBStore(Path(":memory:"), memory, spill=folder)
        try:
            for table, columns in reads.items():
                # a transaction each: DuckDB holds what one writes in memory until it commits
                with scratch.transaction() as writer:
                    _take(source, writer, table, sorted(columns), folder / f"{table}.csv")
            shapes = {table: _columns(source, table) for table in made}
            # PostgreSQL would wait while DuckDB counts: meanwhile it builds the indexes
            # dropped for the load (`bulk`) of the tables read, whose rows the counts take as
            # final (a later write would keep them current, as any write does). 1M records:
            # projects_users' six, 2.2 s, beside DuckDB's 1.4 s (import 21.2-21.7 -> 19.2-20.9 s)
            with ThreadPoolExecutor(1, thread_name_prefix="intragraph-indexes") as meanwhile:
                built = meanwhile.submit(source.rebuild, set(reads))
                with scratch.transaction() as writer:
                    for table, kinds in shapes.items():
                        _create(writer, table, kinds)
                    yield writer
                built.result()
            with scratch.transaction() as writer:
                for table, kinds in shapes.items():
                    path, listed = folder / f"{table}.csv", ", ".join(kinds)
                    writer.execute(
                        f"COPY (SELECT {listed} FROM {table} ORDER BY {', '.join(made[table])}) "
                        f"TO '{path}' (FORMAT csv, HEADER false)"
                    )
                    source.copy_in(table, list(kinds), path)
                    path.unlink()
        finally:
            scratch.close()


def few(source: Source, reads: dict[str, set[str]]) -> bool:
    """Whether the tables of `reads` hold fewer than `SMALL` rows in all (each counted up to
    that many: a bounded read, however large the table)."""
    found = 0
    for table in reads:
        found += source.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT {SMALL - found}) AS r"
        )[0][0]
        if found >= SMALL:
            return False
    return True


def _take(source: Source, writer: Writer, table: str, columns: list[str], path: Path) -> None:
    """`columns` of `table` in `source` copied into a table of that name through `writer`."""
    kinds = {column: TABLES[table].types[column] for column in columns}
    listed = ", ".join(columns)
    source.copy_out(f"SELECT {listed} FROM {table}", path)
    _create(writer, table, kinds)
    writer.execute(
        f"INSERT INTO {table} ({listed}) SELECT {listed} FROM {read_csv(kinds)}", [str(path)]
    )
    path.unlink()


def _create(writer: Writer, table: str, kinds: dict[str, Kind]) -> None:
    typed = ", ".join(f"{column} {DIALECT.types[kind]}" for column, kind in kinds.items())
    writer.execute(f"CREATE TABLE {table} ({typed})")


def _columns(source: Source, table: str) -> dict[str, Kind]:
    """The columns of `table` in `source`, in order, with their kinds."""
    found = source.execute(
        "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
        f"WHERE attrelid = to_regclass({source.placeholder}) AND attnum > 0 "
        "AND NOT attisdropped ORDER BY attnum",
        [table],
    )
    return {str(column): _KINDS[kind] for column, kind in found}
