"""The page at /, in a real browser (Debian's Chromium driven by Playwright) against a real
server: sign in, draw the API's answer, show its errors, keep the token out of the address."""

from __future__ import annotations

import base64
import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import pytest
import requests

from intragraph.resources import RESOURCES
from tests.conftest import Server, demo_server, unavailable

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent.parent / "test-artifacts"

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    options = ("--rate-limit", "1000/second", "--rate-limit", "100000/hour")
    with demo_server(tmp_path_factory.mktemp("page"), *options) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        unavailable("no Chromium at /usr/bin/chromium: apt-get install chromium")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield launched
        launched.close()


def _api(server: Server, token: str, path: str) -> requests.Response:
    return requests.get(
        server.base + path, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


def _signed_in(browser: object, server: Server, query: str = "") -> object:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{server.base}/?{query}")
    page.fill("input[name=client_id]", server.uid)
    page.fill("input[name=client_secret]", server.secret)
    page.click("text=Get a token")
    page.wait_for_selector("#graph:not([hidden])")
    return page


def _wait_for_bars(page: object, count: int) -> None:
    page.wait_for_function(  # type: ignore[attr-defined]
        "n => document.querySelectorAll('#chart .bar').length === n", arg=count
    )


@pytest.mark.parametrize(
    ("query", "api_path"),
    [
        (
            {"scope": "user", "key": "jdoe", "interval": "month_of_year"},
            "/v2/users/jdoe/projects_users/graph/on/created_at/by/month_of_year?time_zone=UTC"
            "&week_start=sunday",
        ),
        (
            {"interval": "week", "time_zone": "Europe/Paris", "week_start": "monday"},
            "/v2/projects_users/graph/on/created_at/by/week?time_zone=Europe/Paris"
            "&week_start=monday",
        ),
        (
            {
                "interval": "day_of_week",
                "week_start": "monday",
                "campus": "1",
                "status": "finished",
            },
            "/v2/projects_users/graph/on/created_at/by/day_of_week?time_zone=UTC"
            "&week_start=monday&filter[status]=finished&filter[campus]=1",
        ),
        (
            {
                "field": "updated_at",
                "interval": "hour_of_day",
                "time_zone": "Asia/Kolkata",
                "from": "2024-01-01",
                "to": "2024-12-31",
            },
            "/v2/projects_users/graph/on/updated_at/by/hour_of_day?time_zone=Asia/Kolkata"
            "&week_start=sunday&range[updated_at]=2024-01-01,2024-12-31",
        ),
    ],
)
def test_the_chart_has_a_bar_per_key(
    browser: object, server: Server, query: dict[str, str], api_path: str
) -> None:
    page = _signed_in(browser, server, urlencode(query))
    token = page.evaluate("sessionStorage.getItem('intragraph.token')")  # type: ignore[attr-defined]
    answer = _api(server, token, api_path).json()
    _wait_for_bars(page, len(answer))
    assert page.evaluate(_LAYOUT)["tickLeft"] >= 0  # type: ignore[attr-defined]
    assert page.text_content("#summary") == (  # type: ignore[attr-defined]
        f"{sum(answer.values()):,} in {len(answer)} periods"
    )
    shown = page.text_content("#api-url")  # type: ignore[attr-defined]
    assert unquote(shown) == server.base + api_path
    assert _api(server, token, shown.removeprefix(server.base)).json() == answer
    address = page.url  # type: ignore[attr-defined]
    assert token not in address
    kept = {name: values[0] for name, values in parse_qs(urlsplit(address).query).items()}
    assert query.items() <= kept.items()  # the view can be bookmarked
    if query.get("interval") == "day_of_week":
        labels = page.eval_on_selector_all(  # type: ignore[attr-defined]
            "#chart text.key", "nodes => nodes.map(n => n.textContent)"
        )
        assert labels == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"page-{query['interval']}.png"), full_page=True)  # type: ignore[attr-defined]
    page.close()  # type: ignore[attr-defined]


def test_errors_are_shown_as_the_api_words_them(browser: object, server: Server) -> None:
    page = _signed_in(browser, server, "interval=day&time_zone=Mars/Olympus")
    page.wait_for_selector("#error:not([hidden])")  # type: ignore[attr-defined]
    token = page.evaluate("sessionStorage.getItem('intragraph.token')")  # type: ignore[attr-defined]
    answer = _api(
        server, token, "/v2/projects_users/graph/on/created_at/by/day?time_zone=Mars/Olympus"
    ).json()
    assert page.text_content("#error") == answer["message"]  # type: ignore[attr-defined]
    page.close()  # type: ignore[attr-defined]


def test_a_bad_token_leads_back_to_sign_in(browser: object, server: Server) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{server.base}/")
    page.fill("input[name=token]", "not-a-token")
    page.click("text=Use this token")
    page.wait_for_selector("#sign-in:not([hidden])")
    assert page.text_content("#sign-in-reason") == "The access token is invalid: sign in again."
    assert page.evaluate("sessionStorage.getItem('intragraph.token')") is None
    page.close()


