"""Kept reads: the answers of reads that many requests make and only a write changes (the
rollups of a graph field, the sets of campuses of the users in several of some; on DuckDB the
data's version too), kept in this process until the engine says the data may have changed:
DuckDB at this process's next commit (no other process writes a file it holds open),
PostgreSQL when the data's version (`versions`, changed by every data transaction of any
worker) is another.

Kept arrays (a field's rollups) are made read-only: their callers share them, and narrow them
into arrays of their own."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

Rows = list[tuple[Any, ...]]
Arrays = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]
Answer = TypeVar("Answer", Rows, Arrays)
# bounds on what is kept, whatever the requests ask: an answer over ANSWER_BYTES is read again
# each time, and past BYTES or ANSWERS in all, every answer is forgotten. Arrays weigh their
# bytes (a field's hours over 13 years: 1.8 MB), rows ROW_BYTES each (tuples of a few values)
ANSWER_BYTES, BYTES, ANSWERS, ROW_BYTES = 16 << 20, 64 << 20, 256, 100


def weight(answer: Rows | Arrays) -> int:
    if isinstance(answer, tuple):
        return sum(array.nbytes for array in answer)
    return len(answer) * ROW_BYTES


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
        self.bytes = 0  # the kept answers' weight

    def forget(self) -> None:
        with self.lock:
            self._forget()

    def _forget(self) -> None:
        self.generation += 1
        self.kept.clear()
        self.bytes = 0

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
            heavy = weight(found)
            with self.lock:
                if self.generation == generation and heavy <= ANSWER_BYTES:
                    if len(self.kept) >= ANSWERS or self.bytes + heavy > BYTES:
                        self.kept.clear()  # not the generation: reads under way may keep theirs
                        self.bytes = 0
                    if key not in self.kept:  # another thread's read of it may have come first
                        self.kept[key] = found
                        self.bytes += heavy
        return found
