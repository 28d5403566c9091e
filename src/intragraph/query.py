"""Request parameters -> a validated, typed GraphQuery, or an error naming the parameter.

No SQL and no HTTP here: the conditions are plain data that `store/where.py` turns into SQL
with bound parameters.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zoneinfo
from collections.abc import Callable, Iterable
from typing import Literal

from intragraph import periods
from intragraph.conditions import (
    AnyOf,
    Condition,
    GraphQuery,
    InSpans,
    IsActive,
    IsFuture,
    IsReached,
    IsSet,
    ListQuery,
    MemberOf,
    ParentKey,
    Span,
    Value,
)
from intragraph.errors import BadRequest, Unprocessable
from intragraph.resources import Field, Future, Membership, Present, Reached, Resource

_INT = re.compile(r"-?\d{1,19}")
_INT64 = range(-(2**63), 2**63)
_TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}"
    r"(?P<time>[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(?P<offset>Z|z|[+-]\d{2}(:?\d{2})?)?)?"
)
_BRACKETED = re.compile(r"(?P<kind>filter|range)\[(?P<name>[^\[\]]*)\]")


def _int(param: str, text: str) -> int:
    if not _INT.fullmatch(text) or int(text) not in _INT64:
        raise BadRequest(f"{param}: {text!r} is not an integer")
    return int(text)


def _bool(param: str, text: str) -> bool:
    if text not in ("true", "false"):
        raise BadRequest(f"{param}: {text!r} is not a boolean; allowed: true, false")
    return text == "true"


def _choice(param: str, text: str, choices: tuple[str, ...]) -> str:
    if choices and text not in choices:
        raise BadRequest(f"{param}: {text!r} is not allowed; allowed: {', '.join(choices)}")
    return text


# Python's calendar (years 1 to 9999 in UTC) holds every instant a table does; a bound beyond it
# (9999-12-31 as a date-only maximum ends at 10000-01-01, a date-only 0001-01-01 starts in the year
# 0 in Paris) becomes its first or last microsecond, on the side that keeps the comparison
# exact: "from 2020-01-01 to 9999-12-31" is open-ended, as its writer means.
_FIRST, _LAST = (moment.replace(tzinfo=dt.UTC) for moment in (dt.datetime.min, dt.datetime.max))
_Bound = dt.datetime | Literal["before", "after"]


def _utc(local: Callable[[], dt.datetime], late: bool) -> _Bound:
    """local() in UTC, or "before" or "after" Python's calendar (`late`: its year the last)."""
    try:
        return local().astimezone(dt.UTC)
    except OverflowError:
        return "after" if late else "before"


def _span(low: _Bound, high: _Bound, high_open: bool) -> Span:
    return Span(
        _FIRST if low == "before" else _LAST if low == "after" else low,
        _FIRST if high == "before" else _LAST if high == "after" else high,
        high_open=high == "before" or (high_open and high != "after"),
        low_open=low == "after",
    )


