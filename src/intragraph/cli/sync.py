"""`intragraph sync`: keep a local copy of a 42-compatible API's data current."""

from __future__ import annotations

import datetime as dt
import re
import sys
import time
from typing import Any

import click

from intragraph import config
from intragraph.cli.common import with_store
from intragraph.errors import IntragraphError
from intragraph.store.base import Store
from intragraph.sync.run import ORDER, Report, sync, targets
from intragraph.sync.upstream import Tally, Upstream

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _duration(context: click.Context, param: click.Parameter, text: str | None) -> int | None:
    """'15m', '1h30m', '90s' -> seconds."""
    if text is None:
        return None
    parts = re.fullmatch(r"(?:\d+[smhd])+", text.strip().lower())
    seconds = sum(int(n) * _UNITS[u] for n, u in re.findall(r"(\d+)([smhd])", text.lower()))
    if not parts or seconds <= 0:
        raise click.BadParameter(f"{text!r}: write a duration such as 15m, 1h or 1h30m")
    return seconds


def _ids(context: click.Context, param: click.Parameter, text: str | None) -> list[int]:
    if not text:
        return []
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise click.BadParameter(f"{text!r}: write ids separated by commas, e.g. 1,21") from None


class _Bars:
    """One progress bar per resource, with pages, rows and the ETA."""

    def __init__(self) -> None:
        self.name: str | None = None
        self.bar: Any = None
        self.pages = self.rows = 0

    def __call__(self, name: str, rows: int, total: int | None) -> None:
        if name != self.name:
            self.close()
            self.name, self.pages, self.rows = name, 0, 0
            self.bar = click.progressbar(
                length=max(total or 0, 1),
                label=name,
                file=sys.stderr,
                item_show_func=lambda shown: shown,
            )
            self.bar.__enter__()
        self.pages += 1
        self.rows += rows
        self.bar.update(rows, f"page {self.pages}, {self.rows} rows")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _waiting(seconds: float, why: str) -> None:
    click.echo(f"\n{why}: waiting {seconds:.0f} s", err=True)


def _resources(context: click.Context, param: click.Parameter, text: str | None) -> list[str]:
    if not text:
        return list(ORDER)
    names = [name.strip() for name in text.split(",")]
    unknown = [name for name in names if name not in ORDER]
    if unknown:
        raise click.BadParameter(
            f"{', '.join(unknown)}: not a resource intragraph syncs; "
            f"choose among {', '.join(ORDER)}"
        )
    return names


def _url(context: click.Context, param: click.Parameter, text: str) -> str:
    if not text.startswith(("http://", "https://")):
        raise click.BadParameter(f"{text!r}: give the API's http(s) URL")
    return text


def _summary(report: Report) -> str:
    c = report.counts
    text = (
        f"{report.resource}: {report.rows} rows in {report.pages} pages: {c.inserted} inserted, "
        f"{c.updated} updated, {c.unchanged} unchanged, {report.deleted} deleted"
    )
    return text + (" (continued an interrupted sync)" if report.resumed else "")


@click.command(name="sync")
@click.option(
    "--from",
    "source",
    required=True,
    envvar="INTRAGRAPH_SYNC_FROM",
    show_envvar=True,
    metavar="URL",
    callback=_url,
    help="The upstream API, e.g. https://api.intra.42.fr",
)
@click.option("--client-id", required=True, envvar="INTRAGRAPH_SYNC_CLIENT_ID", show_envvar=True)
@click.option(
    "--client-secret",
    required=True,
    envvar="INTRAGRAPH_SYNC_CLIENT_SECRET",
    show_envvar=True,
    help="Better in the environment than on a command line that others can read.",
)
@click.option(
    "--campus", metavar="IDS", callback=_ids, help="Only these campus ids (comma-separated)."
)
@click.option(
    "--cursus", metavar="IDS", callback=_ids, help="Only these cursus ids (comma-separated)."
)
@click.option(
    "--resources",
    metavar="NAMES",
    callback=_resources,
    help=f"Only these, comma-separated.  [default: all: {','.join(ORDER)}]",
)
@click.option("--full", is_flag=True, help="Read everything again and delete rows gone upstream.")
@click.option(
    "--every",
    "period",
    metavar="DURATION",
    callback=_duration,
    help="Keep running: sync again every 15m, 1h...",
)
@with_store()
def sync_command(
    source: str,
    client_id: str,
    client_secret: str,
    campus: list[int],
    cursus: list[int],
    resources: list[str],
    full: bool,
    period: int | None,
    store: Store,
    settings: config.Settings,
) -> None:
    """Copy campus_users, cursus_users, locations and projects_users from a 42-compatible API.

    Incremental: each run reads the rows updated since the last completed one. An interrupted
    run (Ctrl-C, kill, network failure) continues where it stopped on the next."""
    chosen = targets(campus, cursus, resources)
    upstream = Upstream(source, client_id, client_secret, on_wait=_waiting)
    try:
        while True:
            started, upstream.tally = time.monotonic(), Tally()
            bars = _Bars()
            try:
                reports = sync(store, upstream, chosen, dt.datetime.now(dt.UTC), full, bars)
            except IntragraphError as error:
                if period is None:
                    raise
                click.echo(f"sync failed: {error.message}", err=True)
                reports = []
            finally:
                bars.close()
            for report in reports:
                click.echo(_summary(report))
            tally = upstream.tally
            click.echo(
                f"upstream: {tally.requests} requests, {tally.throttled} answered 429 "
                f"(waited out), {tally.retried} retried, {tally.tokens} tokens"
            )
            if period is None:
                return
            full = False  # --full once, then incremental
            wait = max(0.0, period - (time.monotonic() - started))
            click.echo(f"next sync in {wait:.0f} s", err=True)
            time.sleep(wait)
    except KeyboardInterrupt:
        raise click.ClickException(
            "interrupted: every page read so far is kept; run the same command to continue"
        ) from None
    finally:
        upstream.close()
