"""Weak-bullet lint: every rule fires on the weak wording reviewers skip past, and stays quiet once the
bullet carries the proof its fix asks for."""

from __future__ import annotations

import json
from importlib.resources import files

import pytest

from service.coach import LintWarning, lint_bullet
from service.coach.lint import rule_codes
from service.guard import analyse_bullet, check_bullet, extract_facts, verify


def found(bullet: str) -> list[tuple[str, str]]:
    return [(w.code, w.text) for w in lint_bullet(bullet)]


def codes(bullet: str) -> set[str]:
    return {w.code for w in lint_bullet(bullet)}


def fires(code: str, bullet: str, text: str) -> object:
    return pytest.param(code, bullet, text, id=f"{code}: {bullet}")


def quiet(code: str, bullet: str) -> object:
    return pytest.param(code, bullet, id=f"{code}: {bullet}")


FIRES = [
    # vague verbs: the engineer was near the work
    fires("vague-verb", "Worked on microservices.", "Worked on"),
    fires("vague-verb", "Worked with databases.", "Worked with"),
    fires("vague-verb", "Helped with the billing export job.", "Helped with"),
    fires("vague-verb", "Was involved in the payments migration.", "Was involved in"),
    fires("vague-verb", "Was part of the search rewrite.", "Was part of"),
    fires("vague-verb", "Participated in the on-call rotation for the orders service.", "Participated in"),
    fires("vague-verb", "Contributed to the notification worker.", "Contributed to"),
    fires("vague-verb", "Assisted with the Kafka consumer upgrade.", "Assisted with"),
    fires("vague-verb", "Gained exposure to gRPC in the pricing service.", "exposure to"),
    fires("vague-verb", "Took part in the checkout API redesign.", "Took part in"),
    # duties instead of deeds
    fires("responsible-for", "Responsible for the payments API.", "Responsible for"),
    fires("responsible-for", "Was responsible for deployments of the search service.", "Was responsible for"),
    fires("responsible-for", "In charge of the nightly export job.", "In charge of"),
    fires("responsible-for", "Tasked with keeping the billing worker alive.", "Tasked with"),
    fires("responsible-for", "Duties included code review for the orders team.", "Duties included"),
    # counts hidden behind vague words
    fires("vague-quantifier", "Fixed various bugs in the billing worker.", "various"),
    fires("vague-quantifier", "Migrated multiple cron jobs to the job queue.", "multiple"),
    fires("vague-quantifier", "Wrote numerous integration tests for the orders API.", "numerous"),
    fires("vague-quantifier", "Added several alerts to the payments dashboard.", "several"),
    fires("vague-quantifier", "Reviewed a number of schema changes.", "a number of"),
    fires("vague-quantifier", "Built a variety of internal tools.", "a variety of"),
    fires("vague-quantifier", "Closed lots of tickets for the support team.", "lots of"),
    # scale without a figure
    fires("unquantified-scale", "Built highly scalable systems.", "highly scalable"),
    fires("unquantified-scale", "Helped with scalable systems.", "scalable"),
    fires("unquantified-scale", "Ran the event pipeline at scale.", "at scale"),
    fires("unquantified-scale", "Designed a large-scale ingestion pipeline.", "large-scale"),
    fires("unquantified-scale", "Kept the high-traffic checkout service running.", "high-traffic"),
    fires("unquantified-scale", "Processed millions of events in the billing pipeline.", "millions of"),
    fires("unquantified-scale", "Improved the scalability of the export job.", "scalability"),
    fires("unquantified-scale", "Tuned the high-throughput Kafka consumer.", "high-throughput"),
    # security without a mechanism
    fires("unspecified-security", "Built a secure API for the admin console.", "secure API"),
    fires("unspecified-security", "Made the payments endpoints more secure.", "more secure"),
    fires("unspecified-security", "Secured the internal reporting service.", "Secured"),
    fires("unspecified-security", "Improved security of the upload service.", "Improved security"),
    fires("unspecified-security", "Hardened the orders API.", "Hardened"),
    fires("unspecified-security", "Stored customer files securely.", "securely"),
    # APIs with no consumer or contract
    fires("generic-api", "Built REST APIs.", "REST APIs"),
    fires("generic-api", "Developed RESTful APIs in Python.", "RESTful APIs"),
    fires("generic-api", "Built REST APIs for the billing service.", "REST APIs"),
    fires("generic-api", "Wrote APIs in Go.", "APIs"),
    fires("generic-api", "Maintained web services.", "web services"),
    fires("generic-api", "Created a new endpoint in the orders service.", "a new endpoint"),
    fires("generic-api", "Built GraphQL APIs.", "GraphQL APIs"),
    # data with no detail
    fires("generic-data", "Worked with databases.", "databases"),
    fires("generic-data", "Maintained the database.", "database"),
    fires("generic-data", "Managed SQL and NoSQL databases.", "NoSQL databases"),
    fires("generic-data", "Moved the data layer to a new host.", "data layer"),
    fires("generic-data", "Cleaned up the DBs behind the billing service.", "DBs"),
    # architecture without a system
    fires("unnamed-services", "Worked on microservices.", "microservices"),
    fires("unnamed-services", "Built scalable microservices.", "microservices"),
    fires("unnamed-services", "Built Go microservices.", "microservices"),
    fires("unnamed-services", "Designed distributed systems.", "distributed systems"),
    fires("unnamed-services", "Moved to a microservice architecture.", "microservice architecture"),
    fires("unnamed-services", "Maintained backend services.", "backend services"),
    # better, with no measurement or mechanism
    fires("unmeasured-improvement", "Improved performance of the search endpoint.", "performance"),
    fires("unmeasured-improvement", "Improved reliability of the billing worker.", "reliability"),
    fires("unmeasured-improvement", "Improved uptime of the checkout service.", "uptime"),
    fires("unmeasured-improvement", "Reduced latency of the orders API.", "latency"),
    fires("unmeasured-improvement", "Optimized throughput of the export job.", "throughput"),
    fires("unmeasured-improvement", "Made response times faster for the search page.", "response times"),
    # a list of technologies
    fires("skills-list", "Python, Django, PostgreSQL, Redis, Docker", "Python, Django, PostgreSQL, Redis, Docker"),
    fires(
        "skills-list", "Experience with Python, Django and PostgreSQL.", "Experience with Python, Django and PostgreSQL"
    ),
    fires("skills-list", "Tech stack: Go, gRPC, Kafka, Kubernetes", "Tech stack: Go, gRPC, Kafka, Kubernetes"),
    fires("skills-list", "Kafka, Redis", "Kafka, Redis"),
    fires("repeated-word", "Added alert alert alert alert, 2 late files since then.", "alert alert alert alert"),
    fires("repeated-word", "Moved the the invoice export to a worker.", "the the"),
    fires("repeated-word", "Cut p95 to 210ms, Cached Cached the product pages.", "Cached Cached"),
]

