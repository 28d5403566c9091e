"""The typed request: conditions on a resource's rows, and the graph and list queries made of
them. `query.py` builds these from request parameters; the store turns them into SQL
(`store/where.py`). Plain data, below both: the store never imports the parser.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from intragraph.resources import Membership, Parent, Resource

Value = int | float | str | bool | dt.datetime


@dataclass(frozen=True)
class Span:
    """low <= column <= high; < high when high_open, low < when low_open."""

    low: Value
    high: Value
    high_open: bool = False
    low_open: bool = False


@dataclass(frozen=True)
class AnyOf:
    column: str
    values: tuple[Value, ...]


@dataclass(frozen=True)
class InSpans:
    column: str
    spans: tuple[Span, ...]


@dataclass(frozen=True)
class MemberOf:
    membership: Membership
    values: tuple[int, ...]


@dataclass(frozen=True)
class IsReached:
    """`column` is set and not later than now (or, not `reached`, the other rows)."""

    column: str
    reached: bool


@dataclass(frozen=True)
class IsFuture:
    """`column` is later than now (or, not `future`, not later)."""

    column: str
    future: bool


@dataclass(frozen=True)
class IsActive:
    """`begin` is reached and `end` is not (or, not `active`, the other rows)."""

    begin: str
    end: str
    active: bool


@dataclass(frozen=True)
class IsSet:
    """`column` is not null (or, not `present`, null)."""

    column: str
    present: bool


@dataclass(frozen=True)
class Either:
    """Any of the conditions: a row of a parent by its column or through a link."""

    conditions: tuple[AnyOf | MemberOf, ...]


Condition = AnyOf | InSpans | MemberOf | IsReached | IsFuture | IsActive | IsSet | Either


@dataclass(frozen=True)
class ParentKey:
    """The parent named in a nested route; the store resolves it or answers 404."""

    parent: Parent
    key: str
    outer: ParentKey | None = None  # the first parent of a route that has two


@dataclass(frozen=True)
class GraphQuery:
    resource: Resource
    field: str
    interval: str
    zone: str
    week_start: int
    conditions: tuple[Condition, ...] = ()
    parent: ParentKey | None = None


@dataclass(frozen=True)
class ListQuery:
    resource: Resource
    conditions: tuple[Condition, ...]
    order: tuple[tuple[str, bool], ...]  # (column, descending), ending with id
    page: int
    size: int
    parent: ParentKey | None = None
