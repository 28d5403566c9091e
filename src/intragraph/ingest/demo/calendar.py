"""The demo's calendar: events and exams of every campus, from its opening to two months past
`until` (some are still to come), at local campus hours. One event a hundred projects_users and
one exam two hundred, so their numbers follow the network's size."""

from __future__ import annotations

import numpy as np

from intragraph.ingest.demo.network import CAMPUSES, DAY, Array, Plan, epoch

KINDS = ("event", "association", "conference", "meet_up", "hackathon", "workshop", "atelier")
EXAMS = ("Exam Rank 02", "Exam Rank 03", "Exam Rank 04", "Exam Rank 05", "Exam Rank 06")
_AHEAD = 60 * DAY  # how far past `until` the calendar runs


def _when(plan: Plan, count: int, rng: np.random.Generator) -> tuple[Array, Array, Array]:
    """Campus, start (local hour in campus time, as UTC seconds) and UTC offset of `count`
    happenings, spread over the campuses in proportion to their size since they opened."""
    ids = np.array([c[0] for c in CAMPUSES])
    opened = np.array([epoch(c[1], 7) for c in CAMPUSES])
    weight = np.array([c[3] for c in CAMPUSES], dtype=float) * np.maximum(
        plan.until + _AHEAD - opened, 0
    )
    chosen = rng.choice(ids.size, size=count, p=weight / weight.sum())
    first, last = opened[chosen], plan.until + _AHEAD
    day = first + (rng.random(count) * (last - first)).astype(np.int64) // DAY * DAY
    offset = np.array([c[2] for c in CAMPUSES])[chosen] * 3600
    return ids[chosen], day - offset, offset


def _stamps(seconds: Array) -> Array:
    return (seconds * 1_000_000).astype("datetime64[us]")


def events(plan: Plan) -> dict[str, Array]:
    rng = np.random.default_rng([plan.seed, 4])
    count = max(10, plan.rows // 100)
    campus, day, _ = _when(plan, count, rng)
    begin = day + rng.choice([10, 14, 16, 18], count) * 3600
    end = begin + rng.choice([1, 2, 3, 8], count) * 3600
    created = np.minimum(begin - rng.integers(3, 40, count) * DAY, plan.until - 3600)
    kind = np.array(KINDS, dtype=object)[rng.integers(0, len(KINDS), count)]
    max_people = rng.choice([20, 40, 80, 150], count)
    limited = rng.random(count) < 0.7
    return {
        "id": np.arange(1, count + 1, dtype=np.int64),
        "begin_at": _stamps(begin),
        "end_at": _stamps(end),
        "name": np.array(
            [f"{k.replace('_', ' ').title()} #{i}" for i, k in enumerate(kind, 1)], dtype=object
        ),
        "description": np.full(count, None, dtype=object),
        "location": np.array([f"campus {c}" for c in campus.tolist()], dtype=object),
        "kind": kind,
        "max_people": np.where(limited, max_people, 0).astype(object),
        "nbr_subscribers": rng.integers(0, 60, count),
        "prohibition_of_cancellation": rng.choice([0, 24, 48], count),
        "difficulty": np.full(count, None, dtype=object),
        "remote": rng.random(count) < 0.1,
        "created_at": _stamps(created),
        # not after the data's end, as nothing real is updated in the future
        "updated_at": _stamps(np.minimum(created + rng.integers(0, 3 * DAY, count), plan.until)),
    }


def exams(plan: Plan) -> dict[str, Array]:
    rng = np.random.default_rng([plan.seed, 5])
    count = max(5, plan.rows // 200)
    campus, day, _ = _when(plan, count, rng)
    begin = day + 14 * 3600  # 14:00, campus time
    end = begin + rng.choice([3, 4], count) * 3600
    created = np.minimum(begin - rng.integers(7, 30, count) * DAY, plan.until - 3600)
    validated = end + rng.integers(1, 48, count) * 3600
    done = validated < plan.until
    return {
        "id": np.arange(1, count + 1, dtype=np.int64),
        "begin_at": _stamps(begin),
        "end_at": _stamps(end),
        "location": np.full(count, "clusters", dtype=object),
        "ip_range": np.full(count, "10.0.0.0/8", dtype=object),
        "max_people": rng.choice([40, 80, 120], count),
        "nbr_subscribers": rng.integers(5, 80, count),
        "name": np.array(EXAMS, dtype=object)[rng.integers(0, len(EXAMS), count)],
        "visible": np.ones(count, dtype=bool),
        "campus_id": campus,
        "validated_at": np.where(done, _stamps(validated), np.datetime64("NaT")),
        "validator_id": np.array([42 if d else None for d in done.tolist()], dtype=object),
        "prohibition_of_cancellation": np.zeros(count, dtype=np.int64),
        "created_at": _stamps(created),
        "updated_at": _stamps(np.where(done, np.maximum(validated, created), created)),
    }
