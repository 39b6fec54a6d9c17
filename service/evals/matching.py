"""Matching facts and phrases in bullets, with the guard's own fact extraction.

A figure matches when it means the same (``2.4s`` = ``2,400 ms``), a technology when it is the same one
(``postgres`` = ``PostgreSQL``), anything else as whole words, case and punctuation aside, with an
optional plural ending (``runbook`` matches ``runbooks``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from service.guard import EvidenceItem, Facts, extract_facts
from service.guard.metric import Quantity

FactKey = tuple[str, str, str]  # ("quantity", dim, value|literal) or ("tech", name, "")


@dataclass(frozen=True, slots=True)
class Fact:
    keys: frozenset[FactKey]  # usually one; a figure that reads two ways ("429s") has both readings
    label: str  # as the input writes it, for reports


@lru_cache(maxsize=8192)
def _facts(text: str) -> Facts:
    return extract_facts(text, keep_instructions=True)  # what a text mentions, requests included


def _quantity_key(q: Quantity) -> FactKey:
    return ("quantity", q.dim, q.literal if q.dim in ("literal", "vague") else f"{q.value:.6g}")


def _fact_keys(facts: Facts) -> frozenset[FactKey]:
    return frozenset(map(_quantity_key, facts.quantities)) | {("tech", name, "") for name in facts.tech_names}


def input_facts(notes: str, evidence: Iterable[EvidenceItem] = ()) -> tuple[Fact, ...]:
    """The figures and named technologies of the input (notes + evidence), each once. The guard reads
    some figures of the input two ways ("429s": status codes or seconds); those readings are one fact,
    kept when a bullet states either."""
    facts = extract_facts(notes, tuple(evidence))
    readings: dict[tuple[str, int, int], set[FactKey]] = {}  # (source, start, end) -> its readings
    labels: dict[tuple[str, int, int], str] = {}
    for q, source in zip(facts.quantities, facts.quantity_sources, strict=True):
        span = (source.label, q.start, q.end)
        readings.setdefault(span, set()).add(_quantity_key(q))
        labels.setdefault(span, q.text.strip())
    out: list[Fact] = []
    seen: set[FactKey] = set()
    for span, keys in readings.items():
        if seen.isdisjoint(keys):  # the same figure written again is not a second fact
            out.append(Fact(frozenset(keys), labels[span]))
        seen |= keys
    out.extend(Fact(frozenset({("tech", name, "")}), name) for name in sorted(facts.tech_names))
    return tuple(out)


def fact_keys(text: str) -> frozenset[FactKey]:
    """The figures and technologies a bullet states."""
    return _fact_keys(_facts(text))


def _words(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", text.casefold()))


@lru_cache(maxsize=1024)
def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\S){re.escape(_words(phrase))}(?:s|es)?(?!\S)")


def mentions(text: str, phrase: str) -> bool:
    """Whether ``text`` states ``phrase``: a lone figure or technology by meaning, anything else by words."""
    keys = fact_keys(phrase)
    if len(keys) == 1:
        return next(iter(keys)) in fact_keys(text)
    words = _words(phrase)
    return bool(words) and _phrase_pattern(phrase).search(_words(text)) is not None
