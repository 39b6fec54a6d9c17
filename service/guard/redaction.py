"""``redacted``: a term the user asked to keep out (a customer, a codename, a colleague), matched
case-insensitively as a whole word, possessives and plurals included; also the pipeline's masking
placeholders, which must never reach a bullet. Vocabulary: ``data/redaction.json``.

Terms are compared as Unicode text, not code points: under compatibility decomposition and full case
folding (``Straße`` is ``STRASSE``, ``Zoë`` written ``Zoe`` + a combining diaeresis is ``Zoë``, a fullwidth
``Ａcme`` is ``Acme``), with accents, zero-width characters (ZWJ, ZWNJ, ZWSP, soft hyphen) and look-alike
letters of other scripts (Cyrillic ``А`` for Latin ``A``) not telling two spellings apart. The text is
searched through its *skeleton*: each character replaced by what it folds to (``ß`` by ``ss``, ``А`` by
``a``, an accent or a zero-width character by a filler the term patterns skip after each letter), with a map
back to the original positions, so a match is an exact span of the original bullet. The terms are folded
the same way and become one plain pattern per request (literal letters, no character classes): compiling
50 terms of 100 characters takes about 0.1 s, where a class of every spelling per letter took 5-8 s."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from functools import cache, lru_cache

from service.guard._data import load


@cache
def _suffixes() -> str:
    return "|".join(re.escape(s) for s in sorted(load("redaction")["suffixes"], key=len, reverse=True))


_IGNORABLE = "[\u00ad\u200b\u200c\u200d\u2060\ufeff]*"  # soft hyphen, zero-width space/joiners, BOM

# after each letter of a term: any combining marks and ignorables, as one class (one charset per letter
# keeps compiling 50 terms of 100 letters to seconds, not tens of seconds)
_AFTER_LETTER = "[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f\u00ad\u200b-\u200d\u2060\ufeff]*"


def _fold(text: str) -> str:
    """``text`` decomposed (NFKD), case-folded, without combining marks: what spellings are compared by."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


@cache
def _spellings() -> dict[str, frozenset[str]]:
    """Folded letter -> the single characters that fold to it (Latin, its accented and fullwidth forms,
    and the look-alikes of ``data/redaction.json``)."""
    table: dict[str, set[str]] = {}
    ranges = [(0x20, 0x7F), (0xC0, 0x250), (0x1E00, 0x1F00), (0x2100, 0x2150), (0xFF01, 0xFF5F)]
    for low, high in ranges:
        for code in range(low, high):
            ch = chr(code)
            folded = _fold(ch)
            if len(folded) == 1 and folded.isalnum():
                table.setdefault(folded, set()).update({ch, ch.upper(), ch.lower()})
    for letter, lookalikes in load("redaction")["lookalikes"].items():
        table.setdefault(letter, set()).update(lookalikes)
    return {letter: frozenset(chars) for letter, chars in table.items()}


@cache
def _letter(folded: str) -> str:
    """A pattern for one folded character, in any of its spellings and cases, then any marks and ignorables.
    Cases are spelled out in the class (the term patterns are compiled without ``re.IGNORECASE``, which
    made compiling 50 terms of 100 characters take 30 s)."""
    chars = set(_spellings().get(folded, frozenset({folded})))
    chars |= {c.upper() for c in chars if len(c.upper()) == 1} | {c.lower() for c in chars if len(c.lower()) == 1}
    return "[" + "".join(re.escape(c) for c in sorted(chars)) + "]" + _AFTER_LETTER


def _word(word: str) -> str:
    """A pattern for a word in any spelling that folds like it (``ss`` also as ``ß``)."""
    folded = _fold(word)
    out: list[str] = []
    k = 0
    while k < len(folded):
        if folded.startswith("ss", k):
            out.append(f"(?:[ßẞ]{_IGNORABLE}|{_letter('s')}{_letter('s')})")
            k += 2
            continue
        out.append(_letter(folded[k]))
        k += 1
    return "".join(out)


@cache
def placeholder_pattern() -> re.Pattern[str]:
    """The masking placeholder, also mangled: ``[[REDACTED-1]]``, ``REDACTED 12``, fullwidth letters."""
    data = load("redaction")
    separators = "[" + re.escape(data["placeholder_separators"]) + "]?"
    return re.compile(
        rf"[\[［]{{0,2}}(?<![\w]){_word(data['placeholder_word'])}{separators}\d+(?![\w])[\]］]{{0,2}}", re.IGNORECASE
    )


@cache
def placeholder_marker() -> str:
    """Text every placeholder match contains, so a bullet without it needs no search ("" when the marker
    has letters: the pattern may match them in any case, so a plain substring test would not do)."""
    marker = load("redaction")["placeholder_marker"]
    assert isinstance(marker, str)
    return marker if marker.lower() == marker.upper() else ""


@cache
def _placeholder_ascii_word() -> str:
    """The placeholder word in lower case when ASCII text can spell it only with its own letters, in either
    case ("" otherwise): then an ASCII text whose lower case lacks it holds no placeholder."""
    word = _fold(load("redaction")["placeholder_word"])
    if "ss" in word or not word.isascii():
        return ""
    for letter in word:  # matched as the placeholder pattern matches it (case-insensitively)
        one = re.compile(_letter(letter), re.IGNORECASE)
        if {chr(c) for c in range(128) if one.fullmatch(chr(c))} != {letter, letter.upper()}:
            return ""
    return word


def may_hold_placeholder(text: str) -> bool:
    """False when ``text`` cannot hold a placeholder match: it lacks the marker, or it is ASCII and lacks the
    placeholder word (every bullet is looked at, so this saves a case-insensitive search of most of them)."""
    if placeholder_marker() not in text:
        return False
    word = _placeholder_ascii_word()
    return not (word and text.isascii() and word not in text.lower())


