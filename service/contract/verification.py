"""The one place that turns a validated request into guard verdicts (shared by the API and the CLI)."""

from __future__ import annotations

from service.coach import lint_bullet
from service.contract.models import BulletResultOut, VerifyRequest, VerifyResponse, evidence_items
from service.guard import BulletResult, Facts, analyse_bullet, check_bullet, extract_facts
from service.repair import Edit, edits_between, polish, repair


def run_verify(request: VerifyRequest) -> VerifyResponse:
    """Extract the facts once, then check every bullet against them; results keep the bullet order.
    Each result also carries the bullet's weak-bullet warnings (which never change its verdict) and its
    suggestion: the repair of a rejected bullet, the polish of an accepted one (see :func:`suggest`)."""
    facts = extract_facts(
        request.notes,
        evidence_items(request.evidence),
        request.redact,
    )
    results: list[BulletResultOut] = []
    for bullet in request.bullets:
        analysis = analyse_bullet(bullet)  # read once, for the guard and the lint
        verdict = check_bullet(bullet, facts, analysis)
        suggestion, edits = suggest(verdict, facts)
        results.append(BulletResultOut.from_result(verdict, lint_bullet(bullet, analysis), suggestion, edits))
    return VerifyResponse(results=results)


def suggest(result: BulletResult, facts: Facts) -> tuple[str | None, tuple[Edit, ...]]:
    """A rejected bullet's repair, or an accepted bullet polished; ``(None, ())`` when there is none
    (no true repair, or nothing to polish)."""
    if result.accepted:
        polished = polish(result.bullet, facts)
        if polished == result.bullet:
            return None, ()
        return polished, edits_between(result.bullet, polished)
    fix = repair(result.bullet, facts, result)
    if fix is None:
        return None, ()
    return fix.suggestion, fix.edits
