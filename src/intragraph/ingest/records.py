"""42 API objects -> rows of our tables.

A reader keeps the keys it needs and ignores every other one (real pages carry full user and
team objects); it fails only on a missing or ill-typed key that it needs, naming the key.
This runs once per imported record, so it is plain, direct code: a timestamp is only checked
to be a string here; `load.py` reads a whole column of them at once and calls `instant` for any
value that is not in the 42 API's own form.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from intragraph.resources import LISTED, USERS_RESOURCE, Embed, Field, Members, Resource

Record = dict[str, Any]
Row = tuple[str, tuple[Any, ...]]  # (table, values in the table's column order)

INT_MIN, INT_MAX = -(2**63), 2**63 - 1  # every integer column is a BIGINT
_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?")


class BadRecord(ValueError):
    pass


def _typed(record: Record, key: str, required: bool, types: tuple[type, ...], noun: str) -> Any:
    """record[key] if its type is one of `types` (exactly: a bool is no integer), None if
    absent or null and not `required`; otherwise BadRecord naming the key."""
    value = record.get(key)
    if value is None:
        if required:
            raise BadRecord(f"{key!r} is missing" if key not in record else f"{key!r} is null")
        return None
    if type(value) not in types:
        raise BadRecord(f"{key!r} must be {noun}, not {value!r}")
    return value


def integer(record: Record, key: str, required: bool = True) -> int | None:
    """An integer the tables can hold (BIGINT)."""
    value: int | None = _typed(record, key, required, (int,), "an integer")
    if value is not None and not INT_MIN <= value <= INT_MAX:
        raise BadRecord(f"{key!r} is out of range: {value}")
    return value


def number(record: Record, key: str) -> float | None:
    value = _typed(record, key, False, (int, float), "a number")
    return None if value is None else float(value)


def text(record: Record, key: str, required: bool = True) -> str | None:
    """A string PostgreSQL can hold: without NUL (DuckDB could, but a file must import the
    same on every engine)."""
    value: str | None = _typed(record, key, required, (str,), "a string")
    if value is not None and "\x00" in value:
        raise BadRecord(f"{key!r} holds a NUL character: {value!r}")
    if value is not None and not value.isascii():
        try:
            value.encode()
        except UnicodeEncodeError:  # a byte that is no UTF-8 (jsonstream's surrogateescape)
            raise BadRecord(f"{key!r} is not UTF-8 text: {value!r}") from None
    return value


def boolean(record: Record, key: str) -> bool | None:
    value: bool | None = _typed(record, key, False, (bool,), "true or false")
    return value


def timestamp(record: Record, key: str, required: bool = True) -> str | None:
    """An ISO 8601 instant as given; `instant` says what it means (load.py reads it)."""
    return text(record, key, required)


def instant(value: str, key: str) -> str:
    """An ISO 8601 instant as naive UTC text ("2023-12-20T09:12:44.000"); no offset is UTC.
    BadRecord, naming `key`, for anything else, and for an instant outside the years 1 to 9999
    in UTC (ISO's year 0000 is 1 BC to PostgreSQL, and no year to Python)."""
    if value.endswith(("Z", "z")) and _STAMP.fullmatch(value, 0, len(value) - 1):
        text = value[:-1]  # the 42 API's own form
    elif _STAMP.fullmatch(value):
        text = value
    else:
        try:
            moment = dt.datetime.fromisoformat(value)  # no year 0000 here
        except ValueError:
            raise BadRecord(f"{key!r} is not an ISO 8601 timestamp: {value!r}") from None
        if moment.tzinfo is not None:
            try:
                moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
            except OverflowError:  # "0001-01-01T00:00:00+01:00", or past 9999 in UTC
                raise BadRecord(_outside(key, value)) from None
        text = moment.isoformat()
    if text.startswith("0000"):
        raise BadRecord(_outside(key, value))
    return text


def _outside(key: str, value: str) -> str:
    return f"{key!r} is not within the years 1 to 9999 in UTC: {value!r}"


def _object(record: Record, key: str) -> Record | None:
    value = record.get(key)
    if value is not None and type(value) is not dict:
        raise BadRecord(f"{key!r} must be an object, not {value!r}")
    return value


_READERS: dict[str, Callable[[Record, str, bool], Any]] = {
    "int": integer,
    "float": lambda record, key, required: number(record, key),
    "text": text,
    "bool": lambda record, key, required: boolean(record, key),
    "timestamp": timestamp,
}


def _value(record: Record, column: Field) -> Any:
    if column.fallback is not None and record.get(column.json) is None:
        return _READERS[column.kind](record, column.fallback, column.required)
    return _READERS[column.kind](record, column.json, column.required)


def _embedded(record: Record, embed: Embed, required: bool, rows: list[Row]) -> int | None:
    """The id of the object the record embeds (its row kept, for an entity), or else the
    record's own column."""
    shown = record.get(embed.name)
    if embed.absent_as_empty and (shown == {} or type(shown) is str):
        return integer(record, embed.column, False)  # {} or "invisible": none, or not shown
    found = _object(record, embed.name)
    if found is not None and embed.resource is not None and found.keys() - {"id"}:
        # a whole record of its own (an intragraph that lacks it shows its id alone)
        try:
            embedded = _readers()[embed.resource](found)
        except BadRecord as error:
            raise BadRecord(f"{embed.name}: {error}") from None
        rows += embedded
        table = LISTED[embed.resource].table
        object_id: int = next(values[0] for name, values in embedded if name == table)
        return object_id
    if found is None or embed.entity is None:
        # an object kept nowhere (a cursus): the record's own column first, as the API sends
        # both
        value = integer(record, embed.column, required and found is None)
        return integer(found, "id") if value is None and found is not None else value
    values = tuple(_value(found, f) for f in embed.entity.fields)
    rows.append((embed.entity.table, values))
    entity_id: int = values[0]
    return entity_id


def _array(record: Record, key: str, read: Callable[[Record], list[Row]], rows: list[Row]) -> None:
    """The rows `read` gives for each object of the record's array `key` (none if absent); a
    bad one is named by the array and its position."""
    found = record.get(key)
    if found is None:
        return
    if type(found) is not list:
        raise BadRecord(f"{key!r} must be an array, not {found!r:.80}")
    for position, item in enumerate(found):
        if type(item) is not dict:
            raise BadRecord(f"{key}[{position}]: expected an object")
        try:
            rows += read(item)
        except BadRecord as error:
            raise BadRecord(f"{key}[{position}]: {error}") from None


def _member(members: Members, record_id: Any) -> Callable[[Record], list[Row]]:
    """The reader of one member of a record (a team's user): a user, and a membership."""

    def read(item: Record) -> list[Row]:
        entity = tuple(_value(item, f) for f in members.entity.fields)
        member = entity[0]
        if not 0 <= member < _MEMBER_IDS or not 0 <= record_id <= INT_MAX // _MEMBER_IDS:
            raise BadRecord(f"'id' is out of the range intragraph keeps members in: {member}")
        values = tuple(_value(item, f) for f in members.fields)
        made_id = record_id * _MEMBER_IDS + member
        return [
            (members.entity.table, entity),
            (members.table, (made_id, record_id, member, *values)),
        ]

    return read


_MEMBER_IDS = 10**9  # a member row's id: record id * 10**9 + member id


def reader(resource: Resource) -> Callable[[Record], list[Row]]:
    """The reader of one record of the resource: its row, after the rows of the objects it
    embeds and before those of its members. Columns are read in the table's order, so the first
    bad one is named."""
    embeds = {embed.column: embed for embed in resource.embeds}

    def read_record(record: Record) -> list[Row]:
        rows: list[Row] = []
        values = tuple(
            _embedded(record, embeds[c.name], c.required, rows)
            if c.name in embeds
            else _value(record, c)
            for c in resource.columns
        )
        rows.append((resource.table, values))
        if resource.members is not None:
            members = resource.members
            _array(record, members.name, _member(members, values[0]), rows)
        return rows

    return read_record


@cache
def _readers() -> dict[str, Callable[[Record], list[Row]]]:
    """Readers by resource, for the records that others embed whole (a scale team's team)."""
    return {name: reader(resource) for name, resource in LISTED.items()}


def _tables(resource: Resource) -> tuple[str, ...]:
    """The tables a record of the resource writes to: its own, then those of what it embeds."""
    found = [resource.table]
    for embed in resource.embeds:
        if embed.entity is not None:
            found.append(embed.entity.table)
        if embed.resource is not None:
            found += _tables(LISTED[embed.resource])
    if resource.members is not None:
        found += [resource.members.entity.table, resource.members.table]
    return tuple(dict.fromkeys(found))


# the arrays a user object (`/v2/users/:id`, `/v2/me`) carries, read as their own kind; their
# records carry no user: the parent is the user
_NESTED = {
    name: reader(LISTED[name]) for name in ("projects_users", "campus_users", "cursus_users")
}


_USER_ROW = reader(USERS_RESOURCE)


def user(record: Record) -> list[Row]:
    """A saved user object: the user, and the records of its nested arrays, each given the
    user's id. A bad nested record is named by its array and position."""
    rows = _USER_ROW(record)
    user_id = rows[0][1][0]
    for key, read_nested in _NESTED.items():

        def read(
            item: Record, read_nested: Callable[[Record], list[Row]] = read_nested
        ) -> list[Row]:
            return read_nested(item if "user" in item else {**item, "user_id": user_id})

        _array(record, key, read, rows)
    return rows


# what `intragraph import KIND` reads, and the tables each kind writes to
KINDS: dict[str, tuple[Callable[[Record], list[Row]], tuple[str, ...]]] = {
    **{name: (reader(resource), _tables(resource)) for name, resource in LISTED.items()},
    # a user object writes the user, and what its nested arrays write
    "users": (
        user,
        tuple(dict.fromkeys(t for name in ("users", *_NESTED) for t in _tables(LISTED[name]))),
    ),
}


# keys that only one kind of record has, checked in order
_SIGNS = (
    ("quest_id", "quests_users"),
    ("occupation", "community_services"),
    ("entity_type", "roles_entities"),
    ("language_id", "languages_users"),
    ("identifier", "languages"),
    ("notificable_type", "announcements"),
    ("dash_id", "dashes_users"),
    ("nbr_xp", "dashes"),
    ("is_subscriptable", "project_sessions"),
    ("team_behaviour", "project_sessions"),
    ("patronage_id", "patronages_reports"),
)


def kind_of(record: Record) -> str | None:
    """Which kind of 42 object a record looks like, by keys only that kind has."""
    if "login" in record and any(key in record for key in _NESTED):
        return "users"
    for key, kind in _SIGNS:
        if key in record:
            return kind
    if "scale_id" in record or "corrector" in record:
        return "scale_teams"
    if "locked?" in record or "repo_uuid" in record:
        return "teams"
    if "status" in record and ("project" in record or "project_id" in record):
        return "projects_users"
    if "is_primary" in record and "campus_id" in record:
        return "campus_users"
    if "cursus_id" in record or ("cursus" in record and "grade" in record):
        return "cursus_users"
    return None


def read(kind: str, record: Any) -> list[Row]:
    """The rows of one record, or BadRecord saying what is wrong with it; a record of another
    kind is named as such, not reported as a missing key."""
    if type(record) is not dict:
        raise BadRecord(f"expected an object, not {type(record).__name__}")
    other = kind_of(record)
    if other is not None and other != kind:
        article = "a user object" if other == "users" else f"one of {other}"
        raise BadRecord(f"this is {article}: use `intragraph import {other}`")
    return KINDS[kind][0](record)
