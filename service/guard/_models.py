"""Plain data types of the guard. Frozen dataclasses: no framework imports in the core."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ViolationKind = Literal["metric", "tool", "ownership", "scope", "outcome", "redacted", "source"]
Verdict = Literal["accepted", "rejected"]


@dataclass(frozen=True, slots=True)
class EvidenceItem:
    id: str
    text: str


@dataclass(frozen=True, slots=True)
class Violation:
    kind: ViolationKind
    text: str
    start: int
    end: int
    message: str
    hint: str

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "message": self.message,
            "hint": self.hint,
        }


@dataclass(frozen=True, slots=True)
class BulletResult:
    bullet: str
    violations: tuple[Violation, ...] = field(default=())

    @property
    def verdict(self) -> Verdict:
        return "rejected" if self.violations else "accepted"

    @property
    def accepted(self) -> bool:
        return not self.violations

    def as_dict(self) -> dict[str, object]:
        return {
            "bullet": self.bullet,
            "verdict": self.verdict,
            "violations": [v.as_dict() for v in self.violations],
        }
