"""Checking a resume edit: pair each AFTER entry with its BEFORE entry, then judge every changed bullet
with the guard against what that entry said before, plus any notes and evidence.

Pairing, in order: the same section, organization and title ("Acme — Backend Engineer" in ``work``);
the same organization and title in another section; the same organization with another title (the
title changed: the report names the BEFORE entry, so a promoted title is seen); then the same position
in the section's list. An AFTER entry left over is new: its bullets have only the notes and evidence
to stand on.

A bullet whose text (spacing aside) is among its BEFORE entry's bullets is ``unchanged`` and is not
judged again: the check is about what the edit added. A bullet moved from another entry is judged, since
it now claims work at another place.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from service.guard import EvidenceItem, Violation, verify
from service.resume._model import Bullet, Entry, Resume, ResumeFormat

BulletVerdict = Literal["unchanged", "accepted", "rejected"]
PairedBy = Literal["name", "organization", "position", "none"]

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class BulletCheck:
    bullet: Bullet
    verdict: BulletVerdict
    violations: tuple[Violation, ...] = ()


@dataclass(frozen=True, slots=True)
class EntryCheck:
    entry: Entry
    before: Entry | None  # the BEFORE entry it was compared with (None: a new entry, or a plain verify)
    paired_by: PairedBy
    bullets: tuple[BulletCheck, ...]


@dataclass(frozen=True, slots=True)
class ResumeCheck:
    format: ResumeFormat
    entries: tuple[EntryCheck, ...]

    def count(self, verdict: BulletVerdict) -> int:
        return sum(1 for entry in self.entries for bullet in entry.bullets if bullet.verdict == verdict)

    @property
    def rejected(self) -> bool:
        return self.count("rejected") > 0


def _norm(text: str) -> str:
    return _SPACES.sub(" ", text).strip().casefold()


def pair_entries(before: Sequence[Entry], after: Sequence[Entry]) -> list[tuple[Entry | None, PairedBy]]:
    """For each AFTER entry, its BEFORE entry and how they were paired (see the module docs)."""
    taken: set[int] = set()
    result: list[tuple[Entry | None, PairedBy]] = [(None, "none")] * len(after)

    def match(key: str, same_section: bool, paired_by: PairedBy) -> None:
        free: dict[tuple[str, str], deque[int]] = {}
        for j, candidate in enumerate(before):
            value = _key(candidate, key)
            if j not in taken and value:
                free.setdefault((candidate.section if same_section else "", value), deque()).append(j)
        for i, entry in enumerate(after):
            value = _key(entry, key)
            if result[i][0] is not None or not value:
                continue
            queue = free.get((entry.section if same_section else "", value))
            while queue and queue[0] in taken:
                queue.popleft()
            if queue:
                j = queue.popleft()
                taken.add(j)
                result[i] = (before[j], paired_by)

    match("name", True, "name")
    match("name", False, "name")
    match("organization", True, "organization")
    match("organization", False, "organization")
    before_sections = _positions(before)
    for section, indexes in _positions(after).items():
        candidates = before_sections.get(section, [])
        for k, i in enumerate(indexes):
            if result[i][0] is None and k < len(candidates) and candidates[k] not in taken:
                taken.add(candidates[k])
                result[i] = (before[candidates[k]], "position")
    return result


def _key(entry: Entry, key: str) -> str:
    if key == "organization":
        return _norm(entry.organization)
    return _norm(f"{entry.organization}\n{entry.title}") if (entry.organization or entry.title) else ""


def _positions(entries: Sequence[Entry]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for index, entry in enumerate(entries):
        out.setdefault(entry.section, []).append(index)
    return out


def check_edit(
    before: Resume,
    after: Resume,
    notes: str = "",
    evidence: Sequence[EvidenceItem] = (),
    redact: Sequence[str] = (),
) -> ResumeCheck:
    """Judge every changed bullet of ``after`` against its BEFORE entry's text plus ``notes`` and ``evidence``;
    ``redact`` terms must not appear in a changed bullet."""
    checks: list[EntryCheck] = []
    for entry, (previous, paired_by) in zip(after.entries, pair_entries(before.entries, after.entries), strict=True):
        known = {_norm(b.text) for b in previous.bullets} if previous is not None else set()
        changed = [b for b in entry.bullets if _norm(b.text) not in known]
        source = "\n".join(part for part in (previous.text if previous else "", notes) if part.strip())
        verdicts = dict(zip((id(b) for b in changed), _judge(source, evidence, redact, changed), strict=True))
        bullets = tuple(verdicts.get(id(b)) or BulletCheck(b, "unchanged") for b in entry.bullets)
        checks.append(EntryCheck(entry, previous, paired_by, bullets))
    return ResumeCheck(after.format, tuple(checks))


def check_resume(
    resume: Resume, notes: str, evidence: Sequence[EvidenceItem] = (), redact: Sequence[str] = ()
) -> ResumeCheck:
    """Judge every bullet of ``resume`` against ``notes`` and ``evidence`` (a brag document, say)."""
    checks = [
        EntryCheck(entry, None, "none", tuple(_judge(notes, evidence, redact, entry.bullets)))
        for entry in resume.entries
    ]
    return ResumeCheck(resume.format, tuple(checks))


def _judge(
    source: str, evidence: Sequence[EvidenceItem], redact: Sequence[str], bullets: Sequence[Bullet]
) -> list[BulletCheck]:
    if not bullets:
        return []
    results = verify(source, evidence, redact, [b.text for b in bullets])
    return [BulletCheck(b, r.verdict, r.violations) for b, r in zip(bullets, results, strict=True)]
