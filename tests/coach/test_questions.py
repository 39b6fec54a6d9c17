"""Missing-proof questions: each proof area the notes touch gets the questions the input does not answer
yet; a question disappears as soon as the notes (or the evidence) answer it."""

from __future__ import annotations

import pytest

from service.coach import PROOF_AREAS, Question, questions_for
from service.coach.questions import touched_areas, vocab
from service.guard import EvidenceItem

API_COUNT = "How many endpoints, and who consumed them?"
API_CONTRACT = "Was the API contract yours, and how is it versioned or kept backward compatible?"
API_ERRORS = "What do callers get when something fails: which error model, and can they retry safely?"
DATA_DB = "Which database was it, and why that one?"
DATA_SCHEMA = "What did the schema or index change do for the queries that use it?"
DATA_MIGRATION = "How was the migration made safe: a dry run, a backfill, a rollback plan?"
PERF_BEFORE_AFTER = "What did you measure before and after, and where?"
PERF_PERCENTILE = "At what percentile and under what load was latency measured?"
PERF_BOTTLENECK = "What was the bottleneck, and how did you find it?"
REL_SIGNALS = "What alert, dashboard, trace or runbook came out of it?"
REL_FAILURE = "Which failure does it handle now, and how does the service behave when it happens?"
SEC_BOUNDARY = "Which boundary did you enforce: authentication, authorization or input validation?"
SEC_AUTH = "Which auth method was it (OAuth, JWT, mTLS, API keys, sessions)?"
SEC_RISK = "What risk did it close?"
OWN_WHOSE = "Was this your design, your implementation, or the team's?"
OWN_AFTER = "Did you run it after launch: deploys, rollback plan, on-call?"
COLLAB_DEPENDENTS = "Who depended on it: which team, app or customer?"
COLLAB_DOC = "Did you write the design doc or review the contract with the teams involved?"
COLLAB_MENTOR = "Did you pair with, mentor or hand the work over to anyone?"


def asked(notes: str, *evidence: str) -> list[str]:
    items = [EvidenceItem(f"e{i}", text) for i, text in enumerate(evidence, 1)]
    return [q.question for q in questions_for(notes, items)]


def case(notes: str, question: str, *, id: str) -> object:
    return pytest.param(notes, question, id=id)


ASKED = [
    # api
    case("built the refunds endpoint", API_COUNT, id="api-count-nothing-said"),
    case("built 3 endpoints for the refunds flow", API_COUNT, id="api-count-no-consumer"),
    case("built the refunds endpoint for the mobile app", API_COUNT, id="api-count-no-number"),
    case("built REST APIs for the billing service", API_CONTRACT, id="api-contract"),
    case("added a webhook for partners", API_ERRORS, id="api-errors"),
    # data
    case("worked with the database on the orders table", DATA_DB, id="data-which-db"),
    case("moved the sessions store to postgres", DATA_SCHEMA, id="data-schema"),
    case("migrated the orders table to postgres", DATA_MIGRATION, id="data-migration"),
    # performance
    case("made the search endpoint faster", PERF_BEFORE_AFTER, id="perf-before-after"),
    case("reduced search latency with a cache", PERF_PERCENTILE, id="perf-percentile"),
    case("reduced search latency from 900 ms to 300 ms", PERF_BOTTLENECK, id="perf-bottleneck"),
    # reliability
    case("fixed the crash loop in the billing worker", REL_SIGNALS, id="rel-signals"),
    case("added an alert for failed export runs", REL_FAILURE, id="rel-failure"),
    # security
    case("made the admin API more secure", SEC_BOUNDARY, id="sec-boundary"),
    case("moved login to the new auth service", SEC_AUTH, id="sec-auth-method"),
    case("added rate limiting to the signup endpoint", SEC_RISK, id="sec-risk"),
    # ownership
    case("helped build the export job", OWN_WHOSE, id="own-helped"),
    case("the team built the export job", OWN_WHOSE, id="own-team"),
    case("built the export job", OWN_WHOSE, id="own-no-subject"),
    case("designed the export job", OWN_AFTER, id="own-after-launch"),
    # collaboration
    case("paired with Sam on the export job", COLLAB_DEPENDENTS, id="collab-dependents"),
    case("helped the mobile team with the refunds endpoint", COLLAB_DOC, id="collab-design-doc"),
    case("collaborated with the data team on the export", COLLAB_MENTOR, id="collab-mentoring"),
]

