"""The page reader of `intragraph import` (ingest/pages.py, jsonstream.top_level_values): it must
read what the record-by-record reader reads, to the same rows, or hand the page over to it."""

from __future__ import annotations

import datetime as dt
import io
import json
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from intragraph.cli import main
from intragraph.ingest import columns, jsonstream, load
from intragraph.ingest.columns import columns_of
from intragraph.ingest.pages import Page, projects_users
from intragraph.ingest.records import BadRecord, instant, read
from intragraph.store import open_store
from intragraph.store.tables import TABLES
from tests.conftest import postgres_schema
from tests.test_import import projects_user

# values of every JSON type, and the near misses of each field's type
_ANY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=6),
    st.sampled_from(
        [
            "2024-01-12T14:03:21.000Z",
            "2024-01-12T14:03:21.000z",
            "2024-01-12t14:03:21.000Z",
            "2024-01-12T14:03:21.1234567Z",
            "2024-01-12T15:03:21+01:00",
            "2024-01-12",
            "2024-02-30T00:00:00.000Z",
            "yesterday",
            "2024-01-12T14:03:21.000Z\n2024-01-12T14:03:21.000Z",
        ]
    ),
    st.lists(st.integers(), max_size=2),
    st.fixed_dictionaries({"id": st.integers(0, 9)}),
)
_OBJECT = st.one_of(
    st.none(),
    st.integers(),
    st.fixed_dictionaries(
        {"id": st.one_of(st.integers(0, 9), _ANY)},
        optional={"name": _ANY, "slug": _ANY, "login": _ANY, "other": _ANY},
    ),
)
_KEYS = {
    "id": _ANY,
    "project_id": _ANY,
    "user_id": _ANY,
    "occurrence": _ANY,
    "final_mark": _ANY,
    "status": _ANY,
    "validated?": _ANY,
    "marked": _ANY,
    "current_team_id": _ANY,
    "created_at": _ANY,
    "updated_at": _ANY,
    "retriable_at": _ANY,
    "marked_at": _ANY,
    "project": _OBJECT,
    "user": _OBJECT,
    "teams": _ANY,
}


@st.composite
def _record(draw: st.DrawFn) -> Any:
    """A projects_user with some keys dropped and some values replaced by anything at all."""
    record = projects_user(draw(st.integers(1, 10**6)))
    for key, values in _KEYS.items():
        change = draw(st.sampled_from(["keep", "keep", "keep", "drop", "replace"]))
        if change == "drop":
            record.pop(key, None)
        elif change == "replace":
            record[key] = draw(values)
    return record


def _exact(records: list[Any]) -> Page | None:
    """What records.read gives for the page, in a Page; None if it refuses a record."""
    rows: list[tuple[Any, ...]] = []
    embedded: dict[str, dict[Any, tuple[Any, ...]]] = {"projects": {}, "users": {}}
    try:
        for record in records:
            for table, values in read("projects_users", record):
                if table == "projects_users":
                    rows.append(values)
                else:
                    embedded[table][values[0]] = values
    except BadRecord:
        return None
    return Page(tuple(columns_of(rows, TABLES["projects_users"])), embedded, len(rows))


@settings(max_examples=400, deadline=None)
@given(st.lists(_record(), min_size=1, max_size=4))
def test_a_page_is_read_as_records_py_reads_it_or_handed_over(records: list[Any]) -> None:
    page = projects_users(json.dumps(records).encode())
    exact = _exact(records)
    if exact is None:
        assert page is None
    elif page is not None:
        assert page == exact


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 10**9), min_size=1, max_size=5))
def test_pages_as_the_api_gives_them_are_read_whole(ids: list[int]) -> None:
    records = [projects_user(i, retriable_at=None, user_id=4, project_id=3) for i in ids]
    page = projects_users(json.dumps(records).encode())
    assert page is not None and page == _exact(records)  # never handed over
    one = projects_users(json.dumps(records[0]).encode())  # NDJSON: one object a value
    assert one is not None and one.count == 1


