"""The OpenAPI document is valid OpenAPI 3.1 (every path parameter declared), and its docs page
works without internet: Swagger UI from the package, under the chart page's strict policy."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from intragraph.store import open_store
from tests.conftest import client_for


def test_the_document_is_valid_openapi(tmp_path: Path) -> None:
    # the document is the same on every engine: validated once (it takes seconds, at 20
    # resources' routes)
    document = client_for(open_store(str(tmp_path / "openapi.duckdb"))).get("/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    validate(document)
    for path, operations in document["paths"].items():
        for operation in operations.values():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == set(re.findall(r"\{(\w+)\}", path)), path


def test_the_docs_load_nothing_from_elsewhere(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(source.startswith("/static/") for source in sources)
    assert "<script>" not in page.text  # no inline script: the policy would refuse it
    for source in sources:
        assert client.get(source).status_code == 200, source
    assert client.get("/favicon.ico").status_code == 200
