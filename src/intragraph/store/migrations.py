"""Versioned schema steps, one scheme for every engine.

Each migration turns version N-1 into N, as statements an engine's `Dialect` words; the version
lives in `intragraph_schema`. A database without any table is brought to the newest version when
opened; an older one is upgraded only by `intragraph db upgrade`, so that an operator chooses when.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from intragraph.resources import (
    ANNOUNCEMENTS,
    COMMUNITY_SERVICES,
    CURSUS_USERS,
    DASHES,
    DASHES_USERS,
    EVENTS,
    EXAMS,
    LANGUAGES,
    LANGUAGES_USERS,
    LOCATIONS,
    PATRONAGES_REPORTS,
    PROJECT_SESSIONS,
    PROJECTS_USERS,
    QUESTS_USERS,
    ROLES_ENTITIES,
    SCALE_TEAMS,
    SLOTS,
    TEAMS,
    USERS_RESOURCE,
    Resource,
)
from intragraph.resources import Kind as ColumnType
from intragraph.store.levels import HALF_PAST, HALF_PAST_HOURS, LEVELS, coarser, made
from intragraph.store.tables import ACCOUNT_TABLES, SYNC_TABLES, TABLES, Table


@dataclass(frozen=True)
class Dialect:
    name: str
    types: dict[ColumnType, str]
    indexes: bool  # DuckDB scans without them, and they slow its bulk loads
    # loads too large for one transaction in memory are written in steps (`loads.py`)
    stepwise_loads: bool = False


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: Callable[[Dialect], list[str]]
    graphed: bool = True  # it adds graph fields: their rollups are filled from the rows after


def _create(dialect: Dialect, table: Table) -> str:
    columns = ", ".join(f"{name} {dialect.types[kind]}" for name, kind in table.types.items())
    return f"CREATE TABLE IF NOT EXISTS {table.name} ({columns})"


def _initial(dialect: Dialect) -> list[str]:
    statements = [_create(dialect, t) for t in (*TABLES.values(), *ACCOUNT_TABLES.values())]
    unique = [("applications", "name"), ("applications", "uid"), ("tokens", "token_hash")]
    statements += [f"CREATE UNIQUE INDEX IF NOT EXISTS {t}_{c} ON {t} ({c})" for t, c in unique]
    if dialect.indexes:
        keyed = ("projects", "users", "projects_users", "campus_users", "cursus_users")
        statements += [f"CREATE UNIQUE INDEX IF NOT EXISTS {t}_id ON {t} (id)" for t in keyed]
        plain = [
            ("projects", "slug"),
            ("users", "login"),
            ("projects_users", "project_id"),
            ("projects_users", "user_id"),
            ("campus_users", "campus_id"),
            ("cursus_users", "cursus_id"),
        ]
        statements += [f"CREATE INDEX IF NOT EXISTS {t}_{c} ON {t} ({c})" for t, c in plain]
    return statements


def _key_text(dialect: Dialect) -> str:
    """The type of a text column that keys counts: compared as bytes, as the rollups' (12)."""
    return 'TEXT COLLATE "C"' if dialect.name == "postgresql" else "TEXT"


def _rollups(dialect: Dialect) -> list[str]:
    # filled by the store right after (`Store.upgrade`): it owns the bucketing SQL
    return [
        "CREATE TABLE IF NOT EXISTS rollups (resource TEXT, field TEXT, granule BIGINT, n BIGINT)"
    ]


def _rollup_levels(dialect: Dialect) -> list[str]:
    statements = [
        "ALTER TABLE rollups ADD COLUMN IF NOT EXISTS size BIGINT DEFAULT 900",
        "DELETE FROM rollups WHERE size <> 900",  # a step run again makes them anew
        # named: the added column comes last in the table
        *(
            f"INSERT INTO rollups (resource, field, size, granule, n) {coarser('rollups', size)}"
            for size in LEVELS[1:]
        ),
    ]
    if dialect.indexes:
        statements += [
            "DROP INDEX IF EXISTS rollups_field",
            "CREATE INDEX IF NOT EXISTS rollups_field ON rollups (resource, field, size, granule)",
        ]
    return statements


def _instants(dialect: Dialect) -> list[str]:
    text = _key_text(dialect)
    statements = [
        f"CREATE TABLE IF NOT EXISTS instants (resource {text}, field {text}, "
        f"instant {dialect.types['timestamp']}, n BIGINT)",
        "ALTER TABLE data_version ADD COLUMN IF NOT EXISTS instants_since "
        f"{dialect.types['timestamp']}",
    ]
    if dialect.indexes:  # a synced database keeps a day or two of every table's values
        statements.append(
            "CREATE INDEX IF NOT EXISTS instants_field ON instants (resource, field, instant)"
        )
    return statements


