"""The schema's version, and the migrations that bring a database to this intragraph's."""

from __future__ import annotations

from intragraph.errors import ConfigError
from intragraph.store import writes
from intragraph.store.base import Store
from intragraph.store.migrations import LATEST, MIGRATIONS, VERSION_TABLE, Migration
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
    """Apply the pending migrations, each in its own transaction; returns them."""
    current = version(store) or 0
    applied = []
    for migration in MIGRATIONS[current:]:
        with writes.transaction(store) as writer:
            if migration.version == 1:
                writer.execute(f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version INTEGER)")
            for statement in migration.statements(store.dialect):
                writer.execute(statement)
            writer.execute(f"INSERT INTO {VERSION_TABLE} VALUES ({migration.version})")
            if migration.version != 1 and migration.version != 3:  # rollups of new graph fields
                writer.touched |= ROLLED_UP  # filled from the rows already there
        applied.append(migration)
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
