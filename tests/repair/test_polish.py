"""Polish: bullets written the way bullets are written, the verdict never changed."""

from __future__ import annotations

import pytest

from service.guard import check_bullet, extract_facts
from service.repair import polish, polish_warnings

NOTES = (
    "moved the nightly invoice export off a cron box onto a celery worker. I wrote the retry logic and the "
    "alerting in grafana. I designed and built the idempotency layer for the payments API (postgres advisory "
    "locks). cut p99 from 900 ms to 300 ms, 40 % fewer timeouts"
)

CASES = [
    pytest.param(
        "moved the nightly invoice export off a cron box onto a celery worker.",
        "Moved the nightly invoice export off a cron box onto a Celery worker.",
        id="capital-first-word-canonical-name-one-final-period",
    ),
    pytest.param(
        "I wrote the retry logic and the alerting in grafana.",
        "Wrote the retry logic and the alerting in Grafana.",
        id="no-leading-i",
    ),
    pytest.param(
        "I designed and built the idempotency layer for the payments API (postgres advisory locks)",
        "Designed and built the idempotency layer for the payments API (PostgreSQL advisory locks).",
        id="postgres-as-postgresql",
    ),
    pytest.param("we moved the invoice export to celery", "Moved the invoice export to Celery.", id="no-leading-we"),
    pytest.param("- Cut p99 from 900 ms to 300 ms", "Cut p99 from 900ms to 300ms.", id="units-glued-marker-gone"),
    pytest.param("Cut timeouts by 40 %.", "Cut timeouts by 40%.", id="percent-glued"),
    pytest.param("Cut  timeouts   by 40%;", "Cut timeouts by 40%.", id="single-spaces-one-final-period"),
]


@pytest.mark.parametrize(("bullet", "expected"), CASES)
def test_polish_rules(bullet: str, expected: str) -> None:
    facts = extract_facts(NOTES)
    assert polish(bullet, facts) == expected
    assert check_bullet(expected, facts).verdict == check_bullet(bullet, facts).verdict


def test_polish_is_idempotent() -> None:
    facts = extract_facts(NOTES)
    for param in CASES:
        once = polish(str(param.values[0]), facts)
        assert polish(once, facts) == once


def test_a_refused_bullet_stays_refused_for_the_same_reasons() -> None:
    facts = extract_facts(NOTES)
    bullet = "i led the nightly invoice export across all teams."
    polished = polish(bullet, facts)
    assert polished == "Led the nightly invoice export across all teams."
    kinds = sorted(v.kind for v in check_bullet(polished, facts).violations)
    assert kinds == sorted(v.kind for v in check_bullet(bullet, facts).violations)


@pytest.mark.parametrize(
    ("bullet", "expected"),
    [
        pytest.param("Wrote the retry logic. Then added alerts", 1, id="two-sentences"),
        pytest.param("Wrote the retry logic my team asked for", 1, id="first-person-inside"),
        pytest.param("I wrote the retry logic", 0, id="a-leading-i-is-polished-not-flagged"),
    ],
)
def test_the_lint_flags_what_polish_cannot_fix(bullet: str, expected: int) -> None:
    assert len(polish_warnings(bullet)) == expected
