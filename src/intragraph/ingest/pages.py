"""Whole pages of 42 API records read into rows at C speed (msgspec), for `intragraph import`.

`records.py` reads one record at a time and says exactly what is wrong with a bad one; that
costs some 10 µs a record in Python. Here a page is decoded at once into typed structs, and only
when every record in it is one that `records.py` would accept, into the very rows it would give
(timestamps as given: load.py reads those in bulk either way). A page with anything else in it
(a missing key, a wrong type, a null where a value is needed) gives None, and the caller reads
it with `records.py`, which says what is wrong. So this changes how fast a page is read, never
what is read from it; tests/test_pages.py holds the two to that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec

from intragraph.ingest.records import INT_MAX, INT_MIN


@dataclass
class Page:
    """`count` consecutive records: their rows of the import's own table, column by column in
    the table's order, and the rows of the objects they embed, by table and id (the last copy
    of each)."""

    columns: tuple[list[Any], ...]
    embedded: dict[str, dict[Any, tuple[Any, ...]]]
    count: int


# msgspec is as strict as records.py: an int is no float nor bool, a str is no number, unknown
# keys are ignored, the last of two equal keys wins; a field with no default is required.
Int = Annotated[int, msgspec.Meta(ge=INT_MIN, le=INT_MAX)]


class _Project(msgspec.Struct, gc=False):
    id: Int
    name: str | None = None
    slug: str | None = None


class _User(msgspec.Struct, gc=False):
    id: Int
    login: str | None = None


class _ProjectsUser(msgspec.Struct, gc=False):
    id: Int
    status: str
    created_at: str
    updated_at: str
    project: _Project | None = None
    project_id: Int | None = None
    user: _User | None = None
    user_id: Int | None = None
    occurrence: Int | None = None
    final_mark: Int | None = None
    validated: bool | None = msgspec.field(default=None, name="validated?")
    marked: bool | None = None
    current_team_id: Int | None = None
    retriable_at: str | None = None
    marked_at: str | None = None


_PROJECTS_USERS = msgspec.json.Decoder(list[_ProjectsUser] | _ProjectsUser)


def projects_users(value: bytes) -> Page | None:
    """A page (an array, or one object) of projects_users, or None for records.py to read."""
    try:
        decoded = _PROJECTS_USERS.decode(value)
    except (msgspec.DecodeError, RecursionError):  # ValidationError is a DecodeError
        return None
    items = decoded if isinstance(decoded, list) else [decoded]
    # as records.py: the embedded object's id if there is one, else the plain key
    projects = [item.project for item in items]
    project_ids = [i.project_id if i.project is None else i.project.id for i in items]
    users = [item.user for item in items]
    user_ids = [i.user_id if i.user is None else i.user.id for i in items]
    if None in project_ids or None in user_ids:
        return None
    statuses = [item.status for item in items]
    texts = [t for p in projects if p is not None for t in (p.name, p.slug) if t is not None]
    texts += [u.login for u in users if u is not None and u.login is not None]
    if "\x00" in "".join(statuses + texts):  # records.text refuses NUL: let it say so
        return None
    columns = (
        [item.id for item in items],
        project_ids,
        user_ids,
        [item.occurrence for item in items],
        [item.final_mark for item in items],
        [item.status for item in items],
        [item.validated for item in items],
        [item.marked for item in items],
        [item.current_team_id for item in items],
        [item.created_at for item in items],
        [item.updated_at for item in items],
        [item.retriable_at for item in items],
        [item.marked_at for item in items],
    )
    # the same object comes in most records: keep the last of each, then make its row
    unique_projects = {p.id: p for p in projects if p is not None}.values()
    unique_users = {u.id: u for u in users if u is not None}.values()
    embedded: dict[str, dict[Any, tuple[Any, ...]]] = {
        "projects": {p.id: (p.id, p.name, p.slug) for p in unique_projects},
        "users": {u.id: (u.id, u.login) for u in unique_users},
    }
    return Page(columns, embedded, len(items))


# the kinds of `intragraph import` that have a page reader; the others are read record by record
READERS: dict[str, Callable[[bytes], Page | None]] = {"projects_users": projects_users}
