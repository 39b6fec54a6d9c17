"""``scope``, second version: completion and status (work the input calls started, prototyped, proposed,
paused or handed off is not "shipped"), and reach and generalisation ("across five teams", one service
become "services", teams the input never names, "the platform" for one service). Each rejection names a
fragment its span must hold.
"""

from __future__ import annotations

import pytest

from tests.guard.guardkit import explain, run

REJECT = [
    pytest.param(
        "moved the payments team onto the new logging library",
        "Drove a cross-team move onto the new logging library.",
        "cross-team",
        id="cross-team-from-one-team",
    ),
    pytest.param(
        "coordinated moving 4 teams onto the new logging library",
        "Coordinated a cross-functional move of 4 teams onto the new logging library.",
        "cross-functional",
        id="teams-of-one-function-are-not-cross-functional",
    ),
    # completion and status
    pytest.param(
        "prototyped a grpc version of the pricing api; paused when priorities changed",
        "Shipped a gRPC version of the pricing API.",
        "Shipped",
        id="prototyped-is-not-shipped",
    ),
    pytest.param(
        "planned the postgres 12 -> 15 upgrade, scheduled for next quarter",
        "Upgraded PostgreSQL from 12 to 15.",
        "Upgraded",
        id="planned-is-not-upgraded",
    ),
    pytest.param(
        "I started the migration of the billing jobs to the new scheduler but handed it off when I moved teams",
        "Migrated the billing jobs to the new scheduler.",
        "Migrated",
        id="handed-off-is-not-migrated",
    ),
    pytest.param(
        "the kafka migration for the audit log is in progress, I've moved 2 of the 5 producers so far",
        "Completed the Kafka migration for the audit log.",
        "Completed",
        id="in-progress-is-not-completed",
    ),
    pytest.param(
        "wrote the proposal for moving orders to event sourcing. still waiting on approval",
        "Moved orders to event sourcing.",
        "Moved",
        id="proposed-is-not-moved",
    ),
    pytest.param(
        "proposed a read-through cache for the catalog api",
        "Implemented a read-through cache for the catalog API.",
        "Implemented",
        id="proposed-is-not-built",
    ),
    pytest.param(
        "piloted the new deploy tool with one team",
        "Launched the new deploy tool.",
        "Launched",
        id="piloted-is-not-launched",
    ),
    # reach and plural widening
    pytest.param(
        "ran the postmortem for the checkout outage",
        "Ran postmortems across five engineering teams after the checkout outage.",
        "across five engineering teams",
        id="across-n-teams",
    ),
    pytest.param(
        "ran the postmortem for the checkout outage",
        "Ran postmortems for the checkout outage.",
        "postmortems",
        id="one-postmortem-widened",
    ),
    pytest.param(
        "added rate limiting to the orders service",
        "Added rate limiting to services.",
        "services",
        id="one-service-widened",
    ),
    pytest.param(
        "wrote a client library for the billing api",
        "Wrote a billing API client library used by 4 teams.",
        "used by 4 teams",
        id="used-by-n-teams",
    ),
    pytest.param(
        "led the incident review with the on-call engineers",
        "Led a cross-functional incident review.",
        "cross-functional",
        id="cross-functional-unstated",
    ),
    # departments the input never names
    pytest.param(
        "gathered requirements with stakeholders for the refund flow",
        "Gathered requirements with Product, Engineering and Compliance for the refund flow.",
        "Compliance",
        id="departments-from-stakeholders",
    ),
    pytest.param(
        "built the invoice export",
        "Built the invoice export in partnership with the Finance team.",
        "Finance team",
        id="named-team-unstated",
    ),
    # a broader object than the input's
    pytest.param(
        "tuned the connection pool of the orders service",
        "Tuned connection pooling across the platform.",
        "across the platform",
        id="one-service-to-the-platform",
    ),
    pytest.param(
        "cut query time on the invoice search page from 2s to 500ms",
        "Cut application response time from 2 s to 500 ms.",
        "application response",
        id="query-time-to-application",
    ),
    pytest.param(
        "fixed the flaky retries in the password reset flow",
        "Fixed flaky retries in the authentication system.",
        "authentication system",
        id="one-flow-to-a-system",
    ),
    pytest.param(
        "upgraded the orders service to java 17",
        "Upgraded backend infrastructure to Java 17.",
        "backend",
        id="one-service-to-backend-infrastructure",
    ),
]

