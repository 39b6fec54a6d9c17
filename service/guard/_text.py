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


_GAP_KINDS: dict[str, int] = {" ": 0, "-": 0, "/": 0, ", ": 1, ". ": 2, "; ": 2}


def _gap_kind(gap: str) -> int:
    kind = _GAP_KINDS.get(gap)
    if kind is not None:
        return kind
    if _JOINABLE.fullmatch(gap):
        kind = GAP_JOIN
    elif _CLAUSE_BREAK.search(gap):
        kind = GAP_CLAUSE
    elif _SEPARATOR.search(gap):
        kind = GAP_COMMA
    else:
        kind = GAP_JOIN  # quotes, "%", "$", "~": still one phrase
    if len(_GAP_KINDS) < 4096:
        _GAP_KINDS[gap] = kind  # gaps repeat a lot; remembering them is pure (same input, same kind)
    return kind


def tokenize(text: str) -> tuple[Token, ...]:
    tokens: list[Token] = []
    prev_end = 0
    for i, m in enumerate(_WORD.finditer(text)):
        start, end = m.span()
        word = text[start:end]
        if word[0] == "." and word.lower() != ".net":
            word = word[1:]
            start += 1
        gap = GAP_CLAUSE if i == 0 else _gap_kind(text[prev_end:start])
        tokens.append(Token(word, word.lower(), start, end, gap, i))
        prev_end = end
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
