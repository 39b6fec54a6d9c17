"""``scope``: breadth, scale and absolutes (all, every, entire, company-wide, org-wide, across all services,
millions, massively, highly scalable, zero-downtime, eliminated, never, 100%) only when the input says so."""

from __future__ import annotations

import pytest

from service.guard import BulletResult
from tests.guard.guardkit import explain, run


def assert_spans(result: BulletResult) -> None:
    for v in result.violations:
        assert 0 <= v.start <= v.end <= len(result.bullet), explain(result)
        assert v.text == result.bullet[v.start : v.end], explain(result)


ACCEPT = [
    # the input says it
    pytest.param(
        "rolled the new logging lib out to all services",
        "Rolled out the new logging library to all services.",
        id="all-services",
    ),
    pytest.param(
        "rolled out request ids across all services",
        "Rolled out request IDs across all services.",
        id="across-all-services",
    ),
    pytest.param(
        "made the feature flag sdk the company-wide default",
        "Made the feature flag SDK the company-wide default.",
        id="company-wide",
    ),
    pytest.param("set up org-wide secret scanning", "Set up org-wide secret scanning.", id="org-wide"),
    pytest.param(
        "added auth checks to every admin endpoint",
        "Added authorization checks to every admin endpoint.",
        id="every",
    ),
    pytest.param(
        "patched the entire fleet for the openssl cve", "Patched the entire fleet for the OpenSSL CVE.", id="entire"
    ),
    pytest.param(
        "ran the users table migration with zero downtime",
        "Ran a zero-downtime migration of the users table.",
        id="zero-downtime",
    ),
    pytest.param(
        "eliminated the nightly timeouts in the report job",
        "Eliminated nightly timeouts in the report job.",
        id="eliminated",
    ),
    pytest.param(
        "added a partial index to the audit table, which has millions of rows",
        "Added a partial index to an audit table with millions of rows.",
        id="millions",
    ),
    pytest.param(
        "made the retry path idempotent so a replay never charges a card again",
        "Made the retry path idempotent so a replay never charges a card again.",
        id="never",
    ),
    pytest.param(
        "raised line coverage of the billing module to 100%",
        "Raised billing module line coverage to 100%.",
        id="100-percent",
    ),
    pytest.param(
        "made the ingest path highly scalable by sharding on tenant id",
        "Made the ingest path highly scalable by sharding on tenant ID.",
        id="highly-scalable",
    ),
    pytest.param(
        "massively cut log volume by dropping debug logs",
        "Massively cut log volume by dropping debug logs.",
        id="massively",
    ),
    # the same claim in other words
    pytest.param(
        "moved every cron job to the new scheduler", "Moved all cron jobs to the new scheduler.", id="every-as-all"
    ),
    pytest.param(
        "deployed the schema change with no downtime",
        "Deployed the schema change with zero downtime.",
        id="no-downtime-as-zero-downtime",
    ),
    pytest.param(
        "rolled out request ids company-wide",
        "Rolled out request IDs across the company.",
        id="company-wide-as-across-the-company",
    ),
    # a narrower bullet than the input
    pytest.param(
        "migrated all 12 services to the new base image",
        "Migrated 12 services to the new base image.",
        id="absolute-dropped",
    ),
    pytest.param(
        "fixed flaky retries in the email sender", "Fixed flaky retries in the email sender.", id="no-absolute"
    ),
    # not a scope claim
    pytest.param(
        "demoed the tracing work at the all-hands", "Demoed the tracing work at an all-hands.", id="all-hands"
    ),
    # frequencies are not breadth claims
    pytest.param("ran the backfill nightly for a week", "Ran the backfill every night for a week.", id="every-night"),
    pytest.param("on call on alternate weeks", "Was on call every other week.", id="every-other-week"),
    pytest.param("polled the queue every 5 min", "Polled the queue every 5 minutes.", id="every-5-minutes"),
    # "each X" in the notes supports "every X" and "all X", for the same X only
    pytest.param(
        "made each request carry a request id header",
        "Made every request carry a request ID header.",
        id="each-request-every-request",
    ),
    pytest.param("checked each of the 40 tenants", "Checked all 40 tenants.", id="each-of-the-tenants"),
    # the notes' own words for complete elimination
    pytest.param(
        "added idempotency keys, which removed the whole class of duplicate-charge bugs",
        "Added idempotency keys, eliminating duplicate-charge bugs.",
        id="whole-class-of-eliminated",
    ),
]

