"""Rows as lists show them: a page of a resource's rows with their embedded objects, the
parent of a nested route, and plain counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from intragraph.conditions import AnyOf, Condition, ListQuery, Value
from intragraph.resources import Embed, Entity, Parent
from intragraph.store.base import Store
from intragraph.store.tables import TABLES
from intragraph.store.where import where


def page(
    store: Store, query: ListQuery, now: dt.datetime, extra: tuple[Condition, ...] = ()
) -> tuple[list[dict[str, Any]], int]:
    """One page of rows (dicts, with their embedded objects under `embed.name`) and the
    number of rows in all pages."""
    resource, placeholder = query.resource, store.placeholder
    columns = TABLES[resource.table].columns
    clause, params = where(None, query.conditions + extra, placeholder, now)
    order = ", ".join(f"{c} {'DESC' if desc else 'ASC'}" for c, desc in query.order)
    found = store.fetch(
        f"SELECT {', '.join(columns)} FROM {resource.table} WHERE {clause} "
        f"ORDER BY {order} LIMIT {placeholder} OFFSET {placeholder}",
        [*params, query.size, (query.page - 1) * query.size],
    )
    total = int(store.fetch(f"SELECT count(*) FROM {resource.table} WHERE {clause}", params)[0][0])
    rows = [dict(zip(columns, row, strict=True)) for row in found]
    for embed in resource.embeds:
        if embed.entity is not None and embed.name in resource.row:
            _embed(store, rows, embed, embed.entity)
    return rows, total


def _embed(store: Store, rows: list[dict[str, Any]], embed: Embed, entity: Entity) -> None:
    keys = sorted({row[embed.column] for row in rows if row[embed.column] is not None})
    known: dict[Any, dict[str, Any]] = {}
    columns = [f.name for f in entity.fields]
    if keys:
        found = store.fetch(
            f"SELECT {', '.join(columns)} FROM {entity.table} "
            f"WHERE id IN ({', '.join([store.placeholder] * len(keys))})",
            keys,
        )
        known = {row[0]: dict(zip(columns, row, strict=True)) for row in found}
    for row in rows:
        key = row[embed.column]
        # an object no record brought (a row imported with its id alone): its id, the rest null
        missing = {**dict.fromkeys(columns), "id": key}
        row[embed.name] = known.get(key, missing) if key is not None else None


def parent_condition(store: Store, parent: Parent, key: str) -> Condition | None:
    """The condition of a nested route, or None when the parent does not exist."""
    column = "id" if key.isascii() and key.isdigit() else parent.text_key
    value: Value = int(key) if column == "id" and len(key) < 19 else key
    if (column == "id" and not isinstance(value, int)) or "\x00" in key:
        return None  # no such id, and no stored text holds a NUL
    rows = store.fetch(
        f"SELECT id FROM {parent.table} WHERE {column} = {store.placeholder} LIMIT 1", [value]
    )
    return AnyOf(parent.column, (rows[0][0],)) if rows else None


def count(store: Store, table: str) -> int:
    return int(store.fetch(f"SELECT count(*) FROM {TABLES[table].name}", [])[0][0])
