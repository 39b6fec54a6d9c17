"""The rewrite pipeline: notes -> masked prompt -> LLM -> local validation -> guard -> bounded re-asks.

The pipeline depends on the :class:`~service.rewrite.port.LLMClient` protocol only (never on a provider
library), so tests drive it with a fake and the service plugs in
:class:`service.rewrite.llm.client.LiteLLMClient`. Its parts are modules beside it: ``prompts``,
``masking``, ``reply`` (schema and validation) and ``grounding``; this module is the loop.

Steps, per request:

1. Redact terms are masked in notes, evidence texts and evidence ids with stable placeholders
   (``[[REDACTED_i]]``, the i-th distinct term) before any text is put into a prompt.
2. The prompt is rendered from ``prompts/<version>/system.md`` and ``user.md`` (newest version unless
   one is asked for); the version id is part of the result.
3. The model is called with the JSON Schema of ``schemas/rewrite_reply.schema.json`` as its response
   format (each bullet's ``sources`` narrowed to this request's ids), and the reply is validated again
   here against the file's schema (JSON Schema and pydantic): a server may ignore it.
4. Every bullet is checked by the guard against the *original* (unmasked) inputs; the guard also
   refuses placeholders. Bullets citing a source id that is not in the request are refused too.
5. A refused bullet whose violations are all the guard's is handed to the salvage
   (:func:`service.repair.salvage`): when its repair keeps most of the bullet's substance and what it was
   about, reads as sense once its cuts are made, passes the guard again and is grounded, it is accepted as
   ``repaired``, the original and its violations beside it (no re-ask is spent on it).
   Every accepted bullet is polished (the verdict never changes).
6. While fewer than ``max_bullets`` distinct bullets are accepted, the model is re-asked at most
   ``max_reasks`` times. A re-ask is the original messages plus one assistant message (the last reply)
   and one user message (the last attempt's refused bullets with the guard's messages, or its format
   errors): the prompt never grows with the number of attempts.
7. When no attempt gave a usable bullet, the notes' own sentences that state work (polished, accepted
   by the guard and grounded) are returned as ``fallback`` bullets, counted apart from model bullets.

:func:`rewrite` reads as these steps: :func:`_prepare` (mask, build the prompt and schema), then per
attempt :func:`_ask` (within the budget), :func:`_judge` (parse and validate, guard and ground each
bullet) and :func:`_retry_tail` (the feedback of a re-ask), and :func:`_finish` (the result).

Nothing is ever made up when the model fails: a result may have no bullets (or only the notes' own
sentences), with the reasons in
``rejected`` and ``reply_errors``. Logs carry counts and ids only, never note, evidence or bullet text.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import structlog
from anyio import to_thread

from service.guard import EvidenceItem, Facts, Violation, analyse_bullet, check_bullet, extract_facts
from service.repair import note_sentences, polish
from service.repair import salvage as salvage_verdict  # the rewrite's own ``salvage`` is its on/off flag
from service.rewrite.grounding import Grounding
from service.rewrite.llm.errors import LLMTimeout
from service.rewrite.masking import Masker
from service.rewrite.port import LLMClient, LLMReply
from service.rewrite.prompts import PROMPTS_DIR, PromptTemplate, latest_prompt_version, load_prompt, render
from service.rewrite.reply import PROOF_AREAS, ProofArea, RewriteReply, _clip, parse_reply, request_schema
from service.rewrite.wording import fact_words, input_words, lead_verbs, text_pattern

_log = structlog.get_logger("bulletguard.pipeline")

NOTES_SOURCE = "notes"

# Bounds of a re-ask's feedback, so a retry prompt has a fixed maximum size.
_MAX_ECHO_CHARS = 1500  # the last reply, repeated as the assistant message
_MAX_FEEDBACK_TEXT_CHARS = 200  # a refused bullet's text in the feedback
_MAX_VIOLATIONS_PER_BULLET = 3
_GUARD_KINDS = frozenset({"metric", "tool", "ownership", "scope", "outcome", "redacted"})


# --------------------------------------------------------------------------------------------------
# Result


BulletOrigin = Literal["model", "repaired", "fallback"]


@dataclass(frozen=True, slots=True)
class Bullet:
    """An accepted bullet, polished. ``origin``: written by the model (``model``), a refused model bullet
    the repair salvaged (``repaired``: ``original`` and ``original_violations`` say what it was), or a
    sentence of the notes when the model gave nothing usable (``fallback``). ``attempt``: the 1-based
    call whose reply held it (0 for a fallback)."""

    text: str
    sources: tuple[str, ...]
    proof_area: ProofArea
    origin: BulletOrigin = "model"
    attempt: int = 1
    original: str | None = None
    original_violations: tuple[Violation, ...] = ()


@dataclass(frozen=True, slots=True)
class RejectedBullet:
    text: str
    sources: tuple[str, ...]
    proof_area: ProofArea
    violations: tuple[Violation, ...]


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None  # None unless every call's cost was known

    @classmethod
    def of(cls, replies: Sequence[LLMReply]) -> Usage:
        costs = [r.cost_usd for r in replies]
        return cls(
            prompt_tokens=sum(r.prompt_tokens for r in replies),
            completion_tokens=sum(r.completion_tokens for r in replies),
            cost_usd=sum(c for c in costs if c is not None) if costs and None not in costs else None,
        )


@dataclass(frozen=True, slots=True)
class RewriteResult:
    bullets: tuple[Bullet, ...]
    rejected: tuple[RejectedBullet, ...]
    attempts: int
    model: str
    prompt_version: str
    usage: Usage
    schema_valid_attempts: int
    # format errors of the last reply that was not valid JSON for the schema (empty if none was)
    reply_errors: tuple[str, ...] = field(default=())


# --------------------------------------------------------------------------------------------------
# The pipeline

_LEADING_MARKER_RE = re.compile(r"^(?:[-*•·]\s+)+")


def _clean_text(text: str) -> str:
    return _LEADING_MARKER_RE.sub("", " ".join(text.split()))


def _dedupe_key(text: str) -> str:
    return text.casefold().rstrip(" .;")


class _Sources:
    """The source ids the model may cite (``notes`` + evidence ids, masked if they hold a redact term)
    and the way back from a cited id to the request's own id."""

    def __init__(self, evidence: Sequence[EvidenceItem], masker: Masker) -> None:
        self.shown: dict[str, str] = {NOTES_SOURCE: NOTES_SOURCE}  # shown id -> real id
        self.shown_of: dict[str, str] = {}  # real id -> shown id
        for item in evidence:
            shown = masker.mask(item.id)
            n = 1
            while shown in self.shown:  # masking made two ids equal
                n += 1
                shown = f"{masker.mask(item.id)}~{n}"
            self.shown[shown] = item.id
            self.shown_of[item.id] = shown
        self._folded: dict[str, list[str]] = {}
        for shown in self.shown:
            self._folded.setdefault(shown.casefold(), []).append(shown)

    def resolve(self, cited: str) -> str | None:
        cited = cited.strip()
        if cited in self.shown:
            return self.shown[cited]
        candidates = self._folded.get(cited.casefold(), [])
        return self.shown[candidates[0]] if len(candidates) == 1 else None

    def listing(self) -> str:
        return ", ".join(self.shown)


