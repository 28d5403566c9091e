"""The `intragraph` command: demo, database selection, and serve as a real process."""

from __future__ import annotations

import datetime as dt
import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from intragraph.cli import main
from intragraph.store import open_store


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def _fingerprint(db: Path) -> list[tuple[object, ...]]:
    store = open_store(str(db))
    try:
        return store.fetch(
            "SELECT count(*), sum(hash(id, project_id, user_id, status, final_mark, created_at,"
            " updated_at, retriable_at, marked_at, occurrence)) FROM projects_users",
            [],
        )
    finally:
        store.close()


def test_demo_is_deterministic_and_refuses_to_overwrite(tmp_path: Path) -> None:
    first, second = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    args = ["demo", "--rows", "5000", "--seed", "7", "--until", "2026-11-01"]
    assert _invoke(*args, "--database", str(first))[:2] == (
        0,
        f"5000 projects_users written to {first}\n",
    )
    assert _invoke(*args, "--database", str(second))[0] == 0
    assert _fingerprint(first) == _fingerprint(second)
    assert _fingerprint(first)[0][0] == 5000

    code, _, err = _invoke(*args, "--database", str(first))
    assert code == 1
    assert err.splitlines()[-1] == (
        f"Error: {first} already holds 5000 projects_users; add --replace to discard them, "
        "or choose another --database"
    )
    assert _invoke("demo", "--rows", "300", "--if-empty", "--database", str(first))[:2] == (
        0,
        f"{first} already holds 5000 projects_users: kept\n",
    )
    assert _invoke("demo", "--rows", "300", "--replace", "--database", str(first))[0] == 0
    assert _fingerprint(first)[0][0] == 300


def test_database_from_the_environment(tmp_path: Path) -> None:
    db = tmp_path / "env.duckdb"
    result = CliRunner().invoke(
        main, ["demo", "--rows", "10"], env={"INTRAGRAPH_DATABASE_URL": f"duckdb://{db}"}
    )
    assert result.exit_code == 0, result.output
    assert _fingerprint(db)[0][0] == 10


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "postgresql://user:secret@db/intra",
            "Error: database postgresql://...: the PostgreSQL engine is not available yet; "
            "use a DuckDB file path or duckdb:///path",
        ),
        (
            "mysql://user:secret@db/intra",
            "Error: database scheme 'mysql' is not supported; use a DuckDB file path or "
            "duckdb:///path",
        ),
    ],
)
def test_other_database_schemes_are_clear_errors(url: str, message: str) -> None:
    code, _, err = _invoke("demo", "--rows", "10", "--database", url)
    assert code == 1
    assert err.splitlines()[-1] == message
    assert "secret" not in err


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_serve_answers_over_http(tmp_path: Path) -> None:
    db = tmp_path / "serve.duckdb"
    assert _invoke("demo", "--rows", "2000", "--database", str(db))[0] == 0
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "intragraph", "serve", "--port", str(port), "--database", str(db)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/v2/projects_users/graph/on/created_at/by/year"
        for _ in range(100):
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    answer = json.load(response)
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("intragraph serve did not answer within 10 s")
        assert sum(answer.values()) == 2000
        years = [int(key[:4]) for key in answer]
        assert years == list(range(years[0], years[0] + len(years)))
        assert years[-1] == dt.datetime.now(dt.UTC).year
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json") as response:
            paths = json.load(response)["paths"]
        assert "/v2/users/{key}/projects_users/graph/on/{field}/by/{interval}" in paths
    finally:
        server.terminate()
        server.wait(10)
