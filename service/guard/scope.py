"""``scope``: breadth, scale or absolutes the input does not state ("all services", "millions",
"zero-downtime", "eliminated", "never"). Vocabulary: ``data/scope.json``, phrases grouped into concepts;
the input supports a phrase when it states any phrase of the same concept."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from service.guard._data import load
from service.guard._text import (
    GAP_CLAUSE,
    GAP_COMMA,
    GAP_JOIN,
    PhraseTable,
    Tokens,
    ngram_matches,
    norm_phrase,
    singular,
)
from service.guard.outcome import stem


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


# --- reach, generalisation and completion (data: ``reach`` and ``status`` in data/scope.json) ---------------

REACH, PLURAL, DEPARTMENT, BROAD, STATUS = "reach", "plural", "department", "broad", "status"
_LIST_WINDOW = 10  # words walked back over a list of departments to its context word ("with Product, …")
_REACH_WINDOW = 4  # words between a reach word and its unit ("across five engineering teams")
_OBJECT_WORDS = 8  # words of a status claim's object
_DONE_WORDS = 6  # words after a "done" word that name what was done ("finished the migration")
_CLAUSES_PER_WORD = 64  # input clauses remembered per word for status matching
_ANY = "*"  # a "done" word about whatever its clause is about ("finished it", "is done")


class ReachClaim(NamedTuple):
    kind: str  # REACH, PLURAL, DEPARTMENT, BROAD or STATUS
    text: str
    start: int
    end: int
    key: str  # the singular noun, department, broad term's group, or "" (status)
    level: int = 0  # status: 2 for a completion verb ("shipped"), 1 for a doing verb ("built")
    words: frozenset[str] = frozenset()  # status: the object's stems; broad: the word naming it, if any


@dataclass(frozen=True, slots=True)
class _Reach:
    plurals: PhraseTable  # plural -> singular
    singulars: PhraseTable  # singular -> singular
    groups: frozenset[str]
    reach_words: frozenset[str]
    reach_by: frozenset[str]  # "used by", "adopted by": the word before "by"
    markers: frozenset[str]
    departments: PhraseTable  # phrase -> department
    followers: frozenset[str]
    contexts: frozenset[str]
    list_words: frozenset[str]
    broad: PhraseTable  # phrase -> group
    broad_markers: frozenset[str]
    measures: frozenset[str]
    compound_groups: frozenset[str]  # broad terms that a word the input does not state still widens
    verbs: frozenset[str]  # words that end a noun phrase before them ("Cut application response time")
    claims: PhraseTable  # status verb -> 2 (completion) or 1 (doing)
    states: PhraseTable  # input status word -> "done", "did", "unfinished" or "unstarted"
    negations: frozenset[str]
    done_pronouns: frozenset[str]
    continuations: frozenset[str]
    object_stops: frozenset[str]
    stops: frozenset[str]
    generic: frozenset[str]


@cache
def reach_vocab() -> _Reach:
    d = load("scope")
    r, s = d["reach"], d["status"]
    pairs = {**r["plurals"], **r["extra_group_plurals"]}
    plurals = {norm_phrase(p): norm_phrase(k) for k, p in pairs.items()}
    singulars = {norm_phrase(k): norm_phrase(k) for k in pairs}
    for alias, word in r["aliases"].items():  # "svcs" = "services", "repo" = "repository"
        alias, word = norm_phrase(alias), norm_phrase(word)
        if word in singulars:
            singulars[alias] = word
        elif word in plurals:
            plurals[alias] = plurals[word]
    reach_words, reach_by = set(), set()
    for phrase in r["reach_words"]:
        words = norm_phrase(phrase).split(" ")
        if words[-1] == "by" and len(words) > 1:
            reach_by.add(words[-2])
        else:
            reach_words.add(words[-1])
    departments: dict[str, object] = {}
    for dept, phrases in r["departments"].items():
        for phrase in phrases:
            departments.setdefault(norm_phrase(phrase), dept)
    broad: dict[str, object] = {}
    for group, phrases in r["broad_terms"].items():
        for phrase in phrases:
            broad.setdefault(norm_phrase(phrase), group)
    claims: dict[str, object] = {norm_phrase(p): 1 for p in s["doing"]}
    claims.update({norm_phrase(p): 2 for p in s["completion"]})
    states: dict[str, object] = {norm_phrase(p): "did" for p in s["doing"]}
    for name in ("done", "unfinished", "unstarted"):
        states.update({norm_phrase(p): name for p in s[name]})
    ov = load("outcome")
    verbs = {*ov["verb_words"], *(w for k in ("verbs", "soft_verbs", "enablers", "makers") for w in ov[k])}
    verbs.update(w for w in claims if " " not in w)
    return _Reach(
        plurals=PhraseTable(dict(plurals)),
        singulars=PhraseTable(dict(singulars)),
        groups=frozenset(norm_phrase(g) for g in r["groups"]),
        reach_words=frozenset(reach_words),
        reach_by=frozenset(reach_by),
        markers=frozenset(r["plural_markers"]),
        departments=PhraseTable(departments),
        followers=frozenset(r["department_followers"]),
        contexts=frozenset(norm_phrase(p).split(" ")[-1] for p in r["department_contexts"]),
        list_words=frozenset(r["department_list_words"]),
        broad=PhraseTable(broad),
        broad_markers=frozenset(r["broad_markers"]),
        measures=frozenset(r["broad_measures"]),
        compound_groups=frozenset(r["compound_groups"]),
        verbs=frozenset(w for w in verbs if " " not in w),
        claims=PhraseTable(claims),
        states=PhraseTable(states),
        negations=frozenset(s["negations"]),
        done_pronouns=frozenset(s["done_pronouns"]),
        continuations=frozenset(norm_phrase(p) for p in s["continuation_cues"]),
        object_stops=frozenset(s["object_stops"]),
        stops=frozenset(ov["stops"]),
        generic=frozenset(ov["generic"]),
    )


class _ContentStems(dict[str, str]):
    """Lower-case word -> its stem when it is a content word of reach and status claims, else "". Pure, so
    remembered (a bounded memo: at most 16,384 words)."""

    def __missing__(self, w: str) -> str:
        v = reach_vocab()
        out = stem(w) if w.isalpha() and len(w) > 1 and w not in v.stops and w not in v.generic else ""
        if len(self) < 16384:
            self[w] = out
        return out


_content_stem = _ContentStems().__getitem__


def _content_stems(tokens: Tokens, lo: int, hi: int, v: _Reach, tech: Mapping[int, str]) -> list[str]:
    """The content words of tokens ``lo`` to ``hi`` as stems; a word of a technology name as that name."""
    lowers = tokens.lowers
    if not tech:  # no technology names: each word is its memoised stem (or none)
        return [w for w in map(_content_stem, lowers[lo:hi]) if w]
    out: list[str] = []
    for k in range(lo, hi):
        name = tech.get(k)
        if name is not None:
            out.append("tech:" + name)
            continue
        w = _content_stem(lowers[k])
        if w:
            out.append(w)
    return out


def _tech_positions(techs: Sequence[tuple[int, int, str]]) -> dict[int, str]:
    return {k: name.lower() for first, last, name in techs for k in range(first, last)}


def find_reach(
    tokens: Tokens,
    tech: Mapping[int, str] | None = None,
    hits: dict[str, list[tuple[int, int, object]]] | None = None,
) -> list[ReachClaim]:
    """Reach, generalisation and completion claims in a bullet (see ``data/scope.json``: ``reach``, ``status``).
    ``tech``: token position -> the technology name it is part of; ``hits``: the bullet's
    matches of the plural, department, broad and claim tables, when the caller has them (``_phrases.scan``)."""
    v = reach_vocab()
    tech = tech or {}
    if hits is None:
        hits = {
            "plural": ngram_matches(tokens, v.plurals),
            "department": ngram_matches(tokens, v.departments),
            "broad": ngram_matches(tokens, v.broad),
        }
    if not hits:
        return []
    out: list[ReachClaim] = []
    text, lowers, gaps, starts, ends, words, n = (
        tokens.text,
        tokens.lowers,
        tokens.gaps,
        tokens.starts,
        tokens.ends,
        tokens.words,
        tokens.n,
    )
    # plural widening and reach: "postmortems", "across five engineering teams"
    for i, j, noun in hits.get("plural", ()):
        assert isinstance(noun, str)
        first = i
        if noun in v.groups:
            k = i - 1
            while k >= 0 and i - k <= _REACH_WINDOW and gaps[k + 1] == GAP_JOIN:
                w = lowers[k]
                if w in v.reach_words or (w == "by" and k > 0 and lowers[k - 1] in v.reach_by):
                    first = k - 1 if w == "by" else k
                    break
                if w in v.stops:
                    break
                k -= 1
        kind = REACH if first < i else PLURAL
        out.append(ReachClaim(kind, text[starts[first] : ends[j - 1]], starts[first], ends[j - 1], noun))
    # departments named in a collaboration context: "with Product, Engineering and Compliance", "the Finance team"
    for i, j, dept in hits.get("department", ()):
        assert isinstance(dept, str)
        followed = j < n and gaps[j] == GAP_JOIN and lowers[j] in v.followers
        if not followed and j - i == 1 and not words[i][:1].isupper():
            continue  # "with data", "with it": a word, not a department
        # only in a collaboration context: "with Product, …", "partnered with the Finance team"
        k = i - 1
        while k >= 0 and i - k <= _LIST_WINDOW and gaps[k + 1] != GAP_CLAUSE:
            w = lowers[k]
            if w in v.contexts:
                break
            if w not in v.list_words and v.departments.get(w) is None and not words[k][:1].isupper():
                k = -1
                break
            k -= 1
        if k < 0 or i - k > _LIST_WINDOW or lowers[k] not in v.contexts:
            continue
        end = ends[j] if followed else ends[j - 1]
        out.append(ReachClaim(DEPARTMENT, text[starts[i] : end], starts[i], end, dept))
    # broader objects: "across the platform", "backend infrastructure", "application performance"
    for i, j, group in hits.get("broad", ()):
        assert isinstance(group, str)
        nxt = lowers[j] if j < n and gaps[j] == GAP_JOIN else ""
        if nxt and nxt.isalpha() and nxt not in v.stops and nxt not in v.measures:
            continue  # "the platform team", "the system design": a modifier of something else
        first, named = i, frozenset[str]()
        prev = lowers[i - 1] if i > 0 and gaps[i] == GAP_JOIN else ""
        if prev and prev not in v.broad_markers and v.broad.get(prev) is None:
            if not prev.isalpha() or prev in v.verbs or prev in v.stops:
                pass  # "Cut application response time", "improving application performance"
            elif i - 1 in tech or group not in v.compound_groups:
                continue  # "the Kafka platform": named by a technology; "a payments product": a description
            else:
                # "billing system": a specific thing's name when the input names it too
                first, named = i - 1, frozenset({stem(prev)})
        while (
            first > 0
            and i - first < 2
            and gaps[first] == GAP_JOIN
            and (lowers[first - 1] in v.broad_markers or v.broad.get(lowers[first - 1]) is not None)
        ):
            first -= 1  # "across the platform", "backend infrastructure"
        end = ends[j] if nxt in v.measures else ends[j - 1]
        out.append(ReachClaim(BROAD, text[starts[first] : end], starts[first], end, group, 0, named))
    return out


CROSS_FUNCTIONAL = "cross-functional"


CROSS_TEAM = "cross-team"


def implied_concepts(facts: ReachFacts) -> frozenset[str]:
    """Scope concepts the input states without their words: two departments named are cross-functional
    work, and work with several teams ("moving 4 teams onto…", "the payments and search teams") is
    cross-team; several teams of one function are not cross-functional."""
    if len(facts.departments) >= 2:
        return frozenset({CROSS_FUNCTIONAL, CROSS_TEAM})
    return frozenset({CROSS_TEAM}) if "team" in facts.plural else frozenset()


def find_status(tokens: Tokens, tech: Mapping[int, str] | None = None) -> list[ReachClaim]:
    """Completion claims in a bullet ("Shipped X", "Launched X", "Built X"), with the stems of their object.
    Only worth reading when the input states unfinished or unstarted work (``ReachFacts.has_cues``)."""
    v = reach_vocab()
    tech = tech or {}
    text, lowers, gaps, starts, ends, n = tokens.text, tokens.lowers, tokens.gaps, tokens.starts, tokens.ends, tokens.n
    out: list[ReachClaim] = []
    for i, j, level in ngram_matches(tokens, v.claims):
        assert isinstance(level, int)
        k = j
        while (
            k < n
            and k - j < _OBJECT_WORDS
            and gaps[k] != GAP_CLAUSE
            and (k == j or gaps[k] != GAP_COMMA)
            and lowers[k] not in v.object_stops
        ):
            k += 1
        stems = frozenset(_content_stems(tokens, j, k, v, tech))
        if stems:
            out.append(ReachClaim(STATUS, text[starts[i] : ends[j - 1]], starts[i], ends[j - 1], "", level, stems))
    return out


class _Clause(NamedTuple):
    stems: frozenset[str]
    states: frozenset[str]  # "unfinished", "unstarted", "did"
    done: tuple[frozenset[str], ...]  # what each "done" word is about (``_ANY``: whatever the clause is)
    cue: str  # the first unfinished or unstarted cue, as written


class ReachFacts:
    """What the input states about reach, breadth and status, built once per request."""

    __slots__ = ("broad", "clause_by_word", "clauses", "cue_stems", "departments", "plural", "singular", "stems")

    def about_cued_work(self, tokens: Tokens) -> bool:
        """Whether the bullet shares a word with work the input calls unfinished or unstarted."""
        cued = self.cue_stems
        return bool(cued) and not cued.isdisjoint(map(stem, tokens.last))

    def __init__(self, texts: Sequence[tuple[Tokens, Sequence[tuple[int, int, str]]]]) -> None:
        v = reach_vocab()
        plural: set[str] = set()
        singular: set[str] = set()
        departments: set[str] = set()
        broad: set[str] = set()
        stems: set[str] = set()
        clauses: list[_Clause] = []
        by_word: dict[str, list[int]] = {}
        for tokens, techs in texts:
            lowers, gaps = tokens.lowers, tokens.gaps
            stems.update(map(stem, lowers))
            for _, _, s in ngram_matches(tokens, v.plurals):
                assert isinstance(s, str)
                plural.add(s)
            for i, j, s in ngram_matches(tokens, v.singulars):
                assert isinstance(s, str)
                nxt = lowers[j] if j < tokens.n and gaps[j] == GAP_JOIN else ""
                if nxt.isalpha() and nxt not in v.stops and nxt != "s":
                    continue  # "the workflow files", "incident runbook": a modifier, not one thing
                k = i - 1
                marked = False
                while k >= 0 and i - k <= 4 and gaps[k + 1] == GAP_JOIN:
                    w = lowers[k]
                    if w in v.markers or (w[:1].isdigit() and w not in ("1", "one")):
                        marked = True
                        break
                    k -= 1
                (plural if marked else singular).add(s)
            departments.update(str(d) for _, _, d in ngram_matches(tokens, v.departments))
            broad.update(str(g) for _, _, g in ngram_matches(tokens, v.broad))
            self._clauses(tokens, _tech_positions(techs), v, clauses, by_word)
        self.plural = frozenset(plural)
        self.singular = frozenset(singular)
        self.departments = frozenset(departments)
        self.broad = frozenset(broad)
        self.stems = frozenset(stems)
        self.clauses = clauses
        self.clause_by_word = by_word
        # the words of work said to be unfinished or unstarted: a bullet sharing none claims no such work
        self.cue_stems = frozenset(w for c in clauses if c.cue for w in c.stems)

    @staticmethod
    def _clauses(
        tokens: Tokens, tech: dict[int, str], v: _Reach, clauses: list[_Clause], by_word: dict[str, list[int]]
    ) -> None:
        n, gaps, lowers, text, starts, ends = (
            tokens.n,
            tokens.gaps,
            tokens.lowers,
            tokens.text,
            tokens.starts,
            tokens.ends,
        )
        if n == 0:
            return
        states: list[tuple[int, int, str]] = []
        for i, j, state in ngram_matches(tokens, v.states):
            assert isinstance(state, str)
            if (
                state in ("done", "did")
                and i > 0
                and (lowers[i - 1] in v.negations or (i > 1 and lowers[i - 2] in v.negations))
            ):
                state = "unfinished"  # "never shipped", "didn't finish"
            states.append((i, j, state))
        bounds = [k for k in range(n) if gaps[k] == GAP_CLAUSE] + [n]
        first = len(clauses)
        s = 0
        for c in range(len(bounds) - 1):
            lo, hi = bounds[c], bounds[c + 1]
            names: set[str] = set()
            done: list[frozenset[str]] = []
            cue = ""
            opens = False
            while s < len(states) and states[s][0] < hi:
                i, j, state = states[s]
                s += 1
                if i < lo:
                    continue
                if state == "done":
                    # what was done: the words after it ("finished the migration"), or anything ("finished it")
                    e = j
                    while e < hi and e - j < _DONE_WORDS and lowers[e] not in v.object_stops:
                        e += 1
                    about = _content_stems(tokens, j, e, v, tech)
                    if j >= hi or lowers[j] in v.done_pronouns:
                        done.append(frozenset({_ANY}))
                    else:
                        done.append(frozenset(about))
                    continue
                names.add(state)
                if state in ("unfinished", "unstarted") and not cue:
                    cue = text[starts[i] : ends[j - 1]]
                    opens = i - lo < 2 and norm_phrase(cue) in v.continuations
            stems = frozenset(_content_stems(tokens, lo, hi, v, tech))
            clauses.append(_Clause(stems, frozenset(names), tuple(done), cue))
            k = first + c
            for w in stems:
                ids = by_word.setdefault(w, [])
                if len(ids) < _CLAUSES_PER_WORD:
                    ids.append(k)
            if opens and c > 0:  # "…; paused when priorities changed": about the clause before
                prev = clauses[k - 1]
                clauses[k - 1] = prev._replace(states=prev.states | (names - {"did"}), cue=prev.cue or cue)

    def status_of(self, claim: ReachClaim) -> str:
        """The cue of the input's unfinished or unstarted work that ``claim`` is about, or "" when the input
        says it was done, says nothing of its status, or states no work like it."""
        counts: dict[int, int] = {}
        for w in claim.words:
            for k in self.clause_by_word.get(w, ()):
                counts[k] = counts.get(k, 0) + 1
        if not counts:
            return ""
        best = max(counts.values())
        cue = ""
        for k, c in counts.items():
            if c != best:
                continue
            clause = self.clauses[k]
            if any(_ANY in d or not d.isdisjoint(claim.words) for d in clause.done):
                return ""
            if claim.level == 1 and "did" in clause.states:
                return ""
            if "unstarted" in clause.states or (claim.level == 2 and "unfinished" in clause.states):
                cue = cue or clause.cue
        return cue

    def supports(self, claim: ReachClaim) -> bool:
        if claim.kind == PLURAL:
            return claim.key in self.plural or claim.key not in self.singular
        if claim.kind == REACH:
            return claim.key in self.plural
        if claim.kind == DEPARTMENT:
            return claim.key in self.departments
        if claim.kind == BROAD:
            return claim.key in self.broad or (bool(claim.words) and claim.words <= self.stems)
        return not self.status_of(claim)
