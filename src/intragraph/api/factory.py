"""The app that `intragraph serve` runs in each worker process: settings from INTRAGRAPH_*
variables (the command sets them from its options), the store opened here, closed at exit."""

from __future__ import annotations

import logging

from fastapi import FastAPI

from intragraph import config
from intragraph.api import access_log
from intragraph.api.app import create_app
from intragraph.store import open_store

LOG_FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s %(message)s"


def from_environment() -> FastAPI:
    settings = config.load()
    handler = logging.StreamHandler()
    json_lines = settings.log_format == "json"
    handler.setFormatter(access_log.JsonLines() if json_lines else logging.Formatter(LOG_FORMAT))
    logging.basicConfig(level=settings.log_level.upper(), handlers=[handler])
    # a database that does not answer yet is waited for: /health answers, the API says 503
    store = open_store(settings.database_url, settings, wait=True)
    return create_app(settings, store, on_close=store.close)
