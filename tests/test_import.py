"""`intragraph import`: the 42 JSON shapes, upserts by id, newer wins, one transaction."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from intragraph.cli import main
from intragraph.ingest import jsonstream, load, workers
from intragraph.store import open_store, writes


def projects_user(
    id_: int, updated: str = "2024-01-12T14:03:22.000Z", **extra: Any
) -> dict[str, Any]:
    """A projects_users object as the real list endpoint returns it, with keys we ignore."""
    return {
        "id": id_,
        "occurrence": 0,
        "final_mark": 100,
        "status": "finished",
        "validated?": True,
        "current_team_id": 5412345,
        "project": {"id": 1314, "name": "Libft", "slug": "42cursus-libft", "parent_id": None},
        "cursus_ids": [21],
        "marked_at": "2024-01-12T14:03:21.000Z",
        "marked": True,
        "retriable_at": "2024-01-13T14:03:21.000Z",
        "created_at": "2023-12-20T09:12:44.000Z",
        "updated_at": updated,
        "user": {
            "id": 123456,
            "login": "jdoe",
            "url": "https://api.intra.42.fr/v2/users/jdoe",
            "email": "jdoe@student.42.fr",
            "staff?": False,
        },
        "teams": [{"id": 1, "users": [{"id": 123456}]}],
        **extra,
    }


CREATED = dt.datetime(2023, 12, 20, 9, 12, 44)  # stored as naive UTC, to the microsecond
RETRIABLE = dt.datetime(2024, 1, 13, 14, 3, 21)


def _run(db: str, *args: str, input: str | None = None) -> tuple[int, str]:
    """Exit code and standard output; standard error when the command failed."""
    result = CliRunner().invoke(main, [*args, "--database", db], input=input)
    return result.exit_code, result.stderr if result.exit_code else result.stdout


def _write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def _rows(db: str, sql: str) -> list[tuple[Any, ...]]:
    store = open_store(db)
    try:
        return store.fetch(sql, [])
    finally:
        store.close()


def test_array_then_same_file_again_changes_nothing(tmp_path: Path, database_url: str) -> None:
    db = database_url
    page = _write(tmp_path / "page.json", json.dumps([projects_user(1), projects_user(2)]))
    assert _run(db, "import", "projects_users", page) == (
        0,
        "projects_users: 2 inserted, 0 updated, 0 unchanged\n"
        "projects: 1 inserted, 0 updated, 0 unchanged\n"
        "users: 1 inserted, 0 updated, 0 unchanged\n",
    )
    code, output = _run(db, "import", "projects_users", page)
    assert code == 0 and output.startswith("projects_users: 0 inserted, 0 updated, 2 unchanged\n")
    assert _rows(
        db,
        "SELECT id, project_id, user_id, status, created_at, retriable_at, marked_at "
        "FROM projects_users ORDER BY id",
    ) == [
        (1, 1314, 123456, "finished", CREATED, RETRIABLE, dt.datetime(2024, 1, 12, 14, 3, 21)),
        (2, 1314, 123456, "finished", CREATED, RETRIABLE, dt.datetime(2024, 1, 12, 14, 3, 21)),
    ]
    assert _rows(db, "SELECT * FROM projects") == [(1314, "Libft", "42cursus-libft")]
    assert _rows(db, "SELECT id, login FROM users") == [(123456, "jdoe")]


def test_newer_updated_at_wins_in_any_order(tmp_path: Path, database_url: str) -> None:
    db = database_url
    old = projects_user(1, "2024-01-12T14:03:22.000Z", final_mark=80)
    new = projects_user(1, "2024-02-01T10:00:00.000Z", final_mark=125)
    both = _write(tmp_path / "both.ndjson", f"{json.dumps(new)}\n{json.dumps(old)}\n")
    assert _run(db, "import", "projects_users", both)[1].startswith(
        "projects_users: 1 inserted, 0 updated, 1 unchanged"
    )
    older = _write(tmp_path / "old.json", json.dumps([old]))
    assert _run(db, "import", "projects_users", older)[1].startswith(
        "projects_users: 0 inserted, 0 updated, 1 unchanged"
    )
    newest = _write(
        tmp_path / "new.json", json.dumps([projects_user(1, "2024-03-01T00:00:00Z", final_mark=0)])
    )
    assert _run(db, "import", "projects_users", newest)[1].startswith(
        "projects_users: 0 inserted, 1 updated, 0 unchanged"
    )
    assert _rows(db, "SELECT id, final_mark FROM projects_users") == [(1, 0)]


def test_a_merge_skips_the_window_only_when_every_id_is_another(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows whose ids are all different are merged without ranking each id's copies (the
    window); one id twice, in one batch or two, is ranked and its newer copy kept."""
    merged: list[tuple[str, bool]] = []
    merge = writes.merge

    def spied(writer: Any, table: Any, distinct: bool = False) -> Any:
        merged.append((table.name, distinct))
        return merge(writer, table, distinct)

    monkeypatch.setattr(writes, "merge", spied)
    monkeypatch.setattr(load, "_BATCH", 2)
    new, old = "2024-02-01T10:00:00.000Z", "2024-01-12T14:03:22.000Z"
    twice = [projects_user(1, new, final_mark=125), projects_user(2), projects_user(1, old)]
    for name, records, distinct in (
        ("distinct.json", [projects_user(3), projects_user(4), projects_user(5)], True),
        ("twice.json", twice, False),
    ):
        merged.clear()
        path = _write(tmp_path / name, json.dumps(records))
        assert _run(database_url, "import", "projects_users", path)[0] == 0
        assert merged[0] == ("projects_users", distinct)
        assert {table: flag for table, flag in merged[1:]} == {"projects": True, "users": True}
    rows = "SELECT id, final_mark FROM projects_users ORDER BY id"
    assert _rows(database_url, rows)[:2] == [(1, 125), (2, 100)]


