"""`intragraph serve` and `intragraph db`."""

from __future__ import annotations

import os

import click

from intragraph import config
from intragraph.cli.common import database_option, friendly, main, store_for
from intragraph.store import is_postgres
from intragraph.store.migrations import LATEST


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
@database_option
@friendly
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
    with store_for(settings) as store:  # a clear message now rather than a traceback per worker
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
@database_option
@friendly
def db_version(database_url: str | None) -> None:
    """Print the schema version of the database and the one this intragraph needs."""
    settings = config.load({"database_url": database_url})
    with store_for(settings, check_schema=False) as store:
        version = store.schema_version()
    click.echo(f"schema {version or 0} (this intragraph: {LATEST})")


@db.command("upgrade")
@database_option
@friendly
def db_upgrade(database_url: str | None) -> None:
    """Bring the schema to this intragraph's version."""
    settings = config.load({"database_url": database_url})
    with store_for(settings, check_schema=False) as store:
        applied = store.upgrade()
    for migration in applied:
        click.echo(f"applied {migration.version}: {migration.description}")
    click.echo(f"schema {LATEST}" + ("" if applied else ", already current"))
