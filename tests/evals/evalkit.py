"""Builders for eval tests: small cases, hand-built run records, and reports made from them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from service.evals import BulletRecord, Case, EvalConfig, Expect, RunRecord, ViolationRecord, build_report
from service.evals.report import Report
from service.guard import EvidenceItem

PERF = Case(
    id="perf-01-cache",
    title="Product cache",
    proof_area="performance",
    seniority="mid",
    notes="cut p95 from 900ms to 180ms on postgres with a redis cache",
    expect=Expect(keep=("180ms", "Redis"), forbid=("Kafka", "all services"), min_accepted=1),
)
API = Case(
    id="api-01-pagination",
    title="Pagination",
    proof_area="api",
    seniority="junior",
    notes="helped add cursor pagination to the orders endpoint",
    evidence=(EvidenceItem("e1", "PR 12: cursor pagination for GET /orders"),),
    redact=("Initech",),
    expect=Expect(keep=("cursor",), forbid=("led",), min_accepted=1),
)
CASES = (API, PERF)


def bullet(text: str, attempt: int = 1, *violations: tuple[str, str]) -> BulletRecord:
    """``violations``: (kind, offending span) each; offsets and message are derived from them."""
    return BulletRecord(
        text=text,
        attempt=attempt,
        proof_area="api",
        sources=("notes",),
        violations=tuple(
            ViolationRecord(k, t, text.index(t), text.index(t) + len(t), f"'{t}' is not in the input ({k}).")
            for k, t in violations
        ),
    )


def record(
    case_id: str,
    accepted: Sequence[BulletRecord] = (),
    rejected: Sequence[BulletRecord] = (),
    *,
    prompt: str = "v1",
    model: str = "fake-model",
    repeat: int = 1,
    attempts: int = 1,
    schema_valid: int | None = None,
    latency_s: float = 1.0,
    error: str | None = None,
    cost_usd: float | None = None,
) -> RunRecord:
    return RunRecord(
        case_id=case_id,
        prompt=prompt,
        model=model,
        repeat=repeat,
        accepted=tuple(accepted),
        rejected=tuple(rejected),
        attempts=attempts,
        schema_valid_attempts=attempts if schema_valid is None else schema_valid,
        latency_s=latency_s,
        prompt_tokens=100 * attempts,
        completion_tokens=20 * attempts,
        cost_usd=cost_usd,
        error=error,
    )


GOOD_API = bullet("Helped add cursor pagination to the orders endpoint.")
GOOD_PERF = bullet("Cut p95 latency from 900 ms to 180 ms with a Redis cache.")
INVENTED = bullet(
    "Led pagination work with Kafka across all services.",
    1,
    ("ownership", "Led"),
    ("tool", "Kafka"),
    ("scope", "all services"),
)


def config(**overrides: Any) -> EvalConfig:
    # without the salvage unless a test asks for it: these fakes queue the calls of the plain re-ask loop
    values: dict[str, Any] = {"prompts": ("v1",), "models": ("fake-model",), "repair": False}
    values.update(overrides)
    return EvalConfig(**values)


def good_records(prompt: str = "v1") -> list[RunRecord]:
    return [
        record("api-01-pagination", [GOOD_API], prompt=prompt),
        record("perf-01-cache", [GOOD_PERF], [INVENTED], prompt=prompt, attempts=2),
    ]


def report_of(records: Sequence[RunRecord], cases: Sequence[Case] = CASES, **overrides: Any) -> Report:
    prompts = tuple(dict.fromkeys(r.prompt for r in records)) or ("v1",)
    return build_report(cases, records, config(prompts=prompts, **overrides), meta={"started_at": "test"})


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path
