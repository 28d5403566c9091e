"""The `intragraph` command: demo, database selection, and serve as a real process."""

from __future__ import annotations

import datetime as dt
import json
import socket
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from intragraph.cli import main
from intragraph.resources import RESOURCES
from intragraph.store import open_store
from tests.conftest import postgres_or_skip

NAMES = ", ".join(RESOURCES)  # as the declarations list them


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


def test_demo_until_before_jdoe_s_last_row_is_refused(tmp_path: Path) -> None:
    """Before 2016 it was a traceback (ValueError: low >= high); up to 2024-11-15 the demo wrote
    jdoe's rows after its --until all the same."""
    db = tmp_path / "early.duckdb"
    code, _, err = _invoke("demo", "--rows", "100", "--until", "2024-11-15", "--database", str(db))
    assert code == 2
    assert err.splitlines()[-1] == (
        "Error: Invalid value for '--until': 2024-11-15 is before 2024-11-16: every demo holds "
        "jdoe's ten projects_users, the last made on 2024-11-15"
    )
    assert _invoke("demo", "--rows", "100", "--until", "2024-11-16", "--database", str(db))[0] == 0
    latest = open_store(str(db))
    try:
        assert latest.fetch("SELECT max(created_at) FROM projects_users", []) == [
            (dt.datetime(2024, 11, 15, 8),)
        ]
    finally:
        latest.close()


def test_a_duckdb_file_that_cannot_be_opened_says_why(tmp_path: Path) -> None:
    """The hint to stop the other process only when another process holds the file."""
    folderless = tmp_path / "no" / "x.duckdb"
    code, _, err = _invoke("graph", "--database", str(folderless))
    assert code == 1 and err.startswith(f"Error: database {folderless} cannot be opened: ")
    assert "No such file or directory" in err and "stop the other" not in err
    held = tmp_path / "held.duckdb"
    store = open_store(str(held))  # this process holds it: a command is another process
    try:
        run = [sys.executable, "-m", "intragraph", "graph", "--database", str(held)]
        other = subprocess.run(run, capture_output=True, text=True, timeout=60)
    finally:
        store.close()
    assert other.returncode == 1 and "Could not set lock" in other.stderr
    assert other.stderr.rstrip().endswith(
        "DuckDB lets one process write a file at a time: stop the other intragraph process "
        "(a running `serve`?) first"
    )


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
            "postgresql://user:secret@127.0.0.1:1/intra",
            "Error: database postgresql://user:***@127.0.0.1:1/intra does not answer within "
            "1 s: is PostgreSQL running there, and may this user connect?",
        ),
        (
            "mysql://user:secret@db/intra",
            "Error: database scheme 'mysql' is not supported; use a DuckDB file path, "
            "duckdb:///path or postgresql://user@host/database",
        ),
    ],
)
def test_database_errors_are_clear_and_keep_the_password(url: str, message: str) -> None:
    result = CliRunner().invoke(
        main, ["demo", "--rows", "10", "--database", url], env={"INTRAGRAPH_POOL_TIMEOUT": "1"}
    )
    code, err = result.exit_code, result.stderr
    assert code == 1
    assert err.splitlines()[-1] == message
    assert "secret" not in err


def test_apps_commands(tmp_path: Path) -> None:
    db = str(tmp_path / "apps.duckdb")
    code, out, _ = _invoke("apps", "create", "dash", "--json", "--database", db)
    made = json.loads(out)
    assert code == 0 and set(made) == {"name", "uid", "secret", "scopes", "secret_valid_until"}
    code, out, _ = _invoke("apps", "create", "dash", "--database", db)
    assert code == 1
    code, out, _ = _invoke(
        "apps",
        "create",
        "other",
        "--scope",
        "public",
        "--scope",
        "forum",
        "--rate-limit",
        "5/second",
        "--rate-limit",
        "100/hour",
        "--database",
        db,
    )
    assert code == 0 and "Bearer $TOKEN" in out and "  scopes: public forum" in out
    code, out, _ = _invoke("apps", "list", "--json", "--database", db)
    listed = json.loads(out)
    assert [(a["name"], a["scopes"], a["rate_limits"]) for a in listed] == [
        ("dash", "public", "2/second 1200/hour"),
        ("other", "public forum", "5/second 100/hour"),
    ]
    assert made["secret"] not in out
    code, out, _ = _invoke("apps", "rotate-secret", "dash", "--json", "--database", db)
    rotated = json.loads(out)
    assert rotated["uid"] == made["uid"] and rotated["secret"] != made["secret"]
    assert _invoke("apps", "revoke", "dash", "--database", db)[:2] == (
        0,
        "application dash revoked\n",
    )
    code, out, _ = _invoke("apps", "list", "--database", db)
    assert out.splitlines()[0].endswith("revoked")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["apps", "create", "x", "--rate-limit", "2/fortnight"],
            "Error: rate limit '2/fortnight' is not valid: write N/second, N/minute, N/hour or "
            "N/day",
        ),
        (
            ["apps", "create", "x", "--rate-limit", "2/second", "--rate-limit", "3/second"],
            "Error: rate limits 2/second 3/second: give at most one per window",
        ),
        (["apps", "revoke", "ghost"], "Error: no application named 'ghost'"),
        (["apps", "rotate-secret", "ghost"], "Error: no application named 'ghost'"),
    ],
)
def test_apps_errors(tmp_path: Path, args: list[str], message: str) -> None:
    code, _, err = _invoke(*args, "--database", str(tmp_path / "e.duckdb"))
    assert code == 1 and err.splitlines()[-1] == message


