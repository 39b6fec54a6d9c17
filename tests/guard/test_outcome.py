"""``outcome``: a bullet may claim an effect ("improving reliability", "boosting developer productivity",
"resulting in fewer incidents", "enabling the team to…", "making queries faster") only when the input
states that effect on that thing, in its own words or with a figure about it. Outcome words that restate
the work, or the input's own outcome, are accepted. Each rejection names a fragment its span must hold.
"""

from __future__ import annotations

from typing import Any

import pytest

from service.guard import BulletResult
from tests.guard.guardkit import explain, run


def assert_spans(result: BulletResult) -> None:
    for v in result.violations:
        assert v.text == result.bullet[v.start : v.end], explain(result)


REJECT = [
    # the examples: an effect the notes never state
    pytest.param(
        "added a read replica for the reporting database",
        "Added a read replica for the reporting database, improving dashboard reliability for customers.",
        "improving dashboard reliability",
        id="improving-reliability-unstated",
    ),
    pytest.param(
        "moved session storage to redis",
        "Moved session storage to Redis, boosting developer productivity.",
        "boosting developer productivity",
        id="boosting-productivity-unstated",
    ),
    pytest.param(
        "built the checkout redesign",
        "Built the checkout redesign, improving conversion.",
        "improving conversion",
        id="improving-conversion-unstated",
    ),
    pytest.param(
        "wrote integration tests for billing",
        "Wrote integration tests for billing, resulting in fewer incidents.",
        "resulting in fewer incidents",
        id="resulting-in-fewer-incidents",
    ),
    pytest.param(
        "moved ci to github actions",
        "Moved CI to GitHub Actions, enabling the team to ship twice as often.",
        "enabling the team to ship",
        id="enabling-the-team-to",
    ),
    pytest.param(
        "moved ci to github actions", "Moved CI to GitHub Actions, saving costs.", "saving costs", id="saving-costs"
    ),
    pytest.param(
        "added a cache in front of the pricing api",
        "Added a cache in front of the pricing API, boosting revenue.",
        "boosting revenue",
        id="boosting-revenue",
    ),
    pytest.param(
        "added a cache in front of the pricing api",
        "Added a cache in front of the pricing API, increasing customer satisfaction.",
        "customer satisfaction",
        id="increasing-customer-satisfaction",
    ),
    pytest.param(
        "wrote integration tests for billing",
        "Wrote integration tests for billing to ensure data integrity.",
        "ensure data integrity",
        id="to-ensure",
    ),
    pytest.param(
        "automated the release checklist",
        "Automated the release checklist, enhancing developer experience.",
        "enhancing developer experience",
        id="enhancing-experience",
    ),
    pytest.param(
        "migrated the cron jobs to k8s",
        "Migrated cron jobs to Kubernetes, driving operational excellence.",
        "operational excellence",
        id="driving-a-generic-benefit",
    ),
    # the input states something near it, not this effect on this thing
    pytest.param(
        "on-call pages dropped after the alert cleanup",
        "Cleaned up alerts, improving reliability across the platform.",
        "improving reliability",
        id="pages-dropped-is-not-reliability",
    ),
    pytest.param(
        "optimized the report queries",
        "Optimized the report queries, making them faster.",
        "making them faster",
        id="faster-unstated",
    ),
    pytest.param(
        "built a new search index for the catalog",
        "Built a new search index for faster catalog lookups.",
        "faster catalog lookups",
        id="quality-adjective-before-a-noun",
    ),
    # the input negates or only hopes for it
    pytest.param(
        "added a cache to the pricing api; the goal is lower latency but no numbers yet",
        "Added a cache to the pricing API, reducing latency.",
        "reducing latency",
        id="goal-is-not-a-result",
    ),
    pytest.param(
        "tried a connection pooler; latency didn't improve",
        "Introduced a connection pooler, improving latency.",
        "improving latency",
        id="did-not-improve",
    ),
    pytest.param(
        "Q: any wins on cost?\nA: not really, but I shut down the idle staging clusters",
        "Shut down idle staging clusters, saving costs.",
        "saving costs",
        id="a-question-states-nothing",
    ),
    # a generic benefit named anywhere
    pytest.param(
        "rewrote the billing cron in go",
        "Rewrote the billing cron in Go for better scalability.",
        "scalability",
        id="for-better-scalability",
    ),
    pytest.param(
        "set up the staging environment",
        "Set up the staging environment, streamlining QA and boosting team velocity.",
        "velocity",
        id="velocity-anywhere",
    ),
]


def accept(notes: str, bullet: str, *, id: str, evidence: tuple[str, ...] = ()) -> Any:
    return pytest.param(notes, bullet, evidence, id=id)


