"""What every command shares: the group, the --database option, friendly errors, the store."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from intragraph import config
from intragraph.errors import IntragraphError
from intragraph.store import open_store
from intragraph.store.base import Store

F = TypeVar("F", bound=Callable[..., Any])


def database_option(command: F) -> F:
    return click.option(
        "--database",
        "database_url",
        envvar="INTRAGRAPH_DATABASE_URL",
        show_envvar=True,
        help="A DuckDB file, duckdb:///path or postgresql://...  [default: ./intragraph.duckdb]",
    )(command)


def friendly(command: F) -> F:
    """Known errors end the command with their message and exit status 1, not a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except IntragraphError as error:
            raise click.ClickException(error.message) from None

    return wrapper  # type: ignore[return-value]


@contextmanager
def store_for(settings: config.Settings, check_schema: bool = True) -> Iterator[Store]:
    store = open_store(settings.database_url, settings, check_schema=check_schema)
    try:
        yield store
    finally:
        store.close()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="intragraph")
def main() -> None:
    """The 42 intra API's graph endpoints, self-hosted."""
