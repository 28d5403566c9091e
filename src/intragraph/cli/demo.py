"""`intragraph demo`: a deterministic synthetic 42 network in the database."""

from __future__ import annotations

import datetime as dt
import sys

import click

from intragraph import config
from intragraph.cli.common import with_store
from intragraph.ingest import demo as demo_data
from intragraph.store import rows as stored
from intragraph.store.base import Store


@click.command()
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
@with_store()
def demo(
    rows: int,
    seed: int,
    until: dt.datetime | None,
    replace: bool,
    if_empty: bool,
    store: Store,
    settings: config.Settings,
) -> None:
    """Fill the database with a deterministic, realistic synthetic 42 network."""
    end = dt.datetime.now(dt.UTC) if until is None else until.replace(tzinfo=dt.UTC)
    try:
        plan = demo_data.Plan(rows, seed, int(end.timestamp()))
    except ValueError as error:  # an --until before jdoe's last row
        raise click.BadParameter(str(error), param_hint="'--until'") from None
    present = stored.count(store, "projects_users")
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
    click.echo(f"{rows} projects_users written to {store.label}")
