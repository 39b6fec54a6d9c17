"""Tokenising shared by the checks: one pass per text, reused by every violation kind.

A text is read once into parallel lists (words, lower-case words, offsets, gap kinds) so the checks
index plain lists instead of building one object per word.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable, Iterator, Sequence
from typing import Any

# A word: letters/digits with inner dots ("Node.js", "3.12"), optional trailing + or # ("C++", "C#").
# A leading dot belongs to the word only for ".NET" (any other ".word" is read as "word").
_WORD = re.compile(
    r"\.[Nn][Ee][Tt](?![A-Za-z0-9_\u00b5\u03bc+#]|\.[A-Za-z0-9_])"
    r"|[A-Za-z0-9_\u00b5\u03bc]+(?:\.[A-Za-z0-9_]+)*[+#]*"
)
_CLAUSE_BREAK = re.compile(r"[.;!?:\n\u2022]|\s[-\u2013\u2014]\s|\s[-\u2013\u2014]{2}\s")
_JOINABLE = re.compile(r"[ \t]*[-/]?[ \t]*|[ \t]+")
_SEPARATOR = re.compile(r"[,(){}\[\]&+|]")

# typography that reads as plain spaces and hyphens; one character for one, so offsets stay valid
_GROUPED_DIGITS = re.compile(r"(?<=\d)[\u00a0\u202f\u2009\u2007](?=\d{3}(?!\d))")  # "1 000 000"
_PLAIN = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ", "\u2010": "-", "\u2011": "-"})


def plain(text: str) -> str:
    """``text`` with no-break and thin spaces as spaces (or as thousands separators between digit groups)
    and non-breaking hyphens as hyphens. Same length, so every offset into it is an offset into ``text``."""
    if text.isascii():
        return text
    return _GROUPED_DIGITS.sub(",", text).translate(_PLAIN)


def singular(word: str) -> str:
    """A crude singular for matching content words: "requests" -> "request" (not "class", not "ops")."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


GAP_JOIN = 0  # words of one phrase: only spaces, a hyphen or a slash between them
GAP_COMMA = 1  # a comma, parenthesis, "&" or "+" between them: same clause, different phrase
GAP_CLAUSE = 2  # a sentence or clause break


def _classify_gap(gap: str) -> int:
    if _JOINABLE.fullmatch(gap):
        return GAP_JOIN
    if _CLAUSE_BREAK.search(gap):
        return GAP_CLAUSE
    if _SEPARATOR.search(gap):
        return GAP_COMMA
    return GAP_JOIN  # quotes, "%", "$", "~": still one phrase


class _GapKinds(dict[str, int]):
    """Gap text -> gap kind. Gaps repeat a lot; remembering them is pure (same input, same kind)."""

    def __missing__(self, gap: str) -> int:
        kind = _classify_gap(gap)
        if len(self) < 4096:
            self[gap] = kind
        return kind


_GAP_KINDS = _GapKinds(
    {" ": GAP_JOIN, "-": GAP_JOIN, "/": GAP_JOIN, ", ": GAP_COMMA, ". ": GAP_CLAUSE, "; ": GAP_CLAUSE}
)


class Tokens:
    """One text's words as parallel lists: ``words[k]`` as written, ``lowers[k]`` in lower case, its
    offsets ``starts[k]``/``ends[k]``, and ``gaps[k]``, the kind of gap between word k-1 and word k
    (the first word always follows a clause break)."""

    __slots__ = ("ends", "gaps", "joined", "last", "lowers", "n", "starts", "text", "words")

    def __init__(
        self,
        text: str,
        words: Sequence[str],
        lowers: list[str],
        starts: list[int],
        ends: list[int],
        gaps: list[int],
        joined: str = "",
    ) -> None:
        self.text = text
        self.joined = joined or " ".join(lowers)  # the lower-case words joined by single spaces
        self.words = words
        self.lowers = lowers
        self.starts = starts
        self.ends = ends
        self.gaps = gaps
        self.n = len(lowers)
        self.last = dict(zip(lowers, range(self.n), strict=True))  # lower-case word -> its last position

    def positions(self, words: Iterable[str]) -> list[int]:
        """Sorted positions of every occurrence of ``words`` (lower-case words that occur in the text)."""
        last, lowers = self.last, self.lowers
        out: list[int] = []
        for w in words:
            k, end = lowers.index(w), last[w]
            out.append(k)
            while k != end:  # more than one occurrence
                k = lowers.index(w, k + 1)
                out.append(k)
        out.sort()
        return out


def tokenize(text: str) -> Tokens:
    words: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    gap_texts: list[str] = []
    prev_end = 0
    pos = 0
    # words never hold a space, so the text is read space-separated piece by piece: a piece of ASCII
    # letters and digits is one word as it stands, only the others go through the word pattern
    for piece in text.split(" "):
        if piece.isalnum() and piece.isascii():
            words.append(piece)
            gap_texts.append(text[prev_end:pos])
            starts.append(pos)
            prev_end = pos + len(piece)
            ends.append(prev_end)
        elif piece:
            for m in _WORD.finditer(piece):
                start, end = m.span()
                start += pos
                words.append(m.group())
                gap_texts.append(text[prev_end:start])
                starts.append(start)
                prev_end = end + pos
                ends.append(prev_end)
        pos += len(piece) + 1
    if not words:
        return Tokens(text, words, [], [], [], [])
    joined = " ".join(words).lower()
    lowers = joined.split(" ")  # words hold no spaces, and lower() keeps their length
    gaps = list(map(_GAP_KINDS.__getitem__, gap_texts))
    gaps[0] = GAP_CLAUSE
    return Tokens(text, words, lowers, starts, ends, gaps, joined)


