"""The one place that turns a validated rewrite request into a pipeline run (shared by ``/v1/rewrite``
and the chat-ops slash commands), so both call :func:`service.rewrite.pipeline.rewrite` with the same settings.

The notes are read once per rewrite (:func:`read_request`: the guard's facts, the posting match and the
missing-proof questions all come from one reading), and that reading is CPU work: callers on the event
loop run it in a worker thread (:func:`run_rewrite` does).
"""

from __future__ import annotations

from dataclasses import dataclass

from anyio import to_thread

from service.coach import MatchResult, Question, match_posting, questions_for
from service.contract.models import evidence_items
from service.contract.rewrite import RewriteRequest
from service.guard import Facts, extract_facts
from service.rewrite.pipeline import RewriteResult, rewrite
from service.rewrite.port import LLMClient
from service.settings import Settings


@dataclass(frozen=True, slots=True)
class RequestReading:
    """What one reading of a rewrite request's input gives: the guard's facts, the posting match
    (``None`` without a ``job_description``) and the missing-proof questions."""

    facts: Facts
    posting: MatchResult | None
    questions: tuple[Question, ...]


def read_request(request: RewriteRequest) -> RequestReading:
    """Read the notes and evidence once (CPU work: call it from a worker thread when on the event loop)."""
    evidence = evidence_items(request.evidence)
    facts = extract_facts(request.notes, evidence, request.redact)
    posting = None
    if request.job_description is not None:
        posting = match_posting(request.notes, evidence, request.job_description, request.redact, facts)
    return RequestReading(facts, posting, questions_for(request.notes, evidence, facts))


async def run_rewrite(
    llm: LLMClient, request: RewriteRequest, settings: Settings, reading: RequestReading | None = None
) -> RewriteResult:
    """Rewrite ``request``'s notes with ``llm``; model, limits and time budget come from ``settings``
    unless the request's options say otherwise. ``reading``: :func:`read_request` of the request (read
    here, in a worker thread, when not given), whose supported posting terms go into the prompt (never its
    gaps). LLM transport errors (``service.rewrite.llm.errors``) propagate."""
    if reading is None:
        reading = await to_thread.run_sync(read_request, request)
    options = request.options
    posting = reading.posting
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
        facts=reading.facts,
        max_bullet_chars=settings.max_bullet_chars,
        salvage=settings.rewrite_repair,
        fallback=settings.rewrite_repair,
    )
