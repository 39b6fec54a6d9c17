"""The input's own words as a grammar: a ``pattern`` on each bullet's ``text`` that lets a grammar-following
server (llama.cpp in ``json_object`` mode) write a bullet only from the words of the masked notes and
evidence, joined by spaces, commas and a few connectives, with a final period.

A small model asked for a bullet answers with fragments ("1.2", "helped") or with words the input never
used ("Led", "millions"): the guard refuses both, and a re-ask rarely does better. Limited to the input's
words, the same model can still choose, order and drop them, but it cannot spell an invention. This is
decoding help, not a verdict: the reply is validated against the schema file (which has no pattern), and the
guard checks every bullet as before, because word order alone can misstate a fact.

Pure: text in, a regular expression out, linear in the input (one pass to split, a set of distinct words,
and the words capped at :data:`MAX_WORDS`, first seen first).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

# Words kept inside a token: letters, digits and the marks figures and names use ("2.4s", "p95", "node.js",
# "ci/cd", "o(n)", "$12k", "99.9%", "x-request-id"). Anything else splits.
_TOKEN_RE = re.compile(r"[^\s\"\\,;:!?()\[\]{}`*|^]+")
_EDGE = ".'-"  # trimmed from both ends: sentence periods, quotes and dashes around a word
_ARROWS = frozenset({"->", "=>", "→"})  # kept as words: "went 2.4s -> 210ms" is how notes state a change
_PLACEHOLDER = "REDACTED_"  # a masked term's placeholder is never a word of the bullet (prompt rule 5)

# Joining words a bullet needs whatever the notes say; none of them can carry a claim the guard checks.
CONNECTIVES: tuple[str, ...] = ("a", "an", "and", "by", "for", "from", "in", "into", "of", "on", "the", "to", "with")

# Past-tense work verbs that do not end in "-ed" (those that do are found by their ending); not "had",
# "got" or "did", which start no bullet worth reading.
IRREGULAR_PAST: frozenset[str] = frozenset(
    [
        "became",
        "began",
        "bought",
        "brought",
        "built",
        "caught",
        "chose",
        "cut",
        "dealt",
        "drew",
        "drove",
        "fed",
        "fought",
        "found",
        "froze",
        "gave",
        "grew",
        "held",
        "hit",
        "kept",
        "laid",
        "led",
        "lent",
        "made",
        "met",
        "paid",
        "put",
        "ran",
        "rebuilt",
        "reran",
        "reset",
        "rewrote",
        "rode",
        "sent",
        "set",
        "shed",
        "shot",
        "showed",
        "shut",
        "sold",
        "sped",
        "spent",
        "split",
        "spun",
        "stood",
        "swept",
        "taught",
        "threw",
        "told",
        "took",
        "upheld",
        "won",
        "wound",
        "wrote",
    ]
)

MAX_WORDS = 400  # distinct words in the grammar: the notes' and evidence's first ones (a grammar stays small)
MIN_WORDS_PER_BULLET = 4
MAX_WORDS_PER_BULLET = 40


# What lets the next word lead a clause: a break in the gap before it, a sentence end on the word before it,
# or a subject or joining word before it ("I wrote", "and added").
_CLAUSE_BREAKS = frozenset(".;:!?,\n(")
_SENTENCE_ENDS = (".", "!", "?")
_LEADERS = frozenset({"i", "we", "and", "then", "also"})


def _words(texts: Iterable[str]) -> Iterator[tuple[str, bool]]:
    """Each word of ``texts`` in order, trimmed of sentence punctuation, without masked placeholders, and
    whether it leads a clause."""
    for text in texts:
        end, before = 0, ""
        for match in _TOKEN_RE.finditer(text):
            raw = match.group()
            leads = (
                end == 0
                or before.endswith(_SENTENCE_ENDS)
                or any(c in _CLAUSE_BREAKS for c in text[end : match.start()])
                or before.lower() in _LEADERS
            )
            end, before = match.end(), raw
            word = raw if raw in _ARROWS else raw.strip(_EDGE).rstrip("/")
            if word and _PLACEHOLDER not in word:
                yield word, leads


def input_words(texts: Iterable[str]) -> list[str]:
    """The distinct words of ``texts`` in the order first seen, trimmed of sentence punctuation, without
    masked placeholders, at most :data:`MAX_WORDS`."""
    seen: dict[str, None] = {}
    for word, _ in _words(texts):
        seen[word] = None
        if len(seen) >= MAX_WORDS:
            break
    return list(seen)


# The characters of a word that are operators in a pattern, each written as a one-character class: the one
# spelling both Python's ``re`` and llama.cpp's pattern-to-grammar conversion read as that character (a
# backslash escape of ``.`` becomes an unknown escape in a llama.cpp grammar).
_OPERATORS = frozenset(".+?$")


def _literal(word: str) -> str:
    return "".join(f"[{c}]" if c in _OPERATORS else c for c in word)


def _is_past_verb(word: str) -> bool:
    """A past-tense verb by its form: "-ed" or a known irregular one, in lower case or capitalised (not an
    all-caps word such as an injected "IGNORED")."""
    if not word.isalpha() or not (word.islower() or word.istitle()):
        return False
    lower = word.lower()
    return (len(lower) > 4 and lower.endswith("ed")) or lower in IRREGULAR_PAST


def lead_verbs(texts: Iterable[str]) -> list[str]:
    """The past-tense verbs of ``texts`` that lead a clause, as written, first seen first: "helped" in
    "helped debug a leak", "Added" in "Added retries", "wrote" in "I wrote the runbook", but not
    "unbounded" in "fix unbounded retry queue", an adjective with a verb's ending."""
    return list(dict.fromkeys(word for word, leads in _words(texts) if leads and _is_past_verb(word)))


