"""The demo's catalogue: what the network offers rather than what its users do. Languages,
roles given to applications, announcements, dashes (short team contests), project sessions
(a project's terms in a campus and cursus), and the quests and patronage reports that users'
records point at. Sized by the plan where the real ones grow with a network."""

from __future__ import annotations

import numpy as np

from intragraph.ingest.demo.network import CAMPUSES, DAY, MAIN_CURSUS, Array, Plan, epoch

_LANGUAGES = [
    ("Français", "fr"),
    ("English", "en"),
    ("Español", "es"),
    ("Deutsch", "de"),
    ("Italiano", "it"),
    ("Português", "pt"),
    ("Nederlands", "nl"),
    ("Русский", "ru"),
    ("日本語", "ja"),
    ("한국어", "ko"),
]
_ROLES = ["Basic staff", "Advanced tutor", "Transactions manager", "Notes manager", "Companies"]
QUESTS = ["Common Core", "Piscine C", "Inner circle", "Outer circle", "Rank 02", "Rank 03"]
_REPORTS = ["First week", "First month", "Piscine end"]


def _stamps(seconds: Array) -> Array:
    return (np.asarray(seconds, dtype=np.int64) * 1_000_000).astype("datetime64[us]")


def _nullable(values: Array, keep: Array) -> Array:
    out = np.asarray(values).astype(object)
    out[~keep] = None
    return out


def _maybe(seconds: Array, keep: Array) -> Array:
    return np.where(keep, _stamps(seconds), np.datetime64("NaT"))


def _named(names: list[str]) -> dict[str, Array]:
    return {
        "id": np.arange(1, len(names) + 1, dtype=np.int64),
        "name": np.array(names, dtype=object),
        "slug": np.array([n.lower().replace(" ", "-") for n in names], dtype=object),
    }


def dashes_count(plan: Plan) -> int:
    return max(4, plan.rows // 20_000)


def tables(plan: Plan, project_ids: Array) -> dict[str, dict[str, Array]]:
    """Every catalogue table, from a stream of its own (the rest of the demo stays as it was)."""
    rng = np.random.default_rng([plan.seed, 9])
    quests, reports = _named(QUESTS), _named(_REPORTS)
    roles = {"id": np.arange(1, len(_ROLES) + 1, dtype=np.int64)}
    roles["name"] = np.array(_ROLES, dtype=object)
    return {
        "languages": _languages(),
        "roles": roles,
        "quests": quests,
        "reports": reports,
        "roles_entities": _roles_entities(plan, rng),
        "announcements": _announcements(plan, rng),
        "dashes": _dashes(plan, rng),
        "project_sessions": _project_sessions(plan, project_ids, rng),
    }


def _languages() -> dict[str, Array]:
    n = len(_LANGUAGES)
    made = np.array([epoch(2014 + i // 2, 1 + i % 12) for i in range(n)])
    return {
        "id": np.arange(1, n + 1, dtype=np.int64),
        "name": np.array([name for name, _ in _LANGUAGES], dtype=object),
        "identifier": np.array([code for _, code in _LANGUAGES], dtype=object),
        "created_at": _stamps(made),
        "updated_at": _stamps(made + 30 * DAY),
    }


def _roles_entities(plan: Plan, rng: np.random.Generator) -> dict[str, Array]:
    n = 3 * len(_ROLES)
    made = rng.integers(epoch(2016), plan.until, n)
    expires = made + rng.integers(30, 720, n) * DAY
    return {
        "id": np.arange(1, n + 1, dtype=np.int64),
        "role_id": np.repeat(np.arange(1, len(_ROLES) + 1, dtype=np.int64), 3),
        "entity_id": rng.integers(1, 5000, n),
        "entity_type": np.full(n, "Doorkeeper::Application", dtype=object),
        "expires_at": _maybe(expires, rng.random(n) < 0.6),
        "created_at": _stamps(made),
        "updated_at": _stamps(made),
    }


def _announcements(plan: Plan, rng: np.random.Generator) -> dict[str, Array]:
    n = max(5, plan.rows // 5_000)
    made = np.sort(rng.integers(epoch(2015), plan.until, n))
    ids = np.arange(1, n + 1, dtype=np.int64)
    return {
        "id": ids,
        "author": np.full(n, "bocal", dtype=object),
        "title": np.array([f"Announcement {i}" for i in ids.tolist()], dtype=object),
        "text": np.full(n, "The clusters close early on Friday.", dtype=object),
        "kind": rng.choice(np.array(["info", "warning", "event"], dtype=object), n),
        "expire_at": _stamps(made + rng.integers(7, 60, n) * DAY),
        "created_at": _stamps(made),
        "updated_at": _stamps(np.minimum(made + rng.integers(0, 3600, n), plan.until)),
    }


def _dashes(plan: Plan, rng: np.random.Generator) -> dict[str, Array]:
    n = dashes_count(plan)
    begin = np.sort(rng.integers(epoch(2019, 7), plan.until + 30 * DAY, n)) // DAY * DAY
    begin += 16 * 3600
    ids = np.arange(1, n + 1, dtype=np.int64)
    made = np.minimum(begin - 30 * DAY, plan.until - 1)
    return {
        "id": ids,
        "name": np.array([f"Dash {i}" for i in ids.tolist()], dtype=object),
        "description": np.full(n, "48 hours, teams of two.", dtype=object),
        "slug": np.array([f"dash-{i}" for i in ids.tolist()], dtype=object),
        "cursus_id": np.full(n, MAIN_CURSUS, dtype=np.int64),
        "campus_id": rng.choice(np.array([c[0] for c in CAMPUSES]), n),
        "skill_id": rng.integers(1, 15, n),
        "nbr_xp": np.full(n, "1000", dtype=object),
        "begin_at": _stamps(begin),
        "end_at": _stamps(begin + 2 * DAY),
        "duration": np.full(n, 48, dtype=np.int64),
        "created_at": _stamps(made),
        "updated_at": _stamps(made),
    }


def _project_sessions(plan: Plan, project_ids: Array, rng: np.random.Generator) -> dict[str, Array]:
    n = max(20, min(5_000, plan.rows // 500))
    made = np.sort(rng.integers(epoch(2015), plan.until, n))
    dated = rng.random(n) < 0.3  # a term with dates; the others are open all year
    begin = made + rng.integers(7, 90, n) * DAY
    solo = rng.random(n) < 0.6
    return {
        "id": np.arange(1, n + 1, dtype=np.int64),
        "project_id": project_ids[rng.zipf(1.5, n) % project_ids.size],
        "campus_id": _nullable(rng.choice(np.array([c[0] for c in CAMPUSES]), n), dated),
        "cursus_id": np.full(n, MAIN_CURSUS, dtype=np.int64),
        "solo": solo,
        "begin_at": _maybe(begin, dated),
        "end_at": _maybe(begin + rng.integers(14, 120, n) * DAY, dated),
        "estimate_time": rng.integers(10, 300, n),
        "duration_days": _nullable(rng.integers(7, 60, n), dated),
        "max_people": np.where(solo, 1, rng.integers(2, 5, n)),
        "is_subscriptable": rng.random(n) < 0.9,
        "team_behaviour": np.where(solo, "by_user", "by_team").astype(object),
        "difficulty": rng.integers(0, 43, n) * 1000,
        "minimum_mark": np.full(n, 50, dtype=np.int64),
        "created_at": _stamps(made),
        # not after the data's end (a sync pages by updated_at up to its start)
        "updated_at": _stamps(np.minimum(made + rng.integers(0, 30, n) * DAY, plan.until)),
    }
