"""The repair: a refused bullet turned into the strongest true version of itself, or nothing.

Works from the guard's verdict: for the first violation it can mend, it tries the candidates of that
kind in order (truest first) and keeps the first that reads as a bullet and leaves fewer violations;
then checks again, until the bullet is accepted. Candidates by kind:

- ``ownership``: the input's own verb for that work, in the bullet's tense ("Led" -> "Helped");
- ``metric``: the input's figure for the same quantity (same dimension, sharing a word of context),
  with the input's hedge; else the phrase carrying the figure dropped (", improving engagement by 40%");
- ``tool``: the phrase naming it dropped ("using React.js", "with Kafka", "React and Kafka");
- ``scope``, ``outcome``: the widening or effect phrase dropped ("across all teams");
- ``redacted``: a neutral noun the input itself uses ("a customer"), else the term with its phrase;
- ``source`` and any other kind: the phrase, clause or sentence holding it dropped.

Every suggestion is checked by the guard against the same input, reads as a bullet, and is made of the
bullet's and the input's words (a technology's vocabulary spelling and an input verb in the bullet's
tense count as theirs). No suggestion is better than a stub. Pure and deterministic, no I/O.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Literal, cast

from service.guard import BulletResult, Facts, Violation, analyse_bullet, check_bullet
from service.guard.support import past_form, supporting_verbs
from service.repair._text import (
    ARTICLES,
    JOINERS,
    clause_drop,
    clause_is_effect,
    outer_clauses,
    phrase_drops,
    reads_as_bullet,
    sentence_drop,
    tidy,
    words,
)
from service.repair.polish import polish

# verbs that need a verb or a preposition after them ("Helped a cut in…" is no bullet)
HELPING = frozenset({"helped", "assisted", "contributed", "participated", "collaborated"})
MAX_ROUNDS = 8  # a bullet with more violations than this is rewritten, not repaired
NEUTRAL_NOUNS = ("a customer", "a client", "a partner", "an internal service", "a teammate")
HEDGES = frozenset({"~", "about", "around", "roughly", "approximately", "approx", "nearly", "almost", "over"})
_CONTEXT_STOP = frozenset(
    ["with", "from", "that", "this", "into", "than", "over", "under", "were", "have", "been", "their", "about"]
)


EditKind = Literal["metric", "tool", "ownership", "scope", "outcome", "redacted", "source", "polish"]


@dataclass(frozen=True, slots=True)
class Edit:
    """One word-level change: ``bullet[start:end]`` becomes ``replacement``; ``kind`` is the violation
    kind it mends, or ``polish``."""

    start: int
    end: int
    replacement: str
    kind: EditKind

    def as_dict(self) -> dict[str, object]:
        return {"start": self.start, "end": self.end, "replacement": self.replacement, "kind": self.kind}


@dataclass(frozen=True, slots=True)
class Repair:
    """A suggestion for a refused bullet and the edits that make it from the bullet."""

    bullet: str
    suggestion: str
    edits: tuple[Edit, ...]
    kept: float  # share of the bullet's content words the suggestion keeps (0..1)


def input_text(facts: Facts) -> str:
    """The input (notes and evidence) as one text."""
    return "\n".join(s.analysis.text for s in facts.sources)


def allowed_words(bullet: str, facts: Facts) -> set[str]:
    """Words a suggestion may use: the bullet's, the input's, the vocabulary names of technologies
    either mentions, and the past forms of the input's ladder verbs."""
    text = input_text(facts)
    out = set(words(bullet)) | set(words(text)) | {"a", "an"}  # the article of a neutral noun
    for m in analyse_bullet(bullet).techs:
        out.update(words(m.name))
    for s in facts.sources:
        for m in s.analysis.techs:
            out.update(words(m.name))
    for w in list(out):
        p = past_form(w)
        if p:
            out.add(p)
    return out


def _content(text: str) -> list[str]:
    return [w[:5] for w in words(text) if len(w) > 3 or any(c.isdigit() for c in w)]


def kept_share(bullet: str, suggestion: str, violations: tuple[Violation, ...] = ()) -> float:
    """The share of the bullet's substance the suggestion keeps: its content words (longer than three
    letters, or holding a digit), compared by their first five letters ("migration" is kept by
    "migrate"), leaving out the refused spans and the trailing clauses holding one (", improving
    engagement by 45%" is no substance of a bullet whose input never states it)."""
    spans = [(v.start, v.end) for v in violations]
    cut = sorted(spans + outer_clauses(bullet, spans), reverse=True)
    for start, end in cut:
        bullet = bullet[:start] + " " * (end - start) + bullet[end:]
    before = _content(bullet)
    if not before:
        return 1.0
    after = set(_content(suggestion))
    return sum(1 for w in before if w in after) / len(before)


