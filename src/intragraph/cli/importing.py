"""`intragraph import`: files of the 42 API's JSON into the database."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path

import click

from intragraph import config
from intragraph.cli.common import with_store
from intragraph.ingest.load import Source, import_sources
from intragraph.ingest.records import KINDS
from intragraph.store.base import Store


@click.command(name="import")
@click.argument("kind", type=click.Choice(sorted(KINDS)))
@click.argument("files", nargs=-1, required=True, type=click.Path(allow_dash=True))
@with_store()
def import_(kind: str, files: tuple[str, ...], store: Store, settings: config.Settings) -> None:
    """Import FILES (JSON arrays, concatenated pages or NDJSON of the 42 API; - is stdin).

    Rows are upserted by id in one transaction: a malformed record stops the import and
    nothing of the run is kept."""
    for name in files:
        if name != "-" and not Path(name).is_file():
            raise click.BadParameter(f"{name}: no such file", param_hint="FILES")
    total = sum(Path(name).stat().st_size for name in files if name != "-")
    with ExitStack() as stack:
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
    for source in streams:
        if source.records == 0:
            click.echo(
                f"{source.name}: held no record (an empty file, or an empty array)", err=True
            )
    for table, count in counts.items():
        click.echo(
            f"{table}: {count.inserted} inserted, {count.updated} updated, "
            f"{count.unchanged} unchanged"
        )