def test_concatenated_pages_and_stdin(tmp_path: Path, database_url: str) -> None:
    db = database_url
    pages = json.dumps([projects_user(1)]) + json.dumps([projects_user(2), projects_user(3)])
    code, output = _run(db, "import", "projects_users", "-", input=pages)
    assert code == 0 and output.startswith("projects_users: 3 inserted, 0 updated, 0 unchanged")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" + json.dumps(projects_user(1)) + ", ", "record 2: the file ends inside an array"),
        (
            "[" + json.dumps(projects_user(1)) + " {}]",
            "record 2: expected ',' or ']' but found '{'",
        ),
        ("[1]", "record 1: expected an object, not int"),
        (
            json.dumps([projects_user(1), projects_user(2, status=3)]),
            "record 2: 'status' must be a string, not 3",
        ),
        (
            json.dumps([projects_user(1, created_at="yesterday")]),
            "record 1: 'created_at' is not an ISO 8601 timestamp: 'yesterday'",
        ),
        (
            json.dumps([{k: v for k, v in projects_user(1).items() if k != "id"}]),
            "record 1: 'id' is missing",
        ),
        (json.dumps([projects_user(1, user={"login": "x"})]), "record 1: 'id' is missing"),
        (json.dumps([projects_user(True)]), "record 1: 'id' must be an integer, not True"),
        (
            json.dumps([projects_user(1, user={"id": 2, "login": "a\x00b"})]),
            "record 1: 'login' holds a NUL character: 'a\\x00b'",
        ),
        (
            json.dumps([projects_user(1), projects_user(2, final_mark=2**63)]),
            "record 2: 'final_mark' is out of range: 9223372036854775808",
        ),
        (json.dumps(projects_user(1)) + '\n{"id": ', "record 2: invalid JSON: Expecting value"),
        ("[" * 100_000 + "]" * 100_000, "record 1: invalid JSON: nested too deeply"),
        ("[" * 100_000, "record 1: invalid JSON: nested too deeply"),
        (
            json.dumps([projects_user(1)]) + "[" + json.dumps(projects_user(2)) + ", ",
            "record 3: the file ends inside an array",
        ),
        # the first bad record is named, and in it the first bad key, though timestamps are
        # read a whole column at a time and other keys one record at a time
        (
            json.dumps(
                [
                    projects_user(1),
                    projects_user(2, created_at="yesterday"),
                    projects_user(3, status=3),
                ]
            ),
            "record 2: 'created_at' is not an ISO 8601 timestamp: 'yesterday'",
        ),
        (
            json.dumps(
                [projects_user(1, marked_at="soon"), projects_user(2, created_at="yesterday")]
            ),
            "record 1: 'marked_at' is not an ISO 8601 timestamp: 'soon'",
        ),
        (
            json.dumps([projects_user(1, marked_at="soon", created_at="yesterday")]),
            "record 1: 'created_at' is not an ISO 8601 timestamp: 'yesterday'",
        ),
        # ISO's year 0000 (1 BC to PostgreSQL, none to Python), in the API's form or another
        (
            json.dumps([projects_user(1), projects_user(2, created_at="0000-06-01T00:00:00.000Z")]),
            "record 2: 'created_at' is not within the years 1 to 9999 in UTC: "
            "'0000-06-01T00:00:00.000Z'",
        ),
        (
            json.dumps([projects_user(1, marked_at="0001-01-01T00:00:00+01:00")]),
            "record 1: 'marked_at' is not within the years 1 to 9999 in UTC: "
            "'0001-01-01T00:00:00+01:00'",
        ),
    ],
)
def test_a_malformed_record_stops_and_keeps_nothing(
    tmp_path: Path, database_url: str, text: str, message: str
) -> None:
    db = database_url
    good = _write(tmp_path / "good.json", json.dumps([projects_user(10)]))
    bad = _write(tmp_path / "bad.json", text)
    code, output = _run(db, "import", "projects_users", good, bad)
    assert code == 1
    assert output.splitlines()[-1] == f"Error: {bad}: {message}"
    assert _rows(db, "SELECT count(*) FROM projects_users") == [(0,)]
    assert _rows(db, "SELECT count(*) FROM projects") == [(0,)]


