"""Proof coaching: ``POST /v1/questions`` (missing-proof questions) and ``POST /v1/match`` (honest
tailoring to a job posting). Both are deterministic (no LLM) and share ``/v1/verify``'s limits."""

from __future__ import annotations

from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Body

from service.coach import match_posting, questions_for
from service.contract.coach import (
    MatchRequest,
    MatchResponse,
    QuestionOut,
    QuestionsRequest,
    QuestionsResponse,
    coach_limit_errors,
)
from service.http.deps import SettingsDep
from service.http.routes._shared import JSON_BODY_ERROR_RESPONSES, refuse_limit_errors

router = APIRouter(tags=["coach"])
_log = structlog.get_logger("bulletguard.coach")

_NOTES = "moved the session store to postgres; added an index on user_id; on call for the auth service"

QUESTIONS_EXAMPLES: dict[str, Any] = {
    "notes": {
        "summary": "Notes that touch data, reliability, security and ownership",
        "value": {"notes": _NOTES},
    },
    "with-evidence": {
        "summary": "Evidence answers some questions (here: the measured before/after)",
        "value": {
            "notes": "sped up the search endpoint for the mobile app",
            "evidence": [{"id": "PR-88", "text": "Add a Redis cache to search: p95 from 900 ms to 300 ms"}],
        },
    },
}

MATCH_EXAMPLES: dict[str, Any] = {
    "posting": {
        "summary": "A posting with supported terms (under another alias) and gaps",
        "value": {
            "notes": _NOTES,
            "job_description": (
                "Backend engineer: PostgreSQL, Kafka, Kubernetes. You will join the on-call rotation and build "
                "microservices."
            ),
        },
    }
}

MATCH_RESPONSE_EXAMPLES: dict[str, Any] = {
    "posting": {
        "summary": "`Postgres` in the notes supports the posting's `PostgreSQL`; Kafka and Kubernetes are gaps",
        "value": {
            "supported": [
                {"term": "PostgreSQL", "input_term": "postgres", "kind": "technology"},
                {"term": "on-call rotation", "input_term": "on call", "kind": "keyword"},
            ],
            "gaps": [
                {"term": "Kafka", "kind": "technology"},
                {"term": "Kubernetes", "kind": "technology"},
                {"term": "microservices", "kind": "keyword"},
            ],
        },
    }
}


@router.post(
    "/v1/questions",
    summary="Ask for the proof the notes lack",
    description=(
        "For each proof area the notes and evidence touch (api, data, performance, reliability, security, "
        "ownership, collaboration), the questions a reviewer would ask that the input does not answer yet, "
        "e.g. 'Which auth method was it?' is skipped when the notes name OAuth. Deterministic; the questions "
        "are for the engineer to answer, never answered for them."
    ),
    response_model=QuestionsResponse,
    responses=JSON_BODY_ERROR_RESPONSES,
)
def ask_questions(
    body: Annotated[QuestionsRequest, Body(openapi_examples=QUESTIONS_EXAMPLES)],
    settings: SettingsDep,
) -> QuestionsResponse:
    refuse_limit_errors(coach_limit_errors(body.notes, body.evidence, settings))
    questions = questions_for(body.notes, body.evidence_items())
    _log.info(
        "questions_asked",
        n_questions=len(questions),
        proof_areas=sorted({q.proof_area for q in questions}),
        n_evidence=len(body.evidence),
    )
    return QuestionsResponse(questions=[QuestionOut.from_question(q) for q in questions])


@router.post(
    "/v1/match",
    summary="Match the notes against a job posting, honestly",
    description=(
        "Finds the posting's technologies (the guard's vocabulary, aliases included) and backend keywords. "
        "`supported` lists those the notes or evidence state, with both wordings: a bullet may use the "
        "posting's word for them ('Postgres' -> 'PostgreSQL'). `gaps` lists the rest: for the user to read, "
        "never to be added to a bullet. Both lists follow the order of first mention in the posting."
    ),
    response_model=MatchResponse,
    responses={
        200: {"content": {"application/json": {"examples": MATCH_RESPONSE_EXAMPLES}}},
        **JSON_BODY_ERROR_RESPONSES,
    },
)
def match(
    body: Annotated[MatchRequest, Body(openapi_examples=MATCH_EXAMPLES)],
    settings: SettingsDep,
) -> MatchResponse:
    refuse_limit_errors(coach_limit_errors(body.notes, body.evidence, settings, body.job_description))
    result = match_posting(body.notes, body.evidence_items(), body.job_description)
    _log.info(
        "matched",
        n_supported=len(result.supported),
        n_gaps=len(result.gaps),
        n_evidence=len(body.evidence),
    )
    return MatchResponse.from_result(result)
