"""Request/response models of ``POST /v1/rewrite``.

Input fields reuse the ``/v1/verify`` models (evidence items, non-blank text) and its size limits;
the output reuses its violation model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from service.coach import MatchResult, Question, lint_bullet, questions_for
from service.contract.coach import MatchResponse, QuestionOut
from service.contract.models import (
    REQUEST_CONFIG,
    EditOut,
    EvidenceItemIn,
    NonBlankStr,
    Text,
    VerifyRequest,
    ViolationOut,
    WarningOut,
    _too_long,
    evidence_items,
    limit_errors,
)
from service.guard import Facts, Violation, extract_facts
from service.repair import Repair, repair
from service.rewrite.grounding import Grounding
from service.rewrite.pipeline import NOTES_SOURCE, RejectedBullet, RewriteResult
from service.rewrite.reply import ProofArea
from service.settings import Settings


class RewriteOptions(BaseModel):
    """How to rewrite: how many bullets, which prompt version and model, how much randomness."""

    model_config = REQUEST_CONFIG

    max_bullets: int = Field(default=3, ge=1, le=8, description="Most bullets to return (1-8).")
    prompt: Text | None = Field(
        default=None,
        description="Prompt version id (`v1`, `v2`, ...). Default: the newest. An unknown version is a 422.",
        examples=["v1"],
    )
    model: NonBlankStr | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description=(
            "LiteLLM model string, e.g. `openai/gpt-4o-mini`, from the service's `allowed_models` (default: its "
            "`model` and `fallback_models`); anything else is a 422. Default: the service's `model` setting."
        ),
    )
    temperature: float = Field(default=0.2, ge=0.0, le=2.0, description="Sampling temperature (0-2).")


class RewriteRequest(BaseModel):
    """Work notes, optional evidence and redaction terms, and rewrite options."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "notes": "helped debug a memory leak in the notification worker; wrote a runbook for restarts",
                    "evidence": [{"id": "PR-1423", "text": "Fix unbounded retry queue in notification worker"}],
                    "redact": ["Dana"],
                    "options": {"max_bullets": 2},
                }
            ]
        },
    )

    notes: NonBlankStr = Field(description="The engineer's own work notes: the source of truth.")
    evidence: list[EvidenceItemIn] = Field(
        default_factory=list,
        description=f"Optional supporting evidence; ids must be unique and must not be `{NOTES_SOURCE}`.",
    )
    redact: list[NonBlankStr] = Field(
        default_factory=list,
        description="Terms (names, codenames, customers): masked before the model sees the input, refused in bullets.",
    )
    options: RewriteOptions = Field(default_factory=RewriteOptions)
    job_description: NonBlankStr | None = Field(
        default=None,
        description=(
            "Optional job posting to tailor to: the response's `match` lists which of its technologies and "
            "keywords the notes support and which are gaps (never added). Limited like `notes`."
        ),
    )


def rewrite_limit_errors(request: RewriteRequest, settings: Settings) -> list[dict[str, Any]]:
    """The ``/v1/verify`` size limits (and unique evidence ids) applied to a rewrite request, plus the
    reserved source id ``notes``."""
    # Reuses verify's checks on the fields both requests share; the fields are already validated.
    shared = VerifyRequest.model_construct(
        notes=request.notes, evidence=request.evidence, redact=request.redact, bullets=[]
    )
    errors = limit_errors(shared, settings)
    if request.job_description is not None and len(request.job_description) > settings.max_notes_chars:
        errors.append(_too_long(("body", "job_description"), settings.max_notes_chars))
    for index, item in enumerate(request.evidence):
        if item.id == NOTES_SOURCE:
            errors.append(
                {
                    "loc": ("body", "evidence", index, "id"),
                    "msg": f"'{NOTES_SOURCE}' is reserved: it is the source id of the notes",
                    "type": "reserved_id",
                }
            )
    return errors


class _BulletBase(BaseModel):
    text: str = Field(description="The bullet.")
    sources: list[str] = Field(description="Ids of the inputs it rests on: `notes` and/or evidence ids.")
    proof_area: ProofArea = Field(description="What the bullet proves to a reader of backend resumes.")


def _violations_out(violations: Sequence[Violation]) -> list[ViolationOut]:
    return [
        ViolationOut(kind=v.kind, text=v.text, start=v.start, end=v.end, message=v.message, hint=v.hint)
        for v in violations
    ]


class BulletOut(_BulletBase):
    """An accepted bullet, polished: the guard found nothing in it the input does not support."""

    warnings: list[WarningOut] = Field(
        default_factory=list, description="Weak-bullet lint (non-blocking: the bullet is accepted)."
    )
    origin: Literal["model", "repaired", "fallback"] = Field(
        default="model",
        description=(
            "`model`: written by the model. `repaired`: the model's bullet was refused and the repair made it "
            "true (`original` and `original_violations` say what it was). `fallback`: the model gave nothing "
            "usable, and this is a sentence of the notes themselves."
        ),
    )
    original: str | None = Field(default=None, description="For a `repaired` bullet: the model's refused bullet.")
    original_violations: list[ViolationOut] = Field(
        default_factory=list, description="For a `repaired` bullet: why the model's bullet was refused."
    )


