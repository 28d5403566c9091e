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

from dataclasses import dataclass, field, replace
from functools import cached_property
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
    # a record without the key takes this other key's value (languages_users' updated_at)
    fallback: str | None = None

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
    # the object is a record of that resource (a scale team's team): read by its reader, kept
    # in its table, shown as its list row
    resource: str | None = None
    # a list row shows {} rather than null when there is none (a scale team's truant), and a
    # record may hide it behind a string ("invisible")
    absent_as_empty: bool = False


@dataclass(frozen=True)
class Members:
    """The array of objects a record carries under `name` (a team's `users`), one row each in
    `table`: the record's id in `column`, the member's id (the object's `id`) in `member`, with
    the object's other `fields`; each member is also an `entity` (a user's id and login). The
    array replaces what was kept of the record's members. A row's id is
    record id * 10**9 + member id, so that importing the same array again changes nothing."""

    name: str
    table: str
    column: str
    member: str
    fields: tuple[Field, ...]
    entity: Entity


@dataclass(frozen=True)
class Membership:
    """A filter on a membership table: rows whose `link` is a member of one of the given values
    (and, with `only`, a member whose boolean column of that name is true: a primary campus)."""

    name: str
    table: str
    column: str
    link: str
    help: str = ""
    only: str | None = None
    own: str | None = None  # the resource's column, when it is not named `link` (users: id)
    # a second hop, (table, key, link): rows whose `own` is the `key` of a row of `table`
    # whose `link` is such a member (teams whose members are in a cursus, via teams_users)
    through: tuple[str, str, str] | None = None
    # the membership's (begin, end) columns: only memberships active now (active_cursus)
    current: tuple[str, str] | None = None


@dataclass(frozen=True)
class Reached:
    """A boolean filter: `column` is set and not later than now (true), or not (false)."""

    name: str
    column: str
    help: str


@dataclass(frozen=True)
class Future:
    """A boolean filter: `column` is later than now (true), or not later (false)."""

    name: str
    column: str
    help: str


@dataclass(frozen=True)
class Active:
    """A boolean filter: `begin` is reached and `end` is not (true: active now), or the others;
    `invert` swaps the two (locations' `inactive`)."""

    name: str
    begin: str
    end: str
    help: str
    invert: bool = False


@dataclass(frozen=True)
class Present:
    """A boolean filter: `column` is set (true), or null (false): teams' `with_mark`."""

    name: str
    column: str
    help: str


Special = Membership | Reached | Future | Active | Present


@dataclass(frozen=True)
class Parent:
    """A parent route, `/v2/<name>/<key>/<resource>/...`: the key is an id or a unique text."""

    name: str
    label: str
    table: str
    column: str | None  # the resource's column that points at the parent's id
    text_key: str | None  # the parent's other unique key (a slug, a login), if it has one
    graphed: bool = True  # the real API nests the graph under it, not only the list
    # rows linked to the parent through other tables (a user's teams, through teams_users);
    # a row is the parent's if its column or any of these links it
    via: tuple[Membership, ...] = ()
    # the route's first parent, when it has two (`/v2/users/:user_id/projects/:project_id/...`)
    outer: Parent | None = None
    # the column of `table` that holds the parent's id: `id`, or for a parent intragraph keeps
    # no table of, the resource's own column (a patronage is known by its reports)
    known_by: str = "id"

    @property
    def keys(self) -> str:
        """What names the parent in a route: "id or login", or "id"."""
        return f"id or {self.text_key}" if self.text_key else "id"

    @property
    def key(self) -> str:
        """The parent's entry in `Resource.parents`, and its route's words before the key."""
        return f"{self.outer.name}/{self.name}" if self.outer else self.name


@dataclass(frozen=True)
class Resource:
    name: str
    table: str
    columns: tuple[Field, ...]  # the table's columns, in order, the id first
    graph_fields: tuple[str, ...]  # the default first
    filters: tuple[str, ...]
    ranges: tuple[str, ...]  # also the sort keys
    row: tuple[str, ...]  # the keys of a list row, in the API's order
    specials: dict[str, Special] = field(default_factory=dict)
    parents: dict[str, Parent] = field(default_factory=dict)
    embeds: tuple[Embed, ...] = ()
    empty: tuple[str, ...] = ()  # row keys of what intragraph does not keep: always []
    nulls: tuple[str, ...] = ()  # row keys the real API answers null (locations' floor...)
    version: str | None = "updated_at"  # an imported row replaces the stored one if newer here
    # a list's order when the request gives no sort: (column, descending), as documented
    order: tuple[tuple[str, bool], ...] = (("id", False),)
    # a stored value is never erased by a null: the rows of objects that other records embed
    # carry only a few of its columns (users: id and login)
    fill: bool = False
    sorts: tuple[str, ...] = ()  # sort keys, when not the ranges (slots sort on more)
    # how `intragraph sync` pages a resource without updated_at: (date, whether a first run
    # starts at the run rather than at 1970), one window each; ("id", False) reads it whole,
    # by id, on each run (its rows carry no date)
    sync_stamps: tuple[tuple[str, bool], ...] = ()
    # the upstream's filters that `intragraph sync --campus` / `--cursus` narrow it by
    narrow: tuple[tuple[str, str], ...] = ()
    members: Members | None = None
    # row keys listing the members of an embedded object as users ({id, login, url}): a scale
    # team's correcteds are its team's users
    people: tuple[tuple[str, str], ...] = ()
    # groups of at most two own columns (int, text or bool) or memberships (a special's name:
    # a user's campuses) whose rows are counted per UTC hour and day and values
    # (`store/facets.py`): a graph filtered on a group's, in a zone of whole hours, reads
    # counts, not rows
    facets: tuple[tuple[str, ...], ...] = ()

    @property
    def sort_keys(self) -> tuple[str, ...]:
        return self.sorts or self.ranges

    @cached_property  # asked for each parameter of each request: made once
    def fields(self) -> dict[str, Field]:
        """The columns by the name requests give them (their JSON key: `primary`, whose column
        is `is_primary`, a word SQL keeps for itself)."""
        return {f.json: f for f in self.columns}

    @property
    def default_field(self) -> str:
        return self.graph_fields[0] if self.graph_fields else "created_at"