def test_memberships(tmp_path: Path, database_url: str) -> None:
    db = database_url
    campus = _write(
        tmp_path / "c.json",
        json.dumps(
            [
                {
                    "id": 1,
                    "user_id": 7,
                    "campus_id": 1,
                    "is_primary": True,
                    "created_at": "2020-01-01T00:00:00.000Z",
                    "updated_at": "2020-01-01T00:00:00.000Z",
                },
            ]
        ),
    )
    cursus = _write(
        tmp_path / "k.json",
        json.dumps(
            [
                {
                    "id": 5,
                    "begin_at": "2020-01-01T08:00:00.000Z",
                    "end_at": None,
                    "grade": None,
                    "level": 3.5,
                    "cursus_id": 21,
                    "skills": [],
                    "user": {"id": 7, "login": "neo"},
                    "cursus": {"id": 21, "name": "42cursus"},
                },
            ]
        ),
    )
    assert _run(db, "import", "campus_users", campus)[1].startswith(
        "campus_users: 1 inserted, 0 updated, 0 unchanged"
    )
    assert _run(db, "import", "cursus_users", cursus)[1].startswith(
        "cursus_users: 1 inserted, 0 updated, 0 unchanged"
    )
    assert _rows(db, "SELECT user_id, campus_id, is_primary FROM campus_users") == [(7, 1, True)]
    assert _rows(db, "SELECT user_id, cursus_id, level FROM cursus_users") == [(7, 21, 3.5)]
    assert _rows(db, "SELECT id, login FROM users") == [(7, "neo")]
    changed = _write(
        tmp_path / "k2.json",
        json.dumps(
            [
                {
                    "id": 5,
                    "begin_at": "2020-01-01T08:00:00.000Z",
                    "level": 4.0,
                    "cursus_id": 21,
                    "user": {"id": 7, "login": "neo"},
                },
            ]
        ),
    )  # no updated_at at all: a changed row replaces the stored one
    assert _run(db, "import", "cursus_users", changed)[1].startswith(
        "cursus_users: 0 inserted, 1 updated, 0 unchanged"
    )


