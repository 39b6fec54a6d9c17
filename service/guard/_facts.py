"""Fact extraction: what the input (notes + evidence) states, computed once per request."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from service.guard import metric, ownership, redaction, scope, tool
from service.guard._models import EvidenceItem
from service.guard._text import Token, tokenize


@dataclass(frozen=True, slots=True)
class Analysis:
    """One text read once: tokens and every kind of claim found in it."""

    text: str
    tokens: tuple[Token, ...]
    techs: tuple[tool.TechMention, ...]
    quantities: tuple[metric.Quantity, ...]
    scopes: tuple[scope.ScopeMention, ...]
    claims: tuple[ownership.Claim, ...]


_DIGIT_AND_LETTER = re.compile(r"(?=.*\d)(?=.*[^\W\d_])")


def _has_digit_and_letter(word: str) -> bool:
    return not word.isalpha() and not word.isdigit() and _DIGIT_AND_LETTER.match(word) is not None


def analyse(text: str, *, is_input: bool) -> Analysis:
    """Read ``text`` once. ``is_input``: notes or evidence, where every number counts as a fact and
    lower-case technology names are read more leniently; in a bullet a number right after a
    technology name is its version, not a metric."""
    tokens = tokenize(text)
    techs = tool.find(text, tokens, in_input=is_input)
    anchors = frozenset() if is_input else frozenset(m.end for m in techs)
    # digits inside a technology's own name ("OAuth 2.0", "Python 3") belong to the name
    quantities = [q for q in metric.find(text, tokens, anchors) if not any(m.start <= q.start < m.end for m in techs)]
    # words like "5xx", "v2", "arm64" that are neither a technology nor a parsed quantity are literal figures
    covered = [(m.start, m.end) for m in techs] + [(q.start, q.end) for q in quantities]
    version_starts = _version_starts(text, anchors)
    for t in tokens:
        if _has_digit_and_letter(t.text) and not any(s <= t.start < e for s, e in covered):
            if t.start in version_starts:
                continue
            quantities.append(metric.Quantity("literal", 0.0, 0.0, t.start, t.end, t.text, literal=t.lower))
    tech_words: dict[int, str] = {}
    for m in techs:
        for idx in range(m.first_token, m.last_token):
            tech_words[idx] = m.name.lower()
    return Analysis(
        text=text,
        tokens=tokens,
        techs=tuple(techs),
        quantities=tuple(sorted(quantities, key=lambda q: q.start)),
        scopes=tuple(scope.find(text, tokens)),
        claims=tuple(ownership.find(text, tokens, tech_words)),
    )


def _version_starts(text: str, anchors: frozenset[int]) -> set[int]:
    """Offsets where a version token may start after a technology name ("Java 17", "HTTP/2", "Vue v3")."""
    out: set[int] = set()
    for a in anchors:
        k = a
        while k < len(text) and text[k] in " /\t":
            k += 1
        if k != a:
            out.add(k)
    return out


@dataclass(frozen=True, slots=True)
class Source:
    """Where a fact came from, for hints: ``the notes`` or ``evidence e1``."""

    label: str
    analysis: Analysis

    @property
    def says(self) -> str:
        return "The notes say" if self.label == "the notes" else f"{self.label.capitalize()} says"


@dataclass(frozen=True, slots=True)
class Facts:
    sources: tuple[Source, ...]
    tech_names: frozenset[str]  # named in the input, without what they imply
    techs: frozenset[str]  # named or implied
    quantities: tuple[metric.Quantity, ...]
    quantity_sources: tuple[Source, ...]
    scope_concepts: frozenset[str]
    claims: tuple[ownership.Claim, ...]
    claim_sources: tuple[Source, ...]
    redact_pattern: re.Pattern[str] | None
    evidence_ids: frozenset[str]


def extract_facts(notes: str, evidence: Sequence[EvidenceItem] = (), redact: Iterable[str] = ()) -> Facts:
    sources = [Source("the notes", analyse(notes, is_input=True))]
    sources += [Source(f"evidence {e.id}", analyse(e.text, is_input=True)) for e in evidence]
    names = frozenset(m.name for s in sources for m in s.analysis.techs)
    quantities: list[metric.Quantity] = []
    q_sources: list[Source] = []
    claims: list[ownership.Claim] = []
    c_sources: list[Source] = []
    for s in sources:
        quantities.extend(s.analysis.quantities)
        q_sources.extend([s] * len(s.analysis.quantities))
        claims.extend(s.analysis.claims)
        c_sources.extend([s] * len(s.analysis.claims))
    return Facts(
        sources=tuple(sources),
        tech_names=names,
        techs=tool.closure(names),
        quantities=tuple(quantities),
        quantity_sources=tuple(q_sources),
        scope_concepts=frozenset(m.concept for s in sources for m in s.analysis.scopes),
        claims=tuple(claims),
        claim_sources=tuple(c_sources),
        redact_pattern=redaction.compile_terms(redact),
        evidence_ids=frozenset(e.id for e in evidence),
    )
