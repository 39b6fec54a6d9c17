"""Compare two eval reports: per-metric deltas, per-case flips, and whether the new one regressed.

Groups (prompt · model) are paired by name; when the two reports share none and each has exactly one
(``v1`` against ``v2``, or one model against another), those two are paired. The new run *regressed*
when, in any pair, acceptance, coverage or expectations dropped by more than its threshold (absolute,
default 0.05), or when any accepted bullet of the new run makes a claim its case forbids.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from service.evals.report import Report

GATED: tuple[str, ...] = ("acceptance", "coverage", "expectations")
COMPARED: tuple[str, ...] = (
    *GATED,
    "case_pass_rate",
    "bullet_acceptance_rate",
    "first_attempt_acceptance_rate",
    "bullets_accepted",
    "violations_per_run",
    "forbidden_slips",
    "schema_valid_rate",
    "attempts_per_run",
    "latency_p50_s",
    "latency_p95_s",
    "tokens_per_run",
    "cost_usd",
    "errors",
)
DEFAULT_THRESHOLD = 0.05
_EPSILON = 1e-9


class CompareError(ValueError):
    """The two reports cannot be compared."""


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Largest allowed absolute drop of each gated metric (rates in 0..1)."""

    acceptance: float = DEFAULT_THRESHOLD
    coverage: float = DEFAULT_THRESHOLD
    expectations: float = DEFAULT_THRESHOLD

    @classmethod
    def uniform(cls, value: float) -> Thresholds:
        return cls(value, value, value)

    def of(self, metric: str) -> float:
        value: float = getattr(self, metric)
        return value


@dataclass(frozen=True, slots=True)
class MetricDelta:
    name: str
    base: float | None
    new: float | None
    regressed: bool = False

    @property
    def delta(self) -> float | None:
        return None if self.base is None or self.new is None else self.new - self.base

    def as_dict(self) -> dict[str, Any]:
        delta = self.delta
        return {
            "name": self.name,
            "base": self.base,
            "new": self.new,
            "delta": None if delta is None else round(delta, 6),
            "regressed": self.regressed,
        }


@dataclass(frozen=True, slots=True)
class CaseFlip:
    case_id: str
    base_passed: bool
    new_passed: bool

    @property
    def direction(self) -> str:
        return "pass→fail" if self.base_passed else "fail→pass"

    def as_dict(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "direction": self.direction}


@dataclass(frozen=True, slots=True)
class GroupComparison:
    base: tuple[str, str]
    new: tuple[str, str]
    deltas: tuple[MetricDelta, ...]
    flips: tuple[CaseFlip, ...]
    forbidden: tuple[tuple[str, str], ...]  # (case id, claim) accepted in the new run
    cases_added: tuple[str, ...] = ()
    cases_removed: tuple[str, ...] = ()

    @property
    def reasons(self) -> list[str]:
        label = _label(self.new) if self.base == self.new else f"{_label(self.base)} → {_label(self.new)}"
        out = [
            f"{label}: {d.name} dropped {_fmt(d.base)} → {_fmt(d.new)} ({d.delta:+.3f})"
            for d in self.deltas
            if d.regressed and d.delta is not None
        ]
        out += [f"{label}: {case} accepted a forbidden claim: {claim!r}" for case, claim in self.forbidden]
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "base": {"prompt": self.base[0], "model": self.base[1]},
            "new": {"prompt": self.new[0], "model": self.new[1]},
            "deltas": [d.as_dict() for d in self.deltas],
            "flips": [f.as_dict() for f in self.flips],
            "forbidden": [{"case_id": c, "claim": claim} for c, claim in self.forbidden],
            "cases_added": list(self.cases_added),
            "cases_removed": list(self.cases_removed),
        }


@dataclass(frozen=True, slots=True)
class Comparison:
    groups: tuple[GroupComparison, ...]
    thresholds: Thresholds
    unmatched_base: tuple[tuple[str, str], ...] = field(default=())
    unmatched_new: tuple[tuple[str, str], ...] = field(default=())

    @property
    def reasons(self) -> list[str]:
        return [reason for g in self.groups for reason in g.reasons]

    @property
    def regressed(self) -> bool:
        return bool(self.reasons)

    def as_dict(self) -> dict[str, Any]:
        return {
            "regressed": self.regressed,
            "reasons": self.reasons,
            "thresholds": {m: self.thresholds.of(m) for m in GATED},
            "groups": [g.as_dict() for g in self.groups],
            "unmatched_base": [_label(g) for g in self.unmatched_base],
            "unmatched_new": [_label(g) for g in self.unmatched_new],
        }


def _label(group: tuple[str, str]) -> str:
    return f"{group[0]} · {group[1]}"


