"""``scope``: breadth, scale or absolutes the input does not state ("all services", "millions",
"zero-downtime", "eliminated", "never"). Vocabulary: ``data/scope.json``, phrases grouped into concepts;
the input supports a phrase when it states any phrase of the same concept."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from service.guard._data import load
from service.guard._text import GAP_JOIN, PhraseTable, Tokens, ngram_matches, norm_phrase, singular


class ScopeMention(NamedTuple):
    concept: str
    label: str
    text: str
    start: int
    end: int
    after: int = 0  # the token after the phrase, where its object starts (see ``objects``)
    bound: bool = False  # an input phrase that supports its concept only for its object ("each request")


@dataclass(frozen=True, slots=True)
class _Vocab:
    table: PhraseTable  # for bullets
    input_table: PhraseTable  # for notes and evidence: also the concepts' input_phrases
    before_digits: frozenset[str]
    skip_words: frozenset[str]
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
    input_table: dict[str, object] = dict(table)
    for concept in d["concepts"]:
        for phrase in concept["input_phrases"]:
            input_table.setdefault(norm_phrase(phrase), concept["name"])
        for phrase in concept["input_phrases_bound"]:
            input_table.setdefault(norm_phrase(phrase), (concept["name"],))  # a 1-tuple: bound to its object
    pa = d["percent_absolute"]
    digits = str(pa["value"])
    value = re.escape(digits)
    if digits.lower() != digits.upper():
        digits = ""  # letters would match in any case: no cheap pre-check then
    return _Vocab(
        table=PhraseTable(table),
        input_table=PhraseTable(input_table),
        before_digits=frozenset(d["neutral_before_digits"]),
        skip_words=frozenset(d["object_skip_words"]),
        labels=labels,
        percent_pattern=re.compile(rf"(?<![\w.]){value}(?:\.0+)?\s?(?:%|percent\b|per cent\b)", re.IGNORECASE),
        percent_value=digits,
        percent_concept=pa["concept"],
    )


def objects(tokens: Tokens, mention: ScopeMention, limit: int = 3) -> tuple[str, ...]:
    """Up to ``limit`` content words after ``mention`` (in the text ``tokens`` is of), within the phrase, in
    the singular: "every request header" -> (request, header)."""
    skip = vocab().skip_words
    k = mention.after
    out: list[str] = []
    lowers, gaps = tokens.lowers, tokens.gaps
    while k < tokens.n and len(out) < limit and gaps[k] == GAP_JOIN:
        word = lowers[k]
        if word.isalpha() and word not in skip:
            out.append(singular(word))
        k += 1
    return tuple(out)


def find(tokens: Tokens, *, in_input: bool = False) -> list[ScopeMention]:
    """Every scope claim in the tokenised text (``in_input``: notes or evidence, which may also state a
    concept in words that are no claim in a bullet, such as "each")."""
    v = vocab()
    out: list[ScopeMention] = []
    text, starts, ends, labels = tokens.text, tokens.starts, tokens.ends, v.labels
    lowers, gaps, n = tokens.lowers, tokens.gaps, tokens.n
    for i, j, value in ngram_matches(tokens, v.input_table if in_input else v.table):
        bound = isinstance(value, tuple)
        concept = value[0] if isinstance(value, tuple) else value
        assert isinstance(concept, str)
        if j == i + 1 and j < n and lowers[i] in v.before_digits and gaps[j] == GAP_JOIN and lowers[j][:1].isdigit():
            continue  # "every 5 minutes": a frequency
        if concept:
            start, end = starts[i], ends[j - 1]
            out.append(ScopeMention(concept, labels[concept], text[start:end], start, end, j, bound))
    if v.percent_value in text:
        for m in v.percent_pattern.finditer(text):
            out.append(ScopeMention(v.percent_concept, labels[v.percent_concept], m.group(), m.start(), m.end()))
    return out
