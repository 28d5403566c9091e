"""The tables every engine holds, as data: columns with a portable type, and the version column
that decides whether an imported row replaces the stored one. The data tables are derived from
the resources' declarations (`resources.py`); the accounts' and the sync's are written here."""

from __future__ import annotations

from dataclasses import dataclass

from intragraph.resources import ENTITIES, LISTED, Field, Members
from intragraph.resources import Kind as ColumnType


@dataclass(frozen=True)
class Table:
    name: str
    types: dict[str, ColumnType]
    version: str | None = "updated_at"  # None: a changed row replaces the stored one
    fill: bool = False  # an incoming null never erases a stored value
    # the rows of one value of this column come whole (a team's members): an import's rows of
    # it replace every stored one
    whole_by: str | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.types)


def _table(name: str, columns: tuple[Field, ...], version: str | None, fill: bool = False) -> Table:
    return Table(name, {column.name: column.kind for column in columns}, version, fill)


def member_fields(members: Members) -> tuple[Field, ...]:
    """The columns of a members table: a made id, the record's id, the member's, the rest."""
    ids = (Field("id", "int", True), Field(members.column, "int"), Field(members.member, "int"))
    return (*ids, *members.fields)


# the data, as the resources and the objects they embed declare it: what imports and the demo
# write
TABLES = {
    table.name: table
    for table in (
        # an entity that is also a resource (users) is the resource's table
        *(_table(e.table, e.fields, None) for e in ENTITIES.values() if e.table not in LISTED),
        *(_table(r.table, r.columns, r.version, r.fill) for r in LISTED.values()),
        *(
            Table(m.table, {f.name: f.kind for f in member_fields(m)}, None, whole_by=m.column)
            for m in (r.members for r in LISTED.values())
            if m is not None
        ),
    )
}

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
