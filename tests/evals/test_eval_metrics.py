"""Metrics on hand-built run records: every figure is computed here by hand."""

from __future__ import annotations

from dataclasses import replace

import pytest

from service.evals import (
    Case,
    RunRecord,
    case_metrics,
    group_metrics,
    input_facts,
    mentions,
    pass_k_of_n,
    percentile,
    run_outcome,
)
from service.evals.metrics import KINDS, Scored
from tests.evals.evalkit import API, GOOD_API, GOOD_PERF, INVENTED, PERF, bullet, record


def test_run_outcome_counts_acceptance_by_attempt_and_violations_by_kind() -> None:
    late = bullet("Cut p95 latency to 180 ms.", 2)
    outcome = run_outcome(PERF, record(PERF.id, [GOOD_PERF, late], [INVENTED], attempts=2))
    assert (outcome.accepted, outcome.accepted_first, outcome.proposed, outcome.proposed_first) == (2, 1, 3, 2)
    assert outcome.violations_by_kind == {k: int(k in {"ownership", "tool", "scope"}) for k in KINDS}


def test_coverage_is_the_share_of_input_figures_and_technologies_kept() -> None:
    # input facts: p95, 900ms, 180ms, PostgreSQL, Redis; the bullet keeps all but PostgreSQL
    outcome = run_outcome(PERF, record(PERF.id, [GOOD_PERF]))
    assert outcome.facts_kept == ("p95", "900ms", "180ms", "Redis")
    assert outcome.facts_missing == ("PostgreSQL",)
    assert outcome.coverage == pytest.approx(0.8)
    # refused bullets keep nothing; a run with no accepted bullet covers nothing
    assert run_outcome(PERF, record(PERF.id, [], [GOOD_PERF])).coverage == 0.0


def test_a_figure_read_two_ways_is_one_fact_kept_by_either_reading() -> None:
    # "429s" in the notes is status codes or seconds: one fact, kept by a bullet stating either
    case = replace(PERF, notes="returned 429s to tenants over quota; 429s again the next day", evidence=())
    assert [f.label for f in input_facts(case.notes)] == ["429s"]
    for text in ("Returned HTTP 429 to tenants over their quota.", "Held requests for 429 seconds."):
        outcome = run_outcome(case, record(case.id, [bullet(text)]))
        assert outcome.facts_kept == ("429s",) and outcome.coverage == 1.0, text
    assert run_outcome(case, record(case.id, [bullet("Throttled tenants over quota.")])).coverage == 0.0


def test_coverage_is_undefined_without_input_facts() -> None:
    # the evidence's "PR 12" is a figure of the input; without the evidence there is none
    assert run_outcome(API, record(API.id, [GOOD_API])).coverage == 0.0
    assert run_outcome(replace(API, evidence=()), record(API.id, [GOOD_API])).coverage is None


def test_expectations_keep_forbid_and_min_accepted() -> None:
    ok = run_outcome(PERF, record(PERF.id, [GOOD_PERF]))
    assert ok.passed and ok.keep_found == ("180ms", "Redis") and not ok.forbidden

    missing = run_outcome(PERF, record(PERF.id, [bullet("Added a Redis cache for products.")]))
    assert missing.keep_missing == ("180ms",) and not missing.passed

    slipped = run_outcome(PERF, record(PERF.id, [GOOD_PERF, bullet("Cached reads with Kafka.")]))
    assert [h.claim for h in slipped.forbidden] == ["Kafka"] and not slipped.passed

    none = run_outcome(PERF, record(PERF.id, [], [INVENTED]))
    assert not none.min_accepted_met and not none.passed

    failed = run_outcome(PERF, record(PERF.id, [GOOD_PERF], error="LLMTimeout: too slow"))
    assert not failed.passed


def test_mentions_matches_meaning_for_facts_and_whole_words_otherwise() -> None:
    assert mentions("Cut latency from 2,400 ms", "2.4s")
    assert mentions("Tuned Postgres 14 indexes", "PostgreSQL")
    assert mentions("Led the migration", "led")
    assert not mentions("Handled the ledger migration", "led")
    assert mentions("Wrote three runbooks", "runbook")
    assert not mentions("Wrote a runbook", "180ms")


