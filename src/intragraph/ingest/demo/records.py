"""The demo's records of what users do beside projects: quests, spoken languages, dashes
entered, community services after a close, and the reports of their first weeks (patronage).
Drawn per part, from a stream of their own."""

from __future__ import annotations

import numpy as np

from intragraph.ingest.demo.catalogue import QUESTS, dashes_count
from intragraph.ingest.demo.network import DAY, Array, Plan, epoch

_US = 1_000_000


def _stamps(seconds: Array) -> Array:
    return (np.asarray(seconds, dtype=np.int64) * _US).astype("datetime64[us]")


def _maybe(seconds: Array, keep: Array) -> Array:
    return np.where(keep, _stamps(seconds), np.datetime64("NaT"))


def _nullable(values: Array, keep: Array) -> Array:
    out = np.asarray(values).astype(object)
    out[~keep] = None
    return out


def generate(
    plan: Plan, users: dict[str, Array], part: slice, first_ids: dict[str, int], seed: int
) -> dict[str, dict[str, Array]]:
    """Each table's rows for the users of `part`; ids continue from `first_ids`."""
    rng = np.random.default_rng([seed, 10, part.start])
    ids, start = users["id"][part], users["start"][part]
    admitted, campus = users["admitted"][part], users["campus"][part]
    return {
        "quests_users": _quests(plan, ids, start, admitted, first_ids["quests_users"], rng),
        "languages_users": _languages(plan, ids, start, first_ids["languages_users"], rng),
        "dashes_users": _dashes(plan, ids, start, admitted, first_ids["dashes_users"], rng),
        **_services(plan, ids, start, campus, first_ids["community_services"], rng),
        "patronages_reports": _reports(plan, ids, start, first_ids["patronages_reports"], rng),
    }


def _quests(
    plan: Plan, ids: Array, start: Array, admitted: Array, first: int, rng: np.random.Generator
) -> dict[str, Array]:
    per_user = np.where(admitted, rng.integers(1, 5, ids.size), 1)
    owner = np.repeat(np.arange(ids.size), per_user)
    n = owner.size
    made = np.minimum(start[owner] + rng.integers(0, 700, n) * DAY, plan.until - 1)
    finished = made + (rng.gamma(2.0, 40.0, n) * DAY).astype(np.int64)
    validated = (finished < plan.until) & (rng.random(n) < 0.7)
    ended = (finished < plan.until) & ~validated & (rng.random(n) < 0.5)
    return {
        "id": np.arange(first, first + n, dtype=np.int64),
        "quest_id": rng.integers(1, len(QUESTS) + 1, n),
        "user_id": ids[owner],
        "end_at": _maybe(finished, ended),
        "validated_at": _maybe(finished, validated),
        "prct": np.where(validated, 100, rng.integers(0, 100, n)),
        "created_at": _stamps(made),
        "updated_at": _stamps(np.where(validated | ended, finished, made)),
    }


def _languages(
    plan: Plan, ids: Array, start: Array, first: int, rng: np.random.Generator
) -> dict[str, Array]:
    per_user = rng.integers(1, 3, ids.size)
    owner = np.repeat(np.arange(ids.size), per_user)
    n = owner.size
    position = np.arange(n) - np.repeat(np.cumsum(per_user) - per_user, per_user) + 1
    made = np.minimum(start[owner] - rng.integers(1, 20, n) * DAY, plan.until - 1)
    return {
        "id": np.arange(first, first + n, dtype=np.int64),
        "language_id": np.where(position == 1, rng.integers(1, 3, n), rng.integers(3, 11, n)),
        "user_id": ids[owner],
        "position": position,
        "created_at": _stamps(made),
        "updated_at": _stamps(made),
    }


def _dashes(
    plan: Plan, ids: Array, start: Array, admitted: Array, first: int, rng: np.random.Generator
) -> dict[str, Array]:
    # one admitted user in twenty since dashes began (one at least, in any demo)
    playing = np.flatnonzero(admitted & (start >= epoch(2019, 7)))[::20]
    n = playing.size
    made = np.minimum(start[playing] + rng.integers(60, 600, n) * DAY, plan.until - 1)
    marked = rng.random(n) < 0.8
    return {
        "id": np.arange(first, first + n, dtype=np.int64),
        "dash_id": rng.integers(1, dashes_count(plan) + 1, n),
        "user_id": ids[playing],
        "final_mark": _nullable(rng.integers(0, 126, n), marked),
        "created_at": _stamps(made),
        "updated_at": _stamps(np.minimum(made + 3 * DAY, plan.until - 1)),
    }


def _services(
    plan: Plan, ids: Array, start: Array, campus: Array, first: int, rng: np.random.Generator
) -> dict[str, dict[str, Array]]:
    """Community services, each after a close of its own (kept as the services embed it)."""
    closed = np.arange(ids.size) % 50 == 0  # one user in fifty (one at least, in any demo)
    n = int(closed.sum())
    made = np.minimum(start[closed] + rng.integers(30, 900, n) * DAY, plan.until - 1)
    schedule = made + rng.integers(2, 20, n) * DAY // DAY * DAY + 10 * 3600
    done = schedule + 7200 < plan.until
    service_ids = np.arange(first, first + n, dtype=np.int64)
    return {
        "closes": {
            "id": service_ids,
            "reason": np.full(n, "Cheating on an exam", dtype=object),
            "state": np.where(done, "close", "unclose").astype(object),
        },
        "community_services": {
            "id": service_ids,
            "close_id": service_ids,
            "duration": np.full(n, 7200, dtype=np.int64),
            "schedule_at": _stamps(schedule),
            "occupation": np.full(n, "Cleaning the clusters", dtype=object),
            "state": np.where(done, "validated", "schedule").astype(object),
            "campus_id": campus[closed],
            "created_at": _stamps(made),
            "updated_at": _stamps(
                np.where(done, np.minimum(schedule + 7200, plan.until - 1), made)
            ),
        },
    }


def _reports(
    plan: Plan, ids: Array, start: Array, first: int, rng: np.random.Generator
) -> dict[str, Array]:
    """Each newcomer's patronage (one per user, its id the user's) reports after their first
    week and, for most, their first month."""
    per_user = np.where(rng.random(ids.size) < 0.8, 2, 1)
    owner = np.repeat(np.arange(ids.size), per_user)
    n = owner.size
    report = np.arange(n) - np.repeat(np.cumsum(per_user) - per_user, per_user) + 1
    begin = start[owner] + np.where(report == 1, 7, 30) * DAY
    kept = begin - DAY < plan.until
    owner, report, begin = owner[kept], report[kept], begin[kept]
    n = owner.size
    validated = begin + rng.integers(1, 10, n) * DAY
    done = (validated < plan.until) & (rng.random(n) < 0.9)
    return {
        "id": np.arange(first, first + n, dtype=np.int64),
        "user_id": ids[owner],
        "begin_at": _stamps(begin),
        "patronage_id": ids[owner],
        "report_id": report,
        "validated_at": _maybe(validated, done),
        "created_at": _stamps(begin - DAY),
        "updated_at": _stamps(np.where(done, validated, begin - DAY)),
    }