_PAGE = json.dumps([projects_user(1)]).encode()
_LATIN_1 = json.dumps(projects_user(2, user={"id": 5, "login": "_"})).encode()
_LATIN_1 = _LATIN_1.replace(b'"login": "_"', b'"login": "\xe9t\xe9"')  # "été" in Latin-1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            _PAGE[:-1] + b", " + _LATIN_1 + b"]",
            "record 2: 'login' is not UTF-8 text: '\\udce9t\\udce9'",
        ),
        (_PAGE[:-1] + b", \xff]", "record 2: invalid JSON: byte 0xff is not UTF-8 text"),
        (
            gzip.compress(_PAGE),
            "record 1: the file is gzip-compressed: decompress it first "
            "(zcat it | intragraph import ...)",
        ),
    ],
)
def test_bytes_that_are_no_utf8_are_named_with_their_record(
    tmp_path: Path, database_url: str, data: bytes, message: str
) -> None:
    """Not the UnicodeDecodeError they were, a chunk (1 MiB) ahead of their record."""
    bad = tmp_path / "bad.json"
    bad.write_bytes(data)
    code, output = _run(database_url, "import", "projects_users", str(bad))
    assert (code, output.splitlines()[-1]) == (1, f"Error: {bad}: {message}")
    assert _rows(database_url, "SELECT count(*) FROM projects_users") == [(0,)]


def test_a_byte_order_mark_first_is_dropped_and_a_key_not_read_is_not_judged(
    tmp_path: Path, database_url: str
) -> None:
    """Windows' tools write a BOM first; a byte that is no UTF-8 in a key the import ignores
    is ignored with it."""
    ignored = json.dumps(projects_user(2, cursus_ids="_")).encode().replace(b'"_"', b'"\xff"')
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + _PAGE[:-1] + b", " + ignored + b"]")
    assert _run(database_url, "import", "projects_users", str(path))[0] == 0
    assert _rows(database_url, "SELECT id FROM projects_users ORDER BY id") == [(1,), (2,)]


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    code, output = _run(str(tmp_path / "x.duckdb"), "import", "projects_users", "nope.json")
    assert code == 2 and "Invalid value for FILES: nope.json: no such file" in output


def test_an_impossible_date_names_its_record(tmp_path: Path, database_url: str) -> None:
    page = [projects_user(1), projects_user(2), projects_user(3, marked_at="2024-02-30T10:00:00Z")]
    bad = _write(tmp_path / "feb.json", json.dumps(page))
    code, output = _run(database_url, "import", "projects_users", bad)
    assert code == 1
    assert output.splitlines()[-1] == (
        f"Error: {bad}: record 3: 'marked_at' is not an ISO 8601 timestamp: '2024-02-30T10:00:00Z'"
    )


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("2024-01-12T14:03:21.000Z", dt.datetime(2024, 1, 12, 14, 3, 21)),
        ("2024-01-12T15:03:21.250+01:00", dt.datetime(2024, 1, 12, 14, 3, 21, 250000)),
        ("2024-01-12T14:03:21", dt.datetime(2024, 1, 12, 14, 3, 21)),
        ("2024-01-12 14:03:21.123456Z", dt.datetime(2024, 1, 12, 14, 3, 21, 123456)),
        ("0001-01-01T00:00:00.000Z", dt.datetime(1, 1, 1)),  # Go's zero time: the first instant
    ],
)
def test_timestamp_forms(tmp_path: Path, database_url: str, given: str, stored: object) -> None:
    page = _write(tmp_path / "t.json", json.dumps([projects_user(1, marked_at=given)]))
    assert _run(database_url, "import", "projects_users", page)[0] == 0
    assert _rows(database_url, "SELECT marked_at FROM projects_users") == [(stored,)]


