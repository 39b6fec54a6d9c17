"""Tokenising shared by the checks: one pass per text, reused by every violation kind.

A text is read once into parallel lists (words, lower-case words, offsets, gap kinds) so the checks
index plain lists instead of building one object per word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate
from typing import Any

# A word: letters/digits with inner dots ("Node.js", "3.12"), optional trailing + or # ("C++", "C#").
# A leading dot belongs to the word only for ".NET" (any other ".word" is read as "word").
_WORD = re.compile(
    r"\.[Nn][Ee][Tt](?![A-Za-z0-9_\u00b5\u03bc+#]|\.[A-Za-z0-9_])"
    r"|[A-Za-z0-9_\u00b5\u03bc]+(?:\.[A-Za-z0-9_]+)*[+#]*"
)
_WORD_SPLIT = re.compile(f"({_WORD.pattern})")  # splitting by it keeps the words: gap, word, gap, …, gap
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

    __slots__ = ("_first", "ends", "gaps", "joined", "last", "lowers", "n", "starts", "text", "words")

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
        self._first: dict[str, int] | None = None  # lower-case word -> its first position, built when needed

    def positions(self, words: Iterable[str]) -> list[int]:
        """Sorted positions of every occurrence of ``words`` (lower-case words that occur in the text)."""
        last, lowers, first = self.last, self.lowers, self._first
        if first is None:  # one C-level pass: the first position wins as the reversed words overwrite
            first = self._first = dict(zip(reversed(lowers), range(self.n - 1, -1, -1), strict=True))
        out: list[int] = []
        for w in words:
            k, end = first[w], last[w]
            out.append(k)
            while k != end:  # more than one occurrence
                k = lowers.index(w, k + 1)
                out.append(k)
        out.sort()
        return out


_GLUED = re.compile(r"([A-Za-z]{2,})(\d+(?:\.\d+)*)")
_DIGIT_RUN = re.compile(r"[0-9]+")  # starts with a character class: the engine skips ahead to a digit


def _may_be_glued(text: str) -> bool:
    """Whether some run of digits follows two letters ("JDK17"): a quick test before splitting words."""
    for m in _DIGIT_RUN.finditer(text):
        k = m.start()
        if k >= 2 and text[k - 1].isalpha() and text[k - 2].isalpha():
            return True
    return False


def _glued_at(word: str, glued: frozenset[str]) -> int:
    """Where a version glued to a name starts ("JDK17", "Python3.11", "Java8": 3, 6, 4), when the name is in
    ``glued`` and the whole word is not (0 otherwise)."""
    m = _GLUED.fullmatch(word)
    if m is None:
        return 0
    low = word.lower()
    if low in glued or m.group(1).lower() not in glued:
        return 0
    return m.end(1)


def _split_glued(
    words: list[str], starts: list[int], ends: list[int], gaps: list[str], glued: frozenset[str]
) -> tuple[list[str], list[int], list[int], list[str]]:
    """The words with each version glued to a name in ``glued`` split off as a word of its own."""
    out_w: list[str] = []
    out_s: list[int] = []
    out_e: list[int] = []
    out_g: list[str] = []
    for word, start, end, gap in zip(words, starts, ends, gaps, strict=True):
        cut = _glued_at(word, glued) if word[0].isalpha() and not word.isalpha() else 0
        if cut:
            out_w += (word[:cut], word[cut:])
            out_s += (start, start + cut)
            out_e += (start + cut, end)
            out_g += (gap, "")
        else:
            out_w.append(word)
            out_s.append(start)
            out_e.append(end)
            out_g.append(gap)
    return out_w, out_s, out_e, out_g


def tokenize(text: str, glued: frozenset[str] = frozenset()) -> Tokens:
    """Read ``text`` into words. ``glued``: lower-case names that may have a version glued to them; such a
    word is read as two, name and version, as if a space stood between them ("JDK17" as "JDK 17")."""
    # one split by the word pattern: [gap, word, gap, word, …, gap]; the offsets are the running sums of the
    # parts' lengths, so the whole reading happens in a few C-level passes instead of a loop per word
    parts = _WORD_SPLIT.split(text)
    if len(parts) == 1:
        return Tokens(text, [], [], [], [], [])
    words = parts[1::2]
    gap_texts = parts[0:-1:2]
    bounds = list(accumulate(map(len, parts)))  # where each part ends
    starts = bounds[0:-1:2]
    ends = bounds[1::2]
    if glued and _may_be_glued(text):
        words, starts, ends, gap_texts = _split_glued(words, starts, ends, gap_texts, glued)
    joined = " ".join(words).lower()
    lowers = joined.split(" ")  # words hold no spaces, and lower() keeps their length
    gaps = list(map(_GAP_KINDS.__getitem__, gap_texts))
    gaps[0] = GAP_CLAUSE
    return Tokens(text, words, lowers, starts, ends, gaps, joined)


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
