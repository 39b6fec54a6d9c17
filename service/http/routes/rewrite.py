"""``POST /v1/rewrite``: turn work notes into resume bullets with an LLM, every one checked by the guard."""

from __future__ import annotations

import math
from functools import partial
from typing import Annotated, Any

import structlog
from anyio import to_thread
from fastapi import APIRouter, Body, Request

from service.contract.models import ValidationProblem
from service.contract.rewrite import RewriteRequest, RewriteResponse, rewrite_limit_errors
from service.contract.rewriting import read_request, run_rewrite
from service.http.deps import SettingsDep
from service.http.hardening import known_models
from service.http.llm_client import LLMClientDep
from service.http.llm_gate import GatedLLMClient
from service.http.metrics import record_rewrite
from service.http.problems import ProblemError, request_id_of
from service.http.routes._shared import problem_doc, refuse_limit_errors
from service.rewrite.llm.errors import LLMError, LLMMisconfigured
from service.rewrite.prompts import prompt_versions
from service.settings import Settings

router = APIRouter(tags=["rewrite"])
_log = structlog.get_logger("bulletguard.rewrite")

REQUEST_EXAMPLES: dict[str, Any] = {
    "basic": {
        "summary": "Notes, one piece of evidence, a name to keep out",
        "value": {
            "notes": "helped debug a memory leak in the notification worker with Dana; wrote a runbook for restarts",
            "evidence": [{"id": "PR-1423", "text": "Fix unbounded retry queue in notification worker"}],
            "redact": ["Dana"],
            "options": {"max_bullets": 2, "temperature": 0.2},
        },
    },
    "tailored": {
        "summary": "Tailored to a job posting (the answer's `match` says what the notes support)",
        "value": {
            "notes": "moved the session store to postgres; added an index on user_id; on call for the auth service",
            "job_description": "Backend engineer: PostgreSQL, Kafka, on-call rotation, microservices.",
            "options": {"max_bullets": 2},
        },
    },
}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: problem_doc("Malformed JSON body.", ValidationProblem),
    413: problem_doc("The request body is larger than `max_body_bytes`."),
    422: problem_doc("A field is missing or breaks a limit, or `options.prompt` is unknown.", ValidationProblem),
    500: problem_doc("Unexpected server error (generic detail; quote the request_id)."),
    502: problem_doc("The model's endpoint failed or refused the request (`llm-bad-gateway`)."),
    503: problem_doc(
        "The model could not be reached or is rate limited (`llm-unavailable`), or this service is running its "
        "maximum of concurrent LLM calls (`llm-overloaded`); may carry Retry-After. Or the service's LLM settings "
        "are wrong (`llm-misconfigured`: no API key, a schema mode the server refuses; `setting` names the one to "
        "change): no retry helps."
    ),
    504: problem_doc("The model did not answer in time (`llm-timeout`)."),
}


# The longest Retry-After relayed to a client: an upstream's "1e12" or "inf" is not ours to repeat.
MAX_RETRY_AFTER_S = 600


def retry_after_header(seconds: float) -> str:
    """Whole seconds for a ``Retry-After`` header, between 0 and :data:`MAX_RETRY_AFTER_S` (any float)."""
    if not math.isfinite(seconds):
        return str(MAX_RETRY_AFTER_S if seconds > 0 else 0)
    return str(max(0, min(MAX_RETRY_AFTER_S, math.ceil(seconds))))


def _problem_from(exc: LLMError) -> ProblemError:
    headers = {}
    if exc.status in (429, 503) and exc.retry_after_s is not None:
        headers["Retry-After"] = retry_after_header(exc.retry_after_s)
    extra = {"setting": exc.setting} if isinstance(exc, LLMMisconfigured) else None
    return ProblemError(exc.status, exc.title, exc.message, type=exc.slug, extra=extra, headers=headers)


def allowed_models(settings: Settings) -> list[str]:
    """The models a request may choose with ``options.model``: ``allowed_models`` when set, else the
    configured model and its fallbacks."""
    return list(settings.allowed_models) or known_models(settings)


def model_errors(body: RewriteRequest, settings: Settings) -> list[dict[str, Any]]:
    """A 422 error for an ``options.model`` that is not on the allow-list (a key holder must not make the
    service call any provider litellm knows)."""
    model = body.options.model
    if model is None or model in allowed_models(settings):
        return []
    return [
        {
            "loc": ("body", "options", "model"),
            "msg": "Not an allowed model; allowed: " + ", ".join(allowed_models(settings)),
            "type": "model_not_allowed",
        }
    ]


@router.post(
    "/v1/rewrite",
    summary="Write resume bullets from notes, guarded",
    description=(
        "Masks the `redact` terms, asks the LLM for bullets in a fixed JSON shape, validates the reply, and "
        "runs the truthfulness guard on every bullet against the original notes and evidence. Refused "
        "bullets are fed back to the model (at most `max_reasks` times, a server setting). Only accepted "
        "bullets are returned in `bullets`; refused ones are in `rejected` with their violations. When "
        "nothing survives, `bullets` is empty: no fallback text is ever made up. Each accepted bullet carries "
        "non-blocking `warnings` (weak-bullet lint); `questions` asks for the proof the notes lack; with a "
        "`job_description`, `match` lists the posting's technologies and keywords the notes support, and gaps."
    ),
    response_model=RewriteResponse,
    responses=ERROR_RESPONSES,
)
async def rewrite_notes(
    body: Annotated[RewriteRequest, Body(openapi_examples=REQUEST_EXAMPLES)],
    request: Request,
    settings: SettingsDep,
    llm: LLMClientDep,
) -> RewriteResponse:
    errors = rewrite_limit_errors(body, settings)
    options = body.options
    known = prompt_versions()
    if options.prompt is not None and options.prompt not in known:
        errors.append(
            {
                "loc": ("body", "options", "prompt"),
                "msg": f"Unknown prompt version; known versions: {', '.join(known)}",
                "type": "unknown_prompt_version",
            }
        )
    errors += model_errors(body, settings)
    refuse_limit_errors(errors)

    try:
        if isinstance(llm, GatedLLMClient):
            await llm.charge()  # the LLM rate limit first: a client over it costs no CPU work
        # read once, off the event loop: facts for the guard, the posting match, the questions
        reading = await to_thread.run_sync(read_request, body)
        result = await run_rewrite(llm, body, settings, reading)
    except LLMError as exc:
        _log.warning("rewrite_failed", error=type(exc).__name__, status=exc.status)
        raise _problem_from(exc) from exc
    record_rewrite(request, result)

    _log.info(
        "rewritten",
        n_accepted=len(result.bullets),
        n_rejected=len(result.rejected),
        attempts=result.attempts,
        prompt_version=result.prompt_version,
        n_evidence=len(body.evidence),
        n_redact_terms=len(body.redact),
        has_job_description=body.job_description is not None,
    )
    # warnings per accepted bullet and questions: computed here, from the request
    build = partial(
        RewriteResponse.from_result,
        result,
        request_id_of(request.scope),
        body,
        reading.posting,
        reading.questions,
        reading.facts,
    )
    return await to_thread.run_sync(build)  # the lint of each accepted bullet: CPU work too
