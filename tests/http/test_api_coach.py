"""Proof coaching through the API: ``POST /v1/questions``, ``POST /v1/match``, and the ``warnings``,
``questions`` and ``match`` that ``/v1/verify`` and ``/v1/rewrite`` (with a FakeLLM) now carry."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import structlog
from fastapi.testclient import TestClient

from service.coach.lint import rule_codes
from service.contract.coach import MatchRequest, QuestionsRequest
from service.http.app import create_app
from service.http.llm_client import get_llm_client
from service.settings import Settings
from tests.fakes import FakeLLM, reply

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"

NOTES = "moved the session store to postgres; added an index on user_id; on call for the auth service"
POSTING = "Backend engineer: PostgreSQL, Kafka, Kubernetes. You will join the on-call rotation and build microservices."
SEC_AUTH = "Which auth method was it (OAuth, JWT, mTLS, API keys, sessions)?"
PERF_BEFORE_AFTER = "What did you measure before and after, and where?"


def _schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def _validator(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(_schema(name))


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["request_id"] == response.headers["x-request-id"]
    return body


# --- POST /v1/questions ------------------------------------------------------------------------------


def test_questions_for_the_notes(client: TestClient) -> None:
    response = client.post("/v1/questions", json={"notes": NOTES})

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    questions = response.json()["questions"]
    _validator("questions_response.schema.json").validate(response.json())
    asked = [q["question"] for q in questions]
    assert SEC_AUTH in asked  # "auth service" without a method
    assert "Which database was it, and why that one?" not in asked  # postgres answers it
    assert {q["proof_area"] for q in questions} == {"reliability", "security", "ownership"}
    assert all(q["why"] for q in questions)


def test_questions_answered_by_the_evidence_are_skipped(client: TestClient) -> None:
    notes = "sped up the search endpoint for the mobile app"
    alone = client.post("/v1/questions", json={"notes": notes}).json()["questions"]
    evidence = [{"id": "PR-88", "text": "Add a Redis cache to search: p95 from 900 ms to 300 ms"}]
    with_evidence = client.post("/v1/questions", json={"notes": notes, "evidence": evidence}).json()["questions"]

    assert PERF_BEFORE_AFTER in [q["question"] for q in alone]
    assert PERF_BEFORE_AFTER not in [q["question"] for q in with_evidence]


def test_questions_for_strong_notes_can_be_empty(client: TestClient) -> None:
    notes = (
        "I designed the search cache: p95 from 900 ms to 300 ms after finding the N+1 bottleneck in a flame graph; "
        "rolled it out behind a feature flag"
    )
    response = client.post("/v1/questions", json={"notes": notes})
    assert response.status_code == 200
    assert response.json() == {"questions": []}


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({}, ["body", "notes"]),
        ({"notes": "   "}, ["body", "notes"]),
        ({"notes": 3}, ["body", "notes"]),
        ({"notes": "x", "bullets": ["y"]}, ["body", "bullets"]),
        ({"notes": "x", "evidence": [{"id": "bad id", "text": "t"}]}, ["body", "evidence", 0, "id"]),
        (
            {"notes": "x", "evidence": [{"id": "a", "text": "t"}, {"id": "a", "text": "u"}]},
            ["body", "evidence", 1, "id"],
        ),
    ],
)
def test_questions_bad_input_is_422(client: TestClient, body: dict[str, Any], loc: list[Any]) -> None:
    problem = _problem(client.post("/v1/questions", json=body), 422)
    assert problem["type"] == "urn:bulletguard:problem:validation-error"
    assert loc in [error["loc"] for error in problem["errors"]]


def test_questions_limits_come_from_settings(make_client: Callable[..., TestClient]) -> None:
    client = make_client(max_notes_chars=10, max_evidence_items=1, max_evidence_chars=5)
    assert client.post("/v1/questions", json={"notes": "x" * 10}).status_code == 200
    problem = _problem(client.post("/v1/questions", json={"notes": "x" * 11}), 422)
    assert [e["loc"] for e in problem["errors"]] == [["body", "notes"]]
    evidence = [{"id": "a", "text": "123456"}, {"id": "b", "text": "t"}]
    problem = _problem(client.post("/v1/questions", json={"notes": "x", "evidence": evidence}), 422)
    assert sorted(map(str, (e["loc"] for e in problem["errors"]))) == sorted(
        map(str, [["body", "evidence"], ["body", "evidence", 0, "text"]])
    )


def test_malformed_json_is_400(client: TestClient) -> None:
    for path in ("/v1/questions", "/v1/match"):
        response = client.post(path, content=b'{"notes": ', headers={"content-type": "application/json"})
        assert _problem(response, 400)["type"] == "urn:bulletguard:problem:malformed-json"


def test_get_is_405(client: TestClient) -> None:
    for path in ("/v1/questions", "/v1/match"):
        _problem(client.get(path), 405)


# --- POST /v1/match ----------------------------------------------------------------------------------


def test_match_splits_supported_and_gaps(client: TestClient) -> None:
    response = client.post("/v1/match", json={"notes": NOTES, "job_description": POSTING})

    assert response.status_code == 200
    body = response.json()
    _validator("match_response.schema.json").validate(body)
    assert body == {
        "supported": [
            {"term": "PostgreSQL", "input_term": "postgres", "kind": "technology"},
            {"term": "on-call rotation", "input_term": "on call", "kind": "keyword"},
        ],
        "gaps": [
            {"term": "Kafka", "kind": "technology"},
            {"term": "Kubernetes", "kind": "technology"},
            {"term": "microservices", "kind": "keyword"},
        ],
    }


def test_match_uses_evidence(client: TestClient) -> None:
    body = {
        "notes": "fixed the export job",
        "evidence": [{"id": "PR-7", "text": "move the export job onto Kafka"}],
        "job_description": "Kafka experience",
    }
    response = client.post("/v1/match", json=body)
    assert response.json() == {
        "supported": [{"term": "Kafka", "input_term": "Kafka", "kind": "technology"}],
        "gaps": [],
    }


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"notes": NOTES}, ["body", "job_description"]),
        ({"notes": NOTES, "job_description": "  "}, ["body", "job_description"]),
        ({"job_description": POSTING}, ["body", "notes"]),
        ({"notes": NOTES, "job_description": POSTING, "redact": ["x"]}, ["body", "redact"]),
    ],
)
def test_match_bad_input_is_422(client: TestClient, body: dict[str, Any], loc: list[Any]) -> None:
    problem = _problem(client.post("/v1/match", json=body), 422)
    assert loc in [error["loc"] for error in problem["errors"]]


def test_job_description_is_limited_like_the_notes(make_client: Callable[..., TestClient]) -> None:
    client = make_client(max_notes_chars=20)
    assert client.post("/v1/match", json={"notes": "built it", "job_description": "k" * 20}).status_code == 200
    problem = _problem(client.post("/v1/match", json={"notes": "built it", "job_description": "k" * 21}), 422)
    assert [e["loc"] for e in problem["errors"]] == [["body", "job_description"]]
    assert problem["errors"][0]["type"] == "string_too_long"
    assert "k" * 21 not in json.dumps(problem)


def test_coach_endpoints_log_counts_not_text(client: TestClient) -> None:
    with structlog.testing.capture_logs() as logs:
        client.post("/v1/questions", json={"notes": NOTES})
        client.post("/v1/match", json={"notes": NOTES, "job_description": POSTING})
    dumped = json.dumps(logs, default=str).lower()
    assert "questions_asked" in dumped and "matched" in dumped
    for private in ("session store", "user_id", "postgres", "kafka", "on-call rotation"):
        assert private not in dumped


# --- contract: schema files and OpenAPI ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "model", "required"),
    [
        ("questions_request.schema.json", QuestionsRequest, ["notes"]),
        ("match_request.schema.json", MatchRequest, ["job_description", "notes"]),
    ],
)
def test_request_schema_files_agree_with_the_models(file: str, model: Any, required: list[str]) -> None:
    file_schema = _schema(file)
    model_schema = model.model_json_schema()
    assert sorted(file_schema["required"]) == sorted(model_schema["required"]) == required
    assert set(file_schema["properties"]) == set(model_schema["properties"])


def test_request_schema_limits_match_settings_defaults(settings: Settings) -> None:
    for file in ("questions_request.schema.json", "match_request.schema.json"):
        properties = _schema(file)["properties"]
        assert properties["notes"]["maxLength"] == settings.max_notes_chars
        assert properties["evidence"]["maxItems"] == settings.max_evidence_items
        assert properties["evidence"]["items"]["properties"]["text"]["maxLength"] == settings.max_evidence_chars
    assert _schema("match_request.schema.json")["properties"]["job_description"]["maxLength"] == (
        settings.max_notes_chars
    )


def test_verify_schema_lists_every_lint_rule() -> None:
    warning = _schema("verify_response.schema.json")["$defs"]["Warning"]
    assert warning["properties"]["code"]["enum"] == list(rule_codes())


def test_openapi_documents_the_coach_endpoints(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    requests = {
        "/v1/questions": _validator("questions_request.schema.json"),
        "/v1/match": _validator("match_request.schema.json"),
    }
    responses = {
        "/v1/questions": _validator("questions_response.schema.json"),
        "/v1/match": _validator("match_response.schema.json"),
    }
    for path, validator in requests.items():
        operation = spec["paths"][path]["post"]
        examples = operation["requestBody"]["content"]["application/json"]["examples"]
        assert examples
        for example in examples.values():
            validator.validate(example["value"])
            real = client.post(path, json=example["value"])
            assert real.status_code == 200
            responses[path].validate(real.json())
        for status in ("400", "413", "422", "500"):
            assert list(operation["responses"][status]["content"]) == ["application/problem+json"], (path, status)


def test_openapi_match_response_example_is_what_the_endpoint_answers(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/v1/match"]["post"]
    request_examples = operation["requestBody"]["content"]["application/json"]["examples"]
    response_examples = operation["responses"]["200"]["content"]["application/json"]["examples"]
    for name, example in response_examples.items():
        _validator("match_response.schema.json").validate(example["value"])
        assert client.post("/v1/match", json=request_examples[name]["value"]).json() == example["value"]


# --- /v1/verify: warnings ----------------------------------------------------------------------------


def test_verify_results_carry_warnings_without_changing_verdicts(client: TestClient) -> None:
    bullets = [
        "Worked on microservices and built REST APIs.",
        "Led a 70% cut in memory use across various services.",
        "Helped debug a memory leak in the notification worker.",
    ]
    notes = "worked on microservices; built REST APIs; helped debug a memory leak in the notification worker"
    response = client.post("/v1/verify", json={"notes": notes, "bullets": bullets})

    assert response.status_code == 200
    results = response.json()["results"]
    _validator("verify_response.schema.json").validate(response.json())
    assert [r["verdict"] for r in results] == ["accepted", "rejected", "accepted"]
    assert [[w["code"] for w in r["warnings"]] for r in results] == [
        ["vague-verb", "unnamed-services", "generic-api"],
        ["vague-quantifier"],
        [],
    ]
    for result in results:
        for warning in result["warnings"]:
            assert result["bullet"][warning["start"] : warning["end"]] == warning["text"]
            assert warning["message"] and warning["fix"]


def test_openapi_verify_examples_carry_warnings(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/v1/verify"]["post"]
    request_examples = operation["requestBody"]["content"]["application/json"]["examples"]
    response_examples = operation["responses"]["200"]["content"]["application/json"]["examples"]
    assert "weak" in request_examples
    for name, example in request_examples.items():
        real = client.post("/v1/verify", json=example["value"]).json()["results"]
        documented = response_examples[name]["value"]["results"]
        assert [[(w["code"], w["text"], w["start"]) for w in r["warnings"]] for r in real] == [
            [(w["code"], w["text"], w["start"]) for w in d["warnings"]] for d in documented
        ], name


# --- /v1/rewrite: warnings, questions, match (FakeLLM behind get_llm_client) ----------------------------

REWRITE_NOTES = "worked on the refunds API for the mobile app; moved the session store to postgres"
WEAK = "Worked on the refunds API for the mobile app."
STRONG = "Moved the session store to PostgreSQL."
INVENTED = "Moved the session store to PostgreSQL behind Kafka."


@pytest.fixture
def rewrite_client() -> Callable[..., tuple[TestClient, FakeLLM]]:
    def factory(*replies: str, **settings: Any) -> tuple[TestClient, FakeLLM]:
        fake = FakeLLM(*replies)
        app = create_app(Settings(**settings))
        app.dependency_overrides[get_llm_client] = lambda: fake
        return TestClient(app), fake

    return factory


def test_rewrite_adds_warnings_questions_and_no_match_without_posting(
    rewrite_client: Callable[..., tuple[TestClient, FakeLLM]],
) -> None:
    client, fake = rewrite_client(
        reply((WEAK, ["notes"], "api"), (STRONG, ["notes"], "data"), (INVENTED, ["notes"], "data")), max_reasks=0
    )

    response = client.post("/v1/rewrite", json={"notes": REWRITE_NOTES, "options": {"max_bullets": 2}})

    assert response.status_code == 200, response.text
    data = response.json()
    weak, strong = data["bullets"]
    assert (weak["text"], strong["text"]) == (WEAK, STRONG)
    assert [(w["code"], w["text"]) for w in weak["warnings"]] == [("vague-verb", "Worked on")]
    assert strong["warnings"] == []
    (refused,) = data["rejected"]
    assert refused["text"] == INVENTED and "warnings" not in refused
    asked = [q["question"] for q in data["questions"]]
    assert "Which database was it, and why that one?" not in asked
    assert "What did the schema or index change do for the queries that use it?" in asked
    assert "Was this your design, your implementation, or the team's?" in asked
    assert data["match"] is None
    assert len(fake.calls) == 1


def test_rewrite_with_a_posting_reports_the_match(rewrite_client: Callable[..., tuple[TestClient, FakeLLM]]) -> None:
    client, _ = rewrite_client(reply((STRONG, ["notes"], "data"), (INVENTED, ["notes"], "data")), max_reasks=0)
    body = {"notes": REWRITE_NOTES, "job_description": "PostgreSQL and Kafka", "options": {"max_bullets": 1}}

    response = client.post("/v1/rewrite", json=body)

    data = response.json()
    assert data["match"] == {
        "supported": [{"term": "PostgreSQL", "input_term": "postgres", "kind": "technology"}],
        "gaps": [{"term": "Kafka", "kind": "technology"}],
    }
    # the posting's word for a supported technology passes the guard; a gap never does
    assert [b["text"] for b in data["bullets"]] == [STRONG]
    assert [r["text"] for r in data["rejected"]] == [INVENTED]
    assert [v["text"] for v in data["rejected"][0]["violations"]] == ["Kafka"]
    _validator("match_response.schema.json").validate(data["match"])
    _validator("questions_response.schema.json").validate({"questions": data["questions"]})


def test_rewrite_without_a_supported_posting_term_sends_the_plain_prompt(
    rewrite_client: Callable[..., tuple[TestClient, FakeLLM]],
) -> None:
    client, fake = rewrite_client(reply((STRONG, ["notes"], "data")), reply((STRONG, ["notes"], "data")), max_reasks=0)
    plain = {"notes": REWRITE_NOTES, "options": {"max_bullets": 1}}
    assert client.post("/v1/rewrite", json=plain).status_code == 200
    assert client.post("/v1/rewrite", json={**plain, "job_description": "Kafka and Kubernetes"}).status_code == 200

    without, with_gaps_only = fake.calls
    assert with_gaps_only.messages == without.messages
    assert "posting" not in without.text


def test_rewrite_offers_the_model_supported_posting_terms_only_and_never_a_redacted_one(
    rewrite_client: Callable[..., tuple[TestClient, FakeLLM]],
) -> None:
    client, fake = rewrite_client(reply((STRONG, ["notes"], "data")), max_reasks=0)
    body = {
        "notes": REWRITE_NOTES + "; integrated Stripe for Acme",
        "redact": ["Stripe"],
        "job_description": "Stripe, PostgreSQL and Kafka",
        "options": {"max_bullets": 1},
    }
    match = client.post("/v1/rewrite", json=body).json()["match"]
    assert [s["term"] for s in match["supported"]] == ["PostgreSQL"]
    assert [g["term"] for g in match["gaps"]] == ["Kafka"]

    (call,) = fake.calls
    assert "- PostgreSQL (the input says: postgres)" in call.messages[1]["content"]
    assert "Kafka" not in call.text  # a gap is for the user to read, never a word offered to the model
    assert "Stripe" not in call.text  # redacted, even though the posting names it


def test_rewrite_questions_see_the_evidence(rewrite_client: Callable[..., tuple[TestClient, FakeLLM]]) -> None:
    notes = "sped up the search endpoint for the mobile app"
    body: dict[str, Any] = {"notes": notes, "options": {"max_bullets": 1}}
    line = "Sped up the search endpoint for the mobile app."
    client, _ = rewrite_client(reply((line, ["notes"], "performance")), reply((line, ["notes"], "performance")))

    alone = client.post("/v1/rewrite", json=body).json()["questions"]
    evidence = [{"id": "PR-88", "text": "Add a Redis cache to search: p95 from 900 ms to 300 ms"}]
    with_evidence = client.post("/v1/rewrite", json={**body, "evidence": evidence}).json()["questions"]

    assert PERF_BEFORE_AFTER in [q["question"] for q in alone]
    assert PERF_BEFORE_AFTER not in [q["question"] for q in with_evidence]


def test_rewrite_job_description_limits(rewrite_client: Callable[..., tuple[TestClient, FakeLLM]]) -> None:
    client, fake = rewrite_client(max_notes_chars=len(REWRITE_NOTES))
    for posting, loc in (("k" * (len(REWRITE_NOTES) + 1), "job_description"), ("   ", "job_description")):
        problem = _problem(client.post("/v1/rewrite", json={"notes": REWRITE_NOTES, "job_description": posting}), 422)
        assert [e["loc"] for e in problem["errors"]] == [["body", loc]]
    assert fake.calls == []


def test_rewrite_openapi_declares_the_new_fields(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert "job_description" in schemas["RewriteRequest"]["properties"]
    assert {"questions", "match"} <= set(schemas["RewriteResponse"]["properties"])
    assert "warnings" in schemas["BulletOut"]["properties"]
    assert "warnings" not in schemas["RejectedBulletOut"]["properties"]