def test_awkward_text_survives_the_bulk_path(tmp_path: Path, database_url: str) -> None:
    awkward = 'a,b "quoted"\nnew line\t\\ é'
    record = projects_user(
        1, project={"id": 7, "name": awkward, "slug": ""}, user={"id": 8, "login": None}
    )
    page = _write(tmp_path / "awkward.json", json.dumps([record]))
    assert _run(database_url, "import", "projects_users", page)[0] == 0
    assert _rows(database_url, "SELECT id, name, slug FROM projects") == [(7, awkward, "")]
    assert _rows(database_url, "SELECT id, login FROM users") == [(8, None)]


def _me(**extra: Any) -> dict[str, Any]:
    """A saved `/v2/me`: its nested arrays carry no user, the parent is the user."""
    nested = projects_user(7)
    del nested["user"]
    return {
        "id": 123456,
        "login": "jdoe",
        "email": "jdoe@student.42.fr",
        "projects_users": [nested],
        "campus_users": [{"id": 9, "campus_id": 1, "is_primary": True}],
        "cursus_users": [
            {
                "id": 11,
                "begin_at": "2023-10-02T08:00:00.000Z",
                "end_at": None,
                "grade": "Learner",
                "level": 4.2,
                "cursus_id": 21,
                "cursus": {"id": 21, "name": "42cursus"},
            }
        ],
        **extra,
    }


def test_a_saved_user_object_imports_with_its_nested_records(
    tmp_path: Path, database_url: str
) -> None:
    path = _write(tmp_path / "me.json", json.dumps(_me()))
    code, out = _run(database_url, "import", "users", path)
    assert code == 0, out
    assert out.splitlines() == [
        "users: 1 inserted, 0 updated, 0 unchanged",
        "projects_users: 1 inserted, 0 updated, 0 unchanged",
        "projects: 1 inserted, 0 updated, 0 unchanged",
        "campus_users: 1 inserted, 0 updated, 0 unchanged",
        "cursus_users: 1 inserted, 0 updated, 0 unchanged",
        "cursus: 1 inserted, 0 updated, 0 unchanged",
    ]
    store = open_store(database_url)
    try:
        assert store.fetch("SELECT id, user_id, project_id FROM projects_users", []) == [
            (7, 123456, 1314)
        ]
        assert store.fetch("SELECT user_id, campus_id FROM campus_users", []) == [(123456, 1)]
        assert store.fetch("SELECT user_id, cursus_id FROM cursus_users", []) == [(123456, 21)]
        assert store.fetch("SELECT id, login FROM users", []) == [(123456, "jdoe")]
    finally:
        store.close()


@pytest.mark.parametrize(
    ("kind", "content", "message"),
    [
        (
            "projects_users",
            json.dumps(_me()),
            "record 1: this is a user object: use `intragraph import users`",
        ),
        (
            "projects_users",
            json.dumps(_me()["projects_users"]),
            "record 1: 'user_id' is missing",  # a nested array saved alone has lost its parent
        ),
        (
            "users",
            json.dumps([projects_user(1)]),
            "record 1: this is one of projects_users: use `intragraph import projects_users`",
        ),
        (
            "users",
            json.dumps(
                _me(
                    projects_users=[
                        {k: v for k, v in projects_user(7).items() if k != "created_at"}
                    ]
                )
            ),
            "record 1: projects_users[0]: 'created_at' is missing",
        ),
    ],
)
def test_a_file_of_another_kind_is_named(
    tmp_path: Path, kind: str, content: str, message: str
) -> None:
    path = _write(tmp_path / "f.json", content)
    code, err = _run(str(tmp_path / "k.duckdb"), "import", kind, path)
    assert code == 1
    assert err.splitlines()[-1] == f"Error: {path}: {message}"


