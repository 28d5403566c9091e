"""Small merges into a large database: what a sync pays per transaction. Each is an
`import_sources` of a few records, as `intragraph import` or a sync page makes it, timed
RUNS times (the first cold):

- 2 projects_users, each a newer version of a stored row (their rollups, instants and facets
  adjusted by the merge's delta);
- 2 users, newer versions (rollups and instants; no facets);
- 3 campus_users moved to another campus, then back (the facets of those users' rows).

    python bench/merges.py --database /tmp/intragraph-bench-10000000.duckdb

It changes the database: the updated_at of two projects_users and two users (later each run),
and the campus_users it moves, which it moves back. Run it on a copy of a bench database.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from intragraph.ingest.load import Source, import_sources
from intragraph.store import open_store
from intragraph.store.base import Store

RUNS = 5


def _import(store: Store, resource: str, records: list[dict[str, Any]]) -> float:
    lines = "\n".join(json.dumps(record) for record in records).encode()
    start = time.perf_counter()
    import_sources(store, resource, [Source("bench", io.BytesIO(lines))], lambda _: None)
    return (time.perf_counter() - start) * 1000


def _stamp(run: int) -> str:
    return f"2030-01-{run + 1:02d}T00:00:00Z"  # later each run: newer than any stored


def projects_users(store: Store, run: int) -> float:
    found = store.fetch(
        "SELECT id, project_id, user_id FROM projects_users ORDER BY id LIMIT 2", []
    )
    return _import(
        store,
        "projects_users",
        [
            {
                "id": id_,
                "project_id": project,
                "user_id": user,
                "status": "finished",
                "created_at": "2025-01-01T00:00:00Z",
                "updated_at": _stamp(run),
            }
            for id_, project, user in found
        ],
    )


def users(store: Store, run: int) -> float:
    found = store.fetch("SELECT id, login FROM users ORDER BY id LIMIT 2", [])
    stamps = {"created_at": "2020-01-01T00:00:00Z", "updated_at": _stamp(run)}
    return _import(store, "users", [{"id": id_, "login": login, **stamps} for id_, login in found])


def campus_users(store: Store, run: int) -> float:
    found = store.fetch("SELECT id, user_id, campus_id FROM campus_users ORDER BY id LIMIT 3", [])
    seconds = 0.0
    for step, moved in enumerate((True, False)):  # there and back
        stamps = {"created_at": "2020-01-01T00:00:00Z", "updated_at": _stamp(2 * run + step)}
        records = [
            {"id": i, "user_id": u, "campus_id": -c if moved else c, "is_primary": True, **stamps}
            for i, u, c in found
        ]
        seconds += _import(store, "campus_users", records)
    return seconds / 2


MERGES: dict[str, Callable[[Store, int], float]] = {
    "2 projects_users": projects_users,
    "2 users": users,
    "3 campus_users moved": campus_users,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", required=True)
    parser.add_argument("--runs", type=int, default=RUNS)
    args = parser.parse_args()
    store = open_store(args.database)
    try:
        print("| merge | first | median of the rest | all |")
        print("| --- | ---: | ---: | --- |")
        for name, merge in MERGES.items():
            times = [merge(store, run) for run in range(args.runs)]
            rest = statistics.median(times[1:]) if len(times) > 1 else times[0]
            listed = ", ".join(f"{t:.0f}" for t in times)
            print(f"| {name} | {times[0]:.0f} | {rest:.0f} | {listed} |")
    finally:
        store.close()


if __name__ == "__main__":
    main()
