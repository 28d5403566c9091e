"""The `intragraph` command: serve, import, demo."""

from __future__ import annotations

import datetime as dt
import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from intragraph import config
from intragraph.errors import IntragraphError
from intragraph.ingest import demo as demo_data
from intragraph.ingest.load import Source, import_sources
from intragraph.ingest.records import KINDS
from intragraph.store import open_store
from intragraph.store.base import Store

F = TypeVar("F", bound=Callable[..., Any])


def _database_option(command: F) -> F:
    return click.option(
        "--database",
        "database_url",
        envvar="INTRAGRAPH_DATABASE_URL",
        show_envvar=True,
        help="A DuckDB file path or duckdb:///path.  [default: ./intragraph.duckdb]",
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
def _store(settings: config.Settings) -> Iterator[Store]:
    store = open_store(settings.database_url)
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
@_database_option
@_friendly
def serve(host: str | None, port: int | None, database_url: str | None) -> None:
    """Serve the API (and its OpenAPI docs at /docs)."""
    import uvicorn

    from intragraph.api.app import create_app

    settings = config.load({"host": host, "port": port, "database_url": database_url})
    with _store(settings) as store:
        app = create_app(settings, store)
        address = f"http://{settings.host}:{settings.port}"
        click.echo(f"intragraph on {address}/  (docs: {address}/docs)", err=True)
        uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level)


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
            click.echo(f"{settings.database_url} already holds {present} projects_users: kept")
            return
        if present and not replace:
            raise click.ClickException(
                f"{settings.database_url} already holds {present} projects_users; "
                "add --replace to discard them, or choose another --database"
            )
        with click.progressbar(length=rows, label="generating", file=sys.stderr) as bar:
            demo_data.fill(store, plan, replace, bar.update)
    click.echo(f"{rows} projects_users written to {settings.database_url}")
