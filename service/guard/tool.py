"""``tool``: a technology, product, standard or vendor the input does not name.

Vocabulary: ``data/technologies.json`` (names, aliases, ambiguous English-word forms, implications) and
``data/tool_context.json`` (what makes an ambiguous word a technology).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from service.guard._data import load
from service.guard._text import GAP_CLAUSE, GAP_JOIN, PhraseTable, Token, ngram_matches, norm_phrase


@dataclass(frozen=True, slots=True)
class TechMention:
    name: str
    text: str
    start: int
    end: int
    first_token: int
    last_token: int  # one past the last token


@dataclass(frozen=True, slots=True)
class _Entry:
    name: str
    ambiguous: bool
    canonical: str  # the form as written in the vocabulary (capitalisation matters for ambiguous forms)


@dataclass(frozen=True, slots=True)
class _Vocab:
    table: PhraseTable
    implies: dict[str, tuple[str, ...]]
    before_strict: frozenset[str]
    before_input: frozenset[str]
    after: frozenset[str]
    not_before: dict[str, frozenset[str]]


@cache
def vocab() -> _Vocab:
    data = load("technologies")
    ctx = load("tool_context")
    table: dict[str, object] = {}
    implies: dict[str, tuple[str, ...]] = {}
    for tech in data["technologies"]:
        name = tech["name"]
        implies[name] = tuple(tech.get("implies", ()))
        for form in tech.get("aliases", ()):
            table.setdefault(norm_phrase(form), _Entry(name, False, form))
        for form in tech.get("ambiguous", ()):
            table.setdefault(norm_phrase(form), _Entry(name, True, form))
    return _Vocab(
        table=PhraseTable(table),
        implies=implies,
        before_strict=frozenset(ctx["before_strict"]),
        before_input=frozenset(ctx["before_strict"]) | frozenset(ctx["before_input"]),
        after=frozenset(ctx["after"]),
        not_before={k: frozenset(v) for k, v in ctx["not_before"].items()},
    )


def _is_technology_here(text: str, tokens: tuple[Token, ...], i: int, j: int, entry: _Entry, *, in_input: bool) -> bool:
    """Decide whether an ambiguous form (Go, React, Spring…) names the technology at tokens[i:j].

    Notes are often all lower case ("ported the parser to rust"), so in the input a few more preceding
    words count as a technology context than in a bullet."""
    v = vocab()
    first, last = tokens[i], tokens[j - 1]
    surface = text[first.start : last.end]
    nxt = tokens[j] if j < len(tokens) and tokens[j].gap != GAP_CLAUSE else None
    prev = tokens[i - 1] if i > 0 and first.gap != GAP_CLAUSE else None
    key = surface.lower()
    if nxt is not None and nxt.gap == GAP_JOIN and nxt.lower in v.not_before.get(key, frozenset()):
        return False
    in_parens = first.start > 0 and text[first.start - 1] == "(" and text[last.end : last.end + 1] == ")"
    if in_parens:
        return True
    sentence_initial = first.gap == GAP_CLAUSE
    if surface == entry.canonical and not sentence_initial:
        return True
    if prev is not None and prev.lower in (v.before_input if in_input else v.before_strict):
        return True
    if nxt is not None and (nxt.lower in v.after or nxt.lower[:1].isdigit()):
        return True  # "Go service", "Node 18"
    return bool(prev is not None and (text[prev.end : first.start].strip() in {"+", "/", "&"}))


def find(text: str, tokens: tuple[Token, ...], *, in_input: bool = False) -> list[TechMention]:
    """Every technology mentioned in ``text`` (``in_input``: the text is notes or evidence)."""
    v = vocab()
    out: list[TechMention] = []
    for i, j, value in ngram_matches(tokens, v.table):
        assert isinstance(value, _Entry)
        if value.ambiguous and not _is_technology_here(text, tokens, i, j, value, in_input=in_input):
            continue
        start, end = tokens[i].start, tokens[j - 1].end
        out.append(TechMention(value.name, text[start:end], start, end, i, j))
    return out


def closure(names: Iterable[str]) -> frozenset[str]:
    """The names plus everything they imply (S3 implies AWS; Django implies Python)."""
    implies = vocab().implies
    seen: set[str] = set()
    stack = list(names)
    while stack:
        name = stack.pop()
        if name not in seen:
            seen.add(name)
            stack.extend(implies.get(name, ()))
    return frozenset(seen)