PROJECTS = Entity(
    "projects", (Field("id", "int", True), Field("name", "text"), Field("slug", "text"))
)
USERS = Entity("users", (Field("id", "int", True), Field("login", "text")))
CURSUS = Entity("cursus", (Field("id", "int", True), Field("name", "text"), Field("slug", "text")))
QUESTS = Entity("quests", (Field("id", "int", True), Field("name", "text"), Field("slug", "text")))
ROLES = Entity("roles", (Field("id", "int", True), Field("name", "text")))
CLOSES = Entity(
    "closes", (Field("id", "int", True), Field("reason", "text"), Field("state", "text"))
)
REPORTS = Entity(
    "reports", (Field("id", "int", True), Field("name", "text"), Field("slug", "text"))
)
ENTITIES = {
    entity.table: entity for entity in (PROJECTS, USERS, CURSUS, QUESTS, ROLES, CLOSES, REPORTS)
}

_USER = Embed("user", "user_id", USERS, url=True)


def _reached(name: str, column: str) -> Reached:
    return Reached(
        name, column, f"true: {column} is set and not later than now; false: the others."
    )


def _campus_of(table: str) -> Parent:
    """A campus, which intragraph keeps no table of: known by the rows of `table` in it (404
    when none is)."""
    return Parent("campus", "Campus", table, "campus_id", None, graphed=False, known_by="campus_id")


def _future(column: str) -> Future:
    return Future("future", column, f"true: {column} is later than now; false: it is not.")


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
    # a campus' dashboards: a project's, or a status' in a campus (the campus first: it is
    # always asked for, the statuses not always, and PostgreSQL's index reads what its
    # first values narrow: a campus' week in Paris, 218 -> 87 ms at 1M rows); and the sets of
    # campuses of the users in several, for graphs on several campuses (`facets.is_set`)
    facets=(("project_id", "status"), ("campus", "status"), ("campus+", "status")),
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
        "retriable": _reached("retriable", "retriable_at"),
    },
    parents={
        "projects": Parent("projects", "Project", "projects", "project_id", "slug"),
        "users": Parent("users", "User", "users", "user_id", "login"),
    },
    embeds=(Embed("project", "project_id", PROJECTS, extra=(("parent_id", None),)), _USER),
    narrow=(("campus", "campus"), ("cursus", "cursus")),
)


CAMPUS_USERS = Resource(
    name="campus_users",
    table="campus_users",
    columns=(
        Field("id", "int", True),
        Field("user_id", "int", True),
        Field("campus_id", "int", True),
        Field("is_primary", "bool"),
        Field("created_at", "timestamp"),
        Field("updated_at", "timestamp"),
    ),
    graph_fields=(),
    filters=("id", "user_id", "campus_id", "is_primary", "created_at", "updated_at"),
    ranges=("id", "user_id", "campus_id", "created_at", "updated_at"),
    row=("id", "user_id", "campus_id", "is_primary", "created_at", "updated_at"),
    embeds=(_USER,),
    order=(("created_at", True), ("id", True)),
    narrow=(("campus", "campus_id"),),
)

# the columns the 42 API filters, ranges and sorts cursus_users on, in its documentation's order
_CURSUS_USERS = (
    "id",
    "cursus_id",
    "user_id",
    "created_at",
    "updated_at",
    "end_at",
    "begin_at",
    "has_coalition",
    "blackholed_at",
    "level",
)
CURSUS_USERS = Resource(
    name="cursus_users",
    table="cursus_users",
    columns=(
        Field("id", "int", True),
        Field("user_id", "int", True),
        Field("cursus_id", "int", True),
        Field("begin_at", "timestamp"),
        Field("end_at", "timestamp"),
        Field("grade", "text"),
        Field("level", "float"),
        Field("created_at", "timestamp"),
        Field("updated_at", "timestamp"),
        Field("has_coalition", "bool"),
        Field("blackholed_at", "timestamp"),
    ),
    graph_fields=("created_at", "updated_at", "begin_at", "end_at"),
    # grade is not among the documented filters: kept, as intragraph has always taken it
    filters=(*_CURSUS_USERS, "grade", "end", "blackholed", "active", "campus_id", "future"),
    ranges=tuple(name for name in (*_CURSUS_USERS, "grade") if name != "has_coalition"),
    row=(
        "id",
        "begin_at",
        "end_at",
        "grade",
        "level",
        "skills",
        "cursus_id",
        "has_coalition",
        "blackholed_at",
        "user",
        "cursus",
        "created_at",
        "updated_at",
    ),
    empty=("skills",),
    specials={
        "end": _reached("end", "end_at"),
        "blackholed": _reached("blackholed", "blackholed_at"),
        "active": Active(
            "active",
            "begin_at",
            "end_at",
            "true: begun (begin_at not later than now) and not ended (no end_at, or a later "
            "one); false: the others.",
        ),
        "campus_id": Membership(
            "campus_id",
            "campus_users",
            "campus_id",
            "user_id",
            "Only cursus users whose user's primary campus is one of the given campus ids.",
            only="is_primary",
        ),
        "future": _future("begin_at"),
    },
    parents={
        "users": Parent("users", "User", "users", "user_id", "login", graphed=False),
        "cursus": Parent("cursus", "Cursus", "cursus", "cursus_id", "slug", graphed=False),
    },
    embeds=(Embed("cursus", "cursus_id", CURSUS), _USER),
    order=(("created_at", True), ("id", True)),
    narrow=(("campus", "campus_id"), ("cursus", "cursus_id")),
)

