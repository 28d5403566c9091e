"""`intragraph graph`: a graph answered from the local database, without a server."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import click

from intragraph import config, periods
from intragraph.cli.common import with_store
from intragraph.formats import FORMATS, to_csv, to_table
from intragraph.graphs import graph as graph_answer
from intragraph.query import parse_graph
from intragraph.resources import RESOURCES
from intragraph.store.base import Store


def _on_by(
    context: click.Context, param: click.Parameter, words: tuple[str, ...]
) -> dict[str, str]:
    """An optional RESOURCE first (projects_users by default), then `on FIELD` and `by
    INTERVAL`, each at most once, in any order."""
    chosen = {"resource": "projects_users"}
    if words and words[0] in RESOURCES:
        chosen["resource"], words = words[0], words[1:]
    if len(words) % 2 or any(w not in ("on", "by") for w in words[::2]):
        # `graph created_at month`: a field and an interval without their words
        field, interval = (*words, "", "")[:2]
        named = len(words) == 2 and field.endswith("_at") and interval in periods.INTERVALS
        hint = f": did you mean `intragraph graph on {field} by {interval}`?" if named else ""
        raise click.UsageError(
            f"{' '.join(words)!r} is not `[RESOURCE] [on FIELD] [by INTERVAL]` (resources: "
            f"{', '.join(RESOURCES)}){hint}"
        )
    for word, value in zip(words[::2], words[1::2], strict=True):
        if word in chosen:
            raise click.UsageError(f"{word!r} is given twice")
        chosen[word] = value
    return chosen


@click.command()
@click.argument("words", nargs=-1, metavar="[RESOURCE] [on FIELD] [by INTERVAL]", callback=_on_by)
@click.option("--filter", "filters", multiple=True, metavar="NAME=A,B", help="Repeatable.")
@click.option("--range", "ranges", multiple=True, metavar="NAME=MIN,MAX", help="Repeatable.")
@click.option("--time-zone", help="An IANA name.  [default: INTRAGRAPH_TIME_ZONE or UTC]")
@click.option("--week-start", default="sunday", show_default=True)
@click.option("--format", "output", type=click.Choice(FORMATS), default="table", show_default=True)
@with_store()
def graph(
    words: dict[str, str],
    filters: tuple[str, ...],
    ranges: tuple[str, ...],
    time_zone: str | None,
    week_start: str,
    output: str,
    store: Store,
    settings: config.Settings,
) -> None:
    """Answer a graph from the local database, without a server (of projects_users unless a
    RESOURCE is named first).

    intragraph graph on created_at by week --filter campus=1 --time-zone Europe/Paris

    intragraph graph cursus_users on begin_at by month --filter cursus_id=21"""
    chosen = words
    params = [("time_zone", time_zone or settings.time_zone), ("week_start", week_start)]
    for kind, given in (("filter", filters), ("range", ranges)):
        for item in given:
            name, equals, values = item.partition("=")
            if not equals:
                raise click.BadParameter(f"{item!r}: write NAME=VALUES", param_hint=f"--{kind}")
            params.append((f"{kind}[{name}]", values))
    resource = RESOURCES[chosen["resource"]]
    query = parse_graph(resource, chosen.get("on"), chosen.get("by"), params)
    answer = graph_answer(store, query, dt.datetime.now(dt.UTC))
    if output == "json":
        click.echo(json.dumps(answer))
    elif output == "csv":
        click.echo(to_csv(answer, query.interval), nl=False)
    else:
        click.echo(to_table(answer, shutil.get_terminal_size().columns), nl=False)
