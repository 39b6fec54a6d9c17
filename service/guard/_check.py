"""Checking bullets against extracted facts: one function per violation kind, merged in offset order."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from service.guard import instruction, metric, outcome, ownership, scope
from service.guard._facts import Analysis, Facts, bullet_analysis, extract_facts
from service.guard._models import BulletResult, EvidenceItem, Violation
from service.guard.redaction import may_hold_placeholder, placeholder_pattern


def _metric(a: Analysis, facts: Facts, out: list[Violation]) -> None:
    lookup = facts.lookup
    index = lookup.quantity_index
    for q in a.quantities:
        if metric.supports(q, index):
            continue
        text = q.text
        hint = metric.why_not(q, index)
        same_dim = lookup.by_dim.get(q.dim)
        if hint:
            pass
        elif same_dim is not None:
            k = index.nearest(q)
            hint = (
                f"{same_dim[1][k]} {same_dim[0][k].text.strip()}; use only figures the input states, "
                f"or remove '{text}'."
            )
        elif facts.quantities:
            hint = f"The input's figures are {lookup.figures}; use only those, or remove '{text}'."
        else:
            hint = f"The input states no figures: remove '{text}', or ask the engineer for the measured value."
        message = f"'{text}' is a {metric.describe(q)} the input does not state."
        out.append(Violation("metric", text, q.start, q.end, message, hint))
    hedge, absolute = lookup.frequency
    if hedge:
        tokens = a.tokens
        for i, j, is_hedge in metric.frequencies(tokens):
            if is_hedge or " ".join(tokens.lowers[i:j]) in absolute:
                continue
            start, end = tokens.starts[i], tokens.ends[j - 1]
            text = tokens.text[start:end]
            out.append(
                Violation(
                    "metric",
                    text,
                    start,
                    end,
                    f"'{text}' claims it happened every time; the input says '{hedge}'.",
                    f"Keep the input's frequency ('{hedge}'), or remove '{text}'.",
                )
            )


def _tool(a: Analysis, facts: Facts, out: list[Violation]) -> None:
    techs = facts.techs
    for m in a.techs:
        if m.name in techs:
            continue
        text = m.text
        if facts.tech_names:
            hint = f"The input names {facts.lookup.named_techs}; remove '{text}' or name only those."
        else:
            hint = f"The input names no technology; remove '{text}'."
        if text == m.name:
            message = f"'{text}' is a technology the input does not mention."
        else:
            message = f"'{text}' ({m.name}) is a technology the input does not mention."
        out.append(Violation("tool", text, m.start, m.end, message, hint))
    if a.products:
        words, lowers = facts.lookup.input_words, a.tokens.lowers
        for m in a.products:
            if m.name in techs or words.issuperset(lowers[m.first_token : m.last_token]):
                continue  # a name the input itself uses ("the Atlas rollout")
            text = m.text
            out.append(
                Violation(
                    "tool",
                    text,
                    m.start,
                    m.end,
                    f"'{text}' reads as a product or technology the input does not mention.",
                    f"Name only what the input names, or remove '{text}'.",
                )
            )


def _scope(a: Analysis, facts: Facts, out: list[Violation]) -> None:
    concepts, objects = facts.scope_concepts, facts.scope_objects
    for s in a.scopes:
        if s.concept in concepts:
            continue
        if objects and any((s.concept, o) in objects for o in scope.objects(a.tokens, s)):
            continue  # "every request" where the notes say "each request"
        text = s.text
        out.append(
            Violation(
                "scope",
                text,
                s.start,
                s.end,
                f"'{text}' claims {s.label}, which the input does not state.",
                f"Keep to the scope the input gives (the specific service, table or team), or remove '{text}'.",
            )
        )


def _outcome(a: Analysis, facts: Facts, out: list[Violation]) -> None:
    known = facts.outcome_support
    for m in a.outcomes:
        word = outcome.unsupported(m, known, a.tokens)
        if word is None:
            continue
        text = m.text
        about = "" if word == text else f" (nothing about '{word}')"
        out.append(
            Violation(
                "outcome",
                text,
                m.start,
                m.end,
                f"'{text}' claims an effect the input does not state{about}.",
                f"Keep to the effects the input states, in its words or figures, or remove '{text}'.",
            )
        )


def _reach_texts(c: scope.ReachClaim, cue: str) -> tuple[str, str]:
    """(message, hint) of a reach, breadth or status claim the input does not support."""
    text = c.text
    if c.kind == scope.PLURAL:
        return (
            f"'{text}' widens what the input names once (one {c.key}) to several.",
            f"The input names a single {c.key}; keep it singular, or remove '{text}'.",
        )
    if c.kind == scope.REACH:
        return (
            f"'{text}' claims reach the input does not state.",
            f"Keep to the reach the input states, or remove '{text}'.",
        )
    if c.kind == scope.DEPARTMENT:
        return (
            f"'{text}' names a team or function ({c.key}) the input does not mention.",
            f"Name only the people and teams the input names, or remove '{text}'.",
        )
    if c.kind == scope.BROAD:
        return (
            f"'{text}' is broader than what the input names (it never mentions the {c.key}).",
            f"Name the specific service, flow or component the input names instead of '{text}'.",
        )
    done = "completed" if c.level == 2 else "done"
    return (
        f"'{text}' claims the work was {done}; the input says '{cue}'.",
        f"Say what the input says ('{cue}'), or remove '{text}'.",
    )


def _reach(a: Analysis, facts: Facts, out: list[Violation]) -> None:
    reach = facts.reach
    claims: Iterable[scope.ReachClaim] = a.reaches
    if reach.about_cued_work(a.tokens):  # about work the input calls unfinished: read its completion verbs
        tech = {k: m.name.lower() for m in a.techs for k in range(m.first_token, m.last_token)}
        claims = [*a.reaches, *scope.find_status(a.tokens, tech)]
    for c in claims:
        if c.kind == scope.STATUS:
            cue = reach.status_of(c)
            if not cue:
                continue
        elif reach.supports(c):
            continue
        else:
            cue = ""
        message, hint = _reach_texts(c, cue)
        out.append(Violation("scope", c.text, c.start, c.end, message, hint))


def _ownership(a: Analysis, facts: Facts, out: list[Violation]) -> None:
    lookup = facts.lookup
    context = ownership.BulletWords(a.claims)  # the bullet's content words, computed once if needed
    # claims sharing one segment (a run of verbs) get one answer: each distinct work is looked up once
    known: dict[tuple[frozenset[str], frozenset[str]], tuple[int, int]] = {}
    for c in a.claims:
        level = c.level
        if level <= 1:
            continue
        work = (c.obj, c.content)
        found = known.get(work)
        if found is None:
            found = known[work] = ownership.allowed_level(c, lookup.claim_index, context=context)
        allowed, k = found
        if level <= allowed:
            continue
        text = c.text
        if k >= 0:
            by = facts.claims[k].text
            hint = f"{lookup.claim_says[k]} '{by}'; use '{by.lower()}' or a weaker verb."
        else:
            hint = "The input states no ownership for this work; use a verb like 'built' or weaker."
        message = (
            f"'{text}' claims {ownership.level_name(level)}-level ownership; the input supports "
            f"only {ownership.level_name(allowed)}-level."
        )
        out.append(Violation("ownership", text, c.start, c.end, message, hint))


def _source(a: Analysis, out: list[Violation]) -> None:
    """Instructions to the writer or the model, and words addressing the reader: not about the work."""
    for start, end, is_instruction in instruction.in_bullet(a.tokens):
        text = a.tokens.text[start:end]
        if is_instruction:
            message = f"'{text}' is an instruction to the writer or the model, not something the engineer did."
        else:
            message = f"'{text}' addresses the reader or the model; it is not about the work."
        hint = f"Drop '{text}': a bullet states only the work the input describes."
        out.append(Violation("source", text, start, end, message, hint))


def _redacted(bullet: str, facts: Facts) -> list[Violation]:
    out: list[Violation] = []
    pattern = facts.redact_pattern
    if pattern is not None:
        for found in pattern.finditer(bullet):
            text = found.group()
            out.append(
                Violation(
                    "redacted",
                    text,
                    found.start(),
                    found.end(),
                    f"'{text}' is a redacted term and must not appear in a bullet.",
                    "Replace it with a generic description, e.g. 'a customer', 'an internal service' or 'a teammate'.",
                )
            )
    if may_hold_placeholder(bullet):
        for m in placeholder_pattern().finditer(bullet):
            text = m.group()
            out.append(
                Violation(
                    "redacted",
                    text,
                    m.start(),
                    m.end(),
                    f"'{text}' is a masked confidential term and must not appear in a bullet.",
                    "Describe it generically instead of using the placeholder.",
                )
            )
    return out


def _order(v: Violation) -> tuple[int, int, str]:
    return (v.start, v.end, v.kind)


def check_bullet(bullet: str, facts: Facts, analysis: Analysis | None = None) -> BulletResult:
    """Check one bullet against the input facts. Deterministic; violations are in offset order.

    ``analysis``: the bullet as :func:`analyse_bullet` read it, when the caller already has it."""
    a = bullet_analysis(bullet, analysis)
    redacted = _redacted(bullet, facts)
    violations = redacted[:]
    _tool(a, facts, violations)
    _metric(a, facts, violations)
    _scope(a, facts, violations)
    _reach(a, facts, violations)
    _ownership(a, facts, violations)
    _source(a, violations)
    _outcome(a, facts, violations)
    if redacted:  # a masked or redacted span is reported once, as what it is (not also as a figure or a tool)
        spans = [(v.start, v.end) for v in redacted]
        violations = [
            v for v in violations if v.kind == "redacted" or not any(s < v.end and v.start < e for s, e in spans)
        ]
    if len(violations) > 1:
        violations.sort(key=_order)
        violations = _without_nested(violations)
    if a.tokens.text != bullet:  # read with plain spaces (see ``plain``): quote the bullet as written
        violations = [replace(v, text=bullet[v.start : v.end]) for v in violations]
    return BulletResult(bullet=bullet, violations=tuple(violations))


def _without_nested(violations: list[Violation]) -> list[Violation]:
    """``violations`` (in offset order) without one that lies inside another of the same kind ("all" inside
    "across all services"): the wider span says it, and spans of one kind never overlap for a reader."""
    kept: list[Violation] = []
    widest: dict[str, int] = {}  # kind -> furthest end among the kept violations of that kind
    for v in sorted(violations, key=_widest_first):
        if widest.get(v.kind, -1) >= v.end:
            continue
        kept.append(v)
        widest[v.kind] = max(widest.get(v.kind, -1), v.end)
    if len(kept) < len(violations):
        kept.sort(key=_order)
    return kept


def _widest_first(v: Violation) -> tuple[int, int]:
    return (v.start, -v.end)


def verify(
    notes: str, evidence: Sequence[EvidenceItem], redact: Iterable[str], bullets: Iterable[str]
) -> list[BulletResult]:
    """Extract the facts once and check every bullet against them, in order."""
    facts = extract_facts(notes, evidence, redact)
    return [check_bullet(b, facts) for b in bullets]
