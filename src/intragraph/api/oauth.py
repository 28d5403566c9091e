"""POST /oauth/token (client credentials) and GET /oauth/token/info, as the 42 API has them."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from intragraph.api.guard import bearer, count
from intragraph.auth import tokens
from intragraph.errors import OAuthError

router = APIRouter(tags=["oauth"])

_MALFORMED = (
    "The request is missing a required parameter, includes an unsupported parameter value, "
    "or is otherwise malformed."
)
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_FORM = {
    "application/x-www-form-urlencoded": {
        "schema": {
            "type": "object",
            "required": ["grant_type"],
            "properties": {
                "grant_type": {"type": "string", "enum": ["client_credentials"]},
                "client_id": {"type": "string"},
                "client_secret": {"type": "string"},
                "scope": {"type": "string", "description": "space-separated, default public"},
            },
        }
    }
}


async def _parameters(request: Request) -> dict[str, str]:
    """The request's parameters from its query string and its form or JSON body."""
    found = dict(request.query_params)
    body = await request.body()
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            parsed = json.loads(body or b"{}")
        except ValueError:
            raise OAuthError(400, "invalid_request", _MALFORMED) from None
        if not isinstance(parsed, dict):
            raise OAuthError(400, "invalid_request", _MALFORMED)
        found.update({k: v for k, v in parsed.items() if isinstance(v, str)})
    else:
        found.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return found


def _basic(request: Request) -> tuple[str, str] | None:
    """Client id and secret from HTTP Basic (each form-encoded first, RFC 6749 2.3.1)."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError(401, "invalid_client", tokens.INVALID_CLIENT) from None
    client_id, _, secret = decoded.partition(":")
    return unquote_plus(client_id), unquote_plus(secret)


@router.post(
    "/oauth/token",
    summary="Get an access token (client credentials)",
    openapi_extra={"requestBody": {"content": _FORM, "required": True}},
)
async def token(request: Request) -> JSONResponse:
    params = await _parameters(request)
    grant = params.get("grant_type")
    if not grant:
        raise OAuthError(400, "invalid_request", _MALFORMED)
    if grant != "client_credentials":
        raise OAuthError(
            400,
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
        )
    basic = _basic(request)
    client_id, secret = basic or (params.get("client_id"), params.get("client_secret"))
    state = request.app.state
    body: dict[str, Any] = await run_in_threadpool(
        tokens.issue,
        state.store,
        client_id,
        secret,
        params.get("scope"),
        state.clock(),
        state.settings.token_ttl,
        basic is not None,
    )
    request.state.uid = client_id
    return JSONResponse(body, headers=_NO_STORE)


@router.get("/oauth/token/info", summary="What the access token is")
async def token_info(request: Request) -> JSONResponse:
    state = request.app.state
    now = state.clock()
    principal = await run_in_threadpool(tokens.authenticate, state.store, bearer(request), now)
    request.state.uid = principal.uid
    await run_in_threadpool(count, request, principal)
    return JSONResponse(tokens.info(principal, now), headers=_NO_STORE)
