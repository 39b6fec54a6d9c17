"""Request/response models of the HTTP API (and the CLI, which speaks the same contract).

The models hold the *fixed* rules (types, required fields, the evidence id pattern, non-blank text).
Size limits come from :class:`~service.settings.Settings` at request time - see :func:`limit_errors` -
so they can be tuned per deployment (and shrunk in tests) without touching the models.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from service.coach import LintWarning
from service.guard import BulletResult, EvidenceItem
from service.repair import Edit
from service.settings import Settings

EVIDENCE_ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"


# A lone surrogate ("\ud800" as a JSON escape) is no text: it cannot be encoded, so a response quoting it
# could not be sent. Refused at the edge, in every string of a request (422).
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def _unicode(value: str) -> str:
    if _SURROGATE_RE.search(value):
        raise ValueError("must be valid Unicode text (it holds a lone surrogate)")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty or only whitespace")
    return _unicode(value)


NonBlankStr = Annotated[str, AfterValidator(_not_blank)]
Text = Annotated[str, AfterValidator(_unicode)]
# Request models are strict: `"3"`, `true` or `"0.2"` is not a number (no silent coercion).
REQUEST_CONFIG = ConfigDict(extra="forbid", strict=True)


class EvidenceItemIn(BaseModel):
    """A piece of evidence (ticket, PR description, design doc excerpt) the bullets may draw on."""

    model_config = REQUEST_CONFIG

    id: str = Field(
        pattern=EVIDENCE_ID_PATTERN,
        description="Caller-chosen id, unique within the request (letters, digits, `_ . : -`; 1-64).",
        examples=["PR-1423"],
    )
    text: Text = Field(description="The evidence text.", examples=["Fix heap growth in notification worker"])


def evidence_items(items: Sequence[EvidenceItemIn]) -> list[EvidenceItem]:
    """A request's ``evidence`` as the guard's evidence items."""
    return [EvidenceItem(id=item.id, text=item.text) for item in items]


class VerifyRequest(BaseModel):
    """Work notes, optional evidence and redaction terms, and the bullets to check against them."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "notes": "helped debug a memory leak in the notification worker",
                    "evidence": [],
                    "redact": [],
                    "bullets": [
                        "Helped debug a memory leak in the notification worker.",
                        "Led a 70% cut in memory use across all services.",
                    ],
                }
            ]
        },
    )

    notes: NonBlankStr = Field(description="The engineer's own work notes: the source of truth.")
    evidence: list[EvidenceItemIn] = Field(
        default_factory=list, description="Optional supporting evidence; ids must be unique."
    )
    redact: list[NonBlankStr] = Field(
        default_factory=list, description="Terms (names, codenames, customers) that must not appear."
    )
    bullets: list[NonBlankStr] = Field(min_length=1, description="Resume bullets to check, in order. At least one.")


ViolationKindOut = Literal["metric", "tool", "ownership", "scope", "outcome", "redacted", "source"]


class ViolationOut(BaseModel):
    """One unsupported claim in a bullet; ``start``/``end`` are character offsets into the bullet."""

    kind: ViolationKindOut = Field(description="Which rule the span breaks.")
    text: str = Field(description="The offending span, equal to `bullet[start:end]`.")
    start: int = Field(ge=0, description="Start offset (inclusive) in the bullet, in characters.")
    end: int = Field(ge=0, description="End offset (exclusive) in the bullet, in characters.")
    message: str = Field(description="Why the span is not supported by the notes or evidence.")
    hint: str = Field(description="How to rewrite the bullet so it stays true.")


class WarningOut(BaseModel):
    """A weak span of a bullet, as a reviewer reads it; ``start``/``end`` are character offsets into the
    bullet. Advice only: a warning never changes a verdict."""

    code: str = Field(
        description=(
            "Rule id: `vague-verb`, `responsible-for`, `vague-quantifier`, `unquantified-scale`, "
            "`unspecified-security`, `generic-api`, `generic-data`, `unnamed-services`, "
            "`unmeasured-improvement`, `skills-list` or `repeated-word`."
        ),
        examples=["vague-verb"],
    )
    text: str = Field(description="The weak span, equal to `bullet[start:end]`.")
    start: int = Field(ge=0, description="Start offset (inclusive) in the bullet, in characters.")
    end: int = Field(ge=0, description="End offset (exclusive) in the bullet, in characters.")
    message: str = Field(description="Why a reviewer reads the span as weak.")
    fix: str = Field(description="The proof that would fix it (only if the notes state it).")

    @classmethod
    def from_warning(cls, w: LintWarning) -> WarningOut:
        return cls(code=w.code, text=w.text, start=w.start, end=w.end, message=w.message, fix=w.fix)


EditKindOut = Literal["metric", "tool", "ownership", "scope", "outcome", "redacted", "source", "polish"]


