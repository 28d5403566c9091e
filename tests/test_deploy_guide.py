"""docs/deploying.md's "Step by step", run as written: a fresh virtualenv, intragraph installed
into it from this checkout, PostgreSQL's role and database, the env file, `db upgrade`, `apps
create`, then `serve --workers 2` with Redis, and a graph and a list page through the proxy
headers. Only what would change this machine itself is left out (the system user and its
group) and the addresses are this machine's: the guide cannot drift from the code unseen."""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import requests

from intragraph.ports import free_port
from tests.conftest import (
    POSTGRES_URL,
    postgres_or_skip,
    redis_or_skip,
    token_for,
    wait_for,
)

ROOT = Path(__file__).parent.parent
GUIDE = (ROOT / "docs" / "deploying.md").read_text()
STEPS = re.search(r"## Step by step\n.*?```sh\n(?P<script>.*?)```", GUIDE, re.S)


@pytest.fixture
def role() -> Iterator[str]:
    """A role and database name of this run's own, dropped afterwards."""
    postgres_or_skip()
    name = f"guide_{uuid.uuid4().hex[:10]}"
    yield name
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"DROP ROLE IF EXISTS {name}")


def _script(prefix: Path, role: str, redis_url: str) -> tuple[str, str]:
    """The guide's commands for this machine, and its last one (serve), apart."""
    assert STEPS is not None, "docs/deploying.md has no Step by step sh block"
    admin = psycopg.conninfo.conninfo_to_dict(POSTGRES_URL)
    host, port = admin.get("host", "127.0.0.1"), admin.get("port", "5432")
    script = STEPS["script"]
    for old, new in [
        ("/opt/intragraph", f"{prefix}/opt/intragraph"),
        ("/etc/intragraph", f"{prefix}/etc/intragraph"),
        ("/path/to/intragraph", str(ROOT)),
        (
            "psql -U postgres",
            f"psql -v ON_ERROR_STOP=1 -h {host} -p {port} -U postgres -d postgres",
        ),
        ("ROLE intragraph", f"ROLE {role}"),
        ("DATABASE intragraph OWNER intragraph", f"DATABASE {role} OWNER {role}"),
        (
            "intragraph:PASSWORD@db.internal:5432/intragraph",
            f"{role}:PASSWORD@{host}:{port}/{role}",
        ),
        ("redis://cache.internal:6379/0", redis_url),
        ("10.0.0.5", "127.0.0.1"),
        (" -g intragraph", ""),  # the system user's group: not made here
        ("chgrp intragraph ", "true "),
    ]:
        assert old in script, f"the guide no longer says {old!r}: update this test with it"
        script = script.replace(old, new)
    lines = [line for line in script.splitlines() if not line.startswith("useradd ")]
    serve = lines.pop()
    assert " serve " in serve
    return "set -euo pipefail\n" + "\n".join(lines) + "\n", serve


def test_the_deploy_guide_runs_as_written(tmp_path: Path, role: str) -> None:
    redis_url = redis_or_skip()
    steps, serve = _script(tmp_path, role, redis_url)
    done = subprocess.run(
        ["bash", "-c", steps], capture_output=True, text=True, timeout=900, cwd=tmp_path
    )
    assert done.returncode == 0, done.stdout + done.stderr
    uid = re.search(r"uid:\s+(\S+)", done.stdout)
    secret = re.search(r"secret:\s+(\S+)", done.stdout)
    assert uid and secret, done.stdout
    assert "PASSWORD" not in done.stdout + done.stderr  # the password is never printed
    port = free_port()
    command = serve.replace("--port 8000", f"--port {port}").replace("--workers 4", "--workers 2")
    command = command.replace("--host 0.0.0.0", "--host 127.0.0.1")
    log = tmp_path / "serve.log"
    environment = {**os.environ, "PYTHONPATH": ""}
    with open(log, "w") as sink:
        server = subprocess.Popen(
            ["bash", "-c", f"set -a; . {tmp_path}/etc/intragraph/env; set +a; exec {command}"],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=environment,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base, log, 30)
        token = token_for(base, uid[1], secret[1])
        proxied = {"Authorization": f"Bearer {token}", "X-Forwarded-Proto": "https"}
        graph = requests.get(f"{base}/v2/projects_users/graph", headers=proxied, timeout=5)
        assert graph.status_code == 200 and set(graph.json()) == {str(m) for m in range(1, 13)}
        page = requests.get(f"{base}/v2/projects_users?per_page=1", headers=proxied, timeout=5)
        assert page.status_code == 200 and page.headers["Link"].startswith(
            f"<https://127.0.0.1:{port}/"
        )
    finally:
        server.terminate()
        server.wait(15)
    assert "2 worker(s)" in log.read_text()
    # the guide's own intragraph ran, from the virtualenv it made, not the test's
    assert command.startswith(f"{tmp_path}/opt/intragraph/bin/intragraph serve ")
