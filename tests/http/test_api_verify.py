"""POST /v1/verify: the happy path, the contract (JSON Schema files, OpenAPI) and the limits."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient

from service import __version__
from service.contract.models import VerifyRequest, VerifyResponse
from service.contract.verification import run_verify
from service.http.app import create_app
from service.http.deps import get_app_settings
from service.http.routes import verify as verify_route
from service.settings import Settings
from tests.conftest import ACCEPTED_BULLET, NOTES, REJECTED_BULLET

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def _schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def _assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def _error_locs(body: dict[str, Any]) -> list[list[Any]]:
    return [error["loc"] for error in body["errors"]]


# --- happy path ------------------------------------------------------------------------------------


def test_accepted_bullet(client: TestClient) -> None:
    response = client.post("/v1/verify", json={"notes": NOTES, "bullets": [ACCEPTED_BULLET]})

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "results": [
            {
                "bullet": ACCEPTED_BULLET,
                "verdict": "accepted",
                "violations": [],
                "warnings": [],
                "suggestion": None,  # already polished
                "edits": [],
            }
        ]
    }


def test_rejected_bullet_names_metric_ownership_and_scope(client: TestClient) -> None:
    response = client.post("/v1/verify", json={"notes": NOTES, "bullets": [REJECTED_BULLET]})

    assert response.status_code == 200
    (result,) = response.json()["results"]
    assert result["bullet"] == REJECTED_BULLET
    assert result["verdict"] == "rejected"
    kinds = {violation["kind"] for violation in result["violations"]}
    assert {"metric", "ownership", "scope"} <= kinds
    for violation in result["violations"]:
        assert REJECTED_BULLET[violation["start"] : violation["end"]] == violation["text"]
        assert violation["message"]
        assert violation["hint"]


def test_results_keep_bullet_order(client: TestClient) -> None:
    bullets = [REJECTED_BULLET, ACCEPTED_BULLET, "Helped debug a memory leak."]
    response = client.post("/v1/verify", json={"notes": NOTES, "bullets": bullets})

    assert response.status_code == 200
    results = response.json()["results"]
    assert [result["bullet"] for result in results] == bullets
    assert [result["verdict"] for result in results] == ["rejected", "accepted", "accepted"]


def test_evidence_and_redact_are_optional_and_accepted(client: TestClient) -> None:
    payload = {
        "notes": NOTES,
        "evidence": [{"id": "PR-1423", "text": "Fix heap growth in the notification worker"}],
        "redact": ["Acme"],
        "bullets": [ACCEPTED_BULLET],
    }
    response = client.post("/v1/verify", json=payload)

    assert response.status_code == 200
    assert response.json()["results"][0]["verdict"] == "accepted"


def test_guard_sees_evidence_and_redact_terms(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    import service.contract.verification as verification

    seen: dict[str, Any] = {}
    real_extract = verification.extract_facts

    def spy(notes: str, evidence: Any, redact: Any) -> Any:
        seen.update(notes=notes, evidence=list(evidence), redact=list(redact))
        return real_extract(notes, evidence, redact)

    monkeypatch.setattr(verification, "extract_facts", spy)
    payload = {
        "notes": NOTES,
        "evidence": [{"id": "T-1", "text": "ticket text"}],
        "redact": ["Acme"],
        "bullets": [ACCEPTED_BULLET, ACCEPTED_BULLET],
    }
    assert client.post("/v1/verify", json=payload).status_code == 200

    assert seen["notes"] == NOTES
    assert [(item.id, item.text) for item in seen["evidence"]] == [("T-1", "ticket text")]
    assert seen["redact"] == ["Acme"]


# --- contract: JSON Schema files and OpenAPI -------------------------------------------------------


def test_real_responses_validate_against_response_schema(client: TestClient) -> None:
    validator = jsonschema.Draft202012Validator(_schema("verify_response.schema.json"))
    for bullets in ([ACCEPTED_BULLET], [ACCEPTED_BULLET, REJECTED_BULLET]):
        response = client.post("/v1/verify", json={"notes": NOTES, "bullets": bullets})
        assert response.status_code == 200
        validator.validate(response.json())


def test_response_schema_rejects_inconsistent_results() -> None:
    validator = jsonschema.Draft202012Validator(_schema("verify_response.schema.json"))
    assert not validator.is_valid({"results": [{"bullet": "x", "verdict": "rejected", "violations": []}]})
    assert not validator.is_valid({"results": [{"bullet": "x", "verdict": "maybe", "violations": []}]})


def test_request_schema_file_agrees_with_pydantic_model() -> None:
    file_schema = _schema("verify_request.schema.json")
    model_schema = VerifyRequest.model_json_schema()

    assert sorted(file_schema["required"]) == sorted(model_schema["required"]) == ["bullets", "notes"]
    assert set(file_schema["properties"]) == set(model_schema["properties"])
    evidence_item = model_schema["$defs"]["EvidenceItemIn"]
    assert sorted(evidence_item["required"]) == sorted(file_schema["properties"]["evidence"]["items"]["required"])
    assert (
        evidence_item["properties"]["id"]["pattern"]
        == file_schema["properties"]["evidence"]["items"]["properties"]["id"]["pattern"]
    )


def test_request_schema_defaults_match_settings_defaults(settings: Settings) -> None:
    properties = _schema("verify_request.schema.json")["properties"]
    assert properties["notes"]["maxLength"] == settings.max_notes_chars
    assert properties["bullets"]["maxItems"] == settings.max_bullets
    assert properties["bullets"]["items"]["maxLength"] == settings.max_bullet_chars
    assert properties["evidence"]["maxItems"] == settings.max_evidence_items
    assert properties["evidence"]["items"]["properties"]["text"]["maxLength"] == settings.max_evidence_chars
    assert properties["redact"]["maxItems"] == settings.max_redact_terms
    assert properties["redact"]["items"]["maxLength"] == settings.max_redact_term_chars


def test_openapi_examples_follow_the_schema_files(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/v1/verify"]["post"]
    request_examples = operation["requestBody"]["content"]["application/json"]["examples"]
    response_examples = operation["responses"]["200"]["content"]["application/json"]["examples"]
    request_validator = jsonschema.Draft202012Validator(_schema("verify_request.schema.json"))
    response_validator = jsonschema.Draft202012Validator(_schema("verify_response.schema.json"))

    assert {"accepted", "rejected"} <= set(request_examples)
    assert {"accepted", "rejected"} <= set(response_examples)
    for example in request_examples.values():
        request_validator.validate(example["value"])
    verdicts = set()
    for example in response_examples.values():
        response_validator.validate(example["value"])
        verdicts |= {result["verdict"] for result in example["value"]["results"]}
        for result in example["value"]["results"]:
            for violation in result["violations"]:
                assert result["bullet"][violation["start"] : violation["end"]] == violation["text"]
    assert verdicts == {"accepted", "rejected"}


def test_openapi_declares_problem_json_errors(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    responses = spec["paths"]["/v1/verify"]["post"]["responses"]

    for status in ("400", "413", "422", "500"):
        content = responses[status]["content"]
        assert list(content) == ["application/problem+json"], status
    assert "Problem" in spec["components"]["schemas"]
    assert "errors" in spec["components"]["schemas"]["ValidationProblem"]["properties"]
    assert {"/healthz", "/readyz", "/v1/verify"} <= set(spec["paths"])


def test_docs_page_is_served(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]


# --- health ------------------------------------------------------------------------------------------


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__}


def test_readyz(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "local_model": None}


def test_readyz_is_503_when_the_guard_cannot_load(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    import service.http.routes.health as health

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise FileNotFoundError("technologies.json")

    monkeypatch.setattr(health, "extract_facts", broken)
    body = _assert_problem(client.get("/readyz"), 503)
    assert body["type"] == "urn:bulletguard:problem:not-ready"


# --- limits (from settings, at request time) -----------------------------------------------------------


def test_too_many_bullets(make_client: Callable[..., TestClient]) -> None:
    client = make_client(max_bullets=2)
    ok = client.post("/v1/verify", json={"notes": NOTES, "bullets": ["a", "b"]})
    assert ok.status_code == 200
    body = _assert_problem(client.post("/v1/verify", json={"notes": NOTES, "bullets": ["a", "b", "c"]}), 422)
    assert _error_locs(body) == [["body", "bullets"]]
    assert "bullets" in body["detail"]


def test_notes_too_long(make_client: Callable[..., TestClient]) -> None:
    client = make_client(max_notes_chars=10)
    assert client.post("/v1/verify", json={"notes": "x" * 10, "bullets": ["a"]}).status_code == 200
    body = _assert_problem(client.post("/v1/verify", json={"notes": "x" * 11, "bullets": ["a"]}), 422)
    assert _error_locs(body) == [["body", "notes"]]
    assert body["errors"][0]["type"] == "string_too_long"


def test_bullet_too_long_names_its_index(make_client: Callable[..., TestClient]) -> None:
    client = make_client(max_bullet_chars=5)
    body = _assert_problem(client.post("/v1/verify", json={"notes": NOTES, "bullets": ["short", "toolong"]}), 422)
    assert _error_locs(body) == [["body", "bullets", 1]]


def test_evidence_text_too_long(make_client: Callable[..., TestClient]) -> None:
    client = make_client(max_evidence_chars=4)
    payload = {
        "notes": NOTES,
        "evidence": [{"id": "a", "text": "four"}, {"id": "b", "text": "five!"}],
        "bullets": ["x"],
    }
    body = _assert_problem(client.post("/v1/verify", json=payload), 422)
    assert _error_locs(body) == [["body", "evidence", 1, "text"]]


def test_too_many_evidence_items(make_client: Callable[..., TestClient]) -> None:
    client = make_client(max_evidence_items=1)
    evidence = [{"id": "a", "text": "t"}, {"id": "b", "text": "t"}]
    body = _assert_problem(
        client.post("/v1/verify", json={"notes": NOTES, "evidence": evidence, "bullets": ["x"]}), 422
    )
    assert _error_locs(body) == [["body", "evidence"]]


def test_redact_limits(make_client: Callable[..., TestClient]) -> None:
    client = make_client(max_redact_terms=1, max_redact_term_chars=3)
    body = _assert_problem(
        client.post("/v1/verify", json={"notes": NOTES, "redact": ["abc", "abcd"], "bullets": ["x"]}), 422
    )
    assert sorted(_error_locs(body), key=str) == sorted([["body", "redact"], ["body", "redact", 1]], key=str)


def test_limits_follow_dependency_override(client: TestClient) -> None:
    assert client.post("/v1/verify", json={"notes": NOTES, "bullets": ["a", "b"]}).status_code == 200
    app = client.app
    assert hasattr(app, "dependency_overrides")
    app.dependency_overrides[get_app_settings] = lambda: Settings(max_bullets=1)

    body = _assert_problem(client.post("/v1/verify", json={"notes": NOTES, "bullets": ["a", "b"]}), 422)
    assert _error_locs(body) == [["body", "bullets"]]


def test_default_limits_accept_a_full_request() -> None:
    settings = Settings()
    client = TestClient(create_app(settings))
    payload = {
        "notes": "n" * settings.max_notes_chars,
        "evidence": [{"id": f"E{i}", "text": "e" * 100} for i in range(settings.max_evidence_items)],
        "redact": [f"term{i}" for i in range(settings.max_redact_terms)],
        "bullets": ["Helped."] * settings.max_bullets,
    }
    response = client.post("/v1/verify", json=payload)
    assert response.status_code == 200
    assert len(response.json()["results"]) == settings.max_bullets


def test_openapi_response_examples_are_what_the_guard_answers(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/v1/verify"]["post"]
    request_examples = operation["requestBody"]["content"]["application/json"]["examples"]
    response_examples = operation["responses"]["200"]["content"]["application/json"]["examples"]

    for name, example in request_examples.items():
        real = client.post("/v1/verify", json=example["value"]).json()["results"]
        documented = response_examples[name]["value"]["results"]
        assert [(r["bullet"], r["verdict"]) for r in real] == [(d["bullet"], d["verdict"]) for d in documented]
        assert [sorted(v["kind"] for v in r["violations"]) for r in real] == [
            sorted(v["kind"] for v in d["violations"]) for d in documented
        ], name


# --- small requests on the event loop, large ones in a worker thread ----------------------------------


def test_small_requests_are_checked_on_the_event_loop_and_large_ones_in_a_worker_thread(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[bool] = []  # per call: did the check run on the thread of the event loop?

    def spying_run_verify(body: VerifyRequest) -> VerifyResponse:
        try:
            asyncio.get_running_loop()
            threads.append(True)
        except RuntimeError:
            threads.append(False)
        return run_verify(body)

    monkeypatch.setattr(verify_route, "run_verify", spying_run_verify)
    notes = "helped debug a memory leak in the notification worker"
    small = {"notes": notes, "bullets": ["Helped debug a memory leak in the notification worker."]}
    large = {**small, "evidence": [{"id": "log", "text": "x " * (verify_route.INLINE_MAX_CHARS // 2)}]}
    assert verify_route.request_chars(VerifyRequest.model_validate(large)) > verify_route.INLINE_MAX_CHARS

    answers = [client.post("/v1/verify", json=body) for body in (small, large)]

    assert threads == [True, False]
    assert [a.status_code for a in answers] == [200, 200]
    assert [a.json()["results"][0]["verdict"] for a in answers] == ["accepted", "accepted"]