ACCEPT = [
    pytest.param(
        "coordinated moving 4 teams (payments, search, growth, infra) onto the new logging library",
        "Coordinated a cross-team move of 4 teams onto the new logging library.",
        id="several-teams-are-cross-team",
    ),
    # the input says it was done
    pytest.param(
        "shipped the invoice export endpoint in the spring release",
        "Shipped the invoice export endpoint.",
        id="shipped",
    ),
    pytest.param(
        "started the search migration in may and finished it in june",
        "Migrated search to the new cluster.",
        id="started-then-finished",
    ),
    pytest.param(
        "the kafka migration for the audit log is in progress, I've moved 2 of the 5 producers so far",
        "Moved 2 of 5 audit log producers to Kafka as part of an ongoing migration.",
        id="the-part-that-was-done",
    ),
    pytest.param(
        "prototyped a recommendations widget in a hack week",
        "Prototyped a recommendations widget during a hack week.",
        id="prototype-as-prototype",
    ),
    pytest.param(
        "planned + ran the zero-downtime cutover of the users table",
        "Planned and ran the zero-downtime cutover of the users table.",
        id="planned-and-ran",
    ),
    pytest.param(
        "proposed a new api for search; shipped the export job",
        "Shipped the export job.",
        id="status-of-other-work",
    ),
    # the input states the reach
    pytest.param("rolled out request ids to all 14 svcs", "Rolled out request IDs to all 14 services.", id="svcs"),
    pytest.param(
        "added trace id propagation to every service's http client",
        "Added trace ID propagation to the HTTP clients across all services.",
        id="every-service-is-plural",
    ),
    pytest.param(
        "wrote 4 postmortems for the payments outages", "Wrote postmortems for payments outages.", id="plural-stated"
    ),
    pytest.param(
        "set up gh actions for the billing repo; i built the workflow files",
        "Built GitHub Actions workflows for the billing repo.",
        id="singular-as-a-modifier",
    ),
    pytest.param(
        "rolled the client library out to 3 teams",
        "Rolled out the client library across 3 teams.",
        id="across-stated-teams",
    ),
    # the input names the team
    pytest.param(
        "worked with product and design on the new checkout",
        "Worked with product and design on the new checkout flow.",
        id="departments-stated",
    ),
    pytest.param("wrote the runbook", "Wrote the runbook with Ray from the finance team.", id="not-a-collaboration"),
    pytest.param(
        "paired with the data team and finance on the revenue report",
        "Paired with the data team and finance on the revenue report, a cross-functional effort.",
        id="two-departments-are-cross-functional",
    ),
    # a specific name, not a broader object
    pytest.param(
        "migrated billing to the new queue", "Migrated the billing system to the new queue.", id="billing-system"
    ),
    pytest.param(
        "rolled out the new auth middleware to all 40 tenants",
        "Rolled out the new authentication middleware across all 40 tenants of the multi-tenant platform.",
        id="multi-tenant-platform",
    ),
    pytest.param(
        "implemented the ledger reconciliation job for project tangerine",
        "Implemented a ledger reconciliation job for a new payments product.",
        id="a-description-not-a-scope",
    ),
    pytest.param(
        "the platform team asked for it; tuned the pool of the orders service",
        "Tuned the orders service pool for the platform team.",
        id="platform-team",
    ),
]


@pytest.mark.parametrize(("notes", "bullet", "fragment"), REJECT)
def test_wider_scope_is_rejected(notes: str, bullet: str, fragment: str) -> None:
    result = run(notes, bullet)
    scopes = [v for v in result.violations if v.kind == "scope"]
    assert any(fragment in v.text or v.text in fragment for v in scopes), explain(result)
    for v in result.violations:
        assert v.text == bullet[v.start : v.end], explain(result)
        assert f"'{v.text}'" in v.message, explain(result)


@pytest.mark.parametrize(("notes", "bullet"), ACCEPT)
def test_stated_scope_is_accepted(notes: str, bullet: str) -> None:
    result = run(notes, bullet)
    assert result.verdict == "accepted", explain(result)


def test_status_message_quotes_the_input_cue() -> None:
    result = run(
        "prototyped a grpc version of the pricing api; paused when priorities changed",
        "Shipped a gRPC version of the pricing API.",
    )
    (v,) = result.violations
    assert v.text == "Shipped"
    assert "'prototyped'" in v.message
