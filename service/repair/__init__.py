"""Truthful repair and polish: pure functions beside the guard (no I/O, clock, settings or framework).

Usage::

    facts = extract_facts(notes, evidence, redact)
    fix = repair(bullet, facts)          # None, or fix.suggestion / fix.edits / fix.kept
    text = polish(bullet, facts)         # the bullet as bullets are written; the verdict unchanged
"""

from service.repair.fallback import note_sentences
from service.repair.polish import polish, polish_warnings
from service.repair.repair import Edit, Repair, apply_edits, edits_between, kept_share, repair

__all__ = [
    "Edit",
    "Repair",
    "apply_edits",
    "edits_between",
    "kept_share",
    "note_sentences",
    "polish",
    "polish_warnings",
    "repair",
]
