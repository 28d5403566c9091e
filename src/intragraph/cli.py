"""The `intragraph` command: serve, import, demo, graph, apps, db."""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from intragraph import config
from intragraph.auth import applications
from intragraph.auth.ratelimit import DEFAULT as DEFAULT_LIMITS
from intragraph.errors import IntragraphError
from intragraph.formats import FORMATS, to_csv, to_table
from intragraph.graphs import graph as graph_answer
from intragraph.ingest import demo as demo_data
from intragraph.ingest.load import Source, import_sources
from intragraph.ingest.records import KINDS
from intragraph.query import parse_graph
from intragraph.resources import PROJECTS_USERS
from intragraph.store import accounts, is_postgres, open_store
from intragraph.store.base import Store
from intragraph.store.migrations import LATEST

F = TypeVar("F", bound=Callable[..., Any])


def _database_option(command: F) -> F:
    return click.option(
        "--database",
        "database_url",
        envvar="INTRAGRAPH_DATABASE_URL",
        show_envvar=True,
        help="A DuckDB file, duckdb:///path or postgresql://...  [default: ./intragraph.duckdb]",
    )(command)


def _friendly(command: F) -> F:
    """Known errors end the command with their message and exit status 1, not a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except IntragraphError as error:
            raise click.ClickException(error.message) from None

    return wrapper  # type: ignore[return-value]


@contextmanager
def _store(settings: config.Settings, check_schema: bool = True) -> Iterator[Store]:
    store = open_store(settings.database_url, settings, check_schema=check_schema)
    try:
        yield store
    finally:
        store.close()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="intragraph")
def main() -> None:
    """The 42 intra API's graph endpoints, self-hosted."""


@main.command()
@click.option("--host", envvar="INTRAGRAPH_HOST", show_envvar=True, help="[default: 127.0.0.1]")
@click.option(
    "--port", type=int, envvar="INTRAGRAPH_PORT", show_envvar=True, help="[default: 8000]"
)
@click.option(
    "--workers",
    type=click.IntRange(1),
    envvar="INTRAGRAPH_WORKERS",
    show_envvar=True,
    help="Worker processes; more than 1 needs PostgreSQL and Redis.  [default: 1]",
)
@_database_option
@_friendly
def serve(
    host: str | None, port: int | None, workers: int | None, database_url: str | None
) -> None:
    """Serve the API (and its OpenAPI docs at /docs)."""
    import uvicorn

    given = {"host": host, "port": port, "workers": workers, "database_url": database_url}
    settings = config.load(given)
    if settings.workers > 1 and not is_postgres(settings.database_url):
        raise click.ClickException(
            "--workers above 1 needs PostgreSQL: a DuckDB file is written by one process"
        )
    if settings.workers > 1 and not settings.redis_url:
        raise click.ClickException(
            "--workers above 1 needs INTRAGRAPH_REDIS_URL: the workers must share the rate limits"
        )
    with _store(settings) as store:  # a clear message now rather than a traceback per worker
        label = store.label
    # each worker builds its app from the environment: hand it the options given here
    for name, value in given.items():
        if value is not None:
            os.environ[f"INTRAGRAPH_{name.upper()}"] = str(value)
    address = f"http://{settings.host}:{settings.port}"
    click.echo(
        f"intragraph on {address}/ (docs: {address}/docs), {settings.workers} worker(s), "
        f"database {label}",
        err=True,
    )
    # uvicorn's own access log prints query strings, where access tokens may travel:
    # intragraph.access logs each request instead, without them.
    uvicorn.run(
        "intragraph.api.factory:from_environment",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
        access_log=False,
    )


@main.group()
def db() -> None:
    """The database's schema: its version, and upgrades."""


@db.command("version")
@_database_option
@_friendly
def db_version(database_url: str | None) -> None:
    """Print the schema version of the database and the one this intragraph needs."""
    settings = config.load({"database_url": database_url})
    with _store(settings, check_schema=False) as store:
        version = store.schema_version()
    click.echo(f"schema {version or 0} (this intragraph: {LATEST})")


@db.command("upgrade")
@_database_option
@_friendly
def db_upgrade(database_url: str | None) -> None:
    """Bring the schema to this intragraph's version."""
    settings = config.load({"database_url": database_url})
    with _store(settings, check_schema=False) as store:
        applied = store.upgrade()
    for migration in applied:
        click.echo(f"applied {migration.version}: {migration.description}")
    click.echo(f"schema {LATEST}" + ("" if applied else ", already current"))


