"""``tool``: a technology, product, standard or vendor the input does not name.

Vocabulary: ``data/technologies.json`` (names, aliases, ambiguous English-word forms, implications) and
``data/tool_context.json`` (what makes an ambiguous word a technology).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from service.guard._data import load
from service.guard._text import GAP_CLAUSE, GAP_JOIN, PhraseTable, Tokens, ngram_matches, norm_phrase


class TechMention(NamedTuple):
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
    table: PhraseTable  # for bullets
    input_table: PhraseTable  # for notes and evidence: also the short input_aliases
    implies: dict[str, tuple[str, ...]]
    before_strict: frozenset[str]
    before_input: frozenset[str]
    after: frozenset[str]
    not_before: dict[str, frozenset[str]]
    not_after: dict[str, frozenset[str]]
    needs_context: frozenset[str]
    needs_context_before: frozenset[str]
    joiners: frozenset[str]


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
    input_table = dict(table)
    for form, name in ctx["input_aliases"].items():
        if name not in implies:
            raise ValueError(f"tool_context.json: input alias {form!r} names unknown technology {name!r}")
        input_table.setdefault(norm_phrase(form), _Entry(name, False, form))
    return _Vocab(
        table=PhraseTable(table),
        input_table=PhraseTable(input_table),
        implies=implies,
        before_strict=frozenset(ctx["before_strict"]),
        before_input=frozenset(ctx["before_strict"]) | frozenset(ctx["before_input"]),
        after=frozenset(ctx["after"]),
        not_before={k: frozenset(v) for k, v in ctx["not_before"].items()},
        not_after={k: frozenset(v) for k, v in ctx["not_after"].items()},
        needs_context=frozenset(ctx["needs_context"]),
        needs_context_before=frozenset(ctx["needs_context_before"]),
        joiners=frozenset(ctx["joiners"]),
    )


def _is_technology_here(tokens: Tokens, i: int, j: int, entry: _Entry, *, in_input: bool) -> bool:
    """Decide whether an ambiguous form (Go, React, Spring…) names the technology at tokens[i:j].

    Notes are often all lower case ("ported the parser to rust"), so in the input a few more preceding
    words count as a technology context than in a bullet."""
    v = vocab()
    text, lowers, gaps = tokens.text, tokens.lowers, tokens.gaps
    first_start, last_end = tokens.starts[i], tokens.ends[j - 1]
    surface = text[first_start:last_end]
    nxt = j if j < tokens.n and gaps[j] != GAP_CLAUSE else -1
    prev = i - 1 if i > 0 and gaps[i] != GAP_CLAUSE else -1
    key = surface.lower()
    if prev >= 0 and gaps[i] == GAP_JOIN and lowers[prev] in v.not_after.get(key, frozenset()):
        return False  # "in flux", "Hong Kong"
    if key in v.needs_context:
        before = v.needs_context_before  # "with Ray", "in Phoenix": a person, a place
    else:
        before = v.before_input if in_input else v.before_strict
        if prev >= 0 and lowers[prev] in v.before_strict and surface == entry.canonical:
            return True  # "rewrote the worker in Go to save memory": "Go to" reads as the verb only without this
    if nxt >= 0 and gaps[nxt] == GAP_JOIN and lowers[nxt] in v.not_before.get(key, frozenset()):
        return False
    in_parens = first_start > 0 and text[first_start - 1] == "(" and text[last_end : last_end + 1] == ")"
    if in_parens:
        return True
    sentence_initial = gaps[i] == GAP_CLAUSE
    if surface == entry.canonical and not sentence_initial and key not in v.needs_context:
        return True
    if prev >= 0 and lowers[prev] in before:
        return True
    if nxt >= 0 and (lowers[nxt] in v.after or lowers[nxt][:1].isdigit()):
        return True  # "Go service", "Node 18"
    return bool(prev >= 0 and text[tokens.ends[prev] : first_start].strip() in v.joiners)


def find(tokens: Tokens, *, in_input: bool = False) -> list[TechMention]:
    """Every technology mentioned in the tokenised text (``in_input``: the text is notes or evidence)."""
    v = vocab()
    out: list[TechMention] = []
    text, starts, ends, gaps = tokens.text, tokens.starts, tokens.ends, tokens.gaps
    matches = ngram_matches(tokens, v.input_table if in_input else v.table)
    for k, (i, j, value) in enumerate(matches):
        assert isinstance(value, _Entry)
        # in notes, an ambiguous name right beside another technology in the same clause is one too:
        # "kafka -> s3 -> athena", "postgres, redis, spring"
        if (
            value.ambiguous
            and not _is_technology_here(tokens, i, j, value, in_input=in_input)
            and not (in_input and _beside_a_technology(matches, k, gaps))
        ):
            continue
        start, end = starts[i], ends[j - 1]
        out.append(TechMention(value.name, text[start:end], start, end, i, j))
    return out


def _beside_a_technology(matches: list[tuple[int, int, object]], k: int, gaps: list[int]) -> bool:
    i, j, _ = matches[k]
    for other in (k - 1, k + 1):
        if 0 <= other < len(matches):
            oi, oj, value = matches[other]
            assert isinstance(value, _Entry)
            if value.ambiguous:
                continue  # two ambiguous words side by side ("go react") prove nothing
            if oj == i and gaps[i] != GAP_CLAUSE:
                return True
            if oi == j and gaps[j] != GAP_CLAUSE:
                return True
    return False


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
