"""`bash scripts/demo`, the README's first command, as a new user runs it: with `--port`, the curl
lines it prints name that port, and its demo application is not held to 2 requests a second."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

import requests

from intragraph.ports import free_port
from tests.conftest import token_for, wait_for

ROOT = Path(__file__).parent.parent


def test_scripts_demo_prints_the_port_it_serves_on(tmp_path: Path) -> None:
    port = free_port()
    environment = {
        **os.environ,
        "INTRAGRAPH_DATABASE_URL": str(tmp_path / "demo.duckdb"),
        "INTRAGRAPH_DEMO_ROWS": "2000",
    }
    log = tmp_path / "demo.log"
    with open(log, "w") as sink:
        process = subprocess.Popen(
            ["bash", str(ROOT / "scripts" / "demo"), "--port", str(port)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=environment,
            start_new_session=True,
        )
    try:
        wait_for(f"http://127.0.0.1:{port}", log, 120)
        printed = log.read_text()
        urls = re.findall(r"http://[\w.]+:(\d+)/", printed)
        assert urls and set(urls) == {str(port)}, printed
        uid = re.search(r"uid:\s+(\S+)", printed)
        secret = re.search(r"secret:\s+(\S+)", printed)
        assert uid and secret
        token = token_for(f"http://127.0.0.1:{port}", uid[1], secret[1])
        answers = [
            requests.get(
                f"http://127.0.0.1:{port}/v2/users/jdoe/projects_users/graph",
                headers={"Authorization": f"Bearer {token}"},
                timeout=5,
            )
            for _ in range(6)  # the README's examples, pasted one after another
        ]
        assert [answer.status_code for answer in answers] == [200] * 6
        assert answers[0].headers["X-Secondly-RateLimit-Limit"] == "20"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(15)
