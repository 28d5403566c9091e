"""42 API objects -> rows of our tables.

A reader keeps the keys it needs and ignores every other one (real pages carry full user and
team objects); it fails only on a missing or ill-typed key that it needs, naming the key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

Row = dict[str, Any]
Rows = dict[str, list[Row]]  # table name -> rows


class BadRecord(ValueError):
    pass


def _get(record: dict[str, Any], key: str, required: bool) -> Any:
    if key not in record or record[key] is None:
        if required:
            raise BadRecord(f"{key!r} is missing" if key not in record else f"{key!r} is null")
        return None
    return record[key]


def integer(record: dict[str, Any], key: str, required: bool = True) -> int | None:
    value = _get(record, key, required)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise BadRecord(f"{key!r} must be an integer, not {value!r}")
    return value


def number(record: dict[str, Any], key: str, required: bool = False) -> float | None:
    value = _get(record, key, required)
    if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
        raise BadRecord(f"{key!r} must be a number, not {value!r}")
    return None if value is None else float(value)


def text(record: dict[str, Any], key: str, required: bool = True) -> str | None:
    value = _get(record, key, required)
    if value is not None and not isinstance(value, str):
        raise BadRecord(f"{key!r} must be a string, not {value!r}")
    return value


def boolean(record: dict[str, Any], key: str, required: bool = False) -> bool | None:
    value = _get(record, key, required)
    if value is not None and not isinstance(value, bool):
        raise BadRecord(f"{key!r} must be true or false, not {value!r}")
    return value


def timestamp(record: dict[str, Any], key: str, required: bool = True) -> dt.datetime | None:
    """An ISO 8601 instant, as a naive UTC datetime (an instant without offset is UTC)."""
    value = text(record, key, required)
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise BadRecord(f"{key!r} is not an ISO 8601 timestamp: {value!r}") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def _object(record: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = record.get(key)
    if value is not None and not isinstance(value, dict):
        raise BadRecord(f"{key!r} must be an object, not {value!r}")
    return value


def _user(record: dict[str, Any], rows: Rows) -> int:
    """The record's user id, from its `user` object (kept as a user row) or its `user_id`."""
    user = _object(record, "user")
    if user is None:
        return integer(record, "user_id")  # type: ignore[return-value]
    user_id = integer(user, "id")
    rows["users"].append({"id": user_id, "login": text(user, "login", False)})
    return user_id  # type: ignore[return-value]


def projects_user(record: dict[str, Any], rows: Rows) -> None:
    project = _object(record, "project")
    if project is None:
        project_id = integer(record, "project_id")
    else:
        project_id = integer(project, "id")
        name, slug = text(project, "name", False), text(project, "slug", False)
        rows["projects"].append({"id": project_id, "name": name, "slug": slug})
    rows["projects_users"].append(
        {
            "id": integer(record, "id"),
            "project_id": project_id,
            "user_id": _user(record, rows),
            "occurrence": integer(record, "occurrence", False),
            "final_mark": integer(record, "final_mark", False),
            "status": text(record, "status"),
            "validated": boolean(record, "validated?"),
            "marked": boolean(record, "marked"),
            "current_team_id": integer(record, "current_team_id", False),
            "created_at": timestamp(record, "created_at"),
            "updated_at": timestamp(record, "updated_at"),
            "retriable_at": timestamp(record, "retriable_at", False),
            "marked_at": timestamp(record, "marked_at", False),
        }
    )


def campus_user(record: dict[str, Any], rows: Rows) -> None:
    rows["campus_users"].append(
        {
            "id": integer(record, "id"),
            "user_id": _user(record, rows),
            "campus_id": integer(record, "campus_id"),
            "is_primary": boolean(record, "is_primary"),
            "created_at": timestamp(record, "created_at", False),
            "updated_at": timestamp(record, "updated_at", False),
        }
    )


def cursus_user(record: dict[str, Any], rows: Rows) -> None:
    cursus = _object(record, "cursus")
    cursus_id = integer(record, "cursus_id", cursus is None)
    if cursus_id is None and cursus is not None:
        cursus_id = integer(cursus, "id")
    rows["cursus_users"].append(
        {
            "id": integer(record, "id"),
            "user_id": _user(record, rows),
            "cursus_id": cursus_id,
            "begin_at": timestamp(record, "begin_at", False),
            "end_at": timestamp(record, "end_at", False),
            "grade": text(record, "grade", False),
            "level": number(record, "level"),
            "created_at": timestamp(record, "created_at", False),
            "updated_at": timestamp(record, "updated_at", False),
        }
    )


# what `intragraph import KIND` reads, and the tables each kind writes to
KINDS: dict[str, tuple[Callable[[dict[str, Any], Rows], None], tuple[str, ...]]] = {
    "projects_users": (projects_user, ("projects_users", "projects", "users")),
    "campus_users": (campus_user, ("campus_users", "users")),
    "cursus_users": (cursus_user, ("cursus_users", "users")),
}


def read(kind: str, record: Any, rows: Rows) -> None:
    """Append the rows of one record; on a bad record nothing is appended."""
    if not isinstance(record, dict):
        raise BadRecord(f"expected an object, not {type(record).__name__}")
    parse, tables = KINDS[kind]
    scratch: Rows = {table: [] for table in tables}
    parse(record, scratch)
    for table, new in scratch.items():
        rows[table].extend(new)