@main.command(name="import")
@click.argument("kind", type=click.Choice(sorted(KINDS)))
@click.argument("files", nargs=-1, required=True, type=click.Path(allow_dash=True))
@_database_option
@_friendly
def import_(kind: str, files: tuple[str, ...], database_url: str | None) -> None:
    """Import FILES (JSON arrays, concatenated pages or NDJSON of the 42 API; - is stdin).

    Rows are upserted by id in one transaction: a malformed record stops the import and
    nothing of the run is kept."""
    settings = config.load({"database_url": database_url})
    for name in files:
        if name != "-" and not Path(name).is_file():
            raise click.BadParameter(f"{name}: no such file", param_hint="FILES")
    total = sum(Path(name).stat().st_size for name in files if name != "-")
    with ExitStack() as stack:
        store = stack.enter_context(_store(settings))
        streams = [
            Source(
                name,
                sys.stdin if name == "-" else stack.enter_context(open(name, encoding="utf-8")),
            )
            for name in files
        ]
        bar = stack.enter_context(
            click.progressbar(length=max(total, 1), label="importing", file=sys.stderr)
        )
        counts = import_sources(store, kind, streams, bar.update)
    for table, count in counts.items():
        click.echo(
            f"{table}: {count.inserted} inserted, {count.updated} updated, "
            f"{count.unchanged} unchanged"
        )


@main.command()
@click.option(
    "--rows",
    default=1_000_000,
    show_default=True,
    type=click.IntRange(1),
    help="How many projects_users.",
)
@click.option("--seed", default=1, show_default=True, type=int)
@click.option(
    "--until",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Nothing is created after this day.  [default: now]",
)
@click.option("--replace", is_flag=True, help="Discard the data already in the database.")
@click.option("--if-empty", is_flag=True, help="Do nothing if the database already holds data.")
@_database_option
@_friendly
def demo(
    rows: int,
    seed: int,
    until: dt.datetime | None,
    replace: bool,
    if_empty: bool,
    database_url: str | None,
) -> None:
    """Fill the database with a deterministic, realistic synthetic 42 network."""
    settings = config.load({"database_url": database_url})
    end = dt.datetime.now(dt.UTC) if until is None else until.replace(tzinfo=dt.UTC)
    plan = demo_data.Plan(rows, seed, int(end.timestamp()))
    with _store(settings) as store:
        present = store.count("projects_users")
        if present and if_empty:
            click.echo(f"{store.label} already holds {present} projects_users: kept")
            return
        if present and not replace:
            raise click.ClickException(
                f"{store.label} already holds {present} projects_users; "
                "add --replace to discard them, or choose another --database"
            )
        with click.progressbar(length=rows, label="generating", file=sys.stderr) as bar:
            demo_data.fill(store, plan, replace, bar.update)
        label = store.label
    click.echo(f"{rows} projects_users written to {label}")


@main.group()
def apps() -> None:
    """Applications: their credentials get tokens at POST /oauth/token."""


def _show(credentials: applications.Credentials, settings: config.Settings, as_json: bool) -> None:
    until = credentials.secret_valid_until.strftime("%Y-%m-%dT%H:%M:%SZ")
    if as_json:
        click.echo(
            json.dumps(
                {
                    "name": credentials.name,
                    "uid": credentials.uid,
                    "secret": credentials.secret,
                    "scopes": credentials.scopes,
                    "secret_valid_until": until,
                }
            )
        )
        return
    base = f"http://{settings.host}:{settings.port}"
    click.echo(
        f"application {credentials.name}\n"
        f"  uid:    {credentials.uid}\n"
        f"  secret: {credentials.secret}\n"
        f"  (the secret is shown only now; it is valid until {until})\n"
        f"  scopes: {credentials.scopes}\n\n"
        "Get a token, then call the graph with it:\n"
        f"  TOKEN=$(curl -s -X POST {base}/oauth/token -d grant_type=client_credentials "
        f"-d client_id={credentials.uid} -d client_secret={credentials.secret} "
        "| python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')\n"
        f'  curl -sg -H "Authorization: Bearer $TOKEN" '
        f"'{base}/v2/projects_users/graph/on/created_at/by/month_of_year'"
    )


_json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON, for scripts.")
_ttl_option = click.option(
    "--secret-ttl-days",
    default=365,
    show_default=True,
    type=click.IntRange(1),
    help="Days until the secret expires and must be rotated.",
)


@apps.command("create")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    default=["public"],
    show_default=True,
    type=click.Choice(applications.SCOPES),
    help="Repeat for several.",
)
@click.option(
    "--rate-limit",
    "rate_limits",
    multiple=True,
    default=list(DEFAULT_LIMITS),
    show_default=True,
    help="N/second, N/minute, N/hour or N/day; repeat for several.",
)
@_ttl_option
@_json_option
@_database_option
@_friendly
def apps_create(
    name: str,
    scopes: tuple[str, ...],
    rate_limits: tuple[str, ...],
    secret_ttl_days: int,
    as_json: bool,
    database_url: str | None,
) -> None:
    """Create an application and print its uid and secret (once)."""
    settings = config.load({"database_url": database_url})
    with _store(settings) as store:
        made = applications.create(
            store, name, dt.datetime.now(dt.UTC), scopes, rate_limits, secret_ttl_days
        )
    _show(made, settings, as_json)