def _alternation(words: Iterable[str]) -> str:
    # Longest first, so a word is never cut short by a prefix of it ("p9" before "p95").
    return "(" + "|".join(_literal(w) for w in sorted(set(words), key=lambda w: (-len(w), w))) + ")"


def text_pattern(words: list[str], facts: Iterable[str] = (), verbs: Iterable[str] = ()) -> str | None:
    """A pattern for a bullet's text made of ``words`` (see :func:`input_words`) and :data:`CONNECTIVES`:
    a first word, then words each after a space or ", ", and an optional final period. The first word is
    one of ``verbs`` (:func:`lead_verbs`: the input's past-tense verbs that lead a clause), capitalised
    ("Switched", "Helped", "Wrote"), so a bullet starts with the work and with the input's own rung of it;
    without them, any of its words that looks like a past-tense verb, and failing that any of its words.
    With ``facts`` (the words among ``words`` that carry a figure or name a technology), a bullet holds at
    least one of them, and a word after it, so it keeps some of the input's evidence instead of only its
    verbs ("Cut p95 to 210ms", not "Accepted 2.4s").
    ``None`` when the input has no words (the bullet is then left to the schema and the guard)."""
    if not words:
        return None
    vocabulary = [*words, *CONNECTIVES]
    known = set(words)
    starts = [v for v in verbs if v in known] or [w for w in words if _is_past_verb(w)] or words
    first = _alternation(w[:1].upper() + w[1:] for w in starts)
    rest = _alternation(vocabulary)
    required = [f for f in facts if f in known]
    if required:
        half = MAX_WORDS_PER_BULLET // 2 - 1
        need = _alternation(required)
        return f"^{first}(,? {rest}){{0,{half}}},? {need}(,? {rest}){{1,{half}}}[.]?$"
    return f"^{first}(,? {rest}){{{MIN_WORDS_PER_BULLET - 1},{MAX_WORDS_PER_BULLET - 1}}}[.]?$"


def fact_words(words: Iterable[str], technologies: Iterable[str]) -> list[str]:
    """The words that carry a figure (a digit) or are one of ``technologies`` (as the input spells them)."""
    names = {t.casefold() for t in technologies}
    return [w for w in words if any(c.isdigit() for c in w) or w.casefold() in names]
