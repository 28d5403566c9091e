"""Resources as data: one declaration per resource of the 42 API, and everything else derived.

A resource's entry says its fields as the API sends them (column, kind, JSON key, whether a
record needs it), the objects its records embed, what it graphs, filters, ranges and sorts on, its
parents (nested routes) and the keys of its list rows. From it come the table's columns
(`store/tables.py`), the record reader (`ingest/records.py`), the list row (`api/lists.py`), the
OpenAPI parameters and the README's table of resources (tested against it). Names here are our
own constants: they are the only identifiers that ever reach SQL; values from a request always
travel as bound parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["int", "float", "text", "bool", "timestamp"]


@dataclass(frozen=True)
class Field:
    """A column, and where a record of the 42 API has it."""

    name: str
    kind: Kind
    required: bool = False  # a record without it (or with null) is malformed
    key: str | None = None  # the JSON key, when it is not the column's name ("validated?")
    choices: tuple[str, ...] = ()  # a text with a closed set of values (filters check them)

    @property
    def json(self) -> str:
        return self.key or self.name


@dataclass(frozen=True)
class Entity:
    """A 42 object kept only as records embed it (a project, a user): its table's fields."""

    table: str
    fields: tuple[Field, ...]  # the id first


@dataclass(frozen=True)
class Embed:
    """An object a record carries under `name` (`project`), whose id is the record's `column`
    (`project_id`). A record without the object gives the column itself. With an `entity`, the
    object is also kept in the entity's table, and list rows show it again."""

    name: str
    column: str
    entity: Entity | None = None
    extra: tuple[tuple[str, None], ...] = ()  # keys a list row's object carries as null
    url: bool = False  # a list row's object carries its API url (/v2/<table>/<login or id>)


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
class Resource:
    name: str
    table: str
    columns: tuple[Field, ...]  # the table's columns, in order, the id first
    graph_fields: tuple[str, ...]  # the default first
    filters: tuple[str, ...]
    ranges: tuple[str, ...]  # also the sort keys
    row: tuple[str, ...]  # the keys of a list row, in the API's order
    specials: dict[str, Membership | Reached] = field(default_factory=dict)
    parents: dict[str, Parent] = field(default_factory=dict)
    embeds: tuple[Embed, ...] = ()
    empty: tuple[str, ...] = ()  # row keys of what intragraph does not keep: always []
    version: str | None = "updated_at"  # an imported row replaces the stored one if newer here

    @property
    def fields(self) -> dict[str, Field]:
        return {f.name: f for f in self.columns}

    @property
    def default_field(self) -> str:
        return self.graph_fields[0] if self.graph_fields else "created_at"


PROJECTS = Entity(
    "projects", (Field("id", "int", True), Field("name", "text"), Field("slug", "text"))
)
USERS = Entity("users", (Field("id", "int", True), Field("login", "text")))
ENTITIES = {entity.table: entity for entity in (PROJECTS, USERS)}

_USER = Embed("user", "user_id", USERS, url=True)

STATUSES = (
    "creating_group",
    "searching_a_group",
    "in_progress",
    "waiting_for_correction",
    "finished",
    "parent",
)

# the standard fields the 42 API filters and ranges projects_users on, in its documentation's order
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
    columns=(
        Field("id", "int", True),
        Field("project_id", "int", True),
        Field("user_id", "int", True),
        Field("occurrence", "int"),
        Field("final_mark", "int"),
        Field("status", "text", True, choices=STATUSES),
        Field("validated", "bool", key="validated?"),
        Field("marked", "bool"),
        Field("current_team_id", "int"),
        Field("created_at", "timestamp", True),
        Field("updated_at", "timestamp", True),
        Field("retriable_at", "timestamp"),
        Field("marked_at", "timestamp"),
    ),
    graph_fields=("created_at", "updated_at", "retriable_at"),
    filters=(*_STANDARD, "cursus", "campus", "retriable", "marked"),
    ranges=_STANDARD,
    row=(
        "id",
        "occurrence",
        "final_mark",
        "status",
        "validated?",
        "current_team_id",
        "project",
        "cursus_ids",
        "marked_at",
        "marked",
        "retriable_at",
        "created_at",
        "updated_at",
        "user",
        "teams",
    ),
    empty=("cursus_ids", "teams"),
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
    embeds=(Embed("project", "project_id", PROJECTS, extra=(("parent_id", None),)), _USER),
)


def _membership(
    name: str, group: Field, extra: tuple[Field, ...], row: tuple[str, ...], **more: object
) -> Resource:
    """campus_users and cursus_users: listed (for sync and for 42 clients), not graphed."""
    columns = (
        Field("id", "int", True),
        Field("user_id", "int", True),
        group,
        *extra,
        Field("created_at", "timestamp"),
        Field("updated_at", "timestamp"),
    )
    return Resource(
        name=name,
        table=name,
        columns=columns,
        graph_fields=(),
        filters=tuple(f.name for f in columns if f.kind != "float"),
        ranges=tuple(f.name for f in columns if f.kind not in ("bool", "float")),
        row=row,
        **more,  # type: ignore[arg-type]
    )


CAMPUS_USERS = _membership(
    "campus_users",
    Field("campus_id", "int", True),
    (Field("is_primary", "bool"),),
    ("id", "user_id", "campus_id", "is_primary", "created_at", "updated_at"),
    embeds=(_USER,),
)
CURSUS_USERS = _membership(
    "cursus_users",
    Field("cursus_id", "int", True),
    (
        Field("begin_at", "timestamp"),
        Field("end_at", "timestamp"),
        Field("grade", "text"),
        Field("level", "float"),
    ),
    (
        "id",
        "begin_at",
        "end_at",
        "grade",
        "level",
        "skills",
        "cursus_id",
        "user",
        "created_at",
        "updated_at",
    ),
    embeds=(Embed("cursus", "cursus_id"), _USER),
    empty=("skills",),
)

RESOURCES = {PROJECTS_USERS.name: PROJECTS_USERS}  # graphed
LISTED = {r.name: r for r in (PROJECTS_USERS, CAMPUS_USERS, CURSUS_USERS)}