class RejectedBulletOut(_BulletBase):
    """A bullet the model wrote and the guard refused. Never to be used as is."""

    sources: list[str] = Field(description="The cited ids that exist in the request.")
    violations: list[ViolationOut] = Field(
        description=(
            "Why it was refused. For kind `source` (an id that is not in the request), `text` is the cited "
            "id and `start` = `end` = 0."
        )
    )

    suggestion: str | None = Field(
        default=None,
        description=(
            "The strongest true version of the bullet, as `/v1/verify` suggests it: accepted by the guard and "
            "resting on the input, made of the bullet's and the input's words; null when none can be made "
            "(or the refusal is about the cited sources only)."
        ),
    )
    edits: list[EditOut] = Field(
        default_factory=list, description="The word-level edits that make `suggestion` from `text`."
    )

    @classmethod
    def from_rejected(cls, bullet: RejectedBullet, check: _RepairCheck | None = None) -> RejectedBulletOut:
        """The refused bullet; with ``check`` (the request's facts and grounding), also its suggestion."""
        fix = None if check is None else check.repair(bullet.text)
        return cls(
            text=bullet.text,
            sources=list(bullet.sources),
            proof_area=bullet.proof_area,
            violations=_violations_out(bullet.violations),
            suggestion=None if fix is None else fix.suggestion,
            edits=[]
            if fix is None
            else [EditOut(start=e.start, end=e.end, replacement=e.replacement, kind=e.kind) for e in fix.edits],
        )


class _RepairCheck:
    """What a refused bullet's repair is checked against: the guard's facts of the request (through
    :func:`service.repair.repair`, which keeps a repair only when the guard accepts it) and the grounding
    the rewrite checks every bullet with, so a suggestion would pass the same checks as a model bullet."""

    def __init__(self, facts: Facts, texts: Sequence[str]) -> None:
        self.facts = facts
        self.grounding = Grounding(texts)

    def repair(self, text: str) -> Repair | None:
        fix = repair(text, self.facts)
        if fix is None or self.grounding.check(fix.suggestion):
            return None
        return fix


class UsageOut(BaseModel):
    prompt_tokens: int = Field(description="Prompt tokens over all attempts.")
    completion_tokens: int = Field(description="Completion tokens over all attempts.")
    cost_usd: float | None = Field(description="Cost over all attempts, when the provider's prices are known.")


class RewriteResponse(BaseModel):
    """Accepted bullets (possibly none), and what was refused and why. Nothing is made up on failure."""

    bullets: list[BulletOut] = Field(description="Accepted bullets, at most `options.max_bullets`.")
    rejected: list[RejectedBulletOut] = Field(description="Bullets the guard refused, with their violations.")
    reply_errors: list[str] = Field(
        description="Why the last reply that was not valid JSON for the reply schema was unusable (empty if none)."
    )
    attempts: int = Field(description="LLM calls made (1 + re-asks).")
    model: str = Field(description="The model that answered.")
    prompt_version: str = Field(description="The prompt version used.")
    usage: UsageOut
    request_id: str | None = Field(description="Id of the request (also in the `X-Request-ID` header).")
    questions: list[QuestionOut] = Field(
        default_factory=list,
        description="Missing-proof questions about the notes and evidence: answering them makes bullets stronger.",
    )
    match: MatchResponse | None = Field(
        default=None, description="How the notes meet `job_description` (null when no posting was given)."
    )

    @classmethod
    def from_result(
        cls,
        result: RewriteResult,
        request_id: str | None,
        request: RewriteRequest | None = None,
        posting: MatchResult | None = None,
        asked: Sequence[Question] | None = None,
        facts: Facts | None = None,
    ) -> RewriteResponse:
        """The response for ``result``; with the ``request``, also its questions (``asked``, when the
        caller has them already) and each refused bullet's suggestion (checked against ``facts``, the
        request's facts, read here when not given); with ``posting`` (the request's posting match, as given
        to the pipeline), also ``match``."""
        check = None
        if request is not None and result.rejected:
            evidence = evidence_items(request.evidence)
            if facts is None:
                facts = extract_facts(request.notes, evidence, request.redact)
            check = _RepairCheck(facts, [request.notes, *(item.text for item in evidence)])
        questions: list[QuestionOut] = []
        if asked is not None:
            questions = [QuestionOut.from_question(q) for q in asked]
        elif request is not None:
            questions = [
                QuestionOut.from_question(q) for q in questions_for(request.notes, evidence_items(request.evidence))
            ]
        match = None if posting is None else MatchResponse.from_result(posting)
        return cls(
            bullets=[
                BulletOut(
                    text=b.text,
                    sources=list(b.sources),
                    proof_area=b.proof_area,
                    warnings=[WarningOut.from_warning(w) for w in lint_bullet(b.text)],
                    origin=b.origin,
                    original=b.original,
                    original_violations=_violations_out(b.original_violations),
                )
                for b in result.bullets
            ],
            rejected=[RejectedBulletOut.from_rejected(r, check) for r in result.rejected],
            reply_errors=list(result.reply_errors),
            attempts=result.attempts,
            model=result.model,
            prompt_version=result.prompt_version,
            usage=UsageOut(
                prompt_tokens=result.usage.prompt_tokens,
                completion_tokens=result.usage.completion_tokens,
                cost_usd=result.usage.cost_usd,
            ),
            request_id=request_id,
            questions=questions,
            match=match,
        )
