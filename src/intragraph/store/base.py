"""The Store interface: what the service asks of an engine, with the SQL every engine shares.

An engine supplies its connection handling, its bulk loading and one SQL expression, the UTC
granule of a timestamp column (`granule_sql`); everything else, the WHERE builder, the graph
query's shape and the upsert's counting, is written once here.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from intragraph.errors import ConfigError
from intragraph.query import AnyOf, Condition, GraphQuery, ListQuery, Value
from intragraph.resources import Embed, Parent
from intragraph.store import rollups
from intragraph.store.migrations import LATEST, MIGRATIONS, VERSION_TABLE, Dialect, Migration
from intragraph.store.rollups import ROLLED_UP
from intragraph.store.tables import TABLES, Table
from intragraph.store.where import where

Ints = npt.NDArray[np.int64]


@dataclass
class UpsertCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


def aware(value: Any) -> Any:
    """Timestamps come back naive from DuckDB and aware from PostgreSQL: make them aware
    (UTC); any other value as it is."""
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


class Store(ABC):
    """One database. Methods are safe to call from several threads at once."""

    mark = "?"  # the engine's parameter placeholder
    dialect: Dialect
    label: str  # how messages name the database: a path, or a URL without its password

    # -- what each engine supplies ------------------------------------------------------------

    @abstractmethod
    def granule_sql(self, column: str, size: int) -> tuple[str, list[Value]]:
        """The engine's bucketing SQL: floor(epoch seconds of `column` / size), exact for any
        instant, with its parameters."""

    @abstractmethod
    def fetch(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Rows of one read-only query."""

    @abstractmethod
    def fetch_arrays(self, sql: str, params: Sequence[Any]) -> tuple[Ints, Ints]:
        """The two integer columns of a query's answer as arrays."""

    @abstractmethod
    def _transaction(self) -> AbstractContextManager[Writer]:
        """The engine's transaction: a writer whose work is kept only if the block ends
        without an exception."""

    @abstractmethod
    def close(self) -> None: ...

    # -- shared ---------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Writer]:
        """A writer whose work is kept only if the block ends without an exception; the
        rollups of the tables it changed are brought up to date in the same transaction."""
        with self._transaction() as writer:
            writer.bucket, writer.mark = self.granule_sql, self.mark
            yield writer
            if writer.touched & ROLLED_UP:
                rollups.refresh(self, writer)

    def schema_version(self) -> int | None:
        """The schema's version; None for a database without any intragraph table."""
        found = self.fetch(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_name IN "
            f"({self.mark}, {self.mark})",
            [VERSION_TABLE, "projects_users"],
        )
        names = {row[0] for row in found}
        if VERSION_TABLE not in names:
            return 0 if names else None
        return int(self.fetch(f"SELECT max(version) FROM {VERSION_TABLE}", [])[0][0] or 0)

    def upgrade(self) -> list[Migration]:
        """Apply the pending migrations, each in its own transaction; returns them."""
        current = self.schema_version() or 0
        applied = []
        for migration in MIGRATIONS[current:]:
            with self.transaction() as writer:
                if migration.version == 1:
                    writer.execute(f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version INTEGER)")
                for statement in migration.statements(self.dialect):
                    writer.execute(statement)
                writer.execute(f"INSERT INTO {VERSION_TABLE} VALUES ({migration.version})")
                if migration.version == 2:
                    writer.touched |= ROLLED_UP  # fill them from the rows already there
            applied.append(migration)
        return applied

    def ensure_schema(self) -> None:
        """Create the schema in an empty database; refuse an older or a newer one."""
        version = self.schema_version()
        if version is None:
            self.upgrade()
        elif version < LATEST:
            raise ConfigError(
                f"database {self.label} has schema version {version}, this intragraph needs "
                f"{LATEST}: back it up, then run `intragraph db upgrade`"
            )
        elif version > LATEST:
            raise ConfigError(
                f"database {self.label} has schema version {version}, newer than this "
                f"intragraph knows ({LATEST}): upgrade intragraph"
            )

    def rollup_counts(self, query: GraphQuery, now: dt.datetime) -> tuple[Ints, Ints]:
        """`granule_counts` of a query without conditions, at 900 s, from the rollups."""
        return rollups.counts(self, query, now)

    def first_granule(self, query: GraphQuery) -> int | None:
        """The earliest UTC quarter-hour of the query's field over every row (not only the
        query's), from the rollups; None when the field is never set."""
        return rollups.first(self, query)

    def granule_counts(
        self, query: GraphQuery, now: dt.datetime, size: int, extra: tuple[Condition, ...] = ()
    ) -> tuple[Ints, Ints]:
        """Counted rows per UTC granule of `size` seconds: granule numbers and counts."""
        bucket, bucket_params = self.granule_sql(query.field, size)
        clause, params = where(query.field, query.conditions + extra, self.mark, now)
        sql = (
            f"SELECT {bucket} AS granule, count(*) AS n FROM {query.resource.table} "
            f"WHERE {clause} GROUP BY granule"
        )
        return self.fetch_arrays(sql, [*bucket_params, *params])

    def list_page(
        self, query: ListQuery, now: dt.datetime, extra: tuple[Condition, ...] = ()
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of rows (dicts, with their embedded objects under `embed.name`) and the
        number of rows in all pages."""
        resource = query.resource
        columns = TABLES[resource.table].columns
        clause, params = where(None, query.conditions + extra, self.mark, now)
        order = ", ".join(f"{c} {'DESC' if desc else 'ASC'}" for c, desc in query.order)
        found = self.fetch(
            f"SELECT {', '.join(columns)} FROM {resource.table} WHERE {clause} "
            f"ORDER BY {order} LIMIT {self.mark} OFFSET {self.mark}",
            [*params, query.size, (query.page - 1) * query.size],
        )
        total = int(
            self.fetch(f"SELECT count(*) FROM {resource.table} WHERE {clause}", params)[0][0]
        )
        rows = [dict(zip(columns, row, strict=True)) for row in found]
        for embed in resource.embeds:
            self._embed(rows, embed)
        return rows, total

    def _embed(self, rows: list[dict[str, Any]], embed: Embed) -> None:
        keys = sorted({row[embed.column] for row in rows if row[embed.column] is not None})
        known: dict[Any, dict[str, Any]] = {}
        if keys:
            found = self.fetch(
                f"SELECT {', '.join(embed.columns)} FROM {embed.table} "
                f"WHERE id IN ({', '.join([self.mark] * len(keys))})",
                keys,
            )
            known = {row[0]: dict(zip(embed.columns, row, strict=True)) for row in found}
        for row in rows:
            key = row[embed.column]
            row[embed.name] = known.get(key, {"id": key}) if key is not None else None

    def parent_condition(self, parent: Parent, key: str) -> Condition | None:
        """The condition of a nested route, or None when the parent does not exist."""
        column = "id" if key.isascii() and key.isdigit() else parent.text_key
        value: Value = int(key) if column == "id" and len(key) < 19 else key
        if (column == "id" and not isinstance(value, int)) or "\x00" in key:
            return None  # no such id, and no stored text holds a NUL
        rows = self.fetch(
            f"SELECT id FROM {parent.table} WHERE {column} = {self.mark} LIMIT 1", [value]
        )
        return AnyOf(parent.column, (rows[0][0],)) if rows else None

    def count(self, table: str) -> int:
        return int(self.fetch(f"SELECT count(*) FROM {TABLES[table].name}", [])[0][0])


class Writer(ABC):
    """Writes inside one transaction: stage rows, then merge them into their tables by id.
    `touched` names the tables changed, for the rollups; write data only through these
    methods (not `execute`) so that it stays right."""

    touched: set[str]
    bucket: Callable[[str, int], tuple[str, list[Value]]] | None = None
    mark = "?"

    def __init__(self) -> None:
        self.touched = set()

    def clear(self, table: Table) -> None:
        self.execute(f"DELETE FROM {table.name}")
        self.touched.add(table.name)

    def delete(self, table: Table, ids: Sequence[int]) -> None:
        """Remove rows by id; the rollups are recomputed at commit (deletions are rare)."""
        if ids:
            marks = ", ".join([self.mark] * len(ids))
            self.execute(f"DELETE FROM {table.name} WHERE id IN ({marks})", list(ids))
            self.touched.add(table.name)

    @abstractmethod
    def stage(self, table: Table, columns: dict[str, npt.NDArray[Any]]) -> None:
        """Add rows (column arrays, `table.columns` in order, plus `seq`) to the table's stage."""

    @abstractmethod
    def append(self, table: Table, columns: dict[str, npt.NDArray[Any]]) -> None:
        """Insert rows straight into a table: bulk loads of fresh data, such as the demo's."""

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def merge(self, table: Table) -> UpsertCounts:
        """Upsert the staged rows by id: new ids are inserted, a newer `updated_at` (or, for a
        table without one, different content) replaces the row, anything else is unchanged."""
        stage, target, names = f"stage_{table.name}", table.name, ", ".join(table.columns)
        staged = int(self.execute(f"SELECT count(*) FROM {stage}")[0][0])
        # the last copy of each id in the run, newest updated_at first
        order = f"{table.version} DESC NULLS LAST, seq DESC" if table.version else "seq DESC"
        self.execute(
            f"CREATE TEMP TABLE pick AS SELECT {names} FROM ("
            f"SELECT *, row_number() OVER (PARTITION BY id ORDER BY {order}) AS rank "
            f"FROM {stage}) AS ranked WHERE rank = 1"
        )
        changed = " OR ".join(f"p.{c} IS DISTINCT FROM t.{c}" for c in table.columns)
        # without a version on either side, a changed row is taken as newer
        version = table.version
        newer = f"COALESCE(p.{version} > t.{version}, {changed})" if version else changed
        self.execute(
            f"CREATE TEMP TABLE fate AS SELECT p.id, CASE WHEN t.id IS NULL THEN 'inserted' "
            f"WHEN {newer} THEN 'updated' ELSE 'unchanged' END AS fate "
            f"FROM pick AS p LEFT JOIN {target} AS t ON t.id = p.id"
        )
        fates = dict(self.execute("SELECT fate, count(*) FROM fate GROUP BY fate"))
        inserted, updated = int(fates.get("inserted", 0)), int(fates.get("updated", 0))
        rewritten = inserted + updated
        delta = (
            rewritten > 0 and target in ROLLED_UP and rollups.adjustable(self, target, rewritten)
        )
        if delta:
            rollups.stage_delta(self, target)
        self.execute(
            f"DELETE FROM {target} WHERE id IN (SELECT id FROM fate WHERE fate = 'updated')"
        )
        self.execute(
            f"INSERT INTO {target} ({names}) SELECT {names} FROM pick "
            "WHERE id IN (SELECT id FROM fate WHERE fate <> 'unchanged')"
        )
        if delta:
            rollups.apply_delta(self)
        elif inserted or updated:
            self.touched.add(target)  # recomputed whole at commit
        for name in (stage, "pick", "fate"):
            self.execute(f"DROP TABLE {name}")
        return UpsertCounts(inserted, updated, staged - inserted - updated)
