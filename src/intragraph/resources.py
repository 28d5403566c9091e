"""Resources as data: what a resource can graph, filter and range on, and its parents.

Adding a graphable resource of the 42 API (scale_teams, exams, locations...) means adding an
entry here and its table, not new code paths. Names here are our own constants: they are the only
identifiers that ever reach SQL; values from a request always travel as bound parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["int", "timestamp", "string", "bool"]


@dataclass(frozen=True)
class Field:
    """A column that a filter or a range reads directly."""

    name: str
    kind: Kind
    choices: tuple[str, ...] = ()  # for strings with a closed set of values


@dataclass(frozen=True)
class Membership:
    """A filter on a membership table: rows whose `link` is a member of one of the given values."""

    name: str
    table: str
    column: str
    link: str
    help: str


@dataclass(frozen=True)
class Reached:
    """A boolean filter: `column` is set and not later than now (true), or not (false)."""

    name: str
    column: str
    help: str


@dataclass(frozen=True)
class Parent:
    """A parent route, `/v2/<name>/<key>/<resource>/...`: the key is an id or a unique text."""

    name: str
    label: str
    table: str
    column: str  # the resource's column that points at the parent's id
    text_key: str  # the parent's other unique key: a slug, a login


@dataclass(frozen=True)
class Embed:
    """An object a list row carries, looked up by one of the row's columns: `project` from
    `project_id` in the projects table, with those of its columns."""

    name: str
    table: str
    column: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Resource:
    name: str
    table: str
    graph_fields: tuple[str, ...]
    default_field: str
    fields: dict[str, Field]
    filters: tuple[str, ...]
    ranges: tuple[str, ...]
    specials: dict[str, Membership | Reached] = field(default_factory=dict)
    parents: dict[str, Parent] = field(default_factory=dict)
    embeds: tuple[Embed, ...] = ()


STATUSES = (
    "creating_group",
    "searching_a_group",
    "in_progress",
    "waiting_for_correction",
    "finished",
    "parent",
)

_PROJECTS_USERS_FIELDS = (
    Field("id", "int"),
    Field("project_id", "int"),
    Field("user_id", "int"),
    Field("created_at", "timestamp"),
    Field("updated_at", "timestamp"),
    Field("occurrence", "int"),
    Field("final_mark", "int"),
    Field("retriable_at", "timestamp"),
    Field("marked_at", "timestamp"),
    Field("status", "string", STATUSES),
    Field("marked", "bool"),
)

# the standard fields the 42 API filters and ranges on, in its documentation's order
_STANDARD = (
    "id",
    "project_id",
    "user_id",
    "created_at",
    "updated_at",
    "occurrence",
    "final_mark",
    "retriable_at",
    "marked_at",
    "status",
)

PROJECTS_USERS = Resource(
    name="projects_users",
    table="projects_users",
    graph_fields=("created_at", "updated_at", "retriable_at"),
    default_field="created_at",
    fields={f.name: f for f in _PROJECTS_USERS_FIELDS},
    filters=(*_STANDARD, "cursus", "campus", "retriable", "marked"),
    ranges=_STANDARD,
    specials={
        "cursus": Membership(
            "cursus",
            "cursus_users",
            "cursus_id",
            "user_id",
            "Only projects users whose user is in one of the given cursus ids.",
        ),
        "campus": Membership(
            "campus",
            "campus_users",
            "campus_id",
            "user_id",
            "Only projects users whose user is in one of the given campus ids.",
        ),
        "retriable": Reached(
            "retriable",
            "retriable_at",
            "true: retriable_at is set and not later than now; false: the others.",
        ),
    },
    parents={
        "projects": Parent("projects", "Project", "projects", "project_id", "slug"),
        "users": Parent("users", "User", "users", "user_id", "login"),
    },
    embeds=(
        Embed("project", "projects", "project_id", ("id", "name", "slug")),
        Embed("user", "users", "user_id", ("id", "login")),
    ),
)


def _membership(name: str, group: str, extra: tuple[Field, ...]) -> Resource:
    """campus_users and cursus_users: listed (for sync and for 42 clients), not graphed."""
    fields = (
        Field("id", "int"),
        Field("user_id", "int"),
        Field(group, "int"),
        *extra,
        Field("created_at", "timestamp"),
        Field("updated_at", "timestamp"),
    )
    names = tuple(f.name for f in fields)
    return Resource(
        name=name,
        table=name,
        graph_fields=(),
        default_field="created_at",
        fields={f.name: f for f in fields},
        filters=names,
        ranges=tuple(f.name for f in fields if f.kind != "bool"),
        embeds=(Embed("user", "users", "user_id", ("id", "login")),),
    )


CAMPUS_USERS = _membership("campus_users", "campus_id", (Field("is_primary", "bool"),))
CURSUS_USERS = _membership(
    "cursus_users",
    "cursus_id",
    (Field("begin_at", "timestamp"), Field("end_at", "timestamp"), Field("grade", "string")),
)

RESOURCES = {PROJECTS_USERS.name: PROJECTS_USERS}  # graphed
LISTED = {r.name: r for r in (PROJECTS_USERS, CAMPUS_USERS, CURSUS_USERS)}