def placeholder(index: int) -> str:
    """The stable placeholder that stands for the ``index``-th redact term (1-based)."""
    return f"[[REDACTED_{index}]]"


def _clean(terms: Iterable[str]) -> list[str]:
    return sorted({t.strip() for t in terms if t and t.strip()}, key=len, reverse=True)


_FILLER = "\x00"  # stands for an accent or zero-width character in a skeleton (not a word character)
_IGNORABLES = frozenset("\u00ad\u200b\u200c\u200d\u2060\ufeff")


@cache
def _lookalike_letters() -> dict[str, str]:
    """Character of another script -> the Latin letter it counts as (``data/redaction.json``), also in its
    other case and folded where the table does not list that form for a letter itself (Greek ``Μ`` is
    ``m``, and so is ``μ``; ``ν`` stays ``v``, not the ``n`` of its capital ``Ν``)."""
    listed = {ch: letter for letter, chars in load("redaction")["lookalikes"].items() for ch in chars}
    table = dict(listed)
    for ch, letter in listed.items():
        for form in (ch.lower(), ch.upper(), _fold(ch)):
            if len(form) == 1:
                table.setdefault(form, letter)
    return table


@lru_cache(maxsize=4096)  # per character, bounded: a bullet may hold any of a million code points
def _skeleton_char(ch: str) -> str:
    """What ``ch`` is when terms are compared: its fold (NFKD, full case folding, no marks) with look-alike
    letters as their Latin letter; the filler for a combining mark, a zero-width character or NUL (the
    filler itself, invisible too). Never empty, so every skeleton character has an original one."""
    if ch in _IGNORABLES or unicodedata.combining(ch) or ch == _FILLER:
        return _FILLER
    lookalikes = _lookalike_letters()
    if ch in lookalikes:
        return lookalikes[ch]
    return "".join(lookalikes.get(c, c) for c in _fold(ch)) or _FILLER


def _skeleton(text: str) -> tuple[str, list[int] | None]:
    """``text`` folded character by character, and the original index of each skeleton character (None
    when they are the same: every character folds to one, as ASCII folds to its lower case)."""
    if text.isascii() and _FILLER not in text:
        return text.lower(), None
    table = {ord(ch): _skeleton_char(ch) for ch in set(text)}
    skeleton = text.translate(table)
    if len(skeleton) == len(text):
        return skeleton, None
    owner: list[int] = []  # some character folds to more than one (``ß`` to ``ss``): map each back
    for index, ch in enumerate(text):
        owner.extend([index] * len(table[ord(ch)]))
    return skeleton, owner


def _term_parts(term: str) -> list[str]:
    """The whitespace-separated words of ``term``, folded as a skeleton is, without fillers."""
    return [part for raw in term.split() if (part := "".join(map(_skeleton_char, raw)).replace(_FILLER, ""))]


class Found:
    """A redact term found in a text: the ``re.Match`` methods the callers use, on the original text."""

    __slots__ = ("_end", "_start", "_text")

    def __init__(self, text: str, start: int, end: int) -> None:
        self._text = text
        self._start = start
        self._end = end

    def group(self) -> str:
        return self._text[self._start : self._end]

    def start(self) -> int:
        return self._start

    def end(self) -> int:
        return self._end

    def span(self) -> tuple[int, int]:
        return self._start, self._end


class Terms:
    """Redact terms compiled once per request: ``finditer``/``search``/``fullmatch``/``sub`` like a
    ``re.Pattern``, matching every spelling of a term (see the module docstring) in the original text."""

    __slots__ = ("_pattern", "_words")

    def __init__(self, terms: list[list[str]]) -> None:
        def word(part: str) -> str:  # fillers may start a word and follow each character (as accents do)
            return f"{_FILLER}*" + "".join(re.escape(ch) + f"{_FILLER}*" for ch in part)

        alternatives = "|".join(r"\s+".join(map(word, parts)) for parts in terms)
        # the skeleton is case-folded, so the endings match in any case without IGNORECASE
        self._pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?:{_suffixes()})?(?!\w)")
        self._words = tuple(tuple(parts) for parts in terms)

    def _may_occur(self, skeleton: str) -> bool:
        """False when no term can match: each of its words must be in the skeleton as it is (unless the
        skeleton has a filler, which may sit inside a word)."""
        return _FILLER in skeleton or any(all(part in skeleton for part in parts) for parts in self._words)

    def finditer(self, text: str) -> Iterator[Found]:
        skeleton, owner = _skeleton(text)
        if not self._may_occur(skeleton):  # most bullets hold no term at all
            return
        for m in self._pattern.finditer(skeleton):
            if owner is None:
                yield Found(text, m.start(), m.end())
            else:
                yield Found(text, owner[m.start()], owner[m.end() - 1] + 1)

    def search(self, text: str) -> Found | None:
        return next(self.finditer(text), None)

    def fullmatch(self, text: str) -> bool:
        return self._pattern.fullmatch(_skeleton(text)[0]) is not None

    def sub(self, replacement: str | Callable[[Found], str], text: str) -> str:
        out: list[str] = []
        done = 0
        for found in self.finditer(text):
            out.append(text[done : found.start()])
            out.append(replacement if isinstance(replacement, str) else replacement(found))
            done = found.end()
        out.append(text[done:])
        return "".join(out)


def compile_terms(terms: Iterable[str]) -> Terms | None:
    """One matcher for all terms, or None when there are none."""
    folded = [parts for t in _clean(terms) if (parts := _term_parts(t))]
    folded.sort(key=lambda parts: len(" ".join(parts)), reverse=True)  # the longest term wins where two start
    return Terms(folded) if folded else None