ACCEPT = [
    # the input states the effect in its own words
    accept(
        "on-call pages dropped after the alert cleanup",
        "Cleaned up alerts, reducing on-call pages.",
        id="pages-dropped-supports-reducing-pages",
    ),
    accept(
        "optimized the report queries, they're a lot faster now",
        "Optimized the report queries, making them faster.",
        id="restating-faster",
    ),
    accept(
        "added a read replica for reporting so dashboard queries stop timing out",
        "Added a read replica for reporting, stopping dashboard query timeouts.",
        id="stop-timing-out",
    ),
    accept(
        "built the checkout redesign; conversion went up 2 points",
        "Built the checkout redesign, improving conversion by 2 points.",
        id="conversion-stated",
    ),
    accept(
        "moved the nightly batch to spot instances, saved about $2k/month",
        "Moved the nightly batch to spot instances, saving about $2,000 per month.",
        id="saving-money-stated",
    ),
    accept(
        "built a refund flow so support can refund without an engineer",
        "Built a refund flow enabling support to issue refunds without engineering.",
        id="enabling-stated",
    ),
    accept(
        "ran the users table migration with zero downtime",
        "Ran the users table migration, ensuring zero downtime.",
        id="ensuring-stated",
    ),
    # a figure about the thing states the effect
    accept(
        "p95 went from 1.2 s to 400 ms after the query rewrite",
        "Rewrote the query, reducing p95 latency from 1.2 s to 400 ms.",
        id="p95-figures-state-latency",
    ),
    accept(
        "migrated the user service from mongo to postgres. p95 from 800ms to 120ms",
        "Migrated the user service to PostgreSQL, cutting p95 query latency from 800 ms to 120 ms.",
        id="stated-group-head-needs-no-modifier",
    ),
    accept(
        "set up CI for the payments repo; builds went from 14 min to 9 min",
        "Set up CI for the payments repo, speeding up builds from 14 to 9 minutes.",
        id="build-minutes-state-speed",
    ),
    accept(
        "upgraded the ingress to tls 1.3, handshake time down 30%",
        "Upgraded the ingress to TLS 1.3, reducing handshake latency by 30%.",
        id="time-down-states-speed",
    ),
    accept(
        "turned on gzip for the catalog api responses",
        "Enabled gzip compression for catalog API responses, shrinking average payload size from 1.2 MB to 180 KB.",
        evidence=("avg payload went from 1.2 MB to 180 KB per the nginx logs",),
        id="evidence-states-it",
    ),
    # the main verb is the work: judged against the input like any outcome
    accept(
        "reworked the retry logic in the uploader", "Improved the retry logic in the uploader.", id="improved-the-work"
    ),
    accept(
        "cut query count 10x by adding a dataloader",
        "Reduced query count tenfold by adding a dataloader.",
        id="reduced-a-stated-count",
    ),
    accept(
        "cut log retention 90 days -> 30 days w/ s3 lifecycle rules",
        "Cut log retention from 90 to 30 days with S3 lifecycle rules.",
        id="cut-a-stated-setting",
    ),
    # not an outcome of the writer's
    accept(
        "added an ip allowlist to the admin api so only office and vpn ips are allowed",
        "Added an IP allowlist to the admin API so that only office and VPN addresses are allowed to reach it.",
        id="passive-allowed",
    ),
    accept("set up paging for payment failures", "React to payment failures faster: set up paging.", id="how-not-what"),
]


@pytest.mark.parametrize(("notes", "bullet", "fragment"), REJECT)
def test_unstated_outcome_is_rejected(notes: str, bullet: str, fragment: str) -> None:
    result = run(notes, bullet)
    outcomes = [v for v in result.violations if v.kind == "outcome"]
    assert outcomes, explain(result)
    assert any(fragment in v.text or v.text in fragment for v in outcomes), explain(result)
    assert_spans(result)


@pytest.mark.parametrize(("notes", "bullet", "evidence"), ACCEPT)
def test_stated_outcome_is_accepted(notes: str, bullet: str, evidence: tuple[str, ...]) -> None:
    result = run(notes, bullet, evidence)
    assert result.verdict == "accepted", explain(result)


def test_outcome_message_and_hint_quote_the_span() -> None:
    result = run("moved session storage to redis", "Moved session storage to Redis, boosting developer productivity.")
    (v,) = [v for v in result.violations if v.kind == "outcome"]
    assert v.text == "boosting developer productivity"
    assert f"'{v.text}'" in v.message and f"'{v.text}'" in v.hint
    assert "productivity" in v.message
