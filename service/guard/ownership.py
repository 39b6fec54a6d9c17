"""``ownership``: a stronger claim of ownership than the input supports.

An ordered ladder (helped < built < designed/owned < led; ``data/ownership.json``). Each verb on the
ladder opens a *segment*: the words it governs up to the next ladder verb or clause break. A verb under a
helper phrase ("helped ship", "was part of the team that moved") counts at the bottom rung. A bullet verb
at rung L is supported when an input segment about the same work (sharing a content word) sits at rung
L or higher; when no input segment is about that work, the input's highest rung (or the implicit rung for
notes that state no ladder verb) applies.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
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


class Claim(NamedTuple):
    level: int
    text: str
    start: int
    end: int
    content: frozenset[str]  # content words of the whole segment the claim governs
    obj: frozenset[str]  # content words of its direct object (up to the first preposition)


@dataclass(frozen=True, slots=True)
class _Form:
    level: int
    past: bool
    phrase: bool
    role: bool = False  # a role noun ("tech lead"): a claim only when it describes the author


@dataclass(frozen=True, slots=True)
class _Vocab:
    table: PhraseTable
    level_names: dict[int, str]
    implicit_level: int
    damp_table: PhraseTable
    damp_window: int
    cancel: frozenset[str]
    triggers: frozenset[str]
    role_triggers: frozenset[str]
    role_articles: frozenset[str]
    object_stops: frozenset[str]
    adjective_markers: frozenset[str]
    relative_pronouns: frozenset[str]
    role_table: PhraseTable  # role labels ("author", "reviewed by") -> their rung
    role_self: frozenset[str]
    outcomes: frozenset[str]
    coordinators: frozenset[str]
    not_ownership: dict[str, frozenset[str]]
    generic: frozenset[str]
    abbreviations: dict[str, str]
    ladder_words: frozenset[str]
    role_nouns: frozenset[str]
    team_nouns: frozenset[str]
    size_words: frozenset[str]
    team_window: int
    co_agents: PhraseTable
    co_agent_keys: frozenset[str]  # one word of each co-agent phrase: a text holding none has no such phrase
    subject_phrases: frozenset[str]
    partial_after: PhraseTable
    partial_before: frozenset[str]
    co_agent_open: frozenset[str]
    people: frozenset[str]


@cache
def vocab() -> _Vocab:
    d = load("ownership")
    table: dict[str, object] = {}
    names: dict[int, str] = {}
    ladder_words: set[str] = set()
    for lv in d["levels"]:
        level = int(lv["level"])
        names[level] = lv["name"]
        for form in lv["past"]:
            table[form] = _Form(level, True, False)
        for form in lv["other"]:
            table.setdefault(form, _Form(level, False, False))
        for phrase in lv["phrases"]:
            table[norm_phrase(phrase)] = _Form(level, True, True)
        for phrase in lv["roles"]:
            table[norm_phrase(phrase)] = _Form(level, True, True, role=True)
        ladder_words.update(lv["past"])
        ladder_words.update(lv["other"])
    damp = d["dampeners"]
    team = d["team_credit"]
    subjects = frozenset(norm_phrase(p) for p in team["subject_phrases"])
    # a helper phrase's value: whether it is a subject ("we", "the team"), whose lowering carries on
    damp_table: dict[str, object] = {norm_phrase(p): norm_phrase(p) in subjects for p in damp["phrases"]}
    partial = d["partial_credit"]
    return _Vocab(
        table=PhraseTable(table),
        level_names=names,
        implicit_level=int(d["implicit_level"]),
        damp_table=PhraseTable(damp_table),
        damp_window=int(damp["window"]),
        cancel=frozenset(damp["cancel"]),
        triggers=frozenset(d["verb_triggers"]),
        role_triggers=frozenset(d["role_triggers"]),
        role_articles=frozenset(d["role_articles"]),
        object_stops=frozenset(d["object_stops"]),
        adjective_markers=frozenset(d["adjective_markers"]),
        relative_pronouns=frozenset(d["relative_pronouns"]),
        role_table=PhraseTable({norm_phrase(k): int(lv) for k, lv in d["role_labels"]["labels"].items()}),
        role_self=frozenset(d["role_labels"]["self_words"]),
        outcomes=frozenset(d["outcome_participles"]["words"]),
        coordinators=frozenset(d["coordinators"]),
        not_ownership={k: frozenset(v) for k, v in d["not_ownership"].items()},
        generic=frozenset(d["generic_words"]),
        abbreviations=dict(d["abbreviations"]),
        ladder_words=frozenset(ladder_words),
        role_nouns=frozenset(d["role_nouns"]["words"]),
        team_nouns=frozenset(team["team_nouns"]),
        size_words=frozenset(team["size_words"]),
        team_window=int(team["window"]),
        co_agents=PhraseTable({norm_phrase(p): True for p in team["co_agents"]}),
        co_agent_keys=frozenset(_key_word(norm_phrase(p), frozenset(team["common_words"])) for p in team["co_agents"]),
        subject_phrases=subjects,
        partial_after=PhraseTable({norm_phrase(p): True for p in partial["after"]}),
        partial_before=frozenset(partial["before"]),
        co_agent_open=frozenset(team["co_agent_open"]),
        people=frozenset(team["people"]),
    )


def _key_word(phrase: str, common: frozenset[str]) -> str:
    """The word a text must hold for ``phrase`` to occur in it: its longest word that is not common."""
    words = phrase.split(" ")
    return max([w for w in words if w not in common] or words, key=len)


def _is_verb(tokens: Tokens, i: int, j: int, form: _Form, v: _Vocab) -> bool:
    """Is the ladder word at tokens[i:j] used as a verb here (not "the design doc", "lead time")?"""
    lowers, gaps = tokens.lowers, tokens.gaps
    if form.role:
        # "Tech lead for X", "as (the) team lead" — not "handed it over to the new team lead"
        k = i - 1
        if k > 0 and lowers[k] in v.role_articles and gaps[k] == GAP_JOIN:
            k -= 1
        return gaps[i] != GAP_JOIN or lowers[k] in v.role_triggers
    if form.phrase:
        return True
    word = lowers[i]
    if j < tokens.n and gaps[j] == GAP_JOIN and lowers[j] in v.not_ownership.get(word, ()):
        return False
    if gaps[i] != GAP_JOIN:
        return True  # first word of a sentence, clause or list item ("Designed X, wrote Y")
    prev = lowers[i - 1]
    if prev[:1].isdigit() and not (i > 1 and lowers[i - 2] == "of" and form.past):
        return False  # "a 70% cut", "3 builds"; but "a team of 4 migrated"
    if form.past:
        return prev not in v.adjective_markers
    if prev in v.triggers or prev.endswith("ly"):
        return True
    if word in v.role_nouns:  # "I was the lead on the model work", "as lead"
        k = i - 1
        if k > 0 and lowers[k] in v.role_articles and gaps[k] == GAP_JOIN:
            k -= 1
        return lowers[k] in v.role_triggers and gaps[k + 1] == GAP_JOIN
    return False


def _dampened(tokens: Tokens, i: int, v: _Vocab, aside: bool = False) -> int:
    """Is the verb at ``i`` under a helper phrase ("helped ...", "the team ...", "was part of ...")?
    0: no; 1: under a helper verb; 2: under a subject ("we", "the team"), which carries on to the later
    verbs of the clause. ``aside``: ``i`` is the first word of an aside before the verb (see ``_aside``),
    and the phrase is looked for before it."""
    gaps = tokens.gaps
    lo = i - 1 if aside else i
    while lo > 0 and i - lo < v.damp_window and gaps[lo] == GAP_JOIN:
        lo -= 1
    if lo == i:
        return 0
    hits = ngram_matches(tokens, v.damp_table, lo, i)
    if not hits:
        return 0
    lowers, cancel = tokens.lowers, v.cancel
    last_cancel = -1
    for k in range(i - 1, lo - 1, -1):
        if lowers[k] in cancel:
            last_cancel = k
            break
    if hits[-1][0] <= last_cancel:  # the last helper phrase starts before the last cancelling word
        return 0
    return 2 if hits[-1][2] else 1


def _team_subject(tokens: Tokens, i: int, v: _Vocab, aside: bool = False) -> bool:
    """Is the verb at ``i`` said of a team: a team noun right before it, past a size qualifier ("our
    team of 4 migrated", "my squad shipped", "a team of three of us rewrote")? ``aside``: as for
    ``_dampened``."""
    lowers, gaps, text = tokens.lowers, tokens.gaps, tokens.text
    k = i - 1
    floor = max(0, i - v.team_window)
    while k >= floor:
        # words of one phrase, or a size in parentheses ("our team (4 of us) migrated"); not "from
        # another team, cleaned up the alerts"
        if (
            gaps[k + 1] != GAP_JOIN
            and not (aside and k == i - 1)
            and text[tokens.ends[k] : tokens.starts[k + 1]].strip() not in ("(", ")")
        ):
            return False
        word = lowers[k]
        if word in v.team_nouns:
            return True
        if word not in v.size_words and not word[:1].isdigit():
            return False
        k -= 1
    return False


def _aside(tokens: Tokens, i: int, v: _Vocab) -> int:
    """The first word of a short aside between commas right before the verb at ``i`` ("we, well mostly
    me, rebuilt…"), or -1. An aside holding a ladder word is a clause of its own, not an aside."""
    gaps, lowers = tokens.gaps, tokens.lowers
    if gaps[i] != GAP_COMMA:
        return -1
    k = i - 1
    while k > 0 and gaps[k] == GAP_JOIN and i - k <= v.damp_window:
        if lowers[k] in v.ladder_words:
            return -1
        k -= 1
    if k <= 0 or gaps[k] != GAP_COMMA or lowers[k] in v.ladder_words:
        return -1
    return k


def _partial(tokens: Tokens, i: int, j: int, v: _Vocab) -> bool:
    """Does the verb at tokens[i:j] claim only part of the work ("did most of", "partly migrated")?"""
    lowers, gaps = tokens.lowers, tokens.gaps
    if i > 0 and gaps[i] == GAP_JOIN and lowers[i - 1] in v.partial_before:
        return True
    if j >= tokens.n or gaps[j] == GAP_CLAUSE:
        return False
    node = v.partial_after.trie.get(lowers[j])  # walk the phrase trie from the word after the verb
    k = j + 1
    while node is not None:
        if node[0] is not None:
            return True
        if k >= tokens.n or gaps[k] != GAP_JOIN:
            return False
        node = node[1].get(lowers[k])
        k += 1
    return False


class _ContentWords(dict[str, str]):
    """Lower-case word -> the content word it counts as ("" when it does not count). Pure, so remembered."""

    def __missing__(self, word: str) -> str:
        v = vocab()
        out = v.abbreviations.get(word, word)
        out = "" if out in v.generic or out in v.ladder_words or not out.isalpha() else singular(out)
        if len(self) < 16384:
            self[word] = out
        return out


_CONTENT_WORDS = _ContentWords()


_NO_WORD = frozenset({""})


def find(tokens: Tokens, tech_words: dict[int, str]) -> list[Claim]:
    """Every ownership claim in the tokenised text with its rung and the content words of the work it
    governs. ``tech_words`` maps token index to a canonical technology name, so "k8s" and "Kubernetes" meet.
    In a text with role lines (a PR or a design doc: "author: priya; Reviewers: me"), a clause opening with
    a verb in "-s" ("Adds retries", "Proposes …") is the artifact speaking, not the writer's work.
    """
    v = vocab()
    roles, not_claims = _role_lines(tokens, v)
    found: list[tuple[int, int, int]] = []  # (first token, end token, level)
    damp_possible: bool | None = None  # whether any helper phrase can start in the text at all
    relative_end = -1  # one past a ladder word in a "which"/"that" clause: what a thing does, not a claim
    lowers, gaps = tokens.lowers, tokens.gaps
    team_clause = False  # whether the last claim was lowered by a team subject, which may carry on
    team_end = 0  # one past the claim a team subject lowered last
    co_agents: _CoAgents | None = None
    has_team = False  # whether a team noun occurs in the text at all
    n, partial_heads = tokens.n, v.partial_after.heads
    for i, j, form in ngram_matches(tokens, v.table):
        assert isinstance(form, _Form)
        if i in not_claims:
            continue  # a role label ("author:") or a title before one ("Upgrade X (author: priya)")
        relative = i > 0 and tokens.gaps[i] == GAP_JOIN and lowers[i - 1] in v.relative_pronouns
        if relative or (i == relative_end + 1 and lowers[i - 1] in v.coordinators and tokens.gaps[i] == GAP_JOIN):
            # "the sink, which writes …", "the tool that builds and ships …": what a thing does. But "the
            # team that migrated X" is work the writer had a part in: a contributed-level claim.
            relative_end = j
            if _dampened(tokens, i, v):
                found.append((i, j, 1))
            continue
        if not _is_verb(tokens, i, j, form, v):
            continue
        word = lowers[i]
        if word in v.outcomes and tokens.gaps[i] == GAP_COMMA:
            continue  # "Batched writes, raising throughput": the outcome of the work before it
        if (
            not_claims  # the text has role lines
            and not form.past
            and j == i + 1
            and tokens.gaps[i] == GAP_CLAUSE
            and word.endswith("s")
            and not word.endswith("ss")
        ):
            continue  # "PR-905: Adds retries…", "Proposes BM25 tuning": the artifact speaking
        level = form.level
        if level > 1:
            if (
                level == 2
                and ((j < n and lowers[j] in partial_heads) or (i > 0 and lowers[i - 1] in v.partial_before))
                and _partial(tokens, i, j, v)
            ):
                level = 1
            elif lowers[j - 1] in v.cancel:
                team_clause = False  # "8 people reporting to me": the writer's own
            else:
                if damp_possible is None:
                    damp_possible = not v.damp_table.heads.isdisjoint(tokens.last)
                    if not v.co_agent_keys.isdisjoint(tokens.last):
                        co_agents = _CoAgents(tokens, v)
                    has_team = not v.team_nouns.isdisjoint(tokens.last)
                under = _dampened(tokens, i, v) if damp_possible else 0
                if not under and team_clause:
                    # the subject of an earlier verb of this clause carries on, unless a clause break or an
                    # "I" comes between: counted from the verb it lowered, not from a later, weaker one
                    # ("we moved auth. I reviewed the code and wrote the tests": "wrote" is the writer's)
                    pj = team_end
                    if GAP_CLAUSE in gaps[pj : i + 1] or not v.cancel.isdisjoint(lowers[pj:i]):
                        team_clause = False
                    else:
                        under = 2
                if not under and (
                    (has_team and _team_subject(tokens, i, v)) or (co_agents is not None and co_agents.cover(i))
                ):
                    under = 2
                if not under and gaps[i] == GAP_COMMA:
                    at = _aside(tokens, i, v)  # "we, well mostly me, rebuilt…": the subject before the aside
                    if at > 0:
                        under = _dampened(tokens, at, v, aside=True) if damp_possible else 0
                        if not under and has_team and _team_subject(tokens, at, v, aside=True):
                            under = 2
                if under:
                    level = 1
                    team_clause = under == 2
                    team_end = j
                else:
                    team_clause = False
        found.append((i, j, level))
    if not found and not roles:
        return []
    claims: list[Claim] = []
    n = tokens.n
    text, lowers, gaps, starts, ends = tokens.text, tokens.lowers, tokens.gaps, tokens.starts, tokens.ends
    # the content word each token counts as ("" for none); a token inside a technology name counts as that name
    content = list(map(_CONTENT_WORDS.__getitem__, lowers))
    for k, name in tech_words.items():
        content[k] = name
    # "a team of 8", "my squad of five": the people in it, what "8 people reporting to me" is about
    team_words = v.team_nouns.intersection(tokens.last) if "of" in tokens.last else None
    if team_words:
        for k in tokens.positions(team_words):
            if k + 2 < n and lowers[k + 1] == "of" and (lowers[k + 2][:1].isdigit() or lowers[k + 2] in v.size_words):
                content[k] = "people"
    object_stops = v.object_stops
    # Segments, read right to left so each token is looked at a bounded number of times: a verb whose
    # own segment holds no content word ("designed and built X") shares the next claim's segment and
    # object, which are then already known (the same sets, not copies).
    m = len(found)
    next_end, next_words, next_obj_end, next_obj = 0, _NO_WORD, 0, _NO_WORD  # those of claim k + 1
    for k in range(m - 1, -1, -1):
        i, j, level = found[k]
        # the segment: back to the clause start for the clause's first claim, on to the next claim
        seg_start = i
        if k == 0 or GAP_CLAUSE in gaps[found[k - 1][1] : i + 1]:
            seg_start = _clause_start(gaps, i, 0)
        stop = found[k + 1][0] if k + 1 < m else n
        seg_end = j
        if seg_end < stop:
            seg_end = gaps.index(GAP_CLAUSE, seg_end, stop) if GAP_CLAUSE in gaps[seg_end:stop] else stop
        words = frozenset(content[seg_start:seg_end]) - _NO_WORD
        shares = not words and k + 1 < m and seg_end == stop
        limit = seg_end
        if shares:
            seg_end, words = next_end, next_words
            limit = min(seg_end, found[k + 1][1])
        # the direct object: up to the first preposition or comma, within the segment
        obj_end = j
        while obj_end < limit and lowers[obj_end] not in object_stops and (obj_end == j or gaps[obj_end] != GAP_COMMA):
            obj_end += 1
        obj = frozenset(content[j:obj_end]) - _NO_WORD
        if shares and obj_end == limit < seg_end and gaps[obj_end] != GAP_COMMA:
            # the walk reached the end of the next verb: from there it goes on as that verb's did
            obj_end = next_obj_end
            obj = next_obj if not obj else obj | next_obj
        next_end, next_words, next_obj_end, next_obj = seg_end, words, obj_end, obj
        start, end = starts[i], ends[j - 1]
        claims.append(Claim(level, text[start:end], start, end, words, obj))
    claims.reverse()
    # each line's words and each clause start are computed once, however many role labels share them
    line_words: dict[int, frozenset[str]] = {}
    clause_objs: dict[int, frozenset[str]] = {}
    prev_label = -1  # one past the previous role label: the object of a label starts after it
    for i, j, level, first, last in roles:
        # the work is the line; its object, the words just before the label: in the label's own clause,
        # or else in the clause before ("feature-flags service — owner: me")
        line_set = line_words.get(first)
        if line_set is None:
            line_set = line_words[first] = frozenset(content[first:last]) - _NO_WORD
        c_start = _clause_start(gaps, i, max(first, prev_label))
        obj = frozenset(content[c_start:i]) - _NO_WORD
        if not obj and c_start > first and gaps[c_start] == GAP_CLAUSE:
            before = clause_objs.get(c_start)
            if before is None:
                before = clause_objs[c_start] = (
                    frozenset(content[_clause_start(gaps, c_start - 1, first) : c_start]) - _NO_WORD
                )
            obj = before
        obj = obj or line_set
        prev_label = j
        claims.append(Claim(level, text[starts[i] : ends[j - 1]], starts[i], ends[j - 1], line_set, obj))
    return claims


def _people_follow(tokens: Tokens, j: int, v: _Vocab) -> bool:
    """Does a person or a team come within four words after token ``j`` in its clause?"""
    words, lowers, gaps = tokens.words, tokens.lowers, tokens.gaps
    for k in range(j, min(tokens.n, j + 4)):
        if k > j and gaps[k] == GAP_CLAUSE:
            return False
        if lowers[k] in v.people or lowers[k] in v.team_nouns or words[k][:1].isupper():
            return True
    return False


class _CoAgents:
    """Where co-agent phrases ("together with the platform team", "alongside") stand: a verb later in
    the same clause is shared work. Built only for texts holding such a phrase; linear in the text."""

    __slots__ = ("clause_no", "hits")

    def __init__(self, tokens: Tokens, v: _Vocab) -> None:
        # an open phrase ("together with …") names a co-agent only when people follow it: "together
        # with the platform team", "along with Dana", not "along with its docs"
        self.hits = [
            i
            for i, j, _ in ngram_matches(tokens, v.co_agents)
            if tokens.lowers[j - 1] not in v.co_agent_open or _people_follow(tokens, j, v)
        ]
        clause_no: list[int] = []  # clause_no[k]: how many clause breaks up to token k
        count = 0
        if self.hits:
            for gap in tokens.gaps:
                count += gap == GAP_CLAUSE
                clause_no.append(count)
        self.clause_no = clause_no

    def cover(self, i: int) -> bool:
        """Is token ``i`` in a clause holding a co-agent phrase (before or after it)?"""
        at = bisect_left(self.hits, i)  # the first co-agent phrase starting at or after token i
        clause_no, hits = self.clause_no, self.hits
        if at > 0 and clause_no[hits[at - 1]] == clause_no[i]:
            return True
        return at < len(hits) and clause_no[hits[at]] == clause_no[i]


def _clause_start(gaps: list[int], k: int, floor: int) -> int:
    """The first token of the clause holding token ``k``, no earlier than ``floor``."""
    while k > floor and gaps[k] != GAP_CLAUSE:
        k -= 1
    return k


def _role_lines(tokens: Tokens, v: _Vocab) -> tuple[list[tuple[int, int, int, int, int]], frozenset[int]]:
    """Role lines ("PR-905: backoff for webhooks (author: priya; Reviewed-by: me)"): for each role label
    naming the writer, (label first token, label end token, rung, line first token, line end token); and
    the tokens that are no verb claim: every role label, and what comes before it on its line (a title)."""
    if v.role_table.heads.isdisjoint(tokens.last):
        return [], frozenset()
    text, lowers, gaps, starts, ends, n = tokens.text, tokens.lowers, tokens.gaps, tokens.starts, tokens.ends, tokens.n
    roles: list[tuple[int, int, int, int, int]] = []
    line_breaks: list[int] | None = None  # offsets of the newlines, found when first needed
    titled: dict[int, int] = {}  # a title's first token -> one past the last role label after it
    sentence_starts: list[int] | None = None  # tokens that open a sentence, found when first needed
    for i, j, level in ngram_matches(tokens, v.role_table):
        assert isinstance(level, int)
        if j >= n:
            continue
        if ":" not in text[ends[j - 1] : starts[j]] and lowers[j - 1] != "by":
            continue  # "the author of", "owner of": not a role line
        if line_breaks is None:
            line_breaks = []
            nl = text.find("\n")
            while nl >= 0:
                line_breaks.append(nl)
                nl = text.find("\n", nl + 1)
        line = bisect_left(line_breaks, starts[i])  # the line's number: the newlines before the label
        line_start = line_breaks[line - 1] + 1 if line > 0 else 0
        line_end = bisect_left(starts, line_breaks[line]) if line < len(line_breaks) else n
        first = bisect_left(starts, line_start)
        # the title before the label ("Upgrade X (author: priya)") is in the label's own sentence: in
        # notes of one line, "designed the schema. reviewed by the data team." leaves "designed" a claim
        if sentence_starts is None:
            sentence_starts = [
                k
                for k in range(1, n)
                if gaps[k] == GAP_CLAUSE and any(c in text[ends[k - 1] : starts[k]] for c in ".!?")
            ]
        s = bisect_right(sentence_starts, i) - 1
        titled[max(first, sentence_starts[s]) if s >= 0 else first] = j
        # the people named: up to the end of the clause, a ";" or a parenthesis
        k, names = j, list[str]()
        while k < n and len(names) < 8:
            if k > j and (gaps[k] == GAP_CLAUSE or any(c in text[ends[k - 1] : starts[k]] for c in ";()")):
                break
            names.append(lowers[k])
            k += 1
        if v.role_self.intersection(names):
            roles.append((i, j, level, first, line_end))
    if not titled:
        return roles, frozenset()
    return roles, frozenset(k for first, j in titled.items() for k in range(first, j))


# Bounds on the work of comparing a bullet's claim with the input's (see ``allowed_level``): a word is
# looked up in at most POSTING_CAP distinct input claims (the first ones, in input order), and a claim is
# ranked against at most CANDIDATE_CAP of them (the first in input order). Notes of realistic length stay
# far below both; they only cut short inputs built to make the comparison cost the product of two lengths.
POSTING_CAP = 128
CANDIDATE_CAP = 256


class ClaimIndex:
    """The input's claims arranged for ``allowed_level``, built once per request: for each content word,
    the claims whose direct object mentions it, and those whose segment does, so a bullet's claim is
    compared only with the input claims that can be about the same work. A claim equal to an earlier one
    (same rung, segment and object) is not indexed again: the earlier one wins every tie with it."""

    __slots__ = ("best", "by_content", "by_obj", "claims")

    def __init__(self, claims: Sequence[Claim]) -> None:
        by_obj: dict[str, list[int]] = {}
        by_content: dict[str, list[int]] = {}
        seen: set[tuple[int, frozenset[str], frozenset[str]]] = set()
        for k, c in enumerate(claims):
            key = (c.level, c.content, c.obj)
            if key in seen:
                continue
            seen.add(key)
            for word in c.obj:
                posting = by_obj.setdefault(word, [])
                if len(posting) < POSTING_CAP:
                    posting.append(k)
            for words in (c.content, c.obj - c.content if c.obj else c.obj):
                for word in words:
                    posting = by_content.setdefault(word, [])
                    if len(posting) < POSTING_CAP:
                        posting.append(k)
        self.claims = tuple(claims)
        self.by_obj = by_obj
        self.by_content = by_content
        self.best = min((-c.level, k) for k, c in enumerate(claims)) if claims else None


class BulletWords:
    """The content words of all of a bullet's claims (what ``allowed_level`` falls back on), computed
    the first time they are needed and then kept."""

    __slots__ = ("_claims", "_words")

    def __init__(self, claims: Sequence[Claim]) -> None:
        self._claims = claims
        self._words: frozenset[str] | None = None

    def get(self) -> frozenset[str]:
        if self._words is None:
            self._words = frozenset().union(*{id(c.content): c.content for c in self._claims}.values())
        return self._words


def allowed_level(
    claim: Claim, index: ClaimIndex, others: Sequence[Claim] = (), context: BulletWords | None = None
) -> tuple[int, int]:
    """The rung the input supports for the work ``claim`` is about, and the position of the input claim
    that set it (-1 when none did).

    The work is the input claim most about the same thing: the most words of the bullet's direct object in
    its own object ("built the schema stitching" is not about "built the gateway"), then in its segment,
    then the most words shared between the segments, then the closest object (fewest words the bullet's
    object lacks); among equals, the highest rung. When the claim's own segment shares no word with any
    input claim, the content words of the whole bullet (``claim`` and ``others``, the bullet's other
    claims; or ``context``, those words computed once for the bullet) stand in for it ("…, which
    a teammate and I planned together"). An input that states no claim sharing a word with either
    supports up to the implicit rung ("built"), or less when all its claims are lower: in long notes a
    strong verb about one piece of work is no support for another. At most ``CANDIDATE_CAP`` input claims
    are ranked (the first in input order).
    """
    obj, content, claims = claim.obj, claim.content, index.claims
    by_obj, by_content = index.by_obj, index.by_content
    # the best candidates are among the claims sharing an object word, if any; else among those whose
    # segment holds an object word; else among those sharing any word (the ranking below puts them first)
    tied = {k for word in obj for k in by_obj.get(word, ())}
    if not tied:
        tied = {k for word in obj for k in by_content.get(word, ())}
    if not tied:
        tied = {k for word in content for k in by_content.get(word, ())}
        if not tied and (others or context is not None):
            content = content.union(*(c.content for c in others)) if context is None else content | context.get()
            tied = {k for word in content for k in by_content.get(word, ())}
        if not tied:
            implicit = vocab().implicit_level
            if index.best is None:
                return implicit, -1
            level, k = -index.best[0], index.best[1]
            return (level, k) if level <= implicit else (implicit, -1)
    if len(tied) == 1:
        (k,) = tied
        return claims[k].level, k
    best: tuple[int, int, int, int, int] | None = None
    best_k = -1
    order = sorted(tied)  # in input order: the first of equals wins
    for k in order[:CANDIDATE_CAP] if len(order) > CANDIDATE_CAP else order:
        c = claims[k]
        shared = len(obj & c.obj)
        key = (shared, len(obj & c.content), len(content & c.content), shared - len(c.obj), c.level)
        if best is None or key > best:
            best, best_k = key, k
    return claims[best_k].level, best_k


def level_name(level: int) -> str:
    name = vocab().level_names.get(level)
    return str(level) if name is None else name