def _source_violation(cited: str, sources: _Sources) -> Violation:
    """An unknown cited id. It is not a span of the bullet: ``text`` is the id, ``start == end == 0``."""
    cited = _clip(cited, 80)
    return Violation(
        "source",
        cited,
        0,
        0,
        f"'{cited}' is not a source of this request.",
        f"Cite only these source ids: {sources.listing()}.",
    )


def _evidence_listing(evidence: Sequence[EvidenceItem], masked_texts: Sequence[str], sources: _Sources) -> str:
    if not evidence:
        return "(none)"
    return "\n".join(
        f"- [{sources.shown_of[e.id]}] {' '.join(text.split())}" for e, text in zip(evidence, masked_texts, strict=True)
    )


def _posting_listing(posting_terms: Sequence[tuple[str, str]], masker: Masker) -> str:
    """One line per supported posting term: ``- <posting wording> (the input says: <input wording>)``."""
    lines: dict[str, None] = {}
    for term, input_term in posting_terms:
        term, input_term = masker.mask(" ".join(term.split())), masker.mask(" ".join(input_term.split()))
        if term:
            same = term.casefold() == input_term.casefold()
            lines[f"- {term}" if same else f"- {term} (the input says: {input_term})"] = None
    return "\n".join(lines)


def _format_feedback(errors: Sequence[str], refused: Sequence[RejectedBullet], missing: int) -> str:
    lines: list[str] = []
    if errors:
        lines.append("Your last answer could not be used:")
        lines += [f"- {e}" for e in errors]
        lines.append(
            'Answer again with JSON only, in the form {"bullets": [{"text": "...", "sources": ["notes"], '
            '"proof_area": "api"}]}.'
        )
        return "\n".join(lines)
    if refused:
        lines.append("These bullets were refused because they claim more than the input states:")
        for i, bullet in enumerate(refused, 1):
            lines.append(f'{i}. "{_clip(bullet.text, _MAX_FEEDBACK_TEXT_CHARS)}"')
            for v in bullet.violations[:_MAX_VIOLATIONS_PER_BULLET]:
                lines.append(f"   - {v.message} {v.hint}")
    lines.append(
        f"Write {missing} more bullet{'s' if missing != 1 else ''}, different from the accepted ones, "
        "using only what the input states. Answer with JSON only."
    )
    return "\n".join(lines)