def _facets(dialect: Dialect) -> list[str]:
    text = _key_text(dialect)
    statements = [
        f"CREATE TABLE IF NOT EXISTS facets (resource {text}, field {text}, size BIGINT, "
        f"granule BIGINT, a {text}, b {text}, n BIGINT)"
    ]
    if dialect.indexes:  # DuckDB's zone maps serve instead: the rows are kept in value order
        statements.append(
            "CREATE INDEX IF NOT EXISTS facets_value "
            "ON facets (resource, field, size, a, b, granule)"
        )
    return statements


def _facets_anew(columns: str, index: str, dialect: Dialect) -> list[str]:
    """The facets table made anew (as every facet is after the step: graphed), its columns'
    key texts written {text}, with PostgreSQL's index on `index`."""
    statements = [
        "DROP TABLE IF EXISTS facets",
        f"CREATE TABLE facets ({columns.format(text=_key_text(dialect))})",
    ]
    if dialect.indexes:  # DuckDB's zone maps serve instead: the rows are kept in value order
        statements.append(f"CREATE INDEX facets_value ON facets ({index})")
    return statements


def _facet_groups(dialect: Dialect) -> list[str]:
    return _facets_anew(
        "resource {text}, facet {text}, field {text}, size BIGINT, granule BIGINT, a {text}, "
        "b {text}, n BIGINT",
        "resource, facet, field, size, a, b, granule",
        dialect,
    )


def _facet_series(dialect: Dialect) -> list[str]:
    return _facets_anew(
        "series BIGINT, size BIGINT, granule BIGINT, a {text}, b {text}, n BIGINT",
        "series, size, a, b, granule",
        dialect,
    )


def _sync_and_indexes(dialect: Dialect) -> list[str]:
    statements = [_create(dialect, table) for table in SYNC_TABLES.values()]
    statements.append("CREATE UNIQUE INDEX IF NOT EXISTS sync_cursors_key ON sync_cursors (key)")
    if dialect.indexes:
        statements.append("CREATE INDEX IF NOT EXISTS sync_seen_key ON sync_seen (key, id)")
        # a graph's first quarter-hour and its rollups, without reading every field's
        statements.append(
            "CREATE INDEX IF NOT EXISTS rollups_field ON rollups (resource, field, granule)"
        )
        # ranges on a graph field, and the exact count of now's quarter-hour next to the
        # rollups, read a slice of the rows instead of all of them
        statements += _graph_indexes(PROJECTS_USERS)  # the one graphed then
    return statements


def _graph_indexes(resource: Resource) -> list[str]:
    return [
        f"CREATE INDEX IF NOT EXISTS {resource.table}_{f} ON {resource.table} ({f})"
        for f in resource.graph_fields
    ]


def _cursus_users_graphed(dialect: Dialect) -> list[str]:
    # a database made before has cursus_users without them (a new one has them from step 1);
    # the store fills the rollups of the new graph fields right after (`schema.upgrade`)
    types = dialect.types
    statements = [
        f"ALTER TABLE cursus_users ADD COLUMN IF NOT EXISTS has_coalition {types['bool']}",
        f"ALTER TABLE cursus_users ADD COLUMN IF NOT EXISTS blackholed_at {types['timestamp']}",
    ]
    if dialect.indexes:
        statements += _graph_indexes(CURSUS_USERS)
        statements.append(
            "CREATE INDEX IF NOT EXISTS campus_users_user_id ON campus_users (user_id)"
        )
    return statements


def _locations(dialect: Dialect) -> list[str]:
    statements = [_create(dialect, TABLES["locations"])]
    if dialect.indexes:
        statements.append("CREATE UNIQUE INDEX IF NOT EXISTS locations_id ON locations (id)")
        statements += [
            f"CREATE INDEX IF NOT EXISTS locations_{c} ON locations ({c})"
            for c in ("user_id", "campus_id")
        ]
        statements += _graph_indexes(LOCATIONS)
    return statements


def _events_and_exams(dialect: Dialect) -> list[str]:
    statements = [_create(dialect, TABLES[name]) for name in ("events", "exams")]
    if dialect.indexes:
        for resource in (EVENTS, EXAMS):
            table = resource.table
            statements.append(f"CREATE UNIQUE INDEX IF NOT EXISTS {table}_id ON {table} (id)")
            statements += _graph_indexes(resource)
        statements.append("CREATE INDEX IF NOT EXISTS exams_campus_id ON exams (campus_id)")
    return statements


