"""``outcome``: an effect the input does not state ("improving reliability", "boosting developer
productivity", "resulting in fewer incidents", "enabling the team to ship weekly", "making queries faster").

An outcome is a trigger (an effect verb, a result phrase, an enabler, "making … faster", a quality
adjective such as "faster") and its object, read up to a preposition, a comma or a clause break. The input
supports it when it states the object: each word by its stem or by a word of the same group ("p95" and
"faster" are both about speed; ``data/outcome.json``), leaving out words that only say direction or whose
("fewer", "overall", "the team"). A bullet's main verb is judged the same way, so "Reduced p95 latency"
is supported by notes that give p95 figures, and "Improved the retry logic" by notes about the retry
logic. Generic benefits ("productivity", "user experience") need their group in the input wherever a
bullet names them. Group words in an input clause that negates or only hopes for them ("didn't improve
latency", "the goal is to cut costs") state nothing.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Container, Sequence
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from service.guard._data import load
from service.guard._text import GAP_CLAUSE, GAP_COMMA, GAP_JOIN, PhraseTable, Tokens, ngram_matches, norm_phrase

# trigger kinds
_VERB, _SOFT, _RESULT, _ENABLE, _MAKE, _QUALITY = range(6)
# how a mention's object words must be stated
STRICT, MAJORITY, ANY, GROUP = range(4)

_OBJECT_LIMIT = 8  # words read after a trigger
_MAKER_WINDOW = 7  # words between "making" and its quality adjective
_ENABLE_WINDOW = 6  # words between "enabling" and "to"
_GROUP_WINDOW = _ENABLE_WINDOW + _OBJECT_LIMIT + 2  # words after a trigger whose groups are looked up
_CUE_BACK, _CUE_AHEAD = 8, 10  # words around an unsupported cue that it covers


class OutcomeMention(NamedTuple):
    text: str
    start: int
    end: int
    mode: int  # STRICT, MAJORITY, ANY or GROUP (see ``unsupported``)
    implied: tuple[str, ...]  # group keys the trigger itself claims ("faster": speed)
    objects: tuple[tuple[int, ...], ...]  # coordinated objects: the token positions of their words


@dataclass(frozen=True, slots=True)
class _Vocab:
    triggers: PhraseTable  # phrase -> (kind, implied group key or "")
    groups: PhraseTable  # phrase -> group keys ("@speed", …)
    word_groups: dict[str, tuple[str, ...]]  # single group words -> their group keys
    phrase_groups: dict[str, tuple[str, ...]]  # every group phrase -> its group keys
    anywhere: PhraseTable  # generic-benefit phrase -> its group keys
    cues: PhraseTable  # unsupported cues
    stops: frozenset[str]
    links: frozenset[str]
    coordinators: frozenset[str]
    generic: frozenset[str]
    directions: frozenset[str]
    direction_nouns: frozenset[str]
    units: frozenset[str]
    verb_words: frozenset[str]
    trigger_words: frozenset[str]
    figure_groups: dict[str, str]
    figure_cues: frozenset[str]
    time_words: frozenset[str]
    measure_nouns: frozenset[str]
    abbreviations: dict[str, str]
    passive_markers: frozenset[str]
    enable_stops: frozenset[str]


def _key(group: str) -> str:
    return "@" + group


@cache
def vocab() -> _Vocab:
    d = load("outcome")
    triggers: dict[str, object] = {}
    for kind, name in ((_VERB, "verbs"), (_SOFT, "soft_verbs"), (_RESULT, "results"), (_ENABLE, "enablers")):
        for phrase in d[name]:
            triggers.setdefault(norm_phrase(phrase), (kind, ""))
    for phrase in d["makers"]:
        triggers.setdefault(norm_phrase(phrase), (_MAKE, ""))
    for phrase, group in d["qualities"].items():
        triggers[norm_phrase(phrase)] = (_QUALITY, _key(group))
    groups: dict[str, tuple[str, ...]] = {}
    for group, phrases in d["groups"].items():
        for phrase in phrases:
            key = norm_phrase(phrase)
            groups[key] = (*groups.get(key, ()), _key(group))
    # a generic-benefit phrase claims its own group, or else the group of its last word
    anywhere: dict[str, tuple[str, ...]] = {}
    for p in d["claim_anywhere"]:
        key = norm_phrase(p)
        anywhere[key] = groups.get(key) or groups.get(key.rsplit(" ", 1)[-1], ())
    for phrase, keys in anywhere.items():
        if not keys:
            raise ValueError(f"outcome.json: claim_anywhere phrase {phrase!r} is in no group")
    return _Vocab(
        triggers=PhraseTable(triggers),
        groups=PhraseTable(dict(groups)),
        word_groups={k: v for k, v in groups.items() if " " not in k},
        phrase_groups=groups,
        anywhere=PhraseTable(dict(anywhere)),
        cues=PhraseTable({norm_phrase(p): True for p in d["unsupported_cues"]}),
        stops=frozenset(d["stops"]),
        links=frozenset(d["direction_links"]),
        coordinators=frozenset(d["coordinators"]),
        generic=frozenset(d["generic"]),
        directions=frozenset(d["directions"]),
        direction_nouns=frozenset(d["direction_nouns"]),
        units=frozenset(d["unit_words"]),
        verb_words=frozenset(d["verb_words"]),
        trigger_words=frozenset(k for k in triggers if " " not in k),
        figure_groups=dict(d["figure_groups"]),
        figure_cues=frozenset(d["figure_cues"]),
        time_words=frozenset(d["time_words"]),
        measure_nouns=frozenset(d["measure_nouns"]),
        abbreviations=dict(d["abbreviations"]),
        passive_markers=frozenset(d["passive_markers"]),
        enable_stops=frozenset(d["enable_stops"]),
    )


class _Stems(dict[str, str]):
    """Lower-case word -> a crude stem, so "queries"/"query", "paged"/"pages", "caching"/"cache" meet."""

    def __missing__(self, word: str) -> str:
        w = vocab().abbreviations.get(word, word)
        if len(w) > 4 and w.endswith("ies"):
            w = w[:-3] + "y"
        elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
            w = w[:-1]
        if len(w) > 5 and w.endswith("ing"):
            w = w[:-3]
        elif len(w) > 4 and w.endswith("ed"):
            w = w[:-2]
        if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz":
            w = w[:-1]  # "dropp" -> "drop"
        if len(w) > 3 and w.endswith("e"):
            w = w[:-1]
        if len(self) < 16384:
            self[word] = w
        return w


stem = _Stems().__getitem__


def _token_groups(
    tokens: Tokens, v: _Vocab, lo: int = 0, hi: int = -1, out: dict[int, tuple[str, ...]] | None = None
) -> dict[int, tuple[str, ...]]:
    """Token position -> the group keys of the group phrase it is part of (tokens ``lo`` to ``hi``)."""
    if out is None:
        out = {}
    for i, j, keys in ngram_matches(tokens, v.groups, lo, hi):
        assert isinstance(keys, tuple)
        for k in range(i, j):
            out[k] = keys
    return out


def _verbish(word: str, v: _Vocab) -> bool:
    if word in v.verb_words or word in v.trigger_words:
        return True
    return word.endswith(("ed", "ing")) and word not in v.word_groups


class _Object(NamedTuple):
    groups: list[list[int]]  # coordinated objects: content-word positions each
    implied: list[str]
    end: int  # one past the last token read into the phrase
    tech: bool  # a technology named in it


def _read_object(
    tokens: Tokens, k: int, v: _Vocab, tech: Container[int], qualities: dict[int, tuple[int, str]], *, link: bool
) -> _Object:
    """The object after a trigger, from token ``k``: content words up to a stop word, a comma, a clause
    break or another trigger; direction words ("fewer", "a 30% drop in") and generic words are read over."""
    lowers, gaps, text, ends = tokens.lowers, tokens.gaps, tokens.text, tokens.ends
    n = tokens.n
    groups: list[list[int]] = [[]]
    implied: list[str] = []
    end = k
    tech_seen = False
    after_direction = link  # a link word ("in", "of") may continue the phrase here
    i = k
    limit = min(n, k + _OBJECT_LIMIT)
    while i < limit:
        if gaps[i] != GAP_JOIN:
            break
        w = lowers[i]
        quality = qualities.get(i)
        if quality is not None:
            implied.append(quality[1])
            i = end = quality[0]
            continue
        if w in v.coordinators:
            nxt = i + 1
            if nxt < n and gaps[nxt] == GAP_JOIN and not _verbish(lowers[nxt], v) and lowers[nxt] not in v.stops:
                if groups[-1]:
                    groups.append([])
                i += 1
                continue
            break
        if w in v.stops:
            if ends[i] < len(text) and text[ends[i]] == "-":
                i += 1  # "on-call", "in-house": part of a compound
                continue
            if w in v.links and (after_direction or not any(groups)):
                after_direction = False
                i += 1
                continue
            break
        if i > k and (w in v.trigger_words or w in v.verb_words):
            break  # "…latency and cutting costs": the next outcome, or the next piece of work
        if not w.isalpha() or w in v.units:
            i = end = i + 1  # a figure: the metric check reads it
            continue
        if w in v.directions:
            after_direction = w in v.direction_nouns
            i = end = i + 1
            continue
        if w in v.generic or (w.endswith("ly") and w not in v.word_groups):
            i = end = i + 1
            continue
        if i in tech:
            tech_seen = True
            i = end = i + 1
            continue
        groups[-1].append(i)
        after_direction = False
        i = end = i + 1
    # "storage usage", "payload size": the measure of a thing is about that thing
    for g in groups:
        while len(g) > 1 and lowers[g[-1]] in v.measure_nouns:
            g.pop()
    return _Object([g for g in groups if g], implied, end, tech_seen)


def find(
    tokens: Tokens, tech: Container[int] = (), hits: dict[str, list[tuple[int, int, object]]] | None = None
) -> list[OutcomeMention]:
    """Every outcome a bullet claims. ``tech``: token positions inside technology names (the tool check
    reads those); ``hits``: the bullet's matches of the trigger and anywhere tables, when the caller has
    them (see ``_phrases.scan``)."""
    v = vocab()
    if hits is None:
        triggers = ngram_matches(tokens, v.triggers)
        anywhere = ngram_matches(tokens, v.anywhere)
    else:
        triggers, anywhere = hits.get("trigger", []), hits.get("anywhere", [])
    if not triggers and not anywhere:
        return []
    lowers, gaps, starts, ends, text, n = tokens.lowers, tokens.gaps, tokens.starts, tokens.ends, tokens.text, tokens.n
    word_groups = v.word_groups
    qualities: dict[int, tuple[int, str]] = {}
    for i, j, value in triggers:
        assert isinstance(value, tuple)
        if value[0] == _QUALITY:
            qualities[i] = (j, value[1])
    out: list[OutcomeMention] = []
    covered = 0  # one past the last token of the last mention
    for i, j, value in triggers:
        if i < covered:
            continue
        assert isinstance(value, tuple)
        kind, implied_key = value
        mode = STRICT
        end = j
        implied: list[str] = []
        groups: list[list[int]] = []
        if kind == _QUALITY:
            if j >= n or gaps[j] != GAP_JOIN or not _content(lowers[j], v):
                continue  # "react faster": how, not an effect on a thing ("faster deploys")
            obj = _read_object(tokens, j, v, tech, qualities, link=False)
            end, implied, groups = max(j, obj.end), [implied_key, *obj.implied], obj.groups
        elif j >= n or gaps[j] != GAP_JOIN:
            continue
        elif kind == _SOFT:
            # "delivered the export endpoint", "for the billing team": an outcome only with a group word
            k = j
            while k < n and k - j < _OBJECT_LIMIT and gaps[k] == GAP_JOIN and lowers[k] not in word_groups:
                k += 1
            if k >= n or k - j >= _OBJECT_LIMIT or gaps[k] != GAP_JOIN:
                continue
            obj = _read_object(tokens, j, v, tech, qualities, link=False)
            groups = [g for g in obj.groups if lowers[g[-1]] in word_groups]
            if not groups and not obj.implied:
                continue
            end, implied = obj.end, obj.implied
        elif kind in (_ENABLE, _MAKE) and i > 0 and gaps[i] == GAP_JOIN and lowers[i - 1] in v.passive_markers:
            continue  # "are allowed to reach it", "was made faster": no claim of the writer's effect
        elif kind == _MAKE:
            # "making queries faster", "made p95 latency 3x faster": the quality within a few words
            words: list[int] = []
            collecting = True
            k = j
            while k < n and k - j < _MAKER_WINDOW and gaps[k] == GAP_JOIN and k not in qualities:
                w = lowers[k]
                if w in v.stops:
                    collecting = False
                elif collecting and k not in tech and _content(w, v):
                    words.append(k)
                k += 1
            quality = qualities.get(k)
            if quality is None or k >= n or gaps[k] != GAP_JOIN:
                continue
            mode, end, implied, groups = ANY, quality[0], [quality[1]], [words] if words else []
        elif kind == _ENABLE:
            # "enabling the support team to issue refunds": the effect after "to"
            k = j
            while k < n and k - j < _ENABLE_WINDOW and gaps[k] == GAP_JOIN and lowers[k] != "to":
                k += 1
            if k + 1 < n and lowers[k] == "to" and gaps[k] == GAP_JOIN and gaps[k + 1] == GAP_JOIN:
                words = [p for p in range(j, k) if p not in tech and _content(lowers[p], v)]
                e = k + 1
                stop = min(n, e + _OBJECT_LIMIT)
                while e < stop and gaps[e] == GAP_JOIN and lowers[e] not in v.enable_stops:
                    if e not in tech and _content(lowers[e], v):
                        words.append(e)
                    e += 1
                mode, end, groups = MAJORITY, e, [words] if words else []
                implied = [qualities[p][1] for p in range(j, e) if p in qualities]
            else:
                obj = _read_object(tokens, j, v, tech, qualities, link=False)
                if not obj.groups and not obj.implied:
                    continue
                mode, end, implied, groups = ANY, obj.end, obj.implied, [] if obj.tech else obj.groups
        else:
            link = kind == _VERB and (
                lowers[j - 1] in v.direction_nouns or lowers[j - 1].endswith(("ment", "ments", "ion"))
            )
            obj = _read_object(tokens, j, v, tech, qualities, link=link)
            if not obj.groups and not obj.implied:
                continue
            end, implied, groups = obj.end, obj.implied, obj.groups
        start, stop = starts[i], ends[end - 1]
        out.append(OutcomeMention(text[start:stop], start, stop, mode, tuple(implied), tuple(tuple(g) for g in groups)))
        covered = end
    for i, j, keys in anywhere:
        assert isinstance(keys, tuple)
        start, stop = starts[i], ends[j - 1]
        for m in out:
            if m.start <= start and stop <= m.end:
                break
        else:
            out.append(OutcomeMention(text[start:stop], start, stop, GROUP, keys, ()))
    if len(out) > 1:
        out.sort(key=_start)
    return out


def _start(m: OutcomeMention) -> int:
    return m.start


def _content(word: str, v: _Vocab) -> bool:
    return (
        word.isalpha()
        and word not in v.generic
        and word not in v.stops
        and word not in v.directions
        and word not in v.units
        and word not in v.coordinators
        and not (word.endswith("ly") and word not in v.word_groups)
    )


def _stated(tokens: Tokens, p: int, known: frozenset[str], v: _Vocab) -> int:
    """Whether the input states the bullet's word at ``p``: 0 no, 1 by its stem, 2 by its group (a word of
    the group, or a group phrase it is part of: "response time", "error rate")."""
    lowers, gaps = tokens.lowers, tokens.gaps
    word = lowers[p]
    for key in v.word_groups.get(word, ()):
        if key in known:
            return 2
    if word in v.time_words and _key(v.figure_groups["time"]) in known:
        return 1  # "lookup time" where the input gives the lookup's durations, or says it got faster
    if p > 0 and gaps[p] == GAP_JOIN:
        for key in v.phrase_groups.get(lowers[p - 1] + " " + word, ()):
            if key in known:
                return 2
    if p + 1 < tokens.n and gaps[p + 1] == GAP_JOIN:
        for key in v.phrase_groups.get(word + " " + lowers[p + 1], ()):
            if key in known:
                return 2
    return 1 if stem(word) in known else 0


def unsupported(m: OutcomeMention, known: frozenset[str], tokens: Tokens) -> str | None:
    """The word of ``m`` (a mention in the bullet ``tokens`` is of) the input does not state (``known``:
    see :func:`support`), or None when the input supports the whole outcome."""
    for key in m.implied:
        if key not in known:
            return m.text if m.mode == GROUP else key[1:]
    if m.mode == GROUP:
        return None
    v = vocab()
    words = tokens.words
    for positions in m.objects:
        if m.mode == ANY:
            if not any(_stated(tokens, p, known, v) for p in positions):
                return words[positions[-1]]
            continue
        if m.mode == MAJORITY:
            missing = [p for p in positions if not _stated(tokens, p, known, v)]
            if 2 * len(missing) > len(positions):
                return words[missing[0]]
            continue
        # STRICT: the head (the last word), and at least half of its modifiers unless the head is stated
        # as a group word ("query latency" where the input gives p95 figures)
        head = _stated(tokens, positions[-1], known, v)
        if not head:
            return words[positions[-1]]
        if head == 2 or len(positions) == 1:
            continue
        missing = [p for p in positions[:-1] if not _stated(tokens, p, known, v)]
        if 2 * len(missing) > len(positions) - 1:
            return words[missing[0]]
    return None


def support(tokens: Tokens, figure_starts: Sequence[tuple[int, str]]) -> set[str]:
    """What a text (notes or an evidence item) states, as keys an outcome is looked up by: the stem of every
    word and the group of every group phrase, except group words in a clause that negates or hopes for
    them; plus the group of a figure ("1.2 s -> 400 ms": speed) in a clause that says it changed.
    ``figure_starts``: (offset, dimension) of the text's quantities."""
    v = vocab()
    n = tokens.n
    lowers, gaps = tokens.lowers, tokens.gaps
    hypothetical = bytearray(n)
    if not v.cues.heads.isdisjoint(tokens.last):
        for i, j, _ in ngram_matches(tokens, v.cues):
            lo = i
            while lo > 0 and i - lo < _CUE_BACK and gaps[lo] == GAP_JOIN:
                lo -= 1
            hi = j
            while hi < n and hi - j < _CUE_AHEAD and gaps[hi] != GAP_CLAUSE and gaps[hi] != GAP_COMMA:
                hi += 1
            hypothetical[lo:hi] = b"\x01" * (hi - lo)
    if "?" in tokens.text:  # a question states nothing ("Q: any wins on cost?")
        text, starts, ends = tokens.text, tokens.starts, tokens.ends
        lo = 0
        for k in range(n):
            if k + 1 == n or gaps[k + 1] == GAP_CLAUSE:
                if "?" in text[ends[k] : starts[k + 1] if k + 1 < n else len(text)]:
                    hypothetical[lo : k + 1] = b"\x01" * (k + 1 - lo)
                lo = k + 1
    out: set[str] = set()
    if any(hypothetical):
        token_groups = _token_groups(tokens, v)
        for k in range(n):
            if hypothetical[k] and k in token_groups:
                continue
            out.add(stem(lowers[k]))
            if k and gaps[k] == GAP_JOIN:
                out.add(stem(lowers[k - 1] + lowers[k]))  # "roll back" states "rollback"
    else:  # the same, every word stated: the words' stems, and those of two words joined
        out.update(map(stem, lowers))
        out.update(stem(a + b) for a, b, gap in zip(lowers, lowers[1:], gaps[1:], strict=False) if gap == GAP_JOIN)
    for i, j, keys in ngram_matches(tokens, v.groups):
        assert isinstance(keys, tuple)
        if not any(hypothetical[i:j]):
            out.update(keys)
    speed = _key(v.figure_groups["time"])
    if speed not in out and not v.time_words.isdisjoint(tokens.last):
        for k in tokens.positions(v.time_words.intersection(tokens.last)):
            if hypothetical[k]:
                continue
            lo, hi = max(0, k - _CUE_BACK), min(n, k + _CUE_AHEAD)
            if not v.figure_cues.isdisjoint(lowers[lo:hi]):  # "handshake time down 30%"
                out.add(speed)
                break
    if figure_starts:
        starts = tokens.starts
        for offset, dim in figure_starts:
            group = v.figure_groups.get(dim.split(":", 1)[0])
            if group is None or _key(group) in out:
                continue
            k = max(0, bisect_right(starts, offset) - 1)
            if hypothetical[k] if k < n else False:
                continue
            lo = k
            while lo > 0 and k - lo < _CUE_BACK and gaps[lo] != GAP_CLAUSE:
                lo -= 1
            hi = k + 1
            while hi < n and hi - k < _CUE_AHEAD and gaps[hi] != GAP_CLAUSE:
                hi += 1
            clause = tokens.text[tokens.starts[lo] : tokens.ends[hi - 1]]
            if not v.figure_cues.isdisjoint(lowers[lo:hi]) or "->" in clause or "\u2192" in clause:
                out.add(_key(group))
    return out
