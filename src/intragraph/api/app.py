"""create_app(settings, store): the whole HTTP service, built for exactly what the caller needs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from fastapi import FastAPI
from fastapi.params import Depends

from intragraph import __version__
from intragraph.api import errors, graph
from intragraph.config import Settings
from intragraph.resources import RESOURCES
from intragraph.store.base import Store

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def create_app(
    settings: Settings,
    store: Store,
    clock: Clock = utc_now,
    guards: Sequence[Depends] = (),
) -> FastAPI:
    """`guards` are dependencies run before every /v2 route (authentication hooks in here)."""
    app = FastAPI(
        title="intragraph",
        version=__version__,
        description="The 42 intra API's graph endpoints, self-hosted.",
    )
    app.state.settings = settings
    app.state.store = store
    app.state.clock = clock
    errors.install(app)
    for resource in RESOURCES.values():
        app.include_router(graph.router(resource), dependencies=list(guards))
    return app


__all__ = ["Clock", "create_app", "utc_now"]