def _pages(count: int, odd: dict[int, dict[str, Any]] | None = None) -> str:
    """`count` projects_users in pages of 100, ids repeating (a later copy, newer, wins), some
    values null; `odd` changes the records at those positions (1-based)."""
    page, text = [], ""
    for position in range(1, count + 1):
        moment = dt.datetime(2020, 1, 1) + dt.timedelta(hours=position * 7)
        record = projects_user(
            position % (count - 50) + 1,
            updated=moment.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            created_at=(moment - dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            marked_at=None if position % 3 else "2021-05-06T07:08:09.000Z",
            final_mark=None if position % 5 == 0 else position % 101,
            project={"id": position % 13, "name": f"p{position % 13}", "slug": "s"},
            user={"id": position % 17, "login": f"u{position % 17}"},
        )
        page.append(record | (odd or {}).get(position, {}))
        if len(page) == 100:
            text, page = text + json.dumps(page) + "\n" * (position % 2), []
    return text + (json.dumps(page) if page else "")


_EVERY_ROW = (
    "SELECT p.*, j.name, u.login FROM projects_users AS p JOIN projects AS j "
    "ON j.id = p.project_id JOIN users AS u ON u.id = p.user_id ORDER BY p.id"
)


def _counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The records of each piece the worker processes read, as they are read."""
    read: list[int] = []

    class Counted(workers.Pieces):
        def __iter__(self) -> Iterator[workers.Decoded]:
            for decoded in super().__iter__():
                read.append(decoded.count)
                yield decoded

    monkeypatch.setattr(load, "Pieces", Counted)
    return read


def _both_ways(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch, text: str
) -> tuple[tuple[int, str], tuple[int, str], list[int]]:
    """The import of `text` in pieces of 128 KiB (a page is some 70) through worker processes
    into `database_url`, and with none into a DuckDB file of its own: (exit code, output) of
    each, and the records of each piece the workers read."""
    path = _write(tmp_path / "pages.json", text)
    monkeypatch.setattr(workers, "PIECE", 1 << 17)
    monkeypatch.setattr(workers, "_TAIL", 1 << 10)  # the search for a page's end widens
    monkeypatch.setattr(workers, "WORKERS", 1)
    alone = str(tmp_path / "alone.duckdb")
    here = _run(alone, "import", "projects_users", path)
    read = _counted(monkeypatch)
    monkeypatch.setattr(workers, "WORKERS", 2)
    return _run(database_url, "import", "projects_users", path), here, read


def test_worker_processes_read_a_large_file_as_this_one_would(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = _pages(1000)
    by_workers, here, read = _both_ways(tmp_path, database_url, monkeypatch, text)
    assert by_workers == here and here[0] == 0
    assert "projects_users: 950 inserted, 0 updated, 50 unchanged" in here[1].splitlines()
    assert len(read) >= 4 and sum(read) == 1000  # every piece, the last one too
    alone = str(tmp_path / "alone.duckdb")
    assert _rows(database_url, _EVERY_ROW) == _rows(alone, _EVERY_ROW)
    assert len(_rows(database_url, _EVERY_ROW)) == 950


def test_worker_processes_read_standard_input_as_they_read_a_file(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file is cut where it lies and each worker reads its own span of it; standard input is
    read here and its pieces sent to the workers: the same rows either way."""
    text = _pages(1000)
    by_file, _, read = _both_ways(tmp_path, database_url, monkeypatch, text)
    assert len(read) >= 4 and sum(read) == 1000
    read[:] = []
    stdin = str(tmp_path / "stdin.duckdb")
    by_stdin = _run(stdin, "import", "projects_users", "-", input=text)
    assert by_stdin == by_file and by_file[0] == 0
    assert len(read) >= 4 and sum(read) == 1000  # pieces the workers read, whole
    assert _rows(stdin, _EVERY_ROW) == _rows(database_url, _EVERY_ROW)


def test_a_file_is_cut_in_spans_only_while_its_name_is_its_own(tmp_path: Path) -> None:
    """The workers open a span's file by name: not for standard input, nor once the name
    is another file's (the file is then read here as a stream)."""
    path = tmp_path / "pages.json"
    path.write_text(_pages(300))
    with open(path, "rb") as stream:
        assert workers._FileCuts.of(stream) is not None
        os.replace(_write(tmp_path / "other.json", "[]"), path)
        assert workers._FileCuts.of(stream) is None
    with open(os.open(path, os.O_RDONLY), "rb") as unnamed:
        assert workers._FileCuts.of(unnamed) is None  # named by its descriptor, like stdin
    found = os.stat(path)
    identity = (found.st_dev, found.st_ino)
    assert workers.Span(str(path), identity, 0, 2).read() == b"[]"
    assert workers.Span(str(path), identity, 1, 9).read() is None  # the file is shorter now
    assert workers.Span(str(path), (found.st_dev, found.st_ino + 1), 0, 2).read() is None


@pytest.mark.parametrize(
    ("odd", "reason"),
    [
        ({"status": 5}, "'status' must be a string, not 5"),
        ({"marked_at": "2024-02-30T10:00:00Z"}, "is not an ISO 8601 timestamp"),
    ],
)
def test_a_bad_record_that_workers_meet_is_named_as_this_process_names_it(
    tmp_path: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    odd: dict[str, Any],
    reason: str,
) -> None:
    text = _pages(1000, {777: odd})
    by_workers, here, read = _both_ways(tmp_path, database_url, monkeypatch, text)
    assert by_workers == here and here[0] == 1
    assert "record 777: " in here[1].splitlines()[-1] and reason in here[1]
    assert 0 < sum(read) < 777  # the pieces before it, from the workers
    assert _rows(database_url, "SELECT count(*) FROM projects_users") == [(0,)]


def test_a_file_whose_texts_hold_page_ends_is_read_whole(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every login holds "][": a piece cut there ends inside a text, and is read here."""
    odd = {n: {"user": {"id": 7000 + n, "login": f"a][b]\\n[{n}"}} for n in range(1, 1001)}
    by_workers, here, read = _both_ways(tmp_path, database_url, monkeypatch, _pages(1000, odd))
    assert by_workers == here and here[0] == 0
    assert sum(read) < 1000
    alone = str(tmp_path / "alone.duckdb")
    assert _rows(database_url, _EVERY_ROW) == _rows(alone, _EVERY_ROW)


def test_the_records_of_an_earlier_file_come_before_the_workers_pieces(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same id, the same updated_at, in a small file then in a large one: the later copy
    wins, as it does when both are read here."""
    same = "2024-06-01T00:00:00.000Z"
    first = _write(tmp_path / "first.json", json.dumps([projects_user(5000, same, status="a")]))
    text = _pages(1000, {500: {"id": 5000, "updated_at": same, "status": "b"}})
    path = _write(tmp_path / "pages.json", text)
    monkeypatch.setattr(workers, "PIECE", 1 << 17)
    monkeypatch.setattr(workers, "WORKERS", 2)
    assert _run(database_url, "import", "projects_users", first, path)[0] == 0
    kept = "SELECT status FROM projects_users WHERE id = 5000"
    assert _rows(database_url, kept) == [("b",)]


@pytest.mark.parametrize("tail", [1, 2, 3, 7, 64])
def test_a_piece_ends_where_its_last_page_does(monkeypatch: pytest.MonkeyPatch, tail: int) -> None:
    """The tail searched first, then twice as much, and so on: the same place as a search of
    the whole piece, for any window."""
    monkeypatch.setattr(workers, "_TAIL", tail)
    ends = {
        b"[1][2]": 2,
        b"[1]\n[2]  [": 2,
        b"[1]\r\n[2]": 2,
        b"[1][2]\n[3, 4, 5, 6, 7, 8, 9]": 5,
        b"[1]\r\n[2][3]\n[" + b"x" * 40: 10,
        b"[1, 2, 3, 4, 5, 6, 7, 8, 9]": -1,
        b"]": -1,
        b"": -1,
    }
    assert {data: workers._last_end(data) for data in ends} == ends


@pytest.mark.parametrize(
    "pages",
    [
        [[1, 2], [3]],
        [[1, 2], ["a]\n[b"], [3, "x][y"], ["][", "]\n[", "]\r\n["], [4]],
        [["[1]["], {"a": "]["}, [5]],  # an object between pages: not cut, read on exactly
        [[1], [2, "tail]["]],  # the last page holds a cut
    ],
)
@pytest.mark.parametrize("between", ["", "\n", "\r\n", " "])
def test_a_piece_is_cut_into_the_values_the_exact_reader_finds(
    pages: list[Any], between: str
) -> None:
    """`workers._pages` cuts where a page seems to end (inside texts too) and gives what
    `top_level_values` gives: every value, in order, and None for one `read` would not take."""
    data = between.join(json.dumps(page) for page in pages).encode()

    def read(value: bytes) -> Any:
        try:
            found = json.loads(value)
        except ValueError:  # not one whole value
            return None
        return None if found == [3, "x][y"] else found

    exact = [v for _, v in jsonstream.top_level_values(io.BytesIO(data), read, lambda _: None)]
    assert list(workers._pages(data, read)) == exact
    assert exact[-1] is None or len(exact) == len(pages)


# mostly plain records (so that workers read some pieces), now and then one of each oddity
_ODD = st.sampled_from(
    [{}] * 40
    + [
        {"status": 5},  # the exact reader says what is wrong
        {"marked_at": "2024-02-30T10:00:00Z"},  # a bad value, found a column at a time
        {"marked_at": "2024-01-12 14:03:21+01:00"},  # another form, read on its own
        {"user": {"id": 8, "login": "x][y]\n[z"}},  # page ends inside a text
        {"project": None, "project_id": 4},
    ]
)
_SEPARATORS = st.sampled_from(["", "", "", "\n", "\r\n", " ", "\n\n", ","])


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    pages=st.lists(
        st.tuples(
            st.lists(st.tuples(st.integers(1, 40), _ODD), min_size=1, max_size=8), _SEPARATORS
        ),
        min_size=1,
        max_size=20,
    ),
    single=st.booleans(),
)
def test_any_file_reads_the_same_with_worker_processes(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    pages: list[tuple[list[tuple[int, dict[str, Any]]], str]],
    single: bool,
) -> None:
    """Pages back to back or a line each, between them anything, in them records good and bad:
    the import through workers (pieces of 1 KiB) says and keeps what the import without
    them does."""
    text = ""
    for number, (records, between) in enumerate(pages):
        made = [
            projects_user(id_, f"2024-01-{1 + id_ % 28:02d}T00:00:00.000Z") | odd
            for id_, odd in records
        ]
        text += (json.dumps(made[0]) if single and number == 3 else json.dumps(made)) + between
    folder = tmp_path / uuid.uuid4().hex
    folder.mkdir()
    path = _write(folder / "pages.json", text)
    monkeypatch.setattr(workers, "PIECE", 1 << 10)
    monkeypatch.setattr(workers, "_TAIL", 16)
    read = _counted(monkeypatch)
    outcomes = []
    for count in (1, 2):
        monkeypatch.setattr(workers, "WORKERS", count)
        db = str(folder / f"{count}.duckdb")
        outcomes.append((_run(db, "import", "projects_users", path), _rows(db, _EVERY_ROW)))
    event(f"records read by the workers: {'some' if read else 'none'}")
    assert outcomes[0] == outcomes[1]
