"""The one place that turns a validated request into guard verdicts (shared by the API and the CLI)."""

from __future__ import annotations

from service.coach import lint_bullet
from service.contract.models import BulletResultOut, VerifyRequest, VerifyResponse, evidence_items
from service.guard import analyse_bullet, check_bullet, extract_facts


def run_verify(request: VerifyRequest) -> VerifyResponse:
    """Extract the facts once, then check every bullet against them; results keep the bullet order.
    Each result also carries the bullet's weak-bullet warnings (which never change its verdict)."""
    facts = extract_facts(
        request.notes,
        evidence_items(request.evidence),
        request.redact,
    )
    results: list[BulletResultOut] = []
    for bullet in request.bullets:
        analysis = analyse_bullet(bullet)  # read once, for the guard and the lint
        verdict = check_bullet(bullet, facts, analysis)
        results.append(BulletResultOut.from_result(verdict, lint_bullet(bullet, analysis)))
    return VerifyResponse(results=results)
