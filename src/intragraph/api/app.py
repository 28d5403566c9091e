"""create_app(settings, store): the whole HTTP service, built for exactly what the caller needs."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Security
from fastapi.staticfiles import StaticFiles

from intragraph import __version__
from intragraph.api import (
    access_log,
    errors,
    graph,
    guard,
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

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def create_app(
    settings: Settings,
    store: Store,
    clock: Clock = utc_now,
    limiter: RateLimiter | None = None,
    on_close: Callable[[], None] | None = None,
) -> FastAPI:
    """Every /v2 route needs a token with scope public, within its application's limits.
    `on_close` runs when the server shuts down (the caller owns the store)."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
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
    )
    app.state.settings = settings
    app.state.store = store
    app.state.clock = clock
    app.state.limiter = limiter or RateLimiter(settings.redis_url)
    app.state.cache = AnswerCache(settings.cache_size, settings.redis_url)
    app.state.tokens = tokens.TokenCache()
    app.state.admit = Batched(functools.partial(guard.admit, app.state))
    errors.install(app)
    app.add_middleware(access_log.AccessLog)
    app.add_middleware(slashless.Slashless)
    app.include_router(oauth.router)
    app.include_router(oauth.router, prefix="/v2", include_in_schema=False)
    app.mount("/static/swagger-ui", StaticFiles(directory=page.SWAGGER_UI), name="swagger-ui")
    app.mount("/static", StaticFiles(directory=page.STATIC), name="static")
    app.include_router(page.router)
    app.include_router(health.router)
    app.include_router(metrics.router)

    public = [Security(guard.require("public"))]
    # FastAPI tries every route in turn, a few microseconds each: a resource's graph and list
    # routes together, the resources in their declared order (projects_users first), rather
    # than every list behind every graph
    for resource in RESOURCES.values():
        app.include_router(graph.router(resource), dependencies=public)
        if resource.name in LISTED:
            app.include_router(lists.router(resource), dependencies=public)
    for name, resource in LISTED.items():
        if name not in RESOURCES:
            app.include_router(lists.router(resource), dependencies=public)
    return app


__all__ = ["Clock", "create_app", "utc_now"]
