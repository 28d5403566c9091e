"""Errors a client or an operator can cause, each carrying its HTTP status.

No web framework here: `api/errors.py` turns every one of them into the one JSON error shape,
`{"error": "<HTTP reason phrase>", "message": "..."}`, and the CLI prints the message.
"""

from __future__ import annotations


class IntragraphError(Exception):
    """`status` is the HTTP status; the message says what was wrong and what is allowed."""

    status = 500

    def __init__(self, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}


class BadRequest(IntragraphError):
    status = 400


class Unauthorized(IntragraphError):
    status = 401


class Forbidden(IntragraphError):
    status = 403


class NotFound(IntragraphError):
    status = 404


class Unprocessable(IntragraphError):
    status = 422


class TooManyRequests(IntragraphError):
    status = 429


class Unavailable(IntragraphError):
    status = 503


class OAuthError(IntragraphError):
    """An error of the token endpoint, answered in RFC 6749's own shape:
    {"error": "<code>", "error_description": "..."}."""

    def __init__(
        self, status: int, code: str, description: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(description, headers)
        self.status = status
        self.code = code


class ConfigError(IntragraphError):
    """A setting or database address that cannot be used; never reaches a client."""


class ImportFailed(IntragraphError):
    """A record that cannot be imported: names the file, the record's position and the reason."""

    def __init__(self, source: str, position: int, reason: str) -> None:
        super().__init__(f"{source}: record {position}: {reason}")
        self.source = source
        self.position = position
        self.reason = reason
