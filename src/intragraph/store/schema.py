"""The schema's version, and the migrations that bring a database to this intragraph's."""

from __future__ import annotations

from intragraph.errors import ConfigError
from intragraph.store import instants, writes
from intragraph.store.base import Store
from intragraph.store.migrations import LATEST, MIGRATIONS, VERSION_TABLE, VERSIONED, Migration
from intragraph.store.rollups import ROLLED_UP


def version(store: Store) -> int | None:
    """The schema's version; None for a database without any intragraph table."""
    placeholder = store.placeholder
    found = store.fetch(
        "SELECT table_name FROM information_schema.tables "
        f"WHERE table_schema = current_schema() AND table_name IN ({placeholder}, {placeholder})",
        [VERSION_TABLE, "projects_users"],
    )
    names = {row[0] for row in found}
    if VERSION_TABLE not in names:
        return 0 if names else None
    return int(store.fetch(f"SELECT max(version) FROM {VERSION_TABLE}", [])[0][0] or 0)


def upgrade(store: Store) -> list[Migration]:
    """Apply the pending migrations, each in its own transaction; returns them. A database
    without any table gets them all in one transaction, with no rollups to fill: a new store
    is made in a fraction of the time (each test makes one)."""
    found = version(store)
    if found is None:
        with writes.transaction(store, versioned=False) as writer:
            writer.execute(f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version INTEGER)")
            for migration in MIGRATIONS:
                for statement in migration.statements(store.dialect):
                    writer.execute(statement)
                writer.execute(f"INSERT INTO {VERSION_TABLE} VALUES ({migration.version})")
            instants.start(writer)  # no rows yet: all their instants are kept
        return list(MIGRATIONS)
    applied = []
    for migration in MIGRATIONS[found:]:
        with writes.transaction(store, migration.version >= VERSIONED) as writer:
            if migration.version == 1:
                writer.execute(f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version INTEGER)")
            for statement in migration.statements(store.dialect):
                writer.execute(statement)
            writer.execute(f"INSERT INTO {VERSION_TABLE} VALUES ({migration.version})")
        applied.append(migration)
    if any(migration.graphed for migration in applied):  # rollups of new graph fields
        # after the last step, whose rollups table the refresh writes
        with writes.transaction(store) as writer:
            writer.touched |= ROLLED_UP  # filled from the rows already there
    return applied


def ensure(store: Store) -> None:
    """Create the schema in an empty database; refuse an older or a newer one."""
    found = version(store)
    if found is None:
        upgrade(store)
    elif found < LATEST:
        raise ConfigError(
            f"database {store.label} has schema version {found}, this intragraph needs "
            f"{LATEST}: back it up, then run `intragraph db upgrade`"
        )
    elif found > LATEST:
        raise ConfigError(
            f"database {store.label} has schema version {found}, newer than this "
            f"intragraph knows ({LATEST}): upgrade intragraph"
        )