QUIET = [
    # the proof each fix asks for, or ordinary wording
    quiet("vague-verb", "Helped debug a memory leak in the notification worker."),
    quiet("vague-verb", "Debugged a memory leak in the notification worker."),
    quiet("vague-verb", "Paired with the mobile team to ship the refunds endpoint."),
    quiet("vague-verb", "Moved the billing export job from cron to the job queue."),
    quiet("responsible-for", "Ran the on-call rotation for the payments API."),
    quiet("responsible-for", "Owned deployments of the search service after launch."),
    quiet("vague-quantifier", "Fixed 4 bugs in the billing worker's retry loop."),
    quiet("vague-quantifier", "Migrated the invoice and refund cron jobs to the job queue."),
    quiet("vague-quantifier", "Added alerts for failed runs to the payments dashboard."),
    quiet("unquantified-scale", "Built a scalable export pipeline handling 2k jobs/hour."),
    quiet("unquantified-scale", "Scaled the worker pool to 40 pods for the Black Friday peak."),
    quiet("unquantified-scale", "Partitioned the audit log table by month."),
    quiet("unquantified-scale", "Sharded the sessions store by tenant to handle 1.2 TB of data."),
    quiet("unspecified-security", "Built a secure API for the admin console with OAuth scopes."),
    quiet("unspecified-security", "Secured the internal reporting service with mTLS."),
    quiet("unspecified-security", "Made the payments endpoints more secure with object-level access checks."),
    quiet("unspecified-security", "Added input validation and rate limits to the signup endpoint."),
    quiet("unspecified-security", "Moved the upload service's secrets to Vault."),
    quiet("unspecified-security", "Worked with the security team on the audit log."),
    quiet("generic-api", "Built 3 REST endpoints for the billing service consumed by the mobile app."),
    quiet("generic-api", "Built REST APIs consumed by the mobile app."),
    quiet("generic-api", "Added cursor pagination to the orders API."),
    quiet("generic-api", "Versioned the refunds API so partners could migrate."),
    quiet("generic-api", "Built the payments API."),
    quiet("generic-api", "Built REST APIs serving 2k requests per second."),
    quiet("generic-data", "Added an index on user_id to the sessions table."),
    quiet("generic-data", "Moved the sessions store to PostgreSQL."),
    quiet("generic-data", "Planned the database migration with a dry run and a rollback plan."),
    quiet("generic-data", "Paired with the database team on query plans."),
    quiet("generic-data", "Worked with the database team on the orders schema."),
    quiet("unnamed-services", "Split the checkout monolith into payment and inventory services."),
    quiet("unnamed-services", "Moved refunds out of the checkout service into their own microservice."),
    quiet("unnamed-services", "Worked on the payments microservices."),
    quiet("unnamed-services", "Drew the boundaries between the billing microservices."),
    quiet("unmeasured-improvement", "Cut p95 latency of search from 900 ms to 300 ms."),
    quiet("unmeasured-improvement", "Reduced latency of the orders API with a Redis cache."),
    quiet("unmeasured-improvement", "Improved reliability of the billing worker with retries and an alert."),
    quiet("unmeasured-improvement", "Improved uptime of the checkout service to 99.95%."),
    quiet("unmeasured-improvement", "Measured the latency of the search endpoint."),
    quiet("skills-list", "Built the billing API in Python, Django and PostgreSQL."),
    quiet("skills-list", "Moved the worker from Celery to Kafka."),
    quiet("skills-list", "Python, Django: cut p95 of the search page from 900 ms to 300 ms."),
    quiet("skills-list", "PostgreSQL"),
    quiet("repeated-word", "Cut p99 from 12s to 1.1s, 1.1s steady."),  # a figure said twice is the metric rule's matter
    quiet("repeated-word", "Said bye-bye to the cron box."),
    quiet("repeated-word", "Wrote the runbook; the runbook covers restarts."),
]


