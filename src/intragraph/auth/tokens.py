"""Access tokens: issued for the client-credentials grant, checked on every /v2 request.

A repeated token request gets a new token (both stay valid until they expire): the real server
hands back the still-valid one, but that needs the token kept readable, and we keep only hashes.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from intragraph.auth import credentials
from intragraph.auth.applications import SCOPES, accepts_secret
from intragraph.errors import OAuthError, Unauthorized
from intragraph.store import accounts
from intragraph.store.accounts import TokenRecord
from intragraph.store.base import Store

REALM = '"42 API"'
INVALID = "The access token is invalid"
EXPIRED = "The access token expired"
INVALID_CLIENT = (
    "Client authentication failed due to unknown client, no client authentication included, "
    "or unsupported authentication method."
)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the application behind a valid token."""

    uid: str
    scopes: tuple[str, ...]
    rate_limits: tuple[str, ...]
    record: TokenRecord


def _seconds(moment: dt.datetime) -> int:
    return int(moment.timestamp())


def issue(
    store: Store,
    client_id: str | None,
    client_secret: str | None,
    scope: str | None,
    now: dt.datetime,
    ttl: int,
    basic: bool = False,
) -> dict[str, Any]:
    """The token response of RFC 6749 5.1, as the 42 API words it."""
    app = accounts.application(store, "uid", client_id) if client_id else None
    if app is None or not client_secret or not accepts_secret(app, client_secret, now):
        headers = {"WWW-Authenticate": f"Basic realm={REALM}"} if basic else None
        raise OAuthError(401, "invalid_client", INVALID_CLIENT, headers)
    wanted = (scope or "public").split()
    if not wanted or any(s not in SCOPES or s not in app.scopes.split() for s in wanted):
        raise OAuthError(
            400, "invalid_scope", "The requested scope is invalid, unknown, or malformed."
        )
    token = credentials.new_secret()
    scopes = " ".join(dict.fromkeys(wanted))
    accounts.insert_token(
        store, credentials.digest(token), app.id, scopes, now, now + dt.timedelta(seconds=ttl)
    )
    return {
        "access_token": token,
        "token_type": "bearer",
        "expires_in": ttl,
        "scope": scopes,
        "created_at": _seconds(now),
        "secret_valid_until": _seconds(app.secret_valid_until),
    }


def unauthorized(description: str) -> Unauthorized:
    header = f'Bearer realm={REALM}, error="invalid_token", error_description="{description}"'
    return Unauthorized(description, {"WWW-Authenticate": header})


class TokenCache:
    """Tokens already looked up, by their hash and the accounts' version (raised by every
    change of an application: a revocation takes effect at once, for every worker): at most
    `size`, the oldest dropped. A token's expiry is checked at each use all the same."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._known: OrderedDict[tuple[str, int], TokenRecord | None] = OrderedDict()
        self._lock = threading.Lock()

    def record(self, store: Store, digest: str, version: int) -> TokenRecord | None:
        key = (digest, version)
        with self._lock:
            if key in self._known:
                return self._known[key]
        found = accounts.token(store, digest)
        with self._lock:
            self._known[key] = found
            while len(self._known) > self.size:
                self._known.popitem(last=False)
        return found


def authenticate(
    store: Store,
    token: str | None,
    now: dt.datetime,
    cache: TokenCache | None = None,
    version: int = 0,
) -> Principal:
    """The caller behind `token`, or a 401 saying whether to fetch a new token; looked up in
    `cache` (under the accounts' `version`) when one is given."""
    record = None
    if token:
        digest = credentials.digest(token)
        record = cache.record(store, digest, version) if cache else accounts.token(store, digest)
    if record is None or record.application.revoked_at is not None:
        raise unauthorized(INVALID)
    if now >= record.expires_at:
        raise unauthorized(EXPIRED)
    app = record.application
    return Principal(app.uid, tuple(record.scopes.split()), tuple(app.rate_limits.split()), record)


def info(principal: Principal, now: dt.datetime) -> dict[str, Any]:
    return {
        "resource_owner_id": None,
        "scopes": list(principal.scopes),
        "expires_in_seconds": int((principal.record.expires_at - now).total_seconds()),
        "application": {"uid": principal.uid},
        "created_at": _seconds(principal.record.created_at),
    }