async def rewrite(
    llm: LLMClient,
    notes: str,
    evidence: Sequence[EvidenceItem] = (),
    redact: Sequence[str] = (),
    *,
    model: str,
    max_bullets: int = 3,
    max_reasks: int = 2,
    prompt_version: str | None = None,
    temperature: float = 0.2,
    timeout: float = 60.0,
    budget_s: float | None = None,
    prompts_dir: Path = PROMPTS_DIR,
    posting_terms: Sequence[tuple[str, str]] = (),
    facts: Facts | None = None,
    max_bullet_chars: int = 1_000,
    salvage: bool = False,
    fallback: bool = False,
) -> RewriteResult:
    """Turn notes into at most ``max_bullets`` guarded resume bullets.

    ``timeout`` bounds each LLM call; ``budget_s`` (optional) bounds the whole rewrite: no re-ask
    starts after it, and a re-ask still running when it ends is abandoned (the bullets accepted so far
    are returned). The first call running out of budget raises :class:`~service.rewrite.llm.errors.LLMTimeout`.
    Transport errors (``service.rewrite.llm.errors``) propagate.

    ``posting_terms`` are ``(posting wording, input wording)`` pairs of a job posting's terms that the
    input supports (:func:`service.coach.match_posting`): when the prompt version has a ``posting.md``,
    they are listed for the model, which may then use the posting's wording. Terms the input does not
    support are never passed; the guard still checks every bullet against the input alone.

    ``facts``: the guard's facts of these same notes, evidence and redact terms, when the caller has them
    (the notes are then read once per rewrite). ``max_bullet_chars`` bounds a model bullet like an input
    bullet: a longer one makes the reply unusable (a format error), and the guard never reads it.

    The guard's work (reading the input, checking each reply's bullets) runs in a worker thread, so a big
    request does not stall the event loop and the other requests on it.

    ``salvage``: repair refused bullets (step 5); ``fallback``: the notes' own sentences when nothing
    usable came back (step 7). Both off by default (the service's ``BULLETGUARD_REWRITE_REPAIR`` turns them on):
    off, the loop only re-asks.
    """
    _check_arguments(evidence, max_bullets, max_reasks)
    version = prompt_version or latest_prompt_version(prompts_dir)
    template = load_prompt(version, prompts_dir)
    request = await to_thread.run_sync(  # mask, build the prompt: CPU work, off the event loop
        _prepare, template, notes, evidence, redact, max_bullets, posting_terms, facts, max_bullet_chars, salvage
    )
    progress = _Progress(max_bullets, model)
    budget = _Budget(budget_s, time.monotonic())
    retry_tail: list[dict[str, str]] = []

    for attempt in range(1, max_reasks + 2):
        messages = [*request.messages, *retry_tail]
        reply = await _ask(llm, messages, request.schema, model, temperature, timeout, budget, attempt)
        if reply is None:  # the budget ran out
            break
        # parse and validate, guard and ground: CPU work, off the event loop
        parsed, errors, refused_now = await to_thread.run_sync(_judge, reply, request, progress)
        _log_attempt(attempt, parsed, refused_now, progress)
        if progress.done:
            break
        retry_tail = _retry_tail(reply, errors, refused_now, progress, request.masker)  # feedback for a re-ask

    if fallback:
        _fallback(progress, request)  # only when nothing usable came back
    return _finish(progress, version)