def _match_case(word: str, like: str) -> str:
    return word[0].upper() + word[1:] if like[:1].isupper() else word


def _ownership(text: str, v: Violation, facts: Facts) -> list[str]:
    out: list[str] = []
    claim = v.text
    past = past_form(claim) == claim.lower() if " " not in claim else True
    source_words = re.findall(r"[A-Za-z]+", input_text(facts).lower())
    rest = text[v.end :]
    for verb, following, level in supporting_verbs(text, v.start, v.end, facts):
        form = verb.lower()
        if past and " " not in form:
            form = past_form(form) or form
        form = _match_case(form, claim)
        # "Led the migration of billing" -> "Helped migrate billing" when the input has the verb
        m = re.match(r"\s+the\s+([a-z]+)\s+of\s+", rest)
        if m and level <= 1:
            noun = m.group(1)
            verb_words = [w for w in source_words if w[:5] == noun[:5] and w != noun and not w.endswith("ion")]
            if verb_words and len(noun) >= 5:
                base = min(verb_words, key=len)
                out.append(text[: v.start] + form + " " + base + " " + rest[m.end() :])
        # a helping verb takes the input's own next verb: "Led retries for…" -> "Helped add retries for…"
        # ("helping with the runbook" -> "Helped with the runbook"); a helping verb alone reads badly
        if level <= 1 and following.isalpha() and following.lower() not in ARTICLES | JOINERS:
            out.append(text[: v.start] + form + " " + following.lower() + rest)
        if form.lower() not in HELPING or " " in form:
            out.append(text[: v.start] + form + rest)
    return out


def _context(text: str, start: int, end: int) -> set[str]:
    left = words(text[max(0, start - 60) : start])[-5:]
    right = words(text[end : end + 60])[:5]
    return {w for w in left + right if len(w) >= 4 and w.isalpha() and w not in _CONTEXT_STOP}


def _metric(text: str, v: Violation, facts: Facts) -> list[str]:
    out: list[str] = []
    mine = next((q for q in analyse_bullet(text).quantities if q.start == v.start and q.end == v.end), None)
    if mine is not None:
        near = _context(text, v.start, v.end)
        lead = words(text[max(0, v.start - 40) : v.start])[-2:]
        lower = (text[: v.start] + " " + text[v.end :]).lower()  # the bullet but the refused figure
        scored: list[tuple[int, int, str]] = []
        for s in facts.sources:
            src = s.analysis.text
            for q in s.analysis.quantities:
                shared = len(near & _context(src, q.start, q.end))
                figure = src[q.start : q.end]
                src_lead = words(src[max(0, q.start - 40) : q.start])[-2:]
                # the same two words before it ("queries under 28ms" for "queries under 500ms"): the same
                # quantity, however far the bullet's figure is from the input's
                same_phrase = len(lead) == 2 and lead == src_lead
                if q.dim != mine.dim or not shared or figure.lower() in lower:
                    continue  # another quantity, or a figure the bullet already states elsewhere
                if not same_phrase and not _close(q.value, mine.value):
                    continue
                score = shared + (2 if lead[-1:] and lead[-1:] == src_lead[-1:] else 0) + (3 if same_phrase else 0)
                hedge = re.search(r"(~|\b[A-Za-z]+\s+)$", src[max(0, q.start - 16) : q.start])
                if hedge and hedge.group().strip().lower() in HEDGES and not _hedged(text, v.start):
                    figure = hedge.group() + figure
                scored.append((-score, len(scored), figure))
        for _, _, figure in sorted(scored):
            out.append(text[: v.start] + figure + text[v.end :])
    if clause_is_effect(text, v.start, v.end):
        dropped = clause_drop(text, v.start, v.end)
        if dropped is not None:
            out.append(dropped)
    return out + _drops(text, v)


MAX_MISSTATEMENT = 3.0  # a bullet's figure within this factor of the input's may be a misstatement of it


def _close(a: float, b: float) -> bool:
    """Are two figures within :data:`MAX_MISSTATEMENT` of each other ("200ms" for "300ms", "45%" for
    "40%")? Further apart ("3.5ms" for "338ms", "10%" for "75%") they are other quantities."""
    if a == b:
        return True
    if a <= 0 or b <= 0:
        return False
    return max(a, b) / min(a, b) <= MAX_MISSTATEMENT


def _hedged(text: str, start: int) -> bool:
    before = text[max(0, start - 16) : start].rstrip()
    return before.endswith("~") or (bool(before) and before.split()[-1].lower() in HEDGES)


