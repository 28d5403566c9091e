"""The same graph as JSON, as CSV from the API, and from `intragraph graph` in the terminal."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from click.testing import CliRunner

from intragraph.cli import main
from intragraph.formats import to_table
from intragraph.resources import RESOURCES
from intragraph.store import open_store
from tests.conftest import client_for

CASES = [
    ("created_at", "month_of_year", ["--time-zone", "Europe/Paris"], "?time_zone=Europe/Paris"),
    (
        "updated_at",
        "week",
        ["--week-start", "monday", "--filter", "campus=1,7"],
        "?week_start=monday&filter[campus]=1,7",
    ),
    (
        "created_at",
        "day",
        ["--range", "created_at=2024-01-01,2024-03-31", "--filter", "status=finished"],
        "?range[created_at]=2024-01-01,2024-03-31&filter[status]=finished",
    ),
]


@pytest.fixture
def demo_url(database_url: str) -> str:
    runner = CliRunner()
    assert (
        runner.invoke(main, ["demo", "--rows", "3000", "--database", database_url]).exit_code == 0
    )
    return database_url


NAMES = ", ".join(RESOURCES)  # as the declarations list them


def _api(url: str, path: str, accept: str = "application/json") -> tuple[str, str]:
    store = open_store(url)
    try:
        client = client_for(store, dt.datetime.now(dt.UTC))
        response = client.get(path, headers={"Accept": accept})
        return response.headers["content-type"], response.text
    finally:
        store.close()


@pytest.mark.parametrize(("field", "interval", "options", "query"), CASES)
def test_csv_and_terminal_match_json(
    demo_url: str, field: str, interval: str, options: list[str], query: str
) -> None:
    path = f"/v2/projects_users/graph/on/{field}/by/{interval}{query}"
    _, text = _api(demo_url, path)
    answer = json.loads(text)
    assert sum(answer.values()) > 0
    kind, body = _api(demo_url, path, "text/csv")
    assert kind.startswith("text/csv")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == [interval, "count"]
    assert {key: int(count) for key, count in rows[1:]} == answer
    assert [key for key, _ in rows[1:]] == list(answer)

    runner = CliRunner()
    base = ["graph", "on", field, "by", interval, *options, "--database", demo_url]
    as_json = runner.invoke(main, [*base, "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout) == answer
    as_csv = runner.invoke(main, [*base, "--format", "csv"])
    assert as_csv.stdout == body
    table = runner.invoke(main, base).stdout.splitlines()
    assert [line.split()[:2] for line in table[:-1]] == [[k, str(n)] for k, n in answer.items()]
    assert table[-1].split() == ["total", str(sum(answer.values()))]


def test_table_bars_are_scaled_to_the_largest() -> None:
    assert to_table({"1": 4, "2": 2, "3": 0}, width=21) == (
        "    1  4  ███████████\n"  # 21 columns leave 11 for the bars
        "    2  2  █████▌\n"
        "    3  0\n"
        "total  6\n"
    )
    assert to_table({}) == "(no counted row)\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["graph", "at", "x"],
            f"Error: 'at x' is not `[RESOURCE] [on FIELD] [by INTERVAL]` (resources: {NAMES})",
        ),
        (["graph", "by", "day", "by", "week"], "Error: 'by' is given twice"),
        (
            ["graph", "by", "fortnight"],
            "Error: interval: 'fortnight' is not an interval; allowed: day, week, month, "
            "quarter, year, hour_of_day, day_of_week, day_of_month, month_of_year",
        ),
        (
            ["graph", "--filter", "campus"],
            "Error: Invalid value for --filter: 'campus': write NAME=VALUES",
        ),
        (["graph", "--range", "id=1"], "Error: range[id]: '1' must be exactly two values, min,max"),
    ],
)
def test_graph_command_errors(tmp_path: object, args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, [*args, "--database", f"{tmp_path}/g.duckdb"])
    assert result.exit_code != 0
    assert result.stderr.splitlines()[-1] == message