def _users_graphed(dialect: Dialect) -> list[str]:
    # a database made before has users with id and login only (a new one has them all)
    statements = [
        f"ALTER TABLE users ADD COLUMN IF NOT EXISTS {f.name} {dialect.types[f.kind]}"
        for f in USERS_RESOURCE.columns[2:]
    ]
    if dialect.indexes:
        statements += _graph_indexes(USERS_RESOURCE)
    return statements


def _slots(dialect: Dialect) -> list[str]:
    statements = [_create(dialect, TABLES["slots"])]
    if dialect.indexes:
        statements.append("CREATE UNIQUE INDEX IF NOT EXISTS slots_id ON slots (id)")
        statements.append("CREATE INDEX IF NOT EXISTS slots_user_id ON slots (user_id)")
        statements += _graph_indexes(SLOTS)
    return statements


def _keyed(tables: tuple[str, ...]) -> list[str]:
    return [f"CREATE UNIQUE INDEX IF NOT EXISTS {t}_id ON {t} (id)" for t in tables]


def _indexed(columns: tuple[tuple[str, str], ...]) -> list[str]:
    """An index on each (table, column): what nested routes and filters look rows up by."""
    return [f"CREATE INDEX IF NOT EXISTS {t}_{c} ON {t} ({c})" for t, c in columns]


def _teams(dialect: Dialect) -> list[str]:
    statements = [_create(dialect, TABLES[name]) for name in ("cursus", "teams_users", "teams")]
    statements.append(_create(dialect, TABLES["scale_teams"]))
    # the cursus that cursus_users name, kept since as objects of their own (a parent of teams)
    statements.append(
        "INSERT INTO cursus (id) SELECT DISTINCT cursus_id FROM cursus_users "
        "WHERE cursus_id NOT IN (SELECT id FROM cursus)"
    )
    if dialect.indexes:
        statements += _keyed(("cursus", "teams_users", "teams", "scale_teams"))
        statements += _indexed(
            (
                ("cursus", "slug"),
                ("teams_users", "team_id"),
                ("teams_users", "user_id"),
                ("teams", "project_id"),
                ("scale_teams", "team_id"),
                ("scale_teams", "user_id"),
            )
        )
        statements += _graph_indexes(TEAMS) + _graph_indexes(SCALE_TEAMS)
    return statements


# the second part of the graph family, and the objects their records embed
FAMILY = (
    QUESTS_USERS,
    COMMUNITY_SERVICES,
    ROLES_ENTITIES,
    LANGUAGES,
    LANGUAGES_USERS,
    ANNOUNCEMENTS,
    DASHES,
    DASHES_USERS,
    PROJECT_SESSIONS,
    PATRONAGES_REPORTS,
)


def _family(dialect: Dialect) -> list[str]:
    tables = ("quests", "roles", "closes", "reports", *(r.table for r in FAMILY))
    statements = [_create(dialect, TABLES[name]) for name in tables]
    if dialect.indexes:
        statements += _keyed(tables)
        statements += _indexed(
            (
                ("quests_users", "user_id"),
                ("quests_users", "quest_id"),
                ("languages_users", "user_id"),
                ("dashes_users", "dash_id"),
                ("project_sessions", "project_id"),
                ("patronages_reports", "user_id"),
                ("patronages_reports", "patronage_id"),
                ("teams", "project_session_id"),
            )
        )
        for resource in FAMILY:
            statements += _graph_indexes(resource)
    return statements