def _check_arguments(evidence: Sequence[EvidenceItem], max_bullets: int, max_reasks: int) -> None:
    if not 1 <= max_bullets <= 8:
        raise ValueError("max_bullets must be between 1 and 8")
    if max_reasks < 0:
        raise ValueError("max_reasks must be >= 0")
    ids = [e.id for e in evidence]
    if len(set(ids)) != len(ids) or NOTES_SOURCE in ids:
        raise ValueError(f"evidence ids must be unique and must not be {NOTES_SOURCE!r}")


@dataclass(frozen=True, slots=True)
class _Request:
    """One rewrite, ready to send: the masked messages and response schema, and what replies are checked
    against (the facts of the *original* inputs, the grounding words, the source ids)."""

    messages: tuple[dict[str, str], ...]
    schema: dict[str, Any]
    notes: str
    facts: Facts
    grounding: Grounding
    masker: Masker
    sources: _Sources
    max_bullet_chars: int
    salvage: bool = True


def _prepare(
    template: PromptTemplate,
    notes: str,
    evidence: Sequence[EvidenceItem],
    redact: Sequence[str],
    max_bullets: int,
    posting_terms: Sequence[tuple[str, str]],
    facts: Facts | None = None,
    max_bullet_chars: int = 1_000,
    salvage: bool = True,
) -> _Request:
    if facts is None:
        facts = extract_facts(notes, evidence, redact)  # the ORIGINAL inputs: the guard's truth
    grounding = Grounding([notes, *(e.text for e in evidence)])
    masker = Masker(redact, aliases=_redacted_aliases(facts, Masker(redact)))
    sources = _Sources(evidence, masker)
    masked_evidence = [masker.mask(e.text) for e in evidence]  # for the prompt and for the grammar's words
    values = {
        "notes": masker.mask(notes.strip()),
        "evidence": _evidence_listing(evidence, masked_evidence, sources),
        "sources": sources.listing(),
        "max_bullets": str(max_bullets),
        "proof_areas": ", ".join(PROOF_AREAS),
        "posting_terms": _posting_listing(posting_terms, masker),
    }
    messages = _prompt_messages(template, values)
    texts = [values["notes"], *masked_evidence, *(masker.mask(t) for t, _ in posting_terms)]
    words = input_words(texts)
    technologies = [masker.mask(m.text) for source in facts.sources for m in source.analysis.techs]
    pattern = text_pattern(words, fact_words(words, technologies), lead_verbs(texts))
    schema = request_schema(list(sources.shown), pattern)
    return _Request(messages, schema, notes, facts, grounding, masker, sources, max_bullet_chars, salvage)


def _redacted_aliases(facts: Facts, masker: Masker) -> list[tuple[str, str]]:
    """``(canonical name, input wording)`` of every technology the input names only through a redact term:
    the guard's hints name technologies canonically ("The input names PostgreSQL" for a redacted
    "postgres"), so the feedback of a re-ask masks the canonical name too."""
    out: dict[str, str] = {}
    for source in facts.sources:
        for mention in source.analysis.techs:
            if masker.mask(mention.text) != mention.text:
                out.setdefault(mention.name, mention.text)
    return list(out.items())


