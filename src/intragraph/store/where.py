"""The one WHERE builder, shared by every engine: conditions -> SQL text and bound parameters.

Identifiers come only from `resources.py`; every value from a request is a bound parameter.
`placeholder` is the engine's parameter placeholder (`?` for DuckDB, `%s` for psycopg).
"""

from __future__ import annotations

import datetime as dt

from intragraph.conditions import (
    AnyOf,
    Condition,
    Either,
    InSpans,
    IsActive,
    IsFuture,
    IsSet,
    MemberOf,
    Value,
)


def _placeholders(placeholder: str, count: int) -> str:
    return ", ".join([placeholder] * count)


def _condition(condition: Condition, placeholder: str, now: dt.datetime) -> tuple[str, list[Value]]:
    if isinstance(condition, AnyOf):
        values = list(condition.values)
        return f"{condition.column} IN ({_placeholders(placeholder, len(values))})", values
    if isinstance(condition, InSpans):
        column, texts, params = condition.column, [], list[Value]()
        for span in condition.spans:
            lower, upper = (">" if span.low_open else ">="), ("<" if span.high_open else "<=")
            texts.append(f"({column} {lower} {placeholder} AND {column} {upper} {placeholder})")
            params += [span.low, span.high]
        return "(" + " OR ".join(texts) + ")", params
    if isinstance(condition, MemberOf):
        return _member_of(condition, placeholder, now)
    if isinstance(condition, Either):
        texts, params = [], list[Value]()
        for each in condition.conditions:
            text, values = _condition(each, placeholder, now)
            texts.append(text)
            params += values
        return "(" + " OR ".join(texts) + ")", params
    if isinstance(condition, IsSet):
        return f"{condition.column} IS {'NOT ' if condition.present else ''}NULL", []
    if isinstance(condition, IsFuture):
        compare = ">" if condition.future else "<="
        return f"{condition.column} {compare} {placeholder}", [now]
    if isinstance(condition, IsActive):
        begin, end = condition.begin, condition.end
        active = (
            f"({begin} IS NOT NULL AND {begin} <= {placeholder} "
            f"AND ({end} IS NULL OR {end} > {placeholder}))"
        )
        return (active if condition.active else f"NOT {active}"), [now, now]
    column, moment = condition.column, list[Value]([now])
    if condition.reached:
        return f"({column} IS NOT NULL AND {column} <= {placeholder})", moment
    return f"({column} IS NULL OR {column} > {placeholder})", moment


def _member_of(condition: MemberOf, placeholder: str, now: dt.datetime) -> tuple[str, list[Value]]:
    m, values = condition.membership, list[Value](condition.values)
    listed = _placeholders(placeholder, len(values))
    only = f" AND {m.only}" if m.only else ""
    if m.current:  # memberships active now
        begin, end = m.current
        only += (
            f" AND {begin} IS NOT NULL AND {begin} <= {placeholder} "
            f"AND ({end} IS NULL OR {end} > {placeholder})"
        )
        values += [now, now]
    inner = f"SELECT {m.link} FROM {m.table} WHERE {m.column} IN ({listed}){only}"
    if m.through:  # a second hop: the rows the members are linked to
        table, key, link = m.through
        inner = f"SELECT {key} FROM {table} WHERE {link} IN ({inner})"
    return f"{m.own or m.link} IN ({inner})", values


def where(
    field: str | None, conditions: tuple[Condition, ...], placeholder: str, now: dt.datetime
) -> tuple[str, list[Value]]:
    """Rows that meet every condition and, given a graph `field`, whose field is set and not
    later than now."""
    texts, params = ["TRUE"], list[Value]()
    if field is not None:
        texts, params = [f"{field} <= {placeholder}"], [now]
    for condition in conditions:
        text, values = _condition(condition, placeholder, now)
        texts.append(text)
        params += values
    return " AND ".join(texts), params


def granule_ranges(ranges: list[tuple[int, int]], placeholder: str) -> tuple[str, list[Value]]:
    """Counts kept per granule (the facets') whose granule number is in one of
    `ranges`, [first, last) each."""
    each = [f"granule >= {placeholder} AND granule < {placeholder}"] * len(ranges)
    return f"({' OR '.join(each or ['FALSE'])})", [bound for pair in ranges for bound in pair]
