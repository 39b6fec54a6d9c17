"""Request/response models of ``POST /v1/check-edit`` (and of ``bulletguard check-edit --json``,
``bulletguard verify --resume --json`` and the MCP tool ``check_edit``, which answer the same shape).

Input fields reuse the ``/v1/verify`` models (evidence items, non-blank text) and its limits on notes,
evidence and redaction terms; each resume version is bounded by the request body limit.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from service.contract.models import EvidenceItemIn, NonBlankStr, VerifyRequest, ViolationOut, limit_errors
from service.resume import BulletCheck, BulletVerdict, EntryCheck, PairedBy, ResumeCheck, ResumeFormat
from service.settings import Settings

_BEFORE: dict[str, Any] = {
    "work": [
        {
            "name": "Acme",
            "position": "Backend Engineer",
            "highlights": [
                "Helped debug a memory leak in the notification worker.",
                "Wrote a runbook for worker restarts.",
            ],
        }
    ]
}
_AFTER: dict[str, Any] = {
    "work": [
        {
            "name": "Acme",
            "position": "Backend Engineer",
            "highlights": [
                "Led a 70% cut in memory use in the notification worker.",
                "Wrote a runbook for worker restarts.",
            ],
        }
    ]
}
_MARKDOWN_BEFORE = "## Acme — Backend Engineer\n\n- Added retries with backoff to the webhook sender.\n"
_MARKDOWN_AFTER = "## Acme — Backend Engineer\n\n- Added retries with backoff to the webhook sender in Go.\n"

CHECK_EDIT_EXAMPLES: dict[str, Any] = {
    "json-resume": {
        "summary": "Two JSON Resume objects: one highlight rewritten, one unchanged",
        "value": {"before": _BEFORE, "after": _AFTER},
    },
    "markdown": {
        "summary": "Two Markdown texts, with notes the edit may also draw on",
        "value": {
            "before": _MARKDOWN_BEFORE,
            "after": _MARKDOWN_AFTER,
            "notes": "the webhook sender is a Go service",
        },
    },
}


class CheckEditRequest(BaseModel):
    """Two versions of a resume (before and after an edit), and optional notes, evidence and redaction terms
    that a changed bullet may also draw on."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [CHECK_EDIT_EXAMPLES["json-resume"]["value"]]}
    )

    before: dict[str, Any] | NonBlankStr = Field(
        description=(
            "The resume before the edit: a JSON Resume object, or the text of a JSON Resume, RenderCV YAML or "
            "Markdown resume."
        )
    )
    after: dict[str, Any] | NonBlankStr = Field(description="The resume after the edit, in the same format.")
    format: ResumeFormat | None = Field(
        default=None,
        description=(
            "The resumes' format. Default: an object is JSON Resume; a text starting with `{` is JSON Resume, "
            "YAML with a top-level `cv` key is RenderCV, anything else Markdown."
        ),
    )
    notes: NonBlankStr | None = Field(
        default=None, description="Optional work notes: a changed bullet may claim what they state."
    )
    evidence: list[EvidenceItemIn] = Field(
        default_factory=list, description="Optional supporting evidence; ids must be unique."
    )
    redact: list[NonBlankStr] = Field(
        default_factory=list, description="Terms (names, codenames, customers) that no changed bullet may contain."
    )


def check_edit_limit_errors(request: CheckEditRequest, settings: Settings) -> list[dict[str, Any]]:
    """The ``/v1/verify`` limits on notes, evidence and redaction terms (and unique evidence ids)."""
    shared = VerifyRequest.model_construct(
        notes=request.notes or "", evidence=request.evidence, redact=request.redact, bullets=[]
    )
    return limit_errors(shared, settings)


class ResumeBulletOut(BaseModel):
    """One bullet of the resume (after the edit) and its verdict."""

    text: str = Field(description="The bullet as the guard read it (inline Markdown as plain text).")
    line: int | None = Field(description="Its 1-based line in the file; null for a JSON object sent without text.")
    verdict: BulletVerdict = Field(
        description=(
            "`unchanged` (the entry had this bullet before the edit: not judged again), `accepted` or "
            "`rejected` (a claim that the entry's earlier text, the notes and the evidence do not support)."
        )
    )
    violations: list[ViolationOut] = Field(description="Why it was rejected; empty otherwise.")

    @classmethod
    def from_check(cls, check: BulletCheck) -> ResumeBulletOut:
        return cls(
            text=check.bullet.text,
            line=check.bullet.line,
            verdict=check.verdict,
            violations=[
                ViolationOut(kind=v.kind, text=v.text, start=v.start, end=v.end, message=v.message, hint=v.hint)
                for v in check.violations
            ],
        )


class ResumeEntryOut(BaseModel):
    """One entry of the resume (a job, a project, a volunteer role, a heading) and its bullets' verdicts."""

    section: str = Field(
        description="The section it is in: `work`, `projects`, `volunteer`, a RenderCV section "
        "title, or a Markdown entry's parent heading."
    )
    name: str = Field(description="The entry's name: organization and title, e.g. `Acme — Backend Engineer`.")
    line: int | None = Field(description="The 1-based line where the entry starts; null without a text.")
    before: str | None = Field(
        description="The name of the entry it was compared with (null: a new entry, or a check against notes only)."
    )
    paired_by: PairedBy = Field(
        description=(
            "How it was paired with the earlier version: `name` (same organization and title), `organization` "
            "(same organization, title changed), `position` (same place in the section's list) or `none`."
        )
    )
    bullets: list[ResumeBulletOut]

    @classmethod
    def from_check(cls, check: EntryCheck) -> ResumeEntryOut:
        return cls(
            section=check.entry.section,
            name=check.entry.name,
            line=check.entry.line,
            before=check.before.name if check.before is not None else None,
            paired_by=check.paired_by,
            bullets=[ResumeBulletOut.from_check(b) for b in check.bullets],
        )


class ResumeSummaryOut(BaseModel):
    entries: int = Field(description="Entries with bullets.")
    bullets: int = Field(description="Bullets in all.")
    unchanged: int
    accepted: int
    rejected: int


class ResumeCheckResponse(BaseModel):
    """Per entry, per bullet, the verdict. `verdict` is `rejected` when any bullet is rejected."""

    format: ResumeFormat = Field(description="The format the resumes were read as.")
    verdict: Literal["accepted", "rejected"] = Field(description="`rejected` when any bullet is rejected.")
    summary: ResumeSummaryOut
    entries: list[ResumeEntryOut]

    @classmethod
    def from_check(cls, check: ResumeCheck) -> ResumeCheckResponse:
        entries = [ResumeEntryOut.from_check(e) for e in check.entries]
        return cls(
            format=check.format,
            verdict="rejected" if check.rejected else "accepted",
            summary=ResumeSummaryOut(
                entries=len(entries),
                bullets=sum(len(e.bullets) for e in entries),
                unchanged=check.count("unchanged"),
                accepted=check.count("accepted"),
                rejected=check.count("rejected"),
            ),
            entries=entries,
        )
