"""The truthful fallback: when a model gives nothing usable, the notes' own sentences, polished.

A tiny model often answers with fragments ("1.1") or bullets the guard refuses and the repair cannot
save. Work the notes state clearly is then still worth a bullet: a sentence of the notes that opens with
a claim of work ("moved the nightly export…", "I wrote the retry logic…"), at least four words long,
whose work is not a pronoun ("moved it to…"), polished, reading as a bullet and accepted by the guard
against the same input. The caller marks such bullets as fallback and counts them apart from
model-written ones. Pure and deterministic.
"""

from __future__ import annotations

import re

from service.guard import Facts, analyse_bullet, check_bullet
from service.repair._text import reads_as_bullet, words
from service.repair.polish import polish

_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+|;\s+")
_MIN_WORDS = 4
_MAX_WORDS = 40
# a pronoun as the work's object points at a sentence the bullet does not carry ("moved it to monthly
# range partitions": what?)
_PRONOUNS = frozenset({"it", "them", "this", "that", "these", "those"})


def _opens_with_claim(sentence: str) -> bool:
    """Does the sentence open with a claim of work (its first word, after "I"/"we")?"""
    claims = analyse_bullet(sentence).claims
    if not claims:
        return False
    head = re.match(r"\s*(?:[-*•]\s+)?(?:(?:I|i|we|We)\s+)?", sentence)
    return claims[0].start <= (head.end() if head else 0)


def _object_is_a_pronoun(sentence: str) -> bool:
    ws = [w for w in words(sentence) if w not in {"i", "we"}]
    return len(ws) > 1 and ws[1] in _PRONOUNS


def note_sentences(notes: str, facts: Facts, limit: int) -> list[str]:
    """At most ``limit`` polished sentences of ``notes`` that state work and pass the guard, in order."""
    out: list[str] = []
    seen: set[str] = set()
    for raw in _SPLIT.split(notes):
        sentence = " ".join(raw.split())
        n = len(words(sentence))
        if not _MIN_WORDS <= n <= _MAX_WORDS or not _opens_with_claim(sentence) or _object_is_a_pronoun(sentence):
            continue
        text = polish(sentence, facts)
        if not reads_as_bullet(text) or check_bullet(text, facts).violations:
            continue
        key = text.casefold()
        if key not in seen:
            seen.add(key)
            out.append(text)
        if len(out) >= limit:
            break
    return out
