"""The one place that turns a validated rewrite request into a pipeline run (shared by ``/v1/rewrite``
and the chat-ops slash commands), so both call :func:`service.rewrite.pipeline.rewrite` with the same settings."""

from __future__ import annotations

from service.coach import MatchResult, match_posting
from service.contract.models import evidence_items
from service.contract.rewrite import RewriteRequest
from service.rewrite.pipeline import RewriteResult, rewrite
from service.rewrite.port import LLMClient
from service.settings import Settings


def posting_match(request: RewriteRequest) -> MatchResult | None:
    """What the request's ``job_description`` shares with its notes and evidence (``None`` without one)."""
    if request.job_description is None:
        return None
    return match_posting(request.notes, evidence_items(request.evidence), request.job_description, request.redact)


async def run_rewrite(
    llm: LLMClient, request: RewriteRequest, settings: Settings, posting: MatchResult | None = None
) -> RewriteResult:
    """Rewrite ``request``'s notes with ``llm``; model, limits and time budget come from ``settings``
    unless the request's options say otherwise. ``posting``: :func:`posting_match` of the request, whose
    supported terms go into the prompt (never its gaps). LLM transport errors
    (``service.rewrite.llm.errors``) propagate."""
    options = request.options
    posting_terms = [] if posting is None else [(term.term, term.input_term) for term in posting.supported]
    return await rewrite(
        llm,
        request.notes,
        evidence_items(request.evidence),
        request.redact,
        model=options.model or settings.model,
        max_bullets=options.max_bullets,
        max_reasks=settings.max_reasks,
        prompt_version=options.prompt,
        temperature=options.temperature,
        timeout=settings.llm_timeout_s,
        budget_s=settings.rewrite_timeout_s,
        posting_terms=posting_terms,
    )
