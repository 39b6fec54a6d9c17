"""Request/response models of the proof-coaching endpoints (``POST /v1/questions``, ``POST /v1/match``),
also used by ``/v1/rewrite`` (``questions``, ``match``) and the CLI.

Input fields reuse the ``/v1/verify`` models (evidence items, non-blank text) and its size limits; a
``job_description`` is limited like the notes (``max_notes_chars``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from service.coach import MatchResult, Question
from service.coach.questions import ProofArea
from service.contract.models import (
    EvidenceItemIn,
    NonBlankStr,
    VerifyRequest,
    WarningOut,
    _too_long,
    evidence_items,
    limit_errors,
)
from service.guard import EvidenceItem
from service.settings import Settings

_NOTES = "moved the session store to postgres; added an index on user_id; on call for the auth service"
_POSTING = (
    "Backend engineer: PostgreSQL, Kafka, Kubernetes. You will join the on-call rotation and build microservices."
)


class QuestionsRequest(BaseModel):
    """Work notes and optional evidence to ask missing-proof questions about."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"examples": [{"notes": _NOTES, "evidence": []}]},
    )

    notes: NonBlankStr = Field(description="The engineer's own work notes.")
    evidence: list[EvidenceItemIn] = Field(
        default_factory=list, description="Optional supporting evidence; ids must be unique."
    )

    def evidence_items(self) -> list[EvidenceItem]:
        return evidence_items(self.evidence)


class QuestionOut(BaseModel):
    """A question whose answer would make a bullet stronger, and that the input does not answer yet."""

    proof_area: ProofArea = Field(description="The proof area the question is about.")
    question: str = Field(description="The question to ask the engineer.")
    why: str = Field(description="Why a reviewer wants this answered.")

    @classmethod
    def from_question(cls, q: Question) -> QuestionOut:
        return cls(proof_area=q.proof_area, question=q.question, why=q.why)


class QuestionsResponse(BaseModel):
    """The unanswered questions of each proof area the input touches; areas in a fixed order
    (api, data, performance, reliability, security, ownership, collaboration)."""

    questions: list[QuestionOut]


class MatchRequest(QuestionsRequest):
    """Work notes, optional evidence, and the job posting to tailor to."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"examples": [{"notes": _NOTES, "evidence": [], "job_description": _POSTING}]},
    )

    job_description: NonBlankStr = Field(description="The job posting's text.")


TermKind = Literal["technology", "keyword"]


class SupportedTermOut(BaseModel):
    """A posting term the input supports: a bullet may use the posting's wording for it."""

    term: str = Field(description="The posting's wording, e.g. `PostgreSQL`.")
    input_term: str = Field(description="The input's wording for the same thing, e.g. `postgres`.")
    kind: TermKind = Field(description="`technology` (the guard's vocabulary) or `keyword` (backend keywords).")


class GapOut(BaseModel):
    """A posting term the input does not support: for the user to read, never added to a bullet."""

    term: str = Field(description="The posting's wording.")
    kind: TermKind = Field(description="`technology` or `keyword`.")


class MatchResponse(BaseModel):
    """The posting's technologies and keywords, split into supported ones and gaps, each in the order
    the posting first mentions them."""

    supported: list[SupportedTermOut]
    gaps: list[GapOut]

    @classmethod
    def from_result(cls, result: MatchResult) -> MatchResponse:
        return cls(
            supported=[SupportedTermOut(term=s.term, input_term=s.input_term, kind=s.kind) for s in result.supported],
            gaps=[GapOut(term=g.term, kind=g.kind) for g in result.gaps],
        )


def coach_limit_errors(
    notes: str, evidence: list[EvidenceItemIn], settings: Settings, job_description: str | None = None
) -> list[dict[str, Any]]:
    """The ``/v1/verify`` limits on notes and evidence (and unique evidence ids); a job description
    may be as long as the notes."""
    shared = VerifyRequest.model_construct(notes=notes, evidence=evidence, redact=[], bullets=[])
    errors = limit_errors(shared, settings)
    if job_description is not None and len(job_description) > settings.max_notes_chars:
        errors.append(_too_long(("body", "job_description"), settings.max_notes_chars))
    return errors


class LintResultOut(BaseModel):
    """The weak-bullet warnings of one bullet (``bulletguard lint --json``)."""

    bullet: str = Field(description="The bullet as given.")
    warnings: list[WarningOut] = Field(description="Empty when the lint finds nothing weak.")


class LintResponse(BaseModel):
    """One result per bullet, in the order given."""

    results: list[LintResultOut]
