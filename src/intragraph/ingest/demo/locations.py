"""The demo's locations: login sessions in the clusters, three for each project a user works
on, on the days of their time at school, mostly in campus hours (busiest for the newcomers of
piscine months); sessions that run past `until` are still open (no end_at)."""

from __future__ import annotations

import numpy as np

from intragraph.ingest.demo.network import DAY, Array, Plan

SESSIONS_PER_PROJECT = 3


def generate(
    plan: Plan, users: dict[str, Array], part: slice, first_id: int, rng: np.random.Generator
) -> dict[str, Array]:
    counts = users["rows"][part] * SESSIONS_PER_PROJECT
    owner = np.repeat(np.arange(part.start, part.start + counts.size), counts)
    n = owner.size
    start, offset = users["start"][owner], users["offset"][owner]
    career = np.where(users["admitted"][owner], rng.uniform(1.0, 4.5, n) * 365, 28) * DAY
    span = np.maximum(np.minimum(career, plan.until - start), DAY)
    day = start + (rng.random(n) ** 1.5 * span).astype(np.int64) // DAY * DAY
    weekend = ((day // DAY + 3) % 7) >= 5  # 1970-01-01 was a Thursday
    moved = weekend & (rng.random(n) < 0.7)  # quieter weekends: to a weekday before
    day -= np.where(moved, (2 + rng.integers(0, 4, n)) * DAY, 0)
    hour = np.clip(rng.normal(13.0, 3.0, n), 7.0, 22.5)
    begin = day + (hour * 3600).astype(np.int64) - offset
    begin = np.minimum(np.maximum(begin, start), plan.until - 60)
    duration = np.minimum((rng.gamma(2.0, 1.5, n) * 3600).astype(np.int64) + 900, 12 * 3600)
    end = begin + duration
    seated = end > plan.until  # still logged in
    seconds = (begin * 1_000_000).astype("datetime64[us]")
    ends = np.where(seated, np.datetime64("NaT"), (end * 1_000_000).astype("datetime64[us]"))
    hosts = [
        f"c{c}r{r}p{p}"
        for c, r, p in zip(
            rng.integers(1, 4, n).tolist(),
            rng.integers(1, 14, n).tolist(),
            rng.integers(1, 25, n).tolist(),
            strict=True,
        )
    ]
    return {
        "id": np.arange(first_id, first_id + n, dtype=np.int64),
        "user_id": users["id"][owner],
        "begin_at": seconds,
        "end_at": ends,
        "is_primary": rng.random(n) < 0.97,
        "host": np.array(hosts, dtype=object),
        "campus_id": users["campus"][owner],
    }
