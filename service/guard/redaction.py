"""``redacted``: a term the user asked to keep out (a customer, a codename, a colleague), matched
case-insensitively as a whole word, possessives and plurals included; also the pipeline's masking
placeholders, which must never reach a bullet. Vocabulary: ``data/redaction.json``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from service.guard._data import load


@cache
def _suffixes() -> str:
    return "|".join(re.escape(s) for s in sorted(load("redaction")["suffixes"], key=len, reverse=True))


@cache
def placeholder_pattern() -> re.Pattern[str]:
    return re.compile(load("redaction")["placeholder_pattern"])


@cache
def placeholder_marker() -> str:
    """Text every placeholder match contains, so a bullet without it needs no search ("" when the marker
    has letters: the pattern may match them in any case, so a plain substring test would not do)."""
    marker = load("redaction")["placeholder_marker"]
    assert isinstance(marker, str)
    return marker if marker.lower() == marker.upper() else ""


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
    alts = "|".join(r"\s+".join(re.escape(part) for part in t.split()) for t in cleaned)
    return re.compile(rf"(?<![\w])(?:{alts})(?:{_suffixes()})?(?![\w])", re.IGNORECASE)


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