_LOCATIONS = ("id", "user_id", "begin_at", "end_at", "primary", "host", "campus_id")
LOCATIONS = Resource(
    name="locations",
    table="locations",
    columns=(
        Field("id", "int", True),
        Field("user_id", "int", True),
        Field("begin_at", "timestamp", True),
        Field("end_at", "timestamp"),
        Field("is_primary", "bool", key="primary"),
        Field("host", "text", True),
        Field("campus_id", "int", True),
    ),
    graph_fields=("begin_at", "end_at"),
    filters=(*_LOCATIONS, "end", "active", "inactive", "future"),
    facets=(("campus_id",),),
    ranges=_LOCATIONS,
    row=(
        "id",
        "begin_at",
        "end_at",
        "primary",
        "floor",
        "row",
        "post",
        "host",
        "campus_id",
        "user",
    ),
    nulls=("floor", "row", "post"),
    specials={
        "end": _reached("end", "end_at"),
        "active": Active(
            "active",
            "begin_at",
            "end_at",
            "true: open now (begun, and no end_at or a later one); false: closed or to come.",
        ),
        "inactive": Active(
            "inactive",
            "begin_at",
            "end_at",
            "true: closed or to come; false: open now.",
            invert=True,
        ),
        "future": _future("begin_at"),
    },
    parents={
        "users": Parent("users", "User", "users", "user_id", "login", graphed=False),
        "campus": _campus_of("locations"),
    },
    embeds=(_USER,),
    version=None,  # locations carry no updated_at: a changed row replaces the stored one
    order=(("begin_at", True), ("id", True)),
    # a session changes once, when it closes: what began since, then what closed since
    sync_stamps=(("begin_at", False), ("end_at", True)),
    narrow=(("campus", "campus_id"),),
)

SLOTS = Resource(
    name="slots",
    table="slots",
    columns=(
        Field("id", "int", True),
        Field("user_id", "int"),
        Field("begin_at", "timestamp", True),
        Field("end_at", "timestamp", True),
        Field("scale_team_id", "int"),
        Field("created_at", "timestamp", True),
    ),
    graph_fields=("created_at", "begin_at", "end_at"),
    filters=("id", "begin_at", "end_at", "created_at", "end", "campus_id", "future"),
    ranges=("id", "begin_at", "end_at", "created_at"),
    sorts=("id", "begin_at", "end_at", "user_id", "created_at", "scale_team_id"),
    # created_at is no key of the documented row: kept, so that a copy loses nothing
    row=("id", "begin_at", "end_at", "scale_team", "user", "created_at"),
    specials={
        "end": _reached("end", "end_at"),
        "campus_id": Membership(
            "campus_id",
            "campus_users",
            "campus_id",
            "user_id",
            "Only slots whose user's primary campus is one of the given campus ids.",
            only="is_primary",
        ),
        "future": _future("begin_at"),
    },
    parents={
        "users": Parent("users", "User", "users", "user_id", "login"),
        # a project's slots: those booked by an evaluation of one of its teams
        "projects": Parent(
            "projects",
            "Project",
            "projects",
            None,
            "slug",
            via=(
                Membership(
                    "projects",
                    "teams",
                    "project_id",
                    "id",
                    own="scale_team_id",
                    through=("scale_teams", "id", "team_id"),
                ),
            ),
        ),
    },
    embeds=(Embed("scale_team", "scale_team_id"), _USER),
    version=None,  # slots carry no updated_at
    order=(("id", True),),
    # new slots by created_at; a booking changes no date the API shows, and a slot given back
    # is deleted: `--full` finds those
    sync_stamps=(("created_at", False),),
    narrow=(("campus", "campus_id"),),
)

_EVENTS = (
    "id",
    "begin_at",
    "end_at",
    "name",
    "description",
    "location",
    "kind",
    "max_people",
    "created_at",
    "updated_at",
    "prohibition_of_cancellation",
    "difficulty",
    "remote",
)
EVENTS = Resource(
    name="events",
    table="events",
    columns=(
        Field("id", "int", True),
        Field("begin_at", "timestamp", True),
        Field("end_at", "timestamp"),
        Field("name", "text", True),
        Field("description", "text"),
        Field("location", "text"),
        Field("kind", "text"),
        Field("max_people", "int"),
        Field("nbr_subscribers", "int"),
        Field("prohibition_of_cancellation", "int"),
        Field("difficulty", "int"),
        Field("remote", "bool"),
        Field("created_at", "timestamp", True),
        Field("updated_at", "timestamp", True),
    ),
    graph_fields=("created_at", "updated_at", "begin_at", "end_at"),
    filters=(*_EVENTS, "end", "future"),
    ranges=tuple(name for name in _EVENTS if name != "remote"),
    row=(
        "id",
        "name",
        "description",
        "location",
        "kind",
        "max_people",
        "nbr_subscribers",
        "begin_at",
        "end_at",
        "campus_ids",
        "cursus_ids",
        "themes",
        "waitlist",
        "prohibition_of_cancellation",
        "created_at",
        "updated_at",
        # documented columns the documented row leaves out: kept, so that a copy made from
        # the list (`intragraph sync`) loses nothing
        "difficulty",
        "remote",
    ),
    empty=("campus_ids", "cursus_ids", "themes"),
    nulls=("waitlist",),
    specials={"end": _reached("end", "end_at"), "future": _future("begin_at")},
    order=(("begin_at", True), ("id", True)),
)

