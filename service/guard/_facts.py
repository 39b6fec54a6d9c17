"""Fact extraction: what the input (notes + evidence) states, computed once per request."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from service.guard import metric, ownership, redaction, scope, tool
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
    # technology terms that are no product ("CI/CD"); in a bullet also capitalised names in a tool
    # context that the vocabulary does not list ("using Appsmith")
    products: tuple[tool.TechMention, ...] = ()


_DIGIT_AND_LETTER = re.compile(r"(?=.*\d)(?=.*[^\W\d_])")


def _has_digit_and_letter(word: str) -> bool:
    return not word.isalpha() and not word.isdigit() and _DIGIT_AND_LETTER.match(word) is not None


def analyse(text: str, *, is_input: bool) -> Analysis:
    """Read ``text`` once. ``is_input``: notes or evidence, where every number counts as a fact and
    lower-case technology names are read more leniently; in a bullet a number right after a
    technology name is its version, not a metric."""
    tokens = tokenize(plain(text))
    versions: list[int] = []
    if _ASCII_DIGIT.search(tokens.joined) is not None:
        tokens, versions = tool.split_versions(tokens)  # "JDK17" reads as "JDK 17"
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
    if versions and is_input:
        # in the input every number is a fact, the version glued to a name too ("Java17" as "Java 17")
        for k in versions:
            start, end = tokens.starts[k], tokens.ends[k]
            version = tokens.text[start:end]
            if version.count(".") <= 1:  # "17", "3.11": the count the spaced form reads as
                quantities.append(metric.Quantity("count", float(version), float(version), start, end, version))
        quantities.sort(key=_start)
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
        tuple(products),
    )


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
    covered_starts: list[int] | None = None  # the spans of quantities and technologies, by start...
    reach: list[int] = []  # ...and the furthest end among the spans up to each one
    k = 0  # the position of the word at ``counted`` (words are counted once, left to right)
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
                if covered_starts is None:
                    spans = sorted([(q.start, q.end) for q in quantities] + [(t.start, t.end) for t in techs])
                    covered_starts = [s for s, _ in spans]
                    furthest = -1
                    for _, e in spans:
                        furthest = max(furthest, e)
                        reach.append(furthest)
                at = bisect_right(covered_starts, start) - 1
                if at < 0 or reach[at] <= start:  # inside no quantity and no technology
                    if version_starts is None:
                        version_starts = _version_starts(tokens.text, anchors)
                    if start not in version_starts:
                        out.append(
                            metric.Quantity("literal", 0.0, 0.0, start, tokens.ends[k], word, literal=tokens.lowers[k])
                        )
        m = _ASCII_DIGIT.search(joined, word_end)
    return out


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
    redact_pattern: re.Pattern[str] | None
    evidence_ids: frozenset[str]
    # derived from the fields above once per request, so checking a bullet only looks things up
    lookup: Lookup = field(compare=False, repr=False)


class Lookup:
    """The facts arranged for checking bullets: indexes and the parts of hints that name the input."""

    __slots__ = (
        "by_dim",
        "claim_index",
        "claim_says",
        "figures",
        "input_words",
        "named_techs",
        "quantity_index",
        "redact_ascii",
    )

    def __init__(
        self,
        tech_names: frozenset[str],
        quantities: Sequence[metric.Quantity],
        quantity_sources: Sequence[Source],
        claims: Sequence[ownership.Claim],
        claim_sources: Sequence[Source],
        redact: Sequence[str],
        input_words: frozenset[str] = frozenset(),
    ) -> None:
        self.input_words = input_words  # every lower-case word of the input: names it uses are no invention
        self.quantity_index = metric.QuantityIndex(quantities)
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
        self.redact_ascii = redaction.compile_terms_ascii(redact)  # the redact pattern for ASCII bullets


def extract_facts(notes: str, evidence: Sequence[EvidenceItem] = (), redact: Iterable[str] = ()) -> Facts:
    redact = list(redact)  # read twice below
    sources = [Source("the notes", analyse(notes, is_input=True))]
    sources += [Source(f"evidence {e.id}", analyse(e.text, is_input=True)) for e in evidence]
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
    return Facts(
        sources=tuple(sources),
        tech_names=names,
        techs=tool.closure(names | terms) if terms else tool.closure(names),
        quantities=tuple(quantities),
        quantity_sources=tuple(q_sources),
        scope_concepts=frozenset(m.concept for s in sources for m in s.analysis.scopes if not m.bound),
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
        lookup=Lookup(
            names,
            quantities,
            q_sources,
            claims,
            c_sources,
            redact,
            frozenset().union(*(s.analysis.tokens.last.keys() for s in sources)),
        ),
    )