ANSWERED = [
    # api
    case("built 3 endpoints for the refunds flow, consumed by the mobile app", API_COUNT, id="api-count"),
    case("built the refunds API; versioned it as v2 so partners could migrate", API_CONTRACT, id="api-versioned"),
    case("added a cursor pagination contract to the orders API", API_CONTRACT, id="api-pagination"),
    case("made the payments API idempotent with idempotency keys", API_ERRORS, id="api-idempotent"),
    case("defined the error model of the refunds API", API_ERRORS, id="api-error-model"),
    # data
    case("moved the sessions store to postgres", DATA_DB, id="data-postgres"),
    case("tuned queries on the DynamoDB table", DATA_DB, id="data-dynamodb"),
    case("added an index on user_id to the sessions table", DATA_SCHEMA, id="data-index"),
    case("migrated the orders table with a dry run and a rollback plan", DATA_MIGRATION, id="data-dry-run"),
    # performance
    case("cut search p95 from 900 ms to 300 ms", PERF_BEFORE_AFTER, id="perf-from-to"),
    case("made search 3x faster", PERF_BEFORE_AFTER, id="perf-multiplier"),
    case("reduced search latency by 40%", PERF_BEFORE_AFTER, id="perf-percent"),
    case("reduced search p95 latency with a cache", PERF_PERCENTILE, id="perf-p95"),
    case("reduced median latency of search", PERF_PERCENTILE, id="perf-median"),
    case("found the bottleneck with a flame graph and made search faster", PERF_BOTTLENECK, id="perf-bottleneck"),
    case("sped up the report query after reading its query plan", PERF_BOTTLENECK, id="perf-query-plan"),
    # reliability
    case("fixed the crash loop in the billing worker and added an alert", REL_SIGNALS, id="rel-alert"),
    case("wrote a runbook for restarting the worker after the outage", REL_SIGNALS, id="rel-runbook"),
    case("fixed the outage alerts and traced it in Datadog", REL_SIGNALS, id="rel-datadog"),
    case("added retries with backoff to the export job after the outage", REL_FAILURE, id="rel-retries"),
    case("added a circuit breaker so checkout degrades gracefully", REL_FAILURE, id="rel-circuit-breaker"),
    # security
    case("added object-level access checks to the admin API", SEC_BOUNDARY, id="sec-access-checks"),
    case("added input validation to the upload endpoint", SEC_BOUNDARY, id="sec-validation"),
    case("moved login to OAuth", SEC_AUTH, id="sec-oauth"),
    case("moved the auth service to JWT", SEC_AUTH, id="sec-jwt"),
    case("secured service-to-service auth with mTLS", SEC_AUTH, id="sec-mtls"),
    case("moved partner auth to API keys", SEC_AUTH, id="sec-api-keys"),
    case("fixed an IDOR in the orders endpoint", SEC_RISK, id="sec-idor"),
    case("closed a SQL injection in search", SEC_RISK, id="sec-injection"),
    # ownership
    case("designed the export job", OWN_WHOSE, id="own-designed"),
    case("I built the export job", OWN_WHOSE, id="own-i-built"),
    case("owned the export job after launch", OWN_WHOSE, id="own-owned"),
    case("led the export rewrite", OWN_WHOSE, id="own-led"),
    case("built the export job and was on-call for it", OWN_AFTER, id="own-on-call"),
    case("built the export job and rolled it out behind a feature flag", OWN_AFTER, id="own-rollout"),
    # collaboration
    case("paired with Sam on the refunds endpoint used by the mobile app", COLLAB_DEPENDENTS, id="collab-mobile"),
    case("helped the data team; wrote the design doc for the export", COLLAB_DOC, id="collab-doc"),
    case("reviewed the RFC with the mobile team", COLLAB_DOC, id="collab-rfc"),
    case("collaborated with the data team and mentored a new hire", COLLAB_MENTOR, id="collab-mentored"),
]


