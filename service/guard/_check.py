"""Checking bullets against extracted facts: one function per violation kind, merged in offset order."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from service.guard import metric, ownership
from service.guard._facts import Analysis, Facts, analyse, extract_facts
from service.guard._models import BulletResult, EvidenceItem, Violation
from service.guard.redaction import placeholder_pattern


def _q(text: str) -> str:
    return f"'{text}'"


def _metric(a: Analysis, facts: Facts) -> list[Violation]:
    out: list[Violation] = []
    for q in a.quantities:
        if metric.supports(q, list(facts.quantities)):
            continue
        near = metric.nearest(q, [p for p in facts.quantities if p.dim == q.dim])
        if near is not None:
            src = facts.quantity_sources[facts.quantities.index(near)]
            hint = f"{src.says} {near.text.strip()}; use only figures the input states, or remove {_q(q.text)}."
        elif facts.quantities:
            figures = ", ".join(dict.fromkeys(p.text.strip() for p in facts.quantities[:6]))
            hint = f"The input's figures are {figures}; use only those, or remove {_q(q.text)}."
        else:
            hint = f"The input states no figures: remove {_q(q.text)}, or ask the engineer for the measured value."
        out.append(
            Violation(
                "metric",
                q.text,
                q.start,
                q.end,
                f"{_q(q.text)} is a {metric.describe(q)} the input does not state.",
                hint,
            )
        )
    return out


def _tool(a: Analysis, facts: Facts) -> list[Violation]:
    out: list[Violation] = []
    for m in a.techs:
        if m.name in facts.techs:
            continue
        if facts.tech_names:
            named = ", ".join(sorted(facts.tech_names)[:6])
            hint = f"The input names {named}; remove {_q(m.text)} or name only those."
        else:
            hint = f"The input names no technology; remove {_q(m.text)}."
        message = f"{_q(m.text)} ({m.name}) is a technology the input does not mention."
        if m.text == m.name:
            message = f"{_q(m.text)} is a technology the input does not mention."
        out.append(Violation("tool", m.text, m.start, m.end, message, hint))
    return out


def _scope(a: Analysis, facts: Facts) -> list[Violation]:
    return [
        Violation(
            "scope",
            s.text,
            s.start,
            s.end,
            f"{_q(s.text)} claims {s.label}, which the input does not state.",
            f"Keep to the scope the input gives (the specific service, table or team), or remove {_q(s.text)}.",
        )
        for s in a.scopes
        if s.concept not in facts.scope_concepts
    ]


def _ownership(a: Analysis, facts: Facts) -> list[Violation]:
    out: list[Violation] = []
    for c in a.claims:
        if c.level <= 1:
            continue
        allowed, by = ownership.allowed_level(c, facts.claims)
        if c.level <= allowed:
            continue
        if by is not None:
            src = facts.claim_sources[facts.claims.index(by)]
            hint = f"{src.says} {_q(by.text)}; use {_q(by.text.lower())} or a weaker verb."
        else:
            hint = "The input states no ownership for this work; use a verb like 'built' or weaker."
        out.append(
            Violation(
                "ownership",
                c.text,
                c.start,
                c.end,
                f"{_q(c.text)} claims {ownership.level_name(c.level)}-level ownership; the input supports "
                f"only {ownership.level_name(allowed)}-level.",
                hint,
            )
        )
    return out


def _redacted(bullet: str, facts: Facts) -> list[Violation]:
    out: list[Violation] = []
    if facts.redact_pattern is not None:
        for m in facts.redact_pattern.finditer(bullet):
            out.append(
                Violation(
                    "redacted",
                    m.group(),
                    m.start(),
                    m.end(),
                    f"{_q(m.group())} is a redacted term and must not appear in a bullet.",
                    "Replace it with a generic description, e.g. 'a customer', 'an internal service' or 'a teammate'.",
                )
            )
    for m in placeholder_pattern().finditer(bullet):
        out.append(
            Violation(
                "redacted",
                m.group(),
                m.start(),
                m.end(),
                f"{_q(m.group())} is a masked confidential term and must not appear in a bullet.",
                "Describe it generically instead of using the placeholder.",
            )
        )
    return out


def check_bullet(bullet: str, facts: Facts) -> BulletResult:
    """Check one bullet against the input facts. Deterministic; violations are in offset order."""
    a = analyse(bullet, is_input=False)
    redacted = _redacted(bullet, facts)
    violations = [*redacted, *_tool(a, facts), *_metric(a, facts), *_scope(a, facts), *_ownership(a, facts)]
    if redacted:  # a masked or redacted span is reported once, as what it is (not also as a figure or a tool)
        spans = [(v.start, v.end) for v in redacted]
        violations = [
            v for v in violations if v.kind == "redacted" or not any(s < v.end and v.start < e for s, e in spans)
        ]
    violations.sort(key=lambda v: (v.start, v.end, v.kind))
    return BulletResult(bullet=bullet, violations=tuple(violations))


def verify(
    notes: str, evidence: Sequence[EvidenceItem], redact: Iterable[str], bullets: Iterable[str]
) -> list[BulletResult]:
    """Extract the facts once and check every bullet against them, in order."""
    facts = extract_facts(notes, evidence, redact)
    return [check_bullet(b, facts) for b in bullets]
