"""``ownership``: a bullet's verb may not claim more ownership than the input states for that work.

Ladder: helped/assisted/supported/contributed/was part of/worked on/reviewed
      < built/implemented/wrote/fixed/added/migrated/shipped
      < designed/owned/planned/drove
      < led/architected/spearheaded/headed.
Evidence items count as input ("worked on the gateway" + "I built the schema stitching" supports
"Built schema stitching").
"""

from __future__ import annotations

import pytest

from service.guard import BulletResult
from tests.guard.guardkit import explain, run


def assert_spans(result: BulletResult) -> None:
    for v in result.violations:
        assert 0 <= v.start <= v.end <= len(result.bullet), explain(result)
        assert v.text == result.bullet[v.start : v.end], explain(result)


GATEWAY_EVIDENCE = ("I built the schema stitching for the GraphQL gateway",)

# (notes, evidence, redact, bullet)
ACCEPT = [
    # the same rung
    pytest.param(
        "helped ship the webhook retry queue", (), (), "Helped ship the webhook retry queue.", id="helped-helped"
    ),
    pytest.param(
        "built the rate limiter for the public api",
        (),
        (),
        "Implemented the rate limiter for the public API.",
        id="built-implemented",
    ),
    pytest.param(
        "fixed the flaky retries in the email sender",
        (),
        (),
        "Fixed flaky retries in the email sender.",
        id="fixed-fixed",
    ),
    pytest.param(
        "led the migration of the cron jobs to the new scheduler",
        (),
        (),
        "Led the migration of the cron jobs to the new scheduler.",
        id="led-led",
    ),
    pytest.param("spearheaded the on-call revamp", (), (), "Led the on-call revamp.", id="spearheaded-led"),
    pytest.param("headed the logging cleanup", (), (), "Led the logging cleanup.", id="headed-led"),
    pytest.param("drove the postgres 16 upgrade", (), (), "Planned the PostgreSQL 16 upgrade.", id="drove-planned"),
    pytest.param(
        "designed the schema for the audit log", (), (), "Designed the audit log schema.", id="designed-designed"
    ),
    pytest.param(
        "reviewed PRs for the search service",
        (),
        (),
        "Reviewed pull requests for the search service.",
        id="reviewed-reviewed",
    ),
    pytest.param("assisted with the kafka upgrade", (), (), "Assisted with the Kafka upgrade.", id="assisted-assisted"),
    pytest.param(
        "worked on the kafka consumer rewrite",
        (),
        (),
        "Worked on the Kafka consumer rewrite.",
        id="worked-on-worked-on",
    ),
    # a weaker verb than the input states
    pytest.param(
        "helped the team ship the billing export",
        (),
        (),
        "Helped ship the billing export.",
        id="helped-the-team-ship-helped-ship",
    ),
    pytest.param(
        "led the migration of the cron jobs to the new scheduler",
        (),
        (),
        "Migrated the cron jobs to the new scheduler.",
        id="led-migrated",
    ),
    pytest.param("designed the schema for the audit log", (), (), "Built the audit log schema.", id="designed-built"),
    pytest.param("owned the indexing pipeline", (), (), "Maintained the indexing pipeline.", id="owned-maintained"),
    pytest.param("owned the payments webhook handler", (), (), "Wrote the payments webhook handler.", id="owned-wrote"),
    pytest.param("architected the event bus", (), (), "Designed the event bus.", id="architected-designed"),
    pytest.param("led the search rebuild", (), (), "Helped with the search rebuild.", id="led-helped"),
    pytest.param(
        "was part of the team that moved auth to oauth",
        (),
        (),
        "Contributed to moving authentication to OAuth.",
        id="part-of-the-team-contributed",
    ),
    pytest.param("shipped the export api", (), (), "Built and shipped the export API.", id="shipped-built-and-shipped"),
    # each piece of work at its own rung
    pytest.param(
        "the team rebuilt search; I wrote the ranking tests",
        (),
        (),
        "Wrote the ranking tests for the search rebuild.",
        id="own-part-of-team-work",
    ),
    pytest.param(
        "built the rate limiter; led the on-call rotation",
        (),
        (),
        "Led the on-call rotation and built the rate limiter.",
        id="two-works-two-rungs",
    ),
    pytest.param(
        "helped build the rate limiter; designed the quota api",
        (),
        (),
        "Designed the quota API and helped build the rate limiter.",
        id="designed-one-helped-other",
    ),
    # evidence counts
    pytest.param(
        "worked on the graphql gateway",
        GATEWAY_EVIDENCE,
        (),
        "Built schema stitching for the GraphQL gateway.",
        id="evidence-built-schema-stitching",
    ),
    pytest.param(
        "worked on the billing service",
        ("I designed the invoice retry policy",),
        (),
        "Designed the invoice retry policy for the billing service.",
        id="evidence-designed",
    ),
    # a noun, not a claim
    pytest.param(
        "set up the oncall rotation",
        (),
        (),
        "Set up the on-call rotation and handed it over to the new team lead.",
        id="team-lead-noun",
    ),
    pytest.param(
        "wrote the design doc for the rate limiter",
        (),
        (),
        "Wrote the design doc for the rate limiter.",
        id="design-doc-noun",
    ),
    # what a thing does after "which"/"that" is not the writer's claim
    pytest.param(
        "worked on the kafka sink for clickstream",
        (),
        (),
        "Worked on the Kafka clickstream sink, which writes events to the warehouse at peak.",
        id="which-writes-is-the-sink",
    ),
    pytest.param(
        "helped with the deploy tool",
        (),
        (),
        "Helped with the deploy tool that builds the images.",
        id="that-builds-is-the-tool",
    ),
    pytest.param(
        "was on the team that migrated service auth to mtls",
        (),
        (),
        "Helped migrate service auth to mTLS as part of the team.",
        id="team-that-migrated-supports-helped",
    ),
    # in long notes, each piece of work keeps its own rung
    pytest.param(
        "- export svc: i designed it end to end\n- helped jonas build the public api rate limiter, wrote some tests",
        (),
        (),
        "Designed the export service end to end.",
        id="long-notes-designed-piece",
    ),
    pytest.param(
        "ann and i planned the annual api key rotation; i wrote the rotation script",
        (),
        (),
        "Wrote the rotation script for the annual API key rotation, which a teammate and I planned together.",
        id="relative-clause-takes-the-bullets-context",
    ),
    pytest.param(
        "helped with the deploy tool",
        (),
        (),
        "Helped with the deploy tool that builds and ships the container images.",
        id="that-builds-and-ships-is-the-tool",
    ),
    pytest.param(
        "contributed to the importer",
        (),
        (),
        "Contributed to the importer, which handled retries and dead letters.",
        id="which-handled-is-the-importer",
    ),
    # resume verbs beyond the example ladder, on their rungs
    pytest.param(
        "wrote the retry logic for the webhook sender",
        (),
        (),
        "Authored the retry logic for the webhook sender.",
        id="wrote-authored",
    ),
    pytest.param(
        "i managed the on-call rotation for payments",
        (),
        (),
        "Owned the on-call rotation for payments.",
        id="managed-owned",
    ),
    pytest.param(
        "we finally managed to fix the flaky deploy",
        (),
        (),
        "Helped fix the flaky deploy.",
        id="managed-to-is-no-claim",
    ),
    # role lines in evidence: "author: me" is built-level, "owner: me" owned-level, for that line's work
    pytest.param(
        "worked on search indexing",
        ("PR-880: switch product indexing to the bulk API (author: me) — runs drop from 45 min to 12 min",),
        (),
        "Switched product indexing to the bulk API, cutting runs from 45 min to 12 min.",
        id="author-me",
    ),
    pytest.param(
        "worked on the feature flag service",
        ("service ownership table: feature-flags service — owner: me (since 2023-09); backup: jun",),
        (),
        "Owned the feature flag service.",
        id="owner-me",
    ),
    # an outcome after a comma is not a second claim
    pytest.param(
        "batched the writes in the ingest service; throughput 1k -> 4k req/min",
        (),
        (),
        "Batched writes in the ingest service, raising throughput from 1k to 4k requests per minute.",
        id="outcome-participle",
    ),
    # "did X" says the writer did X
    pytest.param(
        "helped move the feature store to gcp; mostly did the iam + service accounts",
        (),
        (),
        "Helped move the feature store to Google Cloud, handling the IAM roles and service accounts.",
        id="did-the-iam-supports-handling",
    ),
    pytest.param(
        "did the schema migration for invoices", (), (), "Ran the schema migration for invoices.", id="did-ran"
    ),
]