def _day_start(day: dt.date, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    # fold=0: a local midnight that a DST change skips is read with the offset before it,
    # which is the instant the local day really begins.
    return dt.datetime.combine(day, dt.time(), tzinfo=zone)


def _time_span(param: str, text: str, zone: zoneinfo.ZoneInfo) -> Span:
    """A timestamp as an instant, or a date-only value as its whole local day."""
    match = _TIMESTAMP.fullmatch(text)
    try:
        if not match:
            raise ValueError(text)
        if match["time"] is None:
            day = dt.date.fromisoformat(text)
            late = day.year == dt.MAXYEAR
            start = _utc(lambda: _day_start(day, zone), late)
            end = _utc(lambda: _day_start(day + dt.timedelta(days=1), zone), late)
            return _span(start, end, True)
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise BadRequest(
            f"{param}: {text!r} is not a timestamp; use ISO 8601, such as 2017-11-22, "
            "2017-11-22T10:00:00 (read in time_zone) or 2017-11-22T10:00:00Z"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    instant = _utc(lambda: moment, moment.year == dt.MAXYEAR)
    return _span(instant, instant, False)


def _values(param: str, text: str) -> list[str]:
    values = text.split(",")
    if "" in values:
        raise BadRequest(f"{param}: empty value in {text!r}; give one or more values, a,b")
    return values


def _filter(resource: Resource, name: str, text: str, zone: zoneinfo.ZoneInfo) -> Condition | None:
    param = f"filter[{name}]"
    if name not in resource.filters:
        raise BadRequest(
            f"{param}: {name!r} cannot be filtered on; allowed: {', '.join(resource.filters)}"
        )
    values = _values(param, text)
    special = resource.specials.get(name)
    if isinstance(special, Membership):
        return MemberOf(special, tuple(_int(param, value) for value in values))
    if special is not None:
        chosen = {_bool(param, value) for value in values}
        if len(chosen) != 1:  # true,false: every row
            return None
        wanted = chosen.pop()
        if isinstance(special, Reached):
            return IsReached(special.column, wanted)
        if isinstance(special, Future):
            return IsFuture(special.column, wanted)
        if isinstance(special, Present):
            return IsSet(special.column, wanted)
        return IsActive(special.begin, special.end, wanted != special.invert)
    field = resource.fields[name]
    if field.kind == "timestamp":
        return InSpans(field.name, tuple(_time_span(param, value, zone) for value in values))
    return AnyOf(field.name, tuple(_scalar(param, value, field) for value in values))


def _number(param: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise BadRequest(f"{param}: {text!r} is not a number")
    return value


def _scalar(param: str, text: str, field: Field) -> Value:
    if field.kind == "int":
        return _int(param, text)
    if field.kind == "float":
        return _number(param, text)
    if field.kind == "bool":
        return _bool(param, text)
    return _choice(param, text, field.choices)


def _range(resource: Resource, name: str, text: str, zone: zoneinfo.ZoneInfo) -> InSpans:
    param = f"range[{name}]"
    if name not in resource.ranges:
        raise BadRequest(
            f"{param}: {name!r} cannot be ranged on; allowed: {', '.join(resource.ranges)}"
        )
    values = text.split(",")
    if len(values) != 2 or "" in values:
        raise BadRequest(f"{param}: {text!r} must be exactly two values, min,max")
    field = resource.fields[name]
    if field.kind == "timestamp":
        low, high = (_time_span(param, value, zone) for value in values)
        return InSpans(field.name, (Span(low.low, high.high, high.high_open, low.low_open),))
    # the real API compares a string range's bounds as text: `range[status]=a,m` is every
    # status from "a" to "m", so its bounds are any text, not values of the field's list
    low_value, high_value = (
        value if field.kind == "text" else _scalar(param, value, field) for value in values
    )
    return InSpans(field.name, (Span(low_value, high_value),))


def parse_graph(
    resource: Resource,
    field: str | None,
    interval: str | None,
    params: Iterable[tuple[str, str]],
    default_zone: str = "UTC",
    parent: ParentKey | None = None,
) -> GraphQuery:
    """Validate a graph request. The last of repeated parameters wins, as in Rails."""
    field = field or resource.default_field
    interval = interval or "month_of_year"
    if field not in resource.graph_fields:
        raise Unprocessable(
            f"field: {field!r} cannot be graphed; allowed: {', '.join(resource.graph_fields)}"
        )
    if interval not in periods.INTERVALS:
        raise Unprocessable(
            f"interval: {interval!r} is not an interval; allowed: {', '.join(periods.INTERVALS)}"
        )
    given = dict(params)
    zone_name = periods.parse_zone(given.get("time_zone", default_zone))
    week_start = periods.parse_week_start(given.get("week_start", "sunday"))
    conditions = _conditions(resource, given, zoneinfo.ZoneInfo(zone_name))
    return GraphQuery(resource, field, interval, zone_name, week_start, conditions, parent)


def _conditions(
    resource: Resource, given: dict[str, str], zone: zoneinfo.ZoneInfo
) -> tuple[Condition, ...]:
    """Every filter[...] and range[...]; other parameters are not this function's business."""
    conditions: list[Condition] = []
    for key, text in given.items():
        bracketed = _BRACKETED.fullmatch(key)
        if bracketed is None:
            if key.startswith(("filter", "range")):
                raise BadRequest(f"{key}: write filter[field]=a,b or range[field]=min,max")
            continue
        name = bracketed["name"]
        if bracketed["kind"] == "range":
            conditions.append(_range(resource, name, text, zone))
        elif (condition := _filter(resource, name, text, zone)) is not None:
            conditions.append(condition)
    return tuple(conditions)


PAGE_SIZE, MAX_PAGE_SIZE = 30, 100
MAX_PAGE = 2**40  # keeps the row offset inside a 64-bit integer


def _positive(param: str, text: str) -> int:
    value = _int(param, text)
    if value < 1:
        raise BadRequest(f"{param}: {text!r} must be 1 or more")
    return value


def parse_list(
    resource: Resource,
    params: Iterable[tuple[str, str]],
    default_zone: str = "UTC",
    parent: ParentKey | None = None,
) -> ListQuery:
    """A list request: filters and ranges as for graphs, `sort=f,-g` (ties broken by id),
    `page[number]`/`page` and `page[size]`/`per_page` (30 by default, at most 100)."""
    given = dict(params)
    zone = zoneinfo.ZoneInfo(periods.parse_zone(given.get("time_zone", default_zone)))
    order: list[tuple[str, bool]] = []
    for item in given["sort"].split(",") if given.get("sort") else []:
        name = item.removeprefix("-")
        if name not in resource.sort_keys:
            raise BadRequest(
                f"sort: {name!r} cannot be sorted on; allowed: {', '.join(resource.sort_keys)}"
            )
        order.append((resource.fields[name].name, item.startswith("-")))
    if not order:
        order = list(resource.order)  # the documented default
    if "id" not in (name for name, _ in order):
        order.append(("id", False))  # a stable order across pages
    number = _positive("page[number]", given.get("page[number]", given.get("page", "1")))
    size = min(
        _positive("page[size]", given.get("page[size]", given.get("per_page", str(PAGE_SIZE)))),
        MAX_PAGE_SIZE,
    )
    if number > MAX_PAGE:
        raise BadRequest(f"page[number]: {number} is past the last possible page, {MAX_PAGE}")
    return ListQuery(
        resource, _conditions(resource, given, zone), tuple(order), number, size, parent
    )