_EXAMS = (
    "id",
    "begin_at",
    "end_at",
    "location",
    "ip_range",
    "max_people",
    "created_at",
    "updated_at",
    "visible",
    "name",
    "campus_id",
    "validated_at",
    "validator_id",
    "prohibition_of_cancellation",
)
EXAMS = Resource(
    name="exams",
    table="exams",
    columns=(
        Field("id", "int", True),
        Field("begin_at", "timestamp", True),
        Field("end_at", "timestamp"),
        Field("location", "text"),
        Field("ip_range", "text"),
        Field("max_people", "int"),
        Field("nbr_subscribers", "int"),
        Field("name", "text", True),
        Field("visible", "bool"),
        Field("campus_id", "int"),
        Field("validated_at", "timestamp"),
        Field("validator_id", "int"),
        Field("prohibition_of_cancellation", "int"),
        Field("created_at", "timestamp", True),
        Field("updated_at", "timestamp", True),
    ),
    graph_fields=("created_at", "updated_at", "begin_at", "end_at"),
    filters=(*_EXAMS, "end", "validated", "future"),
    ranges=tuple(name for name in _EXAMS if name != "visible"),
    row=(
        "id",
        "ip_range",
        "begin_at",
        "end_at",
        "location",
        "max_people",
        "nbr_subscribers",
        "name",
        "created_at",
        "updated_at",
        "campus",
        "cursus",
        "projects",
        # documented columns the documented row leaves out (see events)
        "visible",
        "validated_at",
        "validator_id",
        "prohibition_of_cancellation",
    ),
    empty=("cursus", "projects"),
    specials={
        "end": _reached("end", "end_at"),
        "validated": _reached("validated", "validated_at"),
        "future": _future("begin_at"),
    },
    parents={"campus": _campus_of("exams")},
    embeds=(Embed("campus", "campus_id"),),
    order=(("begin_at", True), ("id", True)),
    narrow=(("campus", "campus_id"),),
)

_USERS = ("id", "login", "email", "created_at", "updated_at", "pool_year", "pool_month", "kind")


def _users_of(
    name: str,
    label: str,
    table: str,
    text_key: str | None,
    through: str,
    column: str,
    known_by: str = "id",
) -> Parent:
    """A parent of the users list (lists only): the users with a membership of it in
    `through`, whose `column` holds the parent's id."""
    membership = Membership(name, through, column, "user_id", own="id")
    return Parent(
        name, label, table, None, text_key, graphed=False, known_by=known_by, via=(membership,)
    )


USERS_RESOURCE = Resource(
    name="users",
    table="users",
    # id and login first: they are what other records embed (the entity USERS)
    columns=(
        *USERS.fields,
        Field("email", "text"),
        Field("first_name", "text"),
        Field("last_name", "text"),
        Field("usual_full_name", "text"),
        Field("usual_first_name", "text"),
        Field("displayname", "text"),
        Field("kind", "text"),
        Field("staff", "bool", key="staff?"),
        Field("correction_point", "int"),
        Field("wallet", "int"),
        Field("pool_month", "text"),
        Field("pool_year", "text"),
        Field("alumni", "bool", key="alumni?"),
        Field("active", "bool", key="active?"),
        Field("alumnized_at", "timestamp"),
        Field("created_at", "timestamp"),
        Field("updated_at", "timestamp"),
    ),
    graph_fields=("created_at", "updated_at"),
    filters=(*_USERS, "primary_campus_id", "first_name", "last_name", "alumni?", "staff?"),
    ranges=_USERS,
    row=(
        "id",
        "email",
        "login",
        "first_name",
        "last_name",
        "usual_full_name",
        "usual_first_name",
        "url",
        "phone",
        "displayname",
        "kind",
        "image",
        "staff?",
        "correction_point",
        "pool_month",
        "pool_year",
        "location",
        "wallet",
        "anonymize_date",
        "data_erasure_date",
        "created_at",
        "updated_at",
        "alumnized_at",
        "alumni?",
        "active?",
    ),
    # not kept: a phone is private, a seat (location) changes by the minute, and the image and
    # the erasure dates are the intranet's own business
    nulls=("phone", "image", "location", "anonymize_date", "data_erasure_date"),
    specials={
        "primary_campus_id": Membership(
            "primary_campus_id",
            "campus_users",
            "campus_id",
            "user_id",
            "Only users whose primary campus is one of the given campus ids.",
            only="is_primary",
            own="id",
        ),
    },
    # the lists of a parent's users: those with a membership of it
    parents={
        "cursus": _users_of("cursus", "Cursus", "cursus", "slug", "cursus_users", "cursus_id"),
        "campus": _users_of(
            "campus", "Campus", "campus_users", None, "campus_users", "campus_id", "campus_id"
        ),
        "projects": _users_of(
            "projects", "Project", "projects", "slug", "projects_users", "project_id"
        ),
        "teams": _users_of("teams", "Team", "teams", None, "teams_users", "team_id"),
    },
    order=(("id", True),),
    fill=True,
    narrow=(("campus", "primary_campus_id"),),
)

