"""Health for load balancers and orchestrators: `/health` (the process answers) and
`/health/ready` (the database, and Redis when one is configured, answer). No token, no data,
no rate limit: a probe must never be refused for its own sake."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from intragraph.store import versions

router = APIRouter(tags=["operations"])


@router.get("/health", summary="Liveness: the process answers")
def live() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/health/ready", summary="Readiness: the database and Redis answer")
def ready(request: Request) -> JSONResponse:
    state = request.app.state
    parts: dict[str, str] = {}
    copied: dict[str, str] = {}  # said, never a failure: PostgreSQL answers meanwhile
    try:
        version = versions.current(state.store)  # one small read, as every graph makes
        parts["database"] = "ok"
        if state.copy is not None:
            copied["columnar_copy"] = "current" if state.copy.version == version else "behind"
    except Exception as error:  # any failure is the answer: named, without its details
        parts["database"] = f"unavailable ({type(error).__name__})"
    if state.settings.redis_url:
        parts["redis"] = "ok" if state.limiter.ping() else "unavailable"
    failing = [name for name, said in parts.items() if said != "ok"]
    parts |= copied
    if failing:
        message = f"not ready: {', '.join(failing)} unavailable"
        body = {"error": "Service Unavailable", "message": message, "status": "not ready", **parts}
        return JSONResponse(body, status_code=503)
    return JSONResponse({"status": "ready", **parts})
