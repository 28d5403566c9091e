"""What published 42 clients expect, tried on `intragraph serve` as a real process: 42 Berlin's
api42lib unchanged (token, a graph, every row of a list once, 429s waited out), the token URL
under /v2 that api42 and ft-api build from their base URL, and the trailing slash api42 sends."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests
from api42lib import IntraAPIClient

from tests.conftest import Server, demo_server, token_for

GRAPH = "users/jdoe/projects_users/graph/on/created_at/by/month_of_year"
JDOE = {"1": 1, "2": 1, "3": 1, "4": 0, "5": 0, "6": 0, "7": 4, "8": 0, "9": 0, "10": 0}
JDOE |= {"11": 2, "12": 1}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with demo_server(tmp_path_factory.mktemp("clients")) as running:
        yield running


def _token(server: Server, path: str) -> str:
    time.sleep(1.1)  # a fresh second of the application's 2/second budget
    return token_for(server.base, server.uid, server.secret, path)


def test_api42lib_unchanged(server: Server) -> None:
    client = IntraAPIClient(progress_bar=False)
    client.set_config(
        {
            "v2": {
                "client": server.uid,
                "secret": server.secret,
                "uri": f"{server.base}/v2/oauth/token",
                "endpoint": f"{server.base}/v2",
                "scopes": "public",
            }
        }
    )
    assert client.get(GRAPH).json() == JDOE
    first = client.get("projects_users", params={"per_page": 100})
    total = int(first.headers["X-Total"])
    # 2,000 demo rows (jdoe's 10 among them): 20 pages at 2 requests a second, so 429s come and are
    # waited out (Retry-After)
    rows = client.pages("projects_users")
    ids = [row["id"] for row in rows]
    assert total == 2000 and len(ids) == total and len(set(ids)) == total
    assert " 429 " in server.log.read_text()


def test_the_token_endpoints_under_v2(server: Server) -> None:
    token = _token(server, "/v2/oauth/token")
    info = requests.get(
        f"{server.base}/v2/oauth/token/info",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert info.status_code == 200 and info.json()["application"]["uid"] == server.uid
    assert info.headers["X-Secondly-RateLimit-Limit"] == "2"


def test_a_trailing_slash_is_answered_not_redirected(server: Server) -> None:
    token = _token(server, "/oauth/token")
    answer = requests.get(
        f"{server.base}/v2/projects_users/?page=2&per_page=5",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
        allow_redirects=False,
    )
    assert answer.status_code == 200
    assert answer.headers["X-Page"] == "2" and len(answer.json()) == 5


def test_links_follow_a_trusted_proxy(server: Server) -> None:
    """Behind a TLS proxy (here on the same machine, which `serve` trusts by default), the next
    page's URL keeps the client's https."""
    token = _token(server, "/oauth/token")
    answer = requests.get(
        f"{server.base}/v2/projects_users?per_page=5",
        headers={
            "Authorization": f"Bearer {token}",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": "203.0.113.7",
        },
        timeout=5,
    )
    assert answer.status_code == 200
    assert answer.headers["Link"].startswith("<https://127.0.0.1:")
