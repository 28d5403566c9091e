"""The demo's slots: evaluation slots that students open, a few a week while they work on
projects, half of the past ones booked by an evaluation; some open for the next two weeks."""

from __future__ import annotations

import numpy as np

from intragraph.ingest.demo.network import DAY, Array, Plan


def generate(
    plan: Plan, users: dict[str, Array], part: slice, first_id: int, rng: np.random.Generator
) -> dict[str, Array]:
    counts = users["rows"][part] // 4
    owner = np.repeat(np.arange(part.start, part.start + counts.size), counts)
    n = owner.size
    start, offset = users["start"][owner], users["offset"][owner]
    span = np.maximum(plan.until + 14 * DAY - start, DAY)
    day = start + (rng.random(n) ** 1.2 * span).astype(np.int64) // DAY * DAY
    begin = day + rng.integers(9, 21, n) * 3600 - offset
    end = begin + rng.integers(1, 5, n) * 1800
    created = np.minimum(begin - rng.integers(1, 14 * 24, n) * 3600, plan.until - 60)
    booked = (begin < plan.until) & (rng.random(n) < 0.5)
    ids = np.arange(first_id, first_id + n, dtype=np.int64)
    return {
        "id": ids,
        "user_id": users["id"][owner],
        "begin_at": (begin * 1_000_000).astype("datetime64[us]"),
        "end_at": (end * 1_000_000).astype("datetime64[us]"),
        "scale_team_id": np.array(
            [int(i) if b else None for i, b in zip(ids.tolist(), booked.tolist(), strict=True)],
            dtype=object,
        ),
        "created_at": (created * 1_000_000).astype("datetime64[us]"),
    }