MIGRATIONS = (
    Migration(
        1,
        "projects_users, projects, users, memberships, applications, tokens",
        _initial,
        graphed=False,
    ),
    Migration(2, "rollups: rows per UTC quarter-hour of each graph field", _rollups),
    Migration(
        3,
        "sync_cursors, sync_seen (where `intragraph sync` stands); indexes on graph fields",
        _sync_and_indexes,
        graphed=False,
    ),
    Migration(
        4,
        "cursus_users graphed: has_coalition, blackholed_at, their rollups and indexes",
        _cursus_users_graphed,
    ),
    Migration(5, "locations: the table, its indexes and rollups", _locations),
    Migration(6, "events and exams: their tables, indexes and rollups", _events_and_exams),
    Migration(7, "users graphed: their columns, indexes and rollups", _users_graphed),
    Migration(8, "slots: the table, its indexes and rollups", _slots),
    Migration(9, "cursus, teams, teams_users, scale_teams: tables, indexes, rollups", _teams),
    Migration(10, "the graph family's other ten resources: tables, indexes, rollups", _family),
    Migration(
        11,
        "data_version: raised by every data write (the result cache, ETags), and by every "
        "change of an application (the token cache)",
        lambda dialect: [
            "CREATE TABLE IF NOT EXISTS data_version (n BIGINT, accounts BIGINT)",
            # a random first version, as every later one is (versions.bump)
            "INSERT INTO data_version (n, accounts) "
            "SELECT floor(random() * 4611686018427387904)::BIGINT, 0 "
            "WHERE NOT EXISTS (SELECT 1 FROM data_version)",
        ],
        graphed=False,
    ),
    Migration(
        12,
        "rollups' resource and field compared as bytes (PostgreSQL): building their index after "
        "a bulk load took 11.5 s for 2.2M rows in the database's locale",
        lambda dialect: (
            [
                'ALTER TABLE rollups ALTER COLUMN resource TYPE TEXT COLLATE "C", '
                'ALTER COLUMN field TYPE TEXT COLLATE "C"'
            ]
            if dialect.name == "postgresql"
            else []  # DuckDB compares bytes already
        ),
        graphed=False,
    ),
    Migration(
        13,
        "what changed, for a columnar copy (store/copy.py): a serial number of the data "
        "transactions in their order of commit, the ids each changed (changes) and the tables "
        "each rewrote whole (table_versions)",
        lambda dialect: [
            "ALTER TABLE data_version ADD COLUMN IF NOT EXISTS serial BIGINT DEFAULT 0",
            "CREATE TABLE IF NOT EXISTS table_versions (name TEXT PRIMARY KEY, whole BIGINT)",
            "CREATE TABLE IF NOT EXISTS changes (serial BIGINT, name TEXT, id BIGINT)",
            *(
                ["CREATE INDEX IF NOT EXISTS changes_serial ON changes (serial)"]
                if dialect.indexes
                else []
            ),
        ],
        graphed=False,
    ),
    Migration(
        14,
        "rollups per UTC hour and day beside the quarter-hours (size): an unfiltered graph in "
        "UTC reads some 5,000 counts over thirteen years, not 400,000",
        _rollup_levels,
        graphed=False,
    ),
    Migration(
        15,
        "instants: every graph field's values from the day before the last write on, counted "
        "per instant, for the exact count of now's granule without a scan of the column",
        _instants,
    ),
    Migration(
        16,
        "facets: rows per UTC hour and day of every graph field and value of the columns graphs "
        "are filtered on most (projects_users' project and status, locations' campus)",
        _facets,
    ),
    Migration(
        17,
        "facets in groups (facet): projects_users' status and campus (its user's, through "
        "campus_users) beside its project and status",
        _facet_groups,
    ),
    Migration(
        18,
        "projects_users' campus and status facets keyed campus first (campus,status), so that "
        "PostgreSQL's index narrows a campus' counts by the campus, with or without statuses",
        lambda dialect: ["DELETE FROM facets WHERE facet = 'status,campus'"],  # made anew
    ),
    Migration(
        19,
        f"rollups per hour from half past a UTC hour (size {HALF_PAST}): the days of Kolkata, "
        "Adelaide or Tehran read from 100,000 such hours, not split out of 450,000 quarter-hours",
        lambda dialect: [
            f"DELETE FROM rollups WHERE size = {HALF_PAST}",  # a step run again makes them anew
            "INSERT INTO rollups (resource, field, size, granule, n) "
            + made("rollups", HALF_PAST_HOURS)
            + " ORDER BY 1, 2, 4",  # in order, as `rollups.refresh` writes them: see there
        ],
        graphed=False,
    ),
    Migration(
        20,
        "projects_users' facets of the sets of campuses of the users in several (campus+,status):"
        " a graph on several campuses takes off what their facets count twice from them, not "
        "from the rows of those users",
        lambda dialect: ["DELETE FROM facets WHERE facet = 'campus+,status'"],  # made anew
    ),
    Migration(
        21,
        "facets keyed by a number for their resource, group and field (series) in place of "
        "three texts: PostgreSQL's index built three times faster, the table a third smaller",
        _facet_series,
    ),
)
VERSIONED = 11  # from this step on, a data transaction raises the data's version
LATEST = MIGRATIONS[-1].version
VERSION_TABLE = "intragraph_schema"
