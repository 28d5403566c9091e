"""The network every demo resource hangs on: campuses, cursus, projects and users, drawn once
per seed, and the helpers that turn drawn seconds into table columns."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

from intragraph.store.tables import TABLES

Array = npt.NDArray[Any]
DAY = 86400

# (campus id, opening year, UTC offset in hours for local working hours, relative size)
CAMPUSES = [
    (1, 2013, 1, 10),
    (7, 2016, -8, 4),
    (9, 2017, 1, 4),
    (12, 2017, 1, 3),
    (13, 2016, 2, 3),
    (14, 2018, 3, 2),
    (16, 2018, 2, 2),
    (17, 2018, 3, 3),
    (20, 2019, 9, 3),
    (21, 2018, 1, 2),
    (22, 2019, 2, 2),
    (23, 2019, -3, 2),
    (24, 2019, 7, 2),
    (25, 2019, 0, 2),
    (26, 2019, 9, 3),
    (28, 2019, 1, 2),
    (29, 2019, 9, 3),
    (30, 2019, 1, 2),
    (31, 2020, 1, 2),
    (32, 2020, 1, 2),
    (33, 2020, 7, 2),
    (34, 2020, 1, 2),
    (35, 2020, 1, 2),
    (36, 2020, 1, 2),
    (37, 2020, 1, 2),
    (38, 2020, -6, 1),
    (39, 2020, 3, 1),
    (40, 2021, 1, 2),
    (41, 2021, 1, 2),
    (42, 2021, 4, 1),
    (43, 2021, 4, 1),
    (44, 2021, 1, 1),
    (45, 2021, 1, 1),
    (46, 2021, -4, 1),
    (47, 2021, 3, 1),
    (48, 2022, 3, 1),
    (49, 2022, 1, 1),
    (50, 2022, 3, 2),
    (51, 2022, 1, 1),
    (52, 2022, 5, 1),
    (53, 2022, 8, 1),
    (54, 2023, -5, 1),
    (55, 2023, 1, 1),
    (56, 2023, 2, 1),
    (57, 2023, 1, 1),
    (58, 2023, 8, 1),
    (59, 2024, 1, 1),
    (60, 2024, 3, 1),
    (62, 2024, 2, 1),
    (64, 2024, 1, 1),
]
PISCINE_CURSUS, OLD_CURSUS, MAIN_CURSUS = 9, 1, 21
OTHER_CURSUS = [
    3,
    4,
    5,
    6,
    7,
    10,
    11,
    12,
    13,
    14,
    15,
    16,
    17,
    18,
    19,
    20,
    22,
    23,
    25,
    26,
    27,
    28,
    31,
    32,
    33,
    34,
    35,
]
PROJECT_NAMES = [
    "Libft",
    "ft_printf",
    "get_next_line",
    "Born2beroot",
    "push_swap",
    "minitalk",
    "pipex",
    "so_long",
    "FdF",
    "fract-ol",
    "Philosophers",
    "minishell",
    "NetPractice",
    "cub3d",
    "miniRT",
    "CPP Module 00",
    "Inception",
    "ft_irc",
    "webserv",
    "ft_transcendence",
    "C Piscine Shell 00",
    "C Piscine C 00",
    "C Piscine C 01",
    "C Piscine Rush 00",
    "C Piscine Exam 00",
    "Exam Rank 02",
    "Exam Rank 03",
    "Exam Rank 04",
    "Exam Rank 05",
]


def epoch(year: int, month: int = 1, day: int = 1) -> int:
    return int(dt.datetime(year, month, day, tzinfo=dt.UTC).timestamp())


# The showcase user, jdoe (id 42, campus 1, cursus 9 then 21), and the creation instants (UTC)
# of the projects_users every demo gives them; generated users' ids start above.
SHOWCASE_USER, FIRST_USER = 42, 1000
SHOWCASE = [
    "2023-07-03 09:12:44",
    "2023-07-05 14:03:21",
    "2023-07-10 16:45:00",
    "2023-07-21 19:30:00",
    "2023-11-06 10:00:00",
    "2023-12-20 09:12:44",
    "2024-01-12 14:03:22",
    "2024-02-28 23:30:00",
    "2024-03-31 22:15:00",
    "2024-11-15 08:00:00",
]
# the day of jdoe's last row: every demo holds them all (the README's answers are theirs)
_SHOWCASE_LAST = dt.date.fromisoformat(max(SHOWCASE)[:10])
_PISCINE_MONTHS = np.array([2, 3, 6, 7, 8, 9, 10])
_PISCINE_WEIGHTS = np.array([0.12, 0.10, 0.06, 0.22, 0.22, 0.20, 0.08])
_FIRST_PISCINE = epoch(2013, 7)
_MAIN_SINCE = epoch(2019, 7)


@dataclass(frozen=True)
class Plan:
    rows: int
    seed: int
    until: int  # Unix seconds: nothing is created later

    def __post_init__(self) -> None:
        day = dt.datetime.fromtimestamp(self.until, dt.UTC).date()
        if day <= _SHOWCASE_LAST:
            raise ValueError(
                f"{day} is before {_SHOWCASE_LAST + dt.timedelta(days=1)}: every demo holds "
                f"jdoe's ten projects_users, the last made on {_SHOWCASE_LAST}"
            )

    @property
    def users(self) -> int:
        return max(50, self.rows // 40)

    @property
    def showcase(self) -> int:
        """How many of the rows are the showcase user's."""
        return min(self.rows, len(SHOWCASE))

    @property
    def generated(self) -> int:
        return self.rows - self.showcase


