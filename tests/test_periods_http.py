"""Every worked example and edge of periods.md, through HTTP, on every engine."""

from __future__ import annotations

import datetime as dt

import pytest

from intragraph.store.base import Store
from tests.conftest import add, client_for, utc

EXAMPLE = ["2017-11-19 23:30", "2017-11-20 08:00", "2017-11-22 12:15", "2017-12-31 23:30"]
LATER = utc("2019-06-01 00:00")


def _example(store: Store) -> None:
    add(store, "projects_users", *({"created_at": utc(t)} for t in EXAMPLE))


def _get(store: Store, path: str, now: dt.datetime | None = None) -> dict[str, int]:
    client = client_for(store) if now is None else client_for(store, now)
    response = client.get(path)
    assert response.status_code == 200, response.text
    answer: dict[str, int] = response.json()
    return answer


def _nonzero(answer: dict[str, int]) -> dict[str, int]:
    return {key: value for key, value in answer.items() if value}


def test_day_utc_is_zero_filled_to_now(store: Store) -> None:
    _example(store)
    answer = _get(store, "/v2/projects_users/graph/on/created_at/by/day")
    assert _nonzero(answer) == {"2017-11-19": 1, "2017-11-20": 1, "2017-11-22": 1, "2017-12-31": 1}
    assert next(iter(answer)) == "2017-11-19" and list(answer)[-1] == "2018-01-10"
    assert len(answer) == 53 and answer["2017-11-21"] == 0


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("by/day?time_zone=Europe/Paris", {"2017-11-20": 2, "2017-11-22": 1, "2018-01-01": 1}),
        ("by/hour_of_day?time_zone=Europe/Paris", {"0": 2, "9": 1, "13": 1}),
        ("by/day_of_week", {"0": 2, "1": 1, "3": 1}),
        ("by/day_of_week?time_zone=Europe/Paris", {"1": 3, "3": 1}),
        ("by/day_of_week?time_zone=Europe/Paris&week_start=monday", {"0": 3, "2": 1}),
        ("by/month_of_year?time_zone=Europe/Paris", {"1": 1, "11": 3}),
        ("by/month", {"2017-11-01": 3, "2017-12-01": 1}),
        ("by/quarter?time_zone=Europe/Paris", {"2017-10-01": 3, "2018-01-01": 1}),
        ("by/year?time_zone=Europe/Paris", {"2017-01-01": 3, "2018-01-01": 1}),
    ],
)
def test_worked_examples(store: Store, query: str, expected: dict[str, int]) -> None:
    _example(store)
    assert _nonzero(_get(store, f"/v2/projects_users/graph/on/created_at/{query}")) == expected


def test_week_sunday_utc(store: Store) -> None:
    _example(store)
    assert _get(store, "/v2/projects_users/graph/on/created_at/by/week") == {
        "2017-11-19": 3,
        "2017-11-26": 0,
        "2017-12-03": 0,
        "2017-12-10": 0,
        "2017-12-17": 0,
        "2017-12-24": 0,
        "2017-12-31": 1,
        "2018-01-07": 0,
    }


def test_week_monday_paris(store: Store) -> None:
    _example(store)
    path = "/v2/projects_users/graph/on/created_at/by/week?week_start=monday&time_zone=Europe/Paris"
    assert _get(store, path) == {
        "2017-11-20": 3,
        "2017-11-27": 0,
        "2017-12-04": 0,
        "2017-12-11": 0,
        "2017-12-18": 0,
        "2017-12-25": 0,
        "2018-01-01": 1,
        "2018-01-08": 0,
    }


@pytest.mark.parametrize(
    ("interval", "keys"),
    [
        ("hour_of_day", [str(h) for h in range(24)]),
        ("day_of_week", [str(d) for d in range(7)]),
        ("day_of_month", [str(d) for d in range(1, 32)]),
        ("month_of_year", [str(m) for m in range(1, 13)]),
    ],
)
def test_cycles_are_whole_and_numeric_even_without_rows(
    store: Store, interval: str, keys: list[str]
) -> None:
    assert _get(store, f"/v2/projects_users/graph/on/created_at/by/{interval}") == dict.fromkeys(
        keys, 0
    )


@pytest.mark.parametrize("interval", ["day", "week", "month", "quarter", "year"])
def test_series_without_rows_is_empty(store: Store, interval: str) -> None:
    assert _get(store, f"/v2/projects_users/graph/on/created_at/by/{interval}") == {}


