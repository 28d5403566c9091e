"""api/batches.py: requests that arrive while a batch runs wait for the next one, each batch
starts after all of its requests arrived, and each request gets its own answer or error."""

from __future__ import annotations

import asyncio
import threading

import pytest

from intragraph.api.batches import Batched
from intragraph.errors import TooManyRequests, Unavailable


def test_a_batch_holds_every_request_that_waited_for_it() -> None:
    batches: list[list[int]] = []
    started = threading.Event()
    release = threading.Event()

    def run(items: list[int]) -> list[int | BaseException]:
        batches.append(items)
        if len(batches) == 1:  # the first batch is under way while the others arrive
            started.set()
            release.wait(5)
        return [item * 10 if item != 4 else TooManyRequests("no") for item in items]

    batched: Batched[int, int] = Batched(run)

    async def main() -> list[int | BaseException]:
        first = asyncio.ensure_future(batched(1))
        await asyncio.to_thread(started.wait, 5)
        later = [asyncio.ensure_future(batched(n)) for n in (2, 3, 4)]
        await asyncio.sleep(0.05)  # all three queued behind the running batch
        release.set()
        return await asyncio.gather(first, *later, return_exceptions=True)

    answers = asyncio.run(main())
    assert batches == [[1], [2, 3, 4]]
    assert answers[:3] == [10, 20, 30] and isinstance(answers[3], TooManyRequests)


def test_a_failed_batch_fails_each_of_its_requests_and_the_next_runs() -> None:
    calls = 0

    def run(items: list[int]) -> list[int]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise Unavailable("the database is down")
        return items

    batched: Batched[int, int] = Batched(run)

    async def main() -> int:
        with pytest.raises(Unavailable):
            await batched(1)
        return await batched(2)

    assert asyncio.run(main()) == 2
