"""What one eval run (case × prompt × model × repeat) produced, as plain data that round-trips JSON."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ViolationRecord:
    kind: str
    text: str
    start: int
    end: int
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "start": self.start, "end": self.end, "message": self.message}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ViolationRecord:
        return cls(
            kind=str(data["kind"]),
            text=str(data["text"]),
            start=int(data["start"]),
            end=int(data["end"]),
            message=str(data["message"]),
        )


@dataclass(frozen=True, slots=True)
class BulletRecord:
    """A bullet the model proposed; ``attempt`` is the 1-based call whose reply first held it (0 for a
    fallback). ``origin`` (accepted bullets): ``model``, ``repaired`` (``original`` is the model's refused
    bullet) or ``fallback`` (a sentence of the notes)."""

    text: str
    attempt: int
    proof_area: str
    sources: tuple[str, ...] = ()
    violations: tuple[ViolationRecord, ...] = ()
    origin: str = "model"
    original: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "text": self.text,
            "attempt": self.attempt,
            "proof_area": self.proof_area,
            "sources": list(self.sources),
        }
        if self.violations:
            out["violations"] = [v.as_dict() for v in self.violations]
        if self.origin != "model":
            out["origin"] = self.origin
        if self.original is not None:
            out["original"] = self.original
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BulletRecord:
        return cls(
            text=str(data["text"]),
            attempt=int(data["attempt"]),
            proof_area=str(data["proof_area"]),
            sources=tuple(str(s) for s in data.get("sources", ())),
            violations=tuple(ViolationRecord.from_dict(v) for v in data.get("violations", ())),
            origin=str(data.get("origin", "model")),
            original=None if data.get("original") is None else str(data["original"]),
        )


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One run. ``latency_s`` is the summed latency of its LLM calls (the recorded one under replay, so
    a replayed run reports the figures of the run it replays); an LLM failure is kept in ``error``."""

    case_id: str
    prompt: str
    model: str
    repeat: int
    accepted: tuple[BulletRecord, ...] = ()
    rejected: tuple[BulletRecord, ...] = ()
    attempts: int = 0
    schema_valid_attempts: int = 0
    reply_errors: tuple[str, ...] = ()
    latency_s: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None
    error: str | None = None
    answered_by: str = ""

    @property
    def group(self) -> tuple[str, str]:
        return (self.prompt, self.model)

    def as_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "prompt": self.prompt,
            "model": self.model,
            "repeat": self.repeat,
            "accepted": [b.as_dict() for b in self.accepted],
            "rejected": [b.as_dict() for b in self.rejected],
            "attempts": self.attempts,
            "schema_valid_attempts": self.schema_valid_attempts,
            "reply_errors": list(self.reply_errors),
            "latency_s": round(self.latency_s, 4),
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost_usd": self.cost_usd,
            "error": self.error,
            "answered_by": self.answered_by,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunRecord:
        cost = data.get("cost_usd")
        error = data.get("error")
        return cls(
            case_id=str(data["case_id"]),
            prompt=str(data["prompt"]),
            model=str(data["model"]),
            repeat=int(data["repeat"]),
            accepted=tuple(BulletRecord.from_dict(b) for b in data.get("accepted", ())),
            rejected=tuple(BulletRecord.from_dict(b) for b in data.get("rejected", ())),
            attempts=int(data.get("attempts", 0)),
            schema_valid_attempts=int(data.get("schema_valid_attempts", 0)),
            reply_errors=tuple(str(e) for e in data.get("reply_errors", ())),
            latency_s=float(data.get("latency_s", 0.0)),
            prompt_tokens=int(data.get("prompt_tokens", 0)),
            completion_tokens=int(data.get("completion_tokens", 0)),
            cost_usd=None if cost is None else float(cost),
            error=None if error is None else str(error),
            answered_by=str(data.get("answered_by", "")),
        )


def violations_of(bullets: Sequence[BulletRecord]) -> list[ViolationRecord]:
    return [v for b in bullets for v in b.violations]
