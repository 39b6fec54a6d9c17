"""``scope``: breadth, scale or absolutes the input does not state ("all services", "millions",
"zero-downtime", "eliminated", "never"). Vocabulary: ``data/scope.json``, phrases grouped into concepts;
the input supports a phrase when it states any phrase of the same concept."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from service.guard._data import load
from service.guard._text import PhraseTable, Tokens, ngram_matches, norm_phrase


class ScopeMention(NamedTuple):
    concept: str
    label: str
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class _Vocab:
    table: PhraseTable
    labels: dict[str, str]
    percent_pattern: re.Pattern[str]
    percent_value: str  # the digits the pattern starts with: a text without them has no match
    percent_concept: str


@cache
def vocab() -> _Vocab:
    d = load("scope")
    table: dict[str, object] = {}
    labels: dict[str, str] = {}
    for concept in d["concepts"]:
        labels[concept["name"]] = concept["label"]
        for phrase in concept["phrases"]:
            table.setdefault(norm_phrase(phrase), concept["name"])
    for phrase in d["neutral"]:
        table[norm_phrase(phrase)] = ""  # idioms that only look like scope claims
    pa = d["percent_absolute"]
    digits = str(pa["value"])
    value = re.escape(digits)
    if digits.lower() != digits.upper():
        digits = ""  # letters would match in any case: no cheap pre-check then
    return _Vocab(
        table=PhraseTable(table),
        labels=labels,
        percent_pattern=re.compile(rf"(?<![\w.]){value}(?:\.0+)?\s?(?:%|percent\b|per cent\b)", re.IGNORECASE),
        percent_value=digits,
        percent_concept=pa["concept"],
    )


def find(tokens: Tokens) -> list[ScopeMention]:
    v = vocab()
    out: list[ScopeMention] = []
    text, starts, ends, labels = tokens.text, tokens.starts, tokens.ends, v.labels
    for i, j, concept in ngram_matches(tokens, v.table):
        assert isinstance(concept, str)
        if concept:
            start, end = starts[i], ends[j - 1]
            out.append(ScopeMention(concept, labels[concept], text[start:end], start, end))
    if v.percent_value in text:
        for m in v.percent_pattern.finditer(text):
            out.append(ScopeMention(v.percent_concept, labels[v.percent_concept], m.group(), m.start(), m.end()))
    return out
