"""Where an endpoint's answer comes from: the worker's memory, on the event loop; else Redis, in
one batch with every request that asks at the same time (one MGET, one thread hand-over); else
a count, on one of the worker's counting threads (INTRAGRAPH_COUNT_THREADS).

The counting threads are a pool of their own, whose threads take the next count as soon as they
are free. Behind an anyio limiter of as many threads, a place was freed only when the event loop
came round to the finished count (under load a turn of the loop takes 100-150 ms: it answers
every request that is ready), and counts of 20-30 ms waited 0.5-1.5 s for a thread; on anyio's
default forty threads, the threads' contention for Python's lock slowed every answer
(bench/README.md).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any

from intragraph.cache import Answer
from intragraph.conditions import GraphQuery, ListQuery


async def answer(
    state: Any,
    query: GraphQuery | ListQuery,
    now: dt.datetime,
    version: int,
    count: Callable[[], Answer],
    base: str = "",
) -> Answer:
    """The answer to `query` at `now` on data `version`; `count()` gets it through the
    cache (counted, or found counted by another thread meanwhile) on a counting thread."""
    cache = state.cache
    found: Answer | None = cache.memorized(query, now, version, base)
    if found is None and cache.shared:
        found = await state.recall((query, now, version, base))
    if found is None:
        found = await asyncio.get_running_loop().run_in_executor(state.counting, count)
    return found