class EditOut(BaseModel):
    """One word-level change of a suggestion: `bullet[start:end]` becomes `replacement`. Applied from the
    last to the first, the edits turn the bullet into the suggestion."""

    start: int = Field(ge=0, description="Start offset (inclusive) in the bullet, in characters.")
    end: int = Field(ge=0, description="End offset (exclusive) in the bullet, in characters.")
    replacement: str = Field(description="The text that takes the place of `bullet[start:end]` (may be empty).")
    kind: EditKindOut = Field(description="The kind of violation the edit mends, or `polish`.")


class BulletResultOut(BaseModel):
    """The guard's verdict on one bullet."""

    bullet: str = Field(description="The bullet as submitted.")
    verdict: Literal["accepted", "rejected"] = Field(description="`rejected` if any violation was found.")
    violations: list[ViolationOut] = Field(description="Empty when accepted.")
    warnings: list[WarningOut] = Field(
        default_factory=list, description="Weak-bullet lint (non-blocking; never changes the verdict)."
    )
    suggestion: str | None = Field(
        default=None,
        description=(
            "For a rejected bullet: the strongest true version of it (accepted by the guard against the same "
            "input, made of the bullet's and the input's words), or null when none can be made. For an "
            "accepted bullet: the bullet polished, or null when polish changes nothing."
        ),
    )
    edits: list[EditOut] = Field(
        default_factory=list, description="The word-level edits that make `suggestion` from `bullet`."
    )

    @classmethod
    def from_result(
        cls,
        result: BulletResult,
        warnings: Sequence[LintWarning] = (),
        suggestion: str | None = None,
        edits: Sequence[Edit] = (),
    ) -> BulletResultOut:
        return cls(
            suggestion=suggestion,
            edits=[EditOut(start=e.start, end=e.end, replacement=e.replacement, kind=e.kind) for e in edits],
            bullet=result.bullet,
            verdict=result.verdict,
            violations=[
                ViolationOut(kind=v.kind, text=v.text, start=v.start, end=v.end, message=v.message, hint=v.hint)
                for v in result.violations
            ],
            warnings=[WarningOut.from_warning(w) for w in warnings],
        )


class VerifyResponse(BaseModel):
    """One result per submitted bullet, in the order submitted."""

    results: list[BulletResultOut]


def _too_long(loc: tuple[str | int, ...], limit: int, what: str = "characters") -> dict[str, Any]:
    return {
        "loc": loc,
        "msg": f"Must have at most {limit} {what}",
        "type": "string_too_long" if what == "characters" else "too_long",
    }


def limit_errors(request: VerifyRequest, settings: Settings) -> list[dict[str, Any]]:
    """Errors (FastAPI/pydantic error shape, ``loc`` starting with ``body``) for limit breaches.

    Also checks what a JSON Schema cannot express: evidence ids must be unique.
    """
    errors: list[dict[str, Any]] = []
    if len(request.notes) > settings.max_notes_chars:
        errors.append(_too_long(("body", "notes"), settings.max_notes_chars))

    errors += _list_errors("bullets", request.bullets, settings.max_bullets, settings.max_bullet_chars)
    errors += _list_errors("redact", request.redact, settings.max_redact_terms, settings.max_redact_term_chars)

    if len(request.evidence) > settings.max_evidence_items:
        errors.append(_too_long(("body", "evidence"), settings.max_evidence_items, "items"))
    seen: set[str] = set()
    for index, item in enumerate(request.evidence):
        if len(item.text) > settings.max_evidence_chars:
            errors.append(_too_long(("body", "evidence", index, "text"), settings.max_evidence_chars))
        if item.id in seen:
            errors.append(
                {
                    "loc": ("body", "evidence", index, "id"),
                    "msg": "Evidence ids must be unique; this id is already used by an earlier item",
                    "type": "duplicate_id",
                }
            )
        seen.add(item.id)
    return errors


def _list_errors(field: str, values: Sequence[str], max_items: int, max_chars: int) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    if len(values) > max_items:
        errors.append(_too_long(("body", field), max_items, "items"))
    for index, value in enumerate(values):
        if len(value) > max_chars:
            errors.append(_too_long(("body", field, index), max_chars))
    return errors


class FieldError(BaseModel):
    """Where a request broke a rule. The submitted value is never echoed back."""

    loc: list[str | int] = Field(description='Path to the offending value, e.g. `["body", "bullets", 2]`.')
    msg: str = Field(description="What rule the value breaks.")
    type: str = Field(description="Machine-readable error type, e.g. `string_too_long`.")


class Problem(BaseModel):
    """RFC 9457 problem details (`application/problem+json`)."""

    type: str = Field(description="URI identifying the problem type, `urn:bulletguard:problem:<slug>`.")
    title: str = Field(description="Short, human-readable summary of the problem type.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="Human-readable explanation of this occurrence.")
    instance: str = Field(description="The request path.")
    request_id: str | None = Field(description="Id of the request (also in the `X-Request-ID` header).")


class ValidationProblem(Problem):
    """A problem with per-field errors (422, and 400 for malformed JSON)."""

    errors: list[FieldError] = Field(description="One entry per broken rule.")
