"""What every command shares: the group (with --database before or after the subcommand), the
options made from the settings, friendly errors, and the store a command works on."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, TypeVar

import click

from intragraph import config
from intragraph.errors import IntragraphError
from intragraph.store import open_store
from intragraph.store.base import Store

F = TypeVar("F", bound=Callable[..., Any])


def setting_option(name: str, **extra: Any) -> Callable[[F], F]:
    """The option of a setting, with its help and default from `config.Settings`. Without an
    envvar of click's own: `config.load` reads the environment, so that an option given on the
    command line (here or before the subcommand) always wins over it."""
    setting = config.BY_NAME[name]
    default = setting.default if setting.default != "" else "none"
    extra.setdefault("type", type(setting.default))
    return click.option(
        setting.option,
        name,
        help=f"{setting.help}  [env: {setting.variable}; default: {default}]",
        **extra,
    )


def friendly(command: F) -> F:
    """Known errors end the command with their message and exit status 1, not a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except IntragraphError as error:
            raise click.ClickException(error.message) from None

    return wrapper  # type: ignore[return-value]


def settings_from(**given: Any) -> config.Settings:
    """Settings from the options given to the command, then those given before it (`intragraph
    --database X import ...`), then the environment."""
    context = click.get_current_context(silent=True)
    outer = context.find_root().params if context is not None else {}
    chosen = {name: value for name, value in outer.items() if value is not None}
    chosen.update({name: value for name, value in given.items() if value is not None})
    return config.load(chosen)


@contextmanager
def store_for(settings: config.Settings, check_schema: bool = True) -> Iterator[Store]:
    store = open_store(settings.database_url, settings, check_schema=check_schema)
    try:
        yield store
    finally:
        store.close()


def with_store(check_schema: bool = True) -> Callable[[F], F]:
    """A command that works on the database: it takes --database, and is called with the
    `store`, open for its run, and the `settings`."""

    def decorate(command: F) -> F:
        @functools.wraps(command)
        def wrapper(*args: Any, database_url: str | None = None, **kwargs: Any) -> Any:
            settings = settings_from(database_url=database_url)
            with store_for(settings, check_schema) as store:
                return command(*args, store=store, settings=settings, **kwargs)

        return setting_option("database_url")(friendly(wrapper))  # type: ignore[return-value]

    return decorate


class _Commands(click.Group):
    """The subcommands, each imported when it is named (click's lazy loading): `intragraph
    import` loads no web app, nor do the worker processes of an import, which Python starts by
    importing the `intragraph` script again."""

    WHERE: ClassVar[dict[str, str]] = {
        "apps": "intragraph.cli.apps:apps",
        "db": "intragraph.cli.server:db",
        "demo": "intragraph.cli.demo:demo",
        "graph": "intragraph.cli.graph:graph",
        "import": "intragraph.cli.importing:import_",
        "serve": "intragraph.cli.server:serve",
        "sync": "intragraph.cli.sync:sync_command",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.WHERE)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.WHERE:
            return None
        module, name = self.WHERE[cmd_name].split(":")
        command: click.Command = getattr(importlib.import_module(module), name)
        return command


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="intragraph")
@setting_option("database_url")
def main(database_url: str | None) -> None:
    """The 42 intra API's graph endpoints, self-hosted."""
