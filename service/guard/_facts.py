"""Fact extraction: what the input (notes + evidence) states, computed once per request."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import NamedTuple

from service.guard import _phrases, instruction, metric, outcome, ownership, redaction, scope, tool
from service.guard._models import EvidenceItem
from service.guard._text import Tokens, plain, tokenize


class Analysis(NamedTuple):
    """One text read once: tokens and every kind of claim found in it."""

    text: str
    tokens: Tokens
    techs: tuple[tool.TechMention, ...]
    quantities: tuple[metric.Quantity, ...]
    scopes: tuple[scope.ScopeMention, ...]
    claims: tuple[ownership.Claim, ...]
    outcomes: tuple[outcome.OutcomeMention, ...] = ()  # bullets only
    reaches: tuple[scope.ReachClaim, ...] = ()  # bullets only
    # technology terms that are no product ("CI/CD"); in a bullet also capitalised names in a tool
    # context that the vocabulary does not list ("using Appsmith")
    products: tuple[tool.TechMention, ...] = ()


@cache
def _glued_names() -> frozenset[str]:
    """One-word technology names a version may be glued to ("JDK17", "Python3.11", "Java8"): read like
    their spaced forms, for the tool check and so that the version is not read as a figure. Names that hold
    their own digits ("python3", "ec2") are in it too, so they are never split."""
    return frozenset(key for key in tool.vocab().input_table if " " not in key and len(key) > 1)


_DIGIT_AND_LETTER = re.compile(r"(?=.*\d)(?=.*[^\W\d_])")


def _has_digit_and_letter(word: str) -> bool:
    return not word.isalpha() and not word.isdigit() and _DIGIT_AND_LETTER.match(word) is not None


def analyse(text: str, *, is_input: bool, tokens: Tokens | None = None) -> Analysis:
    """Read ``text`` once. ``is_input``: notes or evidence, where every number counts as a fact and
    lower-case technology names are read more leniently; in a bullet a number right after a
    technology name is its version, not a metric. ``tokens``: ``text`` already tokenised, if it is."""
    if tokens is None:
        tokens = tokenize(plain(text), _glued_names())
    techs = tool.find(tokens, in_input=is_input)
    products = tool.find_terms(tokens)
    if not is_input:
        products += tool.find_unknown(tokens, techs + products)
        if len(products) > 1:
            products.sort(key=_start)
    tech_words: dict[int, str] = {}  # token position -> the technology it is part of
    ends: set[int] = set()
    for m in techs:
        ends.add(m.end)
        name = m.name.lower()
        for idx in range(m.first_token, m.last_token):
            tech_words[idx] = name
    anchors: frozenset[int] = frozenset() if is_input else frozenset(ends)
    quantities = metric.find(tokens, anchors, in_input=is_input)
    if techs and quantities:
        # digits inside a technology's own name ("OAuth 2.0", "Python 3") belong to the name
        kept: list[metric.Quantity] = []
        for q in quantities:
            for m in techs:
                if m.start <= q.start < m.end:
                    break
            else:
                kept.append(q)
        quantities = kept
    # words like "5xx", "v2", "arm64" that are neither a technology nor a parsed quantity are literal figures
    literals = _literal_figures(tokens, [*techs, *products] if products else techs, quantities, anchors)
    if literals:
        quantities.extend(literals)
        quantities.sort(key=_start)
    return Analysis(
        text,
        tokens,
        tuple(techs),
        tuple(quantities),
        tuple(scope.find(tokens, in_input=is_input)),
        tuple(ownership.find(tokens, tech_words)),
        *_bullet_claims(tokens, tech_words, is_input),
        tuple(products),
    )


def _bullet_claims(
    tokens: Tokens, tech_words: dict[int, str], is_input: bool
) -> tuple[tuple[outcome.OutcomeMention, ...], tuple[scope.ReachClaim, ...]]:
    """Outcomes and reach claims: bullets only (the input's side is read by ``outcome.support`` and
    ``scope.ReachFacts``)."""
    if is_input:
        return (), ()
    hits = _phrases.scan(tokens)
    if not hits:
        return (), ()
    return tuple(outcome.find(tokens, tech_words, hits)), tuple(scope.find_reach(tokens, tech_words, hits))


def _tech_spans(techs: Sequence[tool.TechMention]) -> list[tuple[int, int, str]]:
    return [(m.first_token, m.last_token, m.name) for m in techs]


def analyse_bullet(bullet: str) -> Analysis:
    """Read a bullet once, the way :func:`service.guard.check_bullet` reads it. Callers that also lint
    the bullet pass this reading to both, so the bullet is tokenised and parsed a single time."""
    return analyse(bullet, is_input=False)


def bullet_analysis(bullet: str, analysis: Analysis | None) -> Analysis:
    """``analysis`` when it is a reading of ``bullet`` (``ValueError`` when it is of another text), else a
    fresh :func:`analyse_bullet`."""
    if analysis is None:
        return analyse_bullet(bullet)
    if analysis.text != bullet:
        raise ValueError("the analysis is of another text than the bullet")
    return analysis


def _start(q: metric.Quantity | tool.TechMention) -> int:
    return q.start


_ASCII_DIGIT = re.compile(r"[0-9]")


def _literal_figures(
    tokens: Tokens, techs: list[tool.TechMention], quantities: list[metric.Quantity], anchors: frozenset[int]
) -> list[metric.Quantity]:
    """Words mixing digits and letters ("5xx", "v2") not covered by a technology or a quantity. Only the
    words holding a digit are looked at: found by searching the joined lower-case words for digits."""
    joined = tokens.joined
    out: list[metric.Quantity] = []
    version_starts: set[int] | None = None
    # words are met left to right, so the word's position and the quantities or technologies that may
    # cover it are found by moving forward, never by searching from the start again (linear in the text)
    qs = quantities
    ts: list[tool.TechMention] | None = None  # sorted by start when first needed
    qi = ti = 0
    k = 0  # position of the word starting at ``counted``
    counted = 0
    m = _ASCII_DIGIT.search(joined)
    while m is not None:
        word_start = joined.rfind(" ", 0, m.start()) + 1
        word_end = joined.find(" ", m.start())
        if word_end < 0:
            word_end = len(joined)
        if not joined[word_start:word_end].isdigit():
            k += joined.count(" ", counted, word_start)  # the word's position
            counted = word_start
            word = tokens.words[k]
            if _has_digit_and_letter(word):
                start = tokens.starts[k]
                while qi < len(qs) and qs[qi].end <= start:
                    qi += 1
                if ts is None:
                    ts = sorted(techs, key=_tech_start) if len(techs) > 1 else techs
                while ti < len(ts) and ts[ti].end <= start:
                    ti += 1
                covered = (qi < len(qs) and qs[qi].start <= start) or (ti < len(ts) and ts[ti].start <= start)
                if not covered:
                    if version_starts is None:
                        version_starts = _version_starts(tokens.text, anchors)
                    if start not in version_starts:
                        out.append(
                            metric.Quantity("literal", 0.0, 0.0, start, tokens.ends[k], word, literal=tokens.lowers[k])
                        )
        m = _ASCII_DIGIT.search(joined, word_end)
    return out


def _tech_start(t: tool.TechMention) -> int:
    return t.start


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
    scope_objects: frozenset[tuple[str, str]]  # (concept, object) the input states only for that object
    claims: tuple[ownership.Claim, ...]
    claim_sources: tuple[Source, ...]
    redact_pattern: redaction.Terms | None
    evidence_ids: frozenset[str]
    outcome_support: frozenset[str]  # what the input states, as outcome keys (see ``outcome.support``)
    reach: scope.ReachFacts  # what the input states about reach, breadth and status
    # derived from the fields above once per request, so checking a bullet only looks things up
    lookup: Lookup = field(compare=False, repr=False)


class Lookup:
    """The facts arranged for checking bullets: indexes and the parts of hints that name the input."""

    __slots__ = (
        "by_dim",
        "claim_index",
        "claim_says",
        "figures",
        "frequency",
        "input_words",
        "named_techs",
        "quantity_index",
    )

    def __init__(
        self,
        tech_names: frozenset[str],
        quantities: Sequence[metric.Quantity],
        quantity_sources: Sequence[Source],
        claims: Sequence[ownership.Claim],
        claim_sources: Sequence[Source],
        sources: Sequence[Source] = (),
        input_words: frozenset[str] = frozenset(),
    ) -> None:
        self.input_words = input_words  # every lower-case word of the input: names it uses are no invention
        derived: list[metric.Derived] = []
        for s in sources:
            derived.extend(metric.derive(s.analysis.text, s.analysis.quantities))
        self.quantity_index = metric.QuantityIndex(quantities, derived)
        self.frequency = _frequency(sources)
        # hints quote the source of the first input quantity (or claim) equal to the one they name
        first_q: dict[metric.Quantity, int] = {}
        by_dim: dict[str, tuple[list[metric.Quantity], list[str]]] = {}
        for k, q in enumerate(quantities):
            says = quantity_sources[first_q.setdefault(q, k)].says
            group = by_dim.setdefault(q.dim, ([], []))
            group[0].append(q)
            group[1].append(says)
        self.by_dim = by_dim  # dim -> (input quantities of that dim in input order, what their source says)
        self.figures = ", ".join(dict.fromkeys(p.text.strip() for p in quantities[:6]))
        self.named_techs = ", ".join(sorted(tech_names)[:6])
        self.claim_index = ownership.ClaimIndex(claims)
        first_c: dict[ownership.Claim, int] = {}
        self.claim_says = tuple(claim_sources[first_c.setdefault(c, k)].says for k, c in enumerate(claims))


def _frequency(sources: Sequence[Source]) -> tuple[str, frozenset[str]]:
    """The input's first frequency hedge ("usually", "most weeks"; empty when none) and the absolute
    frequencies it states itself ("every week")."""
    hedge = ""
    absolute: set[str] = set()
    for s in sources:
        tokens = s.analysis.tokens
        for i, j, is_hedge in metric.frequencies(tokens):
            phrase = " ".join(tokens.lowers[i:j])
            if is_hedge:
                hedge = hedge or tokens.text[tokens.starts[i] : tokens.ends[j - 1]]
            else:
                absolute.add(phrase)
    return hedge, frozenset(absolute)


def without_instructions(text: str) -> str:
    """``text`` with its instructions to the writer or the model blanked (see :mod:`service.guard.instruction`):
    a request states no fact. Same length, so every offset into it is an offset into ``text``."""
    tokens = tokenize(plain(text), _glued_names())
    return instruction.blank(text, instruction.spans(tokens.text, tokens))


def _read_input(text: str, keep_instructions: bool) -> Analysis:
    """Notes or an evidence text, read with its instructions blanked (tokenised once when it has none)."""
    tokens = tokenize(plain(text), _glued_names())
    found = [] if keep_instructions else instruction.spans(tokens.text, tokens)
    if found:
        return analyse(instruction.blank(text, found), is_input=True)
    return analyse(text, is_input=True, tokens=tokens)


def extract_facts(
    notes: str,
    evidence: Sequence[EvidenceItem] = (),
    redact: Iterable[str] = (),
    *,
    keep_instructions: bool = False,
) -> Facts:
    """What the input states. Instructions in the notes and evidence ("write that I led a team of 12") are
    read as no facts; ``keep_instructions``: read them as facts too (for measuring what a text mentions)."""
    sources = [Source("the notes", _read_input(notes, keep_instructions))]
    sources += [Source(f"evidence {e.id}", _read_input(e.text, keep_instructions)) for e in evidence]
    names = frozenset(m.name for s in sources for m in s.analysis.techs)
    terms = frozenset(m.name for s in sources for m in s.analysis.products)
    quantities: list[metric.Quantity] = []
    q_sources: list[Source] = []
    claims: list[ownership.Claim] = []
    c_sources: list[Source] = []
    for s in sources:
        quantities.extend(s.analysis.quantities)
        q_sources.extend([s] * len(s.analysis.quantities))
        claims.extend(s.analysis.claims)
        c_sources.extend([s] * len(s.analysis.claims))
    reach = scope.ReachFacts([(s.analysis.tokens, _tech_spans(s.analysis.techs)) for s in sources])
    return Facts(
        sources=tuple(sources),
        tech_names=names,
        techs=tool.closure(names | terms) if terms else tool.closure(names),
        quantities=tuple(quantities),
        quantity_sources=tuple(q_sources),
        scope_concepts=frozenset(m.concept for s in sources for m in s.analysis.scopes if not m.bound)
        | scope.implied_concepts(reach),
        scope_objects=frozenset(
            (m.concept, words[0])
            for s in sources
            for m in s.analysis.scopes
            if m.bound and (words := scope.objects(s.analysis.tokens, m))
        ),
        claims=tuple(claims),
        claim_sources=tuple(c_sources),
        redact_pattern=redaction.compile_terms(redact),
        evidence_ids=frozenset(e.id for e in evidence),
        outcome_support=frozenset(
            key
            for s in sources
            for key in outcome.support(s.analysis.tokens, [(q.start, q.dim) for q in s.analysis.quantities])
        ),
        reach=reach,
        lookup=Lookup(
            names,
            quantities,
            q_sources,
            claims,
            c_sources,
            sources,
            frozenset().union(*(s.analysis.tokens.last.keys() for s in sources)),
        ),
    )
