"""Shared assertion helpers of the repair tests: one call per table row."""

from __future__ import annotations

from collections.abc import Sequence

from service.guard import check_bullet, extract_facts
from service.repair import apply_edits, repair
from service.repair._text import words
from service.repair.repair import allowed_words


def assert_repairs(notes: str, bullet: str, expected: str | None, redact: Sequence[str] = ()) -> None:
    """``bullet`` is refused against ``notes``; its suggestion is ``expected`` (None: no suggestion), and
    a suggestion is accepted by the guard, made by its edits, and made of the two texts' words."""
    facts = extract_facts(notes, (), redact)
    assert check_bullet(bullet, facts).violations, "the bullet must be refused to be repaired"
    fix = repair(bullet, facts)
    if expected is None:
        assert fix is None, fix and fix.suggestion
        return
    assert fix is not None, "no suggestion"
    assert fix.suggestion == expected
    assert not check_bullet(fix.suggestion, facts).violations
    assert apply_edits(bullet, fix.edits) == fix.suggestion
    assert set(words(fix.suggestion)) <= allowed_words(bullet, facts)