def _redacted(text: str, v: Violation, facts: Facts) -> list[str]:
    out: list[str] = []
    source = input_text(facts).lower()
    if re.match(r"\s+[A-Za-z]", text[v.end :]):  # a modifier ("the Globex CRM import"): the term alone goes
        out.append(text[: v.start] + text[v.end :].lstrip())
    # "the Acme import" -> "the customer import"? no: the article goes with the term ("a customer import")
    article = re.search(r"\b(?:the|a|an)\s+$", text[: v.start], re.IGNORECASE)
    start = article.start() if article else v.start
    for noun in NEUTRAL_NOUNS:
        if re.search(rf"\b{re.escape(noun.split()[-1])}\b", source):
            out.append(text[:start] + noun + text[v.end :])
    return out + _drops(text, v)


def _drops(text: str, v: Violation) -> list[str]:
    out: list[str] = []
    if v.kind in {"scope", "outcome"} or clause_is_effect(text, v.start, v.end):
        dropped = clause_drop(text, v.start, v.end)
        if dropped is not None and v.kind != "scope":
            out.append(dropped)
    out += phrase_drops(text, v.start, v.end)
    dropped = clause_drop(text, v.start, v.end)
    if dropped is not None:
        out.append(dropped)
    dropped = sentence_drop(text, v.start, v.end)
    if dropped is not None:
        out.append(dropped)
    return out


def candidates(text: str, v: Violation, facts: Facts) -> list[str]:
    """Repairs of one violation, truest first (untidied)."""
    kind = str(v.kind)
    if kind == "ownership":
        return _ownership(text, v, facts)
    if kind == "metric":
        return _metric(text, v, facts)
    if kind == "redacted":
        return _redacted(text, v, facts)
    return _drops(text, v)


def _step(text: str, result: BulletResult, facts: Facts) -> tuple[str, BulletResult] | None:
    count = len(result.violations)
    for v in result.violations:
        for cand in candidates(text, v, facts):
            cand = tidy(cand)
            if cand == text or not reads_as_bullet(cand):
                continue
            after = check_bullet(cand, facts)
            if len(after.violations) < count:
                return cand, after
    return None


_TOKEN = re.compile(r"\S+\s*")


def edits_between(bullet: str, suggestion: str, violations: tuple[Violation, ...] = ()) -> tuple[Edit, ...]:
    """Word-level edits that turn ``bullet`` into ``suggestion`` (applied from the end, they give it
    exactly), each labelled with the kind of the violation it overlaps, or ``polish``."""
    lead = len(bullet) - len(bullet.lstrip())
    a = [(m.start(), m.group()) for m in _TOKEN.finditer(bullet, lead)]
    b = [m.group() for m in _TOKEN.finditer(suggestion.lstrip())]
    out: list[Edit] = []
    if lead:
        out.append(Edit(0, lead, "", "polish"))
    matcher = difflib.SequenceMatcher(a=[t for _, t in a], b=b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        start = a[i1][0] if i1 < len(a) else len(bullet)
        end = a[i2 - 1][0] + len(a[i2 - 1][1]) if i2 > i1 else start
        polish_kind: EditKind = "polish"
        kind = next(
            (cast(EditKind, v.kind) for v in violations if v.start < max(end, start + 1) and start < v.end),
            polish_kind,
        )
        out.append(Edit(start, end, "".join(b[j1:j2]), kind))
    return tuple(out)


def apply_edits(bullet: str, edits: tuple[Edit, ...]) -> str:
    """``bullet`` with ``edits`` applied."""
    for e in sorted(edits, key=lambda e: e.start, reverse=True):
        bullet = bullet[: e.start] + e.replacement + bullet[e.end :]
    return bullet


def repair(bullet: str, facts: Facts, result: BulletResult | None = None) -> Repair | None:
    """The strongest true version of a refused ``bullet`` (``None`` when none can be made, or when the
    bullet is accepted already)."""
    first = result if result is not None and result.bullet == bullet else check_bullet(bullet, facts)
    if first.accepted:
        return None
    text, current = bullet, first
    for _ in range(MAX_ROUNDS):
        if current.accepted:
            break
        step = _step(text, current, facts)
        if step is None:
            return None
        text, current = step
    if not current.accepted:
        return None
    text = polish(text, facts)
    if not reads_as_bullet(text) or check_bullet(text, facts).violations:
        return None
    if not set(words(text)) <= allowed_words(bullet, facts):
        return None
    return Repair(
        bullet, text, edits_between(bullet, text, first.violations), kept_share(bullet, text, first.violations)
    )
