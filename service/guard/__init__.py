"""The truthfulness guard: a pure, deterministic check of resume bullets against input facts.

Usage::

    facts = extract_facts(notes, evidence, redact)   # once per request
    result = check_bullet(bullet, facts)              # per bullet; result.verdict, result.violations

No I/O (beyond reading its own packaged vocabularies once), no clock, no settings, no framework. The
bottom layer: it imports the standard library only, and every other layer may import it.
"""

from service.guard._check import check_bullet, verify
from service.guard._facts import Analysis, Facts, analyse_bullet, extract_facts
from service.guard._models import BulletResult, EvidenceItem, Verdict, Violation, ViolationKind

__all__ = [
    "Analysis",
    "BulletResult",
    "EvidenceItem",
    "Facts",
    "Verdict",
    "Violation",
    "ViolationKind",
    "analyse_bullet",
    "check_bullet",
    "extract_facts",
    "verify",
]
