"""The demo's users as /v2/users shows them: names, pool, alumni; jdoe's own row is with the
rest of their showcase (projects_users.py)."""

from __future__ import annotations

import datetime as dt

import numpy as np

from intragraph.ingest.demo.network import DAY, Array, epoch, moments, names, stamped

_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)


def generate(users: dict[str, Array], part: slice, until: int, seed: int) -> dict[str, Array]:
    """The users of a part as /v2/users shows them: registered up to a month before their
    piscine, updated since; a third of the early admitted ones are alumni by now. Drawn from a
    stream of their own, so that the other tables stay as they were."""
    ids, start = users["id"][part], users["start"][part]
    n = ids.size
    rng = np.random.default_rng([seed, 6, part.start])
    logins = names(ids, "student")
    created = start - rng.integers(1, 30, n) * DAY
    updated = np.minimum(created + rng.integers(0, 900, n) * DAY, until - 1)
    alumni = users["admitted"][part] & (start < epoch(2019)) & (rng.random(n) < 0.3)
    alumnized = start + rng.integers(3 * 365, 5 * 365, n) * DAY
    alumni &= alumnized < until
    months = [dt.datetime.fromtimestamp(s, dt.UTC) for s in start.tolist()]
    return stamped(
        "users",
        {
            "id": ids,
            "login": logins,
            "email": np.array([f"{login}@student.42.fr" for login in logins], dtype=object),
            "first_name": np.array([f"First{i}" for i in ids.tolist()], dtype=object),
            "last_name": np.array([f"Last{i}" for i in ids.tolist()], dtype=object),
            "displayname": np.array([f"First{i} Last{i}" for i in ids.tolist()], dtype=object),
            "usual_full_name": np.array([f"First{i} Last{i}" for i in ids.tolist()], dtype=object),
            "kind": np.full(n, "student", dtype=object),
            "staff": np.zeros(n, dtype=bool),
            "correction_point": rng.integers(0, 12, n),
            "wallet": rng.integers(0, 800, n),
            "pool_month": np.array([_MONTHS[m.month - 1] for m in months], dtype=object),
            "pool_year": np.array([str(m.year) for m in months], dtype=object),
            "alumni": alumni,
            "active": ~alumni,
            "alumnized_at": moments(alumnized, alumni),
            "created_at": created,
            "updated_at": np.maximum(updated, created),
        },
    )
