"""Import 42 JSON files into a store: one transaction for the whole run, upserted by id."""

from __future__ import annotations

import bisect
import io
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

from intragraph.errors import ImportFailed
from intragraph.ingest.columns import column_arrays, columns_of
from intragraph.ingest.jsonstream import (
    MalformedJSON,
    Resumed,
    Undelimited,
    records,
    top_level_values,
)
from intragraph.ingest.pages import READERS, Page
from intragraph.ingest.records import KINDS, BadRecord, read
from intragraph.ingest.workers import Decoded, Pieces
from intragraph.store import writes
from intragraph.store.base import Store, Writer
from intragraph.store.tables import TABLES
from intragraph.store.writes import UpsertCounts

_BATCH = 50_000


@dataclass
class Source:
    name: str  # as the user wrote it: a path, or "-" for standard input
    stream: BinaryIO
    records: int = 0  # how many it held, once read


class _Stager:
    """The import's rows, column by column, with where each came from, staged in batches. The
    embedded objects (projects, users) repeat in nearly every record: only the last copy of
    each is kept. Batches go to the database from one background thread while the next batch
    is read."""

    def __init__(self, writer: Writer, kind: str, tables: Iterable[str]) -> None:
        self.writer, self.kind = writer, kind
        self._sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="intragraph-stage")
        self._pending: list[Future[None]] = []
        self.columns: list[list[Any]] = [[] for _ in TABLES[kind].types]  # a row a record
        self.count = 0
        # where the rows came from: (first row, source, its record's position) for each run of
        # consecutive records of one source
        self.origins: list[tuple[int, str, int]] = []
        self.embedded: dict[str, dict[Any, tuple[Any, ...]]] = {name: {} for name in tables}
        self.seq = 0
        self._ids: dict[str, list[npt.NDArray[Any]]] = {}  # the ids staged, by table

    def add(self, rows: list[tuple[str, tuple[Any, ...]]], origin: tuple[str, int]) -> None:
        """The rows of one record (records.read)."""
        for table, values in rows:
            # a row shorter than its table is an embedded object's (a user's id and login)
            if table == self.kind and len(values) == len(self.columns):
                self.origins.append((self.count, *origin))
                for column, value in zip(self.columns, values, strict=True):
                    column.append(value)
                self.count += 1
            else:
                self.embedded[table][values[0]] = values  # embedded objects carry no timestamp

    def add_page(self, page: Page, origin: tuple[str, int]) -> None:
        """The rows of `page.count` records, the first of them at `origin`."""
        self.origins.append((self.count, *origin))
        for column, values in zip(self.columns, page.columns, strict=True):
            column.extend(values)
        self.count += page.count
        for table, objects in page.embedded.items():
            self.embedded[table].update(objects)

    def add_decoded(self, decoded: Decoded) -> None:
        """Rows a worker process read into arrays (`workers`), after the rows before them."""
        if self.count:
            self.flush()
        self._send(self.kind, decoded.arrays)
        for table, objects in decoded.embedded.items():
            self.embedded[table].update(objects)

    def origin(self, index: int) -> tuple[str, int]:
        at = bisect.bisect_right(self.origins, index, key=lambda origin: origin[0]) - 1
        first, source, position = self.origins[at]
        return source, position + index - first

    def check(self) -> None:
        """ImportFailed for the first bad value of the rows not yet staged: called before an
        error of a later record is reported, so that the first bad record is the one named."""
        column_arrays(TABLES[self.kind], self.columns, self.origin)

    def flush(self, last: bool = False) -> None:
        batches = [(self.kind, column_arrays(TABLES[self.kind], self.columns, self.origin))]
        self.columns, self.count, self.origins = [[] for _ in self.columns], 0, []
        if last:
            for name, objects in self.embedded.items():
                table = TABLES[name]
                # embedded objects give the first columns of their table: the rest is null
                # (and, in a table that fills, erases nothing)
                width = len(table.columns)
                rows = [(*row, *[None] * (width - len(row))) for row in objects.values()]
                batches.append((name, column_arrays(table, columns_of(rows, table))))
        for name, arrays in batches:
            self._send(name, arrays)

    def _send(self, name: str, arrays: dict[str, npt.NDArray[Any]]) -> None:
        """A batch to its table's stage, numbered on after the batches before it."""
        count = len(next(iter(arrays.values())))
        self._ids.setdefault(name, []).append(arrays["id"])
        arrays["seq"] = np.arange(self.seq, self.seq + count, dtype=np.int64)
        self.seq += count
        if len(self._pending) >= 6:  # bounded memory: wait for the oldest batch
            self._pending.pop(0).result()
        self._pending.append(self._sender.submit(self.writer.stage, TABLES[name], arrays))

    def distinct(self, name: str) -> bool:
        """Whether every id staged for table `name` is a different one (each row its id's only
        copy: 60 ms for a million ids, where a merge's window over them took PostgreSQL 1.3 s).
        Sorted and compared with the next: NumPy 2.4's `unique` (a hash table) took 0.73 s."""
        ids = np.sort(np.concatenate(self._ids.get(name, [np.zeros(0, np.int64)])))
        return bool((ids[1:] != ids[:-1]).all())

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
    with writes.transaction(store) as writer:
        return merge_records(writer, kind, _records(kind, sources, progress))