def _fmt(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _number(metrics: Mapping[str, Any], name: str) -> float | None:
    value = metrics.get(name)
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _groups(report: Report) -> dict[tuple[str, str], Mapping[str, Any]]:
    return {(g["prompt"], g["model"]): g["metrics"] for g in report["groups"]}


def _case_results(report: Report, group: tuple[str, str]) -> dict[str, Mapping[str, Any]]:
    out: dict[str, Mapping[str, Any]] = {}
    for case in report["cases"]:
        for result in case["results"]:
            if (result["prompt"], result["model"]) == group:
                out[case["id"]] = result["metrics"]
    return out


def _pairs(base: Report, new: Report) -> list[tuple[tuple[str, str], tuple[str, str]]]:
    base_groups, new_groups = list(_groups(base)), list(_groups(new))
    common = [g for g in base_groups if g in new_groups]
    if common:
        return [(g, g) for g in common]
    if len(base_groups) == 1 and len(new_groups) == 1:
        return [(base_groups[0], new_groups[0])]
    raise CompareError(
        "the reports share no prompt · model pair and do not have exactly one each: base has "
        f"{', '.join(map(_label, base_groups)) or 'none'}; new has {', '.join(map(_label, new_groups)) or 'none'}"
    )


def _compare_group(
    base: Report, new: Report, pair: tuple[tuple[str, str], tuple[str, str]], thresholds: Thresholds
) -> GroupComparison:
    base_metrics, new_metrics = _groups(base)[pair[0]], _groups(new)[pair[1]]
    deltas = []
    for name in COMPARED:
        b, n = _number(base_metrics, name), _number(new_metrics, name)
        dropped = name in GATED and b is not None and n is not None and b - n > thresholds.of(name) + _EPSILON
        deltas.append(MetricDelta(name, b, n, dropped))
    base_cases, new_cases = _case_results(base, pair[0]), _case_results(new, pair[1])
    flips = tuple(
        CaseFlip(case_id, bool(base_cases[case_id]["passed"]), bool(m["passed"]))
        for case_id, m in new_cases.items()
        if case_id in base_cases and bool(base_cases[case_id]["passed"]) != bool(m["passed"])
    )
    forbidden = tuple((case_id, str(claim)) for case_id, m in new_cases.items() for claim in m["forbidden"])
    return GroupComparison(
        base=pair[0],
        new=pair[1],
        deltas=tuple(deltas),
        flips=flips,
        forbidden=forbidden,
        cases_added=tuple(c for c in new_cases if c not in base_cases),
        cases_removed=tuple(c for c in base_cases if c not in new_cases),
    )


def compare(base: Report, new: Report, thresholds: Thresholds | None = None) -> Comparison:
    """Compare two validated reports (see :func:`service.evals.report.load_report`)."""
    thresholds = thresholds or Thresholds()
    pairs = _pairs(base, new)
    paired_base = {b for b, _ in pairs}
    paired_new = {n for _, n in pairs}
    return Comparison(
        groups=tuple(_compare_group(base, new, pair, thresholds) for pair in pairs),
        thresholds=thresholds,
        unmatched_base=tuple(g for g in _groups(base) if g not in paired_base),
        unmatched_new=tuple(g for g in _groups(new) if g not in paired_new),
    )


def render_comparison(comparison: Comparison) -> str:
    """A plain-text account: deltas per pair, flips, forbidden claims, and the verdict."""
    lines: list[str] = []
    for g in comparison.groups:
        title = _label(g.new) if g.base == g.new else f"{_label(g.base)} → {_label(g.new)}"
        lines.append(title)
        width = max(len(n) for n in COMPARED)
        for d in g.deltas:
            delta = "" if d.delta is None else f"{d.delta:+.3f}"
            flag = "  REGRESSED" if d.regressed else ""
            lines.append(f"  {d.name:<{width}}  {_fmt(d.base):>10} → {_fmt(d.new):<10} {delta:>8}{flag}")
        for flip in g.flips:
            lines.append(f"  {flip.direction}: {flip.case_id}")
        for case, claim in g.forbidden:
            lines.append(f"  forbidden claim accepted: {case}: {claim!r}")
        if g.cases_added or g.cases_removed:
            lines.append(
                f"  cases added: {len(g.cases_added)}, removed: {len(g.cases_removed)} (metrics cover both sets)"
            )
    for group in comparison.unmatched_base:
        lines.append(f"only in base: {_label(group)}")
    for group in comparison.unmatched_new:
        lines.append(f"only in new: {_label(group)}")
    if comparison.regressed:
        lines.append("REGRESSION:")
        lines += [f"  - {reason}" for reason in comparison.reasons]
    else:
        gates = ", ".join(f"{m} −{comparison.thresholds.of(m):g}" for m in GATED)
        lines.append(f"no regression (gates: {gates}; no forbidden claim accepted)")
    return "\n".join(lines) + "\n"
