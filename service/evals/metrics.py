"""Eval metrics: pure functions of cases and run records.

Per run (:func:`run_outcome`):

* accepted bullets by origin: written by the model on the first attempt or after re-asks, ``repaired``
  (a refused model bullet the repair made true) and ``fallback`` (a sentence of the notes, when the
  model gave nothing usable), each counted apart; bullets proposed (accepted + refused);
* violations the guard caught, by kind (the *invention pressure* the model puts on the guard);
* fact coverage: the share of the input's figures and named technologies (``extract_facts``:
  ``quantities``, ``tech_names``) that some accepted bullet keeps; None when the input has none;
* expectations: every ``keep`` fact in some accepted bullet, no ``forbid`` claim in any accepted
  bullet, at least ``min_accepted`` accepted bullets. A run that failed (LLM error) does not pass.

Per prompt/model (:func:`group_metrics`) and per case (:func:`case_metrics`): the same, aggregated;
``acceptance`` is the share of runs with at least one accepted bullet; ``coverage`` the mean coverage of
runs whose input has facts; both count the model's and the repaired bullets, never fallbacks (those
are in ``acceptance_with_fallback`` and ``coverage_with_fallback``); forbidden claims are looked for in
every returned bullet, fallbacks too; ``expectations`` the share of runs that pass; with ``--repeat n`` a case
passes k-of-n when at least k of its n runs pass.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, get_args

from service.evals.cases import Case
from service.evals.matching import fact_keys, input_facts, mentions
from service.evals.records import RunRecord, violations_of
from service.guard import ViolationKind

KINDS: tuple[str, ...] = get_args(ViolationKind)


@dataclass(frozen=True, slots=True)
class ForbiddenHit:
    claim: str
    bullet: str

    def as_dict(self) -> dict[str, str]:
        return {"claim": self.claim, "bullet": self.bullet}


@dataclass(frozen=True, slots=True)
class RunOutcome:
    accepted: int  # the model's bullets and the repaired ones (not fallbacks)
    accepted_first: int  # the model's, as written on the first attempt
    proposed: int
    proposed_first: int
    violations_by_kind: Mapping[str, int]
    facts_kept: tuple[str, ...]
    facts_missing: tuple[str, ...]
    keep_found: tuple[str, ...]
    keep_missing: tuple[str, ...]
    forbidden: tuple[ForbiddenHit, ...]
    min_accepted_met: bool
    passed: bool
    repaired: int = 0
    fallback: int = 0
    coverage_with_fallback: float | None = None

    @property
    def coverage(self) -> float | None:
        total = len(self.facts_kept) + len(self.facts_missing)
        return len(self.facts_kept) / total if total else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "coverage": _round(self.coverage),
            "facts_kept": list(self.facts_kept),
            "facts_missing": list(self.facts_missing),
            "keep_found": list(self.keep_found),
            "keep_missing": list(self.keep_missing),
            "forbidden": [h.as_dict() for h in self.forbidden],
            "min_accepted_met": self.min_accepted_met,
            "violations_by_kind": dict(self.violations_by_kind),
        }


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) with linear interpolation between closest ranks; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _kept_facts(facts: Sequence[Any], texts: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    kept_keys = frozenset().union(*(fact_keys(t) for t in texts)) if texts else frozenset()
    kept = tuple(f.label for f in facts if not f.keys.isdisjoint(kept_keys))
    missing = tuple(f.label for f in facts if f.keys.isdisjoint(kept_keys))
    return kept, missing


def run_outcome(case: Case, record: RunRecord) -> RunOutcome:
    own = [b for b in record.accepted if b.origin != "fallback"]  # the model's and the repaired
    texts = [b.text for b in own]
    every = [b.text for b in record.accepted]
    facts = input_facts(case.notes, case.evidence)
    kept, missing = _kept_facts(facts, texts)
    kept_all, missing_all = _kept_facts(facts, every)
    keep_found = tuple(k for k in case.expect.keep if any(mentions(t, k) for t in texts))
    keep_missing = tuple(k for k in case.expect.keep if k not in keep_found)
    forbidden = tuple(ForbiddenHit(c, t) for c in case.expect.forbid for t in every if mentions(t, c))
    min_met = len(texts) >= case.expect.min_accepted
    by_kind = Counter(v.kind for v in violations_of(record.rejected))
    by_kind.update(v.kind for b in own if b.origin == "repaired" for v in b.violations)
    total_all = len(kept_all) + len(missing_all)
    return RunOutcome(
        repaired=sum(b.origin == "repaired" for b in own),
        fallback=len(every) - len(own),
        coverage_with_fallback=len(kept_all) / total_all if total_all else None,
        accepted=len(texts),
        accepted_first=sum(b.attempt == 1 and b.origin == "model" for b in own),
        proposed=len(texts) + len(record.rejected),
        proposed_first=sum(b.attempt == 1 for b in (*own, *record.rejected)),
        violations_by_kind={k: by_kind.get(k, 0) for k in KINDS},
        facts_kept=kept,
        facts_missing=missing,
        keep_found=keep_found,
        keep_missing=keep_missing,
        forbidden=forbidden,
        min_accepted_met=min_met,
        passed=record.error is None and not keep_missing and not forbidden and min_met,
    )


Scored = tuple[RunRecord, RunOutcome]


def pass_k_of_n(passes: Sequence[int], n: int) -> dict[str, float | None]:
    """For k = 1..n: the share of cases that passed in at least k of their n runs."""
    return {str(k): _round(_ratio(sum(p >= k for p in passes), len(passes))) for k in range(1, n + 1)}


def _violation_totals(outcomes: Sequence[RunOutcome]) -> dict[str, int]:
    return {k: sum(o.violations_by_kind.get(k, 0) for o in outcomes) for k in KINDS}


def group_metrics(scored: Sequence[Scored], *, repeat: int, k: int) -> dict[str, Any]:
    """Metrics of one prompt/model over all its runs."""
    records = [r for r, _ in scored]
    outcomes = [o for _, o in scored]
    runs = len(scored)
    by_kind = _violation_totals(outcomes)
    violations = sum(by_kind.values())
    passes = list(_passes_by_case(scored).values())
    latencies = [r.latency_s for r in records]
    attempts = sum(r.attempts for r in records)
    accepted = sum(o.accepted for o in outcomes)
    accepted_first = sum(o.accepted_first for o in outcomes)
    repaired = sum(o.repaired for o in outcomes)
    proposed = sum(o.proposed for o in outcomes)
    keep_total = sum(len(o.keep_found) + len(o.keep_missing) for o in outcomes)
    costs = [r.cost_usd for r in records]
    return {
        "runs": runs,
        "cases": len(passes),
        "errors": sum(r.error is not None for r in records),
        "acceptance": _round(_ratio(sum(o.accepted > 0 for o in outcomes), runs)),
        "bullets_accepted": accepted,
        "acceptance_with_fallback": _round(_ratio(sum(o.accepted + o.fallback > 0 for o in outcomes), runs)),
        "bullets_accepted_first_attempt": accepted_first,
        "bullets_accepted_after_reask": accepted - accepted_first - repaired,
        "bullets_repaired": repaired,
        "bullets_fallback": sum(o.fallback for o in outcomes),
        "bullets_proposed": proposed,
        "bullet_acceptance_rate": _round(_ratio(accepted, proposed)),
        "first_attempt_acceptance_rate": _round(_ratio(accepted_first, sum(o.proposed_first for o in outcomes))),
        "violations": violations,
        "violations_per_run": _round(_ratio(violations, runs)),
        "violations_by_kind": by_kind,
        "violations_by_kind_per_run": {kind: _round(_ratio(n, runs)) for kind, n in by_kind.items()},
        "coverage": _round(_mean(o.coverage for o in outcomes)),
        "coverage_with_fallback": _round(_mean(o.coverage_with_fallback for o in outcomes)),
        "expectations": _round(_ratio(sum(o.passed for o in outcomes), runs)),
        "keep_rate": _round(_ratio(sum(len(o.keep_found) for o in outcomes), keep_total)),
        "forbidden_slips": sum(len(o.forbidden) for o in outcomes),
        "min_accepted_met_rate": _round(_ratio(sum(o.min_accepted_met for o in outcomes), runs)),
        "repeat": repeat,
        "pass_k": k,
        "pass_k_of_n": pass_k_of_n(passes, repeat),
        "case_pass_rate": _round(_ratio(sum(p >= k for p in passes), len(passes))),
        "schema_valid_rate": _round(_ratio(sum(r.schema_valid_attempts for r in records), attempts)),
        "attempts": attempts,
        "attempts_per_run": _round(_ratio(attempts, runs)),
        "latency_p50_s": _round(percentile(latencies, 50), 3),
        "latency_p95_s": _round(percentile(latencies, 95), 3),
        "prompt_tokens": sum(r.prompt_tokens for r in records),
        "completion_tokens": sum(r.completion_tokens for r in records),
        "tokens_per_run": _round(_ratio(sum(r.prompt_tokens + r.completion_tokens for r in records), runs), 1),
        "cost_usd": _round(sum(c for c in costs if c is not None), 6) if costs and None not in costs else None,
    }


def _passes_by_case(scored: Sequence[Scored]) -> dict[str, int]:
    passes: dict[str, int] = {}
    for record, outcome in scored:
        passes[record.case_id] = passes.get(record.case_id, 0) + outcome.passed
    return passes


def case_metrics(scored: Sequence[Scored], *, k: int) -> dict[str, Any]:
    """Metrics of one case under one prompt/model, over its repeats."""
    outcomes = [o for _, o in scored]
    passes = sum(o.passed for o in outcomes)
    return {
        "runs": len(outcomes),
        "passes": passes,
        "passed": passes >= k,
        "acceptance": _round(_ratio(sum(o.accepted > 0 for o in outcomes), len(outcomes))),
        "bullets_accepted": sum(o.accepted for o in outcomes),
        "bullets_repaired": sum(o.repaired for o in outcomes),
        "bullets_fallback": sum(o.fallback for o in outcomes),
        "coverage": _round(_mean(o.coverage for o in outcomes)),
        "violations_by_kind": _violation_totals(outcomes),
        "forbidden": sorted({h.claim for o in outcomes for h in o.forbidden}),
        "keep_missing": sorted({m for o in outcomes for m in o.keep_missing}),
        "errors": sum(r.error is not None for r, _ in scored),
    }