# the columns the 42 API filters, ranges and sorts teams on, in its documentation's order
_TEAMS = (
    "id",
    "project_id",
    "name",
    "created_at",
    "updated_at",
    "locked_at",
    "closed_at",
    "final_mark",
    "repo_url",
    "repo_uuid",
    "deadline_at",
    "terminating_at",
    "project_session_id",
    "status",
)
# a team's members, kept in teams_users: what the teams filters by cursus and campus go through
_MEMBERS = ("teams_users", "team_id", "user_id")
_PROJECTS = Parent("projects", "Project", "projects", "project_id", "slug")
_MEMBER_OF_TEAM = Membership("users", "teams_users", "user_id", "team_id", own="id")
_TEAM_OF_USERS = Parent("users", "User", "users", None, "login", via=(_MEMBER_OF_TEAM,))
TEAMS = Resource(
    name="teams",
    table="teams",
    columns=(
        Field("id", "int", True),
        Field("name", "text"),
        Field("final_mark", "int"),
        Field("project_id", "int", True),
        Field("created_at", "timestamp", True),
        Field("updated_at", "timestamp", True),
        Field("status", "text"),
        Field("terminating_at", "timestamp"),
        Field("locked", "bool", key="locked?"),
        Field("validated", "bool", key="validated?"),
        Field("closed", "bool", key="closed?"),
        Field("repo_url", "text"),
        Field("repo_uuid", "text"),
        Field("locked_at", "timestamp"),
        Field("closed_at", "timestamp"),
        Field("project_session_id", "int"),
        Field("deadline_at", "timestamp"),
    ),
    graph_fields=(
        "created_at",
        "updated_at",
        "locked_at",
        "closed_at",
        "deadline_at",
        "terminating_at",
    ),
    filters=(
        *_TEAMS,
        "locked",
        "closed",
        "deadline",
        "terminating",
        "cursus",
        "active_cursus",
        "campus",
        "primary_campus",
        "with_mark",
    ),
    ranges=_TEAMS,
    row=(
        "id",
        "name",
        "url",
        "final_mark",
        "project_id",
        "created_at",
        "updated_at",
        "status",
        "terminating_at",
        "users",
        "locked?",
        "validated?",
        "closed?",
        "repo_url",
        "repo_uuid",
        "locked_at",
        "closed_at",
        "project_session_id",
        "scale_teams",
        "teams_uploads",
        # a documented column the documented row leaves out (see events)
        "deadline_at",
    ),
    empty=("scale_teams", "teams_uploads"),
    specials={
        "locked": _reached("locked", "locked_at"),
        "closed": _reached("closed", "closed_at"),
        "deadline": _reached("deadline", "deadline_at"),
        "terminating": _reached("terminating", "terminating_at"),
        "cursus": Membership(
            "cursus",
            "cursus_users",
            "cursus_id",
            "user_id",
            "Only teams with a member in one of the given cursus ids.",
            own="id",
            through=_MEMBERS,
        ),
        "active_cursus": Membership(
            "active_cursus",
            "cursus_users",
            "cursus_id",
            "user_id",
            "Only teams with a member active now (begun, not ended) in one of the given cursus "
            "ids.",
            own="id",
            through=_MEMBERS,
            current=("begin_at", "end_at"),
        ),
        "campus": Membership(
            "campus",
            "campus_users",
            "campus_id",
            "user_id",
            "Only teams with a member in one of the given campus ids.",
            own="id",
            through=_MEMBERS,
        ),
        "primary_campus": Membership(
            "primary_campus",
            "campus_users",
            "campus_id",
            "user_id",
            "Only teams with a member whose primary campus is one of the given campus ids.",
            only="is_primary",
            own="id",
            through=_MEMBERS,
        ),
        "with_mark": Present(
            "with_mark", "final_mark", "true: final_mark is set; false: it is null."
        ),
    },
    parents={
        "cursus": Parent(
            "cursus",
            "Cursus",
            "cursus",
            None,
            "slug",
            via=(
                Membership(
                    "cursus", "cursus_users", "cursus_id", "user_id", own="id", through=_MEMBERS
                ),
            ),
        ),
        "users": _TEAM_OF_USERS,
        "users/projects": replace(_PROJECTS, outer=_TEAM_OF_USERS),
        "projects": _PROJECTS,
        "project_sessions": Parent(
            "project_sessions",
            "Project session",
            "project_sessions",
            "project_session_id",
            None,
            graphed=False,
        ),
    },
    members=Members(
        "users",
        "teams_users",
        "team_id",
        "user_id",
        (
            Field("leader", "bool"),
            Field("occurrence", "int"),
            Field("validated", "bool"),
            Field("projects_user_id", "int"),
        ),
        USERS,
    ),
    order=(("id", False),),
    narrow=(("campus", "campus"), ("cursus", "cursus")),
)

# the columns the 42 API filters, ranges and sorts scale_teams on that intragraph keeps (token,
# ip, internship_id and old_feedback are no key of a row: never seen, never kept)
_SCALE_TEAMS = (
    "id",
    "user_id",
    "begin_at",
    "created_at",
    "updated_at",
    "scale_id",
    "team_id",
    "comment",
    "feedback",
    "final_mark",
    "truant_id",
    "flag_id",
    "filled_at",
)
SCALE_TEAMS = Resource(
    name="scale_teams",
    table="scale_teams",
    columns=(
        Field("id", "int", True),
        Field("scale_id", "int"),
        Field("team_id", "int"),
        Field("user_id", "int"),  # the corrector
        Field("truant_id", "int"),
        Field("flag_id", "int"),
        Field("comment", "text"),
        Field("feedback", "text"),
        Field("feedback_rating", "int"),
        Field("final_mark", "int"),
        Field("begin_at", "timestamp"),
        Field("filled_at", "timestamp"),
        Field("created_at", "timestamp", True),
        Field("updated_at", "timestamp", True),
    ),
    graph_fields=("created_at", "updated_at", "begin_at"),
    filters=(*_SCALE_TEAMS, "filled", "campus_id", "cursus_id", "feedback_rating", "future"),
    ranges=(*_SCALE_TEAMS, "feedback_rating"),
    row=(
        "id",
        "scale_id",
        "comment",
        "created_at",
        "updated_at",
        "feedback",
        "feedback_rating",
        "final_mark",
        "flag",
        "begin_at",
        "correcteds",
        "corrector",
        "truant",
        "filled_at",
        "scale",
        "team",
        "feedbacks",
    ),
    empty=("feedbacks",),
    people=(("correcteds", "team"),),
    specials={
        "filled": _reached("filled", "filled_at"),
        "campus_id": Membership(
            "campus_id",
            "campus_users",
            "campus_id",
            "user_id",
            "Only evaluations whose corrector's primary campus is one of the given campus ids.",
            only="is_primary",
        ),
        "cursus_id": Membership(
            "cursus_id",
            "cursus_users",
            "cursus_id",
            "user_id",
            "Only evaluations whose corrector is in one of the given cursus ids.",
        ),
        "future": _future("begin_at"),
    },
    parents={
        # a project's evaluations are those of its teams
        "projects": Parent(
            "projects",
            "Project",
            "projects",
            None,
            "slug",
            via=(Membership("projects", "teams", "project_id", "id", own="team_id"),),
        ),
        # a user's evaluations: as corrector, and of the teams they are a member of
        "users": Parent(
            "users",
            "User",
            "users",
            "user_id",
            "login",
            via=(Membership("users", "teams_users", "user_id", "team_id", own="team_id"),),
        ),
        # a session's evaluations are those of its teams
        "project_sessions": Parent(
            "project_sessions",
            "Project session",
            "project_sessions",
            None,
            None,
            graphed=False,
            via=(
                Membership("project_sessions", "teams", "project_session_id", "id", own="team_id"),
            ),
        ),
    },
    embeds=(
        Embed("flag", "flag_id"),
        Embed("corrector", "user_id", USERS, url=True, absent_as_empty=True),
        Embed("truant", "truant_id", USERS, url=True, absent_as_empty=True),
        Embed("scale", "scale_id"),
        Embed("team", "team_id", resource="teams"),
    ),
    order=(("begin_at", True), ("id", True)),
    narrow=(("campus", "campus_id"), ("cursus", "cursus_id")),
)


