"""`GET /metrics`: the Prometheus text format, for a token with the `admin` scope (an
intragraph scope: the 42 API has none of that name). The counters come from every worker
(`intragraph.metrics`); the sync's position and the rows kept are read from the database at
each scrape, as `intragraph sync` runs in processes of its own."""

from __future__ import annotations

import os
from collections.abc import Iterator

from fastapi import APIRouter, Request, Security
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from intragraph.api import guard
from intragraph.store import cursors, rollups
from intragraph.store.base import Store

router = APIRouter(tags=["operations"])


class _Stored(Collector):
    """What the database says at the scrape: rows per resource, and each sync's position."""

    def __init__(self, store: Store, now: float) -> None:
        self.store, self.now = store, now

    def collect(self) -> Iterator[GaugeMetricFamily]:
        rows = GaugeMetricFamily(
            "intragraph_rows",
            "Rows kept, per resource (its default graph field set).",
            labels=["resource"],
        )
        for resource, count in rollups.totals(self.store).items():
            rows.add_metric([resource], count)
        yield rows
        last = GaugeMetricFamily(
            "intragraph_sync_last_success_timestamp_seconds",
            "When the last completed sync window of a resource ended (Unix seconds).",
            labels=["resource", "cursor"],
        )
        lag = GaugeMetricFamily(
            "intragraph_sync_lag_seconds",
            "Seconds since then: how far behind the upstream the copy may be.",
            labels=["resource", "cursor"],
        )
        for key, resource, until in cursors.positions(self.store):
            if until is not None:
                last.add_metric([resource, key], until.timestamp())
                lag.add_metric([resource, key], max(0.0, self.now - until.timestamp()))
        yield last
        yield lag


@router.get(
    "/metrics",
    summary="Metrics in the Prometheus text format (scope admin)",
    dependencies=[Security(guard.require("admin"))],
)
def scrape(request: Request) -> Response:
    state = request.app.state
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # several workers: each one's files
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)  # type: ignore[no-untyped-call]
    else:
        counted = REGISTRY
    stored = CollectorRegistry()
    stored.register(_Stored(state.store, state.clock().timestamp()))
    body = generate_latest(counted) + generate_latest(stored)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
