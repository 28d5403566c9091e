"""The dependency that guards every /v2 route: a valid bearer token with the route's scope,
within the application's rate limits. The OpenAPI docs show it as OAuth2 client credentials."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

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


def require(scope: str) -> Callable[..., None]:
    def guard(request: Request, _: str | None = Security(SCHEME, scopes=[scope])) -> None:
        state = request.app.state
        # one read says whether the token cache and the result cache may answer
        data, accounts = versions.both(state.store)
        request.state.data_version = data
        try:
            principal = tokens.authenticate(
                state.store, bearer(request), state.clock(), state.tokens, accounts
            )
        except Unauthorized as refused:
            expired = refused.message == tokens.EXPIRED
            metrics.TOKEN_FAILURES.labels("expired" if expired else "invalid").inc()
            raise
        request.state.uid = principal.uid
        if scope not in principal.scopes:
            needed = f"The action need the following scopes: [{scope}]"
            header = (
                f'Bearer realm={tokens.REALM}, error="insufficient scope", '
                f'error_description="{needed}"'
            )
            raise Forbidden(f"Insufficient scope. {needed}", {"WWW-Authenticate": header})
        count(request, principal)

    return guard


def count(request: Request, principal: tokens.Principal) -> None:
    """Spend one request of the application's budget (429 past it); the answer carries the
    rate-limit headers (the access log adds them)."""
    try:
        request.state.rate_headers = request.app.state.limiter.hit(
            principal.uid, _limits(principal.rate_limits)
        )
    except TooManyRequests:
        metrics.RATE_LIMITED.labels(principal.uid).inc()
        raise