@pytest.mark.parametrize(("notes", "question"), ASKED)
def test_question_is_asked(notes: str, question: str) -> None:
    assert question in asked(notes), asked(notes)


@pytest.mark.parametrize(("notes", "question"), ANSWERED)
def test_question_answered_by_the_notes_is_skipped(notes: str, question: str) -> None:
    questions = asked(notes)
    assert question not in questions, questions
    area = next(a for a in vocab() for ask in a.asks if ask.question.question == question).name
    assert area in touched_areas(notes), f"the case does not touch {area} at all"


def test_every_question_has_asked_and_answered_examples() -> None:
    every = {ask.question.question for area in vocab() for ask in area.asks}
    assert {p.values[1] for p in ASKED} == every  # type: ignore[attr-defined]
    assert {p.values[1] for p in ANSWERED} == every  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("notes", "areas"),
    [
        ("built the refunds endpoint", {"api", "ownership"}),
        ("added an index on user_id to the sessions table", {"data", "ownership"}),
        ("made the search page faster", {"performance"}),
        ("fixed the crash loop in the billing worker", {"reliability", "ownership"}),
        ("moved login to OAuth", {"security", "ownership"}),
        ("paired with Sam on the export", {"collaboration", "ownership"}),
        ("stored sessions in Redis", {"data"}),
        ("wired traces into Jaeger", {"reliability", "ownership"}),
    ],
)
def test_touched_areas(notes: str, areas: set[str]) -> None:
    assert set(touched_areas(notes)) == areas


def test_untouched_areas_ask_nothing() -> None:
    questions = questions_for("added an index on user_id to the sessions table in postgres")
    assert {q.proof_area for q in questions} <= {"data", "ownership"}
    assert DATA_DB not in [q.question for q in questions]


def test_the_issue_examples() -> None:
    assert SEC_AUTH in asked("added login to the admin console")
    assert SEC_AUTH not in asked("added login with OAuth to the admin console")
    assert PERF_BEFORE_AFTER in asked("made the export faster")
    assert PERF_BEFORE_AFTER not in asked("made the export faster: 14 min before, 9 min after")
    assert OWN_WHOSE in asked("was part of the team that built the export job")
    assert OWN_WHOSE not in asked("I designed the export job")


def test_evidence_answers_questions_too() -> None:
    notes = "sped up the search endpoint for the mobile app"
    assert PERF_BEFORE_AFTER in asked(notes)
    assert PERF_BEFORE_AFTER not in asked(notes, "PR: add a Redis cache to search, p95 from 900 ms to 300 ms")


def test_evidence_touches_areas_too() -> None:
    assert "security" not in touched_areas("refactored the admin console")
    items = [EvidenceItem("PR-1", "add OAuth login to the admin console")]
    assert "security" in touched_areas("refactored the admin console", items)


def test_two_figures_in_different_clauses_are_not_a_before_and_after() -> None:
    assert PERF_BEFORE_AFTER in asked("made search faster. it serves 3 regions; it has 12 shards")
    assert PERF_BEFORE_AFTER not in asked("made search faster; 12 shards, then 24 shards")


def test_order_follows_proof_areas_and_is_stable() -> None:
    notes = (
        "helped add login to the refunds API; made it faster; fixed the crash loop; "
        "moved the sessions store to postgres; paired with the mobile team"
    )
    questions = questions_for(notes)
    order = [PROOF_AREAS.index(q.proof_area) for q in questions]
    assert order == sorted(order)
    assert {q.proof_area for q in questions} == set(PROOF_AREAS)
    assert questions == questions_for(notes)
    assert len({q.question for q in questions}) == len(questions)


def test_question_objects() -> None:
    (first, *_) = questions_for("built the refunds endpoint")
    assert isinstance(first, Question)
    assert first.as_dict() == {"proof_area": "api", "question": API_COUNT, "why": first.why}
    assert first.why


def test_data_areas_follow_proof_area_order() -> None:
    assert tuple(area.name for area in vocab()) == PROOF_AREAS