def test_default_route_is_created_at_by_month_of_year(store: Store) -> None:
    _example(store)
    expected = {str(m): 0 for m in range(1, 13)} | {"11": 3, "12": 1}
    for path in ("/v2/projects_users/graph", "/v2/projects_users/graph/on/created_at"):
        assert _get(store, path) == expected


EDGES = [
    # (instant, zone, interval, week_start, key)
    ("2013-05-03 06:59:59", "America/Los_Angeles", "day", "sunday", "2013-05-02"),
    ("2013-05-03 07:00:00", "America/Los_Angeles", "day", "sunday", "2013-05-03"),
    ("2013-03-23 23:59:59", "UTC", "week", "sunday", "2013-03-17"),
    ("2013-03-24 00:00:00", "UTC", "week", "sunday", "2013-03-24"),
    ("2018-03-24 23:30:00", "Europe/Paris", "day", "sunday", "2018-03-25"),
    ("2018-03-25 22:30:00", "Europe/Paris", "day", "sunday", "2018-03-26"),
    ("2018-10-27 22:30:00", "Europe/Paris", "day", "sunday", "2018-10-28"),
    ("2018-10-28 23:30:00", "Europe/Paris", "day", "sunday", "2018-10-29"),
    ("2018-01-01 18:29:59", "Asia/Kolkata", "day", "sunday", "2018-01-01"),
    ("2018-01-01 18:30:00", "Asia/Kolkata", "day", "sunday", "2018-01-02"),
    ("2018-01-01 18:14:59", "Asia/Kathmandu", "hour_of_day", "sunday", "23"),
    ("2018-01-01 18:15:00", "Asia/Kathmandu", "hour_of_day", "sunday", "0"),
    ("2018-03-31 12:59:59", "Australia/Lord_Howe", "day", "sunday", "2018-03-31"),
    ("2018-03-31 13:00:00", "Australia/Lord_Howe", "day", "sunday", "2018-04-01"),
    ("2018-11-04 02:59:59", "America/Sao_Paulo", "day", "sunday", "2018-11-03"),
    ("2018-11-04 03:00:00", "America/Sao_Paulo", "day", "sunday", "2018-11-04"),
    ("2018-11-04 03:00:00", "America/Sao_Paulo", "week", "sunday", "2018-11-04"),
    ("2017-12-31 23:30:00", "Europe/Paris", "quarter", "sunday", "2018-01-01"),
    ("2017-12-31 23:30:00", "Europe/Paris", "year", "sunday", "2018-01-01"),
    ("2016-02-29 12:00:00", "UTC", "day_of_month", "sunday", "29"),
]


@pytest.mark.parametrize(("instant", "zone", "interval", "week_start", "key"), EDGES)
def test_edges(
    store: Store, instant: str, zone: str, interval: str, week_start: str, key: str
) -> None:
    add(store, "projects_users", {"created_at": utc(instant)})
    path = (
        f"/v2/projects_users/graph/on/created_at/by/{interval}"
        f"?time_zone={zone}&week_start={week_start}"
    )
    answer = _get(store, path, LATER)
    assert _nonzero(answer) == {key: 1}
    if interval in ("day", "week", "quarter", "year"):
        assert next(iter(answer)) == key


def test_retriable_at_counts_only_the_past_and_runs_to_today(store: Store) -> None:
    add(
        store,
        "projects_users",
        {"created_at": utc("2018-01-01 00:00"), "retriable_at": utc("2018-01-08 10:00")},
        {"created_at": utc("2018-01-02 00:00"), "retriable_at": utc("2018-01-12 10:00")},
        {"created_at": utc("2018-01-03 00:00"), "retriable_at": None},
    )
    answer = _get(store, "/v2/projects_users/graph/on/retriable_at/by/day")
    assert answer == {"2018-01-08": 1, "2018-01-09": 0, "2018-01-10": 0}


def test_a_row_at_now_counts_and_one_a_second_later_does_not(store: Store) -> None:
    add(
        store,
        "projects_users",
        {"created_at": utc("2018-01-10 12:00:00")},
        {"created_at": utc("2018-01-10 12:00:01")},
    )
    assert _get(store, "/v2/projects_users/graph/on/created_at/by/day") == {"2018-01-10": 1}
