"""A columnar copy of a PostgreSQL database's data inside an API worker (DuckDB, in memory or
in a file of its own), which answers graphs while it holds the data's current version
(INTRAGRAPH_COLUMNAR_COPY).

PostgreSQL reads a filtered graph's rows one by one (a bitmap heap scan, then a hash of them):
about as slow as the real API on millions of rows. DuckDB counts the same rows from columns,
tens of times faster (bench/README.md). The copy is never stale: a request's answer comes from
the copy only when the copy's data version is the one the request read (`reader`); otherwise
from PostgreSQL, while the copy catches up in a thread of its own. A refresh reads, in one
REPEATABLE READ snapshot, the data version and what changed since the copy's last one
(`versions.bump`): the rows of the ids small merges changed, the tables other writes rewrote;
then it loads them in one DuckDB transaction, which recomputes those tables' rollups there.
Readers see the copy as it was until that transaction commits.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import tempfile
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

from intragraph.store import schema, versions, writes
from intragraph.store.base import Snapshot, Store
from intragraph.store.duckdb import DuckDBStore, read_csv
from intragraph.store.tables import TABLES

log = logging.getLogger("intragraph.copy")

MEMORY = "memory"  # the setting's value for a copy in memory
RETRY = 5.0  # seconds between two attempts to refresh while refreshing fails


@dataclass(frozen=True)
class Refreshed:
    """What one refresh did: the tables it took whole, those it took rows of, the rows it
    loaded, and how long it took."""

    tables: tuple[str, ...]
    parts: tuple[str, ...]
    rows: int
    seconds: float


class ColumnarCopy:
    def __init__(self, source: Store, where: str = MEMORY) -> None:
        """A copy of `source` (PostgreSQL), kept in memory or in a new file under the folder
        `where`; empty until the first refresh."""
        self.source = source
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        path = Path(":memory:")
        if where != MEMORY:
            Path(where).mkdir(parents=True, exist_ok=True)
            self._folder = tempfile.TemporaryDirectory(prefix="intragraph-copy-", dir=where)
            path = Path(self._folder.name) / "copy.duckdb"
        self.store = DuckDBStore(path)
        schema.ensure(self.store)
        self.version: int | None = None  # the data version the copy holds, once it holds one
        self.serial: int | None = None  # and the serial of the last transaction it holds
        self.last: Refreshed | None = None
        self._refreshing = threading.Lock()
        self._retry_at = 0.0  # after a failed refresh, the next is not tried before then

    def reader(self, version: int) -> Store:
        """The store that answers a request that read data `version`: the copy when it holds
        that version, else PostgreSQL (and the copy starts catching up)."""
        if version == self.version:
            return self.store
        self.start()
        return self.source

    def start(self) -> None:
        """Refresh in a thread of its own, unless a refresh is running or one failed less
        than `RETRY` seconds ago."""
        if not self._refreshing.locked() and time.monotonic() >= self._retry_at:
            # a daemon: a server that stops does not wait for a copy it will not use
            threading.Thread(
                target=self._refresh_quietly, name="intragraph-copy", daemon=True
            ).start()

    def _refresh_quietly(self) -> None:
        if not self._refreshing.acquire(blocking=False):
            return
        try:
            self._refresh()
        except Exception as error:  # a request that finds it behind later tries again
            self._retry_at = time.monotonic() + RETRY
            log.warning("the columnar copy could not be refreshed: %s", error)
        finally:
            self._refreshing.release()

    def refresh(self) -> Refreshed | None:
        """Bring the copy to the database's current version now (a refresh already running
        is waited for); None when it held that version already."""
        with self._refreshing:
            return self._refresh()

    def _refresh(self) -> Refreshed | None:
        started = time.perf_counter()
        beside = None if self._folder is None else self._folder.name  # the CSV files
        with (
            tempfile.TemporaryDirectory(prefix="intragraph-copy-csv-", dir=beside) as name,
            self.source.snapshot() as view,
        ):
            version, serial = view.fetch(f"SELECT n, serial FROM {versions.TABLE}")[0]
            if version == self.version:
                return None
            whole, changed = self._changes(view, int(serial))
            # closed at once if the load fails: its writer thread ends before the snapshot
            with contextlib.closing(
                _export(view, whole, changed, Path(name), self.source.placeholder)
            ) as exported:
                rows = self._load(exported, changed)
        self.version, self.serial = int(version), int(serial)
        self.last = Refreshed(tuple(whole), tuple(changed), rows, time.perf_counter() - started)
        log.info(
            "columnar copy at version %d: %d tables whole, %d in part, %d rows in %.1f s",
            version,
            len(whole),
            len(changed),
            rows,
            self.last.seconds,
        )
        return self.last

    def _changes(self, view: Snapshot, serial: int) -> tuple[list[str], dict[str, list[int]]]:
        """What changed since the copy's serial: the tables to take whole, and the ids of rows
        of others (the changes of transactions no longer kept: every table whole)."""
        held = self.serial
        if held is None or serial - held > versions.KEPT:
            return list(TABLES), {}
        marks = self.source.placeholder
        rewritten = {
            name
            for (name,) in view.fetch(
                f"SELECT name FROM {versions.WHOLE} WHERE whole > {marks}", [held]
            )
        }
        changed: dict[str, list[int]] = {}
        for name, id_ in view.fetch(
            f"SELECT DISTINCT name, id FROM {versions.CHANGES} WHERE serial > {marks}", [held]
        ):
            if name not in rewritten:
                changed.setdefault(name, []).append(int(id_))
        return [name for name in TABLES if name in rewritten], changed

    def _load(self, exported: Iterator[tuple[str, Path]], changed: dict[str, list[int]]) -> int:
        """Each exported CSV file in place of its table, or of its rows `changed`, all in one
        transaction; returns the rows loaded."""
        rows = 0
        with writes.transaction(self.store, versioned=False) as writer:
            for name, path in exported:
                table = TABLES[name]
                listed = ", ".join(table.columns)
                if name in changed:
                    # a relation of the ids: a hash join, however many there are
                    writer.execute(
                        f"DELETE FROM {name} WHERE id IN (SELECT unnest(?::BIGINT[]))",
                        [changed[name]],
                    )
                else:
                    writer.execute(f"DELETE FROM {name}")
                rows += writer.execute(
                    f"INSERT INTO {name} ({listed}) SELECT {listed} FROM {read_csv(table.types)}",
                    [str(path)],
                )[0][0]
                path.unlink()
                writer.touched.add(name)  # its rollups recomputed in the copy
        return int(rows)

    def close(self) -> None:
        if self._refreshing.acquire(timeout=1):  # else left to the process's end
            self.store.close()
            if self._folder is not None:
                self._folder.cleanup()


def _export(
    view: Snapshot,
    whole: list[str],
    changed: dict[str, list[int]],
    folder: Path,
    marks: str,
) -> Generator[tuple[str, Path]]:
    """The CSV files of the tables `whole` and of the rows of the ids `changed`, as they are
    written: PostgreSQL writes the next while DuckDB reads the last (a thread of its
    own), and no more than two wait on disk."""
    ready: queue.Queue[tuple[str, Path] | BaseException | None] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def write() -> None:
        try:
            for name in [*whole, *changed]:
                if stop.is_set():
                    return
                path, listed = folder / f"{name}.csv", ", ".join(TABLES[name].columns)
                if name in changed:  # the ids `_changes` read, in the same snapshot
                    view.copy_out(
                        f"SELECT {listed} FROM {name} WHERE id = ANY({marks})",
                        path,
                        [changed[name]],
                    )
                else:
                    view.copy_out(f"SELECT {listed} FROM {name}", path)
                ready.put((name, path))
            ready.put(None)
        except BaseException as error:  # handed to the reader, which raises it
            ready.put(error)

    writer = threading.Thread(target=write, name="intragraph-copy-export", daemon=True)
    writer.start()
    try:
        while (item := ready.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:  # the reader failed or stopped early: let the writer end before the snapshot does
        stop.set()
        while writer.is_alive():
            with contextlib.suppress(queue.Empty):
                ready.get(timeout=0.1)