def test_percentile_interpolates_between_ranks() -> None:
    assert percentile([], 50) is None
    assert percentile([4.0], 95) == 4.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == pytest.approx(2.5)
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 95) == pytest.approx(4.8)


def test_pass_k_of_n() -> None:
    assert pass_k_of_n([3, 2, 0], 3) == {
        "1": pytest.approx(2 / 3, abs=1e-4),
        "2": pytest.approx(2 / 3, abs=1e-4),
        "3": pytest.approx(1 / 3, abs=1e-4),
    }
    assert pass_k_of_n([], 1) == {"1": None}


def _scored(*pairs: tuple[Case, RunRecord]) -> list[Scored]:
    return [(rec, run_outcome(case, rec)) for case, rec in pairs]


def test_group_metrics_aggregate_runs() -> None:
    scored = _scored(
        (PERF, record(PERF.id, [GOOD_PERF], [INVENTED], attempts=2, latency_s=2.0, cost_usd=0.01)),
        (API, record(API.id, [GOOD_API], latency_s=1.0, cost_usd=0.02)),
        (
            PERF,
            record(
                PERF.id,
                [],
                [],
                attempts=3,
                schema_valid=1,
                latency_s=9.0,
                error="LLMUnavailable: down",
                repeat=2,
                cost_usd=0.0,
            ),
        ),
    )
    m = group_metrics(scored, repeat=2, k=1)
    assert m["runs"] == 3 and m["cases"] == 2 and m["errors"] == 1
    assert m["acceptance"] == pytest.approx(2 / 3, abs=1e-4)
    assert (m["bullets_accepted"], m["bullets_accepted_first_attempt"], m["bullets_accepted_after_reask"]) == (2, 2, 0)
    assert m["bullets_proposed"] == 3 and m["bullet_acceptance_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert m["violations"] == 3 and m["violations_by_kind"]["tool"] == 1 and m["violations_per_run"] == 1.0
    # coverage: perf run 1 keeps 4/5, the api run keeps 0/1 ("12" of the evidence), the failed run 0/5
    assert m["coverage"] == pytest.approx((0.8 + 0.0 + 0.0) / 3, abs=1e-4)
    assert m["expectations"] == pytest.approx(2 / 3, abs=1e-4)
    assert m["pass_k_of_n"] == {"1": 1.0, "2": 0.0}
    assert m["case_pass_rate"] == 1.0
    assert m["schema_valid_rate"] == pytest.approx(4 / 6, abs=1e-4)
    assert m["attempts"] == 6 and m["attempts_per_run"] == 2.0
    assert m["latency_p50_s"] == 2.0 and m["latency_p95_s"] == pytest.approx(8.3)
    assert (m["prompt_tokens"], m["completion_tokens"]) == (600, 120)
    assert m["cost_usd"] == pytest.approx(0.03)
    assert m["forbidden_slips"] == 0


def test_cost_is_unknown_when_any_run_cost_is() -> None:
    scored = _scored((API, record(API.id, [GOOD_API], cost_usd=0.5)), (API, record(API.id, [GOOD_API], repeat=2)))
    assert group_metrics(scored, repeat=2, k=2)["cost_usd"] is None


def test_k_of_n_case_verdicts() -> None:
    runs = _scored(
        (PERF, record(PERF.id, [GOOD_PERF], repeat=1)),
        (PERF, record(PERF.id, [], repeat=2)),
        (PERF, record(PERF.id, [GOOD_PERF], repeat=3)),
    )
    assert case_metrics(runs, k=2)["passed"] and case_metrics(runs, k=2)["passes"] == 2
    assert not case_metrics(runs, k=3)["passed"]
    m = group_metrics(runs, repeat=3, k=2)
    assert m["pass_k_of_n"] == {"1": 1.0, "2": 1.0, "3": 0.0} and m["case_pass_rate"] == 1.0
