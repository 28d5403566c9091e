"""The dependency that guards every /v2 route: a valid bearer token with the route's scope,
within the application's rate limits. The OpenAPI docs show it as OAuth2 client credentials."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from fastapi import Request, Security
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlows
from fastapi.security import OAuth2
from limits import RateLimitItem

from intragraph import metrics
from intragraph.auth import tokens
from intragraph.auth.applications import SCOPES
from intragraph.auth.ratelimit import parse_limits
from intragraph.errors import Forbidden, TooManyRequests, Unauthorized
from intragraph.store import versions

SCHEME = OAuth2(
    flows=OAuthFlows(
        clientCredentials=OAuthFlowClientCredentials(
            tokenUrl="/oauth/token", scopes={scope: scope for scope in SCOPES}
        )
    ),
    scheme_name="oauth2",
    description="A bearer token from POST /oauth/token (or the access_token query parameter).",
    auto_error=False,
)


@lru_cache(maxsize=1024)
def _limits(texts: tuple[str, ...]) -> tuple[RateLimitItem, ...]:
    return parse_limits(texts)


def bearer(request: Request) -> str | None:
    """The token from `Authorization: Bearer ...`, else from the access_token parameter."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.query_params.get("access_token") or None


@dataclass(frozen=True)
class Admitted:
    data_version: int
    principal: tokens.Principal
    rate_headers: dict[str, str] | TooManyRequests  # or the refusal of a rate limit


def require(scope: str) -> Callable[..., Coroutine[Any, Any, None]]:
    async def guard(request: Request, _: str | None = Security(SCHEME, scopes=[scope])) -> None:
        admitted = await request.app.state.admit((bearer(request), scope))
        request.state.uid = admitted.principal.uid  # the access log names the caller
        if isinstance(admitted.rate_headers, TooManyRequests):
            raise admitted.rate_headers
        request.state.data_version = admitted.data_version
        request.state.rate_headers = admitted.rate_headers

    return guard


def admit(state: Any, waiting: list[tuple[str | None, str]]) -> list[Admitted | Exception]:
    """The guard's work for every request waiting at once (`batches.py`), in a thread: one
    read of the versions (which say whether the token cache and the result cache may answer),
    each token checked, and one count of the rate limits for all of them (a Redis pipeline)."""
    data, accounts = versions.both(state.store)
    now = state.clock()
    checked: list[tokens.Principal | Exception] = []  # a request's caller, or its refusal
    for token, scope in waiting:
        try:
            checked.append(_principal(state, token, scope, now, accounts))
        except (Unauthorized, Forbidden) as refused:
            checked.append(refused)
    callers = [caller for caller in checked if isinstance(caller, tokens.Principal)]
    counts = iter(state.limiter.hit_many([(c.uid, _limits(c.rate_limits)) for c in callers]))
    outcomes: list[Admitted | Exception] = []
    for caller in checked:
        if not isinstance(caller, tokens.Principal):
            outcomes.append(caller)
            continue
        headers = next(counts)
        if isinstance(headers, TooManyRequests):
            metrics.RATE_LIMITED.labels(caller.uid).inc()
        outcomes.append(Admitted(data, caller, headers))
    return outcomes


def _principal(
    state: Any, token: str | None, scope: str, now: dt.datetime, accounts: int
) -> tokens.Principal:
    try:
        principal = tokens.authenticate(state.store, token, now, state.tokens, accounts)
    except Unauthorized as refused:
        expired = refused.message == tokens.EXPIRED
        metrics.TOKEN_FAILURES.labels("expired" if expired else "invalid").inc()
        raise
    if scope not in principal.scopes:
        needed = f"The action need the following scopes: [{scope}]"
        header = (
            f'Bearer realm={tokens.REALM}, error="insufficient scope", error_description="{needed}"'
        )
        raise Forbidden(f"Insufficient scope. {needed}", {"WWW-Authenticate": header})
    return principal


def count(request: Request, principal: tokens.Principal) -> None:
    """Spend one request of the application's budget (429 past it), outside the guard (the
    token info route); the answer carries the rate-limit headers (the access log adds them)."""
    try:
        request.state.rate_headers = request.app.state.limiter.hit(
            principal.uid, _limits(principal.rate_limits)
        )
    except TooManyRequests:
        metrics.RATE_LIMITED.labels(principal.uid).inc()
        raise