def test_the_page_loads_nothing_from_elsewhere(server: Server) -> None:
    response = requests.get(f"{server.base}/", timeout=5)
    assert response.status_code == 200
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert "http" not in response.text.replace(server.base, "").replace("http://www.w3.org", "")


def test_quick_changes_end_with_the_last_settings(browser: object, tmp_path: Path) -> None:
    """Ten changes of the form in two seconds, under the real API's 2 requests a second: the
    page debounces, drops superseded answers, waits out any 429, and ends with the chart of the
    last settings and no error shown."""
    with demo_server(tmp_path) as strict:  # the default limits: 2/second, 1200/hour
        page = _signed_in(browser, strict, "scope=user&key=jdoe&interval=month_of_year")
        _wait_for_bars(page, 12)
        intervals = ["day_of_week", "hour_of_day", "month_of_year", "day_of_month", "year"]
        for step in range(10):
            page.select_option("select[name=interval]", intervals[step % 5])  # type: ignore[attr-defined]
            page.wait_for_timeout(200)  # type: ignore[attr-defined]
        page.select_option("select[name=interval]", "day_of_week")  # type: ignore[attr-defined]
        _wait_for_bars(page, 7)
        page.wait_for_function("() => !document.querySelector('#graph').hasAttribute('aria-busy')")  # type: ignore[attr-defined]
        page.wait_for_timeout(1500)  # type: ignore[attr-defined]  # no late answer draws over it
        assert page.eval_on_selector_all("#chart .bar", "n => n.length") == 7  # type: ignore[attr-defined]
        assert page.is_hidden("#error")  # type: ignore[attr-defined]
        assert page.text_content("#summary") == "10 in 7 periods"  # type: ignore[attr-defined]
        page.close()  # type: ignore[attr-defined]


def test_an_error_draws_nothing(browser: object, server: Server) -> None:
    page = _signed_in(browser, server, "scope=user&key=nobody-here&interval=day")
    page.wait_for_selector("#error:not([hidden])")  # type: ignore[attr-defined]
    assert page.text_content("#error") == "User 'nobody-here' not found"  # type: ignore[attr-defined]
    assert page.is_hidden("#results")  # type: ignore[attr-defined]
    assert page.text_content("#summary") == ""  # type: ignore[attr-defined]
    page.close()  # type: ignore[attr-defined]


def test_the_api_docs_work_offline(browser: object, server: Server) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    refused: list[str] = []
    page.on(
        "console", lambda message: refused.append(message.text) if message.type == "error" else None
    )
    page.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(server.base) else route.abort()
        ),
    )
    page.goto(f"{server.base}/docs")
    page.wait_for_selector(".opblock-summary-path")
    paths = page.eval_on_selector_all(
        ".opblock-summary-path", "nodes => nodes.map(n => n.textContent)"
    )
    assert "/v2/projects_users/graph" in [path.replace("\u200b", "") for path in paths]
    assert refused == []
    page.close()


_LAYOUT = """() => {
  const box = document.querySelector('#chart').viewBox.baseVal;
  const keys = [...document.querySelectorAll('#chart text.key')].map(t => t.getBBox());
  return {
    width: box.width,
    ticks: [...document.querySelectorAll('#chart text.tick')].map(t => t.textContent),
    tickLeft: Math.min(...[...document.querySelectorAll('#chart text.tick')]
      .map(t => t.getBBox().x)),
    keys: keys.map(b => [b.x, b.x + b.width]),
    scroll: document.documentElement.scrollWidth,
    font: Math.min(...[...document.querySelectorAll('#chart text')]
      .map(t => t.getBoundingClientRect().height)),
  };
}"""


@pytest.mark.parametrize("viewport", [1280, 390])
def test_axes_and_labels_fit(browser: object, server: Server, viewport: int) -> None:
    """A y-axis of round ticks from 0; x labels that never overlap and never pass the chart's
    edges; on a phone, no sideways scrolling and text still readable."""
    page = browser.new_page(viewport={"width": viewport, "height": 800})  # type: ignore[attr-defined]
    page.goto(f"{server.base}/?interval=month&time_zone=Europe/Paris")
    page.fill("input[name=client_id]", server.uid)
    page.fill("input[name=client_secret]", server.secret)
    page.click("text=Get a token")
    page.wait_for_function("() => document.querySelectorAll('#chart .bar').length > 12")
    layout = page.evaluate(_LAYOUT)
    ticks = [int(tick.replace(",", "")) for tick in layout["ticks"]]
    assert ticks[0] == 0 and len(ticks) >= 3 and ticks == sorted(ticks)
    step = ticks[1]
    assert all(b - a == step for a, b in itertools.pairwise(ticks))
    assert str(step).strip("0") in ("1", "2", "5")  # 1, 2 or 5 times a power of ten
    spans = layout["keys"]
    assert len(spans) >= 3
    assert spans[0][0] >= 0 and spans[-1][1] <= layout["width"]
    assert layout["tickLeft"] >= 0  # no tick label cut at the left edge
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
    assert layout["scroll"] <= viewport
    assert layout["font"] >= 10
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"page-axes-{viewport}.png"), full_page=True)
    page.close()


