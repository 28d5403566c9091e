"""The service's metrics, in Prometheus' terms: defined once here, counted where things happen,
served by `GET /metrics` (api/metrics.py). With several workers, `serve` gives them a folder
(PROMETHEUS_MULTIPROC_DIR) where each writes its own, and whichever worker answers a scrape
answers for all."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

_SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUESTS = Counter("intragraph_requests", "HTTP requests answered.", ["route", "method", "status"])
LATENCY = Histogram(
    "intragraph_request_seconds", "Time to answer, by route template.", ["route"], buckets=_SECONDS
)
GRAPH_COUNT = Histogram(
    "intragraph_graph_count_seconds",
    "Time counting a graph: from the rollups (unfiltered), the facets (filtered on them) or "
    "a scan of the rows.",
    ["engine", "path"],
    buckets=_SECONDS,
)
RATE_LIMITED = Counter(
    "intragraph_rate_limited", "Requests refused with 429, by application uid.", ["application"]
)
TOKEN_FAILURES = Counter(
    "intragraph_token_failures", "Requests refused with 401: invalid or expired.", ["reason"]
)
CACHE = Counter(
    "intragraph_answer_cache",
    "Answers (graph, list) from this worker's memory (hit), Redis (shared), or counted (miss).",
    ["kind", "result"],
)
CACHE_ERRORS = Counter(
    "intragraph_answer_cache_errors", "Reads and writes of the shared (Redis) cache that failed."
)
# a gauge, not a counter: with several workers, each keeps its own line (label pid), which
# shows how evenly the connections spread
WORKER_REQUESTS = Gauge(
    "intragraph_worker_requests",
    "HTTP requests answered by this worker since it started.",
    multiprocess_mode="all",
)
