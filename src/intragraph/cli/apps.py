"""`intragraph apps`: the applications whose credentials get tokens."""

from __future__ import annotations

import datetime as dt
import json

import click

from intragraph import config
from intragraph.auth import applications
from intragraph.auth.ratelimit import DEFAULT as DEFAULT_LIMITS
from intragraph.cli.common import with_store
from intragraph.formats import api_time
from intragraph.store import accounts
from intragraph.store.base import Store


@click.group()
def apps() -> None:
    """Applications: their credentials get tokens at POST /oauth/token."""


def _show(credentials: applications.Credentials, settings: config.Settings, as_json: bool) -> None:
    until = api_time(credentials.secret_valid_until, digits=0)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "name": credentials.name,
                    "uid": credentials.uid,
                    "secret": credentials.secret,
                    "scopes": credentials.scopes,
                    "secret_valid_until": until,
                }
            )
        )
        return
    base = f"http://{settings.host}:{settings.port}"
    click.echo(
        f"application {credentials.name}\n"
        f"  uid:    {credentials.uid}\n"
        f"  secret: {credentials.secret}\n"
        f"  (the secret is shown only now; it is valid until {until})\n"
        f"  scopes: {credentials.scopes}\n\n"
        "Get a token, then call the graph with it:\n"
        f"  TOKEN=$(curl -s -X POST {base}/oauth/token -d grant_type=client_credentials "
        f"-d client_id={credentials.uid} -d client_secret={credentials.secret} "
        "| python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')\n"
        f'  curl -sg -H "Authorization: Bearer $TOKEN" '
        f"'{base}/v2/projects_users/graph/on/created_at/by/month_of_year'"
    )


_json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON, for scripts.")
_ttl_option = click.option(
    "--secret-ttl-days",
    default=365,
    show_default=True,
    type=click.IntRange(1),
    help="Days until the secret expires and must be rotated.",
)


@apps.command("create")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    default=["public"],
    show_default=True,
    type=click.Choice(applications.SCOPES),
    help="Repeat for several.",
)
@click.option(
    "--rate-limit",
    "rate_limits",
    multiple=True,
    default=list(DEFAULT_LIMITS),
    show_default=True,
    help="N/second, N/minute, N/hour or N/day; repeat for several.",
)
@_ttl_option
@_json_option
@with_store()
def apps_create(
    name: str,
    scopes: tuple[str, ...],
    rate_limits: tuple[str, ...],
    secret_ttl_days: int,
    as_json: bool,
    store: Store,
    settings: config.Settings,
) -> None:
    """Create an application and print its uid and secret (once)."""
    made = applications.create(
        store, name, dt.datetime.now(dt.UTC), scopes, rate_limits, secret_ttl_days
    )
    _show(made, settings, as_json)


@apps.command("list")
@_json_option
@with_store()
def apps_list(as_json: bool, store: Store, settings: config.Settings) -> None:
    """The applications, without their secrets."""
    found = accounts.applications(store)
    rows = [
        {
            "name": app.name,
            "uid": app.uid,
            "scopes": app.scopes,
            "rate_limits": app.rate_limits,
            "secret_valid_until": api_time(app.secret_valid_until, digits=0),
            "revoked": app.revoked_at is not None,
        }
        for app in found
    ]
    if as_json:
        click.echo(json.dumps(rows))
        return
    for row in rows:
        state = "revoked" if row["revoked"] else f"secret valid until {row['secret_valid_until']}"
        click.echo(f"{row['name']}\t{row['uid']}\t{row['scopes']}\t{row['rate_limits']}\t{state}")


@apps.command("rotate-secret")
@click.argument("name")
@click.option(
    "--grace-hours",
    default=72,
    show_default=True,
    type=click.IntRange(0),
    help="Hours the current secret keeps working.",
)
@_ttl_option
@_json_option
@with_store()
def apps_rotate(
    name: str,
    grace_hours: int,
    secret_ttl_days: int,
    as_json: bool,
    store: Store,
    settings: config.Settings,
) -> None:
    """Give an application a new secret; the current one works for --grace-hours more."""
    made = applications.rotate_secret(
        store, name, dt.datetime.now(dt.UTC), dt.timedelta(hours=grace_hours), secret_ttl_days
    )
    _show(made, settings, as_json)


@apps.command("revoke")
@click.argument("name")
@with_store()
def apps_revoke(name: str, store: Store, settings: config.Settings) -> None:
    """Revoke an application: its secrets and tokens stop working at once."""
    applications.revoke(store, name, dt.datetime.now(dt.UTC))
    click.echo(f"application {name} revoked")
