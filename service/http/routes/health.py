"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Literal

import structlog
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from service import __version__
from service.guard import check_bullet, extract_facts
from service.http.problems import ProblemError

router = APIRouter(tags=["health"])
_log = structlog.get_logger("bulletguard.health")


class Liveness(BaseModel):
    status: Literal["ok"] = "ok"
    version: str = Field(default=__version__, description="The running bulletguard's version.")


class LocalModelStatus(BaseModel):
    state: Literal["running", "stopped"] = Field(description="Whether the bundled model's server process runs.")
    detail: str | None = Field(default=None, description="How it stopped and what to do, when it did.")


class Readiness(BaseModel):
    status: Literal["ready"] = "ready"
    local_model: LocalModelStatus | None = Field(
        default=None, description="The bundled local model, when `bulletguard serve --with-local-model` runs it."
    )


@router.get("/healthz", summary="Liveness: the process answers HTTP")
def healthz() -> Liveness:
    return Liveness()


@router.get(
    "/readyz",
    summary="Readiness: the guard's vocabularies load and a check runs (and the bundled model, if any, runs)",
    responses={
        503: {
            "description": "The guard cannot run (its packaged vocabularies failed to load), or the bundled "
            "local model's server has stopped (the detail says how, and what to do)."
        }
    },
)
def readyz(request: Request) -> Readiness:
    try:
        # Runs the guard end to end on a fixed sentence, which loads its packaged vocabularies.
        facts = extract_facts("Wrote a readiness probe for the service.", (), ())
        check_bullet("Wrote a readiness probe for the service.", facts)
    except Exception as exc:
        _log.error("readiness_failed", exc_type=type(exc).__name__)
        raise ProblemError(
            503,
            "Service Unavailable",
            "The truthfulness guard could not load its vocabularies.",
            type="not-ready",
        ) from exc
    local = getattr(request.app.state, "local_model", None)
    if local is None:
        return Readiness()
    state = local.state()
    if state.state != "running":
        _log.error("readiness_failed", local_model=state.state)
        raise ProblemError(503, "Service Unavailable", state.detail or "The local model has stopped.", type="not-ready")
    return Readiness(local_model=LocalModelStatus(state=state.state))
