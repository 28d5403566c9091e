"""`intragraph import`, `intragraph demo` and `intragraph graph`: data in, and a look at it."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
from contextlib import ExitStack
from pathlib import Path

import click

from intragraph import config
from intragraph.cli.common import database_option, friendly, main, store_for
from intragraph.formats import FORMATS, to_csv, to_table
from intragraph.graphs import graph as graph_answer
from intragraph.ingest import demo as demo_data
from intragraph.ingest.load import Source, import_sources
from intragraph.ingest.records import KINDS
from intragraph.query import parse_graph
from intragraph.resources import PROJECTS_USERS


@main.command(name="import")
@click.argument("kind", type=click.Choice(sorted(KINDS)))
@click.argument("files", nargs=-1, required=True, type=click.Path(allow_dash=True))
@database_option
@friendly
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
        store = stack.enter_context(store_for(settings))
        streams = [
            Source(
                name,
                sys.stdin.buffer if name == "-" else stack.enter_context(open(name, "rb")),
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
@database_option
@friendly
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
    with store_for(settings) as store:
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


@main.command()
@click.argument("words", nargs=-1, metavar="[on FIELD] [by INTERVAL]")
@click.option("--filter", "filters", multiple=True, metavar="NAME=A,B", help="Repeatable.")
@click.option("--range", "ranges", multiple=True, metavar="NAME=MIN,MAX", help="Repeatable.")
@click.option("--time-zone", help="An IANA name.  [default: INTRAGRAPH_TIME_ZONE or UTC]")
@click.option("--week-start", default="sunday", show_default=True)
@click.option("--format", "output", type=click.Choice(FORMATS), default="table", show_default=True)
@database_option
@friendly
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
    with store_for(settings) as store:
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