# -- the graph family, part 2 -----------------------------------------------------------------


QUESTS_USERS = Resource(
    name="quests_users",
    table="quests_users",
    columns=(
        Field("id", "int", True),
        Field("quest_id", "int", True),
        Field("user_id", "int", True),
        Field("end_at", "timestamp"),
        Field("validated_at", "timestamp"),
        Field("prct", "int"),
        Field("advancement", "text"),
        Field("created_at", "timestamp", True),
        Field("updated_at", "timestamp", True),
    ),
    graph_fields=("created_at", "updated_at", "end_at", "validated_at"),
    filters=(
        "id",
        "quest_id",
        "user_id",
        "end_at",
        "validated_at",
        "prct",
        "advancement",
        "created_at",
        "updated_at",
        "end",
        "validated",
        "campus_id",
    ),
    ranges=(
        "id",
        "quest_id",
        "user_id",
        "end_at",
        "validated_at",
        "prct",
        "advancement",
        "created_at",
        "updated_at",
    ),
    row=(
        "id",
        "end_at",
        "quest_id",
        "validated_at",
        "prct",
        "advancement",
        "created_at",
        "updated_at",
        "user",
        "quest",
    ),
    specials={
        "end": _reached("end", "end_at"),
        "validated": _reached("validated", "validated_at"),
        "campus_id": Membership(
            "campus_id",
            "campus_users",
            "campus_id",
            "user_id",
            "Only quests users whose user's primary campus is one of the given campus ids.",
            only="is_primary",
        ),
    },
    parents={
        "quests": Parent("quests", "Quest", "quests", "quest_id", "slug", graphed=False),
        "users": Parent("users", "User", "users", "user_id", "login", graphed=False),
    },
    embeds=(Embed("quest", "quest_id", QUESTS), _USER),
    order=(("id", True),),
    narrow=(("campus", "campus_id"),),
)

_COMMUNITY_SERVICES = (
    "id",
    "close_id",
    "duration",
    "schedule_at",
    "occupation",
    "state",
    "created_at",
    "updated_at",
)
COMMUNITY_SERVICES = Resource(
    name="community_services",
    table="community_services",
    columns=(
        Field("id", "int", True),
        Field("close_id", "int"),
        Field("duration", "int"),
        Field("schedule_at", "timestamp"),
        Field("occupation", "text"),
        Field("state", "text"),
        Field("campus_id", "int"),
        Field("created_at", "timestamp", True),
        Field("updated_at", "timestamp", True),
    ),
    graph_fields=("created_at", "updated_at", "schedule_at"),
    # tiger_id and token are in no row: never seen, never kept
    filters=(*_COMMUNITY_SERVICES, "schedule", "campus_id"),
    ranges=_COMMUNITY_SERVICES,
    row=(
        "id",
        "duration",
        "schedule_at",
        "occupation",
        "state",
        "created_at",
        "updated_at",
        "close",
        # kept when a record carries it, so that a copy loses nothing (campus_id filters on it)
        "campus_id",
    ),
    specials={"schedule": _reached("schedule", "schedule_at")},
    parents={
        "closes": Parent("closes", "Close", "closes", "close_id", None, graphed=False),
    },
    embeds=(Embed("close", "close_id", CLOSES),),
    order=(("created_at", True), ("id", True)),
    narrow=(("campus", "campus_id"),),
)

_ROLES_ENTITIES = (
    "id",
    "role_id",
    "entity_id",
    "expires_at",
    "created_at",
    "updated_at",
    "entity_type",
)
ROLES_ENTITIES = Resource(
    name="roles_entities",
    table="roles_entities",
    columns=(
        Field("id", "int", True),
        Field("role_id", "int", True),
        Field("entity_id", "int", True),
        Field("entity_type", "text"),
        Field("expires_at", "timestamp"),
        Field("created_at", "timestamp", True),
        Field("updated_at", "timestamp"),
    ),
    graph_fields=("created_at", "updated_at", "expires_at"),
    filters=(*_ROLES_ENTITIES, "expires"),
    ranges=_ROLES_ENTITIES,
    row=(
        "id",
        "entity_id",
        "entity_type",
        "created_at",
        "expires_at",
        "entity",
        "role",
        "updated_at",  # a documented column the documented row leaves out (see events)
    ),
    specials={"expires": _reached("expires", "expires_at")},
    parents={"roles": Parent("roles", "Role", "roles", "role_id", None, graphed=False)},
    embeds=(Embed("entity", "entity_id"), Embed("role", "role_id", ROLES)),
    order=(("id", True),),
    sync_stamps=(("id", False),),  # no updated_at in the API's rows: read whole (a few rows)
)

