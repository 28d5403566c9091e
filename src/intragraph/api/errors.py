"""Every error -> the one JSON error shape: {"error": "<HTTP reason phrase>", "message": "..."}."""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from intragraph.errors import IntragraphError, OAuthError

log = logging.getLogger("intragraph.api")


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {"error": HTTPStatus(status).phrase, "message": message}
    return JSONResponse(body, status_code=status, headers=headers)


async def known(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, IntragraphError)
    if isinstance(error, OAuthError):  # the token endpoint answers in RFC 6749's shape
        body = {"error": error.code, "error_description": error.message}
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache", **error.headers}
        return JSONResponse(body, status_code=error.status, headers=headers)
    return error_response(error.status, error.message, error.headers)


async def _http(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    if error.status_code == 404:
        message = f"no route matches {request.method} {request.url.path}"
    elif error.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
    else:
        message = str(error.detail)
    return error_response(error.status_code, message, getattr(error, "headers", None))


async def _invalid(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    first = error.errors()[0] if error.errors() else {}
    where = ".".join(str(part) for part in first.get("loc", ()))
    return error_response(400, f"{where}: {first.get('msg', 'invalid request')}")


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_response(500, "unexpected error; the server log has the details")


def install(app: FastAPI) -> None:
    app.add_exception_handler(IntragraphError, known)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(Exception, _unexpected)
