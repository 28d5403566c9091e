"""What the benchmarks share: the command, the PostgreSQL they use, credentials."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

CLI = [sys.executable, "-m", "intragraph"]
POSTGRES = os.environ.get(
    "INTRAGRAPH_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def credentials(database: str) -> dict[str, str]:
    """uid and secret of a new application of `database` whose limits no benchmark reaches."""
    name, limit = f"bench-{time.time_ns()}", ("--rate-limit", "1000000/second")
    made = subprocess.run(
        [*CLI, "apps", "create", name, "--json", "--database", database, *limit],
        check=True,
        capture_output=True,
        text=True,
    )
    found: dict[str, str] = json.loads(made.stdout)
    return found