LANGUAGES = Resource(
    name="languages",
    table="languages",
    columns=(
        Field("id", "int", True),
        Field("name", "text", True),
        Field("identifier", "text"),
        Field("created_at", "timestamp"),
        Field("updated_at", "timestamp"),
    ),
    graph_fields=("created_at", "updated_at"),
    filters=("id", "name", "identifier", "created_at", "updated_at"),
    ranges=("id", "name", "identifier", "created_at", "updated_at"),
    # the dates are no key of the documented row: kept, so that a copy loses nothing
    row=("id", "name", "identifier", "created_at", "updated_at"),
    order=(("id", True),),
    sync_stamps=(("id", False),),  # the API's rows carry no date: read whole (a few rows)
)

LANGUAGES_USERS = Resource(
    name="languages_users",
    table="languages_users",
    columns=(
        Field("id", "int", True),
        Field("language_id", "int", True),
        Field("user_id", "int", True),
        Field("position", "int"),
        Field("created_at", "timestamp", True),
        # graphed by the real API, though no row shows it: a row without one was never
        # updated since it was made
        Field("updated_at", "timestamp", fallback="created_at"),
    ),
    graph_fields=("created_at", "updated_at"),
    filters=("id", "language_id", "user_id", "position", "created_at"),
    ranges=("id", "language_id", "user_id", "position", "created_at"),
    row=("id", "language_id", "user_id", "position", "created_at"),
    parents={"users": Parent("users", "User", "users", "user_id", "login", graphed=False)},
    order=(("id", True),),
    sync_stamps=(("created_at", False),),  # no updated_at in the API's rows: new ones
)

_ANNOUNCEMENTS = (
    "id",
    "author",
    "title",
    "text",
    "kind",
    "created_at",
    "updated_at",
    "image",
    "expire_at",
    "link",
    "notificable_id",
    "notificable_type",
)
ANNOUNCEMENTS = Resource(
    name="announcements",
    table="announcements",
    columns=(
        Field("id", "int", True),
        Field("author", "text"),
        Field("title", "text"),
        Field("text", "text"),
        Field("kind", "text"),
        Field("link", "text"),
        Field("image", "text"),
        Field("notificable_id", "int"),
        Field("notificable_type", "text"),
        Field("expire_at", "timestamp"),
        Field("created_at", "timestamp", True),
        Field("updated_at", "timestamp", True),
    ),
    graph_fields=("created_at", "updated_at", "expire_at"),
    filters=(*_ANNOUNCEMENTS, "expire"),
    ranges=_ANNOUNCEMENTS,
    row=(
        "id",
        "author",
        "title",
        "text",
        "kind",
        "link",
        "created_at",
        "updated_at",
        "expire_at",
        # documented columns the documented row leaves out (see events)
        "image",
        "notificable_id",
        "notificable_type",
    ),
    specials={"expire": _reached("expire", "expire_at")},
    order=(("expire_at", True), ("id", True)),
)

_DASHES = (
    "id",
    "name",
    "description",
    "cursus_id",
    "skill_id",
    "nbr_xp",
    "slug",
    "begin_at",
    "duration",
    "created_at",
    "updated_at",
    "campus_id",
)
DASHES = Resource(
    name="dashes",
    table="dashes",
    columns=(
        Field("id", "int", True),
        Field("name", "text", True),
        Field("description", "text"),
        Field("slug", "text"),
        Field("cursus_id", "int"),
        Field("campus_id", "int"),
        Field("skill_id", "int"),
        Field("nbr_xp", "text"),  # a string in the API's rows ("1000")
        Field("begin_at", "timestamp"),
        Field("end_at", "timestamp"),
        Field("duration", "int"),
        Field("created_at", "timestamp", True),
        Field("updated_at", "timestamp", True),
    ),
    graph_fields=("created_at", "updated_at"),
    filters=(*_DASHES, "future"),
    ranges=_DASHES,
    row=(
        "id",
        "name",
        "description",
        "slug",
        "cursus_id",
        "campus_id",
        "skill_id",
        "nbr_xp",
        "begin_at",
        "end_at",
        # documented columns the documented row leaves out (see events)
        "duration",
        "created_at",
        "updated_at",
    ),
    specials={"future": _future("begin_at")},
    order=(("id", True),),
    narrow=(("campus", "campus_id"), ("cursus", "cursus_id")),
    sync_stamps=(("id", False),),  # the API's rows carry no date: read whole
)

_DASHES_USERS = (
    "id",
    "dash_id",
    "user_id",
    "repo_uuid",
    "repo_url",
    "final_mark",
    "created_at",
    "updated_at",
)
DASHES_USERS = Resource(
    name="dashes_users",
    table="dashes_users",
    columns=(
        Field("id", "int", True),
        Field("dash_id", "int", True),
        Field("user_id", "int", True),
        Field("repo_url", "text"),
        Field("repo_uuid", "text"),
        Field("final_mark", "int"),
        Field("created_at", "timestamp", True),
        Field("updated_at", "timestamp", True),
    ),
    graph_fields=("created_at", "updated_at"),
    filters=_DASHES_USERS,
    ranges=_DASHES_USERS,
    row=(
        "id",
        "dash_id",
        "user_id",
        "repo_url",
        "repo_uuid",
        "final_mark",
        "created_at",  # the dates are no key of the documented row (see languages)
        "updated_at",
    ),
    parents={"dashes": Parent("dashes", "Dash", "dashes", "dash_id", "slug", graphed=False)},
    order=(("id", True),),
    sync_stamps=(("id", False),),  # the API's rows carry no date: read whole
)

