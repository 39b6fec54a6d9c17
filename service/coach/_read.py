"""How the coach reads text: through the guard's own tokenizer, technology vocabulary, metric reader and
ownership ladder (never a copy of them), plus the coach's phrase lists and the conditions its data files
are written in.

Every access to guard internals is in this module, so the rest of the coach does not depend on them.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from itertools import accumulate
from typing import Any

from service.guard import EvidenceItem, Facts, extract_facts
from service.guard._data import load as load_guard_data
from service.guard._facts import Analysis, analyse, bullet_analysis
from service.guard._text import GAP_CLAUSE, GAP_JOIN, PhraseTable, Tokens, ngram_matches, norm_phrase
from service.guard.tool import TechMention, closure

__all__ = [
    "GAP_CLAUSE",
    "GAP_JOIN",
    "Analysis",
    "Condition",
    "Phrases",
    "Reading",
    "TechMention",
    "Tokens",
    "any_holds",
    "compile_conditions",
    "load",
    "phrase_list",
    "read_bullet",
    "read_inputs",
    "read_text",
    "tech_category",
    "tech_closure",
]

# Quantity kinds that are not a stated figure: vague words ("dozens"), bare literals ("v2", "5xx"), and a
# percentile on its own ("p95" names what was measured, not how much).
_NOT_FIGURES = frozenset({"vague", "literal", "percentile"})
# Figure kinds that state a change on their own ("cut by 40%", "3x faster").
_CHANGE_KINDS = frozenset({"percent", "multiplier"})


@cache
def load(name: str) -> Any:
    """The parsed contents of the coach's ``data/<name>.json``."""
    return json.loads((files("service.coach") / "data" / f"{name}.json").read_text(encoding="utf-8"))


@cache
def _named_lists() -> dict[str, tuple[str, ...]]:
    return {name: tuple(phrases) for name, phrases in load("phrases")["lists"].items()}


def phrase_list(items: Iterable[str]) -> tuple[str, ...]:
    """Phrases with every ``@name`` replaced by the named list of ``data/phrases.json``."""
    lists = _named_lists()
    out: list[str] = []
    for item in items:
        if item.startswith("@"):
            if item[1:] not in lists:
                raise KeyError(f"unknown phrase list {item!r}")
            out.extend(lists[item[1:]])
        else:
            out.append(item)
    return tuple(out)


class Phrases:
    """A set of phrases matched as whole words over a tokenised text, with the guard's rules (case-
    insensitive; hyphens, slashes and spaces between words interchangeable; longest match first)."""

    __slots__ = ("_table",)

    def __init__(self, phrases: Iterable[str], values: Mapping[str, object] | None = None) -> None:
        table: dict[str, object] = {}
        for phrase in phrases:
            key = norm_phrase(phrase)
            if key:
                table.setdefault(key, values[phrase] if values is not None else phrase)
        self._table = PhraseTable(table)

    def find(self, tokens: Tokens) -> list[tuple[int, int, object]]:
        """Matches as (first token, one past the last token, value): left to right, not overlapping."""
        return ngram_matches(tokens, self._table)

    def occurs_in(self, tokens: Tokens) -> bool:
        return bool(self.find(tokens))


@cache
def _categories() -> dict[str, str]:
    return {tech["name"]: tech["category"] for tech in load_guard_data("technologies")["technologies"]}


def tech_category(name: str) -> str:
    """The guard vocabulary's category of a technology (``database``, ``auth``, ``protocol``...)."""
    return _categories().get(name, "")


def tech_closure(names: Iterable[str]) -> frozenset[str]:
    """The names plus every technology they imply (S3 implies AWS), as the guard counts them."""
    return closure(names)


@dataclass(frozen=True, slots=True)
class Reading:
    """One text read once by the guard: its tokens, technologies, quantities and ownership claims."""

    analysis: Analysis

    @property
    def text(self) -> str:
        return self.analysis.text

    @property
    def tokens(self) -> Tokens:
        return self.analysis.tokens

    @property
    def techs(self) -> tuple[TechMention, ...]:
        return self.analysis.techs

    def token_at(self, offset: int) -> int:
        """Index of the token that starts at or contains character ``offset`` (or the one after it)."""
        starts = self.tokens.starts
        k = bisect.bisect_right(starts, offset) - 1
        if k >= 0 and offset < self.tokens.ends[k]:
            return k
        return k + 1

    def tech_token_indexes(self) -> frozenset[int]:
        return frozenset(k for m in self.techs for k in range(m.first_token, m.last_token))

    def has_figure(self) -> bool:
        return any(q.dim not in _NOT_FIGURES for q in self.analysis.quantities)

    def has_percentile(self) -> bool:
        return any(q.dim == "percentile" for q in self.analysis.quantities)

    def has_measured_change(self) -> bool:
        """Two figures of the same kind in one clause ("from 900 ms to 300 ms"), or a percentage or
        multiplier ("by 40%", "3x")."""
        figures = [q for q in self.analysis.quantities if q.dim not in _NOT_FIGURES]
        if any(q.dim in _CHANGE_KINDS for q in figures):
            return True
        if len(figures) < 2:
            return False
        # clause_of[k]: how many clause breaks come up to token k; tokens with the same number share a clause
        clause_of = list(accumulate(1 if gap == GAP_CLAUSE else 0 for gap in self.tokens.gaps))
        seen: set[tuple[str, int]] = set()
        for q in figures:
            key = (q.dim, clause_of[min(self.token_at(q.start), len(clause_of) - 1)])
            if key in seen:
                return True
            seen.add(key)
        return False

    def has_claim(self) -> bool:
        return bool(self.analysis.claims)

    def has_first_person_ownership(self) -> bool:
        """An ownership verb at designed/owned/led level, or at built level right after "I" — in both
        cases not under a helper phrase ("helped design", "the team built"), which the guard lowers."""
        lowers, gaps = self.tokens.lowers, self.tokens.gaps
        for claim in self.analysis.claims:
            if claim.level >= 3:
                return True
            if claim.level == 2:
                k = self.token_at(claim.start)
                if k > 0 and gaps[k] == GAP_JOIN and lowers[k - 1] == "i":
                    return True
        return False


