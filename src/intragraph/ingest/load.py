"""Import 42 JSON files into a store: one transaction for the whole run, upserted by id."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TextIO

import numpy as np
import numpy.typing as npt

from intragraph.errors import ImportFailed
from intragraph.ingest.jsonstream import MalformedJSON, records
from intragraph.ingest.records import KINDS, BadRecord, Rows, read
from intragraph.store.base import Store, UpsertCounts, Writer
from intragraph.store.tables import TABLES, Table

_BATCH = 50_000


@dataclass
class Source:
    name: str  # as the user wrote it: a path, or "-" for standard input
    stream: TextIO


def column_arrays(table: Table, rows: list[dict[str, Any]]) -> dict[str, npt.NDArray[Any]]:
    """Rows as the column arrays a Writer stages; NULLs stay None (NaT for timestamps)."""
    arrays: dict[str, npt.NDArray[Any]] = {}
    for name, kind in table.types.items():
        values = [row[name] for row in rows]
        if kind == "timestamp":
            arrays[name] = np.array(values, dtype="datetime64[us]")
        elif kind == "int" and None not in values:
            arrays[name] = np.array(values, dtype=np.int64)
        else:
            arrays[name] = np.array(values, dtype=object)
    return arrays


class _Stager:
    def __init__(self, writer: Writer, tables: Iterable[str]) -> None:
        self.writer = writer
        self.rows: Rows = {name: [] for name in tables}
        self.seq = 0

    def flush(self) -> None:
        for name, rows in self.rows.items():
            arrays = column_arrays(TABLES[name], rows)
            arrays["seq"] = np.arange(self.seq, self.seq + len(rows), dtype=np.int64)
            self.seq += len(rows)
            self.writer.stage(TABLES[name], arrays)
            rows.clear()


def import_sources(
    store: Store, kind: str, sources: Iterable[Source], progress: Callable[[int], None]
) -> dict[str, UpsertCounts]:
    """Counts per table. Any bad record raises ImportFailed and nothing of the run is kept."""
    _, tables = KINDS[kind]
    with store.transaction() as writer:
        stager = _Stager(writer, tables)
        stager.flush()  # every stage exists, even for a run without rows
        for source in sources:
            try:
                for position, record in enumerate(records(source.stream, progress), 1):
                    try:
                        read(kind, record, stager.rows)
                    except BadRecord as error:
                        raise ImportFailed(source.name, position, str(error)) from None
                    if len(stager.rows[kind]) >= _BATCH:
                        stager.flush()
            except MalformedJSON as error:
                raise ImportFailed(source.name, error.position, error.reason) from None
        stager.flush()
        return {name: writer.merge(TABLES[name]) for name in tables}
