"""Tokenising shared by the checks: one pass per text, reused by every violation kind."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A word: letters/digits with inner dots ("Node.js", "3.12"), optional trailing + or # ("C++", "C#"),
# and an optional leading dot only for names like ".NET".
_WORD = re.compile(r"\.?[A-Za-z0-9_\u00b5\u03bc]+(?:\.[A-Za-z0-9_]+)*[+#]*")
_CLAUSE_BREAK = re.compile(r"[.;!?:\n\u2022]|\s[-\u2013\u2014]\s|\s[-\u2013\u2014]{2}\s")
_JOINABLE = re.compile(r"[ \t]*[-/]?[ \t]*|[ \t]+")
_SEPARATOR = re.compile(r"[,(){}\[\]&+|]")

GAP_JOIN = 0  # words of one phrase: only spaces, a hyphen or a slash between them
GAP_COMMA = 1  # a comma, parenthesis, "&" or "+" between them: same clause, different phrase
GAP_CLAUSE = 2  # a sentence or clause break


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    lower: str
    start: int
    end: int
    gap: int  # the kind of gap between the previous token and this one
    index: int


def _gap_kind(gap: str, first: bool) -> int:
    if first:
        return GAP_CLAUSE
    if _JOINABLE.fullmatch(gap):
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


def ngram_matches(tokens: tuple[Token, ...], table: dict[str, object], max_len: int) -> list[tuple[int, int, object]]:
    """Longest-first, left-to-right, non-overlapping matches of token n-grams against ``table``.

    Returns (first token index, one past last token index, table value).
    """
    out: list[tuple[int, int, object]] = []
    n = len(tokens)
    i = 0
    while i < n:
        hit = None
        # grow the phrase while the words are joinable
        limit = 1
        while limit < max_len and i + limit < n and tokens[i + limit].gap == GAP_JOIN:
            limit += 1
        for length in range(limit, 0, -1):
            key = tokens[i].lower if length == 1 else " ".join(t.lower for t in tokens[i : i + length])
            value = table.get(key)
            if value is not None:
                hit = (i, i + length, value)
                break
        if hit is None:
            i += 1
        else:
            out.append(hit)
            i = hit[1]
    return out
