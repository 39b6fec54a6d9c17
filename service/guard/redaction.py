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


def placeholder(index: int) -> str:
    """The stable placeholder that stands for the ``index``-th redact term (1-based)."""
    return f"[[REDACTED_{index}]]"


def compile_terms(terms: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern for all terms, or None when there are none."""
    cleaned = sorted({t.strip() for t in terms if t and t.strip()}, key=len, reverse=True)
    if not cleaned:
        return None
    alts = "|".join(r"\s+".join(re.escape(part) for part in t.split()) for t in cleaned)
    return re.compile(rf"(?<![\w])(?:{alts})(?:{_suffixes()})?(?![\w])", re.IGNORECASE)
