"""``tool``: a technology, product, standard or vendor the input does not name.

Vocabulary: ``data/technologies.json`` (names, aliases, ambiguous English-word forms, implications) and
``data/tool_context.json`` (what makes an ambiguous word a technology).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from service.guard._data import load
from service.guard._text import (
    GAP_CLAUSE,
    GAP_JOIN,
    PhraseTable,
    Tokens,
    ngram_matches,
    norm_phrase,
)


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
    composites: tuple[tuple[str, frozenset[str]], ...]  # (name, the names that together make it)
    contexts: PhraseTable  # unknown products: phrase -> "strict" | "platform" | "person"
    suffixes: frozenset[str]
    articles: frozenset[str]
    not_names: frozenset[str]
    name_not_after: frozenset[str]
    glued_heads: frozenset[str]  # one-word names a version may be glued to ("Java17", "Python3.11")
    context_before: frozenset[str]  # the words right before a name: tool-context phrases' last words, articles
    context_length: int  # words in the longest one
    terms: PhraseTable  # technology terms that are no product ("CI/CD"): form -> term
    term_implied_by: tuple[tuple[str, frozenset[str]], ...]


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
    unknown = ctx["unknown_products"]
    contexts: dict[str, object] = {}
    for kind in ("strict", "platform", "person"):
        for phrase in unknown[kind]:
            contexts.setdefault(norm_phrase(phrase), kind)
    terms: dict[str, object] = {}
    term_implied_by: list[tuple[str, frozenset[str]]] = []
    for term, spec in ctx["terms"].items():
        if isinstance(spec, dict):
            for form in spec["forms"]:
                terms.setdefault(norm_phrase(form), term)
            term_implied_by.append((term, frozenset(spec["implied_by"])))
    composites = tuple((name, frozenset(parts)) for name, parts in ctx["composites"].items() if isinstance(parts, list))
    known = implies.keys() | {t for t, _ in term_implied_by}
    for name, parts in composites:
        if name not in implies or not parts <= known:
            raise ValueError(f"tool_context.json: composite {name!r} names an unknown technology")
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
        composites=composites,
        contexts=PhraseTable(contexts),
        context_before=frozenset(key.split(" ")[-1] for key in contexts) | frozenset(unknown["articles"]),
        context_length=max(len(key.split(" ")) for key in contexts),
        suffixes=frozenset(unknown["suffixes"]),
        articles=frozenset(unknown["articles"]),
        not_names=frozenset(unknown["not_names"]),
        name_not_after=frozenset(unknown["not_after"]),
        glued_heads=frozenset(k for k in input_table if " " not in k and k.isalpha() and len(k) > 1),
        terms=PhraseTable(terms),
        term_implied_by=tuple(term_implied_by),
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
    """The names plus everything they imply (S3 implies AWS; Django implies Python; Jenkins implies the
    term CI/CD), and the composites whose parts are all among them (GitLab and CI/CD make GitLab CI)."""
    v = vocab()
    implies = v.implies
    seen: set[str] = set()
    stack = list(names)
    stack += [term for term, by in v.term_implied_by if not by.isdisjoint(stack)]
    while stack:
        name = stack.pop()
        if name not in seen:
            seen.add(name)
            stack.extend(implies.get(name, ()))
        if not stack:
            stack = [name for name, parts in v.composites if name not in seen and parts <= seen]
    return frozenset(seen)


def find_terms(tokens: Tokens) -> list[TechMention]:
    """Technology terms that are no product ("CI/CD", "CICD", "CI / CD", "ci-cd")."""
    table = vocab().terms
    if table.heads.isdisjoint(tokens.last):
        return []
    out: list[TechMention] = []
    for i, j, term in ngram_matches(tokens, table):
        start, end = tokens.starts[i], tokens.ends[j - 1]
        out.append(TechMention(str(term), tokens.text[start:end], start, end, i, j))
    return out


_SPACE_CAPITAL = re.compile(r" [A-Z]")


def find_unknown(tokens: Tokens, known: list[TechMention]) -> list[TechMention]:
    """Capitalised names in a tool context that the vocabulary does not list ("using Appsmith", "via
    Hookdeck", "a Hatchet-based scheduler", "on Mintlify"): products all the same. People, places, months
    and teams are left out (see ``tool_context.json``: ``unknown_products``). Linear in the text: each
    context looks at most four words ahead."""
    v = vocab()
    words, gaps, n, text = tokens.words, tokens.gaps, tokens.n, tokens.text
    taken: set[int] | None = None  # the tokens of names already found (known ones first)
    out: list[TechMention] = []
    # where a name may start: a capitalised word inside a sentence, a tool context right before it
    context_before, lowers, starts = v.context_before, tokens.lowers, tokens.starts
    for c in _SPACE_CAPITAL.finditer(text):  # a capitalised word after a space: where a name may start
        k = bisect_left(starts, c.start() + 1)
        if k == 0 or k >= n or starts[k] != c.start() + 1:
            continue
        if gaps[k] != GAP_JOIN or lowers[k - 1] not in context_before:
            continue
        if taken is None:
            taken = {i for m in known for i in range(m.first_token, m.last_token)}
        if k in taken:
            continue
        kind = _context_before(tokens, k, v)
        if kind is None:
            continue
        e = _capitalised_run(tokens, k, v)
        if e <= k:
            continue
        if kind == "platform" and _not_platform(tokens, k, e, v):
            continue
        if kind == "person" and not _looks_like_product(tokens, k, e, v):
            continue
        _add_unknown(tokens, k, e, taken, out, v)
    has_suffix = not v.suffixes.isdisjoint(tokens.last)
    if has_suffix and taken is None:
        taken = {i for m in known for i in range(m.first_token, m.last_token)}
    if has_suffix and taken is not None:
        for s in tokens.positions(v.suffixes.intersection(tokens.last)):
            # "Hatchet-based": the name glued by a hyphen to the word after it
            if s == 0 or gaps[s] != GAP_JOIN or text[tokens.ends[s - 1] : tokens.starts[s]] != "-":
                continue
            k = s - 1
            if k in taken or not words[k][:1].isupper() or words[k] in v.not_names:
                continue
            while k > 0 and s - k < 4 and gaps[k] == GAP_JOIN and text[tokens.ends[k - 1] : tokens.starts[k]] == " ":
                if not words[k - 1][:1].isupper() or words[k - 1] in v.not_names or k - 1 in taken:
                    break
                k -= 1
            if gaps[k] == GAP_CLAUSE and k + 1 < s:
                k += 1  # a sentence's first word is capitalised anyway
            elif gaps[k] == GAP_CLAUSE:
                continue
            _add_unknown(tokens, k, s, taken, out, v)
    out.sort(key=_start)
    return out


def _start(m: TechMention) -> int:
    return m.start


def _context_before(tokens: Tokens, k: int, v: _Vocab) -> str | None:
    """The kind of tool context ending right before token ``k`` (an article may come between, except
    after "with"): the longest context phrase wins ("built on" over "on")."""
    lowers, gaps = tokens.lowers, tokens.gaps
    ends = [k - 1]
    if lowers[k - 1] in v.articles and k > 1 and gaps[k - 1] == GAP_JOIN:
        ends.append(k - 2)
    for p in ends:
        for length in range(min(v.context_length, p + 1), 0, -1):
            first = p - length + 1
            if any(gaps[i] != GAP_JOIN for i in range(first + 1, p + 1)):
                continue
            kind = v.contexts.phrases.get(" ".join(lowers[first : p + 1]))
            if kind is not None:
                if p < k - 1 and kind == "person":
                    return None  # "with the Platform team"
                return str(kind)
    return None


def _capitalised_run(tokens: Tokens, k: int, v: _Vocab) -> int:
    """One past the last of up to four capitalised words from ``k`` joined by spaces (``k``: none)."""
    words, gaps, n = tokens.words, tokens.gaps, tokens.n
    e = k
    while e < n and e - k < 4 and gaps[e] == GAP_JOIN and words[e][:1].isupper() and words[e] not in v.not_names:
        if e > k and tokens.text[tokens.ends[e - 1] : tokens.starts[e]] != " ":
            break
        e += 1
    return e


def _not_platform(tokens: Tokens, k: int, e: int, v: _Vocab) -> bool:
    """After "on": a team, a person's or a place ("on the Platform team", "on Dana's branch")."""
    return e < tokens.n and tokens.gaps[e] != GAP_CLAUSE and tokens.lowers[e] in v.name_not_after


def _looks_like_product(tokens: Tokens, k: int, e: int, v: _Vocab) -> bool:
    """After "with": a product, not a person ("with PagerDuty", "with AWS", "with Appsmith dashboards";
    not "with Dana")."""
    for word in tokens.words[k:e]:
        if any(c.isdigit() or c == "." for c in word) or (len(word) > 1 and word.isupper()):
            return True
        if any(c.isupper() for c in word[1:]):
            return True  # "PagerDuty", "GitLab"
    return e < tokens.n and tokens.gaps[e] == GAP_JOIN and tokens.lowers[e] in v.after


def _add_unknown(tokens: Tokens, k: int, e: int, taken: set[int], out: list[TechMention], v: _Vocab) -> None:
    lowers = tokens.lowers
    if e < tokens.n and tokens.gaps[e] != GAP_CLAUSE and lowers[e] in v.name_not_after:
        return  # "with the Platform team", "using Dana's script"
    while e > k + 1 and lowers[e - 1] in v.after:
        e -= 1  # "the Tinybird API": the product is Tinybird
    if lowers[k] in v.after or any(i in taken for i in range(k, e)):
        return
    start, end = tokens.starts[k], tokens.ends[e - 1]
    surface = tokens.text[start:end]
    out.append(TechMention(surface, surface, start, end, k, e))
    taken.update(range(k, e))
