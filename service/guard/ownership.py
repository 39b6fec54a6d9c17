"""``ownership``: a stronger claim of ownership than the input supports.

An ordered ladder (helped < built < designed/owned < led; ``data/ownership.json``). Each verb on the
ladder opens a *segment*: the words it governs up to the next ladder verb or clause break. A verb under a
helper phrase ("helped ship", "was part of the team that moved") counts at the bottom rung. A bullet verb
at rung L is supported when an input segment about the same work (sharing a content word) sits at rung
L or higher; when no input segment is about that work, the input's highest rung (or the implicit rung for
notes that state no ladder verb) applies.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from service.guard._data import load
from service.guard._text import GAP_CLAUSE, GAP_COMMA, GAP_JOIN, PhraseTable, Token, ngram_matches, norm_phrase


@dataclass(frozen=True, slots=True)
class Claim:
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
    not_ownership: dict[str, frozenset[str]]
    generic: frozenset[str]
    abbreviations: dict[str, str]
    ladder_words: frozenset[str]


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
    damp_table: dict[str, object] = {norm_phrase(p): True for p in damp["phrases"]}
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
        not_ownership={k: frozenset(v) for k, v in d["not_ownership"].items()},
        generic=frozenset(d["generic_words"]),
        abbreviations=dict(d["abbreviations"]),
        ladder_words=frozenset(ladder_words),
    )


def _is_verb(tokens: Sequence[Token], i: int, j: int, form: _Form, v: _Vocab) -> bool:
    """Is the ladder word at tokens[i:j] used as a verb here (not "the design doc", "lead time")?"""
    if form.role:
        # "Tech lead for X", "as (the) team lead" — not "handed it over to the new team lead"
        k = i - 1
        if k > 0 and tokens[k].lower in v.role_articles and tokens[k].gap == GAP_JOIN:
            k -= 1
        return tokens[i].gap != GAP_JOIN or tokens[k].lower in v.role_triggers
    if form.phrase:
        return True
    word = tokens[i].lower
    if j < len(tokens) and tokens[j].gap == GAP_JOIN and tokens[j].lower in v.not_ownership.get(word, ()):
        return False
    if tokens[i].gap != GAP_JOIN:
        return True  # first word of a sentence, clause or list item ("Designed X, wrote Y")
    prev = tokens[i - 1].lower
    if prev[:1].isdigit():
        return False  # "a 70% cut", "3 builds"
    if form.past:
        return prev not in v.adjective_markers
    return prev in v.triggers or prev.endswith("ly")


def _dampened(tokens: Sequence[Token], i: int, v: _Vocab) -> bool:
    """Is the verb at ``i`` under a helper phrase ("helped ...", "the team ...", "was part of ...")?"""
    lo = i
    while lo > 0 and i - lo < v.damp_window and tokens[lo].gap == GAP_JOIN:
        lo -= 1
    if lo == i:
        return False
    window = tokens[lo:i]
    last_cancel = max((k for k, t in enumerate(window) if t.lower in v.cancel), default=-1)
    hits = ngram_matches(window, v.damp_table)
    return any(start > last_cancel for start, _, _ in hits)


def _content(tokens: Iterable[Token], tech_words: dict[int, str], v: _Vocab) -> set[str]:
    out: set[str] = set()
    for t in tokens:
        word = tech_words.get(t.pos)
        if word is None:
            word = v.abbreviations.get(t.lower, t.lower)
            if word in v.generic or word in v.ladder_words or not word.isalpha():
                continue
            if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
                word = word[:-1]
        out.add(word)
    return out


def find(text: str, tokens: tuple[Token, ...], tech_words: dict[int, str]) -> list[Claim]:
    """Every ownership claim in ``text`` with its rung and the content words of the work it governs.

    ``tech_words`` maps token index to a canonical technology name, so "k8s" and "Kubernetes" meet.
    """
    v = vocab()
    found: list[tuple[int, int, int]] = []  # (first token, end token, level)
    for i, j, form in ngram_matches(tokens, v.table):
        assert isinstance(form, _Form)
        if not _is_verb(tokens, i, j, form, v):
            continue
        level = 1 if form.level > 1 and _dampened(tokens, i, v) else form.level
        found.append((i, j, level))
    claims: list[Claim] = []
    n = len(tokens)
    for k, (i, j, level) in enumerate(found):
        # the segment: back to the clause start for the clause's first claim, on to the next claim
        seg_start = i
        if k == 0 or any(tokens[x].gap == GAP_CLAUSE for x in range(found[k - 1][1], i + 1)):
            while seg_start > 0 and tokens[seg_start].gap != GAP_CLAUSE:
                seg_start -= 1
        seg_end = j
        nxt = k + 1
        while True:
            stop = found[nxt][0] if nxt < len(found) else n
            while seg_end < stop and tokens[seg_end].gap != GAP_CLAUSE:
                seg_end += 1
            words = _content(tokens[seg_start:seg_end], tech_words, v)
            # "designed and built X": a verb with no object of its own shares the next one's
            if words or nxt >= len(found) or seg_end < stop:
                break
            seg_end = found[nxt][1]
            nxt += 1
        obj_end = j
        while (
            obj_end < seg_end
            and tokens[obj_end].lower not in v.object_stops
            and (obj_end == j or tokens[obj_end].gap != GAP_COMMA)
        ):
            obj_end += 1
        obj = _content(tokens[j:obj_end], tech_words, v)
        start, end = tokens[i].start, tokens[j - 1].end
        claims.append(Claim(level, text[start:end], start, end, frozenset(words), frozenset(obj)))
    return claims


def allowed_level(claim: Claim, facts: Sequence[Claim]) -> tuple[int, Claim | None]:
    """The highest rung the input supports for the work ``claim`` is about, and the input claim that set it.

    "About the same work" means sharing a word of the direct object ("built the schema stitching" is not
    about "built the gateway"); failing that, a word anywhere in the segment; failing that, any claim.
    """
    about = [f for f in facts if f.obj & claim.obj] if claim.obj else []
    if not about:
        about = [f for f in facts if f.content & claim.content]
    pool = about or list(facts)
    if not pool:
        return vocab().implicit_level, None
    best = max(pool, key=lambda f: f.level)
    return best.level, best


def level_name(level: int) -> str:
    return vocab().level_names.get(level, str(level))
