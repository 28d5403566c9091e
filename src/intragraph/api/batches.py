"""Batches of blocking calls: requests that need the same kind of I/O (the data's version, a
rate-limit count in Redis) while one batch is under way wait for the next, and each batch is
one call in a worker thread. Under load, a hundred requests cost one thread hand-over and one
round trip instead of a hundred of each; alone, a request costs what it did.

For reads, a batch starts after every request in it arrived, so that each sees what a read of
its own would have seen (a write that completed before a request arrived is in its answer).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import anyio
import anyio.to_thread

Item = TypeVar("Item")
Result = TypeVar("Result")


class Batched(Generic[Item, Result]):
    """`await batched(item)`: the result that `run(items)` gives for the item, where `run`
    answers a whole batch in order, each answer a result or the exception for that item."""

    def __init__(self, run: Callable[[list[Item]], Sequence[Result | BaseException]]) -> None:
        self._run = run
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._running = False
        self._limiter = anyio.CapacityLimiter(1)  # one batch at a time, as _drain runs them

    async def __call__(self, item: Item) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if not self._running:
            self._running = True
            asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    # a thread of its own: never queued behind the counts that fill the pool
                    answers = await anyio.to_thread.run_sync(
                        self._run, [item for item, _ in batch], limiter=self._limiter
                    )
                except Exception as error:  # the whole batch failed (the service is down)
                    answers = [error] * len(batch)
                except BaseException:  # cancelled (the server stops): no request left waiting
                    for _, future in batch + self._waiting:
                        future.cancel()
                    raise
                for (_, future), answer in zip(batch, answers, strict=True):
                    if future.done():  # its request was cancelled (the client left)
                        continue
                    if isinstance(answer, BaseException):
                        future.set_exception(answer)
                    else:
                        future.set_result(answer)
        finally:
            self._running = False
