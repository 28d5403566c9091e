"""The demo's teams and evaluations: a team per project attempt (a quarter of them with a second
member), locked soon after it is made, closed when its work is handed in; one to three
evaluations (scale_teams) of each closed team, a few of them still to come."""

from __future__ import annotations

import numpy as np

from intragraph.ingest.demo.network import DAY, Array, Plan

_HOUR = 3600
_US = 1_000_000
# a team's status, by its attempt's (projects_users.STATUSES order)
_TEAM_STATUS = np.array(
    [
        "creating_group",
        "creating_group",
        "in_progress",
        "waiting_for_correction",
        "finished",
        "finished",
    ],
    dtype=object,
)
_COMMENTS = np.array(
    ["Clean work, well explained.", "Some leaks left, good defense.", "Solid. Nothing to add."],
    dtype=object,
)


def _seconds(moments: Array) -> Array:
    """datetime64[us] (NaT allowed) as Unix seconds, -1 for NaT."""
    values = moments.astype("datetime64[us]").astype(np.int64) // _US
    return np.where(np.isnat(moments), -1, values)


def _nullable(values: Array, keep: Array) -> Array:
    out = values.astype(object)
    out[~keep] = None
    return out


def _moments(seconds: Array, keep: Array) -> Array:
    stamps = (np.maximum(seconds, 0) * _US).astype("datetime64[us]")
    return np.where(keep, stamps, np.datetime64("NaT"))


def generate(
    plan: Plan,
    attempts: dict[str, Array],
    statuses: Array,
    part_users: Array,
    first_evaluation: int,
    rng: np.random.Generator,
) -> dict[str, dict[str, Array]]:
    """Teams, their members and their evaluations, from a part's projects_users (`attempts`,
    whose STATUSES indexes are `statuses`) and the ids of the part's users."""
    n = attempts["id"].size
    ids = attempts["current_team_id"].astype(np.int64)
    created = _seconds(attempts["created_at"])
    updated = _seconds(attempts["updated_at"])
    locked = statuses >= 2
    locked_at = np.minimum(created + rng.integers(60, 48 * _HOUR, n), plan.until - 1)
    closed = statuses >= 3
    handed_in = locked_at + (rng.gamma(2.0, 5.0, n) * DAY).astype(np.int64)
    closed_at = np.minimum(handed_in, np.maximum(updated, locked_at))
    deadline_at = locked_at + 21 * DAY
    teams = {
        "id": ids,
        "name": np.array([f"team-{i}" for i in ids.tolist()], dtype=object),
        "final_mark": attempts["final_mark"],
        "project_id": attempts["project_id"],
        "created_at": attempts["created_at"],
        "updated_at": _moments(
            np.maximum(updated, np.where(closed, closed_at, 0)), np.ones(n, bool)
        ),
        "status": _TEAM_STATUS[statuses],
        "terminating_at": _moments(deadline_at + 7 * DAY, locked & ~closed),
        "locked": locked,
        "validated": attempts["validated"],
        "closed": closed,
        "locked_at": _moments(locked_at, locked),
        "closed_at": _moments(closed_at, closed),
        "deadline_at": _moments(deadline_at, locked),
    }
    pair = rng.random(n) < 0.25
    partner = part_users[rng.integers(0, part_users.size, int(pair.sum()))]
    leader_ids = attempts["user_id"]
    member_team = np.concatenate([ids, ids[pair]])
    member_user = np.concatenate([leader_ids, partner])
    members = {
        "id": member_team * 10**9 + member_user,
        "team_id": member_team,
        "user_id": member_user,
        "leader": np.concatenate([np.ones(n, bool), np.zeros(int(pair.sum()), bool)]),
        "occurrence": np.concatenate([attempts["occurrence"], attempts["occurrence"][pair]]),
        "validated": np.concatenate([attempts["validated"], attempts["validated"][pair]]),
        "projects_user_id": np.concatenate(
            [attempts["id"].astype(object), np.full(int(pair.sum()), None, dtype=object)]
        ),
    }
    # a partner drawn twice for one team (or the leader himself) is one member
    _, unique = np.unique(members["id"], return_index=True)
    members = {name: values[np.sort(unique)] for name, values in members.items()}
    return {
        "teams": teams,
        "teams_users": members,
        "scale_teams": _evaluations(
            plan, teams, closed, closed_at, part_users, first_evaluation, rng
        ),
    }


def _evaluations(
    plan: Plan,
    teams: dict[str, Array],
    closed: Array,
    closed_at: Array,
    part_users: Array,
    first_id: int,
    rng: np.random.Generator,
) -> dict[str, Array]:
    per_team = np.where(closed, rng.integers(1, 4, closed.size), 0)
    team = np.repeat(np.arange(closed.size), per_team)
    m = team.size
    begin = closed_at[team] + rng.integers(2 * _HOUR, 5 * DAY, m) // 900 * 900
    created = begin - rng.integers(_HOUR, 3 * DAY, m)
    kept = created < plan.until  # an evaluation booked later is not made yet
    team, begin, created = team[kept], begin[kept], created[kept]
    m = team.size
    filled = begin + rng.integers(15, 60, m) * 60
    done = filled < plan.until
    # most evaluators give the team's mark; an unmarked team's evaluation gives its own
    team_mark = teams["final_mark"][team]
    own = rng.integers(0, 101, m).astype(object)
    mark = _nullable(np.where((rng.random(m) < 0.8) & (team_mark != None), team_mark, own), done)  # noqa: E711
    comment = _nullable(_COMMENTS[rng.integers(0, _COMMENTS.size, m)], done)
    return {
        "id": np.arange(first_id, first_id + m, dtype=np.int64),
        "scale_id": teams["project_id"][team] + 10_000,
        "team_id": teams["id"][team],
        "user_id": part_users[rng.integers(0, part_users.size, m)],
        "truant_id": np.full(m, None, dtype=object),
        "flag_id": _nullable(np.where(rng.random(m) < 0.05, 9, 1), done),
        "comment": comment,
        "feedback": comment.copy(),
        "feedback_rating": _nullable(rng.integers(1, 6, m), done),
        "final_mark": mark,
        "begin_at": _moments(begin, np.ones(m, bool)),
        "filled_at": _moments(filled, done),
        "created_at": _moments(created, np.ones(m, bool)),
        "updated_at": _moments(np.where(done, filled, created), np.ones(m, bool)),
    }
