"""Import speed: `intragraph import projects_users` of N records in the 42 API's JSON shape
(pages of 100, as the list endpoint gives them), into DuckDB and into PostgreSQL, each into an
empty database, then the same file again (every row unchanged).

    python bench/importing.py --rows 1000000 [--postgres postgresql://postgres@127.0.0.1/test]
        [--pages FILE]  # the records' file: written there if it is not, kept after

Timed as users run it: the `intragraph` script beside this Python (`python -m intragraph` where
there is none), whose import workers start by importing the script again.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import common
import psycopg

from intragraph.ingest import demo


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    moment: dt.datetime = value
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def write_pages(path: Path, rows: int) -> None:
    """N projects_users from the demo network, as pages of 100 records."""
    plan = demo.Plan(rows, 1, int(dt.datetime(2026, 11, 1, tzinfo=dt.UTC).timestamp()))
    with open(path, "w") as out:
        for part in demo.parts(plan):
            pu = part["projects_users"]
            columns = {name: values.tolist() for name, values in pu.items()}
            page: list[dict[str, Any]] = []
            for index in range(len(columns["id"])):
                user_id = columns["user_id"][index]
                page.append(
                    {
                        "id": columns["id"][index],
                        "occurrence": columns["occurrence"][index],
                        "final_mark": columns["final_mark"][index],
                        "status": columns["status"][index],
                        "validated?": columns["validated"][index],
                        "current_team_id": columns["current_team_id"][index],
                        "project": {
                            "id": columns["project_id"][index],
                            "name": "P",
                            "slug": "p",
                            "parent_id": None,
                        },
                        "cursus_ids": [21],
                        "marked": columns["marked"][index],
                        "marked_at": _iso(columns["marked_at"][index]),
                        "retriable_at": _iso(columns["retriable_at"][index]),
                        "created_at": _iso(columns["created_at"][index]),
                        "updated_at": _iso(columns["updated_at"][index]),
                        "user": {
                            "id": user_id,
                            "login": f"student{user_id}",
                            "url": f"https://api.intra.42.fr/v2/users/student{user_id}",
                        },
                        "teams": [],
                    }
                )
                if len(page) == 100:
                    out.write(json.dumps(page))
                    page = []
            if page:
                out.write(json.dumps(page))


def timed_import(path: Path, database: str) -> tuple[float, str]:
    script = shutil.which("intragraph", path=str(Path(sys.executable).parent))
    command = [script] if script else [sys.executable, "-m", "intragraph"]
    start = time.perf_counter()
    done = subprocess.run(
        [
            *command,
            "import",
            "projects_users",
            str(path),
            "--database",
            database,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    return seconds, done.stdout.splitlines()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--postgres", default=common.POSTGRES)
    parser.add_argument("--pages", type=Path, help="the records' file, kept (written if absent)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="intragraph-import-"))
    path = args.pages or folder / "projects_users.json"
    if not path.exists():
        start = time.perf_counter()
        write_pages(path, args.rows)
        print(
            f"wrote {args.rows} records, {path.stat().st_size / 2**20:.0f} MiB, "
            f"in {time.perf_counter() - start:.1f} s"
        )
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.postgres, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    joiner = "&" if "?" in args.postgres else "?"
    targets = {
        "duckdb": str(folder / "import.duckdb"),
        "postgresql": f"{args.postgres}{joiner}options=-csearch_path%3D{schema}",
    }
    try:
        for engine, database in targets.items():
            for attempt in ("empty database", "same file again"):
                seconds, summary = timed_import(path, database)
                print(
                    f"{engine:10} {attempt:16} {seconds:6.1f} s  "
                    f"{args.rows / seconds:9,.0f} rows/s  {summary}"
                )
    finally:
        with psycopg.connect(args.postgres, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")
        if not args.pages:
            path.unlink()


if __name__ == "__main__":
    main()
