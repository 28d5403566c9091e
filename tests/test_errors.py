"""Every error path answers the one error shape, naming the parameter, the value and what is
allowed; no input at all makes the service answer 500."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intragraph.api.graph import route_prefixes
from intragraph.resources import LISTED, RESOURCES
from intragraph.store.base import Store
from tests.conftest import add, client_for, utc

GRAPH = "/v2/projects_users/graph/on/created_at/by/day"
FILTERS = (
    "id, project_id, user_id, created_at, updated_at, occurrence, final_mark, retriable_at, "
    "marked_at, status, cursus, campus, retriable, marked"
)
RANGES = (
    "id, project_id, user_id, created_at, updated_at, occurrence, final_mark, retriable_at, "
    "marked_at, status"
)
TIMESTAMP_HELP = (
    "is not a timestamp; use ISO 8601, such as 2017-11-22, 2017-11-22T10:00:00 (read in "
    "time_zone) or 2017-11-22T10:00:00Z"
)

ERRORS = [
    (
        "/v2/projects_users/graph/on/foo",
        422,
        "field: 'foo' cannot be graphed; allowed: created_at, updated_at, retriable_at",
    ),
    (
        "/v2/projects_users/graph/on/marked_at/by/day",
        422,
        "field: 'marked_at' cannot be graphed; allowed: created_at, updated_at, retriable_at",
    ),
    (
        "/v2/projects_users/graph/on/created_at/by/fortnight",
        422,
        "interval: 'fortnight' is not an interval; allowed: day, week, month, quarter, year, "
        "hour_of_day, day_of_week, day_of_month, month_of_year",
    ),
    (
        f"{GRAPH}?filter[foo]=1",
        400,
        f"filter[foo]: 'foo' cannot be filtered on; allowed: {FILTERS}",
    ),
    (
        f"{GRAPH}?range[campus]=1,2",
        400,
        f"range[campus]: 'campus' cannot be ranged on; allowed: {RANGES}",
    ),
    (f"{GRAPH}?filter[id]=abc", 400, "filter[id]: 'abc' is not an integer"),
    (f"{GRAPH}?filter[id]=1.5", 400, "filter[id]: '1.5' is not an integer"),
    (
        f"{GRAPH}?filter[id]=99999999999999999999",
        400,
        "filter[id]: '99999999999999999999' is not an integer",
    ),
    (f"{GRAPH}?filter[campus]=paris", 400, "filter[campus]: 'paris' is not an integer"),
    (
        f"{GRAPH}?filter[marked]=yes",
        400,
        "filter[marked]: 'yes' is not a boolean; allowed: true, false",
    ),
    (
        f"{GRAPH}?filter[retriable]=1",
        400,
        "filter[retriable]: '1' is not a boolean; allowed: true, false",
    ),
    (
        f"{GRAPH}?filter[status]=done",
        400,
        "filter[status]: 'done' is not allowed; allowed: creating_group, searching_a_group, "
        "in_progress, waiting_for_correction, finished, parent",
    ),
    (
        f"{GRAPH}?filter[created_at]=yesterday",
        400,
        f"filter[created_at]: 'yesterday' {TIMESTAMP_HELP}",
    ),
    (
        f"{GRAPH}?filter[created_at]=2017-13-01",
        400,
        f"filter[created_at]: '2017-13-01' {TIMESTAMP_HELP}",
    ),
    (
        f"{GRAPH}?range[updated_at]=2017-01-01,2017-02-30T10:00:00Z",
        400,
        f"range[updated_at]: '2017-02-30T10:00:00Z' {TIMESTAMP_HELP}",
    ),
    (f"{GRAPH}?range[id]=1", 400, "range[id]: '1' must be exactly two values, min,max"),
    (f"{GRAPH}?range[id]=1,2,3", 400, "range[id]: '1,2,3' must be exactly two values, min,max"),
    (f"{GRAPH}?range[id]=,2", 400, "range[id]: ',2' must be exactly two values, min,max"),
    (f"{GRAPH}?range[id]=a,2", 400, "range[id]: 'a' is not an integer"),
    (
        f"{GRAPH}?filter[id]=1,,2",
        400,
        "filter[id]: empty value in '1,,2'; give one or more values, a,b",
    ),
    (f"{GRAPH}?filter[id]=", 400, "filter[id]: empty value in ''; give one or more values, a,b"),
    (f"{GRAPH}?filter=1", 400, "filter: write filter[field]=a,b or range[field]=min,max"),
    (
        f"{GRAPH}?filter[a][b]=1",
        400,
        "filter[a][b]: write filter[field]=a,b or range[field]=min,max",
    ),
    (
        f"{GRAPH}?time_zone=Mars/Olympus",
        400,
        "time_zone: unknown time zone 'Mars/Olympus'; use an IANA name such as 'UTC', "
        "'Europe/Paris' or 'America/Sao_Paulo'",
    ),
    (
        f"{GRAPH}?time_zone=../../etc/passwd",
        400,
        "time_zone: unknown time zone '../../etc/passwd'; use an IANA name such as 'UTC', "
        "'Europe/Paris' or 'America/Sao_Paulo'",
    ),
    (  # a zone file on Debian, the host's own zone: no name of IANA's
        f"{GRAPH}?time_zone=localtime",
        400,
        "time_zone: unknown time zone 'localtime'; use an IANA name such as 'UTC', "
        "'Europe/Paris' or 'America/Sao_Paulo'",
    ),
    (
        f"{GRAPH}?week_start=someday",
        400,
        "week_start: unknown day 'someday'; allowed: monday, tuesday, wednesday, thursday, "
        "friday, saturday, sunday (or their first three letters)",
    ),
    ("/v2/nothing", 404, "no route matches GET /v2/nothing"),
    (f"{GRAPH}/extra", 404, f"no route matches GET {GRAPH}/extra"),
]


@pytest.mark.parametrize(("path", "status", "message"), ERRORS)
def test_error_shape(client: TestClient, path: str, status: int, message: str) -> None:
    response = client.get(path)
    assert response.status_code == status
    reason = {400: "Bad Request", 404: "Not Found", 422: "Unprocessable Entity"}[status]
    assert response.json() == {"error": reason, "message": message}
    assert response.headers["content-type"] == "application/json"


def test_wrong_method_is_405_in_the_shape(client: TestClient) -> None:
    response = client.post(GRAPH)
    assert response.status_code == 405
    assert response.json() == {
        "error": "Method Not Allowed",
        "message": f"POST is not allowed on {GRAPH}",
    }


def test_week_start_accepts_short_names(store: Store) -> None:
    add(store, "projects_users", {"created_at": utc("2018-01-03 12:00")})
    client = client_for(store)
    long = client.get("/v2/projects_users/graph/on/created_at/by/week?week_start=wednesday")
    short = client.get("/v2/projects_users/graph/on/created_at/by/week?week_start=wed")
    assert long.json() == short.json() == {"2018-01-03": 1, "2018-01-10": 0}


# every route prefix of every resource, graphed and listed, their keys filled in by the test
GRAPHS = [path for r in RESOURCES.values() for path, _ in route_prefixes(r, graph=True)]
LISTS = [
    path.replace("{outer_key}", "1").replace("{key}", key)
    for r in LISTED.values()
    for path, _ in route_prefixes(r, graph=False)
    for key in ("1", "x")
]

NAMES = st.one_of(
    st.sampled_from(["time_zone", "week_start", "filter", "range", "page"]),
    st.builds(
        "{}[{}]".format,
        st.sampled_from(["filter", "range"]),
        st.one_of(
            # every resource's own filter and range names, and some of none
            st.sampled_from(
                sorted({n for r in LISTED.values() for n in (*r.filters, *r.ranges)} | {"x"})
            ),
            st.text(max_size=8),
        ),
    ),
    st.text(max_size=12),
)
VALUES = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "1,2",
            "2017-11-22",
            "2017-11-22T10:00:00Z,2018-01-01",
            "true",
            "-1",
            "Europe/Paris",
            "9" * 30,
            "2017-11-22T25:00",
            "0000-01-01",
            "0001-01-01,9999-12-31",  # bounds past Python's calendar in most zones
            "9999-12-31T23:00:00-05:00",
        ]
    ),
)
SEGMENTS = st.one_of(
    st.sampled_from(["created_at", "begin_at", "day", "week", "hour_of_day"]), st.text(max_size=10)
).map(lambda text: quote(text, safe=""))


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    params=st.lists(st.tuples(NAMES, VALUES), max_size=5),
    field=SEGMENTS,
    interval=SEGMENTS,
    prefix=st.sampled_from(GRAPHS),
    key=st.sampled_from(["1", "x", "%00", "9" * 25]),
)
def test_no_input_answers_500(
    client: TestClient,
    params: list[tuple[str, str]],
    field: str,
    interval: str,
    prefix: str,
    key: str,
) -> None:
    query: list[tuple[str, str | int | float | bool | None]] = list(params)
    scope = prefix.replace("{outer_key}", key).replace("{key}", key)
    response = client.get(f"{scope}/graph/on/{field}/by/{interval}", params=query)
    assert response.status_code in (200, 400, 404, 422), response.text
    if response.status_code != 200:
        assert set(response.json()) == {"error", "message"}


LIST_NAMES = st.one_of(
    st.sampled_from(
        [
            "sort",
            "page",
            "per_page",
            "page[number]",
            "page[size]",
            "filter[id]",
            "range[updated_at]",
            "filter[campus_id]",
            "filter[is_primary]",
        ]
    ),
    st.text(max_size=12),
)
LIST_VALUES = st.one_of(
    VALUES,
    st.sampled_from(["-id", "updated_at,-id", "0", "-5", "9" * 19, "9" * 12, "100000", ""]),
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    params=st.lists(st.tuples(LIST_NAMES, LIST_VALUES), max_size=5),
    path=st.sampled_from(LISTS),
)
def test_no_list_input_answers_500(
    client: TestClient, params: list[tuple[str, str]], path: str
) -> None:
    query: list[tuple[str, str | int | float | bool | None]] = list(params)
    response = client.get(path, params=query)
    assert response.status_code in (200, 400, 404), response.text
    if response.status_code != 200:
        assert set(response.json()) == {"error", "message"}
