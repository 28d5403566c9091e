"""A deterministic, realistic synthetic 42 network, for a first look and for benchmarks.

Campuses open one after another from 2013; each year's newcomers arrive in piscine months; about
half of them are admitted to the main cursus and then work through many projects, with marks,
failures and retries; marks open a retry date, some still in the future. Everything is drawn with
NumPy from `numpy.random.default_rng([seed, part])`, part by part, so that the same seed and the
same `until` give the same rows at any size, in bounded memory.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator

import numpy as np

from intragraph.ingest.demo import (
    calendar,
    catalogue,
    locations,
    projects_users,
    records,
    slots,
    teams,
)
from intragraph.ingest.demo import users as user_rows
from intragraph.ingest.demo.network import (
    FIRST_USER,
    Array,
    Plan,
    cursus,
    memberships,
    projects,
    stamped,
    users_of,
)
from intragraph.store import loads
from intragraph.store.base import Store
from intragraph.store.tables import TABLES

_USERS_PER_PART = 20_000


def parts(plan: Plan) -> Iterator[dict[str, dict[str, Array]]]:
    """The network, part by part: each part's rows per table."""
    users = users_of(plan)
    users["id"] = np.arange(FIRST_USER, FIRST_USER + plan.users, dtype=np.int64)
    project_ids = projects(plan.seed)["id"]
    first_id, first_location = plan.showcase + 1, len(projects_users.SESSIONS) + 1
    first_slot = len(projects_users.SLOTS) + 1
    first_evaluation = len(projects_users.EVALUATIONS) + 1
    first_ids = dict.fromkeys(
        (
            "quests_users",
            "languages_users",
            "dashes_users",
            "community_services",
            "patronages_reports",
        ),
        1,
    )
    for index, begin in enumerate(range(0, plan.users, _USERS_PER_PART)):
        part = slice(begin, min(begin + _USERS_PER_PART, plan.users))
        rng = np.random.default_rng([plan.seed, 2, index])
        pu = projects_users.generate(plan, users, part, first_id, project_ids, rng)
        first_id += pu["id"].size
        # a stream of their own: the other tables stay as they were before locations
        sessions = locations.generate(
            plan, users, part, first_location, np.random.default_rng([plan.seed, 3, index])
        )
        first_location += sessions["id"].size
        opened = slots.generate(
            plan, users, part, first_slot, np.random.default_rng([plan.seed, 7, index])
        )
        first_slot += opened["id"].size
        team_rows = teams.generate(
            plan,
            pu,
            pu["status_index"],
            users["id"][part],
            first_evaluation,
            np.random.default_rng([plan.seed, 8, index]),
        )
        first_evaluation += team_rows["scale_teams"]["id"].size
        done = records.generate(plan, users, part, first_ids, plan.seed)
        for name in first_ids:
            first_ids[name] += done[name]["id"].size
        campus_users, cursus_users = memberships(users, part, rng, plan.until)
        yield {
            "projects_users": stamped("projects_users", pu),
            "users": user_rows.generate(users, part, plan.until, plan.seed),
            "campus_users": stamped("campus_users", campus_users),
            "cursus_users": stamped("cursus_users", cursus_users),
            "locations": stamped("locations", sessions),
            "slots": stamped("slots", opened),
            **{name: stamped(name, columns) for name, columns in team_rows.items()},
            **{name: stamped(name, columns) for name, columns in done.items()},
        }


def fill(
    store: Store, plan: Plan, replace: bool, progress: Callable[[int], None] = lambda _: None
) -> int:
    """Write the demo network, all or nothing (`loads.load`); returns the number of
    projects_users."""
    with loads.load(store, replace) as load:
        append = functools.partial(_append, load)
        append("projects", projects(plan.seed))
        append("cursus", cursus())
        for name, columns in catalogue.tables(plan, projects(plan.seed)["id"]).items():
            append(name, stamped(name, columns))
        append("events", calendar.events(plan))
        append("exams", calendar.exams(plan))
        for name, columns in projects_users.showcase(plan).items():
            append(name, columns)
        for tables in parts(plan):
            for name, columns in tables.items():
                append(name, columns)
            progress(tables["projects_users"]["id"].size)
    return plan.rows


def _append(load: loads.Load, table: str, columns: dict[str, Array]) -> None:
    load.append(TABLES[table], {name: columns[name] for name in TABLES[table].columns})


__all__ = ["Plan", "fill", "parts"]
