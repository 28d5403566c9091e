"""ETags and 304s: an answer that the client already holds is not sent again (a graph's is not
even counted again, when the cache holds it). A 304 is still a request: it was counted against
the rate limit before it got here."""

from __future__ import annotations

from fastapi import Request

# the answer may be kept by the client, but used only after asking whether it still holds
CACHE_CONTROL = "private, max-age=0, must-revalidate"


def validators(tag: str) -> dict[str, str]:
    return {"ETag": tag, "Cache-Control": CACHE_CONTROL}


def not_modified(request: Request, tag: str) -> bool:
    """Whether If-None-Match names `tag` (or is *): weak comparison, as RFC 9110 asks for it."""
    given = request.headers.get("if-none-match")
    if not given:
        return False
    tags = {part.strip().removeprefix("W/") for part in given.split(",")}
    return "*" in tags or tag in tags