def read_bullet(text: str, analysis: Analysis | None = None) -> Reading:
    """Read a bullet as the guard reads bullets (a number right after a technology is its version).
    ``analysis``: the guard's reading of it, when the caller already has one (``ValueError`` if it is
    of another text)."""
    return Reading(bullet_analysis(text, analysis))


def read_text(text: str) -> Reading:
    """Read a text the way the guard reads its input (lower-case technology names read leniently)."""
    return Reading(analyse(text, is_input=True))


def read_inputs(notes: str, evidence: Sequence[EvidenceItem] = (), facts: Facts | None = None) -> tuple[Reading, ...]:
    """Read the notes and every evidence text as the guard reads its input, in that order. ``facts``: the
    guard's facts of these same inputs, when the caller already has them (the notes are then not read again)."""
    if facts is None:
        facts = extract_facts(notes, evidence, ())
    return tuple(Reading(source.analysis) for source in facts.sources)


@dataclass(frozen=True, slots=True)
class _NamedSystem:
    nouns: frozenset[str]
    generic: frozenset[str]


@cache
def _named_system() -> _NamedSystem:
    data = load("lint")["named_system"]
    return _NamedSystem(
        frozenset(w.lower() for w in data["nouns"]), frozenset(w.lower() for w in data["generic_qualifiers"])
    )


def _names_a_system(reading: Reading) -> bool:
    """A system noun after a naming word: "billing service", "notification worker", "checkout monolith" (not
    after a technology, an ownership verb or a generic word: "Go services", "maintained services")."""
    v = _named_system()
    tokens = reading.tokens
    techs = reading.tech_token_indexes()
    verbs = frozenset(reading.token_at(claim.start) for claim in reading.analysis.claims)
    for k in range(1, tokens.n):
        if tokens.lowers[k] not in v.nouns or tokens.gaps[k] != GAP_JOIN:
            continue
        qualifier = tokens.lowers[k - 1]
        if k - 1 in techs or k - 1 in verbs or qualifier in v.generic or not qualifier.isalpha() or len(qualifier) < 2:
            continue
        return True
    return False


@dataclass(frozen=True, slots=True)
class Condition:
    """Facts that must all hold for the condition to hold (see the ``comment`` of ``data/lint.json``)."""

    words: Phrases | None = None
    tech_categories: frozenset[str] = frozenset()
    figure: bool = False
    named_system: bool = False
    claims: bool = False
    first_person_ownership: bool = False
    measured_change: bool = False
    percentile: bool = False

    def holds(self, readings: Sequence[Reading]) -> bool:
        if self.words is not None and not any(self.words.occurs_in(r.tokens) for r in readings):
            return False
        if self.tech_categories and not any(
            tech_category(m.name) in self.tech_categories for r in readings for m in r.techs
        ):
            return False
        checks = (
            (self.figure, Reading.has_figure),
            (self.named_system, _names_a_system),
            (self.claims, Reading.has_claim),
            (self.first_person_ownership, Reading.has_first_person_ownership),
            (self.measured_change, Reading.has_measured_change),
            (self.percentile, Reading.has_percentile),
        )
        return all(any(check(r) for r in readings) for wanted, check in checks if wanted)


_FLAGS = frozenset({"figure", "named_system", "claims", "first_person_ownership", "measured_change", "percentile"})


def compile_conditions(raw: Sequence[Mapping[str, Any]] | None) -> tuple[Condition, ...]:
    """Conditions from their data form: a list of objects, each a set of facts that must all hold."""
    out: list[Condition] = []
    for item in raw or ():
        unknown = set(item) - _FLAGS - {"words", "tech_categories"}
        if unknown:
            raise ValueError(f"unknown condition keys: {sorted(unknown)}")
        if any(item.get(flag) is False for flag in _FLAGS):
            raise ValueError("condition flags can only be true")
        words = item.get("words")
        out.append(
            Condition(
                words=Phrases(phrase_list(words)) if words else None,
                tech_categories=frozenset(item.get("tech_categories", ())),
                figure=bool(item.get("figure")),
                named_system=bool(item.get("named_system")),
                claims=bool(item.get("claims")),
                first_person_ownership=bool(item.get("first_person_ownership")),
                measured_change=bool(item.get("measured_change")),
                percentile=bool(item.get("percentile")),
            )
        )
    return tuple(out)


def any_holds(conditions: Sequence[Condition], readings: Sequence[Reading]) -> bool:
    return any(condition.holds(readings) for condition in conditions)