REJECT = [
    pytest.param(
        "fixed flaky retries in the email sender",
        "Fixed flaky retries across all services.",
        "all",
        id="across-all-services",
    ),
    pytest.param(
        "bumped the base image for the checkout service", "Bumped the base image for all services.", "all", id="all"
    ),
    pytest.param(
        "added auth checks to the admin endpoints",
        "Added authorization checks to every admin endpoint.",
        "every",
        id="every",
    ),
    pytest.param(
        "fixed the n+1 queries on the orders page", "Fixed N+1 queries on every page.", "every", id="every-page"
    ),
    pytest.param(
        "moved the billing service to the new base image",
        "Moved the entire platform to the new base image.",
        "entire",
        id="entire",
    ),
    pytest.param(
        "added input validation to the signup endpoint",
        "Added input validation to the entire API surface.",
        "entire",
        id="entire-api",
    ),
    pytest.param(
        "made the feature flag sdk the default for the payments team",
        "Made the feature flag SDK the company-wide default.",
        "company-wide",
        id="company-wide",
    ),
    pytest.param(
        "rolled out request ids in the checkout service",
        "Rolled out request IDs company wide.",
        "company wide",
        id="company-wide-spaced",
    ),
    pytest.param(
        "set up secret scanning for the payments repos", "Set up org-wide secret scanning.", "org-wide", id="org-wide"
    ),
    pytest.param(
        "ran a lunch-and-learn on tracing for the platform team",
        "Ran tracing lunch-and-learns across the company.",
        "across the company",
        id="across-the-company",
    ),
    pytest.param(
        "rolled out request ids in the checkout service",
        "Rolled out request IDs everywhere.",
        "everywhere",
        id="everywhere",
    ),
    pytest.param(
        "added a partial index to the audit table",
        "Added a partial index to an audit table with millions of rows.",
        "millions",
        id="millions-of-rows",
    ),
    pytest.param(
        "built the events api", "Built an events API serving millions of users.", "millions", id="millions-of-users"
    ),
    pytest.param(
        "cut log volume by dropping debug logs",
        "Massively cut log volume by dropping debug logs.",
        "Massively",
        id="massively",
    ),
    pytest.param(
        "sharded the ingest path on tenant id",
        "Built a highly scalable ingest path sharded on tenant ID.",
        "highly scalable",
        id="highly-scalable",
    ),
    pytest.param(
        "ran the schema migration for the invoices table",
        "Ran a zero-downtime schema migration for the invoices table.",
        "zero-downtime",
        id="zero-downtime",
    ),
    pytest.param(
        "ran the db failover drill",
        "Ran the database failover drill with zero downtime.",
        "zero downtime",
        id="zero-downtime-spaced",
    ),
    pytest.param(
        "moved all cron jobs to the new scheduler",
        "Moved all cron jobs to the new scheduler with zero downtime.",
        "zero downtime",
        id="other-absolute-than-stated",
    ),
    pytest.param(
        "reduced timeouts in the report job", "Eliminated timeouts in the report job.", "Eliminated", id="eliminated"
    ),
    pytest.param(
        "made the retry path idempotent",
        "Made the retry path idempotent so a replay never charges a card again.",
        "never",
        id="never",
    ),
    pytest.param(
        "added a dedupe step for webhook deliveries",
        "Added a dedupe step so duplicate webhooks are never processed.",
        "never",
        id="never-processed",
    ),
    pytest.param(
        "raised billing module line coverage", "Raised billing module line coverage to 100%.", "100", id="100-percent"
    ),
    pytest.param(
        "wrote runbooks for a few of the noisiest alerts, linked each from the alert description",
        "Wrote runbooks for every alert.",
        "every",
        id="each-about-another-thing",
    ),
    pytest.param(
        "added alerts to each service", "Added alerts to every endpoint.", "every", id="each-service-not-every-endpoint"
    ),
    pytest.param(
        "reduced duplicate charges", "Eliminated duplicate charges.", "Eliminated", id="reduced-not-eliminated"
    ),
]


@pytest.mark.parametrize(("notes", "bullet"), ACCEPT)
def test_stated_scope_is_accepted(notes: str, bullet: str) -> None:
    result = run(notes, bullet)
    assert result.verdict == "accepted", explain(result)
    assert result.violations == (), explain(result)


@pytest.mark.parametrize(("notes", "bullet", "fragment"), REJECT)
def test_widened_scope_is_a_scope_violation(notes: str, bullet: str, fragment: str) -> None:
    result = run(notes, bullet)
    assert result.verdict == "rejected", explain(result)
    assert "scope" in {v.kind for v in result.violations}, explain(result)
    assert any(v.kind == "scope" and fragment in v.text for v in result.violations), explain(result)
    assert_spans(result)


def test_scope_stated_in_evidence_counts() -> None:
    result = run(
        "rolled out request ids",
        "Rolled out request IDs across all services.",
        evidence=("PR description: adds request id middleware to all services",),
    )
    assert result.verdict == "accepted", explain(result)
