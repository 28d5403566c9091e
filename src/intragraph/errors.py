"""Errors a client or an operator can cause, each carrying its HTTP status.

No web framework here: `api/errors.py` turns every one of them into the one JSON error shape,
`{"error": "<HTTP reason phrase>", "message": "..."}`, and the CLI prints the message.
"""

from __future__ import annotations


class IntragraphError(Exception):
    """`status` is the HTTP status; the message says what was wrong and what is allowed."""

    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(IntragraphError):
    status = 400


class NotFound(IntragraphError):
    status = 404


class Unprocessable(IntragraphError):
    status = 422


class Unavailable(IntragraphError):
    status = 503


class ConfigError(IntragraphError):
    """A setting or database address that cannot be used; never reaches a client."""


class ImportFailed(IntragraphError):
    """A record that cannot be imported: names the file, the record's position and the reason."""

    def __init__(self, source: str, position: int, reason: str) -> None:
        super().__init__(f"{source}: record {position}: {reason}")
        self.source = source
        self.position = position
        self.reason = reason
