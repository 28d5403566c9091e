"""Applications: create, list, rotate a secret with a grace period, revoke."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from intragraph.auth import credentials
from intragraph.auth.ratelimit import DEFAULT, parse_limits
from intragraph.errors import BadRequest
from intragraph.store import accounts
from intragraph.store.accounts import Application
from intragraph.store.base import Store

# the 42 API's scopes, and intragraph's own `admin` (for GET /metrics)
SCOPES = ("public", "projects", "profile", "elearning", "tig", "forum", "admin")


@dataclass(frozen=True)
class Credentials:
    """What `apps create` and `apps rotate-secret` show once: the secret is nowhere else."""

    name: str
    uid: str
    secret: str
    scopes: str
    secret_valid_until: dt.datetime


def check_scopes(scopes: tuple[str, ...] | list[str]) -> str:
    unknown = [scope for scope in scopes if scope not in SCOPES]
    if unknown or not scopes:
        raise BadRequest(f"scope {' '.join(unknown)!r} is not valid; allowed: {', '.join(SCOPES)}")
    return " ".join(dict.fromkeys(scopes))


def _existing(store: Store, name: str) -> Application:
    found = accounts.application(store, "name", name)
    if found is None:
        raise BadRequest(f"no application named {name!r}")
    return found


def create(
    store: Store,
    name: str,
    now: dt.datetime,
    scopes: tuple[str, ...] = ("public",),
    rate_limits: tuple[str, ...] = DEFAULT,
    secret_ttl_days: int = 365,
) -> Credentials:
    if not name.strip():
        raise BadRequest("an application needs a name")
    if accounts.application(store, "name", name) is not None:
        raise BadRequest(f"an application named {name!r} exists already")
    parse_limits(rate_limits)
    secret, uid = credentials.new_secret(), credentials.new_secret()
    valid_until = now + dt.timedelta(days=secret_ttl_days)
    scope_text = check_scopes(scopes)
    accounts.insert_application(
        store,
        {
            "name": name,
            "uid": uid,
            "secret_hash": credentials.digest(secret),
            "secret_valid_until": valid_until,
            "scopes": scope_text,
            "rate_limits": " ".join(rate_limits),
            "created_at": now,
        },
    )
    return Credentials(name, uid, secret, scope_text, valid_until)


def rotate_secret(
    store: Store, name: str, now: dt.datetime, grace: dt.timedelta, secret_ttl_days: int = 365
) -> Credentials:
    """A new secret; the current one keeps working for `grace` (never past its own expiry)."""
    app = _existing(store, name)
    secret = credentials.new_secret()
    valid_until = now + dt.timedelta(days=secret_ttl_days)
    accounts.update_application(
        store,
        name,
        {
            "secret_hash": credentials.digest(secret),
            "secret_valid_until": valid_until,
            "previous_secret_hash": app.secret_hash,
            "previous_valid_until": min(now + grace, app.secret_valid_until),
        },
    )
    return Credentials(name, app.uid, secret, app.scopes, valid_until)


def revoke(store: Store, name: str, now: dt.datetime) -> None:
    """The application's secrets and tokens stop working at once."""
    _existing(store, name)
    accounts.update_application(store, name, {"revoked_at": now})


def accepts_secret(app: Application, secret: str, now: dt.datetime) -> bool:
    if app.revoked_at is not None:
        return False
    if credentials.matches(secret, app.secret_hash) and now <= app.secret_valid_until:
        return True
    return (
        app.previous_valid_until is not None
        and now <= app.previous_valid_until
        and credentials.matches(secret, app.previous_secret_hash)
    )
