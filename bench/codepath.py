"""An A/B of the graph code path: Q1-Q12 of bench/graph.py, and a campus's graphs, through
`graphs.graph` on a database already loaded, with the answers' sha1 so that two versions of
the code can be held to the same answers. The code measured is the one on the path:

    PYTHONPATH=/tmp/before/src python bench/codepath.py /tmp/copy-at-the-old-schema.duckdb
    python bench/codepath.py /tmp/intragraph-bench-10000000.duckdb

(`git worktree add /tmp/before <rev>` gives the code before; a database has the schema of
the code that reads it: an old copy for the old code.) Prints the median ms of RUNS warm runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import statistics
import time

from graph import queries

from intragraph.conditions import ParentKey
from intragraph.graphs import graph
from intragraph.query import parse_graph
from intragraph.resources import RESOURCES
from intragraph.store import open_store

RUNS = 7
NOW = dt.datetime(2026, 12, 6, 12, tzinfo=dt.UTC)  # one now for both sides


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("database")
    parser.add_argument("--runs", type=int, default=RUNS)
    args = parser.parse_args()
    store = open_store(args.database)
    first = "SELECT {0} FROM {1} GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT {2}"
    campuses = [int(r[0]) for r in store.fetch(first.format("campus_id", "campus_users", 3), [])]
    campus = campuses[0]
    projects = [int(r[0]) for r in store.fetch(first.format("project_id", "projects_users", 3), [])]
    asked = []
    for query in queries(campuses, projects, "jdoe"):
        field, interval, params, parent = query.parts
        resource = RESOURCES[query.resource]
        key = ParentKey(resource.parents[parent[0]], parent[1]) if parent else None
        asked.append((f"{query.name} {query.label}", resource, field, interval, params, key))
    finished = [("filter[status]", "finished"), ("filter[campus]", str(campus))]
    paris = [*finished, ("time_zone", "Europe/Paris")]
    projects_users = RESOURCES["projects_users"]
    asked += [
        ("Q5 in Europe/Paris", projects_users, "created_at", "day", paris, None),
        (f"by month, campus {campus}", projects_users, "created_at", "month", finished[1:], None),
    ]
    try:
        for label, resource, field, interval, params, key in asked:
            parsed = parse_graph(resource, field, interval, params, parent=key)
            answer = graph(store, parsed, NOW)
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                graph(store, parsed, NOW)
                times.append((time.perf_counter() - start) * 1000)
            digest = hashlib.sha1(json.dumps(answer).encode()).hexdigest()[:10]
            print(f"{statistics.median(times):8.1f} ms  {digest}  {label}", flush=True)
    finally:
        store.close()


if __name__ == "__main__":
    main()
