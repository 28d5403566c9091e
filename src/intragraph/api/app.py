"""create_app(settings, store): the whole HTTP service, built for exactly what the caller needs."""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import logging
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Security
from fastapi.staticfiles import StaticFiles

from intragraph import __version__
from intragraph.api import (
    access_log,
    direct,
    errors,
    graph,
    guard,
    head,
    health,
    lists,
    metrics,
    oauth,
    page,
    slashless,
)
from intragraph.api.batches import Batched
from intragraph.auth import tokens
from intragraph.auth.ratelimit import RateLimiter
from intragraph.cache import AnswerCache
from intragraph.config import Settings
from intragraph.resources import LISTED, RESOURCES
from intragraph.store.base import Store
from intragraph.store.copy import ColumnarCopy

Clock = Callable[[], dt.datetime]
log = logging.getLogger("intragraph")
# intragraph reports through /metrics and its access log; FastAPI's own OpenTelemetry (0.165
# on) would look for configured providers at every request
_NO_TELEMETRY: dict[str, Any] = (
    {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters
    else {}
)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def columnar_copy(settings: Settings, store: Store) -> ColumnarCopy | None:
    """The worker's columnar copy of a PostgreSQL database, if the settings ask for one."""
    if not settings.columnar_copy:
        return None
    if store.dialect.name != "postgresql":
        log.warning("INTRAGRAPH_COLUMNAR_COPY is for PostgreSQL: DuckDB is columnar already")
        return None
    return ColumnarCopy(store, settings.columnar_copy)


def create_app(
    settings: Settings,
    store: Store,
    clock: Clock = utc_now,
    limiter: RateLimiter | None = None,
    on_close: Callable[[], None] | None = None,
) -> FastAPI:
    """Every /v2 route needs a token with scope public, within its application's limits.
    `on_close` runs when the server shuts down (the caller owns the store)."""

    copy = columnar_copy(settings, store)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if copy is not None:
            copy.start()  # answers come from PostgreSQL until it is done
        yield
        app.state.counting.shutdown(wait=False)
        if copy is not None:
            copy.close()
        if on_close is not None:
            on_close()

    app = FastAPI(
        title="intragraph",
        version=__version__,
        description="The 42 intra API's graph endpoints, self-hosted.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        # Rails answers /v2/projects_users/ as /v2/projects_users (api42 sends the slash):
        # `slashless` below does the same, rather than a redirect
        redirect_slashes=False,
        **_NO_TELEMETRY,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.copy = copy
    app.state.clock = clock
    app.state.limiter = limiter or RateLimiter(settings.redis_url)
    app.state.cache = AnswerCache(settings.cache_size, settings.redis_url)
    app.state.tokens = tokens.TokenCache()
    app.state.counting = ThreadPoolExecutor(settings.count_threads, "intragraph-count")
    app.state.recall = Batched(app.state.cache.recall)
    app.state.admit = Batched(functools.partial(guard.admit, app.state))
    errors.install(app)
    # inside the access log: direct answers are logged, counted and tagged as the others
    public_guard = guard.require("public")
    index = app.state.direct = direct.RouteIndex()
    app.add_middleware(direct.Direct, index=index, guard=public_guard)
    app.add_middleware(head.Head)  # inside the log, which writes HEAD
    app.add_middleware(access_log.AccessLog)
    app.add_middleware(slashless.Slashless)
    app.include_router(oauth.router)
    app.include_router(oauth.router, prefix="/v2", include_in_schema=False)
    app.mount("/static/swagger-ui", StaticFiles(directory=page.SWAGGER_UI), name="swagger-ui")
    app.mount("/static", StaticFiles(directory=page.STATIC), name="static")
    app.include_router(page.router)
    app.include_router(health.router)
    app.include_router(metrics.router)

    public = [Security(public_guard)]
    # declared to FastAPI (the OpenAPI document, and what the index does not take) and
    # answered through the index (`direct.py`)
    routers = []
    for resource in RESOURCES.values():  # a resource's graph routes, then its list routes
        routers.append(graph.router(resource))
        if resource.name in LISTED:
            routers.append(lists.router(resource))
    routers += [lists.router(r) for name, r in LISTED.items() if name not in RESOURCES]
    for router in routers:
        app.include_router(router, dependencies=public)
        index.add(router.routes)
    return app


__all__ = ["Clock", "create_app", "utc_now"]
