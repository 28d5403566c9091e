"""A columnar copy of a PostgreSQL database's data inside an API worker (DuckDB, in memory or
in a file of its own), which answers graphs while it holds the data's current version
(INTRAGRAPH_COLUMNAR_COPY).

PostgreSQL reads a filtered graph's rows one by one (a bitmap heap scan, then a hash of them):
about as slow as the real API on millions of rows. DuckDB counts the same rows from columns,
tens of times faster (bench/README.md). The copy is never stale: a request's answer comes from
the copy only when the copy's data version is the one the request read (`reader`); otherwise
from PostgreSQL, while the copy catches up in a thread of its own. A refresh reads the tables
whose own version changed (`versions.bump`) in one REPEATABLE READ snapshot, with the data
version it holds, and loads them in one DuckDB transaction whose rollups are recomputed there:
readers see the old copy until it commits.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from intragraph.store import schema, versions, writes
from intragraph.store.base import Store
from intragraph.store.duckdb import DIALECT, DuckDBStore
from intragraph.store.tables import TABLES

log = logging.getLogger("intragraph.copy")

MEMORY = "memory"  # the setting's value for a copy in memory


@dataclass(frozen=True)
class Refreshed:
    """What one refresh did: the tables it copied, their rows, and how long it took."""

    tables: tuple[str, ...]
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
        self.last: Refreshed | None = None
        self._tables: dict[str, int] = {}  # the tables' own versions it holds
        self._refreshing = threading.Lock()

    def reader(self, version: int) -> Store:
        """The store that answers a request that read data `version`: the copy when it holds
        that version, else PostgreSQL (and the copy starts catching up)."""
        if version == self.version:
            return self.store
        self.start()
        return self.source

    def start(self) -> None:
        """Refresh in a thread of its own, unless a refresh is running."""
        if not self._refreshing.locked():
            # a daemon: a server that stops does not wait for a copy it will not use
            threading.Thread(
                target=self._refresh_quietly, name="intragraph-copy", daemon=True
            ).start()

    def _refresh_quietly(self) -> None:
        if not self._refreshing.acquire(blocking=False):
            return
        try:
            self._refresh()
        except Exception as error:  # the next request that finds it behind tries again
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
        with tempfile.TemporaryDirectory(prefix="intragraph-copy-csv-") as folder:
            with self.source.snapshot() as view:
                version = int(view.fetch(f"SELECT n FROM {versions.TABLE}")[0][0])
                if version == self.version:
                    return None
                found = dict(view.fetch(f"SELECT name, n FROM {versions.TABLES}"))
                stale = [
                    name
                    for name in TABLES
                    if self.version is None or found.get(name) != self._tables.get(name)
                ]
                for name in stale:
                    listed = ", ".join(TABLES[name].columns)
                    view.copy_out(f"SELECT {listed} FROM {name}", Path(folder) / f"{name}.csv")
            rows = self._load(stale, Path(folder))
        self.version, self._tables = version, found
        self.last = Refreshed(tuple(stale), rows, time.perf_counter() - started)
        log.info(
            "columnar copy at version %d: %d tables, %d rows in %.1f s",
            version,
            len(stale),
            rows,
            self.last.seconds,
        )
        return self.last

    def _load(self, names: list[str], folder: Path) -> int:
        """The CSV files of `names` in place of those tables' rows, in one transaction."""
        rows = 0
        with writes.transaction(self.store, versioned=False) as writer:
            for name in names:
                table = TABLES[name]
                listed = ", ".join(table.columns)
                # TIMESTAMPTZ reads the text's offset; the column (UTC TIMESTAMP) takes it in UTC
                types = {
                    column: "TIMESTAMPTZ" if kind == "timestamp" else DIALECT.types[kind]
                    for column, kind in table.types.items()
                }
                writer.execute(f"DELETE FROM {name}")
                writer.execute(
                    f"INSERT INTO {name} ({listed}) SELECT {listed} FROM read_csv(?, "
                    "header = false, auto_detect = false, allow_quoted_nulls = false, "
                    f"columns = {_struct(types)})",
                    [str(folder / f"{name}.csv")],
                )
                rows += int(writer.execute(f"SELECT count(*) FROM {name}")[0][0])
                writer.touched.add(name)  # its rollups recomputed in the copy
        return rows

    def close(self) -> None:
        if self._refreshing.acquire(timeout=1):  # else left to the process's end
            self.store.close()
            if self._folder is not None:
                self._folder.cleanup()


def _struct(types: dict[str, str]) -> str:
    """A DuckDB struct literal of column names and types (names from `tables.py`, never from
    a request)."""
    return "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in types.items()) + "}"