@apps.command("list")
@_json_option
@_database_option
@_friendly
def apps_list(as_json: bool, database_url: str | None) -> None:
    """The applications, without their secrets."""
    settings = config.load({"database_url": database_url})
    with _store(settings) as store:
        found = accounts.applications(store)
    rows = [
        {
            "name": app.name,
            "uid": app.uid,
            "scopes": app.scopes,
            "rate_limits": app.rate_limits,
            "secret_valid_until": app.secret_valid_until.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "revoked": app.revoked_at is not None,
        }
        for app in found
    ]
    if as_json:
        click.echo(json.dumps(rows))
        return
    for row in rows:
        state = "revoked" if row["revoked"] else f"secret valid until {row['secret_valid_until']}"
        click.echo(f"{row['name']}\t{row['uid']}\t{row['scopes']}\t{row['rate_limits']}\t{state}")


@apps.command("rotate-secret")
@click.argument("name")
@click.option(
    "--grace-hours",
    default=72,
    show_default=True,
    type=click.IntRange(0),
    help="Hours the current secret keeps working.",
)
@_ttl_option
@_json_option
@_database_option
@_friendly
def apps_rotate(
    name: str, grace_hours: int, secret_ttl_days: int, as_json: bool, database_url: str | None
) -> None:
    """Give an application a new secret; the current one works for --grace-hours more."""
    settings = config.load({"database_url": database_url})
    with _store(settings) as store:
        made = applications.rotate_secret(
            store, name, dt.datetime.now(dt.UTC), dt.timedelta(hours=grace_hours), secret_ttl_days
        )
    _show(made, settings, as_json)


@apps.command("revoke")
@click.argument("name")
@_database_option
@_friendly
def apps_revoke(name: str, database_url: str | None) -> None:
    """Revoke an application: its secrets and tokens stop working at once."""
    settings = config.load({"database_url": database_url})
    with _store(settings) as store:
        applications.revoke(store, name, dt.datetime.now(dt.UTC))
    click.echo(f"application {name} revoked")


@main.command()
@click.argument("words", nargs=-1, metavar="[on FIELD] [by INTERVAL]")
@click.option("--filter", "filters", multiple=True, metavar="NAME=A,B", help="Repeatable.")
@click.option("--range", "ranges", multiple=True, metavar="NAME=MIN,MAX", help="Repeatable.")
@click.option("--time-zone", help="An IANA name.  [default: INTRAGRAPH_TIME_ZONE or UTC]")
@click.option("--week-start", default="sunday", show_default=True)
@click.option("--format", "output", type=click.Choice(FORMATS), default="table", show_default=True)
@_database_option
@_friendly
def graph(
    words: tuple[str, ...],
    filters: tuple[str, ...],
    ranges: tuple[str, ...],
    time_zone: str | None,
    week_start: str,
    output: str,
    database_url: str | None,
) -> None:
    """Answer a projects_users graph from the local database, without a server.

    intragraph graph on created_at by week --filter campus=1 --time-zone Europe/Paris"""
    settings = config.load({"database_url": database_url})
    chosen = _on_by(words)
    params = [("time_zone", time_zone or settings.time_zone), ("week_start", week_start)]
    for kind, given in (("filter", filters), ("range", ranges)):
        for item in given:
            name, equals, values = item.partition("=")
            if not equals:
                raise click.BadParameter(f"{item!r}: write NAME=VALUES", param_hint=f"--{kind}")
            params.append((f"{kind}[{name}]", values))
    query = parse_graph(PROJECTS_USERS, chosen.get("on"), chosen.get("by"), params)
    with _store(settings) as store:
        answer = graph_answer(store, query, dt.datetime.now(dt.UTC))
    if output == "json":
        click.echo(json.dumps(answer))
    elif output == "csv":
        click.echo(to_csv(answer, query.interval), nl=False)
    else:
        click.echo(to_table(answer, shutil.get_terminal_size().columns), nl=False)


def _on_by(words: tuple[str, ...]) -> dict[str, str]:
    """`on FIELD` and `by INTERVAL`, each at most once, in any order."""
    chosen: dict[str, str] = {}
    if len(words) % 2 or any(w not in ("on", "by") for w in words[::2]):
        raise click.UsageError("write: intragraph graph [on FIELD] [by INTERVAL] [options]")
    for word, value in zip(words[::2], words[1::2], strict=True):
        if word in chosen:
            raise click.UsageError(f"{word!r} is given twice")
        chosen[word] = value
    return chosen
