"""The tables every engine holds, as data: columns with a portable type, and the version column
that decides whether an imported row replaces the stored one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnType = Literal["int", "float", "bool", "text", "timestamp"]


@dataclass(frozen=True)
class Table:
    name: str
    types: dict[str, ColumnType]
    version: str | None = "updated_at"  # None: a changed row replaces the stored one

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.types)


_ALL = (
    Table("projects", {"id": "int", "name": "text", "slug": "text"}, version=None),
    Table("users", {"id": "int", "login": "text"}, version=None),
    Table(
        "projects_users",
        {
            "id": "int",
            "project_id": "int",
            "user_id": "int",
            "occurrence": "int",
            "final_mark": "int",
            "status": "text",
            "validated": "bool",
            "marked": "bool",
            "current_team_id": "int",
            "created_at": "timestamp",
            "updated_at": "timestamp",
            "retriable_at": "timestamp",
            "marked_at": "timestamp",
        },
    ),
    Table(
        "campus_users",
        {
            "id": "int",
            "user_id": "int",
            "campus_id": "int",
            "is_primary": "bool",
            "created_at": "timestamp",
            "updated_at": "timestamp",
        },
    ),
    Table(
        "cursus_users",
        {
            "id": "int",
            "user_id": "int",
            "cursus_id": "int",
            "begin_at": "timestamp",
            "end_at": "timestamp",
            "grade": "text",
            "level": "float",
            "created_at": "timestamp",
            "updated_at": "timestamp",
        },
    ),
)

TABLES = {table.name: table for table in _ALL}  # the data: what imports and the demo write

# applications and their tokens; secrets and tokens only as hashes
ACCOUNT_TABLES = {
    table.name: table
    for table in (
        Table(
            "applications",
            {
                "id": "int",
                "name": "text",
                "uid": "text",
                "secret_hash": "text",
                "secret_valid_until": "timestamp",
                "previous_secret_hash": "text",
                "previous_valid_until": "timestamp",
                "scopes": "text",
                "rate_limits": "text",
                "created_at": "timestamp",
                "revoked_at": "timestamp",
            },
            version=None,
        ),
        Table(
            "tokens",
            {
                "token_hash": "text",
                "application_id": "int",
                "scopes": "text",
                "created_at": "timestamp",
                "expires_at": "timestamp",
            },
            version=None,
        ),
    )
}

# where `intragraph sync` stands, per upstream, resource and narrowing: committed with the rows
# of each page, so that an interrupted sync continues where it stopped
SYNC_TABLES = {
    table.name: table
    for table in (
        Table(
            "sync_cursors",
            {
                "key": "text",
                "resource": "text",
                "synced_until": "timestamp",
                "low": "timestamp",
                "high": "timestamp",
                "seen": "text",
                "drain_from": "int",
                "full_run": "bool",
            },
            version=None,
        ),
        Table("sync_seen", {"key": "text", "id": "int"}, version=None),
    )
}