@pytest.mark.parametrize(("code", "bullet", "text"), FIRES)
def test_rule_fires(code: str, bullet: str, text: str) -> None:
    assert (code, text) in found(bullet), found(bullet)


@pytest.mark.parametrize(("code", "bullet"), QUIET)
def test_rule_stays_quiet(code: str, bullet: str) -> None:
    assert code not in codes(bullet), found(bullet)


def test_every_rule_has_firing_and_quiet_examples() -> None:
    fired = {p.values[0] for p in FIRES}  # type: ignore[attr-defined]
    quieted = {p.values[0] for p in QUIET}  # type: ignore[attr-defined]
    assert fired == quieted == set(rule_codes())


def test_the_issue_examples() -> None:
    assert codes("Built REST APIs") == {"generic-api"}
    assert codes("Built 3 REST endpoints for the billing service consumed by the mobile app") == set()
    assert codes("Worked on microservices") == {"vague-verb", "unnamed-services"}
    assert codes("Worked with databases") == {"vague-verb", "generic-data"}
    assert codes("Responsible for various backend tasks") == {"responsible-for", "vague-quantifier"}
    assert codes("Built scalable systems") == {"unquantified-scale"}
    assert codes("Built a secure API") == {"unspecified-security"}


@pytest.mark.parametrize(
    "bullet",
    [
        "Helped debug a memory leak in the notification worker.",
        "Wrote a runbook for restarting the notification worker.",
        "Added an alert that pages after 3 failed billing export runs.",
        "Moved the sessions store from Redis to PostgreSQL with a dry run and a rollback plan.",
        "Cut the search service's p95 latency from 900 ms to 300 ms with a Redis cache.",
        "Designed the schema for the audit log, partitioned by month.",
    ],
)
def test_strong_bullets_get_no_warning(bullet: str) -> None:
    assert lint_bullet(bullet) == ()


