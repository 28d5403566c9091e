"""Loading a whole network of rows at once (the demo's), as one all-or-nothing change.

PostgreSQL takes it as one transaction: a transaction larger than memory spills to disk. DuckDB
holds the rows a transaction appends in memory until it commits, beyond its memory limit (some
75 bytes a row: 11.9 GiB at the peak of a 10M demo's 85M rows, which one transaction wrote).
So on DuckDB the rows go into shadow tables, one committed transaction per append, and one last
transaction swaps the shadows in for the tables (a DROP and a rename each: no rows move) and
brings the rollups up to date: nobody sees a half-loaded network, and a load that fails leaves
the tables as they were.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import numpy.typing as npt

from intragraph.store import writes
from intragraph.store.base import Store, Writer
from intragraph.store.tables import TABLES, Table

_SHADOW = "loading_"  # a shadow's name: the table's with this before it


class Load:
    """Appends rows to the data tables of one load."""

    def __init__(self, store: Store, writer: Writer | None) -> None:
        self._store, self._writer = store, writer

    def append(self, table: Table, columns: dict[str, npt.NDArray[Any]]) -> None:
        if self._writer is not None:
            writes.append(self._writer, table, columns)
            return
        shadow = dataclasses.replace(table, name=_SHADOW + table.name)
        with self._store.transaction() as writer:
            writer.insert(shadow, columns)


@contextmanager
def load(store: Store, replace: bool) -> Iterator[Load]:
    """A load into the data tables, kept only if the block ends without an exception; with
    `replace`, the rows already there are discarded."""
    if not store.dialect.stepwise_loads:
        with writes.transaction(store) as writer:
            if replace:
                for table in TABLES.values():
                    writes.clear(writer, table)
            yield Load(store, writer)
        return
    with store.transaction() as writer:
        for name in TABLES:
            # as the table is now (an upgraded one has its added columns last), with its rows
            # unless they are replaced
            writer.execute(f"DROP TABLE IF EXISTS {_SHADOW}{name}")
            kept = " WITH NO DATA" if replace else ""
            writer.execute(f"CREATE TABLE {_SHADOW}{name} AS SELECT * FROM {name}{kept}")
    try:
        yield Load(store, None)
        with writes.transaction(store) as writer:
            for name in TABLES:
                writer.execute(f"DROP TABLE {name}")
                writer.execute(f"ALTER TABLE {_SHADOW}{name} RENAME TO {name}")
                writer.touched.add(name)  # their rollups recomputed before the commit
    except BaseException:
        with suppress(Exception), store.transaction() as writer:  # the error is what counts
            for name in TABLES:
                writer.execute(f"DROP TABLE IF EXISTS {_SHADOW}{name}")
        raise