def test_a_date_range_shows_the_range(browser: object, server: Server) -> None:
    page = _signed_in(browser, server, "interval=month&from=2024-01-01&to=2024-12-31")
    _wait_for_bars(page, 12)
    keys = page.eval_on_selector_all("#chart .bar", "n => n.map(b => b.dataset.key)")  # type: ignore[attr-defined]
    assert keys == [f"2024-{m:02}-01" for m in range(1, 13)]
    note = page.text_content("#range-note")  # type: ignore[attr-defined]
    assert note.startswith("Showing 2024-01-01 to 2024-12-31: the API's answer runs on to now (")
    page.close()  # type: ignore[attr-defined]


_PNG = """async (data) => {
  const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
  const image = await createImageBitmap(new Blob([bytes], {type: 'image/png'}));
  const canvas = new OffscreenCanvas(image.width, image.height);
  const context = canvas.getContext('2d');
  context.drawImage(image, 0, 0);
  const band = context.getImageData(0, 0, image.width, 40).data;
  let dark = 0;
  for (let i = 0; i < band.length; i += 4) if (band[i] < 100) dark += 1;
  return {width: image.width, height: image.height, dark};
}"""


def test_the_png_has_a_title_and_the_axes(browser: object, server: Server) -> None:
    page = _signed_in(browser, server, "scope=user&key=jdoe&interval=month_of_year")
    _wait_for_bars(page, 12)
    with page.expect_download() as waiting:  # type: ignore[attr-defined]
        page.click("#download-png")  # type: ignore[attr-defined]
    download = waiting.value
    assert download.suggested_filename == "projects_users-created_at-month_of_year.png"
    data = Path(download.path()).read_bytes()
    box = page.evaluate("document.querySelector('#chart').viewBox.baseVal.height")  # type: ignore[attr-defined]
    shown = page.evaluate(_PNG, base64.b64encode(data).decode())  # type: ignore[attr-defined]
    assert shown["height"] == box + 40  # the title's band above the chart
    assert shown["dark"] > 200  # the title is written there
    page.close()  # type: ignore[attr-defined]


def test_each_resource_offers_its_own_fields_and_filters(browser: object, server: Server) -> None:
    page = _signed_in(browser, server, "resource=cursus_users&field=begin_at&interval=year")
    token = page.evaluate("sessionStorage.getItem('intragraph.token')")  # type: ignore[attr-defined]
    path = "/v2/cursus_users/graph/on/begin_at/by/year?time_zone=UTC&week_start=sunday"
    answer = _api(server, token, path).json()
    _wait_for_bars(page, len(answer))
    assert unquote(page.text_content("#api-url")) == server.base + path  # type: ignore[attr-defined]
    offered = page.eval_on_selector_all(  # type: ignore[attr-defined]
        "select[name=field] option", "nodes => nodes.map(n => n.value)"
    )
    assert offered == ["created_at", "updated_at", "begin_at", "end_at"]
    page.select_option("select[name=resource]", "locations")  # type: ignore[attr-defined]
    offered = page.eval_on_selector_all(  # type: ignore[attr-defined]
        "select[name=field] option", "nodes => nodes.map(n => n.value)"
    )
    assert offered == ["begin_at", "end_at"]
    filters = page.eval_on_selector_all(  # type: ignore[attr-defined]
        "#filters [name]", "nodes => nodes.map(n => n.name)"
    )
    assert filters == [
        "user_id",
        "primary",
        "host",
        "campus_id",
        "end",
        "active",
        "inactive",
        "future",
    ]
    page.select_option("select[name=active]", "true")  # type: ignore[attr-defined]
    page.wait_for_function(  # type: ignore[attr-defined]
        "() => document.querySelector('#api-url').textContent.includes('filter%5Bactive%5D=true')"
    )
    shown = unquote(page.text_content("#api-url"))  # type: ignore[attr-defined]
    assert shown.endswith(
        "/v2/locations/graph/on/begin_at/by/year?time_zone=UTC&week_start=sunday&filter[active]=true"
    )
    page.close()  # type: ignore[attr-defined]


def test_resources_json_is_the_declarations(server: Server) -> None:
    described = requests.get(f"{server.base}/resources.json", timeout=5).json()
    assert [r["name"] for r in described] == list(RESOURCES)  # the graphed, in order
    projects_users = described[0]
    assert projects_users["fields"] == ["created_at", "updated_at", "retriable_at"]
    assert [p["scope"] for p in projects_users["parents"]] == ["project", "user"]
    status = next(f for f in projects_users["filters"] if f["name"] == "status")
    assert status["choices"][0] == "creating_group"
