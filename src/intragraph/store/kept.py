"""Kept reads: the answers of reads that many requests make and only a write changes (a
field's first day, the sets of campuses of the users in several of some; on DuckDB the data's
version too), kept in this process until the engine says the data may have changed: DuckDB at
this process's next commit (no other process writes a file it holds open), PostgreSQL when the
data's version (`versions`, changed by every data transaction of any worker) is another.

Kept arrays (a field's day rollups) are made read-only: their callers share them, and narrow
them into arrays of their own."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

Rows = list[tuple[Any, ...]]
Arrays = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]
Answer = TypeVar("Answer", Rows, Arrays)
# bounds on what is kept: a longer answer is read again each time (rows as tuples; arrays, 16
# bytes a row), and past that many answers they are all forgotten (memory, whatever the
# requests ask)
ROWS, ARRAY_ROWS = 10_000, 100_000
ANSWERS = 256


def rows(answer: Rows | Arrays) -> tuple[int, int]:
    """An answer's rows and the most of them kept."""
    if isinstance(answer, tuple):
        return len(answer[0]), ARRAY_ROWS
    return len(answer), ROWS


def frozen(arrays: Arrays) -> Arrays:
    for array in arrays:
        array.flags.writeable = False
    return arrays


class KeptReads:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.generation = 0  # raised whenever they are forgotten: a read begun before is not kept
        self.since: Hashable = None  # what the answers were read at (PostgreSQL: the version)
        self.kept: dict[tuple[Any, ...], Any] = {}

    def forget(self) -> None:
        with self.lock:
            self._forget()

    def _forget(self) -> None:
        self.generation += 1
        self.kept.clear()

    def read(
        self, key: tuple[Any, ...], fetch: Callable[[], Answer], since: Hashable = None
    ) -> Answer:
        """The answer kept for `key`, else `fetch()`'s, kept unless they were forgotten while
        it ran. A `since` other than theirs forgets them first."""
        with self.lock:
            if since != self.since:
                self.since = since
                self._forget()
            found: Answer | None = self.kept.get(key)
            generation = self.generation
        if found is None:
            found = fetch()
            length, most = rows(found)
            with self.lock:
                if self.generation == generation and length <= most:
                    if len(self.kept) >= ANSWERS:
                        self.kept.clear()
                    self.kept[key] = found
        return found
