"""``redacted``: a term the user asked to keep out (a customer, a codename, a colleague), matched
case-insensitively as a whole word, possessives and plurals included; also the pipeline's masking
placeholders, which must never reach a bullet. Vocabulary: ``data/redaction.json``.

Terms are compared as Unicode text, not code points: under compatibility decomposition and full case
folding (``Straße`` is ``STRASSE``, ``Zoë`` written ``Zoe`` + a combining diaeresis is ``Zoë``, a fullwidth
``Ａcme`` is ``Acme``), with accents, zero-width characters (ZWJ, ZWNJ, ZWSP, soft hyphen) and look-alike
letters of other scripts (Cyrillic ``А`` for Latin ``A``) not telling two spellings apart. The text is
never rewritten: each term becomes one pattern that matches all of its spellings, so a match is an exact
span of the original bullet."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache

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


def compile_terms(terms: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern for all terms, or None when there are none."""
    cleaned = _clean(terms)
    if not cleaned:
        return None
    alts = "|".join(r"\s+".join(_word(part) for part in t.split()) for t in cleaned)
    return re.compile(rf"(?<![\w])(?:{alts})(?i:{_suffixes()})?(?![\w])")


def _caseless(ch: str) -> str:
    """``ch`` as a case-sensitive pattern matching it in either case (``ch`` is ASCII or has no case)."""
    if ch.lower() == ch.upper():
        return re.escape(ch)
    return f"[{ch.lower()}{ch.upper()}]"


def _ascii_safe(text: str) -> bool:
    """True when every character is ASCII or has no case: such a pattern, matched case-insensitively
    against ASCII text, matches exactly where its case-sensitive ``_caseless`` spelling does."""
    return all(ch.isascii() or ch.lower() == ch.upper() == ch for ch in text)


class AsciiTerms:
    """Redact terms for ASCII bullets: the ``compile_terms`` pattern written case-sensitively (so the regex
    engine skips ahead to a possible first character), and each term's words in lower case, all of which
    an ASCII bullet must contain (in lower case) for the pattern to match at all."""

    __slots__ = ("pattern", "words")

    def __init__(self, pattern: re.Pattern[str], words: tuple[tuple[str, ...], ...]) -> None:
        self.pattern = pattern
        self.words = words

    def may_occur(self, lower_text: str) -> bool:
        """False when no term can occur in the ASCII text whose lower case is ``lower_text``."""
        for term in self.words:
            for word in term:
                if word not in lower_text:
                    break
            else:
                return True
        return False


def compile_terms_ascii(terms: Iterable[str]) -> AsciiTerms | None:
    """The ``compile_terms`` terms for ASCII bullets (same matches as ``compile_terms`` on ASCII text). None
    when there are no terms, or a term or suffix has a non-ASCII cased character (use ``compile_terms``)."""
    cleaned = _clean(terms)
    suffixes = sorted(load("redaction")["suffixes"], key=len, reverse=True)
    if not cleaned or not all(_ascii_safe(t) for t in [*cleaned, *suffixes]):
        return None
    firsts = sorted({c for t in cleaned for c in (t[0].lower(), t[0].upper())})
    # the leading class reads the first character; each alternative checks (look-behind) that it was its
    # own term's first character, then reads the rest of the term
    alts = "|".join(
        f"(?<={_caseless(t[0])})"
        + "".join(map(_caseless, t.split()[0][1:]))
        + "".join(r"\s+" + "".join(map(_caseless, part)) for part in t.split()[1:])
        for t in cleaned
    )
    sufs = "|".join("".join(map(_caseless, s)) for s in suffixes)
    first_class = "".join(re.escape(c) for c in firsts)
    # (?<!\w[\s\S]) after the first character: no word character right before the term
    pattern = re.compile(rf"[{first_class}](?<!\w[\s\S])(?:{alts})(?:{sufs})?(?![\w])")
    return AsciiTerms(pattern, tuple(tuple(part.lower() for part in t.split()) for t in cleaned))
