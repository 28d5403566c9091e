"""Import 42 JSON files into a store: one transaction for the whole run, upserted by id."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TextIO

import numpy as np
import numpy.typing as npt

from intragraph.errors import ImportFailed
from intragraph.ingest.jsonstream import MalformedJSON, records
from intragraph.ingest.records import KINDS, BadRecord, read
from intragraph.store.base import Store, UpsertCounts, Writer
from intragraph.store.tables import TABLES, Table

_BATCH = 50_000


@dataclass
class Source:
    name: str  # as the user wrote it: a path, or "-" for standard input
    stream: TextIO


Origin = Callable[[int], tuple[str, int]]  # row index -> (source, record position)


def _timestamps(values: list[Any], origin: Origin, name: str) -> Any:
    """ISO texts (naive UTC) or datetimes -> datetime64[us], NULL as NaT; a text NumPy cannot
    read (a 30th of February...) is reported with the record it came from."""
    try:
        return np.array(values, dtype="datetime64[us]")
    except ValueError:
        for index, value in enumerate(values):
            try:
                np.datetime64(value, "us")
            except ValueError:
                reason = f"{name!r} is not an ISO 8601 timestamp: {value!r}"
                raise ImportFailed(*origin(index), reason) from None
        raise


def column_arrays(
    table: Table,
    rows: list[tuple[Any, ...]],
    origin: Origin = lambda index: ("rows", index + 1),
) -> dict[str, npt.NDArray[Any]]:
    """Rows (values in column order) as the column arrays a Writer stages; NULLs stay None
    (NaT for timestamps)."""
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in table.types]
    arrays: dict[str, npt.NDArray[Any]] = {}
    for (name, kind), values in zip(table.types.items(), columns, strict=True):
        items = list(values)
        if kind == "timestamp":
            arrays[name] = _timestamps(items, origin, name)
        elif kind == "int" and None not in items:
            arrays[name] = np.array(items, dtype=np.int64)
        else:
            arrays[name] = np.array(items, dtype=object)
    return arrays


class _Stager:
    """Rows per table, with where each came from, staged in batches. The embedded objects
    (projects, users) repeat in nearly every record: only the last copy of each is kept.
    Batches go to the database from one background thread while the next batch is parsed."""

    def __init__(self, writer: Writer, kind: str, tables: Iterable[str]) -> None:
        self.writer, self.kind = writer, kind
        self._sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="intragraph-stage")
        self._pending: list[Future[None]] = []
        self.rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in tables}
        self.origins: dict[str, list[tuple[str, int]]] = {name: [] for name in tables}
        self.embedded: dict[str, dict[Any, tuple[Any, ...]]] = {
            name: {} for name in tables if name != kind
        }
        self.seq = 0

    def add(self, table: str, values: tuple[Any, ...], origin: tuple[str, int]) -> None:
        if table == self.kind:
            self.rows[table].append(values)
            self.origins[table].append(origin)
        else:
            self.embedded[table][values[0]] = values  # embedded objects carry no timestamp

    def flush(self, last: bool = False) -> None:
        if last:
            for name, objects in self.embedded.items():
                self.rows[name] = list(objects.values())
                self.origins[name] = [("embedded objects", 0)] * len(objects)
        for name, rows in self.rows.items():
            origins = self.origins[name]
            arrays = column_arrays(TABLES[name], rows, origins.__getitem__)
            arrays["seq"] = np.arange(self.seq, self.seq + len(rows), dtype=np.int64)
            self.seq += len(rows)
            if len(self._pending) >= 6:  # bounded memory: wait for the oldest batch
                self._pending.pop(0).result()
            self._pending.append(self._sender.submit(self.writer.stage, TABLES[name], arrays))
            rows.clear()
            origins.clear()

    def wait(self, quiet: bool = False) -> None:
        """Every batch staged (or the first failure raised, unless `quiet`: another error is
        on its way); the thread is gone after."""
        try:
            for pending in self._pending:
                if not quiet:
                    pending.result()
        finally:
            self._sender.shutdown(wait=True, cancel_futures=True)


def import_sources(
    store: Store, kind: str, sources: Iterable[Source], progress: Callable[[int], None]
) -> dict[str, UpsertCounts]:
    """Counts per table. Any bad record raises ImportFailed and nothing of the run is kept."""
    with store.transaction() as writer:
        return merge_records(writer, kind, _records(sources, progress))


def merge_records(
    writer: Writer, kind: str, items: Iterable[tuple[str, int, Any]]
) -> dict[str, UpsertCounts]:
    """Upsert 42 JSON records of `kind`, given with where each came from (source, position);
    counts per table. A bad record raises ImportFailed naming where it came from."""
    _, tables = KINDS[kind]
    stager = _Stager(writer, kind, tables)
    try:
        stager.flush()  # every stage exists, even for a run without rows
        for name, position, record in items:
            try:
                rows = read(kind, record)
            except BadRecord as error:
                raise ImportFailed(name, position, str(error)) from None
            for table, values in rows:
                stager.add(table, values, (name, position))
            if len(stager.rows[kind]) >= _BATCH:
                stager.flush()
        stager.flush(last=True)
    except BaseException:
        stager.wait(quiet=True)
        raise
    stager.wait()
    return {name: writer.merge(TABLES[name]) for name in tables}


def _records(
    sources: Iterable[Source], progress: Callable[[int], None]
) -> Iterable[tuple[str, int, Any]]:
    for source in sources:
        try:
            for position, record in enumerate(records(source.stream, progress), 1):
                yield source.name, position, record
        except MalformedJSON as error:
            raise ImportFailed(source.name, error.position, error.reason) from None