def test_the_database_option_before_the_subcommand(tmp_path: Path) -> None:
    db = tmp_path / "before.duckdb"
    records = tmp_path / "one.json"
    records.write_text(
        '[{"id": 1, "project_id": 2, "user_id": 3, "status": "finished",'
        ' "created_at": "2024-01-01T00:00:00.000Z", "updated_at": "2024-01-01T00:00:00.000Z"}]'
    )
    code, out, _ = _invoke("--database", str(db), "import", "projects_users", str(records))
    assert code == 0 and out.startswith("projects_users: 1 inserted")
    # the subcommand's own option wins over the one before it
    other = tmp_path / "other.duckdb"
    assert _invoke("--database", str(db), "demo", "--rows", "10", "--database", str(other))[0] == 0
    assert _fingerprint(other)[0][0] == 10 and _fingerprint(db)[0][0] == 1


def test_an_empty_file_is_said_to_hold_no_record(tmp_path: Path) -> None:
    empty = tmp_path / "empty.json"
    empty.write_text("[]")
    code, out, err = _invoke(
        "import", "projects_users", str(empty), "--database", str(tmp_path / "e.duckdb")
    )
    assert code == 0 and out.startswith("projects_users: 0 inserted")
    assert f"{empty}: held no record (an empty file, or an empty array)" in err


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (
            ["created_at", "month"],
            "Error: 'created_at month' is not `[RESOURCE] [on FIELD] [by INTERVAL]` "
            f"(resources: {NAMES}): did you mean "
            "`intragraph graph on created_at by month`?",
        ),
        (
            ["by"],
            f"Error: 'by' is not `[RESOURCE] [on FIELD] [by INTERVAL]` (resources: {NAMES})",
        ),
        (["on", "created_at", "on", "updated_at"], "Error: 'on' is given twice"),
    ],
)
def test_graph_words_say_what_was_wrong(tmp_path: Path, words: list[str], message: str) -> None:
    db = tmp_path / "never.duckdb"
    code, _, err = _invoke("graph", *words, "--database", str(db))
    assert code == 2 and err.splitlines()[-1] == message
    assert not db.exists()  # refused before the database is opened


def test_serve_on_a_taken_port_fails_first(tmp_path: Path) -> None:
    db = tmp_path / "never.duckdb"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = _invoke("serve", "--port", str(port), "--database", str(db))
    assert code == 1 and out == ""
    assert err.splitlines()[-1].startswith(f"Error: cannot listen on 127.0.0.1:{port}: ")
    assert not db.exists()


def test_a_missing_postgresql_database_is_named(tmp_path: Path) -> None:
    base = postgres_or_skip()
    url = base.rsplit("/", 1)[0] + "/intragraph_no_such_database"
    code, _, err = _invoke("db", "version", "--database", url)
    assert code == 1
    assert err.splitlines()[-1] == (
        f'Error: database {url}: database "intragraph_no_such_database" does not exist'
    )


def test_a_rate_limit_too_large_says_so(tmp_path: Path) -> None:
    code, _, err = _invoke(
        "apps", "create", "x", "--rate-limit", "1000000000/hour", "--database", str(tmp_path / "r")
    )
    assert code == 1 and err.splitlines()[-1] == (
        "Error: rate limit '1000000000/hour' is too large: N can be at most 999,999,999 a window"
    )


def test_each_command_is_imported_when_it_is_named() -> None:
    """`import intragraph.cli` (every command's start, and each import worker's, which Python
    starts by importing the `intragraph` script again) loads no command's module: no web app,
    no database driver."""
    code = (
        "import sys, intragraph.cli; print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('fastapi', 'uvicorn', 'redis', 'duckdb', 'psycopg') or m.startswith('intragraph.cli.')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "['intragraph.cli.common']"
    context = click.Context(main)
    listed = main.list_commands(context)
    assert listed == ["apps", "db", "demo", "graph", "import", "serve", "sync"]
    commands = [main.get_command(context, name) for name in listed]
    assert [command.name if command else None for command in commands] == listed
    assert _invoke("nosuch")[0] == 2
