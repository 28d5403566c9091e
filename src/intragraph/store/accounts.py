"""The SQL of applications and tokens, for every engine (values as bound parameters)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from typing import Any

from intragraph.store import versions
from intragraph.store.base import Store, aware
from intragraph.store.tables import ACCOUNT_TABLES


@dataclass(frozen=True)
class Application:
    id: int
    name: str
    uid: str
    secret_hash: str
    secret_valid_until: dt.datetime
    previous_secret_hash: str | None
    previous_valid_until: dt.datetime | None
    scopes: str  # space-separated
    rate_limits: str  # space-separated, "2/second 1200/hour"
    created_at: dt.datetime
    revoked_at: dt.datetime | None


@dataclass(frozen=True)
class TokenRecord:
    application: Application
    scopes: str
    created_at: dt.datetime
    expires_at: dt.datetime


_APPLICATION = ", ".join(f"a.{f.name}" for f in fields(Application))


def _application(row: tuple[Any, ...]) -> Application:
    return Application(*(aware(value) for value in row))


def application(store: Store, column: str, value: str) -> Application | None:
    """The application whose `column` (name or uid) is `value`."""
    assert column in ("name", "uid")
    if "\x00" in value:  # no stored text holds one (and PostgreSQL refuses them)
        return None
    rows = store.fetch(
        f"SELECT {_APPLICATION} FROM applications AS a WHERE a.{column} = {store.placeholder}",
        [value],
    )
    return _application(rows[0]) if rows else None


def applications(store: Store) -> list[Application]:
    rows = store.fetch(f"SELECT {_APPLICATION} FROM applications AS a ORDER BY a.id", [])
    return [_application(row) for row in rows]


def insert_application(store: Store, values: dict[str, Any]) -> None:
    names = list(ACCOUNT_TABLES["applications"].columns)
    marks = ", ".join([store.placeholder] * len(names))
    with store.transaction() as writer:
        next_id = writer.execute("SELECT coalesce(max(id), 0) + 1 FROM applications")[0][0]
        row = {**values, "id": next_id}
        writer.execute(
            f"INSERT INTO applications ({', '.join(names)}) VALUES ({marks})",
            [row.get(name) for name in names],
        )


def update_application(store: Store, name: str, values: dict[str, Any]) -> None:
    assignments = ", ".join(f"{column} = {store.placeholder}" for column in values)
    with store.transaction() as writer:
        writer.execute(
            f"UPDATE applications SET {assignments} WHERE name = {store.placeholder}",
            [*values.values(), name],
        )
        versions.bump_accounts(writer)  # every worker's token cache forgets what it knew


def insert_token(
    store: Store,
    token_hash: str,
    application_id: int,
    scopes: str,
    created_at: dt.datetime,
    expires_at: dt.datetime,
) -> None:
    with store.transaction() as writer:
        # expired tokens are of no use to anyone: drop the application's old ones on the way
        writer.execute(
            f"DELETE FROM tokens WHERE application_id = {store.placeholder} "
            f"AND expires_at < {store.placeholder}",
            [application_id, created_at],
        )
        writer.execute(
            "INSERT INTO tokens (token_hash, application_id, scopes, created_at, expires_at) "
            f"VALUES ({', '.join([store.placeholder] * 5)})",
            [token_hash, application_id, scopes, created_at, expires_at],
        )


def token(store: Store, token_hash: str) -> TokenRecord | None:
    rows = store.fetch(
        f"SELECT t.scopes, t.created_at, t.expires_at, {_APPLICATION} FROM tokens AS t "
        "JOIN applications AS a ON a.id = t.application_id "
        f"WHERE t.token_hash = {store.placeholder}",
        [token_hash],
    )
    if not rows:
        return None
    scopes, created, expires, *app = rows[0]
    return TokenRecord(_application(tuple(app)), scopes, aware(created), aware(expires))
