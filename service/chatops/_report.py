"""What a slash-command reply says, independent of the chat platform that renders it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from service.coach import Question
from service.contract.models import VerifyResponse
from service.rewrite.pipeline import RewriteResult


@dataclass(frozen=True, slots=True)
class Finding:
    """One reason a bullet was refused: the violation's kind, its span (or cited id) and its message."""

    kind: str
    text: str
    message: str


@dataclass(frozen=True, slots=True)
class Refused:
    text: str
    findings: tuple[Finding, ...]
    suggestion: str | None = None  # the repair: the strongest true version of the bullet, when there is one


@dataclass(frozen=True, slots=True)
class Report:
    """Accepted bullets first, then the refused ones with what each claimed beyond the input."""

    title: str
    accepted: tuple[str, ...]
    refused: tuple[Refused, ...]
    summary: str  # counts and ids only (model, prompt version): shown small, below the bullets
    empty_note: str | None = None  # why nothing was accepted, when nothing was
    questions: tuple[str, ...] = ()  # missing proof worth adding to the notes ("api: How many endpoints…?")


def report_from_rewrite(result: RewriteResult, questions: Sequence[Question] = ()) -> Report:
    refused = tuple(
        Refused(r.text, tuple(Finding(v.kind, v.text, v.message) for v in r.violations)) for r in result.rejected
    )
    empty_note = None
    if not result.bullets:
        if result.reply_errors and not result.rejected:
            empty_note = (
                "The model's replies could not be used (not the JSON shape it was asked for), so there are no "
                "bullets. Nothing was made up; try again, or with more detailed notes."
            )
        else:
            empty_note = (
                "No bullet survived the guard: every one claimed something your notes and evidence do not "
                "state. Add the missing facts to your notes if they are true, and try again."
            )
    attempts = f"{result.attempts} attempt{'s' if result.attempts != 1 else ''}"
    return Report(
        title="Guarded bullets",
        accepted=tuple(b.text for b in result.bullets),
        refused=refused,
        summary=(
            f"{len(result.bullets)} accepted · {len(refused)} refused · model {result.model} · "
            f"prompt {result.prompt_version} · {attempts}"
        ),
        empty_note=empty_note,
        questions=tuple(f"{q.proof_area}: {q.question}" for q in questions),
    )


def report_from_verify(response: VerifyResponse) -> Report:
    accepted = tuple(r.bullet for r in response.results if r.verdict == "accepted")
    refused = tuple(
        Refused(r.bullet, tuple(Finding(v.kind, v.text, v.message) for v in r.violations), r.suggestion)
        for r in response.results
        if r.verdict == "rejected"
    )
    return Report(
        title="Checked bullets",
        accepted=accepted,
        refused=refused,
        summary=f"{len(accepted)} accepted · {len(refused)} refused · checked by the truthfulness guard",
        empty_note=None if accepted else "None of your bullets is fully backed by your notes and evidence.",
    )
