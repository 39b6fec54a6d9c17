"""The one place that turns a validated rewrite request into a pipeline run (shared by ``/v1/rewrite``
and the chat-ops slash commands), so both call :func:`service.pipeline.rewrite` with the same settings."""

from __future__ import annotations

from service.coach import match_posting
from service.guard import EvidenceItem
from service.pipeline import LLMClient, RewriteResult, rewrite
from service.schemas_rewrite import RewriteRequest
from service.settings import Settings


async def run_rewrite(llm: LLMClient, request: RewriteRequest, settings: Settings) -> RewriteResult:
    """Rewrite ``request``'s notes with ``llm``; model, limits and time budget come from ``settings``
    unless the request's options say otherwise. With a ``job_description``, the posting's terms that the
    input supports go into the prompt (never its gaps). LLM transport errors (``service.errors``) propagate."""
    options = request.options
    evidence = [EvidenceItem(id=item.id, text=item.text) for item in request.evidence]
    posting_terms: list[tuple[str, str]] = []
    if request.job_description:
        matched = match_posting(request.notes, evidence, request.job_description, request.redact)
        posting_terms = [(term.term, term.input_term) for term in matched.supported]
    return await rewrite(
        llm,
        request.notes,
        evidence,
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