def names(ids: Array, prefix: str) -> Array:
    return np.array([f"{prefix}{i}" for i in ids.tolist()], dtype=object)


@cache  # the catalogue, the showcase and every part ask for it: draw it once per seed
def projects(seed: int) -> dict[str, Array]:
    rng = np.random.default_rng([seed, 0])
    ids = np.sort(rng.choice(np.arange(1, 2700), size=1500, replace=False))
    names = [
        PROJECT_NAMES[i] if i < len(PROJECT_NAMES) else f"Project {pid}"
        for i, pid in enumerate(ids.tolist())
    ]
    slugs = [name.lower().replace(" ", "-") for name in names]
    return {"id": ids, "name": np.array(names, dtype=object), "slug": np.array(slugs, dtype=object)}


def cursus() -> dict[str, Array]:
    """The cursus the demo's cursus_users are in, as their `cursus` objects name them."""
    named = {OLD_CURSUS: "42", PISCINE_CURSUS: "C Piscine", MAIN_CURSUS: "42cursus"}
    ids = sorted([*named, *OTHER_CURSUS])
    titles = [named.get(i, f"Cursus {i}") for i in ids]
    return {
        "id": np.array(ids, dtype=np.int64),
        "name": np.array(titles, dtype=object),
        "slug": np.array([t.lower().replace(" ", "-") for t in titles], dtype=object),
    }


def _rows_per_user(plan: Plan, admitted: Array, rng: np.random.Generator) -> Array:
    weight = rng.lognormal(0.0, 0.6, plan.users) * np.where(admitted, 5.0, 1.0)
    counts = np.floor(weight / weight.sum() * plan.generated).astype(np.int64)
    short = plan.generated - int(counts.sum())
    np.add.at(counts, rng.choice(plan.users, size=short, p=weight / weight.sum()), 1)
    return np.asarray(counts, dtype=np.int64)


