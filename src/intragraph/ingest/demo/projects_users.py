"""The demo's projects_users: each user's projects, with marks, failures and retries, and jdoe's
fixed ten."""

from __future__ import annotations

import datetime as dt

import numpy as np

from intragraph.ingest.demo.network import (
    DAY,
    FIRST_USER,
    MAIN_CURSUS,
    PISCINE_CURSUS,
    SHOWCASE,
    SHOWCASE_USER,
    Array,
    Plan,
    epoch,
    local_time_of_day,
    nullable,
    projects,
    stamped,
)
from intragraph.resources import STATUSES


def generate(
    plan: Plan,
    users: dict[str, Array],
    part: slice,
    first_id: int,
    project_ids: Array,
    rng: np.random.Generator,
) -> dict[str, Array]:
    counts = users["rows"][part]
    owner = np.repeat(np.arange(part.start, part.start + counts.size), counts)
    n = owner.size
    start, offset = users["start"][owner], users["offset"][owner]
    admitted = users["admitted"][owner]
    career = np.where(admitted, rng.uniform(1.0, 4.5, n) * 365, 28) * DAY
    span = np.maximum(np.minimum(career, plan.until - start), DAY)
    day = start + (rng.random(n) ** 1.3 * span).astype(np.int64) // DAY * DAY
    weekend = ((day // DAY + 3) % 7) >= 5
    day -= np.where(weekend & (rng.random(n) < 0.6), 2 * DAY, 0)  # quieter weekends
    created = day + local_time_of_day(rng, n) - offset
    created = np.minimum(np.maximum(created, start), plan.until - 1)
    age = plan.until - created
    duration = (rng.gamma(2.0, 6.0, n) * DAY).astype(np.int64) + 3600
    marked_at = created + duration
    marked = (marked_at < plan.until) & (rng.random(n) < np.where(age > 60 * DAY, 0.9, 0.5))
    status_index = np.where(
        marked, 4, rng.choice([0, 1, 2, 3, 5], size=n, p=[0.08, 0.1, 0.6, 0.12, 0.1])
    )
    status_index = np.where(marked & (rng.random(n) < 0.04), 5, status_index)
    mark = np.select(
        [rng.random(n) < 0.18, rng.random(n) < 0.25, rng.random(n) < 0.06],
        [rng.integers(0, 50, n), np.full(n, 100), rng.integers(101, 126, n)],
        rng.integers(50, 101, n),
    )
    cooldown = np.where(mark < 50, rng.integers(1, 8, n), rng.integers(10, 31, n)) * DAY
    occurrence = np.minimum(rng.geometric(0.75, n) - 1, 5)
    updated = np.minimum(
        np.where(marked, marked_at, created) + rng.integers(1, 600, n), plan.until - 1
    )
    projects_in_cursus = np.where(
        admitted, rng.zipf(1.4, n) % project_ids.size, rng.integers(20, 29, n)
    )
    millis = rng.integers(0, 1000, n)

    def stamp(seconds: Array, keep: Array | None = None) -> Array:
        values = (seconds * 1000 + millis).astype("datetime64[ms]").astype("datetime64[us]")
        return values if keep is None else np.where(keep, values, np.datetime64("NaT"))

    return {
        "id": np.arange(first_id, first_id + n, dtype=np.int64),
        "project_id": project_ids[projects_in_cursus % project_ids.size],
        "user_id": users["id"][owner],
        "occurrence": occurrence,
        "final_mark": nullable(mark, marked),
        "status": np.array(STATUSES, dtype=object)[status_index],
        "validated": nullable(mark >= 50, marked),
        "marked": marked,
        "current_team_id": 1_000_000 + np.arange(first_id, first_id + n, dtype=np.int64),
        "created_at": stamp(created),
        "updated_at": stamp(updated),
        "retriable_at": stamp(marked_at + cooldown, marked),
        "marked_at": stamp(marked_at, marked),
        "status_index": status_index,  # no column: the teams' status follows it
    }


def showcase(plan: Plan) -> dict[str, dict[str, Array]]:
    """jdoe's rows: the same in every demo, so that documented answers hold everywhere."""
    count = plan.showcase
    created = np.array(
        [dt.datetime.fromisoformat(t) for t in SHOWCASE[:count]], dtype="datetime64[us]"
    )
    ids = np.arange(1, count + 1, dtype=np.int64)
    rows = {
        "id": ids,
        "project_id": projects(plan.seed)["id"][:count],
        "user_id": np.full(count, SHOWCASE_USER, dtype=np.int64),
        "occurrence": np.zeros(count, dtype=np.int64),
        "final_mark": np.full(count, 100, dtype=np.int64),
        "status": np.full(count, "finished", dtype=object),
        "validated": np.ones(count, dtype=bool),
        "marked": np.ones(count, dtype=bool),
        "created_at": created,
        "updated_at": created + np.timedelta64(7, "D"),
        "marked_at": created + np.timedelta64(7, "D"),
        "retriable_at": created + np.timedelta64(8, "D"),
    }
    user = np.array([SHOWCASE_USER], dtype=np.int64)
    return {
        "users": stamped(
            "users",
            {
                "id": user,
                "login": np.array(["jdoe"], dtype=object),
                "email": np.array(["jdoe@student.42.fr"], dtype=object),
                "first_name": np.array(["Jane"], dtype=object),
                "last_name": np.array(["Doe"], dtype=object),
                "displayname": np.array(["Jane Doe"], dtype=object),
                "usual_full_name": np.array(["Jane Doe"], dtype=object),
                "kind": np.array(["student"], dtype=object),
                "staff": np.array([False]),
                "pool_month": np.array(["july"], dtype=object),
                "pool_year": np.array(["2023"], dtype=object),
                "alumni": np.array([False]),
                "active": np.array([True]),
                "created_at": np.array([epoch(2023, 6, 12)]),
                "updated_at": np.array([epoch(2024, 11, 15)]),
            },
        ),
        "campus_users": stamped(
            "campus_users",
            {
                "id": user * 2,
                "user_id": user,
                "campus_id": np.array([1]),
                "is_primary": np.array([True]),
                "created_at": np.array([epoch(2023, 7, 3)]),
                "updated_at": np.array([epoch(2023, 7, 3)]),
            },
        ),
        "cursus_users": stamped(
            "cursus_users",
            {
                "id": np.array([SHOWCASE_USER * 3, SHOWCASE_USER * 3 + 1]),
                "user_id": np.array([SHOWCASE_USER, SHOWCASE_USER]),
                "cursus_id": np.array([PISCINE_CURSUS, MAIN_CURSUS]),
                "begin_at": np.array([epoch(2023, 7, 3), epoch(2023, 10, 2)]),
                "end_at": np.array(["2023-07-29", "NaT"], dtype="datetime64[us]"),
                "has_coalition": np.array([False, True]),
                "blackholed_at": np.array(["NaT", "2027-03-01"], dtype="datetime64[us]"),
                "created_at": np.array([epoch(2023, 7, 3), epoch(2023, 7, 3)]),
                "updated_at": np.array([epoch(2023, 7, 29), epoch(2023, 7, 3)]),
            },
        ),
        "projects_users": stamped("projects_users", rows),
        "locations": stamped("locations", _sessions()),
        "slots": stamped("slots", _slots()),
        **{name: stamped(name, columns) for name, columns in _teams(plan).items()},
    }


# jdoe's evaluations (team = jdoe's projects_user of that id, UTC begin, corrector, mark): the
# same in every demo. jdoe worked alone on their first three projects; each was closed six days
# after it was made.
EVALUATIONS = [
    (1, "2023-07-10 14:00:00", FIRST_USER, 100),
    (1, "2023-07-10 16:30:00", FIRST_USER + 1, 100),
    (2, "2023-07-12 09:45:00", FIRST_USER, 100),
    (3, "2023-07-17 11:00:00", FIRST_USER + 1, 100),
]


def _teams(plan: Plan) -> dict[str, dict[str, Array]]:
    count = min(3, plan.showcase)
    ids = np.arange(1, count + 1, dtype=np.int64)
    created = np.array(SHOWCASE[:count], dtype="datetime64[us]")
    closed = created + np.timedelta64(6, "D")
    user = np.full(count, SHOWCASE_USER, dtype=np.int64)
    teams = {
        "id": ids,
        "name": np.array([f"jdoe's group {i}" for i in ids.tolist()], dtype=object),
        "final_mark": np.full(count, 100, dtype=np.int64),
        "project_id": projects(plan.seed)["id"][:count],
        "created_at": created,
        "updated_at": created + np.timedelta64(7, "D"),
        "status": np.full(count, "finished", dtype=object),
        "locked": np.ones(count, dtype=bool),
        "validated": np.ones(count, dtype=bool),
        "closed": np.ones(count, dtype=bool),
        "locked_at": created + np.timedelta64(1, "h"),
        "closed_at": closed,
        "deadline_at": created + np.timedelta64(1, "h") + np.timedelta64(21, "D"),
    }
    members = {
        "id": ids * 10**9 + SHOWCASE_USER,
        "team_id": ids,
        "user_id": user,
        "leader": np.ones(count, dtype=bool),
        "occurrence": np.zeros(count, dtype=np.int64),
        "validated": np.ones(count, dtype=bool),
        "projects_user_id": ids,
    }
    evaluations = [e for e in EVALUATIONS if e[0] <= count]
    begin = np.array([b for _, b, _, _ in evaluations], dtype="datetime64[us]")
    filled = begin + np.timedelta64(45, "m")
    scale_teams = {
        "id": np.arange(1, len(evaluations) + 1, dtype=np.int64),
        "scale_id": teams["project_id"][[t - 1 for t, _, _, _ in evaluations]] + 10_000,
        "team_id": np.array([t for t, _, _, _ in evaluations], dtype=np.int64),
        "user_id": np.array([c for _, _, c, _ in evaluations], dtype=np.int64),
        "flag_id": np.ones(len(evaluations), dtype=np.int64),
        "comment": np.full(len(evaluations), "Clean work, well explained.", dtype=object),
        "feedback": np.full(len(evaluations), "Thorough evaluation, thanks.", dtype=object),
        "feedback_rating": np.full(len(evaluations), 5, dtype=np.int64),
        "final_mark": np.array([m for _, _, _, m in evaluations], dtype=np.int64),
        "begin_at": begin,
        "filled_at": filled,
        "created_at": begin - np.timedelta64(1, "D"),
        "updated_at": filled,
    }
    return {"teams": teams, "teams_users": members, "scale_teams": scale_teams}


# jdoe's evaluation slots (UTC begin, minutes, booked): the same in every demo
SLOTS = [
    ("2023-11-02 14:00:00", 30, True),
    ("2023-11-02 15:00:00", 60, False),
    ("2024-01-15 09:30:00", 30, True),
    ("2024-02-20 17:00:00", 90, True),
]


def _slots() -> dict[str, Array]:
    count = len(SLOTS)
    begin = np.array([b for b, _, _ in SLOTS], dtype="datetime64[us]")
    minutes = np.array([m for _, m, _ in SLOTS], dtype="timedelta64[m]")
    return {
        "id": np.arange(1, count + 1, dtype=np.int64),
        "user_id": np.full(count, SHOWCASE_USER, dtype=np.int64),
        "begin_at": begin,
        "end_at": begin + minutes,
        "scale_team_id": np.array(
            [9000 + i if booked else None for i, (_, _, booked) in enumerate(SLOTS)], dtype=object
        ),
        "created_at": begin - np.timedelta64(2, "D"),
    }


# jdoe's login sessions (UTC): the same in every demo, like the rest of their rows
SESSIONS = [
    ("2023-07-03 08:05:00", "2023-07-03 16:40:00", "c1r1p1"),
    ("2023-07-04 09:30:00", "2023-07-04 18:00:00", "c1r1p2"),
    ("2023-07-05 13:00:00", "2023-07-05 22:15:00", "c1r4p7"),
    ("2023-07-08 10:00:00", "2023-07-08 12:00:00", "c1r4p7"),
    ("2024-03-31 21:50:00", "2024-04-01 01:10:00", "c2r9p3"),
]


def _sessions() -> dict[str, Array]:
    count = len(SESSIONS)
    return {
        "id": np.arange(1, count + 1, dtype=np.int64),
        "user_id": np.full(count, SHOWCASE_USER, dtype=np.int64),
        "begin_at": np.array([b for b, _, _ in SESSIONS], dtype="datetime64[us]"),
        "end_at": np.array([e for _, e, _ in SESSIONS], dtype="datetime64[us]"),
        "is_primary": np.ones(count, dtype=bool),
        "host": np.array([h for _, _, h in SESSIONS], dtype=object),
        "campus_id": np.ones(count, dtype=np.int64),
    }
