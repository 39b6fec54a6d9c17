"""``POST /v1/verify``: check resume bullets against notes and evidence with the truthfulness guard."""

from __future__ import annotations

from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Body, Request
from starlette.concurrency import run_in_threadpool

from service.contract.models import VerifyRequest, VerifyResponse, limit_errors
from service.contract.verification import run_verify
from service.http.deps import SettingsDep
from service.http.metrics import record_verify
from service.http.routes._shared import JSON_BODY_ERROR_RESPONSES, refuse_limit_errors

router = APIRouter(tags=["verify"])
_log = structlog.get_logger("bulletguard.verify")

# The guard is CPU work of about a millisecond per 2,000 characters. A request up to this size is
# checked on the event loop (a hop to a worker thread would cost about as much as the check); a larger
# one runs in a worker thread, so one big request does not hold up the others for long.
INLINE_MAX_CHARS = 4_000


def request_chars(body: VerifyRequest) -> int:
    """The characters the guard reads for ``body``: notes, evidence texts and bullets."""
    return len(body.notes) + sum(len(item.text) for item in body.evidence) + sum(len(b) for b in body.bullets)


_NOTES = (
    "Q3: helped debug a memory leak in the notification worker (PR-1423). "
    "Paired with Dana on the heap dumps; the fix cut worker RSS from 1.2 GB to 400 MB."
)

_ACCEPTED_BULLET = "Helped debug a memory leak in the notification worker, cutting its RSS from 1.2 GB to 400 MB."
_WEAK_BULLET = "Worked on microservices and built REST APIs."

REQUEST_EXAMPLES: dict[str, Any] = {
    "accepted": {
        "summary": "A bullet the notes support",
        "value": {
            "notes": _NOTES,
            "evidence": [{"id": "PR-1423", "text": "Fix unbounded retry queue in notification worker"}],
            "redact": ["Dana"],
            "bullets": [_ACCEPTED_BULLET],
        },
    },
    "rejected": {
        "summary": "A bullet that claims more than the notes",
        "value": {
            "notes": "helped debug a memory leak in the notification worker",
            "bullets": [
                "Helped debug a memory leak in the notification worker.",
                "Led a 70% cut in memory use across all services.",
            ],
        },
    },
    "weak": {
        "summary": "A true bullet that reads as weak (non-blocking warnings)",
        "value": {"notes": "worked on microservices; built REST APIs", "bullets": [_WEAK_BULLET]},
    },
}

RESPONSE_EXAMPLES: dict[str, Any] = {
    "accepted": {
        "summary": "Every bullet accepted",
        "value": {
            "results": [
                {
                    "bullet": _ACCEPTED_BULLET,
                    "verdict": "accepted",
                    "violations": [],
                    "warnings": [],
                }
            ]
        },
    },
    "rejected": {
        "summary": "One bullet rejected, with the offending spans",
        "value": {
            "results": [
                {
                    "bullet": "Helped debug a memory leak in the notification worker.",
                    "verdict": "accepted",
                    "violations": [],
                    "warnings": [],
                },
                {
                    "bullet": "Led a 70% cut in memory use across all services.",
                    "verdict": "rejected",
                    "violations": [
                        {
                            "kind": "ownership",
                            "text": "Led",
                            "start": 0,
                            "end": 3,
                            "message": "'Led' claims led-level ownership; the input supports only contributed-level.",
                            "hint": "The notes say 'helped'; use 'helped' or a weaker verb.",
                        },
                        {
                            "kind": "metric",
                            "text": "70%",
                            "start": 6,
                            "end": 9,
                            "message": "'70%' is a percentage the input does not state.",
                            "hint": (
                                "The input states no figures: remove '70%', or ask the engineer for the measured value."
                            ),
                        },
                        {
                            "kind": "scope",
                            "text": "across all services",
                            "start": 28,
                            "end": 47,
                            "message": "'across all services' claims reach the input does not state.",
                            "hint": "Keep to the reach the input states, or remove 'across all services'.",
                        },
                    ],
                    "warnings": [],
                },
            ]
        },
    },
    "weak": {
        "summary": "Accepted, with the weak spans flagged (warnings never change a verdict)",
        "value": {
            "results": [
                {
                    "bullet": _WEAK_BULLET,
                    "verdict": "accepted",
                    "violations": [],
                    "warnings": [
                        {
                            "code": "vague-verb",
                            "text": "Worked on",
                            "start": 0,
                            "end": 9,
                            "message": "'Worked on' says you were near the work, not what you did in it.",
                            "fix": "Name your own action and the system it touched.",
                        },
                        {
                            "code": "unnamed-services",
                            "text": "microservices",
                            "start": 10,
                            "end": 23,
                            "message": "'microservices' names an architecture, not a system.",
                            "fix": "Name the services you touched and the boundary between them.",
                        },
                        {
                            "code": "generic-api",
                            "text": "REST APIs",
                            "start": 34,
                            "end": 43,
                            "message": "'REST APIs' with no consumer or contract reads as boilerplate.",
                            "fix": "Say who consumed it and what the contract guaranteed (as the notes state it).",
                        },
                    ],
                }
            ]
        },
    },
}


@router.post(
    "/v1/verify",
    summary="Check resume bullets against the notes",
    description=(
        "Runs the deterministic truthfulness guard: facts are extracted from `notes`, `evidence` and "
        "`redact` once, then every bullet is checked against them. A bullet is `rejected` when it "
        "claims a metric, tool, ownership, scope or outcome the inputs do not support, or mentions a "
        "redacted term; each violation gives the offending span and a hint. "
        "Results come back in the order the bullets were sent. Each result also carries `warnings`: spans a "
        "reviewer reads as weak ('worked on', 'scalable' with no scale, 'REST APIs' with no consumer), with the "
        "reason and the proof that would fix them; warnings never change a verdict."
    ),
    response_model=VerifyResponse,
    responses={200: {"content": {"application/json": {"examples": RESPONSE_EXAMPLES}}}, **JSON_BODY_ERROR_RESPONSES},
)
async def verify(
    body: Annotated[VerifyRequest, Body(openapi_examples=REQUEST_EXAMPLES)],
    settings: SettingsDep,
    request: Request,
) -> VerifyResponse:
    refuse_limit_errors(limit_errors(body, settings))
    if request_chars(body) <= INLINE_MAX_CHARS:
        response = run_verify(body)
    else:
        response = await run_in_threadpool(run_verify, body)
    _log.info(
        "verified",
        n_bullets=len(response.results),
        n_rejected=sum(result.verdict == "rejected" for result in response.results),
        n_evidence=len(body.evidence),
        n_redact_terms=len(body.redact),
    )
    record_verify(request, response)
    return response