def _top_level_values(data: bytes, chunk: int, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What `top_level_values` gives for `data` read `chunk` bytes at a time: ("whole", bytes,
    decoded) per value, then ("rest", bytes) if it handed the rest over."""
    monkeypatch.setattr(jsonstream, "_CHUNK", chunk)
    got: list[Any] = []
    stream = io.BytesIO(data)
    try:
        for value, decoded in jsonstream.top_level_values(stream, _decode, lambda _: None):
            got.append(("whole", value, decoded))
    except jsonstream.Undelimited as rest:
        got.append(("rest", rest.stream.read()))
    return got


def _decode(value: bytes) -> Any:
    """A stand-in page reader: arrays of numbers only."""
    try:
        decoded = json.loads(value)
    except ValueError:
        return None
    return decoded if isinstance(decoded, list) and all(type(v) is int for v in decoded) else None


@pytest.mark.parametrize("chunk", [1 << 20, 7, 1])
@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"[1][2, 3]", [("whole", b"[1]", [1]), ("whole", b"[2, 3]", [2, 3])]),
        (b" [1]\n\n[2] ", [("whole", b"[1]\n\n", [1]), ("whole", b"[2] ", [2])]),
        (
            b'{"a": 1}\n{"b": "]["}\n',
            [("whole", b'{"a": 1}\n', None), ("whole", b'{"b": "]["}\n', None)],
        ),
        (b'["][", "}{"][1]', [("whole", b'["][", "}{"]', None), ("whole", b"[1]", [1])]),
        (b'[1]["x" [2]', [("whole", b"[1]", [1]), ("rest", b'["x" [2]')]),
        (b"[1] 5 [2]", [("whole", b"[1] ", [1]), ("rest", b"5 [2]")]),
        (b"[1] [2", [("whole", b"[1] ", [1]), ("rest", b"[2")]),
        (b"", []),
        (b" \n", []),
    ],
)
def test_top_level_values_delimits_values_and_hands_over_the_rest(
    data: bytes, expected: list[Any], chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _top_level_values(data, chunk, monkeypatch) == expected


def test_a_value_over_the_limit_is_left_to_the_exact_reader(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(jsonstream, "_MAX_RECORD", 10)
    long = b"[" + b"2, " * 20 + b"2]"
    assert _top_level_values(b"[1]" + long + b"[8]", 4, monkeypatch) == [
        ("whole", b"[1]", [1]),
        ("rest", long + b"[8]"),
    ]


def _import(db: str, path: Path) -> list[list[tuple[Any, ...]]]:
    result = CliRunner().invoke(main, ["import", "projects_users", str(path), "--database", db])
    assert result.exit_code == 0, result.output
    store = open_store(db)
    try:
        return [
            store.fetch(f"SELECT {', '.join(TABLES[name].columns)} FROM {name} ORDER BY id", [])
            for name in ("projects_users", "projects", "users")
        ]
    finally:
        store.close()


def test_both_readers_store_the_same_rows(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plain pages, a page of odd but valid records, NDJSON, then a NaN in an ignored key: the
    page reader gives up there (msgspec refuses NaN) and the exact reader reads the rest."""
    plain = [projects_user(i) for i in range(1, 250)]
    odd = [
        projects_user(300, marked_at="2024-01-12T15:03:21.5+01:00"),
        projects_user(301, retriable_at="2024-01-12"),
        projects_user(302, project=None, project_id=7, user=None, user_id=8),
        projects_user(303, project={"id": 9, "name": "][ [x]", "slug": "}{"}),
    ]
    path = tmp_path / "mixed.json"
    path.write_text(
        "".join(json.dumps(plain[i : i + 100]) for i in range(0, len(plain), 100))
        + json.dumps(odd)
        + "\n"
        + "\n".join(json.dumps(projects_user(i)) for i in (400, 401))
        + json.dumps([projects_user(500, teams=float("nan"))])
        + json.dumps([projects_user(501)])
    )
    whole: list[int] = []  # the ids of the records read a page at a time

    def counted(value: bytes) -> Page | None:
        page = projects_users(value)
        if page is not None:
            whole.extend(page.columns[0])
        return page

    monkeypatch.setattr(load, "READERS", {"projects_users": counted})
    fast = _import(database_url, path)
    assert whole == [*range(1, 250), 300, 301, 302, 303, 400, 401]
    monkeypatch.setattr(load, "READERS", {})
    with ExitStack() as stack:
        if "postgresql" in database_url:
            other = stack.enter_context(postgres_schema())
        else:
            other = str(tmp_path / "other.duckdb")
        assert _import(other, path) == fast
    assert [row[0] for row in fast[0][-8:]] == [249, 300, 301, 302, 303, 400, 401, 500, 501][1:]
    assert (9, "][ [x]", "}{") in fast[1]


_STAMP_TEXTS = st.one_of(
    st.none(),
    # the API's own form: instants, and digits anywhere (impossible ones: month 13, day 31...)
    st.datetimes(dt.datetime(1000, 1, 1), dt.datetime(9999, 12, 31)).map(
        lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    ),
    st.from_regex(
        r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z", fullmatch=True
    ),
    st.sampled_from(
        [
            "2024-01-12T15:03:21+01:00",
            "2024-01-12 14:03:21.5",
            "2024-01-12",
            "2024-01-12T14:03:21.000z",
            "2024-01-12T14:03:21.000ZZ",
            "\uff12\uff10\uff12\uff14-01-12T14:03:21.000Z",  # full-width digits
            "yesterday",
            "0000-06-01T00:00:00.000Z",  # ISO's year 0000: refused, as past 9999 in UTC
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:00:00-05:00",
        ]
    ),
)


def _one_by_one(values: list[Any]) -> list[Any] | str:
    """The reference: records.instant and NumPy, value by value; the first error's text."""
    moments = []
    for value in values:
        try:
            moments.append(np.datetime64("NaT" if value is None else instant(value, "t"), "us"))
        except BadRecord as error:
            return str(error)
        except ValueError:
            return f"'t' is not an ISO 8601 timestamp: {value!r}"
    return moments


@settings(max_examples=300, deadline=None)
@given(st.lists(_STAMP_TEXTS, max_size=12))
def test_a_column_of_timestamps_reads_as_each_value_alone(values: list[Any]) -> None:
    expected = _one_by_one(values)
    try:
        got: list[Any] | str = list(columns._timestamps(values, "t"))
    except columns._BadValue as bad:
        got = bad.reason
        assert values[bad.index] is not None
    if isinstance(expected, str) or isinstance(got, str):
        assert got == expected
    else:
        assert [str(m) for m in got] == [str(m) for m in expected]


@pytest.mark.parametrize("key", ["id", "final_mark", "project_id", "user_id"])
def test_an_integer_out_of_bigint_range_is_left_to_the_exact_reader(key: str) -> None:
    def page(value: int) -> Page | None:
        record = {**projects_user(1), "project": None, "user": None, "project_id": 2, "user_id": 3}
        record[key] = value
        return projects_users(json.dumps([record]).encode())

    assert page(2**63 - 1) is not None and page(-(2**63)) is not None
    assert page(2**63) is None and page(-(2**63) - 1) is None
