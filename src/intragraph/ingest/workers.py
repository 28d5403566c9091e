"""Pages of a large file decoded in worker processes, for `intragraph import`.

Reading a page into columns (`pages.py`, `columns.column_arrays`) is Python's work, some 5 µs a
record, and holds one core. Here the stream is cut into pieces of `PIECE` bytes at the last
place where one page plainly ends and the next begins (`]` then `[`, as `jsonstream._BETWEEN`),
and each piece goes to a worker process that reads its pages into the column arrays the import
stages, while this process stages the pieces read before. A regular file is cut where it lies
(`_FileCuts`: only the bytes around each cut are read here) and each worker reads its own span
of it; a stream (standard input) is read here and its pieces sent to the workers
(`_StreamCuts`). A piece the workers cannot read whole as plain pages (a cut that fell inside a
string, a record the page reader would not take, a bad value, a worker lost) comes back as
None: from there on the stream is read in this process as before, by the readers that say
exactly what is wrong and where. So the workers change how fast a file is read, never what is
read from it; tests/test_import.py holds the two to that.

A stream that ends within its first piece (any file under `PIECE` bytes) never starts them.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import re
import stat
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, BinaryIO, TypeVar

import numpy.typing as npt

from intragraph.errors import ImportFailed
from intragraph.ingest.columns import column_arrays
from intragraph.ingest.jsonstream import MalformedJSON, Resumed, Undelimited, top_level_values
from intragraph.ingest.pages import READERS
from intragraph.store.tables import TABLES

PIECE = 16 << 20
WORKERS = min(2, os.cpu_count() or 1)  # processes; 1: none, every page read here
_ENDS = (b"][", b"]\n[", b"]\r\n[")  # where one page of an array file ends and the next begins
_BOUNDARY = re.compile(b"|".join(re.escape(end) for end in _ENDS))
_TAIL = 1 << 20  # bytes looked at first for the last of them
T = TypeVar("T")


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
        for page in _pages(data, read_page):
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


def _pages(data: bytes, read: Callable[[bytes], T | None]) -> Iterator[T | None]:
    """What `read` makes of each top-level value of `data`. Cut first where one page plainly
    ends and the next begins (`_BOUNDARY`, a regular expression: 5 ms a piece where
    `jsonstream.top_level_values`' search took 13): outside strings, JSON has no `]` then `[`
    but between two top-level values, so a cut inside a string leaves a slice that does not
    decode whole, and the slices that do are the values. From the first slice that does not
    (or that `read` would not take), `top_level_values` reads on, as exactly as ever."""
    at = 0
    for boundary in _BOUNDARY.finditer(data):
        value = read(data[at : boundary.start() + 1])
        if value is None:
            break
        yield value
        at = boundary.end() - 1
    else:
        value = read(data[at:])
        if value is not None:
            yield value
            return
    for _, value in top_level_values(io.BytesIO(data[at:]), read, lambda _: None):
        yield value


@dataclass(frozen=True)
class Span:
    """Bytes `start` to `end` of a regular file, which a worker reads itself: the file is read
    once, by the workers, not here and again through a pipe. `identity` (device, inode) is the
    file's as this process opened it; a worker meeting another file there reads nothing."""

    path: str
    identity: tuple[int, int]
    start: int
    end: int

    def __len__(self) -> int:
        return self.end - self.start

    def read(self) -> bytes | None:
        with open(self.path, "rb") as file:
            found = os.fstat(file.fileno())
            if (found.st_dev, found.st_ino) != self.identity:
                return None
            file.seek(self.start)
            data = file.read(len(self))
        return data if len(data) == len(self) else None


Piece = bytes | Span


def decode_piece(kind: str, piece: Piece) -> Decoded | None:
    """`decode` of a piece's bytes, read from its file first for a Span. In a worker."""
    data = piece.read() if isinstance(piece, Span) else piece
    return None if data is None else decode(kind, data)


class Pieces:
    """The Decoded pieces of `stream`, in order; after them, `rest` reads the stream on from
    the first byte they did not hold."""

    def __init__(self, kind: str, stream: BinaryIO, progress: Callable[[int], None]) -> None:
        self.kind, self.rest, self.progress, self.workers = kind, stream, progress, WORKERS

    def __iter__(self) -> Iterator[Decoded]:
        cuts = _FileCuts.of(self.rest) or _StreamCuts(self.rest)
        if self.workers < 2 or not cuts.worth_it():
            self.rest = cuts.resume([])  # small (or not pages): read here, as before
            return
        # spawned, not forked: this process has DuckDB's or psycopg's threads running
        context = multiprocessing.get_context("spawn")
        pending: deque[tuple[Future[Decoded | None], Piece]] = deque()
        pool = ProcessPoolExecutor(self.workers, mp_context=context)
        try:
            while True:
                while not (cuts.ended or cuts.stuck) and len(pending) <= self.workers:
                    piece = cuts.cut()
                    if piece:
                        pending.append((pool.submit(decode_piece, self.kind, piece), piece))
                if not pending:
                    break
                future, piece = pending.popleft()
                try:
                    decoded = future.result()
                except Exception:  # a worker lost: this process reads it instead
                    decoded = None
                if decoded is None:
                    self.rest = cuts.resume([piece, *(p for _, p in pending)])
                    return
                self.progress(len(piece))
                yield decoded
            self.rest = cuts.resume([])
        finally:  # pieces not begun are dropped (read here, or never wanted)
            pool.shutdown(wait=True, cancel_futures=True)


class _StreamCuts:
    """Pieces of a stream (standard input, a pipe) read here, each sent to a worker whole."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream, self.carried = stream, stream.read(PIECE)
        self.ended = self.stuck = False

    def worth_it(self) -> bool:
        return len(self.carried) == PIECE and self.carried.lstrip().startswith(b"[")

    def cut(self) -> bytes:
        """The next piece (up to where its last page ends); at the end, the whole rest."""
        data = self.carried + self.stream.read(PIECE)
        self.ended = len(data) == len(self.carried)
        end = len(data) - 1 if self.ended else _last_end(data)
        if not self.ended and end <= 0:  # one page longer than the piece: read on
            end = -1
        self.carried = data[end + 1 :]
        self.stuck = len(self.carried) > 4 * PIECE  # no page ends for that long: not pages
        return data[: end + 1]

    def resume(self, unread: list[Piece]) -> BinaryIO:
        """The stream from the first byte of `unread` (pieces in order; none: from the first
        byte not cut)."""
        head = b"".join([*(p for p in unread if isinstance(p, bytes)), self.carried])
        return io.BufferedReader(Resumed(head, self.stream))


class _FileCuts:
    """Pieces of a regular file, as Spans: only where each ends is read here."""

    def __init__(self, stream: BinaryIO, path: str, identity: tuple[int, int], at: int) -> None:
        self.stream, self.path, self.identity = stream, path, identity
        self.at, self.size = at, os.fstat(stream.fileno()).st_size
        self.ended = self.stuck = False

    @classmethod
    def of(cls, stream: BinaryIO) -> _FileCuts | None:
        """For a stream that is a regular file, opened by name (not standard input)."""
        try:
            name, found, at = stream.name, os.fstat(stream.fileno()), stream.tell()
        except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
            return None
        identity = (found.st_dev, found.st_ino)
        try:  # the name must still be this file's: not "<stdin>", nor a file since replaced
            named = os.stat(name) if isinstance(name, str) else None
        except OSError:
            return None
        if (
            named is None
            or not stat.S_ISREG(found.st_mode)
            or (named.st_dev, named.st_ino) != identity
        ):
            return None
        return cls(stream, os.path.abspath(name), identity, at)

    def _read(self, start: int, end: int) -> bytes:
        return os.pread(self.stream.fileno(), end - start, start)

    def worth_it(self) -> bool:
        return (
            self.size - self.at > PIECE and self._read(self.at, self.at + 4096).lstrip()[:1] == b"["
        )

    def cut(self) -> Span | None:
        """The next piece (up to where its last page ends); at the end, the whole rest."""
        start = limit = self.at
        while True:
            limit = min(limit + PIECE, self.size)
            if limit == self.size:  # the end
                self.ended, end = True, limit - 1
                break
            end = _last_end_in(self._read, start, limit)
            if end > start:
                break
            if limit - start > 4 * PIECE:  # no page ends for that long: not pages, read here
                self.stuck = True
                return None
        self.at = end + 1
        return Span(self.path, self.identity, start, end + 1)

    def resume(self, unread: list[Piece]) -> BinaryIO:
        """The file from the first byte of `unread`, or of what was not cut."""
        self.stream.seek(unread[0].start if unread and isinstance(unread[0], Span) else self.at)
        return self.stream


def _last_end(data: bytes) -> int:
    """Where the last page of `data` ends (its `]`), -1 for nowhere."""
    return _last_end_in(lambda start, stop: data[start:stop], 0, len(data))


def _last_end_in(read: Callable[[int, int], bytes], start: int, stop: int) -> int:
    """Where the last page in bytes `start` to `stop` ends (its `]`, counted from 0), -1 for
    nowhere; `read(a, b)` gives bytes a to b (of a piece in memory, or of a file). Looked for
    in the tail first, then twice as much, and so on: a page ends every few KiB, and a search
    of the whole piece for the two endings a file does not use cost ~45 ms a piece (1.4 s for
    a million records)."""
    window = _TAIL
    while True:
        begin = max(start, stop - window)
        tail = read(begin, stop)
        end = max(tail.rfind(between) for between in _ENDS)
        if end >= 0:
            return begin + end
        if begin == start:
            return -1
        window *= 2
