"""One log line per request: application uid, method, route, status, duration.

The route is the matched template (`/v2/users/{key}/...`), never the query string, where an
access_token may travel; tokens and secrets are never logged. The rate-limit headers that the
guard computed are added to every answer here, errors included.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from fastapi import Request, Response

log = logging.getLogger("intragraph.access")


async def access_log(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    start = time.perf_counter()
    response = await call_next(request)
    response.headers.update(getattr(request.state, "rate_headers", {}))
    route = request.scope.get("route")
    path = getattr(route, "path", request.url.path)
    uid = getattr(request.state, "uid", None) or "-"
    log.info(
        "%s %s %s %d %.1fms",
        uid,
        request.method,
        path,
        response.status_code,
        (time.perf_counter() - start) * 1000,
    )
    return response
