"""The pages a person opens: the chart page at /, the API docs at /docs (Swagger UI from the
package, no CDN), the favicon, and /resources.json, what the chart page offers for each
resource, made from the same declarations as the API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import APIRouter
from fastapi.responses import FileResponse, JSONResponse

from intragraph.resources import RESOURCES, Membership, Resource

STATIC = Path(__file__).parent / "static"
# Swagger UI's script and style, from the pip package that ships them (no CDN)
SWAGGER_UI = Path(fastapi_offline.__file__).parent / "static"
# the pages load nothing from elsewhere, and run no inline script
POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'"
)

router = APIRouter(include_in_schema=False)


@router.get("/")
def chart_page() -> FileResponse:
    return FileResponse(STATIC / "index.html", headers={"Content-Security-Policy": POLICY})


@router.get("/docs")
def docs_page() -> FileResponse:
    return FileResponse(STATIC / "docs.html", headers={"Content-Security-Policy": POLICY})


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")


def _filters(resource: Resource) -> list[dict[str, Any]]:
    """The filters the page offers: all but the id and the dates (its date range does those)."""
    offered = []
    for name in resource.filters:
        special = resource.specials.get(name)
        field = resource.fields.get(name)
        if name == "id" or (field is not None and field.kind == "timestamp"):
            continue
        if special is not None:
            kind, help_text = ("int" if isinstance(special, Membership) else "bool"), special.help
        else:
            assert field is not None
            kind, help_text = field.kind, "one value, or several: a,b"
        choices = ["true", "false"] if kind == "bool" else list(field.choices if field else ())
        offered.append({"name": name, "kind": kind, "choices": choices, "help": help_text})
    return offered


def describe() -> list[dict[str, Any]]:
    return [
        {
            "name": resource.name,
            "fields": list(resource.graph_fields),
            "parents": [
                {
                    "name": parent.name,
                    "scope": parent.label.lower(),
                    "label": parent.label,
                    "keys": parent.keys,
                }
                for parent in resource.parents.values()
                if parent.graphed and parent.outer is None  # the page names one parent
            ],
            "filters": _filters(resource),
        }
        for resource in RESOURCES.values()
    ]


@router.get("/resources.json")
def resources() -> JSONResponse:
    return JSONResponse(describe())
