"""``POST /v1/check-edit``: what an edit of a resume added that the earlier version, the notes and the
evidence do not support. Both versions come inline: JSON Resume objects, or the text of a JSON Resume,
RenderCV YAML or Markdown resume."""

from __future__ import annotations

from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Body
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool

from service.contract.check_edit import ResumeInputError, run_check_edit
from service.contract.models import ValidationProblem
from service.contract.resume import CHECK_EDIT_EXAMPLES, CheckEditRequest, ResumeCheckResponse, check_edit_limit_errors
from service.http.deps import SettingsDep
from service.http.routes._shared import JSON_BODY_ERROR_RESPONSES, problem_doc, refuse_limit_errors

router = APIRouter(tags=["resume"])
_log = structlog.get_logger("bulletguard.check_edit")

_VIOLATIONS = [
    {
        "kind": "ownership",
        "text": "Led",
        "start": 0,
        "end": 3,
        "message": "'Led' claims led-level ownership; the input supports only contributed-level.",
        "hint": "The notes say 'Helped'; use 'helped' or a weaker verb.",
    },
    {
        "kind": "metric",
        "text": "70%",
        "start": 6,
        "end": 9,
        "message": "'70%' is a percentage the input does not state.",
        "hint": "The input states no figures: remove '70%', or ask the engineer for the measured value.",
    },
]

RESPONSE_EXAMPLES: dict[str, Any] = {
    "rejected": {
        "summary": "One highlight rewritten with a claim the earlier version does not make; one unchanged",
        "value": {
            "format": "json-resume",
            "verdict": "rejected",
            "summary": {"entries": 1, "bullets": 2, "unchanged": 1, "accepted": 0, "rejected": 1},
            "entries": [
                {
                    "section": "work",
                    "name": "Acme — Backend Engineer",
                    "line": None,
                    "before": "Acme — Backend Engineer",
                    "paired_by": "name",
                    "bullets": [
                        {
                            "text": "Led a 70% cut in memory use in the notification worker.",
                            "line": None,
                            "verdict": "rejected",
                            "violations": _VIOLATIONS,
                        },
                        {
                            "text": "Wrote a runbook for worker restarts.",
                            "line": None,
                            "verdict": "unchanged",
                            "violations": [],
                        },
                    ],
                }
            ],
        },
    }
}


@router.post(
    "/v1/check-edit",
    summary="Check what an edit added to a resume",
    description=(
        "Reads both versions of a resume, pairs each entry of `after` with its entry in `before` (same "
        "organization and title, then same organization, then the same place in its section), and runs the "
        "truthfulness guard on every changed bullet against that entry's earlier text (its bullets and "
        "summary) plus any `notes` and `evidence`. Bullets the entry already had are `unchanged` and not "
        "judged again. `line` is the bullet's line in the text (null for a JSON object). A version that is "
        "not a valid resume of its format is a 422 naming the field (`before` or `after`) and what is wrong."
    ),
    response_model=ResumeCheckResponse,
    responses={
        200: {"content": {"application/json": {"examples": RESPONSE_EXAMPLES}}},
        **JSON_BODY_ERROR_RESPONSES,
        422: problem_doc(
            "A field is missing, has the wrong type or breaks a limit, or a version is not a valid resume.",
            ValidationProblem,
        ),
    },
)
async def check_edit(
    body: Annotated[CheckEditRequest, Body(openapi_examples=CHECK_EDIT_EXAMPLES)],
    settings: SettingsDep,
) -> ResumeCheckResponse:
    refuse_limit_errors(check_edit_limit_errors(body, settings))
    try:
        # parsing and the guard take milliseconds on a resume: off the event loop
        response = await run_in_threadpool(run_check_edit, body)
    except ResumeInputError as exc:
        raise RequestValidationError([exc.as_error()]) from None
    summary = response.summary
    _log.info(
        "edit_checked",
        format=response.format,
        n_entries=summary.entries,
        n_bullets=summary.bullets,
        n_unchanged=summary.unchanged,
        n_rejected=summary.rejected,
        n_evidence=len(body.evidence),
        has_notes=body.notes is not None,
    )
    return response