def _prompt_messages(template: PromptTemplate, values: Mapping[str, str]) -> tuple[dict[str, str], ...]:
    """The system and user messages of the first attempt (every re-ask starts with them too)."""
    user = render(template.user, values)
    if template.posting is not None and values["posting_terms"]:
        user += "\n\n" + render(template.posting, values)
    return (
        {"role": "system", "content": render(template.system, values)},
        {"role": "user", "content": user},
    )


@dataclass(frozen=True, slots=True)
class _Budget:
    """The time for the whole rewrite: ``budget_s`` from ``started`` (``None``: unbounded)."""

    budget_s: float | None
    started: float

    def remaining(self) -> float | None:
        return None if self.budget_s is None else self.budget_s - (time.monotonic() - self.started)


async def _ask(
    llm: LLMClient,
    messages: list[dict[str, str]],
    schema: dict[str, Any],
    model: str,
    temperature: float,
    timeout: float,
    budget: _Budget,
    attempt: int,
) -> LLMReply | None:
    """One call to the model within what is left of the budget. ``None`` when the budget ran out before
    or during a re-ask; during the first attempt, :class:`LLMTimeout`."""
    remaining = budget.remaining()
    if remaining is not None and remaining <= 0:
        _log.info("rewrite_budget_exhausted", attempt=attempt, budget_s=budget.budget_s)
        return None
    deadline = asyncio.timeout(remaining)
    try:
        async with deadline:
            return await llm.complete(
                messages,
                model=model,
                temperature=temperature,
                response_schema=schema,
                timeout=timeout if remaining is None else min(timeout, remaining),
            )
    except TimeoutError as exc:
        if not deadline.expired():
            raise
        if attempt == 1:
            raise LLMTimeout(
                f"The model {model} did not answer within the rewrite budget of {budget.budget_s:g} s."
            ) from exc
        _log.info("rewrite_budget_exhausted", attempt=attempt, budget_s=budget.budget_s)
        return None


@dataclass(slots=True)
class _Progress:
    """What the attempts so far produced: the loop's state."""

    max_bullets: int
    model: str
    accepted: dict[str, Bullet] = field(default_factory=dict)  # by dedupe key
    rejected: dict[str, RejectedBullet] = field(default_factory=dict)  # first refusal per dedupe key
    replies: list[LLMReply] = field(default_factory=list)
    schema_valid: int = 0
    reply_errors: tuple[str, ...] = ()

    @property
    def done(self) -> bool:
        return len(self.accepted) >= self.max_bullets


def _judge(
    reply: LLMReply, request: _Request, progress: _Progress
) -> tuple[RewriteReply | None, tuple[str, ...], list[RejectedBullet]]:
    """Parse and validate one reply, then guard and ground each of its new bullets: accepted ones join
    ``progress`` (up to ``max_bullets``). The parsed reply, its format errors and the bullets it had refused."""
    progress.replies.append(reply)
    parsed, errors = parse_reply(reply.content, max_bullet_chars=request.max_bullet_chars)
    refused_now: list[RejectedBullet] = []
    if parsed is None:
        progress.reply_errors = errors
        return parsed, errors, refused_now
    progress.schema_valid += 1
    attempt = len(progress.replies)
    for item in parsed.bullets:
        text = _clean_text(item.text)
        key = _dedupe_key(text)
        if not text or key in progress.accepted:
            continue
        cited, violations = _check(text, item.sources, request)
        if violations:
            salvaged = _salvage(text, cited, item.proof_area, violations, request, attempt)
            salvaged_key = "" if salvaged is None else _dedupe_key(salvaged.text)
            if salvaged is not None and salvaged_key not in progress.accepted and not progress.done:
                progress.accepted[salvaged_key] = salvaged
                continue
            refused = RejectedBullet(text, cited, item.proof_area, violations)
            refused_now.append(refused)
            progress.rejected.setdefault(key, refused)
        elif len(progress.accepted) < progress.max_bullets:
            polished = polish(text, request.facts)
            progress.accepted[key] = Bullet(polished, cited, item.proof_area, attempt=attempt)
    return parsed, errors, refused_now