def users_of(plan: Plan) -> dict[str, Array]:
    """Every user's campus, start, admission and row count: small, drawn once for the network."""
    rng = np.random.default_rng([plan.seed, 1])
    campus_ids = np.array([c[0] for c in CAMPUSES])
    opened = np.array([c[1] for c in CAMPUSES])
    size = np.array([c[3] for c in CAMPUSES], dtype=float)
    last_year = dt.datetime.fromtimestamp(plan.until, dt.UTC).year
    years = np.arange(2013, last_year + 1)
    # each campus grows to its size within three years of opening
    weight = size[None, :] * np.clip((years[:, None] - opened[None, :] + 1) / 3, 0, 1)
    cells = rng.choice(weight.size, size=plan.users, p=(weight / weight.sum()).ravel())
    year, campus = years[cells // len(CAMPUSES)], cells % len(CAMPUSES)
    month = rng.choice(_PISCINE_MONTHS, size=plan.users, p=_PISCINE_WEIGHTS)
    start = np.array([epoch(y, m) for y, m in zip(year.tolist(), month.tolist(), strict=True)])
    start += rng.integers(0, 5, plan.users) * DAY
    start = np.clip(start, _FIRST_PISCINE, plan.until - 30 * DAY)
    admitted = rng.random(plan.users) < 0.45
    return {
        "campus": campus_ids[campus],
        "offset": np.array([c[2] for c in CAMPUSES])[campus] * 3600,
        "start": start,
        "admitted": admitted,
        "rows": _rows_per_user(plan, admitted, rng),
    }


def local_time_of_day(rng: np.random.Generator, n: int) -> Array:
    """Seconds after local midnight: mostly working hours, some evenings and nights."""
    hours = np.clip(rng.normal(14.0, 3.5, n), 0, 23.99)
    return (hours * 3600).astype(np.int64)


def nullable(values: Array, keep: Array) -> Array:
    """Values where `keep`, NULL elsewhere."""
    out = values.astype(object)
    out[~keep] = None
    return out


def memberships(
    users: dict[str, Array], part: slice, rng: np.random.Generator, until: int
) -> tuple[dict[str, Array], dict[str, Array]]:
    ids = users["id"][part]
    n = ids.size
    start = users["start"][part]
    moved = rng.random(n) < 0.05  # a second campus: a transfer
    campus_users = {
        "id": np.concatenate([ids * 2, ids[moved] * 2 + 1]),
        "user_id": np.concatenate([ids, ids[moved]]),
        "campus_id": np.concatenate(
            [users["campus"][part], rng.choice([c[0] for c in CAMPUSES], int(moved.sum()))]
        ),
        "is_primary": np.concatenate([~moved, np.ones(int(moved.sum()), dtype=bool)]),
        # a membership is made when its user arrives (a transfer 30 days later) and not touched
        # since; every row has an updated_at, which `intragraph sync` pages by
        "created_at": np.concatenate([start, start[moved] + 30 * DAY]),
    }
    admitted = users["admitted"][part]
    main = np.where(start >= _MAIN_SINCE, MAIN_CURSUS, OLD_CURSUS)
    other = rng.random(n) < 0.05
    cursus_users = {
        "id": np.concatenate([ids * 3, ids[admitted] * 3 + 1, ids[other] * 3 + 2]),
        "user_id": np.concatenate([ids, ids[admitted], ids[other]]),
        "cursus_id": np.concatenate(
            [np.full(n, PISCINE_CURSUS), main[admitted], rng.choice(OTHER_CURSUS, int(other.sum()))]
        ),
        "begin_at": np.concatenate([start, start[admitted] + 60 * DAY, start[other] + 30 * DAY]),
        "created_at": np.concatenate([start, start[admitted], start[other]]),
    }
    campus_users["updated_at"] = campus_users["created_at"]
    _ends(cursus_users, n, int(admitted.sum()), rng, until)
    return campus_users, cursus_users


def _ends(cursus_users: dict[str, Array], piscines: int, mains: int, rng: Any, until: int) -> None:
    """How cursus_users end (drawn after everything else, so that the rest stays as it was): a
    piscine after 26 days; the main cursus at its blackhole date, which a third of students
    have met and the others have ahead of them; other cursus not. A row is last updated when
    it ends, or else when it was made."""
    begin = cursus_users["begin_at"]
    others = begin.size - piscines - mains
    met = rng.random(mains) < 0.35
    blackhole = (
        begin[piscines : piscines + mains] + np.where(met, rng.integers(150, 900, mains), 0) * DAY
    )
    blackhole = np.where(met, blackhole, until + rng.integers(10, 200, mains) * DAY)
    blackholed = np.concatenate([np.full(piscines, -1), blackhole, np.full(others, -1)])
    end = np.concatenate([begin[:piscines] + 26 * DAY, np.where(met, blackhole, -1)])
    end = np.concatenate([end, np.full(others, -1)])
    ended = (end >= 0) & (end < until)
    cursus_users["has_coalition"] = np.concatenate(
        [np.zeros(piscines, bool), np.ones(mains, bool), np.zeros(others, bool)]
    )
    cursus_users["blackholed_at"] = moments(blackholed, blackholed >= 0)
    cursus_users["end_at"] = moments(end, ended)
    cursus_users["updated_at"] = np.where(ended, end, cursus_users["created_at"])


def moments(seconds: Array, keep: Array) -> Array:
    """Unix seconds as timestamps where `keep`, NULL elsewhere."""
    moments = (np.maximum(seconds, 0) * 1_000_000).astype("datetime64[us]")
    return np.where(keep, moments, np.datetime64("NaT"))


def stamped(table: str, columns: dict[str, Array]) -> dict[str, Array]:
    """Fill the columns the demo leaves empty, and turn seconds into timestamps."""
    out: dict[str, Array] = {}
    n = next(iter(columns.values())).size
    for name, kind in TABLES[table].types.items():
        value = columns.get(name)
        if value is None:
            out[name] = np.full(n, None, dtype=object)
        elif kind == "timestamp" and value.dtype.kind == "i":
            out[name] = (value * 1_000_000).astype("datetime64[us]")
        else:
            out[name] = value
    return out