def test_spans_are_offsets_into_the_bullet_in_order() -> None:
    bullet = "  Worked on various scalable microservices and REST APIs, responsible for the database."
    warnings = lint_bullet(bullet)
    assert [w.code for w in warnings] == [
        "vague-verb",
        "vague-quantifier",
        "unquantified-scale",
        "unnamed-services",
        "generic-api",
        "responsible-for",
        "generic-data",
    ]
    for w in warnings:
        assert bullet[w.start : w.end] == w.text
    assert [w.start for w in warnings] == sorted(w.start for w in warnings)


def test_each_match_is_reported() -> None:
    warnings = [w for w in lint_bullet("Fixed various bugs in various services.") if w.code == "vague-quantifier"]
    assert [(w.text, w.start) for w in warnings] == [("various", 6), ("various", 22)]


def test_matching_ignores_case_and_hyphens() -> None:
    assert ("vague-verb", "WORKED ON") in found("WORKED ON the export job.")
    assert ("unquantified-scale", "large scale") in found("Designed a large scale ingestion pipeline.")
    assert ("unnamed-services", "micro-services") in found("Built micro-services.")


def test_message_and_fix_explain_the_span() -> None:
    (warning,) = lint_bullet("Built highly scalable systems.")
    assert warning.message.startswith("'highly scalable'")
    assert warning.fix
    assert warning.as_dict() == {
        "code": "unquantified-scale",
        "text": "highly scalable",
        "start": 6,
        "end": 21,
        "message": warning.message,
        "fix": warning.fix,
    }


def test_a_version_number_is_not_a_scale_figure() -> None:
    assert "unquantified-scale" in codes("Built scalable services in Java 17 for the billing team.")


def test_lint_is_deterministic() -> None:
    bullet = "Worked on various scalable microservices and REST APIs."
    assert lint_bullet(bullet) == lint_bullet(bullet)
    assert all(isinstance(w, LintWarning) for w in lint_bullet(bullet))


def test_warnings_never_depend_on_the_guard_verdict() -> None:
    bullet = "Led a 70% cut in memory use across various services."
    (result,) = verify("helped debug a memory leak", [], [], [bullet])
    assert result.verdict == "rejected"
    assert codes(bullet) == {"vague-quantifier"}


def test_empty_and_punctuation_only_bullets() -> None:
    assert lint_bullet("") == ()
    assert lint_bullet(" - ... ") == ()


def test_every_rule_in_the_data_file_has_a_reason_and_a_fix() -> None:
    data = json.loads((files("service.coach") / "data" / "lint.json").read_text(encoding="utf-8"))
    for rule in [*data["rules"], data["skills_list"]]:
        assert rule["message"].strip() and rule["fix"].strip(), rule["code"]
    assert len(set(rule_codes())) == len(rule_codes())


@pytest.mark.parametrize("bullet", [p.values[1] for p in FIRES] + [p.values[1] for p in QUIET])  # type: ignore[attr-defined]
def test_one_reading_serves_the_guard_and_the_lint(bullet: str) -> None:
    # /v1/verify reads each bullet once and hands the reading to both: the answers must not change
    facts = extract_facts("helped debug a memory leak in the notification worker", [], ["Dana"])
    analysis = analyse_bullet(bullet)
    assert lint_bullet(bullet, analysis) == lint_bullet(bullet)
    assert check_bullet(bullet, facts, analysis) == check_bullet(bullet, facts)


def test_a_reading_of_another_text_is_refused() -> None:
    other = analyse_bullet("Built REST APIs")
    with pytest.raises(ValueError, match="another text"):
        lint_bullet("Worked on microservices", other)
    with pytest.raises(ValueError, match="another text"):
        check_bullet("Worked on microservices", extract_facts("worked on it", [], []), other)
