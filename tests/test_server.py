"""intragraph serve as a real process, called by real OAuth2 clients over real HTTP; its log
of the whole token flow holds no secret and no token."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from oauthlib.oauth2 import BackendApplicationClient
from requests_oauthlib import OAuth2Session as RequestsOAuth2Session

from tests.conftest import Server, demo_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with demo_server(tmp_path_factory.mktemp("server")) as running:
        yield running


GRAPH = "/v2/users/jdoe/projects_users/graph/on/created_at/by/month_of_year"
JDOE = {
    "1": 1,
    "2": 1,
    "3": 1,
    "4": 0,
    "5": 0,
    "6": 0,
    "7": 4,
    "8": 0,
    "9": 0,
    "10": 0,
    "11": 2,
    "12": 1,
}


def test_requests_oauthlib_backend_application_client(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # plain HTTP on loopback
    session = RequestsOAuth2Session(client=BackendApplicationClient(client_id=server.uid))
    token = session.fetch_token(
        f"{server.base}/oauth/token", client_id=server.uid, client_secret=server.secret
    )
    assert token["token_type"] == "bearer" and token["expires_in"] == 7200
    response = session.get(server.base + GRAPH)
    assert response.status_code == 200
    assert response.json() == JDOE
    assert response.headers["X-Secondly-RateLimit-Limit"] == "2"
    assert response.headers["X-Hourly-RateLimit-Limit"] == "1200"


def test_authlib_oauth2_session(server: Server) -> None:
    time.sleep(1.1)  # a fresh second of the application's 2/second budget
    session = OAuth2Session(server.uid, server.secret)  # client_secret_basic by default
    token = session.fetch_token(f"{server.base}/oauth/token", grant_type="client_credentials")
    assert token["scope"] == "public"
    response = session.get(server.base + GRAPH)
    assert response.status_code == 200 and response.json() == JDOE


def test_openapi_shows_the_security_scheme(server: Server) -> None:
    spec = requests.get(f"{server.base}/openapi.json", timeout=5).json()
    flow = spec["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "/oauth/token"
    operation = spec["paths"]["/v2/projects_users/graph"]["get"]
    assert operation["security"] == [{"oauth2": ["public"]}]


def _token(server: Server) -> str:
    """A new token of the server's application, a second after its last request (it may make
    2 a second)."""
    time.sleep(1.1)
    answer = requests.post(
        f"{server.base}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": server.uid,
            "client_secret": server.secret,
        },
        timeout=5,
    ).json()
    return str(answer["access_token"])


def test_the_log_has_a_line_per_request_and_no_secret(server: Server) -> None:
    token = _token(server)
    requests.get(f"{server.base}{GRAPH}?access_token={token}", timeout=5)
    requests.get(
        f"{server.base}{GRAPH}?filter[campus]=x",
        timeout=5,
        headers={"Authorization": f"Bearer {token}"},
    )
    requests.post(
        f"{server.base}/oauth/token",
        timeout=5,
        data={
            "grant_type": "client_credentials",
            "client_id": server.uid,
            "client_secret": "wrong",
        },
    )
    time.sleep(0.3)
    log = server.log.read_text()
    assert server.secret not in log and token not in log and "wrong" not in log
    route = "/v2/users/{key}/projects_users/graph/on/{field}/by/{interval}"
    assert f"{server.uid} GET {route} 200" in log
    assert f"{server.uid} GET {route} 400" in log
    assert f"{server.uid} POST /oauth/token 200" in log
    assert "- POST /oauth/token 401" in log


def test_head_is_get_without_its_body(server: Server) -> None:
    """As Rails answers it (uvicorn and FastAPI said 405): the GET's status and headers."""
    auth = {"Authorization": f"Bearer {_token(server)}"}
    got = requests.get(f"{server.base}{GRAPH}", headers=auth, timeout=5)
    time.sleep(1.1)
    head = requests.head(f"{server.base}{GRAPH}", headers=auth, timeout=5)
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["Content-Type"] == got.headers["Content-Type"] == "application/json"
    assert head.headers["Content-Length"] == got.headers["Content-Length"] == str(len(got.content))
    assert head.headers["X-Hourly-RateLimit-Limit"] == got.headers["X-Hourly-RateLimit-Limit"]
    assert requests.head(f"{server.base}{GRAPH}", timeout=5).status_code == 401
    assert requests.head(f"{server.base}/health", timeout=5).status_code == 200
    assert requests.head(f"{server.base}/v2/nothing", headers=auth, timeout=5).status_code == 404
    time.sleep(0.3)
    route = "/v2/users/{key}/projects_users/graph/on/{field}/by/{interval}"
    assert f"{server.uid} HEAD {route} 200" in server.log.read_text()
