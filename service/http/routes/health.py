"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Literal

import structlog
from fastapi import APIRouter
from pydantic import BaseModel

from service.guard import check_bullet, extract_facts
from service.http.problems import ProblemError

router = APIRouter(tags=["health"])
_log = structlog.get_logger("bulletguard.health")


class Liveness(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready"] = "ready"


@router.get("/healthz", summary="Liveness: the process answers HTTP")
def healthz() -> Liveness:
    return Liveness()


@router.get(
    "/readyz",
    summary="Readiness: the guard's vocabularies load and a check runs",
    responses={503: {"description": "The guard cannot run (its packaged vocabularies failed to load)."}},
)
def readyz() -> Readiness:
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
    return Readiness()
