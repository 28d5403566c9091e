"""Pages of a large file decoded in worker processes, for `intragraph import`.

Reading a page into columns (`pages.py`, `columns.column_arrays`) is Python's work, some 5 µs a
record, and holds one core. Here the stream is cut into pieces of `PIECE` bytes at the last
place where one page plainly ends and the next begins (`]` then `[`, as `jsonstream._BETWEEN`),
and each piece goes to a worker process that reads its pages into the column arrays the import
stages, while this process stages the pieces read before. A piece the workers cannot read whole
as plain pages (a cut that fell inside a string, a record the page reader would not take, a bad
value, a worker lost) comes back as None: from there on the stream is read in this process as
before, by the readers that say exactly what is wrong and where. So the workers change how fast
a file is read, never what is read from it; tests/test_import.py holds the two to that.

A stream that ends within its first piece (any file under `PIECE` bytes) never starts them.
"""

from __future__ import annotations

import io
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy.typing as npt

from intragraph.errors import ImportFailed
from intragraph.ingest.columns import column_arrays
from intragraph.ingest.jsonstream import MalformedJSON, Resumed, Undelimited, top_level_values
from intragraph.ingest.pages import READERS
from intragraph.store.tables import TABLES

PIECE = 16 << 20
WORKERS = min(2, os.cpu_count() or 1)  # processes; 1: none, every page read here
_ENDS = (b"][", b"]\n[", b"]\r\n[")  # where one page of an array file ends and the next begins
_TAIL = 1 << 20  # bytes looked at first for the last of them


@dataclass
class Decoded:
    """`count` consecutive records: their rows of the import's own table as the arrays
    `columns.column_arrays` makes, and the objects they embed (the last copy of each)."""

    arrays: dict[str, npt.NDArray[Any]]
    embedded: dict[str, dict[Any, tuple[Any, ...]]]
    count: int


def decode(kind: str, data: bytes) -> Decoded | None:
    """The pages of `data`, every one plain, read into arrays; None for anything else. Runs in
    a worker process."""
    table, read_page = TABLES[kind], READERS[kind]
    columns: list[list[Any]] = [[] for _ in table.types]
    embedded: dict[str, dict[Any, tuple[Any, ...]]] = {}
    count = 0
    try:
        for _, page in top_level_values(io.BytesIO(data), read_page, lambda _: None):
            if page is None:
                return None
            for column, values in zip(columns, page.columns, strict=True):
                column.extend(values)
            for name, objects in page.embedded.items():
                embedded.setdefault(name, {}).update(objects)
            count += page.count
        return Decoded(column_arrays(table, columns), embedded, count)
    except (Undelimited, MalformedJSON, ImportFailed):
        return None


class Pieces:
    """The Decoded pieces of `stream`, in order; after them, `rest` reads the stream on from
    the first byte they did not hold."""

    def __init__(self, kind: str, stream: BinaryIO, progress: Callable[[int], None]) -> None:
        self.kind, self.rest, self.progress, self.workers = kind, stream, progress, WORKERS

    def __iter__(self) -> Iterator[Decoded]:
        stream = self.rest
        first = stream.read(PIECE)
        if len(first) < PIECE or self.workers < 2 or not first.lstrip().startswith(b"["):
            self.rest = _resumed(first, stream)  # small (or not pages): read here, as before
            return
        # spawned, not forked: this process has DuckDB's or psycopg's threads running
        context = multiprocessing.get_context("spawn")
        pending: deque[tuple[Future[Decoded | None], bytes]] = deque()
        carried, eof, stuck = first, False, False
        pool = ProcessPoolExecutor(self.workers, mp_context=context)
        try:
            while True:
                while not (eof or stuck) and len(pending) <= self.workers:
                    piece, carried, eof = _cut(carried, stream)
                    if piece:
                        pending.append((pool.submit(decode, self.kind, piece), piece))
                    # no page ends for that long (not pages after all): read here
                    stuck = len(carried) > 4 * PIECE
                if not pending:
                    break
                future, piece = pending.popleft()
                try:
                    decoded = future.result()
                except Exception:  # a worker lost: this process reads it instead
                    decoded = None
                if decoded is None:
                    unread = b"".join([piece, *(p for _, p in pending), carried])
                    self.rest = _resumed(unread, stream)
                    return
                self.progress(len(piece))
                yield decoded
            self.rest = _resumed(carried, stream)
        finally:  # pieces not begun are dropped (read here, or never wanted)
            pool.shutdown(wait=True, cancel_futures=True)


def _resumed(head: bytes, stream: BinaryIO) -> BinaryIO:
    return io.BufferedReader(Resumed(head, stream))


def _cut(carried: bytes, stream: BinaryIO) -> tuple[bytes, bytes, bool]:
    """The next piece (up to where its last page ends), what follows it, and whether the
    stream has ended: at its end, the whole rest is the piece."""
    data = carried + stream.read(PIECE)
    if len(data) == len(carried):  # the end
        return data, b"", True
    end = _last_end(data)
    if end <= 0:  # one page longer than the piece: read on
        return b"", data, False
    return data[: end + 1], data[end + 1 :], False


def _last_end(data: bytes) -> int:
    """Where the last page of `data` ends (its `]`), -1 for nowhere. Looked for in the tail
    first: a page ends every few KiB, and a search of the whole piece for the two endings a
    file does not use cost ~45 ms a piece (1.4 s for a million records)."""
    window = _TAIL
    while True:
        start = max(0, len(data) - window)
        end = max(data.rfind(between, start) for between in _ENDS)
        if end >= 0 or start == 0:
            return end
        window *= 2