def merge_records(
    writer: Writer, kind: str, items: Iterable[tuple[str, int, Any]]
) -> dict[str, UpsertCounts]:
    """Upsert 42 JSON records of `kind`, given with where each came from (source, position),
    or a Page (or a Decoded piece) of them with where its first came from; counts per table. A
    bad record raises ImportFailed naming where it came from."""
    _, tables = KINDS[kind]
    stager = _Stager(writer, kind, tables)
    try:
        for name, position, record in items:
            if isinstance(record, Page):
                stager.add_page(record, (name, position))
            elif isinstance(record, Decoded):
                stager.add_decoded(record)
            else:
                try:
                    rows = read(kind, record)
                except BadRecord as error:
                    stager.check()
                    raise ImportFailed(name, position, str(error)) from None
                stager.add(rows, (name, position))
            if stager.count >= _BATCH:
                stager.flush()
        stager.flush(last=True)  # also when there were no rows: every stage exists
    except BaseException:
        stager.wait(quiet=True)
        raise
    stager.wait()
    return {name: writes.merge(writer, TABLES[name], stager.distinct(name)) for name in tables}


def _records(
    kind: str, sources: Iterable[Source], progress: Callable[[int], None]
) -> Iterator[tuple[str, int, Any]]:
    """(source, position, record, Page or Decoded) of every source, in order: whole pages
    where the kind has a page reader and the page is a plain one (a large file's read by worker
    processes first, `workers`), else record by record."""
    read_page = READERS.get(kind)
    for source in sources:
        stream, position = source.stream, 0
        if read_page is not None:  # a large file of pages: read by worker processes
            pieces = Pieces(kind, stream, progress)
            for decoded in pieces:
                yield source.name, position + 1, decoded
                position += decoded.count
            stream = pieces.rest
        rest = Resumed(b"", stream)
        try:
            for value, page in top_level_values(stream, read_page, progress) if read_page else ():
                if page is not None:
                    yield source.name, position + 1, page
                    position += page.count
                    continue
                for record in records(Resumed(value, io.BytesIO()).text(), start=position):
                    position += 1
                    yield source.name, position, record
        except Undelimited as undelimited:
            rest = undelimited.stream
        except MalformedJSON as error:  # msgspec found a whole value that json does not take
            raise ImportFailed(source.name, error.position, error.reason) from None
        try:
            for record in records(rest.text(), progress, start=position):
                position += 1
                yield source.name, position, record
        except MalformedJSON as error:
            raise ImportFailed(source.name, error.position, error.reason) from None
        source.records = position