def _salvage(
    text: str,
    cited: tuple[str, ...],
    proof_area: ProofArea,
    violations: tuple[Violation, ...],
    request: _Request,
    attempt: int,
) -> Bullet | None:
    """A refused bullet repaired (see step 5), or ``None``: a cited id that is not a source, a bullet
    resting on no source, or a repair that keeps too little of it, is not salvaged."""
    if not request.salvage or not cited or any(v.kind not in _GUARD_KINDS for v in violations):
        return None
    verdict = salvage_verdict(text, request.facts)
    if verdict.text is None or request.grounding.check(verdict.text):
        return None
    return Bullet(verdict.text, cited, proof_area, "repaired", attempt, text, violations)


def _check(text: str, cited_ids: Sequence[str], request: _Request) -> tuple[tuple[str, ...], tuple[Violation, ...]]:
    """The request's own ids that a bullet cites, and its violations: the guard's and the grounding's
    (in span order), then one per cited id that is not a source of the request."""
    cited: list[str] = []
    violations = list(check_bullet(text, request.facts).violations)
    violations += request.grounding.check(text)
    violations.sort(key=lambda v: (v.start, v.end, v.kind))
    for source in dict.fromkeys(cited_ids):
        real = request.sources.resolve(source)
        if real is None:
            violations.append(_source_violation(source, request.sources))
        elif real not in cited:
            cited.append(real)
    return tuple(cited), tuple(violations)


def _log_attempt(
    attempt: int, parsed: RewriteReply | None, refused_now: Sequence[RejectedBullet], progress: _Progress
) -> None:
    _log.info(
        "rewrite_attempt",
        attempt=attempt,
        schema_valid=parsed is not None,
        n_reply_bullets=0 if parsed is None else len(parsed.bullets),
        n_refused=len(refused_now),
        violation_kinds=sorted({v.kind for r in refused_now for v in r.violations}),
        n_accepted_total=len(progress.accepted),
    )


def _retry_tail(
    reply: LLMReply,
    errors: Sequence[str],
    refused_now: Sequence[RejectedBullet],
    progress: _Progress,
    masker: Masker,
) -> list[dict[str, str]]:
    """What a re-ask adds to the first messages: the last reply (clipped) and the feedback on it, masked."""
    feedback = _format_feedback(errors, refused_now, progress.max_bullets - len(progress.accepted))
    return [
        {"role": "assistant", "content": masker.mask(_clip(reply.content.strip(), _MAX_ECHO_CHARS)) or "(empty)"},
        {"role": "user", "content": masker.mask(feedback)},
    ]


def _states_figures(text: str) -> bool:
    """Does ``text`` state a figure (a fallback sentence with one proves performance, else ownership)?"""
    return bool(analyse_bullet(text).quantities)


def _fallback(progress: _Progress, request: _Request) -> None:
    """Step 7: the notes' own sentences, when the model gave no usable bullet."""
    if progress.accepted:
        return
    for text in note_sentences(request.notes, request.facts, progress.max_bullets):
        if not request.grounding.check(text):
            area: ProofArea = "performance" if _states_figures(text) else "ownership"
            progress.accepted[_dedupe_key(text)] = Bullet(text, (NOTES_SOURCE,), area, "fallback", 0)


def _finish(progress: _Progress, version: str) -> RewriteResult:
    result = RewriteResult(
        bullets=tuple(progress.accepted.values()),
        rejected=tuple(r for key, r in progress.rejected.items() if key not in progress.accepted),
        attempts=len(progress.replies),
        model=(progress.replies[-1].model or progress.model) if progress.replies else progress.model,
        prompt_version=version,
        usage=Usage.of(progress.replies),
        schema_valid_attempts=progress.schema_valid,
        reply_errors=progress.reply_errors,
    )
    _log.info(
        "rewrite_done",
        attempts=result.attempts,
        schema_valid_attempts=result.schema_valid_attempts,
        n_accepted=len(result.bullets),
        n_repaired=sum(b.origin == "repaired" for b in result.bullets),
        n_fallback=sum(b.origin == "fallback" for b in result.bullets),
        n_rejected=len(result.rejected),
        prompt_version=version,
        prompt_tokens=result.usage.prompt_tokens,
        completion_tokens=result.usage.completion_tokens,
    )
    return result
