"""Writing data tables: bulk appends, upserts by id, deletions, all in `transaction`, which
keeps the rollups current at commit. Accounts and sync cursors, which no graph reads, use the
engine's own `Store.transaction`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy.typing as npt

from intragraph.store import facets, rollups, versions
from intragraph.store.base import Store, Writer
from intragraph.store.rollups import ROLLED_UP
from intragraph.store.tables import Table

# the temporary tables of a merge: the last staged copy of each id, and what becomes of it
_LATEST, _OUTCOMES = "merge_latest", "merge_outcomes"


@dataclass
class UpsertCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


@contextmanager
def transaction(store: Store, versioned: bool = True) -> Iterator[Writer]:
    """A writer whose work is kept only if the block ends without an exception; the rollups of
    the tables it changed are brought up to date in the same transaction, and the data's
    version is raised, with what it changed (`versions.bump`; not `versioned`: schema steps
    before the version's table exists)."""
    with store.transaction() as writer:
        yield writer
        whole = writer.changed | (writer.touched - {"rollups"})
        if writer.touched & ROLLED_UP:
            rollups.refresh(writer, writer.touched & ROLLED_UP)
            # planned as they now are: a facets table left unanalyzed after a refresh made
            # PostgreSQL read three projects' facets without its index (25 -> 489 ms)
            writer.touched |= {"rollups", facets.TABLE}
        if writer.touched:  # bulk changes (small merges adjust the rollups instead)
            writer.analyze(writer.touched)
        writer.touched.clear()
        if versioned:
            versions.bump(writer, whole)


def append(writer: Writer, table: Table, columns: dict[str, npt.NDArray[Any]]) -> None:
    """Insert rows straight into a table: bulk loads of fresh data, such as the demo's."""
    writer.bulk(table.name)
    writer.insert(table, columns)
    writer.touched.add(table.name)


def clear(writer: Writer, table: Table) -> None:
    writer.execute(f"DELETE FROM {table.name}")
    writer.touched.add(table.name)


def remove(writer: Writer, table: Table, ids: Sequence[int], column: str = "id") -> None:
    """Remove rows by id (or by another column: a team's members by team_id); the rollups are
    recomputed at commit (deletions are rare)."""
    if ids:
        marks = ", ".join([writer.placeholder] * len(ids))
        writer.execute(f"DELETE FROM {table.name} WHERE {column} IN ({marks})", list(ids))
        writer.touched.add(table.name)


def merge(writer: Writer, table: Table, distinct: bool = False) -> UpsertCounts:
    """Upsert the staged rows (`Writer.stage`) by id: new ids are inserted, a newer
    `updated_at` (or, for a table without one, different content) replaces the row, anything
    else is unchanged. `distinct`: every staged id is a different one (the caller checked)."""
    stage, target, names = f"stage_{table.name}", table.name, ", ".join(table.columns)
    staged = int(writer.execute(f"SELECT count(*) FROM {stage}")[0][0])
    # the last copy of each id in the run, newest updated_at first (each row, when each is
    # its id's only copy: no window to sort them by id)
    order = f"{table.version} DESC NULLS LAST, seq DESC" if table.version else "seq DESC"
    ranked = (
        f"SELECT *, 1 AS rank FROM {stage}"
        if distinct
        else f"SELECT *, row_number() OVER (PARTITION BY id ORDER BY {order}) AS rank FROM {stage}"
    )
    if not writer.execute(f"SELECT EXISTS (SELECT 1 FROM {target})")[0][0]:
        return _into_empty(writer, table, ranked, staged)
    if table.fill:  # what a row leaves null, the stored row keeps
        kept = ", ".join(f"COALESCE(p.{c}, t.{c}) AS {c}" for c in table.columns[1:])
        writer.execute(
            f"CREATE TEMP TABLE {_LATEST} AS SELECT p.id, {kept} FROM ({ranked}) AS p "
            f"LEFT JOIN {target} AS t ON t.id = p.id WHERE p.rank = 1"
        )
    else:
        writer.execute(
            f"CREATE TEMP TABLE {_LATEST} AS SELECT {names} FROM ({ranked}) AS ranked "
            "WHERE rank = 1"
        )
    changed = " OR ".join(f"p.{c} IS DISTINCT FROM t.{c}" for c in table.columns)
    # without a version on either side, a changed row is taken as newer
    version = table.version
    newer = f"COALESCE(p.{version} > t.{version}, {changed})" if version else changed
    writer.execute(
        f"CREATE TEMP TABLE {_OUTCOMES} AS SELECT p.id, CASE WHEN t.id IS NULL THEN "
        f"'inserted' WHEN {newer} THEN 'updated' ELSE 'unchanged' END AS outcome "
        f"FROM {_LATEST} AS p LEFT JOIN {target} AS t ON t.id = p.id"
    )
    outcomes = dict(writer.execute(f"SELECT outcome, count(*) FROM {_OUTCOMES} GROUP BY outcome"))
    inserted, updated = int(outcomes.get("inserted", 0)), int(outcomes.get("updated", 0))
    rewritten = inserted + updated
    delta = rewritten > 0 and target in ROLLED_UP and rollups.adjustable(writer, target, rewritten)
    if delta:
        deltas = rollups.stage_delta(writer, target, _LATEST, _OUTCOMES)
    writer.execute(
        f"DELETE FROM {target} WHERE id IN (SELECT id FROM {_OUTCOMES} WHERE outcome = 'updated')"
    )
    writer.execute(
        f"INSERT INTO {target} ({names}) SELECT {names} FROM {_LATEST} "
        f"WHERE id IN (SELECT id FROM {_OUTCOMES} WHERE outcome <> 'unchanged')"
    )
    if delta:  # few rows: a copy of the table takes those again, not the whole table
        versions.record(writer, target, f"SELECT id FROM {_OUTCOMES} WHERE outcome <> 'unchanged'")
        rollups.apply_delta(writer, deltas)
    elif rewritten:
        writer.touched.add(target)  # recomputed whole at commit
    if table.whole_by:  # what the import no longer lists of a team it brought is gone
        by = table.whole_by
        writer.changed.add(target)  # perhaps: a copy takes it again, whole
        writer.execute(
            f"DELETE FROM {target} WHERE {by} IN (SELECT {by} FROM {stage}) "
            f"AND id NOT IN (SELECT id FROM {stage})"
        )
    for name in (stage, _LATEST, _OUTCOMES):
        writer.execute(f"DROP TABLE {name}")
    return UpsertCounts(inserted, updated, staged - rewritten)


def _into_empty(writer: Writer, table: Table, ranked: str, staged: int) -> UpsertCounts:
    """`merge` into a table without rows: each id's last copy is inserted as it is, with no
    stored row to compare it with, keep values from or leave out (an import into a new
    database: no temporary tables, no join)."""
    target, names = table.name, ", ".join(table.columns)
    if staged > 10_000:
        writer.bulk(target)
    writer.execute(
        f"INSERT INTO {target} ({names}) SELECT {names} FROM ({ranked}) AS ranked WHERE rank = 1"
    )
    inserted = int(writer.execute(f"SELECT count(*) FROM {target}")[0][0])
    if inserted:
        writer.touched.add(target)  # its rollups recomputed whole at commit
    writer.execute(f"DROP TABLE stage_{target}")
    return UpsertCounts(inserted, 0, staged - inserted)