# a word of letters with a version glued on ("java17", "python3.11"), in the joined lower-case words
_DIGIT = re.compile(r"[0-9]")
_GLUED = re.compile(r"([a-z]{2,})([0-9]+(?:\.[0-9]+)*)")


def split_glued(tokens: Tokens, heads: frozenset[str], whole: Container[str]) -> tuple[Tokens, list[int]]:
    """``tokens`` with each name glued to its version ("JDK17", "Python3.11", "Node20") read as two
    words, as its spaced form is ("JDK 17"): when the letters are one of ``heads`` and the glued word
    itself is not one of ``whole`` (a name of its own: "Python3", "S3", "EC2"); and the positions of the
    versions split off. The same object when nothing is split."""
    joined = tokens.joined
    splits: list[tuple[int, int]] = []  # (word position, letters in its name)
    k = 0
    counted = 0
    d = _DIGIT.search(joined)
    while d is not None:  # each word holding a digit, looked at once
        at = d.start()
        word_end = joined.find(" ", at)
        if word_end < 0:
            word_end = len(joined)
        if at >= 2 and joined[at - 1].isalpha() and joined[at - 2].isalpha():
            word_start = joined.rfind(" ", 0, at) + 1
            m = _GLUED.fullmatch(joined, word_start, word_end)
            if m is not None and m.group(1) in heads and m.group() not in whole:
                k += joined.count(" ", counted, word_start)
                counted = word_start
                splits.append((k, len(m.group(1))))
        d = _DIGIT.search(joined, word_end)
    if not splits:
        return tokens, []
    versions: list[int] = []
    words: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    gaps: list[int] = []
    prev = 0
    for k, cut in splits:
        words += tokens.words[prev:k]
        starts += tokens.starts[prev:k]
        ends += tokens.ends[prev:k]
        gaps += tokens.gaps[prev:k]
        word, start = tokens.words[k], tokens.starts[k]
        versions.append(len(words) + 1)
        words += [word[:cut], word[cut:]]
        starts += [start, start + cut]
        ends += [start + cut, tokens.ends[k]]
        gaps += [tokens.gaps[k], GAP_JOIN]
        prev = k + 1
    words += tokens.words[prev:]
    starts += tokens.starts[prev:]
    ends += tokens.ends[prev:]
    gaps += tokens.gaps[prev:]
    joined = " ".join(words).lower()
    return Tokens(tokens.text, words, joined.split(" "), starts, ends, gaps, joined), versions


def norm_phrase(phrase: str) -> str:
    """Normalise a vocabulary phrase the way token n-grams are keyed: lower case, words joined by spaces."""
    return " ".join(tokenize(phrase).lowers)


class PhraseTable:
    """Phrases keyed the way token n-grams are (see ``norm_phrase``), as a word trie, so matching grows a
    phrase word by word and stops as soon as no phrase continues that way. ``heads`` holds every word a
    phrase can start with, so a text sharing none of them is skipped at once."""

    __slots__ = ("heads", "phrases", "trie")

    def __init__(self, phrases: dict[str, object]) -> None:
        self.phrases = phrases
        # word -> [value of the phrase ending with it (None: none), the words that may follow]
        trie: dict[str, list[Any]] = {}
        for key, value in phrases.items():
            level = trie
            node: list[Any] = []
            for word in key.split(" "):
                node = level.setdefault(word, [None, {}])
                level = node[1]
            node[0] = value
        self.trie = trie
        self.heads = frozenset(trie)

    def get(self, key: str) -> object | None:
        return self.phrases.get(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self.phrases)


def ngram_matches(tokens: Tokens, table: PhraseTable, lo: int = 0, hi: int = -1) -> list[tuple[int, int, object]]:
    """Longest-first, left-to-right, non-overlapping matches of token n-grams against ``table``, over
    the tokens ``lo`` to ``hi`` (exclusive; -1: to the end).

    Words join into one phrase only across spaces, hyphens and slashes. Returns (first token index,
    one past the last token index, table value).
    """
    lowers = tokens.lowers
    if hi < 0:
        hi = tokens.n
        heads = table.heads.intersection(tokens.last)
        if not heads:
            return []
        # where a phrase can start: the positions of the few head words present
        starts = tokens.positions(heads)
    else:
        starts = [k for k in range(lo, hi) if lowers[k] in table.heads]
    out: list[tuple[int, int, object]] = []
    trie, gaps = table.trie, tokens.gaps
    free = lo  # the first token not inside an earlier match
    for i in starts:
        if i < free:
            continue
        hit_value, following = trie[lowers[i]]
        hit_end = -1 if hit_value is None else i + 1
        k = i + 1
        while following and k < hi and gaps[k] == GAP_JOIN:
            node = following.get(lowers[k])
            if node is None:
                break
            k += 1
            value, following = node
            if value is not None:
                hit_end, hit_value = k, value
        if hit_end >= 0:
            out.append((i, hit_end, hit_value))
            free = hit_end
    return out
