"""Masking: redact terms become stable ``[[REDACTED_i]]`` placeholders before any text reaches a prompt."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from service.guard.redaction import compile_terms, placeholder


class Masker:
    """Masks redact terms with stable placeholders: the i-th distinct term (case-insensitive, first
    seen first) becomes ``[[REDACTED_i]]`` wherever it appears as a whole word, with the guard's
    matching rules (possessive and plural endings are part of the match and masked with it)."""

    def __init__(self, redact: Iterable[str], *, aliases: Sequence[tuple[str, str]] = ()) -> None:
        """``aliases``: ``(alias, wording)`` pairs; an alias is masked like the term that ``wording`` holds
        (e.g. ``PostgreSQL``, the guard's name for a redacted ``postgres``), so no text sent to the model
        names a redacted term under another name."""
        terms: dict[str, str] = {}
        for raw in redact:
            term = " ".join(raw.split())
            if term:
                terms.setdefault(term.casefold(), term)
        self.terms: tuple[str, ...] = tuple(terms.values())
        self._pattern = compile_terms(self.terms)
        # longest first, so "Acme Corp" wins over "Acme" when both could explain a match
        by_length = sorted(range(len(self.terms)), key=lambda i: len(self.terms[i]), reverse=True)
        self._term_patterns = [(i, compile_terms([self.terms[i]])) for i in by_length]
        self._aliases = [
            (pattern, self._placeholder_for(wording))
            for alias, wording in aliases
            if alias.casefold() not in terms and (pattern := compile_terms([alias])) is not None
        ]

    def _placeholder_for(self, matched: str) -> str:
        for index, pattern in self._term_patterns:
            if pattern is not None and pattern.fullmatch(matched):
                return placeholder(index + 1)
        return placeholder(0)  # unreachable in practice; still masked

    def mask(self, text: str) -> str:
        if self._pattern is None:
            return text
        text = self._pattern.sub(lambda m: self._placeholder_for(m.group()), text)
        for pattern, shown in self._aliases:
            text = pattern.sub(shown, text)
        return text
