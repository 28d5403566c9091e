"""Rows as lists show them: a page of a resource's rows with their embedded objects, the
parent of a nested route, and plain counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from intragraph.conditions import AnyOf, Condition, Either, ListQuery, MemberOf, Value
from intragraph.resources import LISTED, Embed, Entity, Members, Parent, Resource
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
    return _completed(
        store, resource, [dict(zip(columns, row, strict=True)) for row in found], now
    ), total


def _completed(
    store: Store, resource: Resource, rows: list[dict[str, Any]], now: dt.datetime
) -> list[dict[str, Any]]:
    """The rows with their embedded objects and their members."""
    for embed in resource.embeds:
        if embed.name not in resource.row:
            continue
        if embed.entity is not None:
            _embed(store, rows, embed, embed.entity)
        elif embed.resource is not None:
            _embed_records(store, rows, embed, LISTED[embed.resource], now)
    if resource.members is not None and rows:
        _members(store, rows, resource.members)
    return rows


def _embed_records(
    store: Store, rows: list[dict[str, Any]], embed: Embed, other: Resource, now: dt.datetime
) -> None:
    """Each row's object as a record of its own resource (a scale team's team, whole)."""
    known = _by_id(store, rows, embed.column, other.table, TABLES[other.table].columns)
    _completed(store, other, list(known.values()), now)
    for row in rows:
        key = row[embed.column]
        row[embed.name] = None if key is None else known.get(key, {"id": key})


def _members(store: Store, rows: list[dict[str, Any]], members: Members) -> None:
    """Each row's members (a team's users), in the order they were made, with their login."""
    table, entity = TABLES[members.table], members.entity.table
    names = [members.column, members.member, *(f.name for f in members.fields)]
    ids = [row["id"] for row in rows]
    marks = ", ".join([store.placeholder] * len(ids))
    found = store.fetch(
        f"SELECT {', '.join(f'm.{n}' for n in names)}, e.login FROM {table.name} AS m "
        f"LEFT JOIN {entity} AS e ON e.id = m.{members.member} "
        f"WHERE m.{members.column} IN ({marks}) ORDER BY m.id",
        ids,
    )
    by_record: dict[Any, list[dict[str, Any]]] = {key: [] for key in ids}
    for values in found:
        member = dict(zip([*names, "login"], values, strict=True))
        by_record[member.pop(members.column)].append(member)
    for row in rows:
        row[members.name] = by_record[row["id"]]


def _by_id(
    store: Store, rows: list[dict[str, Any]], column: str, table: str, columns: Sequence[str]
) -> dict[Any, dict[str, Any]]:
    """The rows of `table` (its `columns`, the id first) whose ids the rows' `column` names."""
    keys = sorted({row[column] for row in rows if row[column] is not None})
    if not keys:
        return {}
    found = store.fetch(
        f"SELECT {', '.join(columns)} FROM {table} "
        f"WHERE id IN ({', '.join([store.placeholder] * len(keys))})",
        keys,
    )
    return {row[0]: dict(zip(columns, row, strict=True)) for row in found}


def _embed(store: Store, rows: list[dict[str, Any]], embed: Embed, entity: Entity) -> None:
    columns = [f.name for f in entity.fields]
    known = _by_id(store, rows, embed.column, entity.table, columns)
    for row in rows:
        key = row[embed.column]
        # an object no record brought (a row imported with its id alone): its id, the rest null
        missing = {**dict.fromkeys(columns), "id": key}
        row[embed.name] = known.get(key, missing) if key is not None else None


def parent_condition(store: Store, parent: Parent, key: str) -> Condition | None:
    """The condition of a nested route, or None when the parent does not exist."""
    numeric = key.isascii() and key.isdigit()
    column = parent.known_by if numeric else parent.text_key
    if column is None or (numeric and len(key) >= 19) or "\x00" in key:
        return None  # no such id, and no stored text holds a NUL
    value: Value = int(key) if numeric else key
    rows = store.fetch(
        f"SELECT {parent.known_by} FROM {parent.table} "
        f"WHERE {column} = {store.placeholder} LIMIT 1",
        [value],
    )
    if not rows:
        return None
    found = rows[0][0]
    links: list[AnyOf | MemberOf] = [MemberOf(link, (found,)) for link in parent.via]
    if parent.column is not None:
        links.insert(0, AnyOf(parent.column, (found,)))
    return links[0] if len(links) == 1 else Either(tuple(links))


def count(store: Store, table: str) -> int:
    return int(store.fetch(f"SELECT count(*) FROM {TABLES[table].name}", [])[0][0])
