"""Truthful repair and polish: pure functions beside the guard (no I/O, clock, settings or framework).

Usage::

    facts = extract_facts(notes, evidence, redact)
    fix = repair(bullet, facts)          # None, or fix.suggestion / fix.edits / fix.kept
    text = polish(bullet, facts)         # the bullet as bullets are written; the verdict unchanged
    verdict = salvage(bullet, facts)     # may the repair stand in for a model's bullet? verdict.text / .refused
"""

from service.repair.fallback import note_sentences
from service.repair.polish import polish, polish_warnings
from service.repair.repair import Edit, Repair, apply_edits, edits_between, kept_share, repair
from service.repair.salvage import SALVAGE_MIN_KEPT, Salvage, salvage, sense_problems

__all__ = [
    "SALVAGE_MIN_KEPT",
    "Edit",
    "Repair",
    "Salvage",
    "apply_edits",
    "edits_between",
    "kept_share",
    "note_sentences",
    "polish",
    "polish_warnings",
    "repair",
    "salvage",
    "sense_problems",
]