# (notes, evidence, redact, bullet, verb)
REJECT = [
    pytest.param(
        "helped debug a deadlock in the inventory service",
        (),
        (),
        "Debugged a deadlock in the inventory service.",
        "Debugged",
        id="helped-debug-debugged",
    ),
    pytest.param(
        "helped the team ship the billing export",
        (),
        (),
        "Shipped the billing export.",
        "Shipped",
        id="helped-the-team-ship-shipped",
    ),
    pytest.param(
        "was part of the team that shipped the new checkout",
        (),
        (),
        "Shipped the new checkout.",
        "Shipped",
        id="part-of-the-team-shipped",
    ),
    pytest.param(
        "was part of the team that moved auth to oauth",
        (),
        (),
        "Moved authentication to OAuth.",
        "Moved",
        id="part-of-the-team-moved",
    ),
    pytest.param("worked on the rate limiter", (), (), "Built the rate limiter.", "Built", id="worked-on-built"),
    pytest.param("worked on the rate limiter", (), (), "Led the rate limiter project.", "Led", id="worked-on-led"),
    pytest.param(
        "reviewed the design for the rate limiter",
        (),
        (),
        "Designed the rate limiter.",
        "Designed",
        id="reviewed-designed",
    ),
    pytest.param(
        "supported the database migration", (), (), "Migrated the database.", "Migrated", id="supported-migrated"
    ),
    pytest.param("assisted with the canary rollout", (), (), "Drove the canary rollout.", "Drove", id="assisted-drove"),
    pytest.param("contributed to the python sdk", (), (), "Wrote the Python SDK.", "Wrote", id="contributed-wrote"),
    pytest.param("helped with the on-call runbooks", (), (), "Wrote the on-call runbooks.", "Wrote", id="helped-wrote"),
    pytest.param("built the audit log", (), (), "Designed the audit log.", "Designed", id="built-designed"),
    pytest.param("built the audit log", (), (), "Architected the audit log.", "Architected", id="built-architected"),
    pytest.param(
        "implemented idempotency keys for the payments api",
        (),
        (),
        "Led the implementation of idempotency keys for the payments API.",
        "Led",
        id="implemented-led",
    ),
    pytest.param("fixed the search reindex job", (), (), "Owned the search reindex job.", "Owned", id="fixed-owned"),
    pytest.param("implemented the rate limiter", (), (), "Owned the rate limiter.", "Owned", id="implemented-owned"),
    pytest.param(
        "migrated the orders table",
        (),
        (),
        "Architected the orders table migration.",
        "Architected",
        id="migrated-architected",
    ),
    pytest.param("designed the retry policy", (), (), "Led the design of the retry policy.", "Led", id="designed-led"),
    pytest.param(
        "owned the indexing pipeline",
        (),
        (),
        "Spearheaded the indexing pipeline.",
        "Spearheaded",
        id="owned-spearheaded",
    ),
    pytest.param(
        "planned the datacenter cutover", (), (), "Headed the datacenter cutover.", "Headed", id="planned-headed"
    ),
    pytest.param(
        "the team rebuilt search; I wrote the ranking tests",
        (),
        (),
        "Rebuilt search.",
        "Rebuilt",
        id="team-outcome-made-solo",
    ),
    pytest.param(
        "built the rate limiter; led the on-call rotation",
        (),
        (),
        "Led the rate limiter.",
        "Led",
        id="rung-of-other-work",
    ),
    pytest.param(
        "helped build the rate limiter; designed the quota api",
        (),
        (),
        "Designed the rate limiter.",
        "Designed",
        id="rung-of-other-work-2",
    ),
    # evidence supports its own work only
    pytest.param(
        "worked on the graphql gateway",
        GATEWAY_EVIDENCE,
        (),
        "Designed schema stitching for the GraphQL gateway.",
        "Designed",
        id="evidence-built-not-designed",
    ),
    pytest.param(
        "worked on the graphql gateway",
        GATEWAY_EVIDENCE,
        (),
        "Built the GraphQL gateway.",
        "Built",
        id="evidence-part-not-whole",
    ),
    pytest.param(
        "did not touch the billing schema; reviewed the migration",
        (),
        (),
        "Wrote the billing schema migration.",
        "Wrote",
        id="did-not-is-no-claim",
    ),
    pytest.param(
        "helped the platform team, which led the migration",
        (),
        (),
        "Led the migration of the platform.",
        "Led",
        id="which-led-is-someone-else",
    ),
    # someone else's PR, reviewed by the writer
    pytest.param(
        "reviewed the webhook retry work",
        ("PR-905: exponential backoff for outbound webhooks (author: priya; Reviewed-by: me) — retries with jitter",),
        (),
        "Built exponential backoff with jitter for outbound webhooks.",
        "Built",
        id="author-someone-else-reviewer-me",
    ),
    pytest.param(
        "gave feedback on the search relevance design",
        ("Search relevance v2 — Design Doc. Author: arjun; Reviewers: me, li. Proposes a rerank stage.",),
        (),
        "Designed a rerank stage for search relevance.",
        "Designed",
        id="design-doc-proposes-is-the-doc",
    ),
    pytest.param(
        "helped with the ingest service",
        (),
        (),
        "Helped with the ingest service, designing its retry schema.",
        "designing",
        id="work-participle-is-a-claim",
    ),
    pytest.param(
        "helped with the deploy tool",
        (),
        (),
        "Helped with the deploy tool that builds images and designed its cache layer.",
        "designed",
        id="claim-after-a-relative-clause",
    ),
    pytest.param(
        "wrote the new token refresh flow in the auth service",
        (),
        (),
        "Rearchitected the token refresh flow in the auth service.",
        "Rearchitected",
        id="wrote-not-rearchitected",
    ),
    pytest.param(
        "built the billing export job",
        (),
        (),
        "Managed the team that built the billing export job.",
        "Managed",
        id="built-not-managed",
    ),
    # a strong verb about one piece of work in long notes is no support for another
    pytest.param(
        "- export svc: i designed it end to end\n- helped jonas build the public api rate limiter, wrote some tests"
        "\n- wrote the api consumer faq",
        (),
        (),
        "Built the public API rate limiter with tests for its refill behaviour.",
        "Built",
        id="long-notes-helped-piece",
    ),
    pytest.param(
        "- i designed the feature flag svc\n- multi-region failover for accounts svc: reviewed the design doc"
        "\n- wrote a chaos test for the failover",
        (),
        (),
        "Designed the multi-region failover for the accounts service.",
        "Designed",
        id="long-notes-generic-word-is-not-the-same-work",
    ),
    pytest.param(
        "led the incident review revamp; fixed the flaky e2e suite",
        (),
        (),
        "Led the rollout of the new on-call schedule.",
        "Led",
        id="unmatched-work-gets-at-most-built",
    ),
    pytest.param(
        "was on the team that migrated service auth to mtls; i updated the client libs",
        (),
        (),
        "Migrated service auth to mTLS, updating the client libraries.",
        "Migrated",
        id="team-that-migrated-is-contributed",
    ),
]


@pytest.mark.parametrize(("notes", "evidence", "redact", "bullet"), ACCEPT)
def test_supported_ownership_is_accepted(
    notes: str, evidence: tuple[str, ...], redact: tuple[str, ...], bullet: str
) -> None:
    result = run(notes, bullet, evidence, redact)
    assert result.verdict == "accepted", explain(result)
    assert result.violations == (), explain(result)


@pytest.mark.parametrize(("notes", "evidence", "redact", "bullet", "verb"), REJECT)
def test_raised_ownership_is_an_ownership_violation(
    notes: str, evidence: tuple[str, ...], redact: tuple[str, ...], bullet: str, verb: str
) -> None:
    result = run(notes, bullet, evidence, redact)
    assert result.verdict == "rejected", explain(result)
    assert "ownership" in {v.kind for v in result.violations}, explain(result)
    assert any(v.kind == "ownership" and verb in v.text for v in result.violations), explain(result)
    assert_spans(result)
