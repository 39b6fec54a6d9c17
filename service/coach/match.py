"""Honest tailoring: which of a job posting's technologies and keywords the notes support, and which they
do not.

Technologies come from the guard's vocabulary (``service/guard/data/technologies.json``) with its
aliases, so "Postgres" in the notes supports "PostgreSQL" in the posting; a technology the notes only
imply (S3 implies AWS, as the guard counts it) is supported too, with the implying wording as
``input_term``. Keywords ("microservices", "on-call", "CI/CD"...) come from ``data/keywords.json``.

Supported terms may be written with the posting's wording; gaps are for the user to read, never words
to add. The guard still has the last word on every bullet.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Literal

from service.coach._read import Phrases, Reading, load, read_inputs, read_text, tech_closure
from service.guard import EvidenceItem, Facts
from service.guard.redaction import compile_terms

TermKind = Literal["technology", "keyword"]


@dataclass(frozen=True, slots=True)
class SupportedTerm:
    term: str  # the posting's wording
    input_term: str  # the notes' (or evidence's) wording
    kind: TermKind

    def as_dict(self) -> dict[str, object]:
        return {"term": self.term, "input_term": self.input_term, "kind": self.kind}


@dataclass(frozen=True, slots=True)
class Gap:
    term: str  # the posting's wording
    kind: TermKind

    def as_dict(self) -> dict[str, object]:
        return {"term": self.term, "kind": self.kind}


@dataclass(frozen=True, slots=True)
class MatchResult:
    supported: tuple[SupportedTerm, ...] = field(default=())
    gaps: tuple[Gap, ...] = field(default=())

    def as_dict(self) -> dict[str, object]:
        return {"supported": [s.as_dict() for s in self.supported], "gaps": [g.as_dict() for g in self.gaps]}


@cache
def _keywords() -> Phrases:
    values: dict[str, object] = {}
    for keyword in load("keywords")["keywords"]:
        for phrase in keyword["phrases"]:
            values.setdefault(phrase, keyword["term"])
    return Phrases(values, values)


def _keyword_mentions(reading: Reading) -> list[tuple[int, str, str]]:
    """(offset, keyword, wording) of each keyword phrase outside a technology name."""
    tokens = reading.tokens
    techs = reading.tech_token_indexes()
    out: list[tuple[int, str, str]] = []
    for i, j, term in _keywords().find(tokens):
        if any(k in techs for k in range(i, j)):
            continue
        start, end = tokens.starts[i], tokens.ends[j - 1]
        out.append((start, str(term), reading.text[start:end]))
    return out


def _first(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """key -> the first wording seen for it."""
    out: dict[str, str] = {}
    for key, wording in pairs:
        out.setdefault(key, wording)
    return out


def match_posting(
    notes: str,
    evidence: Sequence[EvidenceItem],
    job_description: str,
    redact: Iterable[str] = (),
    facts: Facts | None = None,
) -> MatchResult:
    """Technologies and keywords of ``job_description``, split into those the input supports and gaps.

    Both lists follow the order of first mention in the posting; each technology or keyword appears once.
    A supported term that holds a ``redact`` term is left out (it must not go into a bullet). ``facts``: the
    guard's facts of the same notes and evidence, when the caller has them (the notes are read once).
    """
    inputs = read_inputs(notes, evidence, facts)
    posting = read_text(job_description)

    named = _first((m.name, m.text) for r in inputs for m in r.techs)
    implied: dict[str, str] = {}
    for name, wording in named.items():
        for other in sorted(tech_closure([name]) - {name}):
            implied.setdefault(other, wording)
    said = _first((keyword, wording) for r in inputs for _, keyword, wording in _keyword_mentions(r))

    # (offset in the posting, key, posting wording, input wording or None, kind)
    mentions: list[tuple[int, str, str, str | None, TermKind]] = []
    for m in posting.techs:
        mentions.append((m.start, "t:" + m.name, m.text, named.get(m.name) or implied.get(m.name), "technology"))
    for start, keyword, wording in _keyword_mentions(posting):
        mentions.append((start, "k:" + keyword, wording, said.get(keyword), "keyword"))
    mentions.sort(key=lambda item: item[0])

    hidden = compile_terms(redact)
    seen: set[str] = set()
    supported: list[SupportedTerm] = []
    gaps: list[Gap] = []
    for _, key, term, input_term, kind in mentions:
        if key in seen:
            continue
        seen.add(key)
        if input_term is None:
            gaps.append(Gap(term, kind))
        elif hidden is None or not (hidden.search(term) or hidden.search(input_term)):
            supported.append(SupportedTerm(term, input_term, kind))
    return MatchResult(tuple(supported), tuple(gaps))
