"""The one WHERE builder, shared by every engine: conditions -> SQL text and bound parameters.

Identifiers come only from `resources.py`; every value from a request is a bound parameter.
`placeholder` is the engine's parameter placeholder (`?` for DuckDB, `%s` for psycopg).
"""

from __future__ import annotations

import datetime as dt

from intragraph.conditions import AnyOf, Condition, InSpans, IsActive, IsFuture, MemberOf, Value


def _placeholders(placeholder: str, count: int) -> str:
    return ", ".join([placeholder] * count)


def _condition(condition: Condition, placeholder: str, now: dt.datetime) -> tuple[str, list[Value]]:
    if isinstance(condition, AnyOf):
        values = list(condition.values)
        return f"{condition.column} IN ({_placeholders(placeholder, len(values))})", values
    if isinstance(condition, InSpans):
        column, texts, params = condition.column, [], list[Value]()
        for span in condition.spans:
            upper = "<" if span.high_open else "<="
            texts.append(f"({column} >= {placeholder} AND {column} {upper} {placeholder})")
            params += [span.low, span.high]
        return "(" + " OR ".join(texts) + ")", params
    if isinstance(condition, MemberOf):
        m, values = condition.membership, list(condition.values)
        listed = _placeholders(placeholder, len(values))
        only = f" AND {m.only}" if m.only else ""
        inner = f"SELECT {m.link} FROM {m.table} WHERE {m.column} IN ({listed}){only}"
        return f"{m.own or m.link} IN ({inner})", values
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
