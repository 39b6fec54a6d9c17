"""Tokenising shared by the checks: one pass per text, reused by every violation kind."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import NamedTuple

# A word: letters/digits with inner dots ("Node.js", "3.12"), optional trailing + or # ("C++", "C#"),
# and an optional leading dot only for names like ".NET".
_WORD = re.compile(r"\.?[A-Za-z0-9_\u00b5\u03bc]+(?:\.[A-Za-z0-9_]+)*[+#]*")
_CLAUSE_BREAK = re.compile(r"[.;!?:\n\u2022]|\s[-\u2013\u2014]\s|\s[-\u2013\u2014]{2}\s")
_JOINABLE = re.compile(r"[ \t]*[-/]?[ \t]*|[ \t]+")
_SEPARATOR = re.compile(r"[,(){}\[\]&+|]")

GAP_JOIN = 0  # words of one phrase: only spaces, a hyphen or a slash between them
GAP_COMMA = 1  # a comma, parenthesis, "&" or "+" between them: same clause, different phrase
GAP_CLAUSE = 2  # a sentence or clause break


class Token(NamedTuple):
    text: str
    lower: str
    start: int
    end: int
    gap: int  # the kind of gap between the previous token and this one
    pos: int


def _gap_kind(gap: str, first: bool) -> int:
    if first:
        return GAP_CLAUSE
    if gap == " " or _JOINABLE.fullmatch(gap):
        return GAP_JOIN
    if _CLAUSE_BREAK.search(gap):
        return GAP_CLAUSE
    if _SEPARATOR.search(gap):
        return GAP_COMMA
    return GAP_JOIN  # quotes, "%", "$", "~": still one phrase


def tokenize(text: str) -> tuple[Token, ...]:
    tokens: list[Token] = []
    prev_end = 0
    for i, m in enumerate(_WORD.finditer(text)):
        word = m.group()
        start = m.start()
        if word.startswith(".") and word.lower() != ".net":
            word = word[1:]
            start += 1
        gap = text[prev_end:start]
        tokens.append(Token(word, word.lower(), start, m.end(), _gap_kind(gap, i == 0), i))
        prev_end = m.end()
    return tuple(tokens)


def norm_phrase(phrase: str) -> str:
    """Normalise a vocabulary phrase the way token n-grams are keyed: lower case, words joined by spaces."""
    return " ".join(t.lower for t in tokenize(phrase))


class PhraseTable:
    """Phrases keyed the way token n-grams are (see ``norm_phrase``), with every proper prefix indexed so
    matching grows a phrase word by word and stops as soon as no phrase can start that way."""

    __slots__ = ("phrases", "prefixes")

    def __init__(self, phrases: dict[str, object]) -> None:
        self.phrases = phrases
        prefixes: set[str] = set()
        for key in phrases:
            words = key.split(" ")
            for n in range(1, len(words)):
                prefixes.add(" ".join(words[:n]))
        self.prefixes = frozenset(prefixes)

    def get(self, key: str) -> object | None:
        return self.phrases.get(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self.phrases)


def ngram_matches(tokens: Sequence[Token], table: PhraseTable) -> list[tuple[int, int, object]]:
    """Longest-first, left-to-right, non-overlapping matches of token n-grams against ``table``.

    Words join into one phrase only across spaces, hyphens and slashes. Returns (first token index,
    one past the last token index, table value).
    """
    out: list[tuple[int, int, object]] = []
    phrases, prefixes = table.phrases, table.prefixes
    n = len(tokens)
    i = 0
    while i < n:
        key = tokens[i].lower
        hit_end = -1
        hit_value: object = None
        value = phrases.get(key)
        if value is not None:
            hit_end, hit_value = i + 1, value
        k = i + 1
        while key in prefixes and k < n and tokens[k].gap == GAP_JOIN:
            key = key + " " + tokens[k].lower
            k += 1
            value = phrases.get(key)
            if value is not None:
                hit_end, hit_value = k, value
        if hit_end < 0:
            i += 1
        else:
            out.append((i, hit_end, hit_value))
            i = hit_end
    return out
