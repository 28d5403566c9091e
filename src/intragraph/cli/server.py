"""`intragraph serve` and `intragraph db`."""

from __future__ import annotations

import os
import tempfile
from typing import Any

import click

from intragraph import config
from intragraph.cli.common import (
    friendly,
    setting_option,
    settings_from,
    store_for,
    with_store,
)
from intragraph.ports import bind_error
from intragraph.store import is_postgres, schema
from intragraph.store.awaited import Unreachable
from intragraph.store.base import Store
from intragraph.store.migrations import LATEST

_SERVED = ("host", "port", "workers", "forwarded_allow_ips", "database_url")


@click.command()
@setting_option("host")
@setting_option("port", type=click.IntRange(1, 65535))
@setting_option("workers", type=click.IntRange(1))
@setting_option("forwarded_allow_ips")
@setting_option("database_url")
@friendly
def serve(**given: str | int | None) -> None:
    """Serve the API (and its OpenAPI docs at /docs)."""
    import uvicorn
    import uvicorn.config

    settings = settings_from(**given)
    if settings.workers > 1 and not is_postgres(settings.database_url):
        raise click.ClickException(
            "--workers above 1 needs PostgreSQL: a DuckDB file is written by one process"
        )
    if settings.workers > 1 and not settings.redis_url:
        raise click.ClickException(
            "--workers above 1 needs INTRAGRAPH_REDIS_URL: the workers must share the rate limits"
        )
    refused = bind_error(settings.host, settings.port)
    if refused is not None:
        raise click.ClickException(
            f"cannot listen on {settings.host}:{settings.port}: {refused} (another server? "
            "choose another with --port)"
        )
    try:  # a clear message now rather than a traceback per worker
        with store_for(settings) as store:
            label = store.label
    except Unreachable as error:  # containers start in any order: wait for it, serving 503
        from intragraph.store.postgres import masked  # only a PostgreSQL URL gets here

        label = masked(settings.database_url)
        click.echo(f"{error.message}; serving 503 until it answers", err=True)
    if settings.workers > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        # each worker writes its metrics there; /metrics adds them up (a new folder a run)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="intragraph-metrics-")
    # each worker builds its app from the environment: hand it the settings chosen here
    for name in _SERVED:
        os.environ[config.BY_NAME[name].variable] = str(getattr(settings, name))
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
        log_config=(
            _json_logs(settings.log_level)
            if settings.log_format == "json"
            else uvicorn.config.LOGGING_CONFIG
        ),
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )


def _json_logs(level: str) -> dict[str, Any]:
    """uvicorn's own lines (start, stop, errors) as JSON lines too."""
    handler = {"class": "logging.StreamHandler", "formatter": "json"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "intragraph.api.access_log.JsonLines"}},
        "handlers": {"default": handler},
        "loggers": {"uvicorn": {"handlers": ["default"], "level": level.upper()}},
    }


@click.group()
def db() -> None:
    """The database's schema: its version, and upgrades."""


@db.command("version")
@with_store(check_schema=False)
def db_version(store: Store, settings: config.Settings) -> None:
    """Print the schema version of the database and the one this intragraph needs."""
    click.echo(f"schema {schema.version(store) or 0} (this intragraph: {LATEST})")


@db.command("upgrade")
@with_store(check_schema=False)
def db_upgrade(store: Store, settings: config.Settings) -> None:
    """Bring the schema to this intragraph's version."""
    applied = schema.upgrade(store)
    for migration in applied:
        click.echo(f"applied {migration.version}: {migration.description}")
    click.echo(f"schema {LATEST}" + ("" if applied else ", already current"))