# the columns project_sessions filter on: the documented ones but minimum_mark, commit,
# difficulty (a special, free value), description, objectives and divisor
_SESSIONS = (
    "id",
    "project_id",
    "campus_id",
    "cursus_id",
    "estimate_time",
    "created_at",
    "updated_at",
    "begin_at",
    "end_at",
    "max_people",
    "duration_days",
    "terminating_after",
    "solo",
    "is_subscriptable",
    "team_behaviour",
)
PROJECT_SESSIONS = Resource(
    name="project_sessions",
    table="project_sessions",
    columns=(
        Field("id", "int", True),
        Field("project_id", "int", True),
        Field("campus_id", "int"),
        Field("cursus_id", "int"),
        Field("solo", "bool"),
        Field("begin_at", "timestamp"),
        Field("end_at", "timestamp"),
        Field("estimate_time", "int"),
        Field("duration_days", "int"),
        Field("terminating_after", "int"),
        Field("max_people", "int"),
        Field("is_subscriptable", "bool"),
        Field("team_behaviour", "text"),
        Field("difficulty", "int"),
        Field("minimum_mark", "int"),
        Field("description", "text"),
        Field("objectives", "text"),
        Field("created_at", "timestamp", True),
        Field("updated_at", "timestamp", True),
    ),
    graph_fields=("created_at", "updated_at", "begin_at", "end_at"),
    filters=(*_SESSIONS, "end", "difficulty", "future"),
    ranges=(*_SESSIONS, "difficulty"),
    row=(
        "id",
        "solo",
        "begin_at",
        "end_at",
        "estimate_time",
        "duration_days",
        "terminating_after",
        "project_id",
        "campus_id",
        "cursus_id",
        "created_at",
        "updated_at",
        "max_people",
        "is_subscriptable",
        "scales",
        "uploads",
        "team_behaviour",
        "project",
        "campus",
        "cursus",
        "evaluations",
        # documented columns the documented row leaves out (see events)
        "difficulty",
        "minimum_mark",
        "description",
        "objectives",
    ),
    empty=("scales", "uploads", "evaluations"),
    specials={"end": _reached("end", "end_at"), "future": _future("begin_at")},
    parents={"projects": _PROJECTS},
    embeds=(
        Embed("project", "project_id", PROJECTS),
        Embed("campus", "campus_id"),
        Embed("cursus", "cursus_id", CURSUS),
    ),
    order=(("id", True),),
    narrow=(("campus", "campus_id"), ("cursus", "cursus_id")),
)

_PATRONAGES_REPORTS = (
    "id",
    "user_id",
    "begin_at",
    "created_at",
    "updated_at",
    "patronage_id",
    "report_id",
    "validated_at",
)
PATRONAGES_REPORTS = Resource(
    name="patronages_reports",
    table="patronages_reports",
    columns=(
        Field("id", "int", True),
        Field("user_id", "int", True),
        Field("begin_at", "timestamp"),
        Field("patronage_id", "int"),
        Field("report_id", "int"),
        Field("validated_at", "timestamp"),
        Field("created_at", "timestamp", True),
        Field("updated_at", "timestamp", True),
    ),
    graph_fields=("created_at", "updated_at", "begin_at", "validated_at"),
    filters=(*_PATRONAGES_REPORTS, "validated", "future"),
    ranges=_PATRONAGES_REPORTS,
    row=(
        "id",
        "user_id",
        "begin_at",
        "created_at",
        "updated_at",
        "patronage_id",
        "report_id",
        "validated_at",
        "patronage",
        "report",
        "user",
        "answers",
    ),
    empty=("answers",),
    specials={"validated": _reached("validated", "validated_at"), "future": _future("begin_at")},
    parents={
        "users": Parent("users", "User", "users", "user_id", "login", graphed=False),
        # a patronage is kept only as its reports name it
        "patronages": Parent(
            "patronages",
            "Patronage",
            "patronages_reports",
            "patronage_id",
            None,
            graphed=False,
            known_by="patronage_id",
        ),
        "reports": Parent("reports", "Report", "reports", "report_id", "slug", graphed=False),
    },
    embeds=(
        Embed("patronage", "patronage_id"),
        Embed("report", "report_id", REPORTS),
        _USER,
    ),
    order=(("created_at", True), ("id", True)),
)

RESOURCES = {
    r.name: r
    for r in (
        PROJECTS_USERS,
        CURSUS_USERS,
        LOCATIONS,
        EVENTS,
        EXAMS,
        USERS_RESOURCE,
        SLOTS,
        TEAMS,
        SCALE_TEAMS,
        QUESTS_USERS,
        COMMUNITY_SERVICES,
        ROLES_ENTITIES,
        LANGUAGES,
        LANGUAGES_USERS,
        ANNOUNCEMENTS,
        DASHES,
        DASHES_USERS,
        PROJECT_SESSIONS,
        PATRONAGES_REPORTS,
    )
}
LISTED = {
    r.name: r
    for r in (
        USERS_RESOURCE,
        PROJECTS_USERS,
        CAMPUS_USERS,
        CURSUS_USERS,
        LOCATIONS,
        EVENTS,
        EXAMS,
        SLOTS,
        TEAMS,
        SCALE_TEAMS,
        QUESTS_USERS,
        COMMUNITY_SERVICES,
        ROLES_ENTITIES,
        LANGUAGES,
        LANGUAGES_USERS,
        ANNOUNCEMENTS,
        DASHES,
        DASHES_USERS,
        PROJECT_SESSIONS,
        PATRONAGES_REPORTS,
    )
}
