"""A database that does not answer yet when the server starts (containers start in any order):
the server starts all the same, answers 503 naming the database, and opens it (schema checks
included) at the first use after it answers, trying at most once a second."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, suppress
from typing import Any

from intragraph.conditions import Value
from intragraph.errors import ConfigError, Unavailable
from intragraph.store.base import Ints, Snapshot, Store, Writer

_EVERY = 1.0  # seconds between two attempts


class Unreachable(ConfigError):
    """The database did not answer (nothing listens there yet, or it is starting up); unlike
    other configuration errors, waiting may cure it."""


class AwaitedStore(Store):
    def __init__(self, opener: Callable[[], Store], like: type[Store], label: str) -> None:
        self._opener, self._opened = opener, None  # type: tuple[Callable[[], Store], Store | None]
        self.placeholder, self.dialect, self.label = like.placeholder, like.dialect, label
        self._tried = 0.0
        self._lock = threading.Lock()

    def _store(self) -> Store:
        opened = self._opened
        if opened is not None:
            return opened
        # one thread tries (a connection attempt may take the pool timeout); the others answer
        # 503 at once rather than queue behind it
        if self._lock.acquire(blocking=False):
            try:
                if self._opened is None and time.monotonic() - self._tried >= _EVERY:
                    with suppress(Unreachable, Unavailable):
                        self._opened = self._opener()
                    self._tried = time.monotonic()
            finally:
                self._lock.release()
        if self._opened is None:
            raise Unavailable(f"the database {self.label} is not reachable yet; try again")
        return self._opened

    def granule_sql(self, column: str, size: int) -> tuple[str, list[Value]]:
        return self._store().granule_sql(column, size)

    def fetch(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        return self._store().fetch(sql, params)

    def fetch_small(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        return self._store().fetch_small(sql, params)

    def fetch_kept(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        return self._store().fetch_kept(sql, params)

    def fetch_arrays(self, sql: str, params: Sequence[Any]) -> tuple[Ints, Ints]:
        return self._store().fetch_arrays(sql, params)

    def fetch_kept_arrays(self, sql: str, params: Sequence[Any]) -> tuple[Ints, Ints]:
        return self._store().fetch_kept_arrays(sql, params)

    def _transaction(self) -> AbstractContextManager[Writer]:
        return self._store()._transaction()

    def snapshot(self) -> AbstractContextManager[Snapshot]:
        return self._store().snapshot()

    def close(self) -> None:
        if self._opened is not None:
            self._opened.close()
